"""Pilot logs -> normalised, priced rows, with DuckDB doing the work.

Files are read in place (globs, gzip, larger than memory); each record is normalised
with SQL to one row of `formats.FIELDS`; rows that cannot be priced are kept aside with
their file, line and reason; the rest are joined to a price table built once from the
catalog (`prices.py`) and priced at the price in force on their UTC day and time. No
Python runs per row.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import glob
import gzip
import json
import os
import tempfile
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import duckdb
import genai_prices

from costline.errors import InputError
from costline.ingest.formats import FIELDS, FORMATS, REQUIRED, LogFormat, detect, generic
from costline.ingest.prices import (
    NO_LIMIT,
    SECONDS_PER_DAY,
    PriceCell,
    ResolvedModel,
    context_of,
    price_cells,
    resolve,
)
from costline.ingest.summaries import IngestSummary
from costline.scenario.common import PriceOverride

Progress = Callable[[float], None]
MAX_LINE_BYTES = 256 * 1024 * 1024
REJECT_TEXT_CHARS = 2_000
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
    "cost_usd",
    "logged_cost_usd",
    "source_file",
    "line",
)


@dataclass(frozen=True)
class Source:
    """Files of one format."""

    files: list[str]
    format: LogFormat


def expand(patterns: list[str]) -> list[str]:
    """Files named or matched by each pattern, in order; a pattern matching nothing fails."""
    out: list[str] = []
    for pattern in patterns:
        if pattern == "-":
            raise InputError("reading logs from standard input is not supported; give files")
        matched = sorted(glob.glob(pattern)) if glob.has_magic(pattern) else [pattern]
        if not matched:
            raise InputError(f"{pattern}: no file matches")
        for path in matched:
            if not os.path.isfile(path):
                raise InputError(f"{path}: no such file")
            out.append(path)
    return list(dict.fromkeys(out))


def _kind_of(path: str) -> str:
    name = path.lower().removesuffix(".gz").removesuffix(".zst")
    if name.endswith(".parquet"):
        return "parquet"
    if name.endswith(".csv") or name.endswith(".tsv"):
        return "csv"
    return "jsonl"


def _first_record(path: str) -> tuple[dict | None, list[str] | None]:
    """The first JSON record of a JSON-lines file, or the header of a CSV file."""
    opener = gzip.open if path.lower().endswith(".gz") else open
    with opener(path, "rt", encoding="utf-8", errors="replace") as handle:
        for raw in handle:
            line = raw.strip()
            if not line:
                continue
            if _kind_of(path) == "csv":
                return None, [c.strip().strip('"') for c in line.split(",")]
            try:
                record = json.loads(line)
            except ValueError:
                return None, None
            return (record if isinstance(record, dict) else None), None
    return None, None


def _is_blank(path: str) -> bool:
    opener = gzip.open if path.lower().endswith(".gz") else open
    with opener(path, "rt", encoding="utf-8", errors="replace") as handle:
        return all(not line.strip() for line in handle)


def sources(
    files: list[str],
    format_name: str | None,
    mapping: dict[str, list[str]] | None,
    input_includes_cache: bool = True,
) -> list[Source]:
    """The files grouped by format: named, detected, or given by a mapping."""
    groups: dict[str, Source] = {}
    for path in files:
        kind = _kind_of(path)
        if mapping is not None:
            fmt = generic(kind, mapping, input_includes_cache)
            if format_name is not None and format_name in FORMATS:
                base = FORMATS[format_name]
                fmt = LogFormat(
                    base.name,
                    base.kind,
                    {**base.fields, **mapping},
                    base.input_includes_cache,
                    base.description,
                    base.llm_records_only,
                    base.otlp,
                )
        elif format_name is not None:
            if format_name not in FORMATS:
                known = ", ".join(FORMATS)
                raise InputError(
                    f"unknown format {format_name!r}; formats are {known}", field="format"
                )
            fmt = FORMATS[format_name]
        elif kind == "parquet":
            raise InputError(
                f"{path}: a Parquet file needs a column mapping (--map timestamp=COLUMN "
                "--map model=COLUMN ...; costline ingest --help)"
            )
        else:
            record, header = _first_record(path)
            if record is None and header is None and _is_blank(path):
                raise InputError(f"{path}: the file is empty (no record to read)")
            name = detect(record, header)
            if name is None:
                raise InputError(
                    f"{path}: cannot tell the log format from its first record; name it with "
                    f"--format ({', '.join(FORMATS)}) or map the columns with --map"
                )
            fmt = FORMATS[name]
        if fmt.kind != kind and not (fmt.kind == "jsonl" and kind == "jsonl"):
            raise InputError(f"{path}: the {fmt.name} format reads {fmt.kind} files, not {kind}")
        groups.setdefault(fmt.name, Source([], fmt)).files.append(path)
    return list(groups.values())


def _sql_text(value: str) -> str:
    return "'" + value.replace("'", "''") + "'"


def _json_path(place: str) -> str:
    return place if place.startswith("$") else f"$.{place}"


def _attr_sql(name: str) -> str:
    """An OpenTelemetry span attribute of the JSON record `j`: flat or an OTLP list."""
    name = name.replace('"', "")
    flat = f"json_extract_string(j, {_sql_text(f'$.attributes.{json.dumps(name)}')})"
    listed = (
        "json_extract(list_filter(CAST(json_extract(j, '$.attributes[*]') AS JSON[]), "
        f"lambda a: json_extract_string(a, '$.key') = {_sql_text(name)})[1], '$.value')"
    )
    scalar = ", ".join(
        f"json_extract_string({listed}, '$.{k}')"
        for k in ("intValue", "stringValue", "doubleValue", "boolValue")
    )
    return f"coalesce({flat}, {scalar})"


def _coalesce(parts: list[str]) -> str:
    if not parts:
        return "NULL"
    return parts[0] if len(parts) == 1 else f"coalesce({', '.join(parts)})"


def _raw_fields(fmt: LogFormat, place: Callable[[str], str]) -> str:
    """The SQL of every `raw_<field>`: the first of the format's places for it that is set."""
    return ", ".join(
        f"{_coalesce([place(p) for p in fmt.fields.get(name, [])])} AS raw_{name}"
        for name in FIELDS
    )


