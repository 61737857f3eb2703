"""The DuckDB session every ingest stage runs in (UTC, bounded memory), and a progress feed
from its query progress."""

from __future__ import annotations

import contextlib
import os
import tempfile
import threading
from collections.abc import Callable, Iterator

import duckdb

Progress = Callable[[float], None]


def sql_text(value: str) -> str:
    return "'" + value.replace("'", "''") + "'"


@contextlib.contextmanager
def connection(memory_limit: str | None = None) -> Iterator[duckdb.DuckDBPyConnection]:
    with tempfile.TemporaryDirectory(prefix="costline-duckdb-") as spill:
        con = duckdb.connect(config={"threads": os.cpu_count() or 2})
        try:
            con.execute("SET TimeZone = 'UTC'")
            con.execute(f"SET temp_directory = {sql_text(spill)}")
            if memory_limit:
                con.execute(f"SET memory_limit = {sql_text(memory_limit)}")
            con.execute("SET preserve_insertion_order = false")
            yield con
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
