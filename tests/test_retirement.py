"""Models their vendors shut down: every view warns, with the date, source and successor."""

from __future__ import annotations

import datetime as dt

import pytest
import yaml
from typer.testing import CliRunner

from costline.catalog.prices import PriceCatalog
from costline.catalog.retirements import load_retirements
from costline.catalog.tiers import load_model_tiers
from costline.cli import app

from .conftest import LIBRARY, ROOT

SCENARIO = """
name: retiring
start: "{start}"
horizon_months: 6
users: {{start: 1000}}
plans: [{{name: pro, price_usd_per_month: 20, share: 1}}]
features:
  - name: chat
    model: {model}
    trigger: {{queries_per_month: 30}}
    usage: {{input_tokens: 1000, output_tokens: 200}}
"""


def _codes(start: str, model: str) -> list[tuple[str, str]]:
    text = SCENARIO.format(start=start, model=model)
    result = LIBRARY.run(yaml.safe_load(text), samples=500, users=100)
    return [(w.code, w.subject) for w in result.warnings if w.code.startswith("MODEL_")]


@pytest.mark.parametrize(
    ("start", "expected"),
    [
        ("2026-06", [("MODEL_RETIRING", "anthropic:claude-sonnet-4-5")]),  # shuts 2026-11-30
        ("2026-11", [("MODEL_RETIRING", "anthropic:claude-sonnet-4-5")]),  # during month 1
        ("2026-12", [("MODEL_RETIRED", "anthropic:claude-sonnet-4-5")]),
        ("2026-05", []),  # horizon ends 2026-10, before the shutdown
    ],
)
def test_a_model_shut_down_before_or_during_the_horizon_is_warned_of(start, expected):
    assert _codes(start, "anthropic:claude-sonnet-4-5") == expected


@pytest.mark.parametrize(
    ("dated", "base"),
    [
        ("openai:gpt-4o-mini-2024-07-18", "openai:gpt-4o-mini"),
        ("anthropic:claude-3-5-sonnet-20241022", "anthropic:claude-3-5-sonnet"),
    ],
)
def test_a_dated_snapshot_priced_as_a_retired_model_is_warned_of_too(dated, base):
    # the catalog prices the snapshot as its base model: the base's shutdown is the one
    # the figures carry
    (code,) = [c for c, _ in _codes("2026-12", base)]
    assert [w for w in _codes("2026-12", dated) if w[0] != "MODEL_MATCHED_AS"] == [(code, dated)]


def test_models_search_marks_what_is_shut_down_in_every_format():
    runner = CliRunner()
    shutdown = load_retirements().of("openai:gpt-4o-mini").shutdown  # type: ignore[union-attr]
    args = ["models", "search", "gpt-4o-mini", "--limit", "3", "--at", "2026-12-04"]
    terminal = runner.invoke(app, args)
    markdown = runner.invoke(app, [*args, "--format", "markdown"])
    as_json = runner.invoke(app, [*args, "--format", "json"])
    assert terminal.exit_code == markdown.exit_code == as_json.exit_code == 0, markdown.output
    assert f"openai:gpt-4o-mini (shuts down {shutdown})" in markdown.output
    assert markdown.output.startswith("## Models matching 'gpt-4o-mini'")
    assert f"(shuts down {shutdown})" in terminal.output
    rows = {r["ref"]: r for r in yaml.safe_load(as_json.output)}
    assert rows["openai:gpt-4o-mini"]["shutdown"] == shutdown.isoformat()


def test_a_current_model_has_no_warning():
    assert _codes("2026-12", "anthropic:claude-sonnet-5-5") == []


def test_the_warning_names_the_date_the_source_and_the_successor():
    text = SCENARIO.format(start="2026-12", model="google:gemini-2.5-flash")
    (w,) = [
        w
        for w in LIBRARY.run(yaml.safe_load(text), samples=500, users=100).warnings
        if w.code == "MODEL_RETIRED"
    ]
    assert "on 2026-12-01" in w.message
    assert "google:gemini-3.5-flash-lite as the replacement" in w.message
    assert "Source: Google's Gemini API deprecations page" in w.message


def test_every_retirement_names_a_model_and_successor_the_catalog_prices():
    catalog = PriceCatalog()
    for r in load_retirements().by_model.values():
        catalog.resolve(r.model)
        if r.successor:
            catalog.resolve(r.successor)
            assert load_retirements().of(r.successor) is None or (
                load_retirements().of(r.successor).shutdown > r.shutdown  # type: ignore[union-attr]
            )
        assert r.source and "checked" in r.source
    # the tier families take their shutdown dates from the same file
    for family in load_model_tiers().families:
        for model, day in family.shutdown:
            assert load_retirements().of(f"{family.provider}:{model}").shutdown == day  # type: ignore[union-attr]


@pytest.mark.parametrize(
    "args",
    [
        ["run", "examples/consumer-chat.yaml", "--samples", "500", "--users", "100"],
        ["levers", "examples/consumer-chat.yaml", "--cache-hit-rate", "0.1"],
        [
            "run",
            "examples/consumer-chat.yaml",
            "-f",
            "markdown",
            "--samples",
            "500",
            "--users",
            "100",
        ],
        ["levers", "examples/consumer-chat.yaml", "--cache-hit-rate", "0.1", "-f", "markdown"],
        ["diff", "examples/consumer-chat.yaml", "--prices-at", "2026-06-01", "--samples", "500"],
        ["brief", "examples/consumer-chat.yaml", "--no-solve", "--samples", "500"],
    ],
)
def test_every_view_shows_the_warning(args, monkeypatch):
    monkeypatch.chdir(ROOT)
    done = CliRunner().invoke(app, [*args, "--as-of", dt.date(2026, 12, 3).isoformat()])
    assert done.exit_code == 0, done.output
    text = " ".join(done.output.split())
    assert "openai:gpt-4o-mini" in text and "2027-01-14" in text


def test_a_unit_no_usage_field_declares_is_a_warning_naming_it():
    """A catalog unit costline has no usage field for (input pixels: no shipped model uses
    it today) is never left out silently: the run names it with its price."""
    from decimal import Decimal

    from genai_prices import data_snapshot
    from genai_prices import types as gp

    from costline.api import Costline

    price = gp.ModelPrice(
        input_mtok=Decimal("1"), output_mtok=Decimal("2"), input_gpixels=Decimal("0.5")
    )
    model = gp.ModelInfo(id="pixel-chat", match=gp.ClauseEquals("pixel-chat"), prices=price)
    provider = gp.Provider(id="acme", name="Acme", api_pattern="acme", models=[model])
    snapshot = data_snapshot.DataSnapshot(providers=[provider], from_auto_update=False)
    library = Costline(as_of=dt.date(2026, 12, 3), prices=PriceCatalog(snapshot))
    text = SCENARIO.format(start="2026-12", model="acme:pixel-chat")
    scenario = yaml.safe_load(text)
    warned = [
        w.message
        for w in library.run(scenario, samples=300, users=100).warnings
        if w.code == "UNITS_NOT_MODELLED"
    ]
    assert len(warned) == 1
    assert "input_gpixels at $0.5" in warned[0]