def _line_reader(files: list[str], reader: Callable[[str], str]) -> str:
    """Each file read on its own, so WITH ORDINALITY numbers its lines from 1."""
    return " UNION ALL ".join(
        f"SELECT {_sql_text(f)} AS source_file, ordinality AS n, * EXCLUDE (ordinality) "
        f"FROM {reader(f)} WITH ORDINALITY"
        for f in files
    )


def _json_raw_sql(source: Source) -> tuple[str, str]:
    """Records of JSON-lines files (file, line, the text, a parse error, each field), and
    the text of each line."""
    fmt = source.format

    def reader(f: str) -> str:
        return (
            f"read_csv({_sql_text(f)}, columns={{'text': 'VARCHAR'}}, delim='\x01', quote='', "
            f"escape='', header=false, auto_detect=false, max_line_size={MAX_LINE_BYTES}, "
            "strict_mode=false)"
        )

    lines = (
        f"SELECT source_file, n AS line, text FROM ({_line_reader(source.files, reader)}) "
        "WHERE text IS NOT NULL AND trim(text) <> ''"
    )
    texts = f"SELECT source_file, line, text FROM ({lines})"
    uses_attributes = any(p.startswith("attr:") for ps in fmt.fields.values() for p in ps)
    if not uses_attributes:
        # one parse a record: every path extracted at once (TRY: NULL for broken JSON)
        paths = [_json_path(p) for ps in fmt.fields.values() for p in ps if p.startswith("$")]
        paths = list(dict.fromkeys(paths))
        index = {path: i + 1 for i, path in enumerate(paths)}
        listed = "[" + ", ".join(_sql_text(p) for p in paths) + "]"

        def place(p: str) -> str:
            if p.startswith("const:"):
                return _sql_text(p.removeprefix("const:"))
            return f"v[{index[_json_path(p)]}]"

        fields = _raw_fields(fmt, place)
        return (
            f"SELECT source_file, line, text, CASE WHEN v IS NULL THEN 'malformed JSON' END "
            f"AS parse_error, {fields} FROM (SELECT *, TRY(json_extract_string(text, {listed})) "
            f"AS v FROM ({lines}))"
        ), texts
    records = f"SELECT *, TRY_CAST(text AS JSON) AS j FROM ({lines})"
    bad = "j IS NULL"
    if fmt.otlp:
        records = (
            "SELECT source_file, line, text, j IS NULL AS bad, unnest(CASE WHEN j IS NULL THEN "
            "[NULL] ELSE CAST(json_extract(j, '$.resourceSpans[*].scopeSpans[*].spans[*]') AS "
            f"JSON[]) END) AS j FROM ({records})"
        )
        bad = "bad"

    def json_place(p: str) -> str:
        if p.startswith("const:"):
            return _sql_text(p.removeprefix("const:"))
        if p.startswith("attr:"):
            return _attr_sql(p.removeprefix("attr:"))
        return f"json_extract_string(j, {_sql_text(_json_path(p))})"

    fields = _raw_fields(fmt, json_place)
    return (
        f"SELECT source_file, line, text, CASE WHEN {bad} THEN 'malformed JSON' END AS "
        f"parse_error, {fields} FROM ({records})"
    ), texts


