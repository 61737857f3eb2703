"""What pricing logs gives back: the summary of an ingest, and the usage summary of priced
logs (USD; shares are fractions; times are ISO strings as the logs give them)."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, use_attribute_docstrings=True, defer_build=True)


class IngestSummary(_Frozen):
    """What an ingest did: counts, money, where its outputs went. It is also stored in the
    usage file's Parquet metadata, which `usage`, `fit` and `brief --usage` read back."""

    files: int
    formats: dict[str, list[str]]
    """Log format -> the files read in it."""
    records_read: int
    records_skipped: int
    """Records that are not LLM calls (spans of other kinds, embeddings in a chat log...)."""
    rows_priced: int
    rows_rejected: int
    rejected_by_reason: dict[str, int]
    total_cost_usd: float
    logged_cost_usd: float | None
    """The cost the logs themselves carry, over the rows that carry one."""
    rows_with_logged_cost: int
    first_request: str | None
    last_request: str | None
    catalog: str
    """The price catalog the rows were priced with (name and version)."""
    priced_on: str
    output: str
    """The priced usage file; empty when no row could be priced (none is written then)."""
    rejects: str
    """The CSV of rejected rows, each with its file, line and reason."""
    priced_at_standard_tier: list[str]
    """Models whose logged service tier the catalog does not price: priced at the standard one."""
    priced_by_override: list[str]
    unknown_models: dict[str, int]


class UsageGroup(_Frozen):
    """One group of a usage summary: a feature, model, user, day or month."""

    key: str | None
    queries: int
    cost_usd: float
    share_of_cost: float | None
    cost_per_query_mean: float | None
    cost_per_query_median: float | None
    cost_per_query_p95: float | None
    input_tokens_mean: float | None
    output_tokens_mean: float | None
    cached_input_share: float | None
    users: int


class UsageSummary(_Frozen):
    """Real cost per query (median, p95) and per user-month of priced logs, by a grouping."""

    source: str | list[str]
    """The usage file, or the log files priced on the fly."""
    catalog: str | None
    priced_on: str | None
    rows_rejected: int
    rejected_by_reason: dict[str, int]
    records_skipped: int
    unknown_models: dict[str, int]
    rows_priced: int
    total_cost_usd: float
    cost_per_query_mean: float | None
    cost_per_query_median: float | None
    cost_per_query_p95: float | None
    logged_cost_usd: float | None
    rows_with_logged_cost: int
    first_request: str | None
    last_request: str | None
    users: int
    user_months: int
    cost_per_user_month_mean: float | None
    cost_per_user_month_median: float | None
    cost_per_user_month_p95: float | None
    queries_per_user_month_mean: float | None
    queries_per_user_month_p95: float | None
    by: str
    """feature, model, user, day or month."""
    groups: list[UsageGroup]
