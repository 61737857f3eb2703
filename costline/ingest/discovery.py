"""Finding the logs: globs expanded, each file's kind (JSON lines, CSV, Parquet; gzip) and
format, detected from its first record or given."""

from __future__ import annotations

import glob
import gzip
import json
import os
from dataclasses import dataclass

from costline.errors import InputError, option
from costline.ingest.formats import FORMATS, LogFormat, detect, generic

MAX_LINE_BYTES = 256 * 1024 * 1024


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
        if "://" in pattern:
            raise InputError(
                f"{pattern}: a path with a scheme is read by Spark (add --engine spark); "
                "on this machine give a local path"
            )
        matched = sorted(glob.glob(pattern)) if glob.has_magic(pattern) else [pattern]
        if not matched:
            raise InputError(f"{pattern}: no file matches")
        for path in matched:
            if os.path.isdir(path):
                raise InputError(
                    f"{path}: is a folder; give its log files (a glob such as {path}/*.jsonl)"
                )
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
                f"{path}: a Parquet file needs a column mapping ("
                + option(
                    "fields",
                    'fields={"timestamp": COLUMN, "model": COLUMN, ...}',
                    "--map timestamp=COLUMN --map model=COLUMN ...; costline ingest --help",
                )
                + ")"
            )
        else:
            record, header = _first_record(path)
            if record is None and header is None and _is_blank(path):
                raise InputError(f"{path}: the file is empty (no record to read)")
            name = detect(record, header)
            if name is None:
                raise InputError(
                    f"{path}: cannot tell the log format from its first record; name it with "
                    f"{option('format', 'format=')} ({', '.join(FORMATS)}) or map the columns "
                    f"with {option('fields', 'fields=', '--map')}"
                )
            fmt = FORMATS[name]
        if fmt.kind != kind and not (fmt.kind == "jsonl" and kind == "jsonl"):
            raise InputError(f"{path}: the {fmt.name} format reads {fmt.kind} files, not {kind}")
        groups.setdefault(fmt.name, Source([], fmt)).files.append(path)
    return list(groups.values())
