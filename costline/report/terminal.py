"""The Result as rich tables in a terminal."""

from __future__ import annotations

from rich import box
from rich.console import Console, Group
from rich.panel import Panel
from rich.table import Table
from rich.text import Text

from costline.engine.result import Result
from costline.report.cases import case_table
from costline.report.format import (
    ACTION_HEADER,
    PLAN_FEE_HEADER,
    action_rows,
    catalog_label,
    count,
    multiple,
    pct,
    plan_fee_cells,
    unit_prices,
    usd,
)


def _table(title: str, columns: list[str], rows: list[list[str]], text_columns: int = 1) -> Table:
    # Light borders and whole numbers: a figure split over two lines is misread.
    table = Table(
        title=title,
        title_justify="left",
        title_style="bold",
        box=box.SIMPLE_HEAD,
        pad_edge=False,
        collapse_padding=True,
    )
    for i, column in enumerate(columns):
        if i < text_columns:
            table.add_column(column, justify="left", overflow="fold", min_width=8)
        else:
            table.add_column(column, justify="right", no_wrap=True)
    for row in rows:
        table.add_row(*row)
    return table


def _rate(value: float | None) -> str:
    return "-" if value is None else usd(value)


def render_terminal(result: Result, console: Console, timeline_every: int = 3) -> None:
    """Print `result` to `console`."""
    b = result.blended
    title = result.scenario.name or "Scenario"
    headline = Text.assemble(
        (f"{title}\n", "bold"),
        f"First month {b.month}: {count(b.users)} users, ARPU {usd(b.arpu_usd)}, revenue "
        f"{usd(b.revenue_usd)}, inference {usd(b.inference_cost_usd)} "
        f"({usd(b.inference_cost_per_user_usd)} a user); COGS {usd(b.cogs_usd)}.\n",
        "Gross margin ",
        (pct(b.gross_margin), "bold"),
        "  ·  inference COGS / ARPU ",
        (pct(b.cogs_share_of_arpu), "bold"),
    )
    console.print(Panel(headline, expand=False))

    console.print(
        _table(
            f"Cost per query in the first month ({result.blended.month})",
            ["feature", "mean", "median", "p95", "output", "queries/mo", "cost/mo"],
            [
                [
                    f.name,
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
    )
    if result.actions:
        console.print(
            _table(
                "Cost per action (a user action spanning features)",
                ACTION_HEADER,
                action_rows(result.actions),
                text_columns=2,
            )
        )
    with_units = any(m.unit_prices for f in result.features for m in f.models)
    console.print(
        _table(
            f"Models: USD per 1M tokens in {result.blended.month}",
            ["feature", "model", "share", "input", "cached", "output"]
            + (["other usage"] if with_units else []),
            [
                [
                    f.name,
                    m.ref,
                    pct(m.share),
                    _rate(m.input_usd_per_mtok),
                    _rate(m.cached_input_usd_per_mtok),
                    _rate(m.output_usd_per_mtok),
                ]
                + ([unit_prices(m.unit_prices)] if with_units else [])
                for f in result.features
                for m in f.models
            ],
            text_columns=2,
        )
    )
    fees = plan_fee_cells(result.plans)
    console.print(
        _table(
            "Plans: inference cost per user per month",
            ["plan", "price", "mean", "median", "p95", "COGS %", "margin", ">price"]
            + (PLAN_FEE_HEADER if any(fees) else []),
            [
                [
                    f"{p.name}\n{count(p.users)} users, {count(p.queries_per_user)} queries each",
                    usd(p.price_usd_per_month),
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
    )
    console.print(
        Text(
            "COGS % = mean inference cost per user / price; >price = share of simulated "
            "users who cost more than they pay."
            + (
                " fees/user = the per-user and revenue-linked monthly rows (payment fees, "
                "seats) a user of the plan costs; margin after fees counts them too."
                if any(fees)
                else ""
            ),
            style="dim",
        )
    )
    console.print(
        _table(
            f"Scale: {result.blended.month} at a multiple of its users",
            ["multiple", "users", "queries", "inference", "revenue", "COGS/user", "margin"],
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
    )
    shown = result.timeline[::timeline_every]
    if result.timeline[-1] not in shown:
        shown.append(result.timeline[-1])
    has_fees = any(m.variable_cost_usd for m in result.timeline)
    console.print(
        _table(
            f"Timeline (every {timeline_every} months)",
            ["month", "users", "inference", "fixed"]
            + (["fees & seats"] if has_fees else [])
            + ["amortised", "COGS", "revenue", "margin"],
            [
                [
                    m.month,
                    count(m.users),
                    usd(m.inference_cost_usd),
                    usd(m.fixed_cost_usd),
                    *([usd(m.variable_cost_usd)] if has_fees else []),
                    usd(m.amortised_one_time_usd),
                    usd(m.cogs_usd),
                    usd(m.revenue_usd),
                    pct(m.gross_margin),
                ]
                for m in shown
            ],
        )
    )
    if result.one_time:
        console.print(
            _table(
                "One-time costs (CapEx), amortised",
                ["row", "amount", "from", "per month", "per query", "× inference"],
                [
                    [
                        f"{o.name} ({o.kind})",
                        usd(o.amount_usd),
                        o.month,
                        f"{usd(o.usd_per_month)} × {o.amortise_months}",
                        "n/a" if o.usd_per_query is None else usd(o.usd_per_query),
                        "n/a"
                        if o.months_of_inference_spend is None
                        else f"{o.months_of_inference_spend:,.1f} mo",
                    ]
                    for o in result.one_time
                ],
            )
        )
        console.print(
            Text(
                "per query = monthly amortisation over the first month's queries; × inference = "
                "the amount in months of the first month's inference bill.",
                style="dim",
            )
        )
    header, rows = case_table(result)
    if rows:
        console.print(_table("Cases side by side", header, rows))
    if result.warnings:
        lines = [
            Text.assemble((f"{w.code}", "bold yellow"), f"  {w.message}") for w in result.warnings
        ]
        console.print(
            Panel(Group(*lines), title="Warnings", title_align="left", border_style="yellow")
        )
    for note in result.notes:
        console.print(Text(f"· {note}", style="dim"))
    console.print(
        Text(
            f"Priced with {catalog_label(result)} as of {result.catalog.as_of}; "
            f"seed {result.simulation.seed}.",
            style="dim",
        )
    )