def _column_raw_sql(
    con: duckdb.DuckDBPyConnection, source: Source
) -> tuple[str, str, dict[str, str]]:
    """Rows of CSV or Parquet files (file, line, the row, each field in its own type), the
    text of each row, and the type of each field read from one column."""
    fmt, files = source.format, source.files
    if fmt.kind == "csv":
        _csv_rejects(con, files)

        def reader(f: str) -> str:
            # rows of the wrong shape were recorded by _csv_rejects; skip them here
            return f"read_csv({_sql_text(f)}, header=true, all_varchar=true, ignore_errors=true)"

        describe = reader(files[0])
        # a data row's line: its number + 1 (the header) + the malformed lines before it
        read = _line_reader(files, reader)
        rows = (
            f"SELECT x.*, x.n + 1 + coalesce(a.k, 0) AS line FROM ({read}) x "
            "ASOF LEFT JOIN csv_adjust a ON a.source_file = x.source_file AND x.n >= a.adj"
        )
    else:
        describe = f"read_parquet({_sql_text(files[0])})"
        rows = (
            f"SELECT *, filename AS source_file, file_row_number + 1 AS line FROM "
            f"read_parquet({_file_list(files)}, filename=true, file_row_number=true)"
        )
    types = dict(
        (row[0], str(row[1]))
        for row in con.execute(f"DESCRIBE SELECT * FROM {describe}").fetchall()
    )
    columns = list(types)
    # a preset lists the columns each tool may write; a mapping names the one to use
    preset = not fmt.name.startswith("mapped-")
    usable = {
        name: [p for p in places if p.startswith("const:") or p in types or not preset]
        for name, places in fmt.fields.items()
    }
    for name in REQUIRED:
        if not usable.get(name):
            listed = " or ".join(repr(p) for p in fmt.fields.get(name, []))
            looked = (
                f"has no column {listed} for {name}" if listed else f"needs a column for {name}"
            )
            raise InputError(
                f"{files[0]}: {looked}; the columns are {', '.join(columns)} "
                f"(map one with --map {name}=COLUMN)"
            )

    def place(p: str, several: bool) -> str:
        if p.startswith("const:"):
            return _sql_text(p.removeprefix("const:"))
        if p not in types:
            raise InputError(f"{files[0]}: no column {p!r}; the columns are {', '.join(columns)}")
        quoted = '"' + p.replace('"', '""') + '"'
        return f"CAST({quoted} AS VARCHAR)" if several else quoted

    fields = []
    for name in FIELDS:
        places = usable.get(name, [])
        fields.append(f"{_coalesce([place(p, len(places) > 1) for p in places])} AS raw_{name}")
    stamp = usable["timestamp"]
    stamp_type = types.get(stamp[0], "VARCHAR") if len(stamp) == 1 else "VARCHAR"
    record = (
        "struct_pack(" + ", ".join(f'"{c}" := "{c}"' for c in columns if c.isidentifier()) + ")"
    )
    field_types = {
        name: types[places[0]]
        for name, places in usable.items()
        if len(places) == 1 and places[0] in types
    }
    return (
        (
            f"SELECT source_file, line, {record} AS text, NULL AS parse_error, "
            f"{', '.join(fields)}, {_timestamp_sql(stamp_type)} AS ts FROM ({rows})"
        ),
        f"SELECT source_file, line, CAST({record} AS VARCHAR) AS text FROM ({rows})",
        field_types,
    )


