"""Summaries of priced usage: cost per query (median, p95) and per user, by feature,
model, user or day, computed by DuckDB over the priced rows.

A query here is one logged LLM call: logs rarely say which calls one user action made.
"""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from typing import Any

import duckdb

from costline.errors import InputError
from costline.ingest.pipeline import (
    PriceOverrideRow,
    Progress,
    _connection,
    _sql_text,
    catalog_label,
    prepare,
)

GROUPINGS = {
    "feature": "feature",
    "model": "coalesce(catalog_provider || ':' || catalog_model, model)",
    "user": "user_id",
    "day": "CAST(day AS VARCHAR)",
    "month": "strftime(day, '%Y-%m')",
}


def ingested_summary(path: Path) -> dict[str, Any] | None:
    """The ingest summary stored in a usage Parquet file; None for another file."""
    if path.suffix.lower() != ".parquet":
        return None
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


def _groups(con: duckdb.DuckDBPyConnection, by: str) -> list[dict[str, Any]]:
    key = GROUPINGS[by]
    cursor = con.execute(
        f"""
        SELECT {key} AS key, count(*) AS queries, sum(cost_usd) AS cost_usd,
          avg(cost_usd) AS cost_per_query_mean,
          quantile_cont(cost_usd, 0.5) AS cost_per_query_median,
          quantile_cont(cost_usd, 0.95) AS cost_per_query_p95,
          avg(input_tokens) AS input_tokens_mean, avg(output_tokens) AS output_tokens_mean,
          avg(cache_read_tokens) / nullif(avg(input_tokens), 0) AS cached_input_share,
          count(DISTINCT user_id) AS users
        FROM usage GROUP BY 1 ORDER BY cost_usd DESC, key
        """
    )
    names = [d[0] for d in cursor.description]
    return [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]


def summarise(con: duckdb.DuckDBPyConnection, by: str) -> dict[str, Any]:
    """Totals, cost per query and per user-month, and the groups of `by`, over `usage`."""
    total = con.execute(
        """
        SELECT count(*), sum(cost_usd), avg(cost_usd), quantile_cont(cost_usd, 0.5),
          quantile_cont(cost_usd, 0.95), sum(logged_cost_usd), count(logged_cost_usd),
          min(ts), max(ts), count(DISTINCT user_id)
        FROM usage
        """
    ).fetchone()
    per_user = con.execute(
        """
        SELECT count(*), avg(cost), quantile_cont(cost, 0.5), quantile_cont(cost, 0.95),
          avg(queries), quantile_cont(queries, 0.95)
        FROM (SELECT user_id, strftime(day, '%Y-%m') AS month, sum(cost_usd) AS cost,
                count(*) AS queries
              FROM usage GROUP BY 1, 2)
        """
    ).fetchone()
    assert total is not None and per_user is not None
    groups = _groups(con, by)
    for group in groups:
        group["share_of_cost"] = group["cost_usd"] / total[1] if total[1] else None
    return {
        "rows_priced": int(total[0]),
        "total_cost_usd": float(total[1] or 0.0),
        "cost_per_query_mean": total[2],
        "cost_per_query_median": total[3],
        "cost_per_query_p95": total[4],
        "logged_cost_usd": None if not total[6] else float(total[5]),
        "rows_with_logged_cost": int(total[6]),
        "first_request": None if total[7] is None else total[7].isoformat(),
        "last_request": None if total[8] is None else total[8].isoformat(),
        "users": int(total[9]),
        "user_months": int(per_user[0]),
        "cost_per_user_month_mean": per_user[1],
        "cost_per_user_month_median": per_user[2],
        "cost_per_user_month_p95": per_user[3],
        "queries_per_user_month_mean": per_user[4],
        "queries_per_user_month_p95": per_user[5],
        "by": by,
        "groups": groups,
    }


def usage_report(
    files: list[str],
    by: str = "feature",
    format_name: str | None = None,
    mapping: dict[str, list[str]] | None = None,
    overrides: dict[str, PriceOverrideRow] | None = None,
    input_includes_cache: bool = True,
    progress: Progress | None = None,
) -> dict[str, Any]:
    """The usage summary of an ingested Parquet file, or of logs priced on the fly."""
    if by not in GROUPINGS:
        raise InputError(f"--by: expected one of {', '.join(GROUPINGS)}, got {by!r}")
    stored = ingested_summary(Path(files[0])) if len(files) == 1 and mapping is None else None
    with _connection() as con:
        if stored is not None:
            con.execute(
                f"CREATE TEMP VIEW usage AS SELECT * FROM read_parquet({_sql_text(files[0])})"
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
            _, _ = prepare(
                con, files, format_name, mapping, overrides, input_includes_cache, progress
            )
            con.execute("CREATE TEMP TABLE usage AS SELECT * FROM priced_rows")
            reasons = dict(
                con.execute(
                    "SELECT reason, count(*) FROM rejected_rows GROUP BY 1 ORDER BY 2 DESC, 1"
                ).fetchall()
            )
            unknown = dict(
                con.execute(
                    "SELECT model, count(*) FROM rejected_rows WHERE model IS NOT NULL "
                    "GROUP BY 1 ORDER BY 2 DESC, 1"
                ).fetchall()
            )
            skipped = con.execute("SELECT count(*) FROM rows WHERE skipped").fetchone()
            head = {
                "source": files,
                "catalog": catalog_label(),
                "priced_on": dt.date.today().isoformat(),
                "rows_rejected": int(sum(reasons.values())),
                "rejected_by_reason": {str(k): int(v) for k, v in reasons.items()},
                "records_skipped": int(skipped[0]) if skipped else 0,
                "unknown_models": {str(k): int(v) for k, v in unknown.items()},
            }
        body = summarise(con, by)
    return {**head, **body}
