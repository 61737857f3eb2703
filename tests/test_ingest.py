"""Ingesting pilot logs: each provider's convention for cached tokens, agreement with
genai-prices' own `calc_price` row by row, and bad rows counted with their file and line,
never lost."""

from __future__ import annotations

import csv
import datetime as dt
import json
from decimal import Decimal
from pathlib import Path

import duckdb
import genai_prices
import pytest
from genai_prices import Usage
from hypothesis import given, settings
from hypothesis import strategies as st

from costline.catalog.prices import context_of
from costline.errors import InputError
from costline.ingest.discovery import expand
from costline.ingest.pipeline import ingest
from costline.ingest.synthetic import GENERIC_MAPPING, write_logs
from costline.scenario.common import PriceOverride


def rows(path: Path) -> list[dict]:
    con = duckdb.connect()
    try:
        cursor = con.execute(f"SELECT * FROM read_parquet('{path}') ORDER BY source_file, line")
        names = [d[0] for d in cursor.description]
        return [dict(zip(names, r, strict=True)) for r in cursor.fetchall()]
    finally:
        con.close()


def write_jsonl(path: Path, records: list[object]) -> Path:
    path.write_text("".join((r if isinstance(r, str) else json.dumps(r)) + "\n" for r in records))
    return path


def reference(row: dict) -> Decimal:
    """genai-prices' price of one priced row."""
    usage = Usage(
        input_tokens=row["input_tokens"],
        cache_read_tokens=row["cache_read_tokens"],
        cache_write_tokens=row["cache_write_tokens"],
        output_tokens=row["output_tokens"],
        web_searches=row.get("web_searches") or None,
    )
    return genai_prices.calc_price(
        usage,
        row["model"],
        provider_id=row["provider"],
        genai_request_timestamp=row["ts"].replace(tzinfo=dt.UTC),
        price_context=context_of(row["service_tier"]),
    ).total_price


def test_openai_prompt_tokens_include_the_cached_ones(tmp_path):
    log = write_jsonl(
        tmp_path / "chat.jsonl",
        [
            {
                "object": "chat.completion",
                "created": 1767225600,
                "model": "gpt-4o",
                "usage": {
                    "prompt_tokens": 1000,
                    "completion_tokens": 100,
                    "prompt_tokens_details": {"cached_tokens": 400},
                },
            }
        ],
    )
    ingest([str(log)], tmp_path / "u.parquet")
    (row,) = rows(tmp_path / "u.parquet")
    assert (row["input_tokens"], row["cache_read_tokens"]) == (1000, 400)
    # gpt-4o: $2.50 input, $1.25 cached, $10 output per 1M
    assert row["cost_usd"] == pytest.approx((600 * 2.5 + 400 * 1.25 + 100 * 10) / 1e6)


def test_anthropic_input_tokens_exclude_cache_reads_and_writes(tmp_path):
    log = write_jsonl(
        tmp_path / "messages.jsonl",
        [
            {
                "type": "message",
                "model": "claude-sonnet-4-5",
                "timestamp": "2026-01-05T10:00:00Z",
                "usage": {
                    "input_tokens": 300,
                    "output_tokens": 100,
                    "cache_read_input_tokens": 2000,
                    "cache_creation_input_tokens": 100,
                },
            }
        ],
    )
    ingest([str(log)], tmp_path / "u.parquet")
    (row,) = rows(tmp_path / "u.parquet")
    assert (row["input_tokens"], row["cache_read_tokens"], row["cache_write_tokens"]) == (
        2400,
        2000,
        100,
    )
    # Sonnet 4.5: $3 input, $0.30 cache read, $3.75 cache write, $15 output per 1M
    expected = (300 * 3 + 2000 * 0.3 + 100 * 3.75 + 100 * 15) / 1e6
    assert row["cost_usd"] == pytest.approx(expected)
    # each line on its own: uncached input, cache reads and writes, output
    assert row["input_cost_usd"] == pytest.approx(300 * 3 / 1e6)
    assert row["cached_input_cost_usd"] == pytest.approx((2000 * 0.3 + 100 * 3.75) / 1e6)
    assert row["output_cost_usd"] == pytest.approx(100 * 15 / 1e6)


