"""Pilot logs -> normalised, priced rows, with DuckDB doing the work: the stages in order
(`discovery`, `readers`, `normalise`, `price_sql`, in the `session`), then the output.

Files are read in place (globs, gzip, larger than memory); each record is normalised
with SQL to one row of `formats.FIELDS`; rows that cannot be priced are kept aside with
their file, line and reason; the rest are joined to a price table built once from the
catalog (`prices.py`) and priced at the price in force on their UTC day and time. No
Python runs per row.
"""

from __future__ import annotations

import datetime as dt
import os
from pathlib import Path

import duckdb

from costline.catalog.prices import PriceCatalog
from costline.errors import InputError, option
from costline.ingest.discovery import Source, sources
from costline.ingest.normalise import load_rows
from costline.ingest.price_sql import LINES, Pricing, price_table, priced_sql, token_columns
from costline.ingest.readers import REJECT_TEXT_CHARS
from costline.ingest.session import Progress, connection, sql_text
from costline.ingest.summaries import IngestSummary
from costline.scenario.common import PriceOverride

PRICED_COLUMNS = (
    "ts",
    "day",
    "user_id",
    "feature",
    "provider",
    "model",
    "catalog_provider",
    "catalog_model",
    "service_tier",
    "input_tokens",
    "cache_read_tokens",
    "cache_write_tokens",
    "output_tokens",
    "web_searches",
    "cost_usd",
    "logged_cost_usd",
    "source_file",
    "line",
)


LABEL_COLUMNS = (
    "coalesce(user_id, '(none)') AS user_id, coalesce(feature, '(unlabelled)') AS feature"
)


"""A row's user and feature, with the names a report shows when the log has none."""


_OUTPUT = f"""
SELECT ts, day, {LABEL_COLUMNS}, p.provider, p.model, m.catalog_provider,
  m.catalog_model, tier AS service_tier, {token_columns()},
  cost_usd, logged_cost_usd, source_file, line
FROM priced p JOIN models m USING (model_key)
"""


def prepare(
    con: duckdb.DuckDBPyConnection,
    files: list[str],
    format_name: str | None = None,
    mapping: dict[str, list[str]] | None = None,
    overrides: dict[str, PriceOverride] | None = None,
    input_includes_cache: bool = True,
    progress: Progress | None = None,
    catalog: PriceCatalog | None = None,
) -> tuple[list[Source], Pricing]:
    """Read and price the logs into the views `priced_rows` (PRICED_COLUMNS) and
    `rejected_rows` (source_file, line, reason, text); the sources read and how they were
    priced."""
    groups = sources(files, format_name, mapping, input_includes_cache)
    try:
        load_rows(con, groups, progress)
        pricing = price_table(con, overrides or {}, catalog)
    except duckdb.Error as err:
        first = str(err).splitlines()[0]
        raise InputError(f"{groups[0].files[0]}: cannot be read as logs: {first}") from None
    key_sql = pricing.key_sql
    con.execute(f"CREATE TEMP VIEW priced AS {priced_sql(pricing, lines=True)}")
    con.execute(f"CREATE TEMP VIEW priced_rows AS {_OUTPUT}")
    lines = ", ".join(f"{part}_cost_usd" for part in LINES)
    with_lines = _OUTPUT.replace("cost_usd, logged_cost_usd", f"cost_usd, {lines}, logged_cost_usd")
    con.execute(f"CREATE TEMP VIEW priced_rows_with_lines AS {with_lines}")
    # rows of unknown models, and their records, are looked for only when there are some
    where = "false" if not pricing.unresolved else f"({key_sql}) IS NULL"
    con.execute(
        "CREATE TEMP TABLE unknown AS SELECT source_file, line, "
        f"coalesce(provider || ':', '') || model AS model FROM rows "
        f"WHERE {where} AND reason IS NULL AND NOT skipped"
    )
    text = (
        f"(SELECT left(t.text, {REJECT_TEXT_CHARS}) FROM source_text t WHERE t.source_file = "
        "u.source_file AND t.line = u.line)"
        if pricing.unresolved
        else "NULL"
    )
    con.execute(
        "CREATE TEMP VIEW rejected_rows AS SELECT * FROM csv_rejected UNION ALL "
        "SELECT source_file, line, reason, NULL AS model, text FROM rows WHERE reason IS NOT NULL "
        f"UNION ALL SELECT source_file, line, 'unknown model' AS reason, model, {text} AS text "
        "FROM unknown u"
    )
    return groups, pricing


def catalog_label(catalog: PriceCatalog | None = None) -> str:
    """The price data logs are priced with (the shipped catalog's when None)."""
    return (catalog or PriceCatalog()).label


