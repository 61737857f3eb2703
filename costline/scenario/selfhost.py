"""The self-hosting point a user asks about: a model on a GPU, its precision, batch and load."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field

Dtype = Literal["bf16", "fp8", "int4"]
PriceKind = Literal["on-demand", "reserved"]

# Upper bounds keep arithmetic finite and catch typos (a peak-to-average of 2e9); they are far
# beyond any real deployment, not modelling limits.
MAX_TOKENS = 10_000_000
MAX_USD_PER_GPU_HOUR = 1_000.0
MAX_PEAK_TO_AVERAGE = 1_000.0
MAX_STAFF_USD_PER_MONTH = 1e9
MAX_REPLICAS = 100_000


class SelfHostSpec(BaseModel):
    """An open model served on rented GPUs: one replica is `tp` GPUs in tensor parallel."""

    model_config = ConfigDict(
        extra="forbid",
        use_attribute_docstrings=True,
        frozen=True,
        allow_inf_nan=False,
        defer_build=True,
    )

    model: Annotated[str, Field(min_length=1)]
    """Open model id from the architecture catalog, e.g. llama-3.1-70b."""
    gpu: Annotated[str, Field(min_length=1)]
    """GPU id from `costline gpus`, e.g. h100-sxm."""
    tp: Annotated[int, Field(ge=1, le=64)] | None = None
    """GPUs per replica in tensor parallel; the cheapest split that fits on one server when
    unset."""
    dtype: Dtype = "bf16"
    """Weight precision: bf16, fp8 or int4 (weight-only)."""
    kv_dtype: Literal["bf16", "fp8"] = "bf16"
    """KV-cache precision."""
    input_tokens: Annotated[float, Field(gt=0, le=MAX_TOKENS)] = 1000
    """Prompt tokens per request."""
    output_tokens: Annotated[float, Field(gt=0, le=MAX_TOKENS)] = 250
    """Generated tokens per request."""
    context: Annotated[int, Field(ge=1, le=MAX_TOKENS)] | None = None
    """Tokens of KV cache reserved per sequence, at least input + output; input + output
    when unset."""
    batch: Annotated[int, Field(ge=1, le=1_000_000)] | None = None
    """Concurrent sequences per replica; the most that fit in memory when unset."""
    utilisation: Annotated[float, Field(gt=0, le=1)] | None = None
    """Share of the rented hours the replica does useful work (average load over
    capacity); the default utilisation target / peak-to-average when unset."""
    tp_efficiency: Annotated[float, Field(gt=0, le=1)] | None = None
    """Speed kept when splitting a replica over `tp` GPUs; a labelled default when unset."""
    usd_per_gpu_hour: Annotated[float, Field(ge=0, le=MAX_USD_PER_GPU_HOUR)] | None = None
    """Rental price; the GPU's catalog price of `price` when unset."""
    price: PriceKind = "on-demand"
    """Which catalog price to use when `usd_per_gpu_hour` is unset: on-demand, or reserved
    (a committed term)."""


class SelfHostedDeployment(BaseModel):
    """A feature served by an open model on GPUs rented 24/7 instead of an API."""

    model_config = ConfigDict(
        extra="forbid",
        use_attribute_docstrings=True,
        frozen=True,
        allow_inf_nan=False,
        defer_build=True,
    )

    kind: Literal["self_hosted"] = "self_hosted"
    """`self_hosted`; leave `deployment` out for an API."""
    model: Annotated[str, Field(min_length=1)]
    """Open model id from the architecture catalog, e.g. llama-3.1-70b."""
    gpu: Annotated[str, Field(min_length=1)]
    """GPU id from `costline gpus`."""
    tp: Annotated[int, Field(ge=1, le=64)] | None = None
    """GPUs per replica in tensor parallel; the cheapest split that fits on one server when
    unset."""
    dtype: Dtype = "bf16"
    """Weight precision."""
    kv_dtype: Literal["bf16", "fp8"] = "bf16"
    """KV-cache precision."""
    batch: Annotated[int, Field(ge=1, le=1_000_000)] | None = None
    """Concurrent sequences per replica; the most that fit when unset."""
    usd_per_gpu_hour: Annotated[float, Field(ge=0, le=MAX_USD_PER_GPU_HOUR)] | None = None
    """Your own price per GPU-hour; the catalog's price of `price` when unset."""
    price: PriceKind = "on-demand"
    """Catalog price to rent at: on-demand, or reserved (the median of the catalog's
    committed-term prices; short reservations such as EC2 Capacity Blocks count as reserved
    and can cost more per hour than on-demand, so compare with `costline gpus`)."""
    utilisation: Annotated[float, Field(gt=0, le=1)] | None = None
    """Utilisation target: the share of the fleet's capacity its busiest hour may use (0.7
    keeps 30% headroom for bursts and latency); a labelled default when unset."""
    peak_to_average: Annotated[float, Field(ge=1, le=MAX_PEAK_TO_AVERAGE)] | None = None
    """Busiest hour over the average hour; the fleet is sized for it. A labelled default
    when unset."""
    min_replicas: Annotated[int, Field(ge=1, le=MAX_REPLICAS)] = 1
    """Replicas kept running whatever the load (redundancy)."""
    staff_usd_per_month: Annotated[float, Field(ge=0, le=MAX_STAFF_USD_PER_MONTH)] = 0.0
    """ML-ops staff for the fleet (USD per month)."""

    def serving_spec(
        self, input_tokens: float, output_tokens: float, utilisation: float | None = None
    ) -> SelfHostSpec:
        """The serving point of one replica of this fleet, for LLM calls of the given size
        (tokens; at least one each)."""
        return SelfHostSpec(
            model=self.model,
            gpu=self.gpu,
            tp=self.tp,
            dtype=self.dtype,
            kv_dtype=self.kv_dtype,
            input_tokens=max(input_tokens, 1.0),
            output_tokens=max(output_tokens, 1.0),
            batch=self.batch,
            usd_per_gpu_hour=self.usd_per_gpu_hour,
            price=self.price,
            utilisation=utilisation,
        )
