"""Model families sold in tiers (most capable first), read from the sourced data file
`catalog/data/model_tiers.yml`, so a brief can name the next cheaper tier of a model."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from functools import cache

from costline.catalog._data import one_line, read_data
from costline.catalog.retirements import load_retirements


@dataclass(frozen=True)
class ModelFamily:
    """One vendor family, most capable (dearest) tier first."""

    provider: str
    family: str
    models: tuple[str, ...]
    source: str
    shutdown: tuple[tuple[str, dt.date], ...] = ()
    """(model, the day its vendor shuts it down), where model_retirements.yml has one."""


@dataclass(frozen=True)
class ModelTiers:
    """Every family costline knows."""

    families: tuple[ModelFamily, ...]

    def place(self, ref: str) -> tuple[ModelFamily, int] | None:
        """The family of `provider:model` and its tier's index in it (0 = the top)."""
        provider, _, model = ref.partition(":")
        for family in self.families:
            if family.provider == provider.lower() and model in family.models:
                return family, family.models.index(model)
        return None

    def shutdown(self, ref: str) -> dt.date | None:
        """The day the vendor shuts `provider:model` down, where the data file sources one."""
        placed = self.place(ref)
        if placed is None:
            return None
        family, index = placed
        return dict(family.shutdown).get(family.models[index])

    def lineup(self, provider: str) -> ModelFamily | None:
        """The provider's current line-up: its first family in the data file (newest first)."""
        return next((f for f in self.families if f.provider == provider.lower()), None)

    def cheaper(self, ref: str) -> str | None:
        """The `provider:model` one tier below `ref` in its family, if any."""
        placed = self.place(ref)
        if placed is None:
            return None
        family, index = placed
        if index + 1 >= len(family.models):
            return None
        return f"{family.provider}:{family.models[index + 1]}"


@cache
def load_model_tiers() -> ModelTiers:
    """The model families shipped with costline."""
    raw = read_data("model_tiers.yml") or {}
    retirements = load_retirements()

    def shutdowns(provider: str, models: list[str]) -> tuple[tuple[str, dt.date], ...]:
        known = [(m, retirements.of(f"{provider}:{m}")) for m in models]
        return tuple((m, r.shutdown) for m, r in known if r is not None)

    return ModelTiers(
        tuple(
            ModelFamily(
                provider=str(row["provider"]).lower(),
                family=str(row["family"]),
                models=tuple(str(m) for m in row["models"]),
                source=f"{one_line(row['source'])} (checked {row['checked']})",
                shutdown=shutdowns(str(row["provider"]).lower(), [str(m) for m in row["models"]]),
            )
            for row in raw.get("families") or []
        )
    )
