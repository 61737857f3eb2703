"""Synthetic request logs for tests and benchmarks, generated in DuckDB (no Python per
row): calls with a user, a feature, a model, a time, lognormal token counts, cache reads
and writes, in the formats costline ingests.

Random draws are hashes of the row number and the seed, so a seed gives the same logs on
any machine and thread count.
"""

from __future__ import annotations

from pathlib import Path

import duckdb

MODELS = (
    ("openai", "gpt-4o", "default"),
    ("openai", "gpt-4o-mini", "default"),
    ("openai", "gpt-4.1", "default"),
    ("openai", "o3", "flex"),
    ("anthropic", "claude-sonnet-4-5", ""),
    ("anthropic", "claude-haiku-4-5", ""),
    ("google", "gemini-2.5-pro", ""),
    ("deepseek", "deepseek-chat", ""),
)
"""(provider, model, service tier) the calls are spread over: cache prices, long-context
tiers (Claude Sonnet, Gemini Pro), off-peak hours (DeepSeek) and a flex tier (o3)."""
FEATURES = ("chat", "summary", "search", "draft")


def _u(k: int) -> str:
    """A uniform draw in (0, 1) for the row, the k-th of its draws."""
    return f"(((hash(i, {k}, seed) >> 20) % 999983) + 0.5) / 999983.0"


def calls_sql(
    n: int,
    seed: int = 0,
    start: str = "2025-01-01",
    days: int = 365,
    users: int = 1_000,
    models: tuple[tuple[str, str, str], ...] = MODELS,
    long_context_share: float = 0.05,
    features: tuple[str, ...] = FEATURES,
) -> str:
    """A SELECT of `n` synthetic calls with the columns of a generic log."""
    model_list = ", ".join(f"('{p}', '{m}', '{t}')" for p, m, t in models)
    feature_list = ", ".join(f"'{f}'" for f in features)
    normal = f"sqrt(-2 * ln({_u(1)})) * cos(2 * pi() * {_u(2)})"
    normal2 = f"sqrt(-2 * ln({_u(3)})) * cos(2 * pi() * {_u(4)})"
    # most prompts are a few thousand tokens; a share are long documents past 200K
    input_total = (
        f"CASE WHEN {_u(5)} < {long_context_share} THEN 200000 + CAST({_u(6)} * 300000 AS BIGINT) "
        f"ELSE CAST(exp(ln(2000) + 0.9 * {normal}) AS BIGINT) + 1 END"
    )
    return f"""
WITH params AS (SELECT {seed}::UBIGINT AS seed),
draws AS (
  SELECT i, seed,
    list_value({model_list})[CAST(1 + (hash(i, 7, seed) >> 20) % {len(models)} AS BIGINT)] AS m,
    {input_total} AS input_total,
    CAST(exp(ln(300) + 0.8 * {normal2}) AS BIGINT) AS output_tokens,
    {_u(8)} AS cached_share, {_u(9)} AS write_share
  FROM range({n}) t(i), params
)
SELECT
  TIMESTAMP '{start}' + to_microseconds(CAST({_u(10)} * {days} * 86400e6 AS BIGINT)) AS ts,
  'user-' || CAST((hash(i, 11, seed) >> 20) % {users} AS VARCHAR) AS user_id,
  list_value({feature_list})[CAST(1 + (hash(i, 12, seed) >> 20) % {len(features)} AS BIGINT)]
    AS feature,
  m[1] AS provider, m[2] AS model, nullif(m[3], '') AS service_tier,
  input_total AS input_tokens,
  CAST(floor(input_total * 0.6 * cached_share) AS BIGINT) AS cache_read_tokens,
  CASE WHEN m[1] = 'anthropic' THEN CAST(floor(input_total * 0.2 * write_share) AS BIGINT)
    ELSE 0 END AS cache_write_tokens,
  output_tokens
FROM draws
"""


def write_logs(path: Path, fmt: str, n: int, seed: int = 0, **options: object) -> Path:
    """Draw `n` synthetic calls and write them to `path` in `fmt`: generic Parquet or CSV
    (every call; columns as `calls_sql`), or openai-chat / anthropic JSON lines (only that
    provider's calls, each in its provider's convention for cached tokens)."""
    calls = calls_sql(n, seed, **options)  # type: ignore[arg-type]
    if fmt == "openai-chat":
        select = f"""
SELECT 'chatcmpl-' || row_number() OVER () AS id, 'chat.completion' AS object,
  CAST(epoch(ts) AS BIGINT) AS created, model,
  struct_pack(prompt_tokens := input_tokens, completion_tokens := output_tokens,
    total_tokens := input_tokens + output_tokens,
    prompt_tokens_details := struct_pack(cached_tokens := cache_read_tokens)) AS usage,
  coalesce(service_tier, 'default') AS service_tier,
  struct_pack(user_id := user_id, feature := feature) AS metadata
FROM ({calls}) WHERE provider = 'openai'"""
        options_sql = "FORMAT json"
    elif fmt == "anthropic":
        select = f"""
SELECT 'message' AS type, 'assistant' AS role, model,
  strftime(ts, '%Y-%m-%dT%H:%M:%S.%fZ') AS timestamp,
  struct_pack(input_tokens := input_tokens - cache_read_tokens - cache_write_tokens,
    output_tokens := output_tokens, cache_read_input_tokens := cache_read_tokens,
    cache_creation_input_tokens := cache_write_tokens) AS usage,
  struct_pack(user_id := user_id, feature := feature) AS metadata
FROM ({calls}) WHERE provider = 'anthropic'"""
        options_sql = "FORMAT json"
    elif fmt == "parquet":
        select, options_sql = calls, "FORMAT parquet"
    elif fmt == "csv":
        select, options_sql = calls, "FORMAT csv, HEADER"
    else:
        raise ValueError(f"unknown synthetic format {fmt!r}")
    target = str(path).replace("'", "''")
    con = duckdb.connect()
    try:
        con.execute("SET TimeZone = 'UTC'")
        con.execute(f"COPY ({select}) TO '{target}' ({options_sql})")
    finally:
        con.close()
    return path


GENERIC_MAPPING = {
    "timestamp": ["ts"],
    "user": ["user_id"],
    "feature": ["feature"],
    "provider": ["provider"],
    "model": ["model"],
    "input_tokens": ["input_tokens"],
    "output_tokens": ["output_tokens"],
    "cache_read_tokens": ["cache_read_tokens"],
    "cache_write_tokens": ["cache_write_tokens"],
    "service_tier": ["service_tier"],
}
"""The column mapping of the generic synthetic logs."""
