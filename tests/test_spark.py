"""The usage summary on Spark (real pyspark, local mode, Java 17) against DuckDB's on the same
logs: the same counts and rejects, totals to 1e-9 and exact quantiles to 1e-12."""

from __future__ import annotations

import pytest

from costline.errors import InputError
from costline.ingest.synthetic import GENERIC_MAPPING, write_logs

from .conftest import EXAMPLES, LIBRARY
from .test_ingest import MAPPING, _typed_parquet

pytest.importorskip("pyspark", reason="pip install 'costline[spark]' (make test installs it)")

EXPORT = {
    "timestamp": "ts",
    "model": "model",
    "input_tokens": "prompt",
    "output_tokens": "completion",
}


@pytest.fixture(scope="module", autouse=True)
def spark():
    from costline.ingest.spark import session

    started = session("local[2]")
    yield started
    started.stop()


def same(spark_result, duckdb_result, besides: tuple[str, ...] = ()) -> None:
    """Every figure of two usage summaries: counts equal, money and means to 1e-9, exact
    quantiles to 1e-12 (sums and means are added in another order)."""
    theirs, ours = spark_result.model_dump(), duckdb_result.model_dump()
    for key, value in ours.items():
        if key == "groups" or key in besides:
            continue
        if isinstance(value, float):
            assert theirs[key] == pytest.approx(value, rel=1e-9), key
        else:
            assert theirs[key] == value, key
    assert [g.key for g in spark_result.groups] == [g.key for g in duckdb_result.groups]
    for mine, other in zip(spark_result.groups, duckdb_result.groups, strict=True):
        for key, value in other.model_dump().items():
            if isinstance(value, float):
                assert getattr(mine, key) == pytest.approx(value, rel=1e-9), (mine.key, key)
            else:
                assert getattr(mine, key) == value, (mine.key, key)


def test_the_shipped_export_prices_the_same_on_spark():
    log = EXAMPLES / "logs" / "export.parquet"
    for by in ("feature", "model", "day", "month"):
        same(
            LIBRARY.usage(log, fields=EXPORT, by=by, engine="spark", master="local[2]"),
            LIBRARY.usage(log, fields=EXPORT, by=by),
        )


def test_a_million_generated_rows_price_the_same_on_spark(tmp_path):
    log = write_logs(tmp_path / "logs.parquet", "parquet", 1_000_000, seed=11)
    on_spark = LIBRARY.usage(log, fields=GENERIC_MAPPING, engine="spark")
    on_duckdb = LIBRARY.usage(log, fields=GENERIC_MAPPING)
    assert on_duckdb.rows_priced == 1_000_000
    same(on_spark, on_duckdb)
    same(
        LIBRARY.usage(log, fields=GENERIC_MAPPING, by="model", engine="spark"),
        LIBRARY.usage(log, fields=GENERIC_MAPPING, by="model"),
    )


@pytest.mark.parametrize("statistics", [True, False])
def test_rejected_rows_are_counted_by_reason_as_on_duckdb(tmp_path, statistics):
    import pyarrow as pa
    import pyarrow.parquet as pq

    bad = pq.read_table(_typed_parquet(tmp_path / "typed.parquet", statistics))
    good = pq.read_table(write_logs(tmp_path / "good.parquet", "parquet", 500, seed=2))
    good = good.select(bad.column_names).cast(bad.schema)
    # and calls of a model no catalog knows, rejected by name
    unknown = good.slice(0, 3).set_column(
        bad.schema.get_field_index("model"), "model", pa.array(["no-such-model"] * 3)
    )
    log = tmp_path / "mixed.parquet"
    pq.write_table(pa.concat_tables([good, bad, unknown]), log, write_statistics=statistics)
    on_spark = LIBRARY.usage(log, fields=MAPPING, engine="spark")
    on_duckdb = LIBRARY.usage(log, fields=MAPPING)
    # six bad rows of the seven typed ones, and the three calls of the unknown model
    assert on_duckdb.rows_rejected == 9
    assert sum(on_duckdb.unknown_models.values()) == 3
    same(on_spark, on_duckdb)


def test_what_spark_cannot_read_yet_is_said(tmp_path):
    with pytest.raises(InputError, match="Parquet logs for now"):
        LIBRARY.usage(EXAMPLES / "logs" / "openai.jsonl", engine="spark")
    with pytest.raises(InputError, match="needs engine spark"):
        LIBRARY.usage(EXAMPLES / "logs" / "openai.jsonl", master="local[2]")
    with pytest.raises(InputError, match="expected duckdb or spark"):
        LIBRARY.usage(EXAMPLES / "logs" / "openai.jsonl", engine="bigquery")
    usage = tmp_path / "usage.parquet"
    LIBRARY.ingest(EXAMPLES / "logs" / "openai.jsonl", usage)
    with pytest.raises(InputError, match="priced already"):
        LIBRARY.usage(usage, engine="spark")


