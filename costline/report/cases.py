"""The cases of a scenario side by side: one column a case, one row a figure."""

from __future__ import annotations

from costline.engine.result import Result
from costline.report.format import count, pct, usd


def case_table(result: Result) -> tuple[list[str], list[list[str]]]:
    """(header, rows) of the cases table; no rows without cases."""
    cases = result.cases
    if not cases:
        return [], []
    header = ["first month", *(c.name for c in cases)]
    rows = [
        ["users", *(count(c.users) for c in cases)],
        ["queries", *(count(c.queries) for c in cases)],
        ["inference cost per query", *(usd(c.cost_per_query_usd) for c in cases)],
        ["inference cost per user", *(usd(c.inference_cost_per_user_usd) for c in cases)],
        ["inference cost", *(usd(c.inference_cost_usd) for c in cases)],
        ["COGS", *(usd(c.cogs_usd) for c in cases)],
        ["revenue", *(usd(c.revenue_usd) for c in cases)],
        ["inference COGS / ARPU", *(pct(c.cogs_share_of_arpu) for c in cases)],
        ["gross margin", *(pct(c.gross_margin) for c in cases)],
    ]
    for key in cases[0].inference_cost_at_scale_usd:
        rows.append(
            [
                f"inference cost at {key} users",
                *(usd(c.inference_cost_at_scale_usd[key]) for c in cases),
            ]
        )
    return header, rows
