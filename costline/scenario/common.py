"""Types every part of a scenario file shares: shares, money, months, model references and
explicit prices."""

from __future__ import annotations

import datetime as dt
import re
from typing import Annotated, Any, Literal

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field
from pydantic_core import PydanticCustomError

Share = Annotated[float, Field(ge=0, le=1)]
NonNegative = Annotated[float, Field(ge=0)]
Positive = Annotated[float, Field(gt=0)]
_YEAR_MONTH = re.compile(r"^\d{4}-(0[1-9]|1[0-2])$")


def _year_month(value: Any) -> Any:
    if isinstance(value, dt.date):
        raise PydanticCustomError(
            "year_month", f"expected a month as YYYY-MM, got the date {value}; write {value:%Y-%m}"
        )
    if not isinstance(value, str) or not _YEAR_MONTH.match(value):
        raise PydanticCustomError("year_month", f"expected a month as YYYY-MM, got {value!r}")
    return value


YearMonth = Annotated[
    str,
    BeforeValidator(_year_month),
    Field(pattern=r"^\d{4}-(0[1-9]|1[0-2])$", examples=["2026-01"]),
]
ModelRef = Annotated[
    str,
    Field(
        min_length=1,
        description="A `provider:model` reference priced from the genai-prices catalog, "
        "e.g. `openai:gpt-4o-mini`; `costline models search` finds them.",
    ),
]
ServiceTier = Literal["default", "batch", "flex", "priority"]

DAYS_IN_MONTH = 31
# Shares are written by hand ("0.7" + "0.2" + "0.1"); allow float noise, not typos.
SHARE_SUM_TOLERANCE = 1e-6


def reads_as_number(text: str) -> bool:
    """True for text that float() reads as a finite number (`1e12`)."""
    try:
        float(text)
    except ValueError:
        return False
    return text.strip().lower() not in ("nan", "inf", "-inf", "+inf", "infinity", "-infinity")


def yaml_float(text: str) -> str:
    """`1e12` as YAML reads a float: `1.0e+12`."""
    mantissa, _, exponent = text.strip().lower().partition("e")
    if not exponent:
        return text
    if "." not in mantissa:
        mantissa += ".0"
    if exponent[0] not in "+-":
        exponent = "+" + exponent
    return f"{mantissa}e{exponent}"


class StrictModel(BaseModel):
    """A scenario block: unknown keys, inf and nan are refused; values are frozen."""

    model_config = ConfigDict(
        extra="forbid",
        use_attribute_docstrings=True,
        frozen=True,
        allow_inf_nan=False,
        defer_build=True,
    )


def parse_year_month(text: str) -> dt.date:
    """First day of the month written as YYYY-MM."""
    year, month = text.split("-")
    return dt.date(int(year), int(month), 1)


def add_months(day: dt.date, months: int) -> dt.date:
    """The first day of the month `months` after `day`'s month."""
    index = day.year * 12 + (day.month - 1) + months
    return dt.date(index // 12, index % 12 + 1, 1)


def _usage_price_keys(value: Any) -> Any:
    """Each key of `usage_prices` is a usage field costline prices."""
    from costline.catalog.units import UNITS

    if isinstance(value, dict):
        for key in value:
            if key not in UNITS:
                raise PydanticCustomError(
                    "usage_price_key",
                    f"unknown usage unit {key!r}; expected one of {', '.join(UNITS)}",
                )
    return value


class PriceOverride(StrictModel):
    """An explicit price for a private contract or a model the catalog does not know."""

    name: Annotated[str, Field(min_length=1)]
    """A name for the model in reports."""
    input_usd_per_mtok: NonNegative
    """USD per 1M input tokens."""
    output_usd_per_mtok: NonNegative
    """USD per 1M output tokens."""
    cached_input_usd_per_mtok: NonNegative | None = None
    """USD per 1M cache-read input tokens; unset means cached tokens pay the input price."""
    usage_prices: Annotated[dict[str, NonNegative], BeforeValidator(_usage_price_keys)] = {}
    """Prices of the usage besides text tokens a call declares, by usage field, each in the
    unit `costline models search` shows: `input_audio_minutes: 0.004` (USD per minute),
    `output_image_tokens: 30` (USD per 1M tokens), `web_searches: 10` (USD per 1K)."""
    source: str | None = None
    """Where the price comes from (contract, quote, date); shown in reports."""
    follows_price_trajectory: bool = True
    """False for a price fixed by contract: the scenario's price_trajectory leaves it alone."""
