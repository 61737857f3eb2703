"""The days vendors shut API models down, read from the sourced data file
`catalog/data/model_retirements.yml`, so every view can warn about a model that cannot be
bought, or stops being sold within a scenario's horizon."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from functools import cache

from costline.catalog._data import one_line, read_data


@dataclass(frozen=True)
class Retirement:
    """One model's shutdown, as its source gives it."""

    model: str
    """`provider:model-id`."""
    shutdown: dt.date
    """The first day the vendor no longer serves it."""
    by: bool
    """True when the source gives only a day by which it was retired."""
    successor: str | None
    """The replacement the vendor names, where its page names one."""
    source: str


@dataclass(frozen=True)
class Retirements:
    """Every retirement costline knows, by `provider:model-id`."""

    by_model: dict[str, Retirement]

    def of(self, ref: str) -> Retirement | None:
        """The retirement of `provider:model-id` (provider case-insensitive), if known."""
        provider, sep, model = ref.partition(":")
        return self.by_model.get(f"{provider.lower()}{sep}{model}")


@cache
def load_retirements() -> Retirements:
    """The model retirements shipped with costline."""
    raw = read_data("model_retirements.yml") or {}
    found = {}
    for row in raw.get("retirements") or []:
        ref = str(row["model"])
        found[ref] = Retirement(
            model=ref,
            shutdown=dt.date.fromisoformat(str(row["shutdown"])),
            by=bool(row.get("by", False)),
            successor=None if row.get("successor") is None else str(row["successor"]),
            source=f"{one_line(row['source'])} (checked {row['checked']})",
        )
    return Retirements(found)