def _csv_rejects(con: duckdb.DuckDBPyConnection, files: list[str]) -> None:
    """Record the CSV rows of the wrong shape (too many or too few fields) in
    `csv_rejected` with their line, and in `csv_adjust` how they shift later lines."""
    parts, adjust = [], []
    for k, f in enumerate(files):
        table = f"csv_rejects_{k}"
        # a filter keeps DuckDB from counting lines without parsing them (no rejects then)
        con.execute(
            f"SELECT count(*) FROM (SELECT * FROM read_csv({_sql_text(f)}, header=true, "
            f"all_varchar=true, store_rejects=true, rejects_table='{table}', "
            f"rejects_scan='csv_scan_{k}') WHERE random() >= 0)"
        ).fetchall()  # the rejects table is written when the result is read to its end
        con.execute(f"CREATE TEMP TABLE IF NOT EXISTS {table} (line BIGINT, csv_line VARCHAR)")
        parts.append(
            f"SELECT {_sql_text(f)} AS source_file, line, 'malformed CSV row' AS reason, "
            f"NULL AS model, left(csv_line, {REJECT_TEXT_CHARS}) AS text FROM {table}"
        )
        # the n-th good row is at line n + 1 + #{k-th bad line r_k : r_k - k <= n}
        adjust.append(
            f"SELECT {_sql_text(f)} AS source_file, adj, max(k) AS k FROM (SELECT line - "
            f"row_number() OVER (ORDER BY line) AS adj, row_number() OVER (ORDER BY line) AS k "
            f"FROM {table}) GROUP BY adj"
        )
    con.execute("CREATE OR REPLACE TEMP TABLE csv_rejected AS " + " UNION ALL ".join(parts))
    con.execute("CREATE OR REPLACE TEMP TABLE csv_adjust AS " + " UNION ALL ".join(adjust))


def _timestamp_sql(column_type: str) -> str:
    """`raw_timestamp` of a column type as a UTC TIMESTAMP (NULL when unreadable)."""
    if column_type.startswith("TIMESTAMP WITH TIME ZONE"):
        return "CAST(raw_timestamp AS TIMESTAMP)"
    if column_type.startswith("TIMESTAMP") or column_type == "DATE":
        return "CAST(raw_timestamp AS TIMESTAMP)"
    return _TIMESTAMP


def _file_list(files: list[str]) -> str:
    return "[" + ", ".join(_sql_text(f) for f in files) + "]"


_TIMESTAMP = """CASE
    WHEN raw_timestamp IS NULL THEN NULL
    WHEN TRY_CAST(raw_timestamp AS DOUBLE) IS NOT NULL THEN make_timestamp(CAST(
      CASE
        WHEN abs(CAST(raw_timestamp AS DOUBLE)) >= 1e17 THEN CAST(raw_timestamp AS DOUBLE) / 1e3
        WHEN abs(CAST(raw_timestamp AS DOUBLE)) >= 1e14 THEN CAST(raw_timestamp AS DOUBLE)
        WHEN abs(CAST(raw_timestamp AS DOUBLE)) >= 1e11 THEN CAST(raw_timestamp AS DOUBLE) * 1e3
        ELSE CAST(raw_timestamp AS DOUBLE) * 1e6 END AS BIGINT))
    ELSE CAST(TRY_CAST(raw_timestamp AS TIMESTAMPTZ) AS TIMESTAMP) END"""


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