def test_responses_and_otel_spans_and_litellm_logs(tmp_path):
    responses = write_jsonl(
        tmp_path / "responses.jsonl",
        [
            {
                "object": "response",
                "created_at": 1767225600,
                "model": "gpt-4.1-mini",
                "usage": {
                    "input_tokens": 2000,
                    "output_tokens": 50,
                    "input_tokens_details": {"cached_tokens": 1000},
                },
            }
        ],
    )
    otel = write_jsonl(
        tmp_path / "spans.jsonl",
        [
            {
                "name": "chat gpt-4o",
                "trace_id": "t1",
                "start_time": "2026-01-01T12:00:00Z",
                "attributes": {
                    "gen_ai.provider.name": "openai",
                    "gen_ai.request.model": "gpt-4o",
                    "gen_ai.usage.input_tokens": 1000,
                    "gen_ai.usage.output_tokens": 100,
                    "user.id": "u1",
                },
            },
            {"name": "db query", "trace_id": "t1", "attributes": {"db.system": "postgres"}},
        ],
    )
    otlp = write_jsonl(
        tmp_path / "otlp.jsonl",
        [
            {
                "resourceSpans": [
                    {
                        "scopeSpans": [
                            {
                                "spans": [
                                    {
                                        "name": "chat",
                                        "startTimeUnixNano": "1767268800000000000",
                                        "attributes": [
                                            {
                                                "key": "gen_ai.system",
                                                "value": {"stringValue": "openai"},
                                            },
                                            {
                                                "key": "gen_ai.response.model",
                                                "value": {"stringValue": "gpt-4o"},
                                            },
                                            {
                                                "key": "gen_ai.usage.input_tokens",
                                                "value": {"intValue": "1000"},
                                            },
                                            {
                                                "key": "gen_ai.usage.output_tokens",
                                                "value": {"intValue": "100"},
                                            },
                                        ],
                                    }
                                ]
                            }
                        ]
                    }
                ]
            }
        ],
    )
    litellm = tmp_path / "spend.csv"
    litellm.write_text(
        "request_id,startTime,model,custom_llm_provider,prompt_tokens,completion_tokens,spend,user\n"
        "r1,2026-01-01 12:00:00,gpt-4o,openai,1000,100,0.0035,u9\n"
    )
    for path in (responses, otel, otlp, litellm):
        summary = ingest([str(path)], tmp_path / f"{path.stem}.parquet")
        assert summary.rows_priced == 1, (path, summary)
    (r,) = rows(tmp_path / "responses.parquet")
    assert r["cost_usd"] == pytest.approx((1000 * 0.4 + 1000 * 0.1 + 50 * 1.6) / 1e6)
    gpt4o = (1000 * 2.5 + 100 * 10) / 1e6
    for name in ("spans", "otlp", "spend"):
        (r,) = rows(tmp_path / f"{name}.parquet")
        assert r["cost_usd"] == pytest.approx(gpt4o), name
    assert ingest([str(otel)], tmp_path / "o.parquet").records_skipped == 1
    (r,) = rows(tmp_path / "spend.parquet")
    assert r["logged_cost_usd"] == 0.0035 and r["user_id"] == "u9"


@pytest.mark.parametrize("fmt", ["parquet", "openai-chat", "anthropic"])
def test_every_row_agrees_with_genai_prices_calc_price(tmp_path, fmt):
    # 2024-06 to 2026-11: price changes, long-context tiers, off-peak hours, a flex tier
    log = write_logs(
        tmp_path / f"logs.{'parquet' if fmt == 'parquet' else 'jsonl'}",
        fmt,
        6000 if fmt != "parquet" else 1500,  # anthropic: 2 of the 8 models
        seed=11,
        start="2024-06-01",
        days=900,
        long_context_share=0.15,
    )
    mapping = GENERIC_MAPPING if fmt == "parquet" else None
    summary = ingest([str(log)], tmp_path / "u.parquet", mapping=mapping)
    priced = rows(tmp_path / "u.parquet")
    assert summary.rows_rejected == 0, summary.rejected_by_reason
    assert len(priced) >= 1000
    if fmt == "parquet":
        assert {r["provider"] for r in priced} == {"openai", "anthropic", "google", "deepseek"}
    assert any(r["input_tokens"] > 200_000 for r in priced)
    assert any(r["cache_read_tokens"] > 0 for r in priced)
    for row in priced:
        expected = reference(row)
        assert row["cost_usd"] == pytest.approx(float(expected), rel=1e-9, abs=1e-15), row
        lines = sum(
            row[f"{part}_cost_usd"] for part in ("input", "cached_input", "output", "request")
        )
        assert lines == pytest.approx(row["cost_usd"], rel=1e-9, abs=1e-15)


def test_bad_rows_are_counted_by_reason_with_file_and_line(tmp_path):
    good = {
        "object": "chat.completion",
        "created": 1767225600,
        "model": "gpt-4o",
        "usage": {"prompt_tokens": 10, "completion_tokens": 5},
    }
    log = write_jsonl(
        tmp_path / "chat.jsonl",
        [
            good,
            "{not json",
            "",
            {**good, "usage": {"prompt_tokens": -3, "completion_tokens": 5}},
            {**good, "usage": {"prompt_tokens": "many", "completion_tokens": 5}},
            {**good, "usage": {"completion_tokens": 5}},
            {**good, "model": "gpt-99-imaginary"},
            {**good, "created": "yesterday-ish"},
            {
                **good,
                "usage": {
                    "prompt_tokens": 10,
                    "completion_tokens": 5,
                    "prompt_tokens_details": {"cached_tokens": 50},
                },
            },
            {k: v for k, v in good.items() if k != "model"},
        ],
    )
    summary = ingest([str(log)], tmp_path / "u.parquet")
    assert summary.rows_priced == 1
    assert summary.rejected_by_reason == {
        "malformed JSON": 1,
        "negative token count": 1,
        "non-numeric token count": 1,
        "missing input tokens": 1,
        "unknown model": 1,
        "unparseable timestamp": 1,
        "cached tokens exceed input tokens": 1,
        "missing model": 1,
    }
    assert summary.unknown_models == {"openai:gpt-99-imaginary": 1}
    # every record is priced or rejected: nothing silently lost
    assert summary.records_read == summary.rows_priced + summary.rows_rejected
    with open(summary.rejects) as handle:
        rejects = list(csv.DictReader(handle))
    assert [(r["line"], r["reason"]) for r in rejects] == [
        ("2", "malformed JSON"),
        ("4", "negative token count"),
        ("5", "non-numeric token count"),
        ("6", "missing input tokens"),
        ("7", "unknown model"),
        ("8", "unparseable timestamp"),
        ("9", "cached tokens exceed input tokens"),
        ("10", "missing model"),
    ]
    assert all(r["source_file"] == str(log) for r in rejects)


