"""A provider's invoice or cost export, read as USD per model and month, beside the usage
costline priced: `costline reconcile USAGE --bill FILE`.

Three shapes are read, detected from the file:

- FOCUS (the FinOps Open Cost and Usage Specification) CSV: `BilledCost` (which "MUST
  match" the invoice), `BillingCurrency`, `ChargePeriodStart`; the model from
  `SkuPriceDetails`' `ModelId` (FOCUS 1.5's AI keys), else `SkuId`; the provider from
  `ServiceProviderName` (1.3), `ProviderName` or `PublisherName`.
- OpenAI's Costs API results as CSV (`start_time`, `amount_value`, `currency`,
  `line_item`, as the OpenAI cookbook writes them): the model is the `line_item` before its
  last comma ("gpt-4o-mini-2024-07-18, input"), less any "surface | " prefix.
- Anthropic's Admin API cost report, as its JSON (`data[].results[]`) or a CSV of the same
  fields (`starting_at`, `amount`, `currency`, `model`, `description`): `amount` is in the
  lowest currency unit ("123.45" in USD is $1.23, as the API documents it).
"""

from __future__ import annotations

import csv
import datetime as dt
import json
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any, NamedTuple

from costline.errors import InputError

MAX_CHARGE_USD = Decimal(10) ** 12
"""A bill line above a trillion dollars, or not finite, is not a charge (a unit slip)."""


class BillLine(NamedTuple):
    """One charge of a bill, in USD."""

    provider: str | None
    model: str | None
    """As the bill names it; None for a charge that names no model (a tool, storage)."""
    month: str
    usd: float
    description: str
    row: int
    """The line of the file (CSV: data row + 1 for the header), or the result's place."""


_PROVIDERS = {
    "openai": "openai",
    "anthropic": "anthropic",
    "microsoft": "azure",
    "azure": "azure",
    "amazon web services": "aws",
    "aws": "aws",
    "google": "google",
    "google cloud": "google",
}


def read_bill(path: Path) -> tuple[str, list[BillLine]]:
    """The bill at `path` as (its shape, its charges); an InputError naming the file and
    row for anything it cannot read."""
    try:
        text = path.read_text(encoding="utf-8-sig")
    except FileNotFoundError:
        raise InputError(f"{path}: no such file") from None
    except IsADirectoryError:
        raise InputError(f"{path}: is a folder; expected a bill file") from None
    except (OSError, UnicodeDecodeError) as err:
        raise InputError(f"{path}: cannot be read as UTF-8 text: {err}") from None
    if text.lstrip().startswith("{"):
        return "anthropic-cost-report", _anthropic_json(path, text)
    rows = list(csv.DictReader(text.splitlines()))
    header = set(rows[0]) if rows else set()
    if {"BilledCost", "ChargePeriodStart"} <= header:
        return "focus", [_focus(path, i + 2, r) for i, r in enumerate(rows)]
    if {"line_item", "start_time"} <= header and header & {"amount_value", "amount"}:
        return "openai-costs", [_openai(path, i + 2, r) for i, r in enumerate(rows)]
    if {"starting_at", "amount", "model"} <= header:
        return "anthropic-cost-report", [
            _anthropic(path, f"line {i + 2}", i + 2, r) for i, r in enumerate(rows)
        ]
    raise InputError(
        f"{path}: not a bill costline reads; expected FOCUS columns (BilledCost, "
        "ChargePeriodStart), OpenAI's Costs export (start_time, amount_value, line_item) or "
        "Anthropic's cost report (starting_at, amount, model)"
    )


def _number(path: Path, where: str, text: Any) -> Decimal:
    if text is None or (isinstance(text, str) and not text.strip()):
        raise InputError(f"{path}: {where}: expected an amount, got none")
    try:
        value = Decimal(str(text).strip())
    except InvalidOperation:
        raise InputError(f"{path}: {where}: expected an amount, got {text!r}") from None
    if not value.is_finite() or abs(value) > MAX_CHARGE_USD:
        raise InputError(
            f"{path}: {where}: expected an amount up to {MAX_CHARGE_USD:,.0f}, got {text!r}"
        )
    return value