def _normalised_sql(
    raw: str,
    input_includes_cache: bool,
    llm_only: bool,
    has_ts: bool,
    types: dict[str, str] | None = None,
) -> str:
    """Typed rows with a reject reason (NULL when the row can be priced); the record's
    text is kept only for rejected rows. `types` are the column types of fields read from
    typed columns (Parquet): a check such a column cannot fail is left out."""
    types = types or {}
    counts = ("input_tokens", "output_tokens", "cache_read_tokens", "cache_write_tokens")
    typed = ", ".join(f"TRY_CAST(raw_{c} AS DOUBLE) AS n_{c}" for c in counts)
    non_numeric = (
        " OR ".join(
            f"(raw_{c} IS NOT NULL AND n_{c} IS NULL)"
            for c in counts
            if not types.get(c, "").startswith(_NUMBER_TYPES)
        )
        or "false"
    )
    negative = " OR ".join(f"n_{c} < 0" for c in counts)
    fractional = (
        " OR ".join(f"n_{c} <> floor(n_{c})" for c in counts if types.get(c) not in _INTEGER_TYPES)
        or "false"
    )
    cached = "coalesce(n_cache_read_tokens, 0) + coalesce(n_cache_write_tokens, 0)"
    total_input = "n_input_tokens" if input_includes_cache else f"n_input_tokens + {cached}"
    skip = (
        "raw_model IS NULL AND raw_input_tokens IS NULL AND raw_output_tokens IS NULL"
        if llm_only
        else "false"
    )
    stamp = "" if has_ts else f", {_TIMESTAMP} AS ts"
    reason = f"""CASE
    WHEN parse_error IS NOT NULL THEN parse_error
    WHEN skipped THEN NULL
    WHEN raw_model IS NULL OR CAST(raw_model AS VARCHAR) = '' THEN 'missing model'
    WHEN raw_input_tokens IS NULL THEN 'missing input tokens'
    WHEN raw_output_tokens IS NULL THEN 'missing output tokens'
    WHEN {non_numeric} THEN 'non-numeric token count'
    WHEN {negative} THEN 'negative token count'
    WHEN {fractional} THEN 'fractional token count'
    WHEN raw_timestamp IS NULL THEN 'missing timestamp'
    WHEN ts IS NULL THEN 'unparseable timestamp'
    WHEN raw_logged_cost_usd IS NOT NULL AND logged_cost_usd IS NULL
      THEN 'non-numeric logged cost'
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
  logged_cost_usd
FROM (
  SELECT *, {reason} AS reason
  FROM (
    SELECT *, {total_input} AS input_total
    FROM (
      SELECT *, {typed}, TRY_CAST(raw_logged_cost_usd AS DOUBLE) AS logged_cost_usd,
        {skip} AS skipped {stamp}
      FROM ({raw})
    )
  )
)"""


@contextlib.contextmanager
def _connection(memory_limit: str | None = None) -> Iterator[duckdb.DuckDBPyConnection]:
    with tempfile.TemporaryDirectory(prefix="costline-duckdb-") as spill:
        con = duckdb.connect(config={"threads": os.cpu_count() or 2})
        try:
            con.execute("SET TimeZone = 'UTC'")
            con.execute(f"SET temp_directory = {_sql_text(spill)}")
            if memory_limit:
                con.execute(f"SET memory_limit = {_sql_text(memory_limit)}")
            con.execute("SET preserve_insertion_order = false")
            yield con
        finally:
            con.close()


def _with_progress(
    con: duckdb.DuckDBPyConnection, sql: str, progress: Progress | None
) -> duckdb.DuckDBPyConnection:
    if progress is None:
        return con.execute(sql)
    done = threading.Event()

    def poll() -> None:
        while not done.wait(0.2):
            with contextlib.suppress(Exception):
                share = con.query_progress()
                if share >= 0:
                    progress(min(share / 100, 1.0))

    watcher = threading.Thread(target=poll, daemon=True)
    watcher.start()
    try:
        return con.execute(sql)
    finally:
        done.set()
        watcher.join()
        progress(1.0)


def _load_rows(
    con: duckdb.DuckDBPyConnection, groups: list[Source], progress: Progress | None
) -> None:
    """`rows`: every record of every source, typed, with a reason. JSON and CSV records
    are parsed once into a table; Parquet is a view (re-reading it is cheaper than
    keeping a copy)."""
    parts, texts = [], []
    for s in groups:
        fmt = s.format
        if fmt.kind == "jsonl":
            types: dict[str, str] = {}
            (raw, text), has_ts = _json_raw_sql(s), False
        else:
            raw, text, types = _column_raw_sql(con, s)
            has_ts = True
        parts.append(
            _normalised_sql(raw, fmt.input_includes_cache, fmt.llm_records_only, has_ts, types)
        )
        texts.append(text)
    con.execute("CREATE TEMP VIEW source_text AS " + " UNION ALL ".join(texts))
    if not any(s.format.kind == "csv" for s in groups):
        con.execute(
            "CREATE TEMP TABLE csv_rejected (source_file VARCHAR, line BIGINT, reason VARCHAR, "
            "model VARCHAR, text VARCHAR)"
        )
    union = " UNION ALL BY NAME ".join(f"({p})" for p in parts)
    keep = "VIEW" if all(s.format.kind == "parquet" for s in groups) else "TABLE"
    _with_progress(con, f"CREATE TEMP {keep} rows AS {union}", progress)


