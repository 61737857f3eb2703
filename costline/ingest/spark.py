"""The usage summary on Spark (`costline usage --engine spark`): the same checks, prices and
figures as the DuckDB pipeline, for logs that live where Spark reads them.

The price table is resolved locally from the distinct (provider, model, tier) the logs name
(`price_sql.resolve_prices`, the adapter every engine reads) and broadcast; the join, the
arithmetic and the aggregation run on Spark; only aggregates come back. No Python runs per
row. Parquet logs only, for now (a lake's format; JSON lines on Spark are not read yet).
"""

from __future__ import annotations

import contextlib
import datetime as dt
import os
import re
import tempfile
import warnings
from pathlib import Path
from typing import Any

from costline.catalog.prices import PriceCatalog
from costline.errors import InputError
from costline.ingest.discovery import sources
from costline.ingest.formats import FIELDS, REQUIRED, LogFormat
from costline.ingest.normalise import EARLIEST_LOG, LATEST_LOG
from costline.ingest.price_sql import CELL_COLUMNS, COST_SQL, resolve_prices
from costline.ingest.readers import missing_column
from costline.ingest.summaries import UsageSummary
from costline.ingest.usage import GROUPINGS, Dialect, rejected_text, summarise
from costline.scenario.common import PriceOverride
from costline.settings import MAX_LOGGED_COST_USD, MAX_TOKENS_PER_CALL

SPARK = Dialect(
    # Spark's percentile is exact, interpolated between ranks as DuckDB's quantile_cont
    quantiles=lambda column, ps: f"percentile({column}, array({ps}))",
    quantile=lambda column, p: f"percentile({column}, {p})",
    groupings={
        "feature": "feature",
        "model": "model_label",
        "user": "user_id",
        "day": "date_format(ts, 'yyyy-MM-dd')",
        "month": "date_format(ts, 'yyyy-MM')",
    },
    keep="CACHE TABLE {name} AS {sql}",
    stamp=lambda sql: f"CAST({sql} AS STRING)",
)

_SPARK_TYPES = {
    "INTEGER": "INT",
    "BIGINT": "BIGINT",
    "VARCHAR": "STRING",
    "DATE": "DATE",
    "DOUBLE": "DOUBLE",
}

_COUNTS = (
    "input_tokens",
    "output_tokens",
    "cache_read_tokens",
    "cache_write_tokens",
    "web_searches",
)


def session(master: str | None = None, remote: str | None = None) -> Any:
    """A Spark session in UTC: Spark Connect at `remote` (sc://host:port), else a local or
    cluster master (local[*] when neither is given)."""
    try:
        from pyspark.sql import SparkSession
    except ImportError:
        raise InputError(
            "--engine spark needs pyspark: pip install 'costline[spark]' (and a Java 17 "
            "runtime for local mode)"
        ) from None
    if master is not None and not _MASTER.match(master):
        raise InputError(
            f"expected a Spark master such as local[*], local[4], spark://host:7077, yarn or "
            f"k8s://https://host:443, got {master!r}",
            field="master",
        )
    if remote is not None and not remote.startswith("sc://"):
        raise InputError(
            f"expected a Spark Connect address sc://host:port, got {remote!r}", "remote"
        )
    builder = SparkSession.builder.appName("costline usage")
    if remote:
        builder = builder.remote(remote)
    else:
        # local mode listens on this machine only; the driver logs errors, not its start-up
        os.environ.setdefault("SPARK_LOCAL_IP", "127.0.0.1")
        config = Path(__file__).with_name("spark-log4j2.properties")
        builder = (
            builder.master(master or "local[*]")
            .config("spark.driver.extraJavaOptions", f"-Dlog4j2.configurationFile=file:{config}")
            # exact quantiles gather a group's costs in one task: Spark's 1 GB default heap
            # runs out at ~10M calls
            .config("spark.driver.memory", f"{_local_heap_mb()}m")
            # no spark-warehouse folder left in the user's working folder
            .config("spark.sql.warehouse.dir", str(Path(tempfile.gettempdir()) / "costline-spark"))
        )
    warnings.filterwarnings("ignore", message="PySpark does not yet fully support pandas")
    from pyspark.errors import PySparkException

    try:
        spark = (
            builder.config("spark.sql.session.timeZone", "UTC")
            .config("spark.ui.enabled", "false")
            .config("spark.sql.shuffle.partitions", "8")
            .config("spark.ui.showConsoleProgress", "false")
            .config("spark.log.level", "FATAL")
            .getOrCreate()
        )
    except ImportError as err:
        # Spark Connect's client needs grpcio and friends, which pyspark alone lacks
        raise InputError(
            f"needs Spark Connect's client: pip install 'pyspark[connect]' ({err})",
            field="remote",
        ) from None
    except (PySparkException, OSError) as err:
        first = next((line.strip() for line in str(err).splitlines() if line.strip()), "")
        where = f"at {remote}" if remote else f"with master {master or 'local[*]'}"
        raise InputError(f"Spark could not start {where}: {first}", field="engine") from None
    if not remote:
        spark.sparkContext.setLogLevel("FATAL")
    return spark


