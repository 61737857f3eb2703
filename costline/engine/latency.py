"""Latency of a feature's queries: each LLM call takes its time to first token plus its
output tokens at the model's pace, and a query waits for its calls one after another
(an agent's calls depend on each other). Queries sent through a batch API are left out:
their answer comes within the provider's batch window (hours), not seconds."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from costline.catalog.types import PublishedLatency
from costline.engine.per_query import QuerySample
from costline.engine.result import Latency
from costline.scenario.models import ApiLatency


@dataclass(frozen=True)
class CallLatency:
    """Seconds of one LLM call: a fixed part, a prefill growing with the prompt, and one
    step per output token."""

    first_token_s: float
    """Fixed seconds to the first token (network, queueing, the first decode step)."""
    per_output_token_s: float
    per_input_token_s: float = 0.0
    """Prefill seconds per prompt token (0 where the published time to first token is
    taken as it is)."""
    per_input_token_squared_s: float = 0.0
    """Prefill attention, which grows with the square of the prompt."""
    source: str = ""

    def seconds(self, input_tokens: np.ndarray, output_tokens: np.ndarray) -> np.ndarray:
        """Seconds of calls of these sizes."""
        return (
            self.first_token_s
            + self.per_input_token_s * input_tokens
            + self.per_input_token_squared_s * input_tokens**2
            + self.per_output_token_s * output_tokens
        )


def api_call_latency(latency: ApiLatency | PublishedLatency, name: str) -> CallLatency:
    """A hosted model's call latency from its time to first token and output speed."""
    return CallLatency(
        first_token_s=latency.time_to_first_token_s,
        per_output_token_s=1 / latency.output_tokens_per_s,
        source=f"{name}: {latency.time_to_first_token_s:g} s to first token, "
        f"{latency.output_tokens_per_s:g} tokens/s ({latency.source or 'set in the scenario'})",
    )


def query_latency(
    sample: QuerySample,
    by_key: dict[str, CallLatency],
    batch_keys: set[str],
    names: dict[str, str],
) -> Latency:
    """Median and p95 seconds per query of `sample`, queries with a batch call left out.

    `by_key` holds the call latency of each price-book key known; `batch_keys` the keys
    priced through a batch API; `names` each key's model name, to say which models lack
    a latency figure (the figures are then None)."""
    n = sample.n
    is_batch = np.array([key in batch_keys for key in sample.route_keys], dtype=bool)
    batch_call = is_batch[sample.call_route]
    batch_query = np.zeros(n, dtype=bool)
    batch_query[sample.call_query[batch_call]] = True
    batch_share = float(batch_query.mean()) if n else 0.0
    used = sorted({sample.route_keys[r] for r in np.unique(sample.call_route[~batch_call])})
    missing = sorted({names.get(k, k) for k in used if k not in by_key})
    sources = list(dict.fromkeys(by_key[k].source for k in used if k in by_key))
    real_time = ~batch_query
    if missing or not real_time.any():
        return Latency(sources=sources, missing_models=missing, batch_share=batch_share)
    seconds = np.zeros(sample.call_input.shape)
    for r, key in enumerate(sample.route_keys):
        if key in by_key:
            calls = sample.call_route == r
            seconds[calls] = by_key[key].seconds(
                sample.call_input[calls], sample.call_output[calls]
            )
    per_query = np.bincount(sample.call_query, weights=seconds, minlength=n)[real_time]
    median, p95 = np.percentile(per_query, [50, 95])
    return Latency(
        median_s=float(median),
        p95_s=float(p95),
        sources=sources,
        missing_models=[],
        batch_share=batch_share,
    )
