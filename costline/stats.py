"""`Stats`: the summary of a distribution that every result uses (simulated or observed)."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, use_attribute_docstrings=True, defer_build=True)


class Stats(_Frozen):
    """Mean, median and 95th percentile of a simulated amount (USD)."""

    mean: float
    median: float
    p95: float