_MASTER = re.compile(r"^(local(\[(\*|\d+)(,\d+)?\])?|yarn|(spark|k8s|mesos)://\S+)$")
"""The masters Spark takes: local, local[N], local[*], local[N,F], yarn, spark://, k8s://."""


def _local_heap_mb() -> int:
    """The driver's heap in local mode: a quarter of this machine's memory (MB)."""
    try:
        total = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
    except (ValueError, OSError, AttributeError):
        return 2048
    return max(1024, int(total / 4 / 2**20))


def _quoted(column: str) -> str:
    return "`" + column.replace("`", "``") + "`"


def _text(value: str) -> str:
    return "'" + value.replace("\\", "\\\\").replace("'", "\\'") + "'"


def _raw_sql(spark: Any, files: list[str], fmt: LogFormat) -> tuple[str, str]:
    """The Spark SQL of every record of Parquet `files` (the view `logs_raw`): its file and
    line, and each field in its own type, from the first of its places that is set; and the
    Spark type of the timestamp's column."""
    frame = spark.read.parquet(*files).select("*", "_metadata.file_path", "_metadata.row_index")
    frame.createOrReplaceTempView("logs_raw")
    types = {f.name: f.dataType.simpleString() for f in frame.schema.fields}
    columns = [c for c in types if c not in ("file_path", "row_index")]
    # as the DuckDB reader: a preset's places are the columns each tool may write, a
    # mapping's are the ones to use (a missing one is named)
    preset = not fmt.name.startswith("mapped-")
    fields = {
        name: [p for p in places if p.startswith("const:") or p in types or not preset]
        for name, places in fmt.fields.items()
    }
    for name in REQUIRED:
        if not fields.get(name):
            raise missing_column(files[0], name, fmt.fields.get(name, []), columns)

    def place(p: str, several: bool) -> str:
        if p.startswith("const:"):
            return _text(p.removeprefix("const:"))
        if p not in types:
            raise InputError(f"{files[0]}: no column {p!r}; the columns are {', '.join(columns)}")
        return f"CAST({_quoted(p)} AS STRING)" if several else _quoted(p)

    parts = []
    for name in FIELDS:
        places = fields.get(name, [])
        values = [place(p, len(places) > 1) for p in places]
        value = (
            "NULL"
            if not values
            else values[0]
            if len(values) == 1
            else (f"coalesce({', '.join(values)})")
        )
        parts.append(f"{value} AS raw_{name}")
    stamp = [p for p in fields.get("timestamp", []) if p in types]
    kind = types[stamp[0]] if len(stamp) == 1 else "string"
    return (
        f"SELECT file_path AS source_file, row_index + 1 AS line, {', '.join(parts)} FROM logs_raw"
    ), kind


def _timestamp_sql(kind: str) -> str:
    """`raw_timestamp` as a UTC timestamp, as the DuckDB reader reads it: a timestamp
    column as it is; a number as epoch seconds, milliseconds, microseconds or nanoseconds
    by its size; text parsed."""
    if kind.startswith("timestamp") or kind == "date":
        return "CAST(raw_timestamp AS TIMESTAMP)"
    number = "try_cast(raw_timestamp AS DOUBLE)"
    return f"""CASE
    WHEN raw_timestamp IS NULL THEN NULL
    WHEN {number} IS NOT NULL THEN timestamp_micros(CAST(CASE
        WHEN abs({number}) >= 1e17 THEN {number} / 1e3
        WHEN abs({number}) >= 1e14 THEN {number}
        WHEN abs({number}) >= 1e11 THEN {number} * 1e3
        ELSE {number} * 1e6 END AS BIGINT))
    ELSE try_cast(CAST(raw_timestamp AS STRING) AS TIMESTAMP) END"""


