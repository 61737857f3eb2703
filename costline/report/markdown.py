"""The Result as Markdown, for a memo or a pull request."""

from __future__ import annotations

from costline.engine.result import Result
from costline.report.cases import case_table
from costline.report.format import (
    ACTION_HEADER,
    PLAN_FEE_HEADER,
    action_rows,
    catalog_label,
    cell,
    count,
    months,
    multiple,
    pct,
    plan_fee_cells,
    usd,
)


def _table(header: list[str], rows: list[list[str]]) -> list[str]:
    lines = ["| " + " | ".join(header) + " |", "|" + "|".join(" --- " for _ in header) + "|"]
    lines += ["| " + " | ".join(cell(value) for value in row) + " |" for row in rows]
    return [*lines, ""]


def render_markdown(result: Result, timeline_every: int = 3) -> str:
    """Markdown report of `result`; the timeline shows every `timeline_every`-th month."""
    title = result.scenario.name or "Scenario"
    b = result.blended
    out = [f"# {title}: AI unit economics", ""]
    out += [
        f"Start {result.scenario.start}, {months(result.scenario.horizon_months)}. "
        f"Priced with {catalog_label(result)}, as of {result.catalog.as_of}; "
        f"Monte Carlo seed {result.simulation.seed}, {result.simulation.query_samples:,} "
        f"queries and {result.simulation.users_simulated:,} users simulated.",
        "",
        "## Headline (first month)",
        "",
    ]
    out += _table(
        [
            "users",
            "ARPU",
            "revenue",
            "inference",
            "fixed",
            "fees & seats",
            "amortised one-time",
            "COGS",
            "gross margin",
            "inference COGS / ARPU",
        ],
        [
            [
                count(b.users),
                usd(b.arpu_usd),
                usd(b.revenue_usd),
                usd(b.inference_cost_usd),
                usd(b.fixed_cost_usd),
                usd(b.variable_cost_usd),
                usd(b.amortised_one_time_usd),
                usd(b.cogs_usd),
                pct(b.gross_margin),
                pct(b.cogs_share_of_arpu),
            ]
        ],
    )
    if result.warnings:
        out += ["## Warnings", ""]
        out += [f"- **{w.code}** ({w.subject}): {w.message}" for w in result.warnings]
        out += [""]
    out += [f"## Cost per query in the first month ({result.blended.month})", ""]
    out += _table(
        [
            "feature",
            "models",
            "mean",
            "median",
            "p95",
            "output share",
            "queries / month",
            "cost / month",
        ],
        [
            [
                f.name,
                ", ".join(f"{m.ref} ({pct(m.share)})" for m in f.models),
                usd(f.cost_per_query.mean),
                usd(f.cost_per_query.median),
                usd(f.cost_per_query.p95),
                pct(f.output_share),
                count(f.queries_per_month),
                usd(f.inference_cost_usd),
            ]
            for f in result.features
        ],
    )
    if result.actions:
        out += ["## Cost per action", ""]
        out += _table(ACTION_HEADER, action_rows(result.actions))
    out += ["## Plans (inference cost per user per month)", ""]
    fees = plan_fee_cells(result.plans)
    out += _table(
        [
            "plan",
            "price",
            "users",
            "queries / user",
            "mean",
            "median",
            "p95",
            "COGS / ARPU",
            "margin",
            "users costing more than they pay",
            *(PLAN_FEE_HEADER if any(fees) else []),
        ],
        [
            [
                p.name,
                usd(p.price_usd_per_month),
                count(p.users),
                count(p.queries_per_user),
                usd(p.cost_per_user.mean),
                usd(p.cost_per_user.median),
                usd(p.cost_per_user.p95),
                pct(p.cogs_share_of_arpu),
                pct(p.gross_margin),
                pct(p.share_of_users_costing_more_than_price),
                *fee,
            ]
            for p, fee in zip(result.plans, fees, strict=True)
        ],
    )
    out += [f"## Scale: {result.blended.month} at a multiple of its users", ""]
    out += _table(
        ["multiple", "users", "queries", "inference", "revenue", "COGS / user", "gross margin"],
        [
            [
                multiple(s.multiple),
                count(s.users),
                count(s.queries),
                usd(s.inference_cost_usd),
                usd(s.revenue_usd),
                usd(s.cost_per_user_usd),
                pct(s.gross_margin),
            ]
            for s in result.scale
        ],
    )
    out += ["## Timeline", ""]
    shown = result.timeline[::timeline_every]
    if result.timeline[-1] not in shown:
        shown.append(result.timeline[-1])
    out += _table(
        [
            "month",
            "users",
            "queries",
            "inference",
            "fixed",
            "amortised",
            "COGS",
            "revenue",
            "gross margin",
        ],
        [
            [
                m.month,
                count(m.users),
                count(m.queries),
                usd(m.inference_cost_usd),
                usd(m.fixed_cost_usd),
                usd(m.amortised_one_time_usd),
                usd(m.cogs_usd),
                usd(m.revenue_usd),
                pct(m.gross_margin),
            ]
            for m in shown
        ],
    )
    if result.one_time:
        out += ["## One-time costs (CapEx), amortised", ""]
        out += _table(
            [
                "row",
                "kind",
                "amount",
                "from",
                "months",
                "per month",
                "per query",
                "months of inference spend",
            ],
            [
                [
                    o.name,
                    o.kind,
                    usd(o.amount_usd),
                    o.month,
                    str(o.amortise_months),
                    usd(o.usd_per_month),
                    "n/a" if o.usd_per_query is None else usd(o.usd_per_query),
                    "n/a"
                    if o.months_of_inference_spend is None
                    else f"{o.months_of_inference_spend:,.1f}",
                ]
                for o in result.one_time
            ],
        )
    header, rows = case_table(result)
    if rows:
        out += ["## Cases side by side", ""]
        out += _table(header, rows)
    if result.notes:
        out += ["## Notes", ""] + [f"- {note}" for note in result.notes] + [""]
    return "\n".join(out)
