"""Pricing request logs: costline vs a plain loop over genai-prices' calc_price, vs the
floor of a minimal DuckDB query that only sums a cost.

    python benchmarks/bench_ingest.py                 # 10M Parquet rows, 2M JSONL rows
    python benchmarks/bench_ingest.py --rows 1000000 --jsonl-rows 200000   # quicker
    python benchmarks/bench_ingest.py --big 50000000 --memory-limit 4GB     # bounded memory
    python benchmarks/bench_ingest.py --rows 0 --jsonl-rows 0 --memory 1000000 10000000

Logs are synthetic (costline.ingest.synthetic: 8 models over 4 providers, cache reads and
writes, long-context tiers, off-peak hours, a flex tier), generated once per run in a
temporary folder. Prints the figures side by side; nothing here is a test.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import platform
import tempfile
import time
from pathlib import Path
from typing import Any

import duckdb
import genai_prices
from genai_prices import Usage

from costline.catalog.prices import PriceCatalog, context_of
from costline.ingest.pipeline import ingest
from costline.ingest.synthetic import GENERIC_MAPPING, MODELS, write_logs
from costline.ingest.usage import usage_report

LOOP_SAMPLE = 20_000
REPEATS = 3
"""costline usage runs; the best is compared (as bench_run.py takes the best of 5)."""


def timed(label: str, fn):
    start = time.perf_counter()
    out = fn()
    seconds = time.perf_counter() - start
    print(f"  {label:<58} {seconds:8.2f} s")
    return out, seconds


def loop_seconds(parquet: Path, n: int) -> float:
    """calc_price per row on a sample, extrapolated to `n` rows."""
    con = duckdb.connect()
    sample = con.execute(
        f"SELECT ts, provider, model, service_tier, input_tokens, cache_read_tokens, "
        f"cache_write_tokens, output_tokens FROM read_parquet('{parquet}') LIMIT {LOOP_SAMPLE}"
    ).fetchall()
    con.close()
    start = time.perf_counter()
    for ts, provider, model, tier, inputs, read, write, output in sample:
        genai_prices.calc_price(
            Usage(
                input_tokens=inputs,
                cache_read_tokens=read,
                cache_write_tokens=write,
                output_tokens=output,
            ),
            model,
            provider_id=provider,
            genai_request_timestamp=ts.replace(tzinfo=dt.UTC),
            price_context=context_of(tier),
        )
    return (time.perf_counter() - start) / len(sample) * n


def floor_seconds(parquet: Path) -> float:
    """A hand-written DuckDB query that only sums cost: each row's tokens times its model's
    list price today (one input and one output price a model, from the catalog: no dates,
    tiers, cache or checks)."""
    catalog, today = PriceCatalog(), dt.date.today()
    prices = []
    for provider, model, _ in MODELS:
        rates = catalog.resolve(f"{provider}:{model}").rates_at(today)
        prices.append((model, rates.input.base, rates.output.base))
    con = duckdb.connect()
    con.execute("CREATE TABLE price (model VARCHAR, input DOUBLE, output DOUBLE)")
    con.executemany("INSERT INTO price VALUES (?, ?, ?)", prices)
    start = time.perf_counter()
    con.execute(
        "SELECT sum((l.input_tokens * p.input + l.output_tokens * p.output) / 1e6) "
        f"FROM read_parquet('{parquet}') l JOIN price p USING (model)"
    ).fetchone()
    seconds = time.perf_counter() - start
    con.close()
    return seconds


def floor_cells(catalog: PriceCatalog, con: duckdb.DuckDBPyConnection, pairs: Any) -> None:
    """The table `cells` the floors join to: every price cell of each logged (provider,
    model, tier), from the catalog's own cells (the prices costline uses), with the
    catalog model it names."""
    rows = []
    for provider, model, tier in pairs.fetchall():
        entry = catalog.find(provider, model)
        assert entry is not None, (provider, model)
        for c in catalog.cells(entry, context_of(tier or None)):
            rows.append(
                (
                    provider,
                    model,
                    tier or "",
                    c.day_from,
                    c.day_to,
                    c.second_from,
                    c.second_to,
                    c.input_above,
                    c.input_upto,
                    float(c.usd_per_input),
                    float(c.usd_per_cache_read),
                    float(c.usd_per_cache_write),
                    float(c.usd_per_output),
                    float(c.usd_per_request),
                    entry.provider_id,
                    entry.model_id,
                )
            )
    con.execute(
        "CREATE TABLE cells (provider VARCHAR, model VARCHAR, tier VARCHAR, day_from DATE, "
        "day_to DATE, s_from DOUBLE, s_to DOUBLE, above BIGINT, upto BIGINT, a_in DOUBLE, "
        "a_read DOUBLE, a_write DOUBLE, a_out DOUBLE, a_req DOUBLE, catalog_provider VARCHAR, "
        "catalog_model VARCHAR)"
    )
    con.executemany("INSERT INTO cells VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)", rows)


def _check_floor_prices(con: duckdb.DuckDBPyConnection, source: str, n: int = 500) -> None:
    """The floor's price of a sample of rows is calc_price's, row by row."""
    rows = con.execute(
        f"""SELECT l.ts, l.provider, l.model, l.service_tier, l.input_tokens,
          l.cache_read_tokens, l.cache_write_tokens, l.output_tokens,
          c.a_in * l.input_tokens + c.a_read * l.cache_read_tokens
            + c.a_write * l.cache_write_tokens + c.a_out * l.output_tokens + c.a_req
        FROM (SELECT *, CAST(ts AS DATE) AS d, epoch(ts) - epoch(date_trunc('day', ts)) AS s,
                coalesce(service_tier, '') AS t FROM {source} USING SAMPLE {n} ROWS) l
        JOIN cells c ON c.provider = l.provider AND c.model = l.model AND c.tier = l.t
          AND (c.day_from IS NULL OR l.d >= c.day_from) AND (c.day_to IS NULL OR l.d < c.day_to)
          AND l.s >= c.s_from AND l.s < c.s_to
          AND l.input_tokens > c.above AND l.input_tokens <= c.upto"""
    ).fetchall()
    assert len(rows) == n
    for ts, provider, model, tier, inputs, read, write, output, cost in rows:
        expected = genai_prices.calc_price(
            Usage(
                input_tokens=inputs,
                cache_read_tokens=read,
                cache_write_tokens=write,
                output_tokens=output,
            ),
            model,
            provider_id=provider,
            genai_request_timestamp=ts.replace(tzinfo=dt.UTC),
            price_context=context_of(tier),
        ).total_price
        assert abs(float(expected) - cost) <= 1e-12 + 1e-9 * float(expected), (model, cost)


def same_work_floor(parquet: Path) -> tuple[float, dict[str, Any]]:
    """A hand-written DuckDB query doing the work `costline usage` does: each row priced
    exactly (its model's price cell for its UTC day, time of day, tier and input tokens:
    the catalog's own cells, joined by hash on provider, model and tier), then every figure
    the summary reports: in all and per feature the calls, cost, mean, median and p95 cost
    per call, mean tokens, cached share, logged cost, first and last call and users; per
    user-month the mean, median and p95 cost and the mean and p95 calls. No row checks.
    Its prices are checked against calc_price on a sample first (not timed). Returns the
    seconds and the figures, to check them against costline's."""
    catalog = PriceCatalog()
    con = duckdb.connect()
    source = f"read_parquet('{parquet}')"
    # finding the logged models and building their price table is timed: costline does it
    start = time.perf_counter()
    floor_cells(
        catalog, con, con.execute(f"SELECT DISTINCT provider, model, service_tier FROM {source}")
    )
    resolve = time.perf_counter() - start
    _check_floor_prices(con, source)
    figures = """count(*), sum(cost), avg(cost), quantile_cont(cost, [0.5, 0.95]),
      avg(input_tokens), avg(output_tokens), sum(cache_read_tokens) / sum(input_tokens),
      sum(logged), count(logged), min(ts), max(ts)"""
    start = time.perf_counter()
    con.execute(
        f"""CREATE TEMP TABLE priced AS
        SELECT coalesce(l.feature, '(unlabelled)') AS feature,
          coalesce(l.user_id, '(none)') AS user_id, l.ts, l.input_tokens, l.output_tokens,
          l.cache_read_tokens, CAST(NULL AS DOUBLE) AS logged,
          c.a_in * l.input_tokens + c.a_read * l.cache_read_tokens
            + c.a_write * l.cache_write_tokens + c.a_out * l.output_tokens + c.a_req AS cost
        FROM (SELECT *, CAST(ts AS DATE) AS d, epoch(ts) - epoch(date_trunc('day', ts)) AS s,
                coalesce(service_tier, '') AS t FROM {source}) l
        JOIN cells c ON c.provider = l.provider AND c.model = l.model AND c.tier = l.t
          AND (c.day_from IS NULL OR l.d >= c.day_from) AND (c.day_to IS NULL OR l.d < c.day_to)
          AND l.s >= c.s_from AND l.s < c.s_to
          AND l.input_tokens > c.above AND l.input_tokens <= c.upto"""
    )
    total = con.execute(f"SELECT {figures} FROM priced").fetchone()
    groups = con.execute(f"SELECT feature, {figures} FROM priced GROUP BY 1").fetchall()
    con.execute(
        "CREATE TEMP TABLE user_months AS SELECT feature, user_id, date_trunc('month', ts) AS m, "
        "sum(cost) AS c, count(*) AS n FROM priced GROUP BY ALL"
    )
    users = con.execute("SELECT feature, count(DISTINCT user_id) FROM user_months GROUP BY 1")
    users.fetchall()
    everyone = con.execute("SELECT count(DISTINCT user_id) FROM user_months").fetchone()
    user = con.execute(
        "SELECT count(*), avg(c), quantile_cont(c, [0.5, 0.95]), avg(n), quantile_cont(n, 0.95) "
        "FROM (SELECT user_id, m, sum(c) AS c, sum(n) AS n FROM user_months GROUP BY ALL)"
    ).fetchone()
    seconds = resolve + time.perf_counter() - start
    con.close()
    assert total is not None and user is not None and everyone is not None
    return seconds, {
        "rows": total[0],
        "total": total[1],
        "median": total[3][0],
        "p95": total[3][1],
        "users": everyone[0],
        "user_months": user[0],
        "user_month_mean": user[1],
        "user_month_p95": user[2][1],
        "feature_p95": {g[0]: g[4][1] for g in groups},
    }


def same_work_ingest_floor(parquet: Path, out: Path) -> float:
    """A hand-written streaming `COPY (SELECT ...)` that writes what `costline ingest`
    writes for each row: its labels, tokens, exact cost (the catalog's cells by hash join,
    as `same_work_floor`) and the cost by line (uncached input, cached input, output,
    request), the logged cost (none in these logs) and each row's file and line. No row
    checks, no rejects file, no summary in the metadata."""
    catalog = PriceCatalog()
    con = duckdb.connect()
    source = f"read_parquet('{parquet}')"
    start = time.perf_counter()
    floor_cells(
        catalog, con, con.execute(f"SELECT DISTINCT provider, model, service_tier FROM {source}")
    )
    con.execute(
        f"""COPY (
        SELECT l.ts, l.d AS day, coalesce(l.user_id, '(none)') AS user_id,
          coalesce(l.feature, '(unlabelled)') AS feature, l.provider, l.model,
          c.catalog_provider, c.catalog_model, l.service_tier, l.input_tokens,
          l.cache_read_tokens, l.cache_write_tokens, l.output_tokens,
          CAST(0 AS BIGINT) AS web_searches,
          c.a_in * l.input_tokens + c.a_read * l.cache_read_tokens
            + c.a_write * l.cache_write_tokens + c.a_out * l.output_tokens + c.a_req AS cost_usd,
          c.a_in * (l.input_tokens - l.cache_read_tokens - l.cache_write_tokens)
            AS input_cost_usd,
          (c.a_in + c.a_read) * l.cache_read_tokens + (c.a_in + c.a_write) * l.cache_write_tokens
            AS cached_input_cost_usd,
          c.a_out * l.output_tokens AS output_cost_usd, c.a_req AS request_cost_usd,
          CAST(NULL AS DOUBLE) AS logged_cost_usd, l.filename AS source_file,
          l.file_row_number + 1 AS line
        FROM (SELECT *, CAST(ts AS DATE) AS d, epoch(ts) - epoch(date_trunc('day', ts)) AS s,
                coalesce(service_tier, '') AS t
              FROM read_parquet('{parquet}', filename=true, file_row_number=true)) l
        JOIN cells c ON c.provider = l.provider AND c.model = l.model AND c.tier = l.t
          AND (c.day_from IS NULL OR l.d >= c.day_from) AND (c.day_to IS NULL OR l.d < c.day_to)
          AND l.s >= c.s_from AND l.s < c.s_to
          AND l.input_tokens > c.above AND l.input_tokens <= c.upto
        ) TO '{out}' (FORMAT parquet)"""
    )
    seconds = time.perf_counter() - start
    con.close()
    return seconds


def same_work_jsonl_floor(jsonl: Path, out: Path) -> float:
    """A hand-written query doing what `costline ingest` does with OpenAI chat-completions
    JSON lines: DuckDB's read_json of the fields it needs (typed, no per-line text kept),
    each call priced exactly (the catalog's cells by hash join), written with its cost by
    line with a streaming COPY. No row checks, no rejects, no summary. Finding the logged
    models (a second read of the file here) is not timed: it favours the floor."""
    catalog = PriceCatalog()
    con = duckdb.connect()
    columns = (
        "{'created': 'BIGINT', 'model': 'VARCHAR', 'service_tier': 'VARCHAR', "
        "'usage': 'STRUCT(prompt_tokens BIGINT, completion_tokens BIGINT, "
        "prompt_tokens_details STRUCT(cached_tokens BIGINT))', "
        "'metadata': 'STRUCT(user_id VARCHAR, feature VARCHAR)'}"
    )
    source = f"read_json('{jsonl}', format='newline_delimited', columns={columns})"
    floor_cells(
        catalog,
        con,
        con.execute(f"SELECT DISTINCT 'openai', model, service_tier FROM {source}"),
    )
    start = time.perf_counter()
    con.execute(
        f"""COPY (
        SELECT l.ts, l.d AS day, coalesce(l.metadata.user_id, '(none)') AS user_id,
          coalesce(l.metadata.feature, '(unlabelled)') AS feature, l.model, l.service_tier,
          l.i AS input_tokens, l.r AS cache_read_tokens, l.o AS output_tokens,
          c.a_in * l.i + c.a_read * l.r + c.a_out * l.o + c.a_req AS cost_usd,
          c.a_in * (l.i - l.r) AS input_cost_usd,
          (c.a_in + c.a_read) * l.r AS cached_input_cost_usd,
          c.a_out * l.o AS output_cost_usd, c.a_req AS request_cost_usd
        FROM (SELECT *, to_timestamp(created)::TIMESTAMP AS ts,
                CAST(to_timestamp(created)::TIMESTAMP AS DATE) AS d,
                created % 86400 AS s, coalesce(service_tier, '') AS t,
                usage.prompt_tokens AS i,
                coalesce(usage.prompt_tokens_details.cached_tokens, 0) AS r,
                usage.completion_tokens AS o
              FROM {source}) l
        JOIN cells c ON c.provider = 'openai' AND c.model = l.model AND c.tier = l.t
          AND (c.day_from IS NULL OR l.d >= c.day_from) AND (c.day_to IS NULL OR l.d < c.day_to)
          AND l.s >= c.s_from AND l.s < c.s_to AND l.i > c.above AND l.i <= c.upto
        ) TO '{out}' (FORMAT parquet)"""
    )
    seconds = time.perf_counter() - start
    con.close()
    return seconds


def quantile_methods(usage: Path) -> None:
    """Exact quantiles beside DuckDB's approximate ones over the priced cost of every row
    (the question behind an `--approx` option): the time of each (best of 3, the column in
    memory) and the approximate median's and p95's error against the exact ones."""
    con = duckdb.connect()
    con.execute(f"CREATE TABLE c AS SELECT feature, cost_usd FROM read_parquet('{usage}')")
    exact = None
    for name, sql in (
        ("exact: quantile_cont", "quantile_cont(cost_usd, [0.5, 0.95])"),
        ("approx_quantile (t-digest)", "approx_quantile(cost_usd, [0.5, 0.95])"),
        (
            "reservoir_quantile, 100,000 samples",
            "reservoir_quantile(cost_usd, [0.5, 0.95], 100000)",
        ),
    ):
        seconds, grouped = [], []
        for _ in range(3):
            start = time.perf_counter()
            found = con.execute(f"SELECT {sql} FROM c").fetchone()[0]
            seconds.append(time.perf_counter() - start)
            start = time.perf_counter()
            con.execute(f"SELECT feature, {sql} FROM c GROUP BY 1").fetchall()
            grouped.append(time.perf_counter() - start)
        exact = exact or found
        errors = ", ".join(
            f"{label} {(mine - theirs) / theirs:+.1%}"
            for label, mine, theirs in zip(("median", "p95"), found, exact, strict=True)
        )
        print(
            f"  {name:<38} all rows {min(seconds):5.2f} s, per feature {min(grouped):5.2f} s; "
            f"{errors}"
        )
    con.close()


def child(task: str, source: Path, out: Path) -> None:
    """One measured task in a process of its own, printing its peak resident set (MB)."""
    import resource

    if task == "ingest":
        ingest([str(source)], out, mapping=GENERIC_MAPPING)
    elif task == "ingest-floor":
        same_work_ingest_floor(source, out)
    elif task == "jsonl":
        ingest([str(source)], out)
    else:
        same_work_jsonl_floor(source, out)
    # Linux reports kilobytes
    print(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024)


def peak_mb(task: str, source: Path, out: Path) -> float:
    import subprocess
    import sys

    done = subprocess.run(
        [sys.executable, __file__, "--child", task, str(source), str(out)],
        capture_output=True,
        text=True,
        check=True,
    )
    return float(done.stdout.strip().splitlines()[-1])


def memory(tmp: Path, sizes: list[int]) -> None:
    """Peak memory of costline ingest and of its same-work floor, each in its own process,
    at each size: flat in the rows is the target (issue 17)."""
    print("\npeak resident memory (MB), each run in a process of its own")
    for n in sizes:
        parquet = tmp / f"mem{n}.parquet"
        write_logs(parquet, "parquet", n)
        ours = peak_mb("ingest", parquet, tmp / f"mem-ours{n}.parquet")
        floor = peak_mb("ingest-floor", parquet, tmp / f"mem-floor{n}.parquet")
        print(f"  {n:>12,} Parquet rows: costline ingest {ours:8.0f}, floor {floor:8.0f}")
        parquet.unlink()
        # twice the calls: about half the synthetic traffic is OpenAI's, written as lines
        jsonl = tmp / f"mem{n}.jsonl"
        write_logs(jsonl, "openai-chat", 2 * n)
        lines = sum(1 for _ in jsonl.open())
        ours = peak_mb("jsonl", jsonl, tmp / f"mem-jours{n}.parquet")
        floor = peak_mb("jsonl-floor", jsonl, tmp / f"mem-jfloor{n}.parquet")
        print(f"  {lines:>12,} JSON lines:   costline ingest {ours:8.0f}, floor {floor:8.0f}")
        jsonl.unlink()


def main() -> None:
    import sys

    if len(sys.argv) == 5 and sys.argv[1] == "--child":
        child(sys.argv[2], Path(sys.argv[3]), Path(sys.argv[4]))
        return
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=10_000_000)
    parser.add_argument("--jsonl-rows", type=int, default=2_000_000)
    parser.add_argument("--big", type=int, default=0, help="rows of a bounded-memory run")
    parser.add_argument("--memory-limit", default="4GB")
    parser.add_argument(
        "--memory",
        type=int,
        nargs="*",
        default=[],
        help="peak memory of ingest and its floor at these row counts (e.g. 1000000 10000000)",
    )
    args = parser.parse_args()
    print(
        f"machine: {platform.machine()}, {os.cpu_count()} cores, Python "
        f"{platform.python_version()}, DuckDB {duckdb.__version__}, "
        f"genai-prices {genai_prices.__version__}"
    )
    with tempfile.TemporaryDirectory(prefix="costline-bench-") as folder:
        tmp = Path(folder)
        if args.rows:
            parquet = tmp / "logs.parquet"
            print(f"\n{args.rows:,} rows of Parquet logs")
            timed(
                "generate (not part of the comparison)",
                lambda: write_logs(parquet, "parquet", args.rows),
            )
            runs = [
                timed(
                    f"costline usage: price + per-feature median/p95 + per-user p95 (run {k + 1})",
                    lambda: usage_report([str(parquet)], "feature", mapping=GENERIC_MAPPING),
                )
                for k in range(REPEATS)
            ]
            summary = runs[0][0]
            priced = min(seconds for _, seconds in runs)
            print(f"  {'costline usage, best of ' + str(REPEATS):<58} {priced:8.2f} s")
            assert summary.rows_priced == args.rows, summary.rows_rejected
            _, written = timed(
                "costline ingest: price + write usage.parquet",
                lambda: ingest([str(parquet)], tmp / "usage.parquet", mapping=GENERIC_MAPPING),
            )
            print("  quantiles of the priced cost, exact and approximate:")
            quantile_methods(tmp / "usage.parquet")
            loop = loop_seconds(parquet, args.rows)
            label = f"plain loop of calc_price (on {LOOP_SAMPLE:,} rows, extrapolated)"
            print(f"  {label:<58} {loop:8.2f} s")
            floor = min(floor_seconds(parquet) for _ in range(3))
            print(f"  {'floor: minimal DuckDB query summing list-price cost':<58} {floor:8.2f} s")
            # the same work, interleaved with costline usage so both see the same machine
            same, ours = [], []
            for _ in range(REPEATS):
                seconds, figures = same_work_floor(parquet)
                same.append(seconds)
                start = time.perf_counter()
                usage_report([str(parquet)], "feature", mapping=GENERIC_MAPPING)
                ours.append(time.perf_counter() - start)
            # the same figures: the floor is only a floor if it computes what costline does
            assert figures["rows"] == summary.rows_priced
            for name, mine in (
                ("total", summary.total_cost_usd),
                ("median", summary.cost_per_query_median),
                ("p95", summary.cost_per_query_p95),
                ("user_month_mean", summary.cost_per_user_month_mean),
                ("user_month_p95", summary.cost_per_user_month_p95),
            ):
                assert abs(figures[name] - mine) <= 1e-9 * abs(mine), (name, figures[name], mine)
            assert (figures["users"], figures["user_months"]) == (
                summary.users,
                summary.user_months,
            )
            for g in summary.groups:
                theirs = figures["feature_p95"][g.key]
                assert abs(theirs - g.cost_per_query_p95) <= 1e-9 * theirs, (g.key, theirs)
            # ingest beside a streaming COPY writing the same priced columns, interleaved
            copy, ours_in = [], []
            for k in range(REPEATS):
                copy.append(same_work_ingest_floor(parquet, tmp / f"floor{k}.parquet"))
                start = time.perf_counter()
                ingest([str(parquet)], tmp / f"ours{k}.parquet", mapping=GENERIC_MAPPING)
                ours_in.append(time.perf_counter() - start)
            con = duckdb.connect()
            theirs_total, mine_total = (
                con.execute(f"SELECT sum(cost_usd) FROM read_parquet('{tmp / name}')").fetchone()[0]
                for name in ("floor0.parquet", "ours0.parquet")
            )
            # the floor writes what costline writes, column for column
            theirs_columns, mine_columns = (
                [
                    r[0]
                    for r in con.execute(f"DESCRIBE FROM read_parquet('{tmp / name}')").fetchall()
                ]
                for name in ("floor0.parquet", "ours0.parquet")
            )
            con.close()
            assert theirs_columns == mine_columns, (theirs_columns, mine_columns)
            assert abs(theirs_total - mine_total) <= 1e-9 * mine_total, (theirs_total, mine_total)
            label = "same-work ingest floor: streaming COPY of the priced columns"
            print(f"  {label + ', best of ' + str(REPEATS):<58} {min(copy):8.2f} s")
            print(f"  {'costline ingest in the same rounds, best':<58} {min(ours_in):8.2f} s")
            print(
                f"  costline ingest is {min(ours_in) / min(copy):.2f}x the same-work ingest "
                "floor (target 1.3x)"
            )
            label = "same-work floor: exact price per row + the same quantiles"
            print(f"  {label + ', best of ' + str(REPEATS):<58} {min(same):8.2f} s")
            print(f"  {'costline usage in the same rounds, best':<58} {min(ours):8.2f} s")
            print(
                f"  costline usage is {loop / priced:,.0f}x faster than the loop, "
                f"{min(ours) / min(same):.2f}x the same-work floor (target 1.2x) and "
                f"{priced / floor:.1f}x the list-price floor; ingest is "
                f"{loop / written:,.0f}x the loop"
            )

        if args.jsonl_rows:
            jsonl = tmp / "logs.jsonl"
            print(f"\n{args.jsonl_rows:,} calls as OpenAI chat-completions JSON lines")
            timed("generate", lambda: write_logs(jsonl, "openai-chat", args.jsonl_rows))
            lines = sum(1 for _ in jsonl.open())
            summary, seconds = timed(
                "costline ingest (parse, normalise, price, write)",
                lambda: ingest([str(jsonl)], tmp / "jsonl-usage.parquet"),
            )
            print(f"  {lines / seconds:,.0f} rows/s ({summary.rows_priced:,} priced)")
            floors, ours = [], []
            for k in range(REPEATS):
                floors.append(same_work_jsonl_floor(jsonl, tmp / f"jfloor{k}.parquet"))
                start = time.perf_counter()
                ingest([str(jsonl)], tmp / f"jours{k}.parquet")
                ours.append(time.perf_counter() - start)
            con = duckdb.connect()
            theirs_total, mine_total = (
                con.execute(f"SELECT sum(cost_usd) FROM read_parquet('{tmp / name}')").fetchone()[0]
                for name in ("jfloor0.parquet", "jours0.parquet")
            )
            con.close()
            assert abs(theirs_total - mine_total) <= 1e-9 * mine_total, (theirs_total, mine_total)
            label = "same-work JSONL floor: read_json + exact price + COPY"
            print(f"  {label + ', best of ' + str(REPEATS):<58} {min(floors):8.2f} s")
            print(
                f"  {'costline ingest in the same rounds, best':<58} {min(ours):8.2f} s "
                f"({lines / min(ours):,.0f} rows/s)"
            )
            print(
                f"  costline JSONL ingest is {min(ours) / min(floors):.2f}x the same-work floor "
                "(target 1.5x, and 1M rows/s)"
            )

        if args.memory:
            memory(tmp, args.memory)

        if args.big:
            big = tmp / "big.parquet"
            print(f"\n{args.big:,} rows with DuckDB's memory limit at {args.memory_limit}")
            timed("generate", lambda: write_logs(big, "parquet", args.big))
            from costline.ingest import pipeline

            original = pipeline.connection

            def limited(memory_limit: str | None = None):
                return original(args.memory_limit)

            pipeline.connection = limited  # type: ignore[assignment]
            import costline.ingest.usage as usage_module

            usage_module.connection = limited  # type: ignore[assignment]
            summary, _ = timed(
                "costline usage",
                lambda: usage_report([str(big)], "user", mapping=GENERIC_MAPPING),
            )
            print(f"  {summary.rows_priced:,} rows priced within {args.memory_limit}")


if __name__ == "__main__":
    main()
