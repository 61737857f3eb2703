"""Re-pricing: what changed between two scenarios, or between the catalog's prices on a
date and today's, line by line."""

from __future__ import annotations

import datetime as dt
import json

import pytest
from typer.testing import CliRunner

from costline.catalog.prices import PriceCatalog, prices_as_of
from costline.cli import app

from .conftest import EXAMPLES
from .test_levers import BASE

ARGS = ["--samples", "2000", "--as-of", "2026-11-26"]


def test_two_scenarios_differ_line_by_line(tmp_path):
    before, after = tmp_path / "before.yaml", tmp_path / "after.yaml"
    before.write_text(BASE)
    # output 500 -> 1,000 tokens ($0.002 -> $0.003 a query), the plan $1 -> $2, a new feature
    after.write_text(
        BASE.replace("output_tokens: 500", "output_tokens: 1000").replace(
            "price_usd_per_month: 1", "price_usd_per_month: 2"
        )
        + """  - name: search
    trigger: {queries_per_month: 1}
    usage: {input_tokens: 100, output_tokens: 10}
    model: {name: small, input_usd_per_mtok: 1, output_usd_per_mtok: 1}
"""
    )
    result = CliRunner().invoke(app, ["diff", str(before), str(after), "--format", "json", *ARGS])
    assert result.exit_code == 0, result.output
    d = json.loads(result.output)
    features = {c["name"]: c for c in d["features"]}
    assert features["chat"]["before"] == pytest.approx(0.002)
    assert features["chat"]["after"] == pytest.approx(0.003)
    assert features["search"]["before"] is None  # added
    assert features["search"]["after"] == pytest.approx(110e-6)
    plans = {c["name"]: c for c in d["plans"]}
    assert (plans["pro"]["before"], plans["pro"]["after"]) == (1, 2)
    head = {c["name"]: c for c in d["headline"]}
    # 10,000 users x (10 x $0.003 + 1 x $0.00011)
    assert head["inference cost"]["after"] == pytest.approx(10_000 * (10 * 0.003 + 110e-6))
    markdown = CliRunner().invoke(app, ["diff", str(before), str(after), *ARGS]).output
    assert "| ~ | chat | $0.00200 | $0.00300 | +$0.00100 (+50.0%) |" in markdown
    assert "| + | search |" in markdown


def test_prices_at_a_date_shows_what_vendors_changed(tmp_path):
    scenario = tmp_path / "o3.yaml"
    scenario.write_text(
        BASE.replace(
            """model: {name: big, input_usd_per_mtok: 1, output_usd_per_mtok: 2,
            cached_input_usd_per_mtok: 0.1, follows_price_trajectory: false}""",
            "model: openai:o3",
        )
    )
    o3 = PriceCatalog().resolve("openai:o3")
    then = prices_as_of(o3, dt.date(2025, 6, 1)).rates_at(dt.date(2027, 1, 1))
    now = o3.rates_at(dt.date(2027, 1, 1))
    assert then.input.base != now.input.base  # the catalog cut o3's price on 2025-06-10
    result = CliRunner().invoke(
        app, ["diff", str(scenario), "--prices-at", "2025-06-01", "--format", "json", *ARGS]
    )
    assert result.exit_code == 0, result.output
    models = {c["name"]: c for c in json.loads(result.output)["models"]}
    assert models["openai:o3 input"]["before"] == then.input.base
    assert models["openai:o3 input"]["after"] == now.input.base


@pytest.mark.parametrize(
    "args, message",
    [
        ([], "not both or neither"),
        (["--prices-at", "2030-01-01"], "is after today"),
        (["--prices-at", "June"], "expected a date"),
    ],
)
def test_diff_bad_input(tmp_path, args, message):
    scenario = tmp_path / "s.yaml"
    scenario.write_text(BASE)
    result = CliRunner().invoke(app, ["diff", str(scenario), *args, *ARGS])
    assert result.exit_code == 2 and message in result.output


def test_a_tier_the_catalog_did_not_price_then_is_not_an_invented_price_cut(tmp_path):
    scenario = tmp_path / "batch.yaml"
    scenario.write_text(
        BASE.replace(
            """model: {name: big, input_usd_per_mtok: 1, output_usd_per_mtok: 2,
            cached_input_usd_per_mtok: 0.1, follows_price_trajectory: false}""",
            "model: openai:gpt-4o-mini\n    service_tier: batch",
        )
    )
    since = PriceCatalog().resolve("openai:gpt-4o-mini", "batch").tier_since
    assert since is not None and since > dt.date(2025, 6, 1)
    result = CliRunner().invoke(
        app, ["diff", str(scenario), "--prices-at", "2025-06-01", "--format", "json", *ARGS]
    )
    assert result.exit_code == 0, result.output
    d = json.loads(result.output)
    assert all(c["before"] == c["after"] for c in d["models"])
    assert any(f"only from {since}" in note for note in d["notes"])


