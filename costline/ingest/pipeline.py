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
class PriceOverrideRow:
    """A price for a model the catalog does not know (USD per 1M tokens)."""

    model: str
    input_usd_per_mtok: float
    output_usd_per_mtok: float
    cached_input_usd_per_mtok: float | None = None


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
    with opener(path, "rt", encoding="utf-8", errors="replace") as handle:  # type: ignore[operator]
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
                raise InputError(f"--format: unknown format {format_name!r}; formats are {known}")
            fmt = FORMATS[format_name]
        elif kind == "parquet":
            raise InputError(
                f"{path}: a Parquet file needs a column mapping (--map timestamp=COLUMN "
                "--map model=COLUMN ...; costline ingest --help)"
            )
        else:
            record, header = _first_record(path)
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


def _json_place(place: str) -> str:
    if place.startswith("const:"):
        return _sql_text(place.removeprefix("const:"))
    if place.startswith("attr:"):
        name = place.removeprefix("attr:").replace('"', "")
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
    path = place if place.startswith("$") else f"$.{place}"
    return f"json_extract_string(j, {_sql_text(path)})"


def _column_place(place: str, columns: list[str], where: str) -> str:
    if place.startswith("const:"):
        return _sql_text(place.removeprefix("const:"))
    if place not in columns:
        raise InputError(f"{where}: no column {place!r}; the columns are {', '.join(columns)}")
    return f'CAST("{place.replace(chr(34), "")}" AS VARCHAR)'


def _fields_sql(fmt: LogFormat, place_sql: Callable[[str], str]) -> str:
    parts = []
    for name in FIELDS:
        places = fmt.fields.get(name, [])
        expr = "NULL" if not places else f"coalesce({', '.join(place_sql(p) for p in places)})"
        parts.append(f"CAST({expr} AS VARCHAR) AS raw_{name}")
    return ",\n  ".join(parts)


def _file_list(files: list[str]) -> str:
    return "[" + ", ".join(_sql_text(f) for f in files) + "]"


def _raw_sql(con: duckdb.DuckDBPyConnection, source: Source) -> str:
    """SELECT of one source's records: file, line, the record's text, a parse error, and
    every field as text."""
    fmt, files = source.format, _file_list(source.files)
    missing = [f for f in REQUIRED if not fmt.fields.get(f)]
    if missing:
        raise InputError(
            f"{source.files[0]}: no place given for {', '.join(missing)}; map it with "
            f"--map {missing[0]}=COLUMN_OR_PATH"
        )
    if fmt.kind == "jsonl":
        lines = (
            f"SELECT filename AS source_file, ordinality AS n, text FROM read_csv({files}, "
            "columns={'text': 'VARCHAR'}, delim='\\x01', quote='', escape='', header=false, "
            f"filename=true, auto_detect=false, max_line_size={MAX_LINE_BYTES}, "
            "strict_mode=false) WITH ORDINALITY"
        )
        numbered = (
            f"SELECT source_file, n - min(n) OVER (PARTITION BY source_file) + 1 AS line, text "
            f"FROM ({lines})"
        )
        records = (
            "SELECT source_file, line, text, CASE WHEN json_valid(text) THEN CAST(text AS JSON) "
            f"END AS j FROM ({numbered}) WHERE text IS NOT NULL AND trim(text) <> ''"
        )
        if fmt.otlp:
            records = (
                "SELECT source_file, line, text, unnest(CASE WHEN j IS NULL THEN [NULL] ELSE "
                "CAST(json_extract(j, '$.resourceSpans[*].scopeSpans[*].spans[*]') AS JSON[]) "
                f"END) AS j, j IS NULL AS bad FROM ({records})"
            )
            bad = "bad"
        else:
            bad = "j IS NULL"
        return (
            f"SELECT source_file, line, left(text, {REJECT_TEXT_CHARS}) AS text, "
            f"CASE WHEN {bad} THEN 'malformed JSON' END AS parse_error, "
            f"{_fields_sql(fmt, _json_place)} FROM ({records})"
        )
    if fmt.kind == "csv":
        reader = f"read_csv({files}, header=true, all_varchar=true, filename=true)"
        offset = 1  # the header is line 1
        number = "ordinality"
        source_sql = f"SELECT *, filename AS source_file FROM {reader} WITH ORDINALITY"
    else:
        reader = f"read_parquet({files}, filename=true, file_row_number=true)"
        offset, number = 0, "file_row_number"
        source_sql = f"SELECT *, filename AS source_file, ordinality FROM {reader} WITH ORDINALITY"
    columns = [
        row[0]
        for row in con.execute(f"DESCRIBE SELECT * FROM {reader} LIMIT 0").fetchall()
        if row[0] not in ("filename", "file_row_number")
    ]
    # a preset lists the columns each tool may write; a mapping names the one to use
    preset = not fmt.name.startswith("mapped-")
    usable = {
        name: [p for p in places if p.startswith("const:") or p in columns or not preset]
        for name, places in fmt.fields.items()
    }
    for name in REQUIRED:
        if not usable.get(name):
            listed = " or ".join(repr(p) for p in fmt.fields[name])
            raise InputError(
                f"{source.files[0]}: no column {listed} for {name}; the columns are "
                f"{', '.join(columns)} (map one with --map {name}=COLUMN)"
            )
    fmt = LogFormat(fmt.name, fmt.kind, usable, fmt.input_includes_cache)
    fields = _fields_sql(fmt, lambda p: _column_place(p, columns, source.files[0]))
    line = (
        f"{number} - min({number}) OVER (PARTITION BY source_file) + 1 + {offset}"
        if fmt.kind == "csv"
        else f"{number} + 1"
    )
    record_text = "to_json(struct_pack(" + ", ".join(f'"{c}" := "{c}"' for c in columns) + "))"
    return (
        f"SELECT source_file, {line} AS line, left(CAST({record_text} AS VARCHAR), "
        f"{REJECT_TEXT_CHARS}) AS text, NULL AS parse_error, {fields} FROM ({source_sql})"
    )