@dataclass(frozen=True)
class Pricing:
    """How the logged models were priced: the SQL of a row's model key and of its cost (and
    of each of LINES; see `_case_sql`), and the models worth a note."""

    key_sql: str
    cost_sql: str
    line_sql: tuple[str, ...]
    standard_tier: tuple[str, ...]
    """provider:model (tier) of models without a price for the logged tier."""
    overridden: tuple[str, ...]
    """Models priced by an override row."""
    unresolved: tuple[str, ...]
    """provider:model of models the catalog does not know."""


def _price_table(con: duckdb.DuckDBPyConnection, overrides: dict[str, PriceOverride]) -> Pricing:
    """Resolve each logged model and build the `models` and `cells` tables."""
    # every logged model, rejected rows' too: reading three columns beats checking rows
    pairs = [
        (p, m, t)
        for p, m, t in con.execute("SELECT provider, model, tier FROM rows GROUP BY ALL").fetchall()
        if m
    ]
    models: dict[tuple[str | None, str], tuple[int, str, str]] = {}
    cells: list[tuple] = []
    standard_tier: set[str] = set()
    overridden: set[str] = set()
    done: set[tuple[int, str]] = set()
    found_by_key: dict[int, ResolvedModel] = {}
    for provider, model, tier in pairs:
        key = (provider, model)
        if key not in models:
            override = overrides.get(model) or overrides.get(f"{provider}:{model}")
            if override is not None:
                models[key] = (len(models), "override", model)
                overridden.add(model)
                cells.append(_override_cell(models[key][0], override))
                continue
            found = resolve(provider, model)
            if found is None and provider and "/" not in model:
                found = resolve("litellm", f"{provider}/{model}")
            if found is None:
                continue
            models[key] = (len(models), found.provider, found.model_id)
            found_by_key[models[key][0]] = found
        index, provider_id, _ = models[key]
        if provider_id == "override" or (index, tier or "") in done:
            continue
        done.add((index, tier or ""))
        found = found_by_key[index]
        context = context_of(tier)
        if context is not None and not _has_variant(found.model, context):
            standard_tier.add(f"{found.provider}:{found.model_id} ({tier})")
        for cell in price_cells(found, context):
            cells.append(_cell_row(index, tier or "", cell))
    con.execute(
        "CREATE TEMP TABLE models (provider VARCHAR, model VARCHAR, model_key INTEGER, "
        "catalog_provider VARCHAR, catalog_model VARCHAR)"
    )
    if models:
        con.executemany(
            "INSERT INTO models VALUES (?, ?, ?, ?, ?)",
            [(p, m, i, cp, cm) for (p, m), (i, cp, cm) in models.items()],
        )
    con.execute(
        "CREATE TEMP TABLE cells (model_key INTEGER, tier VARCHAR, day_from DATE, day_to DATE, "
        "second_from DOUBLE, second_to DOUBLE, input_above BIGINT, input_upto BIGINT, "
        "a_input DOUBLE, a_read DOUBLE, a_write DOUBLE, a_output DOUBLE, a_request DOUBLE)"
    )
    if cells:
        con.executemany("INSERT INTO cells VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?)", cells)
    key_sql, cost_sql = _case_sql(models, cells)
    return Pricing(
        key_sql=key_sql,
        cost_sql=cost_sql,
        line_sql=tuple(_case_sql(models, cells, part)[1] for part in LINES),
        standard_tier=tuple(sorted(standard_tier)),
        overridden=tuple(sorted(overridden)),
        unresolved=tuple(sorted({f"{p}:{m}" for p, m, _ in pairs if (p, m) not in models})),
    )


def _number(x: float | int) -> str:
    return f"CAST('{x!r}' AS DOUBLE)"


LINES = ("input", "cached_input", "output", "request")
"""The parts of a row's cost: uncached input tokens, cache reads and writes, output
tokens and the per-request fee; they add up to `cost_usd`."""


def _linear(part: str, coef: list[float]) -> str:
    """The SQL of one part of a cell's cost (`total` or one of LINES)."""
    a_input, a_read, a_write, a_output, a_request = coef
    terms = {
        "total": [
            (a_input, "input_total"),
            (a_read, "cache_read"),
            (a_write, "cache_write"),
            (a_output, "output"),
            (a_request, "1"),
        ],
        # a cache read is priced as an input token plus its own (negative) difference
        "input": [(a_input, "(input_total - cache_read - cache_write)")],
        "cached_input": [(a_input + a_read, "cache_read"), (a_input + a_write, "cache_write")],
        "output": [(a_output, "output")],
        "request": [(a_request, "1")],
    }[part]
    joined = " + ".join(f"{_number(c)} * {column}" for c, column in terms if c != 0)
    return joined or "CAST(0 AS DOUBLE)"


