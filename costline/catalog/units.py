"""Usage a call can have besides text tokens, as a scenario declares it (`input_audio_minutes`,
`output_image_tokens`, `web_searches`, ...), and what genai-prices counts for each: the
usage keys one unit adds to a `genai_prices.Usage` and the price keys that price it.

genai-prices counts a call's usage as a tree: `input_tokens` holds every input token, audio
and image ones too, and `audio_seconds` every second of audio, input or output; a leaf's own
price applies to it and the rest pays its parent's. So one input audio token adds 1 to both
`input_tokens` and `input_audio_tokens`; one minute of input audio adds 60 to both
`audio_seconds` and `input_audio_seconds`. A unit's price is then what one more unit adds
to `calc_price`, whatever the model's own keys are.

Which models *need* a unit (a speech-to-text model bills the audio it hears: priced at its
text rate alone it is a price in disguise) is read from the data file
`catalog/data/unit_needs.yml`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cache

from costline.catalog._data import one_line, read_data


@dataclass(frozen=True)
class UsageUnit:
    """One kind of usage a scenario can declare per LLM call."""

    name: str
    """The scenario's field under `usage:` (per LLM call)."""
    usage: tuple[tuple[str, int], ...]
    """The genai-prices usage keys one unit adds to, and by how much."""
    own_prices: frozenset[str]
    """The genai-prices price keys that price this unit (a model priced by none of them has
    no price for it)."""
    per: int
    """Engine prices are USD per this many units (1M tokens, 1K searches, 1 minute)."""
    label: str
    """The unit, singular, as a reader says it."""
    short: str
    """A table's compact form of what the price is for: `1M audio tok in`."""

    @property
    def adds_input_tokens(self) -> bool:
        """True for tokens counted in a call's input (they set its long-context tier)."""
        return any(key == "input_tokens" for key, _ in self.usage)

    @property
    def price_label(self) -> str:
        """How its price reads: `USD per 1M input audio tokens`."""
        if self.per == 1:
            return f"USD per {self.label}"
        amount = f"{self.per // 1_000_000}M" if self.per >= 1_000_000 else f"{self.per // 1_000}K"
        plural = self.label + ("es" if self.label.endswith(("h", "s")) else "s")
        return f"USD per {amount} {plural}"


def _unit(name: str, per: int, label: str, short: str, **usage: int) -> UsageUnit:
    own = frozenset(
        _PRICE_KEY[key] for key in usage if key not in ("input_tokens", "output_tokens")
    )
    return UsageUnit(name, tuple(usage.items()), own, per, label, short)


# genai-prices' usage keys and the price key of each (its UnitDef registry, written out so a
# scenario's schema does not import the registry at start-up)
_PRICE_KEY = {
    "audio_seconds": "audio_hours",
    "input_audio_seconds": "input_audio_hours",
    "output_audio_seconds": "output_audio_hours",
    "input_audio_tokens": "input_audio_mtok",
    "output_audio_tokens": "output_audio_mtok",
    "input_image_tokens": "input_image_mtok",
    "output_image_tokens": "output_image_mtok",
    "input_video_tokens": "input_video_mtok",
    "output_video_tokens": "output_video_mtok",
    "output_reasoning_tokens": "output_reasoning_mtok",
    "output_citation_tokens": "output_citation_mtok",
    "input_characters": "input_mchars",
    "input_text_messages": "input_text_messages_kcount",
    "input_document_pages": "input_document_kpages",
    "input_annotated_document_pages": "input_annotated_document_kpages",
    "web_searches": "web_searches_kcount",
    "storage_searches": "storage_searches_kcount",
}
_M = 1_000_000
_K = 1_000