_TIMESTAMP = """CASE
    WHEN raw_timestamp IS NULL THEN NULL
    WHEN TRY_CAST(raw_timestamp AS DOUBLE) IS NOT NULL THEN make_timestamp(CAST(
      CASE
        WHEN abs(CAST(raw_timestamp AS DOUBLE)) >= 1e17 THEN CAST(raw_timestamp AS DOUBLE) / 1e3
        WHEN abs(CAST(raw_timestamp AS DOUBLE)) >= 1e14 THEN CAST(raw_timestamp AS DOUBLE)
        WHEN abs(CAST(raw_timestamp AS DOUBLE)) >= 1e11 THEN CAST(raw_timestamp AS DOUBLE) * 1e3
        ELSE CAST(raw_timestamp AS DOUBLE) * 1e6 END AS BIGINT))
    ELSE CAST(TRY_CAST(raw_timestamp AS TIMESTAMPTZ) AS TIMESTAMP) END"""


def _normalised_sql(raw: str, input_includes_cache: bool, llm_only: bool) -> str:
    """Typed rows with a reject reason (None when the row can be priced)."""
    counts = ("input_tokens", "output_tokens", "cache_read_tokens", "cache_write_tokens")
    typed = ",\n  ".join(f"TRY_CAST(raw_{c} AS DOUBLE) AS n_{c}" for c in counts)
    total_input = (
        "n_input_tokens"
        if input_includes_cache
        else "n_input_tokens + coalesce(n_cache_read_tokens, 0) + coalesce(n_cache_write_tokens, 0)"
    )
    non_numeric = " OR ".join(f"(raw_{c} IS NOT NULL AND n_{c} IS NULL)" for c in counts)
    negative = " OR ".join(f"n_{c} < 0" for c in counts)
    fractional = " OR ".join(f"n_{c} <> floor(n_{c})" for c in counts)
    skip = (
        "raw_model IS NULL AND raw_input_tokens IS NULL AND raw_output_tokens IS NULL"
        if llm_only
        else "false"
    )
    return f"""
SELECT *,
  CASE
    WHEN parse_error IS NOT NULL THEN parse_error
    WHEN skipped THEN NULL
    WHEN raw_model IS NULL OR trim(raw_model) = '' THEN 'missing model'
    WHEN raw_input_tokens IS NULL THEN 'missing input tokens'
    WHEN raw_output_tokens IS NULL THEN 'missing output tokens'
    WHEN {non_numeric} THEN 'non-numeric token count'
    WHEN {negative} THEN 'negative token count'
    WHEN {fractional} THEN 'fractional token count'
    WHEN raw_timestamp IS NULL THEN 'missing timestamp'
    WHEN ts IS NULL THEN 'unparseable timestamp'
    WHEN raw_logged_cost_usd IS NOT NULL AND logged_cost IS NULL THEN 'non-numeric logged cost'
    WHEN input_total < coalesce(n_cache_read_tokens, 0) + coalesce(n_cache_write_tokens, 0)
      THEN 'cached tokens exceed input tokens'
  END AS reason
FROM (
  SELECT *, {total_input} AS input_total
  FROM (
    SELECT *, {typed},
      {_TIMESTAMP} AS ts,
      TRY_CAST(raw_logged_cost_usd AS DOUBLE) AS logged_cost,
      {skip} AS skipped
    FROM ({raw})
  )
)"""