def _case_sql(
    models: dict[tuple[str | None, str], tuple[int, str, str]],
    cells: list[tuple],
    part: str = "total",
) -> tuple[str, str]:
    """A row's model key and its cost (or one part of it, see LINES) as CASE expressions:
    the price table compiled into the query, so no row is joined to it (a range join
    costs more than the pricing)."""
    if not models:
        return "CAST(NULL AS INTEGER)", "CAST(NULL AS DOUBLE)"
    keys = " ".join(
        f"WHEN model = {_sql_text(m)} AND provider "
        + ("IS NULL" if p is None else f"= {_sql_text(p)}")
        + f" THEN {i}"
        for (p, m), (i, _, _) in models.items()
    )
    by_model: dict[int, list[str]] = {}
    for index, tier, day_from, day_to, s_from, s_to, above, upto, *coef in cells:
        conditions = [] if tier == "*" else [f"coalesce(tier, '') = {_sql_text(tier)}"]
        if day_from is not None:
            conditions.append(f"day >= DATE '{day_from.isoformat()}'")
        if day_to is not None:
            conditions.append(f"day < DATE '{day_to.isoformat()}'")
        if s_from > 0:
            conditions.append(f"second_of_day >= {_number(s_from)}")
        if s_to < SECONDS_PER_DAY:
            conditions.append(f"second_of_day < {_number(s_to)}")
        if above >= 0:
            conditions.append(f"input_total > {above}")
        if upto < NO_LIMIT:
            conditions.append(f"input_total <= {upto}")
        by_model.setdefault(index, []).append(
            f"WHEN {' AND '.join(conditions) or 'true'} THEN {_linear(part, coef)}"
        )
    costs = " ".join(
        f"WHEN {index} THEN CASE {' '.join(whens)} END" for index, whens in by_model.items()
    )
    return f"CASE {keys} END", f"CASE model_key {costs} END"


def _has_variant(model: Any, context: dict[str, str]) -> bool:
    return any(
        all(context.get(k) == v for k, v in variant.when.items())
        for variant in model.price_variants or ()
    )


def _cell_row(index: int, tier: str, c: PriceCell) -> tuple:
    return (
        index,
        tier,
        c.day_from,
        c.day_to,
        c.second_from,
        c.second_to,
        c.input_above,
        c.input_upto,
        c.usd_per_input,
        c.usd_per_cache_read,
        c.usd_per_cache_write,
        c.usd_per_output,
        c.usd_per_request,
    )


def _override_cell(index: int, o: PriceOverride) -> tuple:
    per_input = o.input_usd_per_mtok / 1e6
    read = 0.0 if o.cached_input_usd_per_mtok is None else o.cached_input_usd_per_mtok / 1e6
    return (
        index,
        "*",
        None,
        None,
        0.0,
        SECONDS_PER_DAY,
        -1,
        NO_LIMIT,
        per_input,
        0.0 if o.cached_input_usd_per_mtok is None else read - per_input,
        0.0,
        o.output_usd_per_mtok / 1e6,
        0.0,
    )


_PRICED = """
SELECT *, model_key IS NULL AS unknown_model
FROM (
  SELECT *, {cost} AS cost_usd
  FROM (SELECT *, {key} AS model_key FROM rows WHERE reason IS NULL AND NOT skipped)
)
"""

LABEL_COLUMNS = (
    "coalesce(user_id, '(none)') AS user_id, coalesce(feature, '(unlabelled)') AS feature"
)
"""A row's user and feature, with the names a report shows when the log has none."""

_TOKEN_SOURCES = {
    "input_tokens": "input_total",
    "cache_read_tokens": "cache_read",
    "cache_write_tokens": "cache_write",
    "output_tokens": "output",
}


