"""The DuckDB session every ingest stage runs in (UTC, bounded memory), and a progress feed
from its query progress."""

from __future__ import annotations

import contextlib
import os
import re
import tempfile
import threading
from collections.abc import Callable, Iterator

import duckdb

from costline.errors import InputError, option
from costline.settings import MIN_MEMORY_LIMIT_BYTES

Progress = Callable[[float], None]


def sql_text(value: str) -> str:
    return "'" + value.replace("'", "''") + "'"


_SIZE = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*(kb|mb|gb|tb|kib|mib|gib|tib)\s*$", re.IGNORECASE)
_BYTES = {"kb": 1e3, "mb": 1e6, "gb": 1e9, "tb": 1e12, "kib": 2**10, "mib": 2**20}
_BYTES |= {"gib": 2**30, "tib": 2**40}


def memory_bytes(limit: str) -> float:
    """A memory size such as "2GB" or "512MiB" in bytes; an InputError naming
    `memory_limit` for anything else, or for less than MIN_MEMORY_LIMIT_BYTES."""
    found = _SIZE.match(limit)
    if found is None:
        raise InputError(
            f"expected a memory size such as 2GB or 512MiB, got {limit!r}", field="memory_limit"
        )
    size = float(found.group(1)) * _BYTES[found.group(2).lower()]
    if size < MIN_MEMORY_LIMIT_BYTES:
        raise InputError(
            f"expected at least {MIN_MEMORY_LIMIT_BYTES / 1e6:.0f}MB, got {limit!r}",
            field="memory_limit",
        )
    return size


@contextlib.contextmanager
def connection(memory_limit: str | None = None) -> Iterator[duckdb.DuckDBPyConnection]:
    """A DuckDB session in UTC that spills to a temporary folder of its own; at most
    `memory_limit` of memory (a size such as "2GB"; DuckDB's default, 80% of the machine's,
    when None). Running out of it is an InputError that says to raise it."""
    limit = None if memory_limit is None else memory_bytes(memory_limit)
    with tempfile.TemporaryDirectory(prefix="costline-duckdb-") as spill:
        con = duckdb.connect(config={"threads": os.cpu_count() or 2})
        try:
            con.execute("SET TimeZone = 'UTC'")
            con.execute(f"SET temp_directory = {sql_text(spill)}")
            if limit is not None:
                con.execute(f"SET memory_limit = '{limit:.0f}B'")
            con.execute("SET preserve_insertion_order = false")
            yield con
        except duckdb.OutOfMemoryException:
            raise InputError(
                "ran out of memory"
                + (f" within the memory limit of {memory_limit}" if memory_limit else "")
                + f"; raise {option('memory_limit', 'memory_limit')} or free some memory"
            ) from None
        finally:
            con.close()


def with_progress(
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
