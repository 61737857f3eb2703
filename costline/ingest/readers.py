"""Reading each source as raw fields: JSON lines by path, CSV and Parquet by column, with the
text of each record kept for the rejects."""

from __future__ import annotations

import datetime as dt
import json
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import duckdb

from costline.errors import InputError, option
from costline.ingest.discovery import Source
from costline.ingest.formats import FIELDS, REQUIRED, LogFormat
from costline.ingest.session import sql_text

REJECT_TEXT_CHARS = 2_000


def _json_path(place: str) -> str:
    if place.startswith("count:"):
        return _count_parts(place)[0]
    return place if place.startswith("$") else f"$.{place}"


_KEY = re.compile(r"\.([A-Za-z_][A-Za-z0-9_]*)")


def _split_path(path: str) -> tuple[tuple[str, ...], str]:
    """`$.a.b[0].c` -> (("a", "b"), "[0].c"): the leading plain keys of a JSON path and the
    rest, itself a path from the value at those keys."""
    keys, at = [], 1
    while (m := _KEY.match(path, at)) is not None:
        keys.append(m.group(1))
        at = m.end()
    rest = path[at:]
    # a key cut short (`$.a-b`) goes back to the rest whole
    while rest and rest[0] not in ".[" and keys:
        rest = f".{keys.pop()}" + rest
    return tuple(keys), rest


def _json_shape(paths: list[str], counted: set[str]) -> tuple[str, dict[str, str], dict[str, str]]:
    """The structure `from_json` parses a record into to read `paths`, the SQL of each
    path's value as text (as `json_extract_string` gives it) from the parsed struct `s`,
    and of the JSON value at each path of `counted` (arrays whose items are counted).
    Plain keys become struct fields; a path that goes on past them (an index, a quoted
    key) or under which another path reads is kept as JSON and read from there."""
    split = {p: _split_path(p) for p in paths}
    json_nodes = {keys for p, (keys, rest) in split.items() if rest or p in counted}
    leaves = {keys for keys, rest in split.values() if not rest}
    # a node another path reads under is kept whole, as JSON
    for keys, _ in split.values():
        json_nodes |= {keys[:k] for k in range(1, len(keys)) if keys[:k] in leaves | json_nodes}
    # a struct's field names ignore case (JSON's keys do not): keys that differ only in
    # case are read from their parent kept as JSON, or from the text at the top
    from_text: set[str] = set()
    while True:
        seen: dict[tuple[tuple[str, ...], str], set[str]] = {}
        for p, (keys, _) in split.items():
            if p in from_text:
                continue
            for k in range(1, len(keys) + 1):
                parent = keys[: k - 1]
                if any(parent[:j] in json_nodes for j in range(1, len(parent) + 1)):
                    break
                seen.setdefault((parent, keys[k - 1].lower()), set()).add(keys[k - 1])
        clashes = [parent for (parent, _), names in seen.items() if len(names) > 1]
        if not clashes:
            break
        for parent in clashes:
            if parent:
                json_nodes.add(parent)
            else:
                from_text |= {p for p, (keys, _) in split.items() if keys}
    json_nodes.discard(())

    def access(keys: tuple[str, ...]) -> str:
        return "s" + "".join('."' + k.replace('"', '""') + '"' for k in keys)

    def owner(keys: tuple[str, ...]) -> tuple[str, ...] | None:
        """The shallowest JSON node at or above `keys`."""
        return next((keys[:k] for k in range(1, len(keys) + 1) if keys[:k] in json_nodes), None)

    tree: dict[str, Any] = {}
    value_of, json_of = {}, {}
    for p, (keys, rest) in split.items():
        top = owner(keys)
        if not keys or p in from_text:
            # nothing plain to parse into: read from the text itself
            value_of[p] = f"TRY(json_extract_string(text, {sql_text(p)}))"
            json_of[p] = f"TRY(json_extract(text, {sql_text(p)}))"
            continue
        node = keys if top is None else top
        branch: dict[str, Any] = tree
        for name in node[:-1]:
            branch = branch.setdefault(name, {})
        branch[node[-1]] = "VARCHAR" if top is None else "JSON"
        if top is None:
            value_of[p] = access(keys)
            continue
        inner = "$" + "".join(f".{k}" for k in keys[len(top) :]) + rest
        value_of[p] = f"json_extract_string({access(top)}, {sql_text(inner)})"
        json_of[p] = (
            access(top) if inner == "$" else f"json_extract({access(top)}, {sql_text(inner)})"
        )
    return json.dumps(tree), value_of, json_of


