"""What pilot logs show of each feature in one month, for the CTO brief (`--usage`)."""

from __future__ import annotations

from pathlib import Path

import duckdb

from costline.errors import InputError, option
from costline.ingest.fit import choose_month
from costline.ingest.session import sql_text
from costline.ingest.usage import ingested_summary
from costline.observed import CostLine, ObservedFeature, ObservedModel, ObservedUsage
from costline.stats import Stats

LINE_COLUMNS = {
    "input_usd": "input_cost_usd",
    "cached_input_usd": "cached_input_cost_usd",
    "output_usd": "output_cost_usd",
    "request_fees_usd": "request_cost_usd",
}
"""The brief's cost lines and the usage file's columns that hold them."""


def observed_usage(path: Path, month: str | None = None) -> ObservedUsage:
    """Each feature of the usage file `path` in `month` (the latest when None)."""
    if not path.is_file():
        raise InputError(f"{path}: no such file", field="usage")
    stored = ingested_summary(path)
    if stored is None:
        raise InputError(
            f"{path} is not a usage file from costline ingest (ingest the logs first: "
            + option(
                "ingest",
                "Costline().ingest(LOGS, 'usage.parquet')",
                "costline ingest LOGS --out usage.parquet",
            )
            + ")",
            field="usage",
        )
    con = duckdb.connect()
    try:
        con.execute("SET TimeZone = 'UTC'")
        source = f"read_parquet({sql_text(str(path))})"
        columns = {r[0] for r in con.execute(f"DESCRIBE SELECT * FROM {source}").fetchall()}
        missing = [c for c in LINE_COLUMNS.values() if c not in columns]
        if missing:
            raise InputError(
                f"{path} has no {missing[0]} column: ingest the logs again with this "
                "version of costline",
                field="usage",
            )
        _, chosen = choose_month(con, source, str(path), month, "usage_month")
        con.execute(
            f"CREATE TEMP TABLE m AS SELECT *, coalesce(catalog_provider || ':' || "
            f"catalog_model, model) AS ref FROM {source} "
            f"WHERE strftime(day, '%Y-%m') = {sql_text(chosen)}"
        )
        calls, users, cost = con.execute(
            "SELECT count(*), count(DISTINCT user_id), sum(cost_usd) FROM m"
        ).fetchone()  # type: ignore[misc]
        line_stats = ", ".join(
            f"avg({c}), quantile_cont({c}, [0.5, 0.95])" for c in LINE_COLUMNS.values()
        )
        features = []
        for (name,) in con.execute("SELECT DISTINCT feature FROM m ORDER BY 1").fetchall():
            row = con.execute(
                f"SELECT count(*), count(DISTINCT user_id), sum(cost_usd), avg(cost_usd), "
                f"quantile_cont(cost_usd, [0.5, 0.95]), avg(input_tokens), "
                f"avg(output_tokens), {line_stats} FROM m WHERE feature = ?",
                [name],
            ).fetchone()
            assert row is not None
            n, f_users, f_cost, mean, (median, p95), tokens_in, tokens_out, *lines = row
            per_user = con.execute(
                "SELECT avg(n), quantile_cont(n, 0.95) FROM (SELECT user_id, count(*) AS n "
                "FROM m WHERE feature = ? GROUP BY 1)",
                [name],
            ).fetchone()
            assert per_user is not None
            mix = con.execute(
                "SELECT ref, count(*), sum(cost_usd) FROM m WHERE feature = ? GROUP BY 1 "
                "ORDER BY 2 DESC, 1",
                [name],
            ).fetchall()
            features.append(
                ObservedFeature(
                    name=name,
                    calls=int(n),
                    users=int(f_users),
                    user_share=f_users / users if users else 0.0,
                    cost_usd=float(f_cost or 0.0),
                    cost_per_query=Stats(mean=mean, median=median, p95=p95),
                    lines=[
                        CostLine(
                            line=line,
                            mean_usd=float(lines[2 * i]),
                            median_usd=float(lines[2 * i + 1][0]),
                            p95_usd=float(lines[2 * i + 1][1]),
                        )
                        for i, line in enumerate(LINE_COLUMNS)
                    ],
                    models=[
                        ObservedModel(
                            ref=ref,
                            share_of_calls=k / n,
                            share_of_cost=float(c) / f_cost if f_cost else 0.0,
                        )
                        for ref, k, c in mix
                    ],
                    queries_per_active_user=float(per_user[0]),
                    queries_per_active_user_p95=float(per_user[1]),
                    input_tokens_mean=float(tokens_in),
                    output_tokens_mean=float(tokens_out),
                )
            )
    finally:
        con.close()
    return ObservedUsage(
        source=str(path),
        month=chosen,
        calls=int(calls),
        users=int(users),
        cost_usd=float(cost or 0.0),
        catalog=stored.get("catalog"),
        priced_on=stored.get("priced_on"),
        features=features,
    )