def test_an_override_prices_a_model_the_catalog_does_not_know(tmp_path):
    log = write_jsonl(
        tmp_path / "chat.jsonl",
        [
            {
                "object": "chat.completion",
                "created": 1767225600,
                "model": "our-finetune-7b",
                "usage": {"prompt_tokens": 1000, "completion_tokens": 100},
            }
        ],
    )
    overrides = {
        "our-finetune-7b": PriceOverride(
            name="our-finetune-7b", input_usd_per_mtok=0.5, output_usd_per_mtok=1.5
        )
    }
    summary = ingest([str(log)], tmp_path / "u.parquet", overrides=overrides)
    (row,) = rows(tmp_path / "u.parquet")
    assert row["cost_usd"] == pytest.approx((1000 * 0.5 + 100 * 1.5) / 1e6)
    assert summary.priced_by_override == ["our-finetune-7b"]


def test_a_run_never_writes_over_its_input(tmp_path):
    log = write_logs(tmp_path / "logs.parquet", "parquet", 10)
    before = log.read_bytes()
    with pytest.raises(InputError, match="is one of the input files"):
        ingest([str(log)], log, mapping=GENERIC_MAPPING)
    assert log.read_bytes() == before


def test_globs_and_missing_files(tmp_path):
    for k in range(2):
        write_logs(tmp_path / f"part-{k}.jsonl", "openai-chat", 20, seed=k)
    files = expand([str(tmp_path / "part-*.jsonl")])
    assert [Path(f).name for f in files] == ["part-0.jsonl", "part-1.jsonl"]
    summary = ingest(files, tmp_path / "u.parquet")
    assert summary.rows_priced == sum(
        1 for f in files for line in Path(f).read_text().splitlines() if line
    )
    with pytest.raises(InputError, match="no file matches"):
        expand([str(tmp_path / "nothing-*.jsonl")])


def test_ingest_usage_and_fit_from_the_command_line(tmp_path):
    from typer.testing import CliRunner

    from costline.cli import app

    runner = CliRunner()
    logs = write_logs(
        tmp_path / "march.jsonl", "openai-chat", 20_000, seed=4, start="2026-03-01", days=31
    )
    out = tmp_path / "usage.parquet"
    result = runner.invoke(app, ["ingest", str(logs), "--out", str(out), "--json"])
    assert result.exit_code == 0, result.output
    ingested = json.loads(result.output)
    assert ingested["rows_rejected"] == 0 and ingested["formats"] == {"openai-chat": [str(logs)]}

    for by in ("model", "user", "day", "month"):
        for fmt in ("terminal", "markdown", "json"):
            shown = runner.invoke(app, ["usage", str(out), "--by", by, "--format", fmt])
            assert shown.exit_code == 0, (by, fmt, shown.output)
    by_model = json.loads(
        runner.invoke(app, ["usage", str(out), "--by", "model", "--format", "json"]).output
    )
    assert {g["key"] for g in by_model["groups"]} == {
        "openai:gpt-4o",
        "openai:gpt-4o-mini",
        "openai:gpt-4.1",
        "openai:o3",
    }
    result = runner.invoke(app, ["usage", str(out), "--by", "feature", "--format", "json"])
    assert result.exit_code == 0, result.output
    usage = json.loads(result.output)
    for key in ("rows_priced", "rows_rejected", "rejected_by_reason", "total_cost_usd"):
        assert key in usage
    assert usage["total_cost_usd"] == pytest.approx(ingested["total_cost_usd"])
    group = usage["groups"][0]
    for key in ("queries", "cost_usd", "cost_per_query_median", "cost_per_query_p95"):
        assert key in group
    assert sum(g["queries"] for g in usage["groups"]) == usage["rows_priced"]
    # the p95 of a group is its calls' own 95th percentile
    con = duckdb.connect()
    p95 = con.execute(
        f"SELECT quantile_cont(cost_usd, 0.95) FROM '{out}' WHERE feature = ?", [group["key"]]
    ).fetchone()[0]
    con.close()
    assert group["cost_per_query_p95"] == pytest.approx(p95)

    plans = tmp_path / "plans.yaml"
    plans.write_text("plans:\n  - {name: pro, price_usd_per_month: 20, share: 1}\n")
    scenario = tmp_path / "fitted.yaml"
    result = runner.invoke(
        app, ["fit", str(out), "--plans", str(plans), "-o", str(scenario), "--as-of", "2026-11-26"]
    )
    assert result.exit_code == 0, result.output
    again = runner.invoke(app, ["fit", str(out), "-o", str(scenario)])
    assert again.exit_code == 2 and "exists" in again.output


def test_a_fitted_scenario_reproduces_the_observed_monthly_cost(tmp_path):
    from costline.ingest.fit import fit
    from costline.scenario.load import parse_scenario

    from .conftest import LIBRARY

    logs = write_logs(
        tmp_path / "logs.parquet", "parquet", 100_000, seed=9, start="2026-04-01", days=30
    )
    out = tmp_path / "usage.parquet"
    ingest([str(logs)], out, mapping=GENERIC_MAPPING)
    fitted = fit(str(out))
    data = {**fitted["scenario"], "plans": [{"name": "all", "price_usd_per_month": 10, "share": 1}]}
    scenario = parse_scenario(json.dumps(data), "json")
    assert scenario.users.start == 1000 and scenario.start == "2026-04"
    result = LIBRARY.run(scenario, samples=50_000, users=2_000)
    observed = fitted["observed"]["cost_usd"]
    assert result.timeline[0].inference_cost_usd == pytest.approx(observed, rel=0.05)
    # every feature of the logs is there, with its model mix as a routing split
    names = {f.name for f in scenario.features}
    assert {"chat", "summary", "search", "draft"} <= {n.split(" [")[0] for n in names}
    assert all(f.routing is not None for f in scenario.features if " [" not in f.name)