def parsed_sql(shape: str) -> str:
    """The SQL of a line's `text` parsed into the struct `shape` (see `_json_shape`):
    NULL for a line that is not JSON (and for the record `null`: `json_valid` tells them
    apart)."""
    if shape == "{}":
        return "CASE WHEN json_valid(text) THEN true END"
    return f"TRY(from_json(text, {sql_text(shape)}))"


def _count_parts(place: str) -> tuple[str, str, str]:
    """`count:$.output[].type=web_search_call` -> ("$.output", "type", "web_search_call")."""
    path, _, value = place.removeprefix("count:").partition("=")
    array, _, key = path.partition("[].")
    return array, key, value


def _count_sql(place: str, array_sql: str) -> str:
    """How many items of the JSON array `array_sql` have the place's key equal its value."""
    _, key, value = _count_parts(place)
    items = f"json_extract_string({array_sql}, {sql_text(f'$[*].{key}')})"
    return f"CAST(len(list_filter({items}, lambda x: x = {sql_text(value)})) AS VARCHAR)"


def _attr_sql(name: str) -> str:
    """An OpenTelemetry span attribute of the JSON record `j`: flat or an OTLP list."""
    name = name.replace('"', "")
    flat = f"json_extract_string(j, {sql_text(f'$.attributes.{json.dumps(name)}')})"
    listed = (
        "json_extract(list_filter(CAST(json_extract(j, '$.attributes[*]') AS JSON[]), "
        f"lambda a: json_extract_string(a, '$.key') = {sql_text(name)})[1], '$.value')"
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
        f"SELECT {sql_text(f)} AS source_file, ordinality AS n, * EXCLUDE (ordinality) "
        f"FROM {reader(f)} WITH ORDINALITY"
        for f in files
    )


USUAL_LINE_BYTES = 16 * 1024 * 1024
"""The longest JSON line read on a first try. DuckDB's CSV reader sizes its buffers from
the longest line allowed: counting the lines of a 2.9 GB file took a 2.8 GB peak at
MAX_LINE_BYTES and 0.5 GB at 10 MB (and 40% less time). A longer line is read on a second
try, with MAX_LINE_BYTES (see `longer_line`)."""


def longer_line(err: duckdb.Error) -> bool:
    """The error is a line longer than the reader was told to expect."""
    return "maximum line size" in str(err).lower()