def _usd(path: Path, where: str, currency: str | None) -> None:
    if currency and currency.strip().upper() != "USD":
        raise InputError(f"{path}: {where}: costline compares USD; this charge is in {currency}")


def _month(path: Path, where: str, value: str) -> str:
    text = str(value).strip()
    try:
        if text.replace(".", "", 1).isdigit():  # Unix seconds, as the Costs API gives
            return dt.datetime.fromtimestamp(float(text), dt.UTC).strftime("%Y-%m")
        return dt.datetime.fromisoformat(text.replace("Z", "+00:00")).strftime("%Y-%m")
    except (ValueError, OverflowError, OSError):
        raise InputError(f"{path}: {where}: expected a date or time, got {value!r}") from None


def _focus(path: Path, line: int, r: dict[str, str]) -> BillLine:
    where = f"line {line}"
    _usd(path, where, r.get("BillingCurrency"))
    model = None
    details = (r.get("SkuPriceDetails") or "").strip()
    if details:
        try:
            found = json.loads(details)
        except json.JSONDecodeError:
            found = {}
        if isinstance(found, dict) and found.get("ModelId"):
            model = str(found["ModelId"])
    model = model or (r.get("SkuId") or "").strip() or None
    name = (
        r.get("ServiceProviderName") or r.get("ProviderName") or r.get("PublisherName") or ""
    ).strip()
    return BillLine(
        provider=_PROVIDERS.get(name.lower(), name.lower() or None),
        model=model,
        month=_month(path, where, r["ChargePeriodStart"]),
        usd=float(_number(path, where, r["BilledCost"])),
        description=(r.get("ChargeDescription") or r.get("SkuMeter") or "").strip(),
        row=line,
    )


def _openai(path: Path, line: int, r: dict[str, str]) -> BillLine:
    where = f"line {line}"
    _usd(path, where, r.get("currency") or r.get("amount_currency"))
    item = (r.get("line_item") or "").strip()
    named = item.split("|")[-1].strip()
    model = named.rsplit(",", 1)[0].strip() if "," in named else None
    amount = r.get("amount_value") if r.get("amount_value") not in (None, "") else r.get("amount")
    return BillLine(
        provider="openai",
        model=model,
        month=_month(path, where, r.get("start_time_iso") or r["start_time"]),
        # the Costs export leaves a day with no spend empty
        usd=float(_number(path, where, amount if amount not in (None, "") else 0)),
        description=item,
        row=line,
    )


def _anthropic(path: Path, where: str, row: int, r: dict[str, Any]) -> BillLine:
    _usd(path, where, r.get("currency"))
    cents = _number(path, where, r.get("amount"))
    model = r.get("model")
    return BillLine(
        provider="anthropic",
        model=str(model) if model else None,
        month=_month(path, where, str(r["starting_at"])),
        usd=float(cents / 100),
        description=str(r.get("description") or r.get("cost_type") or ""),
        row=row,
    )


def _anthropic_json(path: Path, text: str) -> list[BillLine]:
    try:
        data = json.loads(text)
    except json.JSONDecodeError as err:
        if err.msg == "Extra data":  # one object a line: request logs, not a cost report
            raise InputError(
                f"{path}: not a bill costline reads: it holds one JSON object a line, as "
                "request logs do (price those with costline ingest)"
            ) from None
        raise InputError(f"{path}: malformed JSON at line {err.lineno}: {err.msg}") from None
    buckets = data.get("data") if isinstance(data, dict) else None
    if not isinstance(buckets, list):
        raise InputError(f'{path}: expected Anthropic\'s cost report: {{"data": [buckets]}}')
    out: list[BillLine] = []
    for b, bucket in enumerate(buckets):
        results = bucket.get("results") if isinstance(bucket, dict) else None
        if not isinstance(results, list):
            raise InputError(f"{path}: data[{b}]: expected a bucket with results")
        for i, result in enumerate(results):
            where = f"data[{b}].results[{i}]"
            if not isinstance(result, dict):
                raise InputError(f"{path}: {where}: expected a result object")
            out.append(
                _anthropic(
                    path,
                    where,
                    len(out) + 1,
                    {**result, "starting_at": bucket.get("starting_at", "")},
                )
            )
    return out