def test_fit_chooses_the_last_complete_month_and_warns_of_a_partial_one(tmp_path):
    from costline.ingest.fit import fit

    # 2026-04-01 to 2026-05-06: April whole, six days of May
    logs = write_logs(
        tmp_path / "logs.parquet", "parquet", 40_000, seed=3, start="2026-04-01", days=36
    )
    out = tmp_path / "usage.parquet"
    ingest([str(logs)], out, mapping=GENERIC_MAPPING)
    chosen = fit(str(out))["observed"]
    assert chosen["months_in_file"] == ["2026-04", "2026-05"]
    assert chosen["month"] == "2026-04" and chosen["warnings"] == []
    may = fit(str(out), month="2026-05")["observed"]
    (partial,) = [w for w in may["warnings"] if "partial month" in w]
    assert "from 2026-05-01 to 2026-05-06 (6 of 31 days)" in partial


def test_fit_warns_of_a_small_sample(tmp_path):
    from costline.ingest.fit import fit

    logs = write_logs(tmp_path / "l.parquet", "parquet", 300, seed=3, start="2026-04-01", days=30)
    out = tmp_path / "usage.parquet"
    ingest([str(logs)], out, mapping=GENERIC_MAPPING)
    observed = fit(str(out))["observed"]
    (small,) = observed["warnings"]
    assert small.startswith(f"small sample: {observed['calls']:,} calls from ")


def test_fit_needs_user_ids_and_a_usage_file(tmp_path):
    from costline.ingest.fit import fit

    log = write_jsonl(
        tmp_path / "chat.jsonl",
        [
            {
                "object": "chat.completion",
                "created": 1767225600,
                "model": "gpt-4o",
                "usage": {"prompt_tokens": 10, "completion_tokens": 5},
            }
        ],
    )
    ingest([str(log)], tmp_path / "u.parquet")
    with pytest.raises(InputError, match="no row has a user id"):
        fit(str(tmp_path / "u.parquet"))


def test_csv_rows_of_the_wrong_shape_are_rejected_with_their_line(tmp_path):
    log = tmp_path / "calls.csv"
    good = "2026-05-01 10:00:00,u1,openai,gpt-4o,30,10"
    log.write_text(
        "ts,user,provider,model,input_tokens,output_tokens\n"
        + "\n".join(
            [
                good,  # line 2
                "2026-05-01 10:00:00,u1,openai,gpt-4o,-3,10",  # 3: negative
                "2026-05-01 10:00:00,u1,openai,gpt-4o,30",  # 4: a field short
                "2026-05-01 10:00:00,u1,openai,gpt-4o,30,10,extra",  # 5: a field too many
                good,  # 6
                "yesterday,u1,openai,gpt-4o,30,10",  # 7: bad time
                good,  # 8
            ]
        )
        + "\n"
    )
    mapping = {
        "timestamp": ["ts"],
        "user": ["user"],
        "provider": ["provider"],
        "model": ["model"],
        "input_tokens": ["input_tokens"],
        "output_tokens": ["output_tokens"],
    }
    summary = ingest([str(log)], tmp_path / "u.parquet", mapping=mapping)
    assert [r["line"] for r in rows(tmp_path / "u.parquet")] == [2, 6, 8]
    with open(summary.rejects) as handle:
        rejects = [(int(r["line"]), r["reason"]) for r in csv.DictReader(handle)]
    assert sorted(rejects) == [
        (3, "negative token count"),
        (4, "malformed CSV row"),
        (5, "malformed CSV row"),
        (7, "unparseable timestamp"),
    ]
    assert summary.records_read == 7
    with pytest.raises(InputError, match="exists"):
        ingest([str(log)], tmp_path / "u.parquet", mapping=mapping, force=False)


def test_usage_prices_raw_logs_on_the_fly_and_counts_what_it_rejects(tmp_path):
    from costline.ingest.usage import usage_report

    good = {
        "object": "chat.completion",
        "created": 1767225600,
        "model": "gpt-4o",
        "usage": {"prompt_tokens": 1000, "completion_tokens": 100},
        "metadata": {"user_id": "u1", "feature": "chat"},
    }
    log = write_jsonl(
        tmp_path / "raw.jsonl",
        [good, good, "{broken", {**good, "model": "gpt-99-imaginary"}, {**good, "usage": {}}],
    )
    s = usage_report([str(log)], "feature")
    assert s.rows_priced == 2
    assert s.rejected_by_reason == {
        "malformed JSON": 1,
        "missing input tokens": 1,
        "unknown model": 1,
    }
    assert s.unknown_models == {"openai:gpt-99-imaginary": 1}
    assert s.total_cost_usd == pytest.approx(2 * (1000 * 2.5 + 100 * 10) / 1e6)
    assert s.groups[0].key == "chat" and s.users == 1