def _normalised_sql(raw: str, kind: str, input_includes_cache: bool) -> str:
    """Typed rows with a reject reason, the checks and reasons of
    `normalise._normalised_sql` in Spark SQL."""
    typed = ", ".join(f"try_cast(raw_{c} AS DOUBLE) AS n_{c}" for c in _COUNTS)
    non_numeric = " OR ".join(
        f"(raw_{c} IS NOT NULL AND n_{c} IS NULL) OR isnan(n_{c}) OR abs(n_{c}) = double('inf')"
        for c in _COUNTS
    )
    negative = " OR ".join(f"n_{c} < 0" for c in _COUNTS)
    fractional = " OR ".join(f"n_{c} <> floor(n_{c})" for c in _COUNTS)
    too_large = " OR ".join(f"n_{c} > {MAX_TOKENS_PER_CALL:.0f}" for c in _COUNTS)
    cached = "coalesce(n_cache_read_tokens, 0) + coalesce(n_cache_write_tokens, 0)"
    total_input = "n_input_tokens" if input_includes_cache else f"n_input_tokens + {cached}"
    reason = f"""CASE
    WHEN raw_model IS NULL OR CAST(raw_model AS STRING) = '' THEN 'missing model'
    WHEN raw_input_tokens IS NULL THEN 'missing input tokens'
    WHEN raw_output_tokens IS NULL THEN 'missing output tokens'
    WHEN {non_numeric} THEN 'non-numeric token count'
    WHEN {negative} THEN 'negative token count'
    WHEN {fractional} THEN 'fractional token count'
    WHEN {too_large} THEN 'token count too large'
    WHEN raw_timestamp IS NULL THEN 'missing timestamp'
    WHEN ts IS NULL THEN 'unparseable timestamp'
    WHEN ts < TIMESTAMP '{EARLIEST_LOG}' OR ts >= TIMESTAMP '{LATEST_LOG}'
      THEN 'timestamp out of range'
    WHEN raw_logged_cost_usd IS NOT NULL AND logged_cost_usd IS NULL
      THEN 'non-numeric logged cost'
    WHEN isnan(logged_cost_usd) OR abs(logged_cost_usd) = double('inf') OR logged_cost_usd < 0
      OR logged_cost_usd > {MAX_LOGGED_COST_USD:.0f} THEN 'implausible logged cost'
    WHEN input_total < {cached} THEN 'cached tokens exceed input tokens'
  END"""
    return f"""
SELECT source_file, line, reason, false AS skipped, ts, to_date(ts) AS day,
  (unix_micros(ts) - unix_micros(date_trunc('DAY', ts))) / 1e6 AS second_of_day,
  CAST(raw_user AS STRING) AS user_id, CAST(raw_feature AS STRING) AS feature,
  CAST(raw_provider AS STRING) AS provider, CAST(raw_model AS STRING) AS model,
  lower(CAST(raw_service_tier AS STRING)) AS tier,
  input_total, coalesce(n_cache_read_tokens, 0) AS cache_read,
  coalesce(n_cache_write_tokens, 0) AS cache_write, n_output_tokens AS output,
  coalesce(n_web_searches, 0) AS web_searches, logged_cost_usd
FROM (
  SELECT *, {reason} AS reason
  FROM (
    SELECT *, {total_input} AS input_total
    FROM (
      SELECT *, {typed}, try_cast(raw_logged_cost_usd AS DOUBLE) AS logged_cost_usd,
        {_timestamp_sql(kind)} AS ts
      FROM ({raw})
    )
  )
)"""


def usage_on_spark(
    files: list[str],
    by: str = "feature",
    format_name: str | None = None,
    mapping: dict[str, list[str]] | None = None,
    overrides: dict[str, PriceOverride] | None = None,
    input_includes_cache: bool = True,
    catalog: PriceCatalog | None = None,
    master: str | None = None,
    remote: str | None = None,
) -> UsageSummary:
    """The usage summary of Parquet logs priced on Spark: the figures `usage_report` gives
    for the same files (USD; quantiles exact)."""
    if by not in GROUPINGS:
        raise InputError(f"expected one of {', '.join(GROUPINGS)}, got {by!r}", field="by")
    from costline.ingest.usage import ingested_summary

    local = len(files) == 1 and "://" not in files[0]
    if local and ingested_summary(Path(files[0])) is not None:
        raise InputError(
            f"{files[0]}: is a usage file costline ingest has priced already; summarise it "
            "with the default engine (duckdb), or give Spark the raw logs"
        )
    groups = sources(files, format_name, mapping, input_includes_cache)
    if any(g.format.kind != "parquet" for g in groups):
        raise InputError(
            f"{files[0]}: --engine spark reads Parquet logs for now; price JSON lines and "
            "CSV with the default engine (duckdb)"
        )
    if len(groups) > 1:
        raise InputError(f"{files[0]}: --engine spark reads logs of one format at a time")
    fmt = groups[0].format
    spark = session(master, remote)

    def fetch(sql: str) -> list[dict[str, Any]]:
        return [row.asDict() for row in spark.sql(sql).collect()]

    from py4j.protocol import Py4JError
    from pyspark.errors import PySparkException

    try:
        return _summary(spark, fetch, files, groups[0].files, fmt, by, overrides, catalog)
    except (PySparkException, Py4JError) as err:
        # Spark's own failure (out of memory, a lost executor, a file it cannot read): the
        # first line of the JVM's message, not its stack
        java = getattr(err, "java_exception", None)
        text = str(java.getMessage() if java is not None else err) or type(err).__name__
        first = next((line.strip() for line in text.splitlines() if line.strip()), text)
        what = files[0] if len(files) == 1 else f"the {len(files)} files"
        raise InputError(f"Spark could not price {what}: {first}") from None
    finally:
        # the session may be the user's own (Spark Connect): leave nothing of ours in it
        with contextlib.suppress(PySparkException, Py4JError):
            for name in reversed(_VIEWS):
                spark.sql(f"UNCACHE TABLE IF EXISTS {name}")
                spark.sql(f"DROP VIEW IF EXISTS {name}")