class IngestSummary(dict):
    """What an ingest did: counts, money, where the outputs went (a JSON-ready dict)."""


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
) -> duckdb.DuckDBPyRelation | None:
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
    """Create the temp table `rows`: every record of every source, typed, with a reason."""
    parts = [
        _normalised_sql(_raw_sql(con, s), s.format.input_includes_cache, s.format.llm_records_only)
        for s in groups
    ]
    union = " UNION ALL BY NAME ".join(f"({p})" for p in parts)
    try:
        _with_progress(con, f"CREATE TEMP TABLE rows AS {union}", progress)
    except duckdb.Error as err:
        first = str(err).splitlines()[0]
        raise InputError(f"{groups[0].files[0]}: cannot be read as logs: {first}") from None


def _price_table(
    con: duckdb.DuckDBPyConnection, overrides: dict[str, PriceOverrideRow]
) -> dict[str, list[str]]:
    """Resolve each logged model, build the `models` and `cells` tables; notes by kind."""
    pairs = con.execute(
        "SELECT DISTINCT raw_provider, raw_model, lower(raw_service_tier) FROM rows "
        "WHERE reason IS NULL AND NOT skipped"
    ).fetchall()
    models: dict[tuple[str | None, str], tuple[int, str, str]] = {}
    cells: list[tuple] = []
    notes: dict[str, list[str]] = {"standard_tier": [], "overridden": []}
    done: set[tuple[int, str]] = set()
    found_by_key: dict[int, ResolvedModel] = {}
    for provider, model, tier in pairs:
        key = (provider, model)
        if key not in models:
            override = overrides.get(model) or overrides.get(f"{provider}:{model}")
            if override is not None:
                models[key] = (len(models), "override", model)
                notes["overridden"].append(model)
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
            notes["standard_tier"].append(f"{found.provider}:{found.model_id} ({tier})")
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
    return notes


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


def _override_cell(index: int, o: PriceOverrideRow) -> tuple:
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
SELECT r.*, m.catalog_provider, m.catalog_model,
  c.a_input * r.input_total + c.a_read * coalesce(r.n_cache_read_tokens, 0)
    + c.a_write * coalesce(r.n_cache_write_tokens, 0) + c.a_output * r.n_output_tokens
    + c.a_request AS cost_usd,
  m.model_key IS NULL AS unknown_model
FROM rows r
LEFT JOIN models m ON m.model = r.raw_model AND m.provider IS NOT DISTINCT FROM r.raw_provider
LEFT JOIN cells c ON c.model_key = m.model_key
  AND (c.tier = '*' OR c.tier = coalesce(lower(r.raw_service_tier), ''))
  AND (c.day_from IS NULL OR CAST(r.ts AS DATE) >= c.day_from)
  AND (c.day_to IS NULL OR CAST(r.ts AS DATE) < c.day_to)
  AND epoch(r.ts) - epoch(date_trunc('day', r.ts)) >= c.second_from
  AND epoch(r.ts) - epoch(date_trunc('day', r.ts)) < c.second_to
  AND r.input_total > c.input_above AND r.input_total <= c.input_upto