def test_a_prices_file_gives_the_scenario_s_own_price_type(tmp_path):
    from costline.errors import InputError
    from costline.ingest.options import prices_from

    good = tmp_path / "prices.yaml"
    good.write_text(
        "models:\n  our-finetune-7b: {input_usd_per_mtok: 0.5, output_usd_per_mtok: 1.5,"
        " source: contract 2026-10}\n"
    )
    (price,) = prices_from(good).values()
    assert price == PriceOverride(
        name="our-finetune-7b",
        input_usd_per_mtok=0.5,
        output_usd_per_mtok=1.5,
        source="contract 2026-10",
    )
    for body, where in (
        ("models:\n  m: {input_usd_per_mtok: -1, output_usd_per_mtok: 1}\n", "models.m.input"),
        (
            "models:\n  m: {input_usd_per_mtok: 1, output_usd_per_mtok: 1, cost: 2}\n",
            "models.m.cost",
        ),
        (
            "models:\n  m: {name: x, input_usd_per_mtok: 1, output_usd_per_mtok: 1}\n",
            "models.m.name",
        ),
    ):
        bad = tmp_path / "bad.yaml"
        bad.write_text(body)
        with pytest.raises(InputError) as err:
            prices_from(bad)
        assert str(err.value).startswith(f"{bad}: {where}"), str(err.value)


def test_the_shipped_parquet_export_prices_as_its_csv_does(tmp_path):
    # the same 200 calls as examples/logs/export.csv, typed (timestamp, BIGINT tokens)
    logs = Path(__file__).parent.parent / "examples" / "logs"
    mapping = {
        "timestamp": ["ts"],
        "model": ["model"],
        "input_tokens": ["prompt"],
        "output_tokens": ["completion"],
    }
    from_parquet = ingest([str(logs / "export.parquet")], tmp_path / "p.parquet", mapping=mapping)
    from_csv = ingest([str(logs / "export.csv")], tmp_path / "c.parquet", mapping=mapping)
    assert from_parquet.rows_priced == from_csv.rows_priced == 200
    assert from_parquet.rows_rejected == 0
    assert from_parquet.total_cost_usd == pytest.approx(from_csv.total_cost_usd, rel=1e-12)
    priced = rows(tmp_path / "p.parquet")
    assert sum(reference(r) for r in priced) == pytest.approx(
        Decimal(str(from_parquet.total_cost_usd)), rel=Decimal("1e-9")
    )


def test_a_token_count_past_any_context_window_is_rejected_not_a_crash(tmp_path):
    good = {
        "id": "a",
        "object": "chat.completion",
        "created": 1796047247,
        "model": "gpt-4.1",
        "usage": {"prompt_tokens": 1000, "completion_tokens": 5},
    }
    huge = [
        {**good, "usage": {"prompt_tokens": count, "completion_tokens": 5}}
        for count in (1e20, 1e300, 9007199254740993)
    ]
    log = write_jsonl(tmp_path / "huge.jsonl", [good, *huge])
    summary = ingest([str(log)], tmp_path / "u.parquet")
    assert summary.rows_priced == 1
    assert summary.rejected_by_reason == {"token count too large": 3}
    with open(summary.rejects, newline="") as f:
        assert [row["line"] for row in csv.DictReader(f)] == ["2", "3", "4"]
    # NaN and infinity are not counts at all, large or small
    odd = [{**good, "usage": {"prompt_tokens": v, "completion_tokens": 5}} for v in ("NaN", "inf")]
    log = write_jsonl(tmp_path / "odd.jsonl", [good, *odd])
    summary = ingest([str(log)], tmp_path / "odd.parquet")
    assert summary.rejected_by_reason == {"non-numeric token count": 2}


# -- today's fields (issue 17): each convention, priced as genai-prices prices it ----------

_NOV = 1796047247  # 2026-11-30, when the GPT-5.6 family bills cache writes


def _one_row(tmp_path, record: dict, name: str = "log") -> dict:
    log = write_jsonl(tmp_path / f"{name}.jsonl", [record])
    summary = ingest([str(log)], tmp_path / f"{name}.parquet")
    assert summary.rows_priced == 1, summary
    (row,) = rows(tmp_path / f"{name}.parquet")
    assert row["cost_usd"] == pytest.approx(float(reference(row)), rel=1e-12)
    return row


def test_openai_cache_writes_are_read_inside_the_prompt_and_billed(tmp_path):
    usage = {"prompt_tokens": 10000, "completion_tokens": 500}
    details = {"cached_tokens": 2000, "cache_write_tokens": 3000}
    chat = {"object": "chat.completion", "created": _NOV, "model": "gpt-5.6-sol"}
    row = _one_row(tmp_path, chat | {"usage": usage | {"prompt_tokens_details": details}})
    assert (row["input_tokens"], row["cache_read_tokens"], row["cache_write_tokens"]) == (
        10000,
        2000,
        3000,
    )
    # gpt-5.6-sol per 1M: $4 input, $0.40 cache read, $5 cache write (1.25x), $20 output
    assert row["cost_usd"] == pytest.approx((5000 * 4 + 2000 * 0.4 + 3000 * 5 + 500 * 20) / 1e6)
    responses = {
        "object": "response",
        "created_at": _NOV,
        "model": "gpt-5.6-sol",
        "usage": {
            "input_tokens": 10000,
            "output_tokens": 500,
            "input_tokens_details": details,
            # reasoning is inside output_tokens: never added again
            "output_tokens_details": {"reasoning_tokens": 300},
        },
    }
    again = _one_row(tmp_path, responses, "responses")
    assert again["cost_usd"] == pytest.approx(row["cost_usd"])
    assert again["output_tokens"] == 500


