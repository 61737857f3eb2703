"""Summaries of priced usage: cost per query (median, p95) and per user, by feature,
model, user or day, computed by DuckDB over the priced rows.

A query here is one logged LLM call: logs rarely say which calls one user action made.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import duckdb

from costline.catalog.prices import PriceCatalog
from costline.errors import InputError
from costline.ingest.pipeline import LABEL_COLUMNS, PRICED_COLUMNS, catalog_label, prepare
from costline.ingest.price_sql import priced_sql, token_columns
from costline.ingest.session import Progress, connection, sql_text
from costline.ingest.summaries import UsageSummary
from costline.scenario.common import PriceOverride

USAGE_FILE_COLUMNS = tuple(c for c in PRICED_COLUMNS if c != "web_searches")
"""The columns every usage file `costline ingest` has written (web searches came later:
readers take a file without them as having none)."""


@dataclass(frozen=True)
class Dialect:
    """The SQL that differs between the engines a usage summary runs on."""

    quantiles: Callable[[str, str], str]
    """(column, "0.5, 0.95") -> those exact quantiles of the column, as a list."""
    quantile: Callable[[str, str], str]
    """(column, "0.95") -> that exact quantile."""
    groupings: dict[str, str]
    """`by` -> the SQL of a row's group."""
    keep: str
    """The statement that keeps a small query's result as a table: `{name}` and `{sql}`."""
    stamp: Callable[[str], str]
    """A timestamp aggregate as the engine's client returns it well (datetime or text)."""


DUCKDB = Dialect(
    quantiles=lambda column, ps: f"quantile_cont({column}, [{ps}])",
    quantile=lambda column, p: f"quantile_cont({column}, {p})",
    groupings={
        "feature": "feature",
        "model": "model_label",
        "user": "user_id",
        "day": "strftime(ts, '%Y-%m-%d')",
        "month": "strftime(ts, '%Y-%m')",
    },
    keep="CREATE OR REPLACE TEMP TABLE {name} AS {sql}",
    stamp=lambda sql: sql,
)
GROUPINGS = DUCKDB.groupings


def ingested_summary(path: Path) -> dict[str, Any] | None:
    """The ingest summary stored in a usage Parquet file; None for another file."""
    if path.suffix.lower() != ".parquet":
        return None
    if path.is_dir():
        raise InputError(f"{path}: is a folder; expected a usage file from costline ingest")
    if not path.exists():
        raise InputError(f"{path}: no such file")
    con = duckdb.connect()
    try:
        found = con.execute(
            "SELECT decode(value) FROM parquet_kv_metadata(?) "
            "WHERE decode(key) = 'costline_ingest'",
            [str(path)],
        ).fetchone()
    except duckdb.Error as err:
        raise InputError(f"{path}: cannot be read as Parquet: {str(err).splitlines()[0]}") from None
    finally:
        con.close()
    return None if found is None else json.loads(found[0])


def require_columns(path: Path, extra: tuple[str, ...] = ()) -> None:
    """Refuse a usage file that lacks a column of USAGE_FILE_COLUMNS or of `extra` (one
    trimmed by hand, or written by another tool), naming the columns."""
    needed = USAGE_FILE_COLUMNS + extra
    con = duckdb.connect()
    try:
        columns = {
            row[0]
            for row in con.execute(
                f"DESCRIBE SELECT * FROM read_parquet({sql_text(str(path))})"
            ).fetchall()
        }
    except duckdb.Error as err:
        raise InputError(f"{path}: cannot be read as Parquet: {str(err).splitlines()[0]}") from None
    finally:
        con.close()
    missing = [c for c in needed if c not in columns]
    if missing:
        raise InputError(
            f"{path}: lacks the column(s) {', '.join(missing)}; ingest the logs again with "
            "costline ingest"
        )