def json_raw_sql(source: Source, line_bytes: int = USUAL_LINE_BYTES) -> tuple[str, str]:
    """Records of JSON-lines files (file, line, the text, a parse error, each field), and
    the text of each line; lines of up to `line_bytes`."""
    fmt = source.format

    def reader(f: str) -> str:
        return (
            f"read_csv({sql_text(f)}, columns={{'text': 'VARCHAR'}}, delim='\x01', quote='', "
            f"escape='', header=false, auto_detect=false, max_line_size={line_bytes}, "
            "strict_mode=false)"
        )

    lines = (
        f"SELECT source_file, n AS line, text FROM ({_line_reader(source.files, reader)}) "
        # a blank line is skipped; only a line that starts with a space is trimmed to see
        "WHERE text IS NOT NULL AND (ascii(text) > 32 OR trim(text) <> '')"
    )
    texts = f"SELECT source_file, line, text FROM ({lines})"
    uses_attributes = any(p.startswith("attr:") for ps in fmt.fields.values() for p in ps)
    if not uses_attributes:
        # one parse a record, into a struct of just the paths the format reads (TRY: NULL
        # for broken JSON; a valid record that is not an object, such as `null`, is not)
        paths = [
            _json_path(p) for ps in fmt.fields.values() for p in ps if p.startswith(("$", "count:"))
        ]
        counted = {
            _json_path(p) for ps in fmt.fields.values() for p in ps if p.startswith("count:")
        }
        shape, value_of, json_of = _json_shape(list(dict.fromkeys(paths)), counted)

        def place(p: str) -> str:
            if p.startswith("const:"):
                return sql_text(p.removeprefix("const:"))
            if p.startswith("count:"):
                return _count_sql(p, json_of[_json_path(p)])
            return value_of[_json_path(p)]

        fields = _raw_fields(fmt, place)
        parsed = parsed_sql(shape)
        return (
            "SELECT source_file, line, text, CASE WHEN s IS NULL AND NOT "
            "coalesce(json_valid(text), false) THEN 'malformed JSON' END AS parse_error, "
            f"{fields} "
            f"FROM (SELECT *, {parsed} AS s FROM ({lines}))"
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
            return sql_text(p.removeprefix("const:"))
        if p.startswith("attr:"):
            return _attr_sql(p.removeprefix("attr:"))
        if p.startswith("count:"):
            return _count_sql(p, f"json_extract(j, {sql_text(_json_path(p))})")
        return f"json_extract_string(j, {sql_text(_json_path(p))})"

    fields = _raw_fields(fmt, json_place)
    return (
        f"SELECT source_file, line, text, CASE WHEN {bad} THEN 'malformed JSON' END AS "
        f"parse_error, {fields} FROM ({records})"
    ), texts


@dataclass(frozen=True)
class Range:
    """What a Parquet file's own statistics say of one column over every row group: its
    least and greatest value and how many values are missing."""

    least: float | dt.datetime
    greatest: float | dt.datetime
    missing: int

    def numbers_within(self, low: float, high: float) -> bool:
        """Every value is a number from `low` to `high`, both included."""
        return (
            isinstance(self.least, float | int)
            and isinstance(self.greatest, float | int)
            and low <= self.least
            and self.greatest <= high
        )

    def times_within(self, start: dt.datetime, end: dt.datetime) -> bool:
        """Every value is a timestamp from `start` up to, not including, `end`."""
        return (
            isinstance(self.least, dt.datetime)
            and isinstance(self.greatest, dt.datetime)
            and start <= self.least
            and self.greatest < end
        )


def parquet_ranges(
    con: duckdb.DuckDBPyConnection, files: list[str], columns: dict[str, str]
) -> dict[str, Range]:
    """The range of each field's column (`columns`: field -> column name) of integer or
    timestamp type over `files`, where every row group of every file records it (a writer
    may leave statistics out; a column without them has no range). Only 32- and 64-bit
    integers are read: the order of INT96 timestamps' statistics is undefined."""
    if not columns:
        return {}
    names = ", ".join(sql_text(c) for c in set(columns.values()))
    found = con.execute(
        f"""SELECT path_in_schema, count(*) = count(stats_min_value)
              AND count(*) = count(stats_max_value) AND count(*) = count(stats_null_count),
              min(TRY_CAST(stats_min_value AS DOUBLE)), max(TRY_CAST(stats_max_value AS DOUBLE)),
              min(TRY_CAST(stats_min_value AS TIMESTAMP)),
              max(TRY_CAST(stats_max_value AS TIMESTAMP)), sum(stats_null_count)
            FROM parquet_metadata({_file_list(files)})
            WHERE path_in_schema IN ({names}) AND type IN ('INT32', 'INT64')
            GROUP BY 1"""
    ).fetchall()
    by_column = {}
    for column, complete, low, high, first, last, missing in found:
        if not complete or missing is None:
            continue
        if low is not None and high is not None:
            by_column[column] = Range(low, high, int(missing))
        elif first is not None and last is not None:
            by_column[column] = Range(first, last, int(missing))
    return {f: by_column[c] for f, c in columns.items() if c in by_column}


def missing_column(file: str, name: str, places: list[str], columns: list[str]) -> InputError:
    """The error for a file with no column for the required field `name` (looked for in
    `places`), naming its columns and how to map one."""
    listed = " or ".join(repr(p) for p in places)
    looked = f"has no column {listed} for {name}" if listed else f"needs a column for {name}"
    return InputError(
        f"{file}: {looked}; the columns are {', '.join(columns)} (map one with "
        f"{option('fields', f'fields={{{name!r}: COLUMN}}', f'--map {name}=COLUMN')})"
    )


def column_raw_sql(
    con: duckdb.DuckDBPyConnection, source: Source
) -> tuple[str, str, dict[str, str], dict[str, Range]]:
    """Rows of CSV or Parquet files (file, line, the row, each field in its own type), the
    text of each row, the type of each field read from one column and, for Parquet, the
    range of those of integer or timestamp type."""
    fmt, files = source.format, source.files
    if fmt.kind == "csv":
        _csv_rejects(con, files)

        def reader(f: str) -> str:
            # rows of the wrong shape were recorded by _csv_rejects; skip them here
            return f"read_csv({sql_text(f)}, header=true, all_varchar=true, ignore_errors=true)"

        describe = reader(files[0])
        # a data row's line: its number + 1 (the header) + the malformed lines before it
        read = _line_reader(files, reader)
        rows = (
            f"SELECT x.*, x.n + 1 + coalesce(a.k, 0) AS line FROM ({read}) x "
            "ASOF LEFT JOIN csv_adjust a ON a.source_file = x.source_file AND x.n >= a.adj"
        )
    else:
        describe = f"read_parquet({sql_text(files[0])})"
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
            raise missing_column(files[0], name, fmt.fields.get(name, []), columns)

    def place(p: str, several: bool) -> str:
        if p.startswith("const:"):
            return sql_text(p.removeprefix("const:"))
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
    ranged = {
        name: usable[name][0]
        for name, kind in field_types.items()
        if kind in _RANGED_TYPES or kind.startswith("TIMESTAMP")
    }
    ranges = parquet_ranges(con, files, ranged) if fmt.kind == "parquet" else {}
    return (
        (
            f"SELECT *, {timestamp_sql(stamp_type)} AS ts FROM (SELECT *, {TS_NUMBER} FROM "
            f"(SELECT source_file, line, {record} AS text, NULL AS parse_error, "
            f"{', '.join(fields)} FROM ({rows})))"
        ),
        f"SELECT source_file, line, CAST({record} AS VARCHAR) AS text FROM ({rows})",
        field_types,
        ranges,
    )


_RANGED_TYPES = ("TINYINT", "SMALLINT", "INTEGER", "BIGINT", "UTINYINT", "USMALLINT", "UINTEGER")
"""Column types whose Parquet statistics read exactly as a double (UBIGINT and HUGEINT may
not)."""


def _csv_rejects(con: duckdb.DuckDBPyConnection, files: list[str]) -> None:
    """Record the CSV rows of the wrong shape (too many or too few fields) in
    `csv_rejected` with their line, and in `csv_adjust` how they shift later lines."""
    parts, adjust = [], []
    for k, f in enumerate(files):
        table = f"csv_rejects_{k}"
        # a filter keeps DuckDB from counting lines without parsing them (no rejects then)
        con.execute(
            f"SELECT count(*) FROM (SELECT * FROM read_csv({sql_text(f)}, header=true, "
            f"all_varchar=true, store_rejects=true, rejects_table='{table}', "
            f"rejects_scan='csv_scan_{k}') WHERE random() >= 0)"
        ).fetchall()  # the rejects table is written when the result is read to its end
        con.execute(f"CREATE TEMP TABLE IF NOT EXISTS {table} (line BIGINT, csv_line VARCHAR)")
        parts.append(
            f"SELECT {sql_text(f)} AS source_file, line, 'malformed CSV row' AS reason, "
            f"NULL AS model, left(csv_line, {REJECT_TEXT_CHARS}) AS text FROM {table}"
        )
        # the n-th good row is at line n + 1 + #{k-th bad line r_k : r_k - k <= n}
        adjust.append(
            f"SELECT {sql_text(f)} AS source_file, adj, max(k) AS k FROM (SELECT line - "
            f"row_number() OVER (ORDER BY line) AS adj, row_number() OVER (ORDER BY line) AS k "
            f"FROM {table}) GROUP BY adj"
        )
    con.execute("CREATE OR REPLACE TEMP TABLE csv_rejected AS " + " UNION ALL ".join(parts))
    con.execute("CREATE OR REPLACE TEMP TABLE csv_adjust AS " + " UNION ALL ".join(adjust))


def _file_list(files: list[str]) -> str:
    return "[" + ", ".join(sql_text(f) for f in files) + "]"


def timestamp_sql(column_type: str) -> str:
    """`raw_timestamp` of a column type as a UTC TIMESTAMP (NULL when unreadable)."""
    if column_type.startswith("TIMESTAMP WITH TIME ZONE"):
        return "CAST(raw_timestamp AS TIMESTAMP)"
    if column_type.startswith("TIMESTAMP") or column_type == "DATE":
        return "CAST(raw_timestamp AS TIMESTAMP)"
    return TIMESTAMP_SQL


TIMESTAMP_SQL = """CASE
    WHEN raw_timestamp IS NULL THEN NULL
    WHEN ts_number IS NOT NULL THEN make_timestamp(CAST(
      CASE
        WHEN abs(ts_number) >= 1e17 THEN ts_number / 1e3
        WHEN abs(ts_number) >= 1e14 THEN ts_number
        WHEN abs(ts_number) >= 1e11 THEN ts_number * 1e3
        ELSE ts_number * 1e6 END AS BIGINT))
    ELSE CAST(TRY_CAST(raw_timestamp AS TIMESTAMPTZ) AS TIMESTAMP) END"""
"""`raw_timestamp` as a UTC TIMESTAMP: epoch seconds, milliseconds, microseconds or
nanoseconds by their size, or text. Reads `ts_number` (TS_NUMBER, computed once a row in a
query below it)."""


TS_NUMBER = "TRY_CAST(raw_timestamp AS DOUBLE) AS ts_number"
"""`raw_timestamp` as a number, for TIMESTAMP_SQL."""
