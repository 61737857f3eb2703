"""costline usage on DuckDB beside the same summary on Spark local mode, on one Parquet file.

Spark's start-up (the JVM and the session) is timed apart from its query. Both engines' figures
are checked to agree before anything is printed as a comparison: Spark is for logs that do
not fit one machine, and on one machine DuckDB is the one to use.

    .venv/bin/python benchmarks/bench_spark.py --rows 10000000
"""

from __future__ import annotations

import argparse
import os
import platform
import tempfile
import time
from pathlib import Path

import duckdb

from costline.ingest.spark import session, usage_on_spark
from costline.ingest.synthetic import GENERIC_MAPPING, write_logs
from costline.ingest.usage import usage_report


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=10_000_000)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--master", default="local[*]")
    args = parser.parse_args()
    print(
        f"machine: {platform.machine()}, {os.cpu_count()} cores, Python "
        f"{platform.python_version()}, DuckDB {duckdb.__version__}"
    )
    with tempfile.TemporaryDirectory(prefix="costline-bench-spark-") as folder:
        log = write_logs(Path(folder) / "logs.parquet", "parquet", args.rows)
        print(f"{args.rows:,} Parquet rows")
        start = time.perf_counter()
        spark = session(args.master)
        spark.range(1).collect()
        print(f"  Spark start-up ({args.master}): {time.perf_counter() - start:.1f} s")
        print(f"  Spark {spark.version}")
        ours, theirs = [], []
        for _ in range(args.rounds):
            start = time.perf_counter()
            on_duckdb = usage_report([str(log)], "feature", mapping=GENERIC_MAPPING)
            ours.append(time.perf_counter() - start)
            start = time.perf_counter()
            on_spark = usage_on_spark(
                [str(log)], "feature", mapping=GENERIC_MAPPING, master=args.master
            )
            theirs.append(time.perf_counter() - start)
        assert on_spark.rows_priced == on_duckdb.rows_priced == args.rows
        total = on_duckdb.total_cost_usd
        assert abs(on_spark.total_cost_usd - total) <= 1e-9 * total
        assert on_spark.cost_per_query_p95 == on_duckdb.cost_per_query_p95
        print(f"  costline usage on DuckDB, best of {args.rounds}: {min(ours):8.2f} s")
        print(f"  the same on Spark (session up), best of {args.rounds}: {min(theirs):8.2f} s")
        print(f"  Spark / DuckDB: {min(theirs) / min(ours):.1f}x (the same figures)")
        spark.stop()


if __name__ == "__main__":
    main()