def test_openrouter_is_priced_at_openrouter_and_keeps_its_cost(tmp_path):
    record = {
        "id": "gen-1",
        "provider": "OpenAI",  # the upstream vendor, not whose price applies
        "model": "openai/gpt-5.6-sol",
        "object": "chat.completion",
        "created": _NOV,
        "usage": {
            "prompt_tokens": 10000,
            "completion_tokens": 500,
            "cost": 0.05,
            "prompt_tokens_details": {"cached_tokens": 2000, "cache_write_tokens": 3000},
            "completion_tokens_details": {"reasoning_tokens": 200},
        },
    }
    row = _one_row(tmp_path, record)
    assert (row["provider"], row["model"]) == ("openrouter", "openai/gpt-5.6-sol")
    assert row["cache_write_tokens"] == 3000 and row["output_tokens"] == 500
    assert row["logged_cost_usd"] == 0.05


def test_otel_reads_the_renamed_cache_write_the_current_tier_and_a_cost(tmp_path):
    span = {
        "name": "chat gpt-5.6-sol",
        "trace_id": "t1",
        "start_time": "2026-11-30T12:00:00Z",
        "attributes": {
            "gen_ai.provider.name": "openai",
            "gen_ai.request.model": "gpt-5.6-sol",
            "gen_ai.usage.input_tokens": 10000,
            "gen_ai.usage.output_tokens": 500,
            "gen_ai.usage.cache_read.input_tokens": 2000,
            "gen_ai.usage.cache_write.input_tokens": 3000,
            "gen_ai.usage.reasoning.output_tokens": 300,
            "openai.response.service_tier": "flex",
            "gen_ai.usage.cost.amount": 0.02,
        },
    }
    row = _one_row(tmp_path, span)
    assert (row["cache_read_tokens"], row["cache_write_tokens"]) == (2000, 3000)
    assert row["service_tier"] == "flex" and row["output_tokens"] == 500
    assert row["logged_cost_usd"] == 0.02
    # the older attribute names still read
    old = dict(span["attributes"])
    old["gen_ai.usage.cache_creation.input_tokens"] = old.pop(
        "gen_ai.usage.cache_write.input_tokens"
    )
    old["gen_ai.openai.response.service_tier"] = old.pop("openai.response.service_tier")
    before = _one_row(tmp_path, span | {"attributes": old}, "old")
    assert before["cost_usd"] == pytest.approx(row["cost_usd"])


def test_litellm_reads_cache_writes_from_its_usage_object(tmp_path):
    record = {
        "request_id": "r1",
        "startTime": "2026-11-30 12:00:00",
        "model": "claude-sonnet-4-5",
        "custom_llm_provider": "anthropic",
        "prompt_tokens": 2400,
        "completion_tokens": 100,
        "spend": 0.004,
        "metadata": {
            "usage_object": {
                "prompt_tokens_details": {"cached_tokens": 2000, "cache_creation_tokens": 100}
            }
        },
    }
    row = _one_row(tmp_path, record)
    assert (row["cache_read_tokens"], row["cache_write_tokens"]) == (2000, 100)


def test_an_ingest_that_prices_nothing_writes_no_usage_file_and_keeps_an_old_one(tmp_path):
    from typer.testing import CliRunner

    from costline.cli import app

    bad = {"object": "chat.completion", "created": _NOV, "model": "no-such-model"}
    log = write_jsonl(
        tmp_path / "bad.jsonl", [bad | {"usage": {"prompt_tokens": 1, "completion_tokens": 1}}]
    )
    out = tmp_path / "u.parquet"
    summary = ingest([str(log)], out)
    assert summary.rows_priced == 0 and summary.output == ""
    assert not out.exists()
    assert (tmp_path / "u.rejects.csv").exists()  # why, line by line
    # an earlier usage file the user asked to replace is not replaced by nothing
    out.write_bytes(b"earlier")
    result = CliRunner().invoke(app, ["ingest", str(log), "-o", str(out), "--force"])
    assert result.exit_code == 2
    assert out.read_bytes() == b"earlier"
    assert "Next:" not in result.output and "no usage file was written" in result.output


def test_web_searches_are_a_per_request_fee_priced_by_the_catalog(tmp_path):
    response = {
        "object": "response",
        "created_at": _NOV,
        "model": "gpt-5.6-sol",
        "usage": {"input_tokens": 1000, "output_tokens": 100},
        # OpenAI: one output item per search, among the message items
        "output": [
            {"type": "web_search_call", "action": {"type": "search"}},
            {"type": "message"},
            {"type": "web_search_call", "action": {"type": "search"}},
        ],
    }
    row = _one_row(tmp_path, response)
    assert row["web_searches"] == 2
    # gpt-5.6-sol: $10 per 1K web searches on top of $4 in / $20 out per 1M tokens
    assert row["request_cost_usd"] == pytest.approx(2 * 10 / 1000)
    assert row["cost_usd"] == pytest.approx((1000 * 4 + 100 * 20) / 1e6 + 0.02)
    none = _one_row(tmp_path, {**response, "output": [{"type": "message"}]}, "none")
    assert none["web_searches"] == 0 and none["request_cost_usd"] == 0
    message = {
        "type": "message",
        "model": "claude-sonnet-4-5",
        "timestamp": "2026-11-20T10:00:00Z",
        "usage": {
            "input_tokens": 500,
            "output_tokens": 50,
            "server_tool_use": {"web_search_requests": 3},
        },
    }
    anthropic = _one_row(tmp_path, message, "anthropic")
    assert anthropic["web_searches"] == 3
    assert anthropic["request_cost_usd"] > 0  # Anthropic prices its web searches too