def summarise(
    con: duckdb.DuckDBPyConnection | Callable[[str], list[dict[str, Any]]],
    by: str,
    dialect: Dialect = DUCKDB,
) -> dict[str, Any]:
    """Totals, cost per query and per user-month, and the groups of `by`, over the view
    `usage` (one row a priced call), computed by the engine. `con` is a DuckDB connection
    or a function that runs one SQL statement and returns its rows as dicts."""
    key = dialect.groupings[by]
    figures = f"""count(*) AS queries, sum(cost_usd) AS cost_usd,
          avg(cost_usd) AS cost_per_query_mean,
          {dialect.quantiles("cost_usd", "0.5, 0.95")} AS q,
          avg(input_tokens) AS input_tokens_mean, avg(output_tokens) AS output_tokens_mean,
          sum(cache_read_tokens) / nullif(sum(input_tokens), 0) AS cached_input_share,
          sum(logged_cost_usd) AS logged_cost_usd,
          count(logged_cost_usd) AS rows_with_logged_cost,
          {dialect.stamp("min(ts)")} AS first, {dialect.stamp("max(ts)")} AS last"""

    def fetch(sql: str) -> list[dict[str, Any]]:
        if callable(con):
            return con(sql)
        cursor = con.execute(sql)
        if cursor.description is None:  # a statement that returns no rows
            return []
        names = [d[0] for d in cursor.description]
        return [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]

    # the total and the groups apart: DuckDB plans a grouping set with quantiles slower
    total = fetch(f"SELECT {figures} FROM usage")[0]
    rows = fetch(f"SELECT {key} AS key, {figures} FROM usage GROUP BY 1")
    # one pass over every row to (group, user, month): users per group, in all, and
    # each user's months come from that small table
    fetch(
        dialect.keep.format(
            name="group_users",
            sql=f"SELECT {key} AS key, user_id, date_trunc('month', ts) AS month, "
            "sum(cost_usd) AS cost, count(*) AS queries FROM usage GROUP BY 1, 2, 3",
        )
    )
    users = {
        r["key"]: r["n"]
        for r in fetch("SELECT key, count(DISTINCT user_id) AS n FROM group_users GROUP BY 1")
    }
    everyone = fetch("SELECT count(DISTINCT user_id) AS n FROM group_users")
    total["users"] = everyone[0]["n"] if everyone else 0
    if not total["queries"]:
        total = None  # type: ignore[assignment]
    groups = []
    # days and months read in calendar order; the rest by cost, dearest first
    order = (lambda r: r["key"]) if by in ("day", "month") else (lambda r: -r["cost_usd"])
    for r in sorted(rows, key=order):
        median, p95 = r.pop("q") or (None, None)
        groups.append(
            {
                "key": r["key"],
                "queries": r["queries"],
                "cost_usd": r["cost_usd"],
                "share_of_cost": r["cost_usd"] / total["cost_usd"]
                if total and total["cost_usd"]
                else None,
                "cost_per_query_mean": r["cost_per_query_mean"],
                "cost_per_query_median": median,
                "cost_per_query_p95": p95,
                "input_tokens_mean": r["input_tokens_mean"],
                "output_tokens_mean": r["output_tokens_mean"],
                "cached_input_share": r["cached_input_share"],
                "users": users.get(r["key"], 0),
            }
        )
    (found,) = fetch(
        f"""
        SELECT count(*) AS n, avg(cost) AS mean, {dialect.quantiles("cost", "0.5, 0.95")} AS q,
          avg(queries) AS queries, {dialect.quantile("queries", "0.95")} AS queries_p95
        FROM (SELECT user_id, month, sum(cost) AS cost, sum(queries) AS queries
              FROM group_users GROUP BY 1, 2)
        """
    )
    per_user = (found["n"], found["mean"], found["q"], found["queries"], found["queries_p95"])
    quantiles = (total["q"] if total else None) or [None, None]
    user_q = per_user[2] or [None, None]
    return {
        "rows_priced": int(total["queries"]) if total else 0,
        "total_cost_usd": float(total["cost_usd"] or 0.0) if total else 0.0,
        "cost_per_query_mean": total["cost_per_query_mean"] if total else None,
        "cost_per_query_median": quantiles[0],
        "cost_per_query_p95": quantiles[1],
        "logged_cost_usd": total["logged_cost_usd"] if total else None,
        "rows_with_logged_cost": int(total["rows_with_logged_cost"]) if total else 0,
        "first_request": None if not total else _iso(total["first"]),
        "last_request": None if not total else _iso(total["last"]),
        "users": int(total["users"]) if total else 0,
        "user_months": int(per_user[0]),
        "cost_per_user_month_mean": per_user[1],
        "cost_per_user_month_median": user_q[0],
        "cost_per_user_month_p95": user_q[1],
        "queries_per_user_month_mean": per_user[3],
        "queries_per_user_month_p95": per_user[4],
        "by": by,
        "groups": groups,
    }


