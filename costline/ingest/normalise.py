"""Raw fields to one typed row of `formats.FIELDS` per record, with the reason a row cannot be
priced."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from math import inf

import duckdb

from costline.ingest.discovery import MAX_LINE_BYTES, Source
from costline.ingest.readers import (
    REJECT_TEXT_CHARS,
    TIMESTAMP_SQL,
    TS_NUMBER,
    USUAL_LINE_BYTES,
    Range,
    column_raw_sql,
    json_raw_sql,
    longer_line,
)
from costline.ingest.session import Progress, with_progress
from costline.settings import MAX_LOGGED_COST_USD, MAX_TOKENS_PER_CALL

_INTEGER_TYPES = (
    "TINYINT",
    "SMALLINT",
    "INTEGER",
    "BIGINT",
    "HUGEINT",
    "UTINYINT",
    "USMALLINT",
    "UINTEGER",
    "UBIGINT",
    "UHUGEINT",
)


_NUMBER_TYPES = (*_INTEGER_TYPES, "FLOAT", "DOUBLE")


EARLIEST_LOG = dt.datetime(2015, 1, 1)
LATEST_LOG = dt.datetime(2100, 1, 1)
"""A logged call's timestamp is from before LATEST_LOG and not before EARLIEST_LOG (UTC):
outside them it is a unit slip (seconds read as milliseconds) or garbage."""


def _normalised_sql(
    raw: str,
    input_includes_cache: bool,
    llm_only: bool,
    has_ts: bool,
    types: dict[str, str] | None = None,
    ranges: dict[str, Range] | None = None,
) -> str:
    """Typed rows with a reject reason (NULL when the row can be priced); the record's
    text is kept only for rejected rows. `types` are the column types of fields read from
    typed columns (Parquet), `ranges` what the file's statistics say of their values: a
    check such a column cannot fail is left out."""
    types = types or {}
    ranges = ranges or {}

    def shown(field: str, holds: Callable[[Range], bool]) -> bool:
        """The file's statistics show every row of `field` passes the check."""
        known = ranges.get(field)
        return known is not None and holds(known)

    counts = (
        "input_tokens",
        "output_tokens",
        "cache_read_tokens",
        "cache_write_tokens",
        "web_searches",
    )
    typed = ", ".join(f"TRY_CAST(raw_{c} AS DOUBLE) AS n_{c}" for c in counts)
    non_numeric = (
        " OR ".join(
            f"(raw_{c} IS NOT NULL AND n_{c} IS NULL)"
            for c in counts
            if not types.get(c, "").startswith(_NUMBER_TYPES)
        )
        or "false"
    )
    # "NaN" and "inf" read as doubles: not counts (an integer column cannot hold them)
    non_finite = (
        " OR ".join(
            f"(n_{c} IS NOT NULL AND NOT isfinite(n_{c}))"
            for c in counts
            if types.get(c) not in _INTEGER_TYPES
        )
        or "false"
    )
    negative = (
        " OR ".join(
            f"n_{c} < 0" for c in counts if not shown(c, lambda r: r.numbers_within(0, inf))
        )
        or "false"
    )
    fractional = (
        " OR ".join(f"n_{c} <> floor(n_{c})" for c in counts if types.get(c) not in _INTEGER_TYPES)
        or "false"
    )
    # past any context window by far: a unit slip or garbage, and beyond BIGINT's range
    too_large = (
        " OR ".join(
            f"n_{c} > {MAX_TOKENS_PER_CALL:.0f}"
            for c in counts
            if not shown(c, lambda r: r.numbers_within(-inf, MAX_TOKENS_PER_CALL))
        )
        or "false"
    )
    missing = {
        c: "false" if shown(c, lambda r: r.missing == 0) else f"raw_{c} IS NULL"
        for c in ("input_tokens", "output_tokens", "timestamp")
    }
    # a timestamp column holds timestamps: none is unparseable, and its range is known
    stamped = types.get("timestamp", "").startswith("TIMESTAMP")
    unparseable = "false" if stamped and missing["timestamp"] == "false" else "ts IS NULL"
    out_of_range = (
        "false"
        if stamped and shown("timestamp", lambda r: r.times_within(EARLIEST_LOG, LATEST_LOG))
        else f"ts < TIMESTAMP '{EARLIEST_LOG}' OR ts >= TIMESTAMP '{LATEST_LOG}'"
    )
    cached = "coalesce(n_cache_read_tokens, 0) + coalesce(n_cache_write_tokens, 0)"
    total_input = "n_input_tokens" if input_includes_cache else f"n_input_tokens + {cached}"
    skip = (
        "raw_model IS NULL AND raw_input_tokens IS NULL AND raw_output_tokens IS NULL"
        if llm_only
        else "false"
    )
    stamp = "" if has_ts else f", {TIMESTAMP_SQL} AS ts"
    numbered = raw if has_ts else f"SELECT *, {TS_NUMBER} FROM ({raw})"
    reason = f"""CASE
    WHEN parse_error IS NOT NULL THEN parse_error
    WHEN skipped THEN NULL
    WHEN raw_model IS NULL OR CAST(raw_model AS VARCHAR) = '' THEN 'missing model'
    WHEN {missing["input_tokens"]} THEN 'missing input tokens'
    WHEN {missing["output_tokens"]} THEN 'missing output tokens'
    WHEN {non_numeric} OR {non_finite} THEN 'non-numeric token count'
    WHEN {negative} THEN 'negative token count'
    WHEN {fractional} THEN 'fractional token count'
    WHEN {too_large} THEN 'token count too large'
    WHEN {missing["timestamp"]} THEN 'missing timestamp'
    WHEN {unparseable} THEN 'unparseable timestamp'
    WHEN {out_of_range} THEN 'timestamp out of range'
    WHEN raw_logged_cost_usd IS NOT NULL AND logged_cost_usd IS NULL
      THEN 'non-numeric logged cost'
    WHEN NOT isfinite(logged_cost_usd) OR logged_cost_usd < 0
      OR logged_cost_usd > {MAX_LOGGED_COST_USD:.0f} THEN 'implausible logged cost'
    WHEN input_total < {cached} THEN 'cached tokens exceed input tokens'
  END"""
    return f"""
SELECT source_file, line, reason, skipped,
  CASE WHEN reason IS NOT NULL THEN left(CAST(text AS VARCHAR), {REJECT_TEXT_CHARS}) END AS text,
  ts, CAST(ts AS DATE) AS day,
  epoch(ts) - epoch(date_trunc('day', ts)) AS second_of_day,
  CAST(raw_user AS VARCHAR) AS user_id, CAST(raw_feature AS VARCHAR) AS feature,
  CAST(raw_provider AS VARCHAR) AS provider, CAST(raw_model AS VARCHAR) AS model,
  lower(CAST(raw_service_tier AS VARCHAR)) AS tier,
  input_total, coalesce(n_cache_read_tokens, 0) AS cache_read,
  coalesce(n_cache_write_tokens, 0) AS cache_write, n_output_tokens AS output,
  coalesce(n_web_searches, 0) AS web_searches,
  logged_cost_usd
FROM (
  SELECT *, {reason} AS reason
  FROM (
    SELECT *, {total_input} AS input_total
    FROM (
      SELECT *, {typed}, TRY_CAST(raw_logged_cost_usd AS DOUBLE) AS logged_cost_usd,
        {skip} AS skipped {stamp}
      FROM ({numbered})
    )
  )
)"""


