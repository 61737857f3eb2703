"""The self-hosting point a user asks about: a model on a GPU, its precision, batch and load."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field

Dtype = Literal["bf16", "fp8", "int4"]


class SelfHostSpec(BaseModel):
    """An open model served on rented GPUs: one replica is `tp` GPUs in tensor parallel."""

    model_config = ConfigDict(
        extra="forbid", use_attribute_docstrings=True, frozen=True, allow_inf_nan=False
    )

    model: Annotated[str, Field(min_length=1)]
    """Open model id from the architecture catalog, e.g. llama-3.1-70b."""
    gpu: Annotated[str, Field(min_length=1)]
    """GPU id from `costline gpus`, e.g. h100-sxm."""
    tp: Annotated[int, Field(ge=1, le=64)] = 1
    """GPUs per replica in tensor parallel."""
    dtype: Dtype = "bf16"
    """Weight precision: bf16, fp8 or int4 (weight-only)."""
    kv_dtype: Literal["bf16", "fp8"] = "bf16"
    """KV-cache precision."""
    input_tokens: Annotated[float, Field(gt=0)] = 1000
    """Prompt tokens per request."""
    output_tokens: Annotated[float, Field(gt=0)] = 250
    """Generated tokens per request."""
    context: Annotated[int, Field(ge=1)] | None = None
    """Tokens of KV cache reserved per sequence; input + output when unset."""
    batch: Annotated[int, Field(ge=1)] | None = None
    """Concurrent sequences per replica; the most that fit in memory when unset."""
    utilisation: Annotated[float, Field(gt=0, le=1)] | None = None
    """Share of the rented hours the replica does useful work (average load over
    capacity); a labelled default when unset."""
    tp_efficiency: Annotated[float, Field(gt=0, le=1)] | None = None
    """Speed kept when splitting a replica over `tp` GPUs; a labelled default when unset."""
    usd_per_gpu_hour: Annotated[float, Field(ge=0)] | None = None
    """Rental price; the GPU's default catalog price when unset."""


class SelfHostedDeployment(BaseModel):
    """A feature served by an open model on GPUs rented 24/7 instead of an API."""

    model_config = ConfigDict(
        extra="forbid", use_attribute_docstrings=True, frozen=True, allow_inf_nan=False
    )

    kind: Literal["self_hosted"] = "self_hosted"
    """`self_hosted`; leave `deployment` out for an API."""
    model: Annotated[str, Field(min_length=1)]
    """Open model id from the architecture catalog, e.g. llama-3.1-70b."""
    gpu: Annotated[str, Field(min_length=1)]
    """GPU id from `costline gpus`."""
    tp: Annotated[int, Field(ge=1, le=64)] = 1
    """GPUs per replica in tensor parallel."""
    dtype: Dtype = "bf16"
    """Weight precision."""
    kv_dtype: Literal["bf16", "fp8"] = "bf16"
    """KV-cache precision."""
    batch: Annotated[int, Field(ge=1)] | None = None
    """Concurrent sequences per replica; the most that fit when unset."""
    usd_per_gpu_hour: Annotated[float, Field(ge=0)] | None = None
    """Your price (reserved or on-demand); the GPU's default catalog price when unset."""
    peak_to_average: Annotated[float, Field(ge=1)] | None = None
    """Busiest hour over the average hour; the fleet is sized for it. A labelled default
    when unset."""
    min_replicas: Annotated[int, Field(ge=1)] = 1
    """Replicas kept running whatever the load (redundancy)."""
    staff_usd_per_month: Annotated[float, Field(ge=0)] = 0.0
    """ML-ops staff for the fleet (USD per month)."""