WHERE r.reason IS NULL AND NOT r.skipped
"""

_OUTPUT = """
SELECT ts, CAST(ts AS DATE) AS day, coalesce(raw_user, '(none)') AS user_id,
  coalesce(raw_feature, '(unlabelled)') AS feature, raw_provider AS provider,
  raw_model AS model, catalog_provider, catalog_model, lower(raw_service_tier) AS service_tier,
  CAST(input_total AS BIGINT) AS input_tokens,
  CAST(coalesce(n_cache_read_tokens, 0) AS BIGINT) AS cache_read_tokens,
  CAST(coalesce(n_cache_write_tokens, 0) AS BIGINT) AS cache_write_tokens,
  CAST(n_output_tokens AS BIGINT) AS output_tokens, cost_usd,
  logged_cost AS logged_cost_usd, source_file, line
FROM priced WHERE NOT unknown_model
"""


def prepare(
    con: duckdb.DuckDBPyConnection,
    files: list[str],
    format_name: str | None = None,
    mapping: dict[str, list[str]] | None = None,
    overrides: dict[str, PriceOverrideRow] | None = None,
    input_includes_cache: bool = True,
    progress: Progress | None = None,
) -> tuple[list[Source], dict[str, list[str]]]:
    """Read and price the logs into the views `priced_rows` (PRICED_COLUMNS) and
    `rejected_rows` (source_file, line, reason, text); the sources read and notes by kind."""
    groups = sources(files, format_name, mapping, input_includes_cache)
    _load_rows(con, groups, progress)
    notes = _price_table(con, overrides or {})
    con.execute(f"CREATE TEMP VIEW priced AS {_PRICED}")
    con.execute(f"CREATE TEMP VIEW priced_rows AS {_OUTPUT}")
    con.execute(
        "CREATE TEMP VIEW rejected_rows AS "
        "SELECT source_file, line, reason, NULL AS model, text FROM rows WHERE reason IS NOT NULL "
        "UNION ALL SELECT source_file, line, 'unknown model' AS reason, "
        "coalesce(raw_provider || ':', '') || raw_model AS model, text "
        "FROM priced WHERE unknown_model"
    )
    return groups, notes


def catalog_label() -> str:
    """The price data every ingest is priced with."""
    return f"genai-prices {genai_prices.__version__}"


def ingest(
    files: list[str],
    out: Path,
    format_name: str | None = None,
    mapping: dict[str, list[str]] | None = None,
    overrides: dict[str, PriceOverrideRow] | None = None,
    input_includes_cache: bool = True,
    progress: Progress | None = None,
) -> IngestSummary:
    """Normalise and price `files` into the Parquet file `out`; rejects beside it."""
    resolved_out = out.resolve()
    for path in files:
        if Path(path).resolve() == resolved_out:
            raise InputError(f"{out}: is one of the input files; choose another --out")
    if not out.parent.is_dir():
        raise InputError(f"{out}: folder {out.parent} does not exist")
    rejects_path = out.with_name(out.stem + ".rejects.csv")
    with _connection() as con:
        groups, notes = prepare(
            con, files, format_name, mapping, overrides, input_includes_cache, progress
        )
        con.execute("CREATE TEMP TABLE priced_out AS SELECT * FROM priced_rows")
        counts = con.execute(
            "SELECT count(*) FILTER (WHERE skipped AND reason IS NULL), count(*) FROM rows"
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
            priced_at_standard_tier=sorted(set(notes["standard_tier"])),
            priced_by_override=sorted(set(notes["overridden"])),
            unknown_models={str(k): int(v) for k, v in unknown.items()},
        )
        # the summary travels inside the Parquet file: `costline usage` reports it
        kv = f"costline_ingest: {_sql_text(json.dumps(summary))}"
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