def token_columns(*names: str) -> str:
    """The SQL selecting the named token counts (all of them by default) from `rows`."""
    return ", ".join(f"CAST({_TOKEN_SOURCES[n]} AS BIGINT) AS {n}" for n in names or _TOKEN_SOURCES)


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
) -> tuple[list[Source], Pricing]:
    """Read and price the logs into the views `priced_rows` (PRICED_COLUMNS) and
    `rejected_rows` (source_file, line, reason, text); the sources read and how they were
    priced."""
    groups = sources(files, format_name, mapping, input_includes_cache)
    try:
        _load_rows(con, groups, progress)
        pricing = _price_table(con, overrides or {})
    except duckdb.Error as err:
        first = str(err).splitlines()[0]
        raise InputError(f"{groups[0].files[0]}: cannot be read as logs: {first}") from None
    lines = ", ".join(
        f"{sql} AS {part}_cost_usd" for part, sql in zip(LINES, pricing.line_sql, strict=True)
    )
    key_sql = pricing.key_sql
    con.execute(f"CREATE TEMP VIEW priced AS {_PRICED.format(cost=pricing.cost_sql, key=key_sql)}")
    con.execute(f"CREATE TEMP VIEW priced_rows AS {_OUTPUT}")
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


def catalog_label() -> str:
    """The price data every ingest is priced with."""
    return f"genai-prices {genai_prices.__version__}"


def ingest(
    files: list[str],
    out: Path,
    format_name: str | None = None,
    mapping: dict[str, list[str]] | None = None,
    overrides: dict[str, PriceOverride] | None = None,
    input_includes_cache: bool = True,
    progress: Progress | None = None,
    force: bool = True,
) -> IngestSummary:
    """Normalise and price `files` into the Parquet file `out`; rejects beside it. An
    existing `out` is replaced only with `force`."""
    resolved_out = out.resolve()
    for path in files:
        if Path(path).resolve() == resolved_out:
            raise InputError(f"{out}: is one of the input files; choose another --out")
    if not out.parent.is_dir():
        raise InputError(f"{out}: folder {out.parent} does not exist")
    if out.exists() and not force:
        raise InputError(f"{out}: exists; choose another --out or add --force to replace it")
    rejects_path = out.with_name(out.stem + ".rejects.csv")
    with _connection() as con:
        groups, pricing = prepare(
            con, files, format_name, mapping, overrides, input_includes_cache, progress
        )
        con.execute("CREATE TEMP TABLE priced_out AS SELECT * FROM priced_rows_with_lines")
        counts = con.execute(
            "SELECT count(*) FILTER (WHERE skipped AND reason IS NULL), "
            "count(*) + (SELECT count(*) FROM csv_rejected) FROM rows"
        ).fetchone()
        priced = con.execute(
            "SELECT count(*), sum(cost_usd), sum(logged_cost_usd), count(logged_cost_usd), "
            "min(ts), max(ts) FROM priced_out"
        ).fetchone()
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
        assert counts is not None and priced is not None
        summary = IngestSummary(
            files=len(files),
            formats={g.format.name: g.files for g in groups},
            records_read=int(counts[1]),
            records_skipped=int(counts[0]),
            rows_priced=int(priced[0]),
            rows_rejected=int(sum(reasons.values())),
            rejected_by_reason={str(k): int(v) for k, v in reasons.items()},
            total_cost_usd=float(priced[1] or 0.0),
            logged_cost_usd=None if not priced[3] else float(priced[2]),
            rows_with_logged_cost=int(priced[3]),
            first_request=None if priced[4] is None else priced[4].isoformat(),
            last_request=None if priced[5] is None else priced[5].isoformat(),
            catalog=catalog_label(),
            priced_on=dt.date.today().isoformat(),
            output=str(out),
            rejects=str(rejects_path),
            priced_at_standard_tier=list(pricing.standard_tier),
            priced_by_override=list(pricing.overridden),
            unknown_models={str(k): int(v) for k, v in unknown.items()},
        )
        # the summary travels inside the Parquet file: `costline usage` reports it
        kv = f"costline_ingest: {_sql_text(summary.model_dump_json())}"
        tmp_out = out.with_name(f".{out.name}.tmp")
        tmp_rejects = rejects_path.with_name(f".{rejects_path.name}.tmp")
        con.execute(
            f"COPY priced_out TO {_sql_text(str(tmp_out))} (FORMAT parquet, KV_METADATA {{{kv}}})"
        )
        con.execute(
            "COPY (SELECT * FROM rejected_rows ORDER BY source_file, line) "
            f"TO {_sql_text(str(tmp_rejects))} (HEADER, DELIMITER ',')"
        )
    os.replace(tmp_out, out)
    os.replace(tmp_rejects, rejects_path)
    return summary