def test_a_timestamp_or_logged_cost_that_cannot_be_a_call_is_rejected(tmp_path):
    base = {"object": "chat.completion", "model": "gpt-4.1"}
    usage = {"prompt_tokens": 100, "completion_tokens": 5}
    records = [
        base | {"created": _NOV, "usage": usage},
        base | {"created": -1, "usage": usage},  # 1969
        base | {"created": 99999999999999999, "usage": usage},  # read as ns: 1973
        base | {"created": _NOV, "usage": usage | {"cost": -5}},
        base | {"created": _NOV, "usage": usage | {"cost": 1e300}},
    ]
    mapping = {
        "timestamp": ["$.created"],
        "model": ["$.model"],
        "input_tokens": ["$.usage.prompt_tokens"],
        "output_tokens": ["$.usage.completion_tokens"],
        "logged_cost_usd": ["$.usage.cost"],
    }
    log = write_jsonl(tmp_path / "odd.jsonl", records)
    summary = ingest([str(log)], tmp_path / "u.parquet", mapping=mapping)
    assert summary.rows_priced == 1
    assert summary.rejected_by_reason == {
        "timestamp out of range": 2,
        "implausible logged cost": 2,
    }


def _typed_parquet(path: Path, statistics: bool) -> Path:
    """A typed Parquet log with one good row and one row of each kind of bad value a typed
    column can hold, written with or without the column statistics ingest reads."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    good = (dt.datetime(2026, 3, 1, 12), 1000, 200)
    bad = {
        "negative token count": (dt.datetime(2026, 3, 1, 12), -5, 200),
        "token count too large": (dt.datetime(2026, 3, 1, 12), 1000, 10**13),
        "missing input tokens": (dt.datetime(2026, 3, 1, 12), None, 200),
        "missing timestamp": (None, 1000, 200),
        "timestamp out of range": (dt.datetime(2101, 1, 1), 1000, 200),
    }
    records = [good, *bad.values(), (dt.datetime(2014, 12, 31), 1000, 200)]
    table = pa.table(
        {
            "ts": pa.array([r[0] for r in records], pa.timestamp("us")),
            "model": ["gpt-4o-mini"] * len(records),
            "provider": ["openai"] * len(records),
            "input_tokens": pa.array([r[1] for r in records], pa.int64()),
            "output_tokens": pa.array([r[2] for r in records], pa.int64()),
        }
    )
    pq.write_table(table, path, write_statistics=statistics)
    return path


MAPPING = {
    "timestamp": ["ts"],
    "model": ["model"],
    "provider": ["provider"],
    "input_tokens": ["input_tokens"],
    "output_tokens": ["output_tokens"],
}


@pytest.mark.parametrize("statistics", [True, False])
def test_typed_parquet_rows_are_checked_whatever_the_files_statistics(tmp_path, statistics):
    log = _typed_parquet(tmp_path / "typed.parquet", statistics)
    summary = ingest([str(log)], tmp_path / "u.parquet", mapping=MAPPING)
    assert summary.rows_priced == 1
    assert summary.rejected_by_reason == {
        "timestamp out of range": 2,
        "missing input tokens": 1,
        "missing timestamp": 1,
        "negative token count": 1,
        "token count too large": 1,
    }
    with open(tmp_path / "u.rejects.csv", newline="") as f:
        lines = {int(r["line"]): r["reason"] for r in csv.DictReader(f)}
    assert lines == {
        2: "negative token count",
        3: "token count too large",
        4: "missing input tokens",
        5: "missing timestamp",
        6: "timestamp out of range",
        7: "timestamp out of range",
    }


def test_a_parquet_files_ranges_are_its_columns_least_and_greatest(tmp_path):
    from costline.ingest.readers import Range, parquet_ranges

    log = write_logs(tmp_path / "logs.parquet", "parquet", 5000, seed=4)
    columns = {"input_tokens": "input_tokens", "timestamp": "ts", "model": "model"}
    con = duckdb.connect()
    try:
        found = parquet_ranges(con, [str(log), str(log)], columns)
        low, high, first, last = con.execute(
            f"SELECT min(input_tokens), max(input_tokens), min(ts), max(ts) FROM '{log}'"
        ).fetchone()
    finally:
        con.close()
    # strings have no range read; counts and times have the data's own
    assert found == {
        "input_tokens": Range(float(low), float(high), 0),
        "timestamp": Range(first, last, 0),
    }
    unwritten = _typed_parquet(tmp_path / "bare.parquet", statistics=False)
    con = duckdb.connect()
    try:
        assert parquet_ranges(con, [str(unwritten)], {"input_tokens": "input_tokens"}) == {}
    finally:
        con.close()


_keys = st.sampled_from(["a", "b", "c", "A", "a-b", "usage"])
_scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-(10**25), 10**25),
    st.floats(allow_nan=False, allow_infinity=False),
    st.text(max_size=5),
)
_values = st.recursive(
    _scalars,
    lambda inner: st.one_of(st.lists(inner, max_size=3), st.dictionaries(_keys, inner, max_size=4)),
    max_leaves=12,
)
_paths = st.lists(
    st.sampled_from(
        ["$.a", "$.a.b", "$.a.b.c", "$.b", "$.a[0]", "$.a[0].b", '$."a-b"', "$.usage.a", "$.A"]
    ),
    min_size=1,
    max_size=5,
    unique=True,
)


@settings(max_examples=150, deadline=None)
@given(
    records=st.lists(st.one_of(_values, st.just("not json")), min_size=1, max_size=6), paths=_paths
)
def test_a_record_parsed_into_its_paths_reads_as_json_extract_string_does(records, paths):
    """The struct the JSON reader parses each line into gives every path's value as DuckDB's
    own `json_extract_string` of the line does, and the same lines are malformed."""
    from costline.ingest.readers import _json_shape, parsed_sql

    counted = {p for p in paths if p in ("$.a", "$.b")}
    shape, value_of, json_of = _json_shape(paths, counted)
    texts = [r if r == "not json" else json.dumps(r) for r in records]
    mine = ", ".join(value_of[p] for p in paths)
    counts = ", ".join(f"CAST({json_of[p]} AS VARCHAR)" for p in sorted(counted)) or "NULL"
    con = duckdb.connect()
    try:
        con.execute(
            "CREATE TABLE lines AS SELECT unnest(?::VARCHAR[]) AS text, unnest(range(?)) AS i",
            [texts, len(texts)],
        )
        parsed = parsed_sql(shape)
        ours = con.execute(
            f"SELECT s IS NULL AND NOT coalesce(json_valid(text), false), [{mine}], {counts} "
            f"FROM (SELECT *, {parsed} AS s FROM lines) ORDER BY i"
        ).fetchall()
        theirs = con.execute(
            "SELECT TRY(json_extract_string(text, ['$'])) IS NULL, "
            f"[{', '.join(f'TRY(json_extract_string(text, {p!r}))' for p in paths)}], "
            + (
                ", ".join(
                    f"CAST(TRY(json_extract(text, {p!r})) AS VARCHAR)" for p in sorted(counted)
                )
                or "NULL"
            )
            + " FROM lines ORDER BY i"
        ).fetchall()
    finally:
        con.close()
    for text, (bad, values, *arrays), (their_bad, their_values, *their_arrays) in zip(
        texts, ours, theirs, strict=True
    ):
        assert bad == their_bad, text
        if not bad:
            assert values == their_values, (text, shape)
            assert [a and json.loads(a) for a in arrays] == [
                a and json.loads(a) for a in their_arrays
            ], text


def test_a_json_line_longer_than_the_usual_is_read_on_a_second_try(tmp_path):
    from costline.ingest.readers import USUAL_LINE_BYTES

    call = {
        "created": 1751802547,
        "model": "gpt-4o-mini",
        "usage": {"prompt_tokens": 1000, "completion_tokens": 50},
    }
    # a logged request with a large attachment: longer than the first try reads
    long = {**call, "messages": [{"content": "x" * (USUAL_LINE_BYTES + 1024)}]}
    log = write_jsonl(tmp_path / "long.jsonl", [call, long, "not json", call])
    summary = ingest([str(log)], tmp_path / "u.parquet")
    assert (summary.rows_priced, summary.rejected_by_reason) == (3, {"malformed JSON": 1})
    assert [r["line"] for r in rows(tmp_path / "u.parquet")] == [1, 2, 4]


@pytest.mark.parametrize(
    ("limit", "expected"),
    [("2GB", 2e9), ("512MiB", 512 * 2**20), (" 1.5 gb ", 1.5e9), ("100MB", 1e8)],
)
def test_a_memory_limit_reads_as_bytes(limit, expected):
    from costline.ingest.session import memory_bytes

    assert memory_bytes(limit) == expected


@pytest.mark.parametrize(
    ("limit", "message"),
    [("5", "expected a memory size"), ("2 XB", "expected a memory size"), ("10MB", "at least")],
)
def test_a_memory_limit_that_is_no_size_is_refused(tmp_path, limit, message):
    from .conftest import EXAMPLES, LIBRARY

    with pytest.raises(InputError, match=message) as err:
        LIBRARY.ingest(
            EXAMPLES / "logs" / "openai.jsonl", tmp_path / "u.parquet", memory_limit=limit
        )
    assert err.value.field == "memory_limit"
    assert not (tmp_path / "u.parquet").exists()


def test_a_memory_limit_changes_no_figure(tmp_path):
    from .conftest import LIBRARY

    log = write_logs(tmp_path / "logs.parquet", "parquet", 300_000, seed=5)
    free = LIBRARY.usage(log, fields=GENERIC_MAPPING)
    bounded = LIBRARY.usage(log, fields=GENERIC_MAPPING, memory_limit="120MB")
    assert bounded.rows_priced == free.rows_priced == 300_000
    assert bounded.total_cost_usd == pytest.approx(free.total_cost_usd, rel=1e-12)
    assert bounded.cost_per_query_p95 == free.cost_per_query_p95
    # per-user sums may be added in another order: the last digit may move
    assert bounded.cost_per_user_month_p95 == pytest.approx(free.cost_per_user_month_p95, rel=1e-12)


def test_a_path_with_a_scheme_is_for_spark_on_this_engine(tmp_path):
    from .conftest import EXAMPLES, LIBRARY

    with pytest.raises(InputError, match="a path with a scheme is read by Spark"):
        LIBRARY.usage(f"file://{(EXAMPLES / 'logs' / 'openai.jsonl').resolve()}")
