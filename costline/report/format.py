"""Number formatting shared by the views; rounding happens only here."""

from __future__ import annotations

import math
from collections.abc import Iterable

from costline.engine.result import ActionResult, PlanResult, Result, UnitPrice
from costline.engine.waterfall import ActionLevers


def usd(value: float) -> str:
    """Dollars: cents from $1 up, three significant figures below (per-query costs)."""
    if value < 0:
        return "-" + usd(-value)
    if value != 0 and abs(value) < 1:
        decimals = min(2 - math.floor(math.log10(abs(value))), 10)
        return f"${value:.{decimals}f}"
    if abs(value) >= 1000:
        return f"${value:,.0f}"
    return f"${value:,.2f}"


def pct(share: float | None) -> str:
    """A share as a percentage; n/a where there is none (no revenue)."""
    return "n/a" if share is None else f"{share * 100:.1f}%"


def count(value: float) -> str:
    """A count of users, queries or tokens: whole numbers plain, small fractions to 0.1."""
    if abs(value) >= 100 or float(value).is_integer():
        return f"{value:,.0f}"
    return f"{value:,.1f}"


def months(n: int) -> str:
    """`1 month`, `36 months`."""
    return f"{n} month" if n == 1 else f"{n} months"


def multiple(value: float) -> str:
    """A scale multiple: 10x, 2.5x."""
    return f"{value:g}x"


def catalog_label(result: Result) -> str:
    """What the figures were priced with, e.g. `genai-prices 0.2.3 (price data up to ...)`."""
    latest = result.catalog.latest_price_change
    label = result.catalog.source + (f" (price data up to {latest})" if latest else "")
    return f"{label} and costline {result.costline_version}"


def cell(text: object) -> str:
    """Text safe inside a Markdown table cell: pipes escaped, newlines flattened."""
    return str(text).replace("|", "\\|").replace("\n", " ")


def action_queries(features: dict[str, int]) -> str:
    """An action's queries, e.g. `transcribe x1 + summarise x1 + index x3`."""
    return " + ".join(f"{name} x{n}" for name, n in features.items())


ACTION_HEADER = ["action", "queries", "mean", "median", "p95"]


def action_rows(actions: Iterable[ActionResult]) -> list[list[str]]:
    """The cost-per-action table's rows (every view shows the same)."""
    return [
        [
            a.name,
            action_queries(a.features),
            usd(a.cost_per_action.mean),
            usd(a.cost_per_action.median),
            usd(a.cost_per_action.p95),
        ]
        for a in actions
    ]


ACTION_LEVERS_HEADER = [
    "action",
    "queries",
    "mean",
    "median",
    "p95",
    "with levers: mean",
    "median",
    "p95",
]


def action_lever_rows(actions: Iterable[ActionLevers]) -> list[list[str]]:
    """Cost per action without and with the levers (the levers view)."""
    return [
        [
            a.name,
            action_queries(a.features),
            usd(a.baseline.mean),
            usd(a.baseline.median),
            usd(a.baseline.p95),
            usd(a.combined.mean),
            usd(a.combined.median),
            usd(a.combined.p95),
        ]
        for a in actions
    ]


PLAN_FEE_HEADER = ["fees/user", "margin after fees"]
"""Columns a plans table adds when a plan carries per-user or revenue-linked costs."""


def plan_fee_cells(plans: Iterable[PlanResult]) -> list[list[str]]:
    """Each plan's per-user costs besides inference (payment fees, seats) and its margin
    after them; no cells when no plan has any (the table then keeps its columns)."""
    plans = list(plans)
    if not any(p.variable_cost_per_user_usd for p in plans):
        return [[] for _ in plans]
    return [[usd(p.variable_cost_per_user_usd), pct(p.contribution_margin)] for p in plans]


def unit_prices(prices: Iterable[UnitPrice]) -> str:
    """`$0.0045 per input audio minute; $10.00 per 1K web searches`."""
    return "; ".join(f"{usd(p.usd)} {p.label.removeprefix('USD ')}" for p in prices)
