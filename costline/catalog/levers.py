"""Defaults of the cost levers, read from the sourced data file
`catalog/data/levers_defaults.yml`: prompt-cache lifetimes and batch discounts by provider,
the tokenizer ratio and the response-cache lookup price."""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from typing import Any

from costline.catalog._data import one_line, read_data
from costline.catalog.gpus import Sourced


@dataclass(frozen=True)
class LeverDefaults:
    """Sourced (or labelled) defaults of the levers."""

    prompt_cache_ttl_minutes: dict[str, Sourced]
    default_prompt_cache_ttl_minutes: Sourced
    batch_discounts: dict[str, Sourced]
    default_batch_discount: Sourced | None
    tokenizer_ratio: Sourced
    response_cache_lookup_usd: Sourced

    def ttl_minutes(self, provider: str) -> Sourced:
        """How long `provider` keeps a cached prompt prefix after its last use (minutes)."""
        return self.prompt_cache_ttl_minutes.get(
            provider.lower(), self.default_prompt_cache_ttl_minutes
        )

    def batch_discount(self, provider: str) -> Sourced | None:
        """Share of the price `provider`'s batch API saves, where documented."""
        return self.batch_discounts.get(provider.lower(), self.default_batch_discount)


def _sourced(row: dict[str, Any]) -> Sourced:
    return Sourced(float(row["value"]), one_line(row["source"]))


@cache
def load_lever_defaults() -> LeverDefaults:
    """The lever defaults shipped with costline."""
    raw = read_data("levers_defaults.yml")
    ttl = raw["prompt_cache_ttl_minutes"]
    batch = raw["batch_discount"]
    return LeverDefaults(
        prompt_cache_ttl_minutes={
            k.lower(): _sourced(v) for k, v in (ttl.get("by_provider") or {}).items()
        },
        default_prompt_cache_ttl_minutes=_sourced(ttl["default"]),
        batch_discounts={
            k.lower(): _sourced(v) for k, v in (batch.get("by_provider") or {}).items()
        },
        default_batch_discount=_sourced(batch["default"]) if batch.get("default") else None,
        tokenizer_ratio=_sourced(raw["tokenizer_ratio"]["default"]),
        response_cache_lookup_usd=_sourced(raw["response_cache_lookup_usd"]["default"]),
    )