def test_a_lever_change_is_named(tmp_path):
    before, after = tmp_path / "before.yaml", tmp_path / "after.yaml"
    before.write_text(BASE + "    levers: {response_cache: {hit_rate: 0.1}}\n")
    after.write_text(
        BASE + "    levers: {response_cache: {hit_rate: 0.3}, caps: {max_output_tokens: 200}}\n"
    )
    result = CliRunner().invoke(app, ["diff", str(before), str(after), "--format", "json", *ARGS])
    assert result.exit_code == 0, result.output
    (note,) = json.loads(result.output)["notes"]
    assert note.startswith("levers of chat:")
    assert "~ response_cache" in note and "+ caps" in note


def test_lever_changes_name_each_added_changed_and_removed_lever():
    from costline.engine.diff import lever_changes
    from costline.scenario.load import parse_scenario

    before = parse_scenario(BASE + "    levers: {response_cache: {hit_rate: 0.1}}\n", "yaml")
    after = parse_scenario(BASE + "    levers: {caps: {max_output_tokens: 200}}\n", "yaml")
    (line,) = lever_changes(before, after)
    assert line == "levers of chat: - response_cache; + caps {'max_output_tokens': 200.0}"
    assert lever_changes(before, before) == []


def test_a_growth_change_shows_over_the_horizon_though_the_first_month_is_the_same(tmp_path):
    """0.08 -> 0.12 a month: the first month is identical, the horizon is not. By hand:
    users reach 10x the first month's when (1+g)^t >= 10, t = ceil(ln 10 / ln(1+g)) months
    after the start: 30 at 8%, 21 at 12%."""
    import math

    from .conftest import LIBRARY

    text = (EXAMPLES / "support-copilot.yaml").read_text()
    assert text.count("monthly_growth: 0.08") == 1
    faster = tmp_path / "faster.yaml"
    faster.write_text(text.replace("monthly_growth: 0.08", "monthly_growth: 0.12"))
    d = LIBRARY.diff(str(EXAMPLES / "support-copilot.yaml"), str(faster), samples=2000)
    assert all(c.status == "same" for c in d.headline if "10x" not in c.name)
    horizon = {c.name.split(" (")[0]: c for c in d.horizon}
    assert horizon["revenue over the horizon"].after > horizon["revenue over the horizon"].before
    assert horizon["gross margin in the last month"].status == "changed"
    for growth, month in ((0.08, d.ten_x_month_before), (0.12, d.ten_x_month_after)):
        t = math.ceil(math.log(10) / math.log(1 + growth))
        start = dt.date(2026, 12, 1)
        expected = dt.date(
            start.year + (start.month - 1 + t) // 12, (start.month - 1 + t) % 12 + 1, 1
        )
        assert month == expected.strftime("%Y-%m")
    assert d.months[0].inference_cost_usd.status == "same"
    assert d.months[-1].revenue_usd.after > d.months[-1].revenue_usd.before
    # the totals are the months summed
    total = sum(m.revenue_usd.after for m in d.months)
    assert horizon["revenue over the horizon"].after == pytest.approx(total, rel=1e-12)
    text_out = (
        CliRunner()
        .invoke(app, ["diff", str(EXAMPLES / "support-copilot.yaml"), str(faster), *ARGS])
        .output
    )
    assert "### Over the horizon" in text_out and "### By month" in text_out


def test_prices_at_says_when_the_catalog_history_does_not_reach_the_date():
    from .conftest import LIBRARY

    d = LIBRARY.diff(str(EXAMPLES / "support-copilot.yaml"), prices_at="2026-06-01", samples=2000)
    (note,) = [n for n in d.notes if "single price" in n]
    assert "anthropic:claude-sonnet-5-5" in note and "does not reach 2026-06-01" in note


def test_unit_prices_are_compared_and_a_price_neither_side_has_is_not_a_row(tmp_path):
    from genai_prices import Usage, calc_price

    from .conftest import AS_OF, LIBRARY

    text = (EXAMPLES / "meeting-notes.yaml").read_text()
    assert text.count("model: openai:gpt-transcribe") == 1
    other = tmp_path / "whisper.yaml"
    other.write_text(text.replace("model: openai:gpt-transcribe", "model: openai:whisper-1"))
    d = LIBRARY.diff(str(EXAMPLES / "meeting-notes.yaml"), str(other), samples=500)
    rows = {c.name: c for c in d.models}
    when = dt.datetime.combine(AS_OF, dt.time(12), dt.UTC)

    def per_minute(model: str) -> float:
        price = calc_price(
            Usage(input_audio_tokens=0, audio_seconds=60),
            model,
            provider_id="openai",
            genai_request_timestamp=when,
        )
        return float(price.total_price)

    before = rows["openai:gpt-transcribe per input audio minute"]
    after = rows["openai:whisper-1 per input audio minute"]
    assert (before.status, after.status) == ("removed", "added")
    assert before.before == pytest.approx(per_minute("gpt-transcribe"), rel=1e-9)
    assert after.after == pytest.approx(per_minute("whisper-1"), rel=1e-9)
    # neither transcription model has a text price: no "added" row of two blanks
    assert not [c for c in d.models if c.before is None and c.after is None]
    assert "openai:whisper-1 output" not in rows
