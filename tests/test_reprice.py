"""The same calls priced again, each row checked against genai-prices' calc_price: on
another model, on the batch tier, at another date's prices, with a tokenizer ratio."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from pathlib import Path

import genai_prices
import pytest
from genai_prices import Usage
from typer.testing import CliRunner

from costline.catalog.prices import context_of
from costline.cli import app
from costline.errors import InputError
from costline.ingest.pipeline import ingest

from .conftest import EXAMPLES, LIBRARY
from .test_ingest import rows


@pytest.fixture(scope="module")
def usage(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("reprice") / "usage.parquet"
    ingest([str(EXAMPLES / "logs" / "openai.jsonl")], out)
    return out


def calls(path: Path) -> list[dict]:
    """Every row of a usage file, as dicts."""
    return rows(path)


def oracle(rows: list[dict], model=None, tier=None, at=None, ratio=1.0) -> Decimal:
    """genai-prices' price of every call, moved as the reprice moves it."""
    total = Decimal(0)
    for r in rows:
        moved = model is not None and r["catalog_model"] == model[0]
        k = ratio if moved else 1.0
        usage = Usage(
            input_tokens=round(r["input_tokens"] * k),
            cache_read_tokens=round(r["cache_read_tokens"] * k),
            cache_write_tokens=round(r["cache_write_tokens"] * k),
            output_tokens=round(r["output_tokens"] * k),
        )
        when = r["ts"].replace(tzinfo=dt.UTC)
        if at is not None:
            when = dt.datetime.combine(at, when.time(), tzinfo=dt.UTC)
        total += genai_prices.calc_price(
            usage,
            model[2] if moved else r["catalog_model"],
            provider_id=model[1] if moved else r["catalog_provider"],
            genai_request_timestamp=when,
            price_context=context_of(tier if tier is not None else r["service_tier"]),
        ).total_price
    return total


def test_a_model_swap_prices_each_moved_call_at_the_new_model(usage):
    r = LIBRARY.reprice(usage, models={"gpt-4.1": "openai:gpt-6-luna"})
    assert r.what == ["gpt-4.1 -> openai:gpt-6-luna"]
    assert r.after_usd == pytest.approx(
        float(oracle(calls(usage), ("gpt-4.1", "openai", "gpt-6-luna"))), rel=1e-9
    )
    assert r.before_usd == pytest.approx(sum(c["cost_usd"] for c in calls(usage)), rel=1e-12)
    moved = {g.repriced_as for g in r.groups if g.model == "openai:gpt-4.1"}
    assert moved == {"openai:gpt-6-luna"}
    untouched = [g for g in r.groups if g.model == "openai:gpt-4o-mini"]
    assert all(g.change_usd == pytest.approx(0, abs=1e-12) for g in untouched)


def test_the_batch_tier_and_another_date_are_priced_as_calc_price_prices_them(usage):
    rows = calls(usage)
    batch = LIBRARY.reprice(usage, tier="batch")
    assert batch.after_usd == pytest.approx(float(oracle(rows, tier="batch")), rel=1e-9)
    assert batch.change_usd < 0
    day = dt.date(2026, 3, 1)
    then = LIBRARY.reprice(usage, at=day.isoformat())
    assert then.after_usd == pytest.approx(float(oracle(rows, at=day)), rel=1e-9)


def test_a_tokenizer_ratio_scales_only_the_moved_calls(usage):
    r = LIBRARY.reprice(
        usage, models={"openai:gpt-4.1": "anthropic:claude-haiku-4-5"}, tokenizer_ratio=1.2
    )
    expected = oracle(calls(usage), ("gpt-4.1", "anthropic", "claude-haiku-4-5"), ratio=1.2)
    assert r.after_usd == pytest.approx(float(expected), rel=1e-9)
    assert any("x 1.2" in note for note in r.notes)


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({}, "say what to price again"),
        ({"models": {"gpt-4.1": "openai:no-such-model"}}, "the catalog cannot price it"),
        ({"tier": "economy"}, "expected a tier of default, batch, flex, priority"),
        (
            {"models": {"gpt-4.1": "openai:gpt-6-luna"}, "tokenizer_ratio": 50},
            "tokenizer ratio between 0.1 and 10",
        ),
        ({"tier": "batch", "tokenizer_ratio": 3}, "scales the calls a model swap moves"),
        ({"models": {"gpt-9": "openai:gpt-6-luna"}}, r"no call of .* is of that model"),
        ({"models": {"gpt-4.1": "openai:text-embedding-3-small"}}, "has no output price"),
        ({"at": "June"}, "expected a date as YYYY-MM-DD"),
    ],
)
def test_a_reprice_that_cannot_be_done_says_why(usage, options, message):
    with pytest.raises(InputError, match=message):
        LIBRARY.reprice(usage, **options)


def test_reprice_from_the_command_line_in_markdown(usage):
    done = CliRunner().invoke(
        app,
        [
            "usage",
            str(usage),
            "--reprice",
            "--model",
            "gpt-4.1=openai:gpt-6-luna",
            "--format",
            "markdown",
        ],
    )
    assert done.exit_code == 0, done.output
    assert "## Priced again" in done.output
    assert "| draft-reply | openai:gpt-4.1 | openai:gpt-6-luna |" in done.output
    bad = CliRunner().invoke(app, ["usage", str(usage), "--reprice", "--model", "gpt-4.1"])
    assert bad.exit_code == 2 and "expected FROM=TO" in bad.output


def test_a_tier_the_catalog_prices_only_from_a_day_says_so(tmp_path):
    out = tmp_path / "anthropic.parquet"
    ingest([str(EXAMPLES / "logs" / "anthropic.jsonl")], out)
    r = LIBRARY.reprice(out, tier="batch")
    # the sample's calls start 2026-10-01; the catalog's batch prices, 2026-10-14
    assert any("batch tier from 2026-10-14" in note for note in r.notes)
    assert r.after_usd == pytest.approx(float(oracle(calls(out), tier="batch")), rel=1e-9)


def test_a_date_no_price_of_the_file_differs_on_says_why_nothing_moved(usage):
    rows = calls(usage)
    future = dt.date.today() + dt.timedelta(days=3 * 365)
    for day in (dt.date(1900, 1, 1), future):
        r = LIBRARY.reprice(usage, at=day.isoformat())
        assert r.after_usd == pytest.approx(float(oracle(rows, at=day)), rel=1e-9)
        (unchanged,) = [n for n in r.notes if "no change of price" in n]
        assert "openai:gpt-4.1" in unchanged and "openai:gpt-4o-mini" in unchanged
        # genai-prices agrees: each named model costs the same in 1900 and three years on
        for model in ("gpt-4.1", "gpt-4o-mini"):
            prices = {
                genai_prices.calc_price(
                    Usage(input_tokens=1000, output_tokens=100),
                    model,
                    provider_id="openai",
                    genai_request_timestamp=dt.datetime.combine(when, dt.time(12), dt.UTC),
                ).total_price
                for when in (dt.date(1900, 1, 1), future)
            }
            assert len(prices) == 1, model
        assert any("after today" in n for n in r.notes) == (day == future)
