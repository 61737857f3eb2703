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


# -- against a bill ------------------------------------------------------------------------


def openai_usage(tmp_path: Path) -> Path:
    """gpt-4.1 in November 2026: 1,000 input and 100 output tokens, twice."""
    call = {
        "object": "chat.completion",
        "created": int(WHEN.timestamp()),
        "model": "gpt-4.1",
        "usage": {"prompt_tokens": 1000, "completion_tokens": 100},
    }
    return usage_file(tmp_path, [call, call])


# gpt-4.1 per 1M tokens: $2 input, $8 output, so the two calls cost 2 x (0.002 + 0.0008)
PRICED = 2 * (1000 * 2 + 100 * 8) / 1e6


def test_an_openai_costs_export_is_compared_per_model_and_month(tmp_path):
    usage = openai_usage(tmp_path)
    bill = tmp_path / "costs.csv"
    nov = int(dt.datetime(2026, 11, 1, tzinfo=dt.UTC).timestamp())
    bill.write_text(
        "start_time,end_time,amount_value,currency,line_item,project_id\n"
        f'{nov},{nov + 86400},0.004,usd,"gpt-4.1-2025-04-14, input",p\n'
        f'{nov},{nov + 86400},0.0016,usd,"evals | gpt-4.1-2025-04-14, output",p\n'
        f"{nov},{nov + 86400},0.25,usd,web search tool calls,p\n"
        f'{nov},{nov + 86400},0.10,usd,"gpt-4o-mini-2024-07-18, input",p\n'
    )
    r = LIBRARY.reconcile_bill(usage, bill)
    assert r.bill_format == "openai-costs"
    by_model = {g.model: g for g in r.groups}
    same = by_model["openai:gpt-4.1"]
    assert same.costline_usd == pytest.approx(PRICED) and same.billed_usd == pytest.approx(0.0056)
    assert same.difference_usd == pytest.approx(0) and not same.flagged
    # billed but not in the usage: flagged, one-sided
    missed = by_model["openai:gpt-4o-mini"]
    assert (
        missed.costline_usd is None and missed.billed_usd == pytest.approx(0.10) and missed.flagged
    )
    (tool,) = r.not_compared
    assert (tool.description, tool.month, tool.usd) == ("web search tool calls", "2026-11", 0.25)


def test_anthropic_amounts_are_in_cents_and_focus_in_its_billed_cost(tmp_path):
    usage = openai_usage(tmp_path)
    report = tmp_path / "cost_report.json"
    report.write_text(
        json.dumps(
            {
                "data": [
                    {
                        "starting_at": "2026-11-03T00:00:00Z",
                        "results": [
                            {"amount": "250.0", "currency": "USD", "model": "claude-sonnet-4-5"}
                        ],
                    }
                ]
            }
        )
    )
    (group,) = [g for g in LIBRARY.reconcile_bill(usage, report).groups if g.billed_usd]
    assert (group.model, group.billed_usd) == ("anthropic:claude-sonnet-4-5", 2.5)
    focus = tmp_path / "focus.csv"
    focus.write_text(
        "BilledCost,EffectiveCost,BillingCurrency,ChargePeriodStart,ServiceProviderName,"
        "SkuId,SkuPriceDetails\n"
        # the billed cost, not the effective one, is the invoice's
        f"{PRICED * 1.2},0.0,USD,2026-11-01T00:00:00Z,OpenAI,gpt-4.1-2025-04-14,"
        '"{""ModelId"": ""gpt-4.1""}"\n'
    )
    (group,) = LIBRARY.reconcile_bill(usage, focus).groups
    assert group.billed_usd == pytest.approx(PRICED * 1.2)
    assert group.difference_share == pytest.approx(1 / 1.2 - 1) and group.flagged


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("a,b\n1,2\n", "not a bill costline reads"),
        (
            "BilledCost,BillingCurrency,ChargePeriodStart,SkuId\n1.0,EUR,2026-11-01,gpt-4.1\n",
            "line 2: costline compares USD; this charge is in EUR",
        ),
        (
            "BilledCost,BillingCurrency,ChargePeriodStart,SkuId\nlots,USD,2026-11-01,gpt-4.1\n",
            "line 2: expected an amount, got 'lots'",
        ),
        (
            "BilledCost,BillingCurrency,ChargePeriodStart,SkuId\n1,USD,someday,gpt-4.1\n",
            "line 2: expected a date or time, got 'someday'",
        ),
        ('{"data": [{"results": [1]}]}', "data[0].results[0]: expected a result object"),
        ('{"data": [{"starting_at": "2026-11-01", "results": [{"amount": null}]}]}', "got none"),
        ("BilledCost,BillingCurrency,ChargePeriodStart,SkuId\n1e400,USD,2026-11-01,x\n", "up to"),
        (
            "start_time,amount_value,currency,line_item\n"
            '99999999999999999,1,usd,"gpt-4.1, input"\n',
            "expected a date or time",
        ),
        ('{"a": 1}\n{"a": 2}\n', "one JSON object a line, as request logs do"),
    ],
)
def test_a_bill_costline_cannot_read_is_named_with_its_line(tmp_path, text, message):
    bill = tmp_path / ("bill.json" if text.startswith("{") else "bill.csv")
    bill.write_text(text)
    with pytest.raises(InputError, match=message.replace("[", r"\[").replace("]", r"\]")):
        LIBRARY.reconcile_bill(openai_usage(tmp_path), bill)


def test_the_shipped_bills_reconcile_with_the_shipped_logs(tmp_path):
    runner = CliRunner()
    for log, bill, flagged in (
        ("openai.jsonl", "openai-costs.csv", {("openai:gpt-4o-mini", "2026-11")}),
        ("openai.jsonl", "focus.csv", set()),
        (
            "anthropic.jsonl",
            "anthropic-cost-report.json",
            {("anthropic:claude-sonnet-4-5", "2026-10")},
        ),
    ):
        out = tmp_path / f"{log}-{bill}.parquet"
        assert (
            runner.invoke(app, ["ingest", str(EXAMPLES / "logs" / log), "-o", str(out)]).exit_code
            == 0
        )
        shown = runner.invoke(
            app,
            ["reconcile", str(out), "--bill", str(EXAMPLES / "bills" / bill), "--format", "json"],
        )
        assert shown.exit_code == 0, shown.output
        groups = json.loads(shown.output)["groups"]
        assert {(g["model"], g["month"]) for g in groups if g["flagged"]} == flagged, bill


def test_a_usage_file_missing_a_column_is_named(tmp_path):
    import duckdb

    usage = openai_usage(tmp_path)
    trimmed = tmp_path / "trimmed.parquet"
    meta = "(SELECT decode(value) FROM parquet_kv_metadata('" + str(usage) + "') LIMIT 1)"
    con = duckdb.connect()
    kv = con.execute(meta).fetchone()[0]
    con.execute(
        f"COPY (SELECT * EXCLUDE (logged_cost_usd) FROM read_parquet('{usage}')) TO '{trimmed}' "
        "(FORMAT parquet, KV_METADATA {costline_ingest: $$" + kv + "$$})"
    )
    con.close()
    with pytest.raises(InputError, match=r"lacks the column.*logged_cost_usd"):
        LIBRARY.reconcile(trimmed)
    with pytest.raises(InputError, match=r"lacks the column.*logged_cost_usd"):
        LIBRARY.usage(str(trimmed))