def rejected_text(rejected: dict[str, int]) -> str:
    """`: 200 rejected (fractional token count 150, missing model 50)`, or nothing."""
    if not rejected:
        return ""
    listed = ", ".join(f"{reason} {n}" for reason, n in rejected.items())
    return f": {sum(rejected.values())} rejected ({listed})"


def _iso(stamp: dt.datetime | str | None) -> str | None:
    """A timestamp, as a datetime or an engine's text of one, in ISO 8601."""
    if stamp is None:
        return None
    if isinstance(stamp, str):
        stamp = dt.datetime.fromisoformat(stamp)
    return stamp.isoformat()


def usage_report(
    files: list[str],
    by: str = "feature",
    format_name: str | None = None,
    mapping: dict[str, list[str]] | None = None,
    overrides: dict[str, PriceOverride] | None = None,
    input_includes_cache: bool = True,
    progress: Progress | None = None,
    catalog: PriceCatalog | None = None,
    memory_limit: str | None = None,
) -> UsageSummary:
    """The usage summary of an ingested Parquet file, or of logs priced on the fly, within
    `memory_limit` (see `session.connection`)."""
    if by not in GROUPINGS:
        raise InputError(f"expected one of {', '.join(GROUPINGS)}, got {by!r}", field="by")
    stored = ingested_summary(Path(files[0])) if len(files) == 1 and mapping is None else None
    with connection(memory_limit) as con:
        if stored is not None:
            require_columns(Path(files[0]))
            con.execute(
                "CREATE TEMP VIEW usage AS SELECT *, coalesce(catalog_provider || ':' || "
                f"catalog_model, model) AS model_label FROM read_parquet({sql_text(files[0])})"
            )
            head = {
                "source": files[0],
                "catalog": stored.get("catalog"),
                "priced_on": stored.get("priced_on"),
                "rows_rejected": stored.get("rows_rejected", 0),
                "rejected_by_reason": stored.get("rejected_by_reason", {}),
                "records_skipped": stored.get("records_skipped", 0),
                "unknown_models": stored.get("unknown_models", {}),
            }
        else:
            _, pricing = prepare(
                con, files, format_name, mapping, overrides, input_includes_cache, progress, catalog
            )
            # one pass keeps what the summary reads, and each row's reason for the counts;
            # model names are joined to the groups
            con.execute(
                f"CREATE TEMP TABLE slim AS SELECT reason, skipped, ts, {LABEL_COLUMNS}, "
                "model_key, "
                f"{token_columns('input_tokens', 'output_tokens', 'cache_read_tokens')}, "
                f"cost_usd, logged_cost_usd FROM ({priced_sql(pricing, every_row=True)})"
            )
            priced = "SELECT * FROM slim WHERE model_key IS NOT NULL"
            con.execute(
                "CREATE TEMP VIEW usage AS SELECT s.*, m.catalog_provider || ':' || "
                f"m.catalog_model AS model_label FROM ({priced}) s JOIN models m USING (model_key)"
                if by == "model"
                else f"CREATE TEMP VIEW usage AS {priced}"
            )
            reasons = dict(
                con.execute(
                    "SELECT reason, count(*) FROM (SELECT reason FROM slim WHERE reason IS NOT "
                    "NULL UNION ALL SELECT reason FROM csv_rejected UNION ALL SELECT "
                    "'unknown model' FROM unknown) GROUP BY 1 ORDER BY 2 DESC, 1"
                ).fetchall()
            )
            unknown = dict(
                con.execute(
                    "SELECT model, count(*) FROM unknown GROUP BY 1 ORDER BY 2 DESC, 1"
                ).fetchall()
            )
            skipped = con.execute("SELECT count(*) FROM slim WHERE skipped").fetchone()
            head = {
                "source": files,
                "catalog": catalog_label(catalog),
                "priced_on": dt.date.today().isoformat(),
                "rows_rejected": int(sum(reasons.values())),
                "rejected_by_reason": {str(k): int(v) for k, v in reasons.items()},
                "records_skipped": int(skipped[0]) if skipped else 0,
                "unknown_models": {str(k): int(v) for k, v in unknown.items()},
            }
        body = summarise(con, by)
    if body["rows_priced"] == 0:
        raise InputError(
            f"{files[0]}: no row could be priced{rejected_text(head['rejected_by_reason'])}"
            + (" (when it was ingested)" if stored is not None and head["rows_rejected"] else "")
        )
    return UsageSummary.model_validate({**head, **body})
