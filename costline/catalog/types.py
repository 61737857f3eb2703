"""Data types the engine reads from the catalog: prices (plain floats, no catalog lookups)
and the line-item rules of the classifier.

A `Rates` is one model's token prices in force over a period, in USD per 1M tokens,
following genai-prices' conventions:

- `input_tokens` counts every prompt token, cached or not. Cache reads and cache writes
  are the more specific parts of it: when the model prices them, they are taken out of the
  input count and charged at their own price; when it does not, they pay the input price.
- A tiered price is a cliff: once a call's total input tokens exceed a tier's start,
  that tier's price applies to all tokens of the unit (not only those above the start).
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field

Tiers = tuple[tuple[int, float], ...]
"""(start token count, USD per 1M tokens) pairs in ascending order of start."""


@dataclass(frozen=True)
class TieredRate:
    """A USD-per-1M-tokens price, optionally with cliff tiers on total input tokens."""

    base: float
    tiers: Tiers = ()

    def scaled(self, factor: float) -> TieredRate:
        """The same rate multiplied by `factor` (thresholds unchanged)."""
        return TieredRate(self.base * factor, tuple((s, p * factor) for s, p in self.tiers))


@dataclass(frozen=True)
class Rates:
    """Token prices of one model over one period (USD per 1M tokens, per 1K requests)."""

    input: TieredRate | None
    output: TieredRate | None
    cache_read: TieredRate | None = None
    cache_write: TieredRate | None = None
    requests_per_k: float | None = None
    units: tuple[tuple[str, TieredRate], ...] = ()
    """Usage besides text tokens the model prices (`costline.catalog.units`), each in USD
    per its unit's `per` (per 1M audio tokens, per audio minute, per 1K searches), all in:
    an input audio token's price includes its being an input token."""

    def unit(self, name: str) -> TieredRate | None:
        """The price of usage unit `name`, None when the model has none."""
        for unit, rate in self.units:
            if unit == name:
                return rate
        return None

    def scaled(self, factor: float) -> Rates:
        """Every price multiplied by `factor`, e.g. a price trajectory."""

        def scale(rate: TieredRate | None) -> TieredRate | None:
            return None if rate is None else rate.scaled(factor)

        return Rates(
            input=scale(self.input),
            output=scale(self.output),
            cache_read=scale(self.cache_read),
            cache_write=scale(self.cache_write),
            requests_per_k=None if self.requests_per_k is None else self.requests_per_k * factor,
            units=tuple((name, rate.scaled(factor)) for name, rate in self.units),
        )


@dataclass(frozen=True)
class ModelPricing:
    """A priced model: its reference and its rates from each start date on."""

    ref: str
    """The reference as written in the scenario, e.g. `openai:gpt-4o-mini`."""
    provider: str
    """Provider id, or `override` for an explicit price."""
    model_id: str
    """The catalog's model id, or the override's name."""
    schedule: tuple[tuple[dt.date | None, Rates], ...]
    """(start date, rates) in ascending order; the first entry's start may be None."""
    source: str = ""
    """Where the price comes from."""
    service_tier: str = "default"
    """The service tier the rates are for."""
    is_override: bool = False
    """True when the scenario gave the price itself."""
    price_changes: tuple[dt.date, ...] = field(default=())
    """Dates on which the catalog changes this model's price."""
    tier_since: dt.date | None = None
    """First day the catalog prices `service_tier` (None: always, or the default tier)."""
    follows_trajectory: bool = True
    """False for a fixed contract price the scenario's price trajectory must not move."""
    other_units: tuple[tuple[str, float], ...] = ()
    """Units the catalog prices this model by that a scenario cannot declare (none of
    `costline.catalog.units`), each with its price in the unit its genai-prices key names."""
    needs_one_of: tuple[str, ...] = ()
    """Usage units a call on this model must declare one of (a speech-to-text model's audio):
    priced without them it would be a price in disguise. Empty: text tokens will do."""
    needs_why: str = ""
    """Why it needs them, for the error a user sees."""
    product_tokens: str | None = None
    """"input" or "output" when this model's product (an image, speech, a page it reads) is
    billed as that text-token part, having no price of its own: a call must declare that
    part, and counts the product's tokens there."""
    product_what: str = ""
    """What those tokens are ("the images it makes")."""
    refuses: tuple[str, ...] = ()
    """Usage fields a call on this model cannot declare (a speech-to-text model's output
    audio), though its generic catalog price would price them."""
    refuses_why: str = ""

    def trajectory_start(self, as_of: dt.date) -> dt.date:
        """The day after which the price trajectory applies: the as-of date, or this model's
        last catalog price change when that is later (a known change is not forecast twice)."""
        return max([as_of, *self.price_changes])

    def rates_at(self, day: dt.date) -> Rates:
        """The rates in force on `day`."""
        current = self.schedule[0][1]
        for start, rates in self.schedule:
            if start is None or start <= day:
                current = rates
        return current

    def period_index(self, day: dt.date) -> int:
        """Index in `schedule` of the rates in force on `day`."""
        index = 0
        for i, (start, _) in enumerate(self.schedule):
            if start is None or start <= day:
                index = i
        return index


@dataclass(frozen=True)
class CatalogInfo:
    """What a result was priced with, so a figure can be reproduced later."""

    source: str
    """The price data, e.g. `genai-prices 0.2.3`."""
    version: str
    """The price data's version."""
    latest_price_change: dt.date | None
    """The newest start date in the price data: prices are known up to then."""
    as_of: dt.date
    """The date treated as today: catalog prices apply up to it, the trajectory after it."""


@dataclass(frozen=True)
class PublishedLatency:
    """A hosted model's published call latency (the catalog's api_latency.yml): the same
    two figures a scenario's `latency:` gives."""

    time_to_first_token_s: float
    """Seconds from sending a call to its first output token."""
    output_tokens_per_s: float
    """Output tokens streamed per second after the first."""
    source: str | None


def batch_key(key: str) -> str:
    """The price-book key of `key`'s model sent through its provider's batch API."""
    return f"{key}#batch"


BUCKETS = ("training", "inference", "other")
"""Where a cost line goes: training (one-time, CapEx-like), inference (COGS) or other."""


@dataclass(frozen=True)
class Rule:
    """One signal: patterns, the bucket they point to and how strongly."""

    id: str
    bucket: str
    """training, inference, other, or ambiguous (no weight; only a reason)."""
    weight: float
    patterns: tuple[re.Pattern[str], ...]
    reason: str
    context: tuple[re.Pattern[str], ...] = ()
    """When given, the rule counts only if one of these matches too."""
    weak: bool = False
    """A hint, not evidence: a line only weak rules match gets a lower confidence."""
    default: str = "inference"
    """Ambiguous rules: the bucket a line only they match gets."""
    negates: bool = False
    """A negation ("not for training", "excluding inference"): the words it matched are
    hidden from the other rules, so a bucket named only to be ruled out adds nothing."""

    def spans(self, text: str) -> list[tuple[int, int]]:
        """Where the rule's patterns match `text` (start, end)."""
        return [m.span() for p in self.patterns for m in p.finditer(text)]

    def match(self, text: str) -> str | None:
        """The words that made the rule match `text`, or None."""
        found = next((m.group(0) for p in self.patterns if (m := p.search(text))), None)
        if found is None:
            return None
        if self.context and not any(p.search(text) for p in self.context):
            return None
        return found