def test_a_file_spark_cannot_read_is_one_message_not_a_stack(tmp_path):
    broken = tmp_path / "broken.parquet"
    broken.write_bytes(b"PAR1" + b"\x00" * 64 + b"PAR1")
    good = EXAMPLES / "logs" / "export.parquet"
    with pytest.raises(InputError, match="Spark could not price the 2 files") as err:
        LIBRARY.usage([str(good), str(broken)], fields=EXPORT, engine="spark")
    assert "\tat " not in str(err.value) and len(str(err.value).splitlines()) == 1


def test_a_path_with_a_scheme_is_read_by_spark_as_it_is():
    log = EXAMPLES / "logs" / "export.parquet"
    same(
        LIBRARY.usage(f"file://{log.resolve()}", fields=EXPORT, engine="spark"),
        LIBRARY.usage(log, fields=EXPORT),
        besides=("source",),
    )


def _spark_submit(tmp_path, *args: str):
    import subprocess
    import sys
    from pathlib import Path

    import pyspark

    import costline.jobs.usage as job

    submit = Path(pyspark.__file__).parent / "bin" / "spark-submit"
    return subprocess.run(
        [str(submit), "--master", "local[1]", job.__file__, *args],
        cwd=tmp_path,
        env={**__import__("os").environ, "PYSPARK_PYTHON": sys.executable},
        capture_output=True,
        text=True,
        timeout=300,
    )


def test_the_spark_submit_job_writes_the_usage_summary(tmp_path):
    import json

    log = EXAMPLES / "logs" / "export.parquet"
    maps = [f"--map={field}={column}" for field, column in EXPORT.items()]
    done = _spark_submit(tmp_path, str(log), *maps, "--by", "model", "--out", "usage.json")
    assert done.returncode == 0, done.stderr[-2000:]
    written = json.loads((tmp_path / "usage.json").read_text())
    expected = LIBRARY.usage(log, fields=EXPORT, by="model")
    assert written["rows_priced"] == expected.rows_priced
    assert written["total_cost_usd"] == pytest.approx(expected.total_cost_usd, rel=1e-9)
    assert written["cost_per_query_p95"] == pytest.approx(expected.cost_per_query_p95, rel=1e-12)
    assert [g["key"] for g in written["groups"]] == [g.key for g in expected.groups]
    # an existing output is kept, and bad input is one line and exit code 2
    again = _spark_submit(tmp_path, str(log), *maps, "--out", "usage.json")
    assert again.returncode == 2, again.stderr[-2000:]
    # spark-submit passes the Python driver's stderr through its stdout
    said = again.stdout + again.stderr
    assert "error: usage.json: exists; choose another --out" in said
    assert "Traceback" not in said


def test_a_missing_column_is_named_as_on_duckdb():
    log = EXAMPLES / "logs" / "export.parquet"
    fields = {**EXPORT, "input_tokens": "prompt_tokens"}
    with pytest.raises(InputError) as on_duckdb:
        LIBRARY.usage(log, fields=fields)
    with pytest.raises(InputError) as on_spark:
        LIBRARY.usage(log, fields=fields, engine="spark")
    assert str(on_spark.value) == str(on_duckdb.value)
    assert "no column 'prompt_tokens'" in str(on_spark.value)


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({"master": "bogus"}, "expected a Spark master"),
        ({"remote": "http://host"}, "expected a Spark Connect address"),
        ({"memory_limit": "2GB"}, "the memory limit bounds DuckDB"),
    ],
)
def test_a_master_or_remote_spark_cannot_take_is_refused_before_it_starts(options, message):
    with pytest.raises(InputError, match=message):
        LIBRARY.usage(
            EXAMPLES / "logs" / "export.parquet", fields=EXPORT, engine="spark", **options
        )


def test_a_file_with_no_priceable_row_says_why_on_both_engines(tmp_path):
    import pyarrow as pa
    import pyarrow.parquet as pq

    table = pq.read_table(EXAMPLES / "logs" / "export.parquet")
    halves = pa.array([v + 0.5 for v in table.column("prompt").to_pylist()], pa.float64())
    log = tmp_path / "halves.parquet"
    pq.write_table(table.set_column(table.schema.get_field_index("prompt"), "prompt", halves), log)
    for engine in ("duckdb", "spark"):
        with pytest.raises(InputError, match=r"200 rejected \(fractional token count 200\)"):
            LIBRARY.usage(log, fields=EXPORT, engine=engine)
