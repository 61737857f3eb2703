"""Published latency of hosted models, read from the sourced data file
`catalog/data/api_latency.yml`: time to first token and output speed per model reference.
A model with only one of the two figures sourced is left out (latency needs both)."""

from __future__ import annotations

from functools import cache

from costline.catalog._data import read_data
from costline.catalog.types import PublishedLatency


@cache
def load_api_latency() -> dict[str, PublishedLatency]:
    """Latency figures shipped with costline, by `provider:model` reference."""
    raw = read_data("api_latency.yml") or {}
    out = {}
    for ref, figures in (raw.get("models") or {}).items():
        ttft = figures.get("time_to_first_token_s")
        speed = figures.get("output_tokens_per_s")
        if not ttft or not speed:
            continue
        checked = sorted({str(ttft["checked"]), str(speed["checked"])})
        out[ref] = PublishedLatency(
            time_to_first_token_s=float(ttft["value"]),
            output_tokens_per_s=float(speed["value"]),
            # the full sources are in the file; reports name it and the date checked
            source=f"costline catalog api_latency.yml, checked {', '.join(checked)}",
        )
    return out