USAGE_UNITS: tuple[UsageUnit, ...] = (
    _unit(
        "input_audio_minutes",
        1,
        "input audio minute",
        "audio min in",
        audio_seconds=60,
        input_audio_seconds=60,
    ),
    _unit(
        "output_audio_minutes",
        1,
        "output audio minute",
        "audio min out",
        audio_seconds=60,
        output_audio_seconds=60,
    ),
    _unit(
        "input_audio_tokens",
        _M,
        "input audio token",
        "1M audio tok in",
        input_tokens=1,
        input_audio_tokens=1,
    ),
    _unit(
        "output_audio_tokens",
        _M,
        "output audio token",
        "1M audio tok out",
        output_tokens=1,
        output_audio_tokens=1,
    ),
    _unit(
        "input_image_tokens",
        _M,
        "input image token",
        "1M image tok in",
        input_tokens=1,
        input_image_tokens=1,
    ),
    _unit(
        "output_image_tokens",
        _M,
        "output image token",
        "1M image tok out",
        output_tokens=1,
        output_image_tokens=1,
    ),
    _unit(
        "input_video_tokens",
        _M,
        "input video token",
        "1M video tok in",
        input_tokens=1,
        input_video_tokens=1,
    ),
    _unit(
        "output_video_tokens",
        _M,
        "output video token",
        "1M video tok out",
        output_tokens=1,
        output_video_tokens=1,
    ),
    _unit(
        "reasoning_tokens",
        _M,
        "reasoning token",
        "1M reasoning tok",
        output_tokens=1,
        output_reasoning_tokens=1,
    ),
    _unit(
        "citation_tokens",
        _M,
        "citation token",
        "1M citation tok",
        output_tokens=1,
        output_citation_tokens=1,
    ),
    _unit("input_characters", _M, "input character", "1M characters", input_characters=1),
    _unit("text_messages", _K, "text message", "1K messages", input_text_messages=1),
    _unit("document_pages", _K, "document page", "1K pages", input_document_pages=1),
    _unit(
        "annotated_document_pages",
        _K,
        "annotated document page",
        "1K annotated pages",
        input_document_pages=1,
        input_annotated_document_pages=1,
    ),
    _unit("web_searches", _K, "web search", "1K web searches", web_searches=1),
    _unit("storage_searches", _K, "file search", "1K file searches", storage_searches=1),
)
"""Every unit a scenario can declare, in the order reports list them."""

UNITS = {unit.name: unit for unit in USAGE_UNITS}
USAGE_UNIT_NAMES = tuple(UNITS)
DECLARABLE_PRICE_KEYS = frozenset(key for unit in USAGE_UNITS for key in unit.own_prices)
"""Price keys some declarable unit prices."""


@dataclass(frozen=True)
class UnitNeed:
    """Models made for one kind of usage: a call on one must declare one of `units` (of
    those its catalog price sets), or its price would be its text rate alone."""

    pattern: re.Pattern[str]
    units: tuple[str, ...]
    why: str
    source: str
    billed_as: str | None = None
    """For a model of this kind whose price sets none of `units`: the text-token part
    ("input" or "output") its product is billed as."""
    what: str = ""
    """What those tokens are ("the images it makes"), for messages."""
    refuses: tuple[str, ...] = ()
    """Usage a model of this kind cannot have (a speech-to-text model speaks no audio)."""
    refuses_why: str = ""


@cache
def load_unit_needs() -> tuple[UnitNeed, ...]:
    """The model kinds of `catalog/data/unit_needs.yml`."""
    raw = read_data("unit_needs.yml") or {}
    out = []
    for row in raw.get("needs") or []:
        units = tuple(str(u) for u in row["units"])
        unknown = [u for u in (*units, *(row.get("refuses") or ())) if u not in UNITS]
        if unknown:  # a data file out of step with the code is a bug, not user input
            raise ValueError(f"unit_needs.yml names unknown units {unknown}")
        billed_as = row.get("billed_as")
        if billed_as not in (None, "input", "output") or (billed_as and not row.get("what")):
            raise ValueError(f"unit_needs.yml: bad billed_as/what in {row['match']!r}")
        out.append(
            UnitNeed(
                pattern=re.compile(str(row["match"]), re.IGNORECASE),
                units=units,
                why=one_line(row["why"]),
                source=one_line(row["source"]),
                billed_as=billed_as,
                what=str(row.get("what") or ""),
                refuses=tuple(str(u) for u in row.get("refuses") or ()),
                refuses_why=one_line(row.get("refuses_why")),
            )
        )
    return tuple(out)
