"""Cost levers applied to a feature's simulated queries, in a fixed order, each to what the
previous ones left (so savings compound multiplicatively, never by adding percentages):

1. response cache   a share `h` of queries is answered from the cache: no LLM call,
                    retrieval, tool call or infrastructure; every query pays the lookup
2. prompt cache     a share `p` of each call's input is a cached prefix; of it, the share
                    written again is exp(-calls per minute sharing the prefix x lifetime),
                    the chance the prefix expired since the last call (Poisson arrivals);
                    the rest is read at the cache-read price
3. routing          a share of the remaining queries goes to a cheaper model (tokens x its
                    tokenizer ratio); a fallback share of those is asked again of the
                    feature's own model, paying both; every served query pays the router
4. distillation     a share of the queries still on the feature's own model goes to the
                    student (its training is a one-time row)
5. compression      removes a share of each call's input outside the cached prefix; every
                    served query pays the compressor
6. batch            a share of the served queries is priced at its models' batch prices
7. caps             output tokens per call truncated at the cap (a monthly quota per user
                    is applied to queries per user: engine/unit_economics.py)

Each lever draws from its own random stream, so turning one on or off leaves the draws of
the sample and of every other lever as they were: a waterfall's steps differ by the
lever alone.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np

from costline.catalog.types import batch_key
from costline.engine.per_query import QuerySample
from costline.scenario.levers import Levers

MINUTES_PER_MONTH = 730.0 * 60  # 8,760 hours a year / 12


@dataclass(frozen=True)
class LeverSettings:
    """What applying one feature's levers needs beyond the levers themselves."""

    routing_key: str | None = None
    """Price-book key of the routing lever's cheaper model."""
    distillation_key: str | None = None
    """Price-book key of the student model."""
    prompt_cache_write_share: float = 0.0
    """Share of the cached prefix written again (expired since its last use)."""
    lookup_usd: float = 0.0
    """USD per query of a response-cache lookup."""
    routing_tokenizer_ratio: float = 1.0
    distillation_tokenizer_ratio: float = 1.0


def prompt_cache_write_share(ttl_minutes: float, requests_per_minute: float) -> float:
    """Share of calls that find their prefix expired and write it again: the chance of no
    other call with the same prefix within the cache lifetime, exp(-rate x lifetime)."""
    if requests_per_minute <= 0:
        return 1.0
    return math.exp(-requests_per_minute * ttl_minutes)


@dataclass
class _Calls:
    """A feature's LLM calls, column by column, while levers change them."""

    query: np.ndarray
    route: np.ndarray
    input: np.ndarray
    output: np.ndarray
    cached: np.ndarray
    write: np.ndarray
    units: dict[str, np.ndarray] = field(default_factory=dict)
    """Usage units of each call (audio minutes, searches), which no lever rescales."""

    _COLUMNS = ("query", "route", "input", "output", "cached", "write")

    def keep(self, mask: np.ndarray) -> None:
        for name in self._COLUMNS:
            setattr(self, name, getattr(self, name)[mask])
        self.units = {name: counts[mask] for name, counts in self.units.items()}

    def scale_tokens(self, mask: np.ndarray, ratio: float) -> None:
        for name in ("input", "output", "cached", "write"):
            column = getattr(self, name).astype(float, copy=True)
            column[mask] *= ratio
            setattr(self, name, column)

    def append(self, other: _Calls) -> None:
        for name in self._COLUMNS:
            setattr(self, name, np.concatenate([getattr(self, name), getattr(other, name)]))
        self.units = {
            name: np.concatenate([counts, other.units[name]]) for name, counts in self.units.items()
        }

    def subset(self, mask: np.ndarray) -> _Calls:
        columns = {n: getattr(self, n)[mask] for n in self._COLUMNS}
        return _Calls(**columns, units={name: c[mask] for name, c in self.units.items()})