def ingest(
    files: list[str],
    out: Path,
    format_name: str | None = None,
    mapping: dict[str, list[str]] | None = None,
    overrides: dict[str, PriceOverride] | None = None,
    input_includes_cache: bool = True,
    progress: Progress | None = None,
    force: bool = True,
    catalog: PriceCatalog | None = None,
    memory_limit: str | None = None,
) -> IngestSummary:
    """Normalise and price `files` into the Parquet file `out`; rejects beside it. An
    existing `out` is replaced only with `force`; DuckDB keeps within `memory_limit` (such
    as "2GB"; see `session.connection`)."""
    resolved_out = out.resolve()
    for path in files:
        if Path(path).resolve() == resolved_out:
            raise InputError(
                f"{out}: is one of the input files; choose another {option('out', 'out path')}"
            )
    if not out.parent.is_dir():
        raise InputError(f"{out}: folder {out.parent} does not exist")
    if out.exists() and not force:
        raise InputError(
            f"{out}: exists; choose another {option('out', 'out path')} or add "
            f"{option('force', 'force=True')} to replace it"
        )
    rejects_path = out.with_name(out.stem + ".rejects.csv")
    with connection(memory_limit) as con:
        groups, pricing = prepare(
            con, files, format_name, mapping, overrides, input_includes_cache, progress, catalog
        )
        # one pass counts and sums what the summary says, then the priced rows stream to
        # the file with the summary in its metadata (memory stays flat in the rows; a
        # Parquet file's metadata is written with it, so the figures come first)
        groups_of_rows = con.execute(
            "SELECT reason, skipped, model_key IS NULL, count(*), sum(cost_usd), "
            "sum(logged_cost_usd), count(logged_cost_usd), min(ts), max(ts) "
            f"FROM ({priced_sql(pricing, every_row=True)}) GROUP BY ALL"
        ).fetchall()
        csv_rejects = con.execute("SELECT reason, count(*) FROM csv_rejected GROUP BY 1").fetchall()
        unknown = dict(
            con.execute(
                "SELECT model, count(*) FROM unknown GROUP BY 1 ORDER BY 2 DESC, 1"
            ).fetchall()
        )
        reasons: dict[str, int] = {}
        for reason, n in csv_rejects:
            reasons[reason] = reasons.get(reason, 0) + int(n)
        priced = [g for g in groups_of_rows if g[0] is None and not g[1] and not g[2]]
        for reason, skipped, no_model, n, *_ in groups_of_rows:
            if reason is not None or (no_model and not skipped):
                name = reason or "unknown model"
                reasons[name] = reasons.get(name, 0) + int(n)
        reasons = dict(sorted(reasons.items(), key=lambda kv: (-kv[1], kv[0])))
        rows_priced = sum(int(g[3]) for g in priced)
        with_logged = sum(int(g[6]) for g in priced)
        summary = IngestSummary(
            files=len(files),
            formats={g.format.name: g.files for g in groups},
            records_read=sum(int(g[3]) for g in groups_of_rows) + sum(n for _, n in csv_rejects),
            records_skipped=sum(int(g[3]) for g in groups_of_rows if g[1] and g[0] is None),
            rows_priced=rows_priced,
            rows_rejected=sum(reasons.values()),
            rejected_by_reason=reasons,
            total_cost_usd=float(sum(g[4] or 0.0 for g in priced)),
            logged_cost_usd=float(sum(g[5] or 0.0 for g in priced)) if with_logged else None,
            rows_with_logged_cost=with_logged,
            first_request=min(g[7] for g in priced).isoformat() if priced else None,
            last_request=max(g[8] for g in priced).isoformat() if priced else None,
            catalog=catalog_label(catalog),
            priced_on=dt.date.today().isoformat(),
            # nothing priced: no usage file at all (an empty one would read as a month of
            # nothing), and whatever was at `out` stays as it was
            output=str(out) if rows_priced else "",
            rejects=str(rejects_path),
            priced_at_standard_tier=list(pricing.standard_tier),
            priced_by_override=list(pricing.overridden),
            unknown_models={str(k): int(v) for k, v in unknown.items()},
        )
        # the summary travels inside the Parquet file: `costline usage` reports it
        kv = f"costline_ingest: {sql_text(summary.model_dump_json())}"
        tmp_out = out.with_name(f".{out.name}.tmp")
        tmp_rejects = rejects_path.with_name(f".{rejects_path.name}.tmp")
        try:
            if summary.output:
                con.execute(
                    "COPY (SELECT * FROM priced_rows_with_lines) "
                    f"TO {sql_text(str(tmp_out))} (FORMAT parquet, KV_METADATA {{{kv}}})"
                )
            # no rejects: the file has its header only, and no pass looks for them
            limit = "" if summary.rows_rejected else " LIMIT 0"
            con.execute(
                f"COPY (SELECT * FROM rejected_rows ORDER BY source_file, line{limit}) "
                f"TO {sql_text(str(tmp_rejects))} (HEADER, DELIMITER ',')"
            )
        except BaseException:
            tmp_out.unlink(missing_ok=True)
            tmp_rejects.unlink(missing_ok=True)
            raise
    if summary.output:
        os.replace(tmp_out, out)
    os.replace(tmp_rejects, rejects_path)
    return summary
