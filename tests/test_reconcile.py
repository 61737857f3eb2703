"""costline's price beside the cost a log recorded: hand-worked gaps, the flag at 10%, and
the causes costline can check (here the cache convention, recomputed by calc_price)."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import genai_prices
import pytest
from genai_prices import Usage
from typer.testing import CliRunner

from costline.cli import app
from costline.errors import InputError
from costline.ingest.pipeline import ingest

from .conftest import EXAMPLES, LIBRARY

WHEN = dt.datetime(2026, 11, 10, 12, tzinfo=dt.UTC)


def openrouter(model: str, prompt: int, completion: int, factor: float, cached: int = 0) -> dict:
    """An OpenRouter response whose logged cost is `factor` x OpenRouter's own price."""
    usage = Usage(input_tokens=prompt, cache_read_tokens=cached, output_tokens=completion)
    price = genai_prices.calc_price(
        usage, model, provider_id="openrouter", genai_request_timestamp=WHEN
    ).total_price
    return {
        "id": "gen-x",
        "model": model,
        "object": "chat.completion",
        "created": int(WHEN.timestamp()),
        "usage": {
            "prompt_tokens": prompt,
            "completion_tokens": completion,
            "cost": float(price) * factor,
            "prompt_tokens_details": {"cached_tokens": cached},
        },
    }


def usage_file(tmp_path: Path, records: list[dict], **options) -> Path:
    log = tmp_path / "log.jsonl"
    log.write_text("".join(json.dumps(r) + "\n" for r in records))
    out = tmp_path / "usage.parquet"
    ingest([str(log)], out, **options)
    return out


def test_a_model_billed_a_quarter_above_its_price_is_flagged_at_minus_20_percent(tmp_path):
    path = usage_file(
        tmp_path,
        [
            openrouter("openai/gpt-5.6-sol", 4000, 300, 1.0),
            openrouter("openai/gpt-5.6-sol", 1000, 100, 1.0),
            openrouter("google/gemini-3.5-flash", 5000, 400, 1.25),
        ],
    )
    r = LIBRARY.reconcile(path)
    assert (r.rows, r.rows_with_logged_cost) == (3, 3)
    first, second = r.groups
    assert first.model == "google/gemini-3.5-flash" and first.rows == 1
    # priced p, billed 1.25p: costline - logged = -0.25p, a share of -0.25 / 1.25 = -20%
    assert first.difference_share == pytest.approx(-0.2)
    assert first.difference_usd == pytest.approx(first.costline_usd - first.logged_usd)
    assert first.flagged and first.causes[0].startswith("none costline can check")
    assert second.model == "openai/gpt-5.6-sol" and second.rows == 2
    assert second.difference_share == pytest.approx(0, abs=1e-12) and not second.flagged
    assert r.difference_usd == pytest.approx(first.difference_usd + second.difference_usd)
    assert r.rows_differing_most[0].model == "google/gemini-3.5-flash"
    assert r.rows_differing_most[0].line == 3


def test_a_cache_convention_mismatch_is_named_with_the_price_it_would_give(tmp_path):
    # Anthropic counts cache reads apart from input_tokens; read as if they were inside
    # (input_includes_cache true), costline undercounts the uncached input
    prompt, cached, completion = 6000, 5000, 200
    billed = genai_prices.calc_price(
        Usage(input_tokens=prompt + cached, cache_read_tokens=cached, output_tokens=completion),
        "claude-sonnet-4-5",
        provider_id="anthropic",
        genai_request_timestamp=WHEN,
    ).total_price
    record = {
        "ts": WHEN.isoformat(),
        "model": "claude-sonnet-4-5",
        "input": prompt,
        "cached": cached,
        "output": completion,
        "cost": float(billed),
    }
    mapping = {
        "timestamp": ["$.ts"],
        "model": ["$.model"],
        "input_tokens": ["$.input"],
        "cache_read_tokens": ["$.cached"],
        "output_tokens": ["$.output"],
        "logged_cost_usd": ["$.cost"],
    }
    wrong = usage_file(tmp_path, [record], mapping=mapping, input_includes_cache=True)
    (group,) = LIBRARY.reconcile(wrong).groups
    assert group.flagged
    (cause,) = [c for c in group.causes if c.startswith("cache convention")]
    # counted the other way, the price is the bill
    assert f"${float(billed):,.4f} against ${float(billed):,.4f} logged" in cause
    # read with the right convention, there is no gap at all
    right_dir = tmp_path / "right"
    right_dir.mkdir()
    right = usage_file(right_dir, [record], mapping=mapping, input_includes_cache=False)
    (group,) = LIBRARY.reconcile(right).groups
    assert group.difference_share == pytest.approx(0, abs=1e-12) and not group.flagged


def test_reconcile_needs_an_ingested_file_with_logged_costs(tmp_path):
    with pytest.raises(InputError, match="not a usage file from costline ingest"):
        LIBRARY.reconcile(EXAMPLES / "logs" / "openai.jsonl")
    bare = {
        "object": "chat.completion",
        "created": int(WHEN.timestamp()),
        "model": "gpt-5.6-sol",
        "usage": {"prompt_tokens": 100, "completion_tokens": 10},
    }
    with pytest.raises(InputError, match="no row carries a logged cost"):
        LIBRARY.reconcile(usage_file(tmp_path, [bare]))


def test_the_shipped_openrouter_log_reconciles_from_the_command_line(tmp_path):
    out = tmp_path / "openrouter-usage.parquet"
    runner = CliRunner()
    done = runner.invoke(
        app, ["ingest", str(EXAMPLES / "logs" / "openrouter.jsonl"), "-o", str(out)]
    )
    assert done.exit_code == 0, done.output
    shown = runner.invoke(app, ["usage", str(out), "--reconcile", "--format", "json"])
    assert shown.exit_code == 0, shown.output
    data = json.loads(shown.output)
    flagged = {g["model"] for g in data["groups"] if g["flagged"]}
    # the sample bills Gemini 25% above OpenRouter's price and the rest at it
    assert flagged == {"google/gemini-3.5-flash"}
    markdown = runner.invoke(app, ["usage", str(out), "--reconcile", "--format", "markdown"])
    assert "| openrouter | google/gemini-3.5-flash |" in markdown.output