def apply_levers(
    sample: QuerySample,
    levers: Levers,
    settings: LeverSettings,
    stream: Callable[[str], np.random.Generator],
) -> QuerySample:
    """`sample` with `levers` applied in order; `stream(kind)` is each lever's own random
    generator."""
    n = sample.n
    calls = _Calls(
        query=sample.call_query,
        route=sample.call_route.copy(),
        input=sample.call_input.astype(float),
        output=sample.call_output.astype(float),
        cached=sample.call_cached.astype(float),
        write=(
            np.zeros(sample.call_input.size)
            if sample.call_cache_write is None
            else sample.call_cache_write.astype(float)
        ),
        units={name: counts.astype(float) for name, counts in sample.call_units.items()},
    )
    keys = list(sample.route_keys)
    own = np.arange(len(keys))
    per_query = sample.calls_per_query.astype(float, copy=True)
    retrieval = sample.retrieval_tokens.astype(float, copy=True)
    tools = sample.tools_usd.astype(float, copy=True)
    infra = sample.infra_usd.astype(float, copy=True)
    lever_usd = np.zeros(n) if sample.lever_usd is None else sample.lever_usd.copy()
    served = np.ones(n, dtype=bool)

    if (cache := levers.response_cache) is not None:
        served = stream("response_cache").random(n) >= cache.hit_rate
        calls.keep(served[calls.query])
        per_query[~served] = 0
        retrieval[~served] = 0
        tools[~served] = 0
        infra[~served] = 0
        lever_usd += settings.lookup_usd

    if (prompt := levers.prompt_cache) is not None:
        prefix = calls.input * prompt.prefix_share
        calls.write = prefix * settings.prompt_cache_write_share
        calls.cached = prefix - calls.write

    if (routing := levers.routing) is not None:
        assert settings.routing_key is not None
        draws = stream("routing")
        routed = served & (draws.random(n) < routing.share)
        fallback = routed & (draws.random(n) < routing.fallback_share)
        again = calls.subset(fallback[calls.query])
        moved = routed[calls.query]
        calls.route[moved] = _index(keys, settings.routing_key)
        calls.scale_tokens(moved, settings.routing_tokenizer_ratio)
        calls.append(again)
        per_query += np.bincount(again.query, minlength=n)
        lever_usd += np.where(served, routing.router_usd_per_query, 0.0)

    if (student := levers.distillation) is not None:
        assert settings.distillation_key is not None
        taken = served & (stream("distillation").random(n) < student.share)
        moved = taken[calls.query] & np.isin(calls.route, own)
        calls.route[moved] = _index(keys, settings.distillation_key)
        calls.scale_tokens(moved, settings.distillation_tokenizer_ratio)

    if (compression := levers.compression) is not None:
        outside = np.maximum(calls.input - calls.cached - calls.write, 0.0)
        calls.input = calls.input - outside * compression.input_reduction
        lever_usd += np.where(served, compression.usd_per_query, 0.0)

    if (batch := levers.batch) is not None:
        batched = served & (stream("batch").random(n) < batch.share)
        moved = batched[calls.query]
        mapping = np.array([_index(keys, batch_key(key)) for key in list(keys)])
        calls.route[moved] = mapping[calls.route[moved]]

    if (caps := levers.caps) is not None and caps.max_output_tokens is not None:
        calls.output = np.minimum(calls.output, caps.max_output_tokens)

    order = np.argsort(calls.query, kind="stable")  # keep calls grouped by query
    calls.keep(order)
    return dataclasses.replace(
        sample,
        route_keys=tuple(keys),
        call_query=calls.query,
        call_route=calls.route,
        call_input=calls.input,
        call_output=calls.output,
        call_cached=calls.cached,
        call_cache_write=calls.write,
        call_units=calls.units,
        calls_per_query=per_query,
        retrieval_tokens=retrieval,
        tools_usd=tools,
        infra_usd=infra,
        lever_usd=lever_usd,
    )


def _index(keys: list[str], key: str) -> int:
    """Index of `key` in `keys`, appended when new."""
    if key not in keys:
        keys.append(key)
    return keys.index(key)