def load_rows(
    con: duckdb.DuckDBPyConnection, groups: list[Source], progress: Progress | None
) -> None:
    """`rows`: every record of every source, typed, with a reason. JSON and CSV records
    are parsed once into a table; Parquet is a view (re-reading it is cheaper than
    keeping a copy). JSON lines are read expecting USUAL_LINE_BYTES at most, and again
    expecting MAX_LINE_BYTES when one is longer."""
    try:
        _load_rows(con, groups, progress, USUAL_LINE_BYTES)
    except duckdb.Error as err:
        if not longer_line(err):
            raise
        _load_rows(con, groups, progress, MAX_LINE_BYTES)


def _load_rows(
    con: duckdb.DuckDBPyConnection,
    groups: list[Source],
    progress: Progress | None,
    line_bytes: int,
) -> None:
    parts, texts = [], []
    for s in groups:
        fmt = s.format
        if fmt.kind == "jsonl":
            types: dict[str, str] = {}
            ranges: dict[str, Range] = {}
            (raw, text), has_ts = json_raw_sql(s, line_bytes), False
        else:
            raw, text, types, ranges = column_raw_sql(con, s)
            has_ts = True
        parts.append(
            _normalised_sql(
                raw, fmt.input_includes_cache, fmt.llm_records_only, has_ts, types, ranges
            )
        )
        texts.append(text)
    con.execute("CREATE OR REPLACE TEMP VIEW source_text AS " + " UNION ALL ".join(texts))
    if not any(s.format.kind == "csv" for s in groups):
        con.execute(
            "CREATE OR REPLACE TEMP TABLE csv_rejected (source_file VARCHAR, line BIGINT, "
            "reason VARCHAR, model VARCHAR, text VARCHAR)"
        )
    union = " UNION ALL BY NAME ".join(f"({p})" for p in parts)
    keep = "VIEW" if all(s.format.kind == "parquet" for s in groups) else "TABLE"
    with_progress(con, f"CREATE OR REPLACE TEMP {keep} rows AS {union}", progress)