_VIEWS = ("logs_raw", "log_rows", "models", "cells", "usage", "group_users")
"""The temporary views a summary makes in the Spark session, each on those before it."""


def _summary(
    spark: Any,
    fetch: Any,
    files: list[str],
    paths: list[str],
    fmt: Any,
    by: str,
    overrides: dict[str, PriceOverride] | None,
    catalog: PriceCatalog | None,
) -> UsageSummary:
    raw, kind = _raw_sql(spark, paths, fmt)
    spark.sql(f"CACHE TABLE log_rows AS {_normalised_sql(raw, kind, fmt.input_includes_cache)}")
    pairs = [
        (r["provider"], r["model"], r["tier"])
        for r in fetch("SELECT DISTINCT provider, model, tier FROM log_rows")
    ]
    catalog = catalog or PriceCatalog()
    table = resolve_prices(pairs, overrides or {}, catalog)
    model_rows = [(p, m, i, cp, cm) for (p, m), (i, cp, cm) in table.models.items()]
    spark.createDataFrame(
        model_rows,
        "provider STRING, model STRING, model_key INT, catalog_provider STRING, "
        "catalog_model STRING",
    ).createOrReplaceTempView("models")
    schema = ", ".join(f"{name} {_SPARK_TYPES[t]}" for name, t in CELL_COLUMNS)
    spark.createDataFrame(table.cells, schema).createOrReplaceTempView("cells")
    # the price table is small: broadcast, and each row's cell found by its ranges
    spark.sql(
        f"""CACHE TABLE usage AS
        SELECT /*+ BROADCAST(m, c) */ r.ts, coalesce(r.user_id, '(none)') AS user_id,
          coalesce(r.feature, '(unlabelled)') AS feature,
          m.catalog_provider || ':' || m.catalog_model AS model_label,
          CAST(r.input_total AS BIGINT) AS input_tokens, CAST(r.output AS BIGINT) AS output_tokens,
          CAST(r.cache_read AS BIGINT) AS cache_read_tokens,
          {COST_SQL["total"]} AS cost_usd, r.logged_cost_usd
        FROM log_rows r
        JOIN models m ON r.provider <=> m.provider AND r.model = m.model
        JOIN cells c ON c.model_key = m.model_key
          AND (c.tier = '*' OR c.tier = coalesce(r.tier, ''))
          AND (c.day_from IS NULL OR r.day >= c.day_from)
          AND (c.day_to IS NULL OR r.day < c.day_to)
          AND r.second_of_day >= c.second_from AND r.second_of_day < c.second_to
          AND r.input_total > c.input_above AND r.input_total <= c.input_upto
        WHERE r.reason IS NULL"""
    )
    reasons = {
        str(r["reason"]): int(r["n"])
        for r in fetch(
            "SELECT reason, count(*) AS n FROM log_rows WHERE reason IS NOT NULL GROUP BY 1"
        )
    }
    unknown = {
        str(r["model"]): int(r["n"])
        for r in fetch(
            "SELECT coalesce(r.provider || ':', '') || r.model AS model, count(*) AS n "
            "FROM log_rows r LEFT ANTI JOIN models m ON r.provider <=> m.provider "
            "AND r.model = m.model WHERE r.reason IS NULL GROUP BY 1"
        )
    }
    if unknown:
        reasons["unknown model"] = sum(unknown.values())
    body = summarise(fetch, by, SPARK)
    if body["rows_priced"] == 0:
        raise InputError(f"{files[0]}: no row could be priced{rejected_text(reasons)}")
    head = {
        "source": files,
        "catalog": catalog.label,
        "priced_on": dt.date.today().isoformat(),
        "rows_rejected": sum(reasons.values()),
        "rejected_by_reason": dict(sorted(reasons.items(), key=lambda kv: (-kv[1], kv[0]))),
        "records_skipped": 0,
        "unknown_models": dict(sorted(unknown.items(), key=lambda kv: (-kv[1], kv[0]))),
    }
    return UsageSummary.model_validate({**head, **body})
