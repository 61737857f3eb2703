"""Cost levers of a feature (`levers:` in a scenario file, or CLI what-ifs).

Levers apply in a fixed order, each to what the previous ones left, so savings compound
multiplicatively and never add up as percentages: the response cache, then prompt caching,
routing, distillation, compression, batching, and the caps last.
"""

from __future__ import annotations

from typing import Annotated

from pydantic import Field, model_validator
from pydantic_core import PydanticCustomError

from costline.scenario.common import ModelRef, NonNegative, PriceOverride, Share, StrictModel

Ratio = Annotated[float, Field(gt=0, le=10)]
MAX_TOKENS = 10_000_000


class ResponseCache(StrictModel):
    """An exact-match cache of whole answers in front of the feature."""

    hit_rate: Share
    """Share of queries answered from the cache: no LLM call, retrieval or tool call."""
    lookup_usd: NonNegative | None = None
    """USD per query for the cache lookup, paid by every query; the catalog default (0)
    when unset."""


class PromptCache(StrictModel):
    """The provider's prompt cache: a fixed prefix (system prompt, tools, documents) read at
    the cache-read price instead of the input price."""

    prefix_share: Share
    """Share of each call's input tokens that is a cacheable prefix; replaces the usage's
    cached_input_share (the waterfall's baseline keeps that one)."""
    ttl_minutes: Annotated[float, Field(gt=0, le=100_000)] | None = None
    """How long the provider keeps a prefix after its last use; the provider's documented
    lifetime when unset."""
    prefix_requests_per_minute: Annotated[float, Field(gt=0, le=1e9)] | None = None
    """Calls per minute that share one prefix; when unset, all of the feature's calls in
    the start month (one shared system prompt). A prefix seen less often than its lifetime
    expires and is written again."""


class RouteToCheaper(StrictModel):
    """A router that sends a share of queries to a cheaper model."""

    model: ModelRef | PriceOverride
    """The cheaper model."""
    share: Share
    """Share of the queries that reach the model (cache misses) routed to it."""
    router_usd_per_query: NonNegative = 0.0
    """USD per query for the router itself (a small classifier or LLM call)."""
    fallback_share: Share = 0.0
    """Share of routed queries whose cheap answer fails and is asked again of the feature's
    own model (paying both)."""
    tokenizer_ratio: Ratio | None = None
    """Tokens the cheaper model counts for the same text, over the feature's model; 1.0
    when unset (a labelled default)."""


class Distillation(StrictModel):
    """A smaller student model trained on the feature's traffic."""

    model: ModelRef | PriceOverride
    """The student model and its price (a fine-tuned model's price, or an explicit one)."""
    share: Share = 1.0
    """Share of the queries still on the feature's own model that the student takes."""
    one_time: Annotated[str, Field(min_length=1)] | None = None
    """Name of the `one_time` row that trains the student (its cost counts only with the
    lever, and sets the payback month)."""
    tokenizer_ratio: Ratio | None = None
    """Tokens the student counts for the same text, over the feature's model; 1.0 when
    unset."""


class Compression(StrictModel):
    """Prompt compression of the input outside the cached prefix."""

    input_reduction: Share
    """Share of each call's input tokens outside the cached prefix that compression
    removes (the prefix must stay byte-identical to stay cached)."""
    usd_per_query: NonNegative = 0.0
    """USD per query the compressor costs (a small model), paid by cache misses."""


class BatchProcessing(StrictModel):
    """Queries that tolerate batch latency, sent through the provider's batch API."""

    share: Share
    """Share of the queries that reach the model sent as batch jobs."""
    discount: Annotated[float, Field(ge=0, lt=1)] | None = None
    """Share of the price saved; the catalog's batch price, else the provider's documented
    batch discount, when unset."""


class Caps(StrictModel):
    """Limits on what a query or a user may use."""

    max_output_tokens: Annotated[float, Field(gt=0, le=MAX_TOKENS)] | None = None
    """Largest output per LLM call (the API's max_tokens): longer outputs are truncated."""
    queries_per_user_per_month: Annotated[int, Field(ge=1, le=10**9)] | None = None
    """A monthly quota per user: heavy users stop there."""

    @model_validator(mode="after")
    def _one_cap(self) -> Caps:
        if self.max_output_tokens is None and self.queries_per_user_per_month is None:
            raise PydanticCustomError(
                "caps", "give max_output_tokens, queries_per_user_per_month or both"
            )
        return self


class Levers(StrictModel):
    """The cost levers of one feature; each is optional."""

    response_cache: ResponseCache | None = None
    """Exact-match response cache."""
    prompt_cache: PromptCache | None = None
    """Provider prompt caching of a fixed prefix."""
    routing: RouteToCheaper | None = None
    """Route a share of queries to a cheaper model."""
    distillation: Distillation | None = None
    """Serve a share of queries with a distilled student model."""
    compression: Compression | None = None
    """Prompt compression."""
    batch: BatchProcessing | None = None
    """Batch API for queries that can wait."""
    caps: Caps | None = None
    """Output length cap and monthly quota."""

    def enabled(self, kinds: set[str]) -> Levers | None:
        """These levers with only `kinds` kept; None when none is left."""
        kept = {k: getattr(self, k) for k in LEVER_ORDER if k in kinds and getattr(self, k)}
        return Levers(**kept) if kept else None

    def kinds(self) -> list[str]:
        """The levers set, in the order they apply."""
        return [k for k in LEVER_ORDER if getattr(self, k) is not None]


LEVER_ORDER = (
    "response_cache",
    "prompt_cache",
    "routing",
    "distillation",
    "compression",
    "batch",
    "caps",
)
"""The order levers apply in, each to what the previous ones left."""
