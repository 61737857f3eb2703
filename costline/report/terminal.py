"""The Result as rich tables in a terminal."""

from __future__ import annotations

from rich.console import Console, Group
from rich.panel import Panel
from rich.table import Table
from rich.text import Text

from costline.engine.result import Result
from costline.report.format import catalog_label, count, multiple, pct, usd


def _table(title: str, columns: list[str], rows: list[list[str]]) -> Table:
    table = Table(title=title, title_justify="left", title_style="bold")
    for i, column in enumerate(columns):
        table.add_column(column, justify="left" if i == 0 else "right", overflow="fold")
    for row in rows:
        table.add_row(*row)
    return table


def render_terminal(result: Result, console: Console, timeline_every: int = 3) -> None:
    """Print `result` to `console`."""
    b = result.blended
    title = result.scenario.name or "Scenario"
    headline = Text.assemble(
        (f"{title}\n", "bold"),
        f"First month {b.month}: {count(b.users)} users, ARPU {usd(b.arpu_usd)}, revenue "
        f"{usd(b.revenue_usd)}, inference {usd(b.inference_cost_usd)} "
        f"({usd(b.inference_cost_per_user_usd)} a user).\n",
        "Gross margin ",
        (pct(b.gross_margin), "bold"),
        "  ·  inference COGS / ARPU ",
        (pct(b.cogs_share_of_arpu), "bold"),
    )
    console.print(Panel(headline, expand=False))

    console.print(
        _table(
            "Cost per query (first month's prices)",
            ["feature / models", "mean", "median", "p95", "output share", "queries/mo", "cost/mo"],
            [
                [
                    "\n".join([f.name, *(f"  {m.ref} {pct(m.share)}" for m in f.models)]),
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
    console.print(
        _table(
            "Plans: inference cost per user per month",
            [
                "plan",
                "price",
                "users",
                "queries/user",
                "mean",
                "median",
                "p95",
                "COGS/ARPU",
                "margin",
                "cost > price",
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
                ]
                for p in result.plans
            ],
        )
    )
    console.print(
        _table(
            "Scale (first month's prices)",
            ["multiple", "users", "queries", "inference", "revenue", "cost/user", "margin"],
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
    months = result.timeline[::timeline_every]
    if result.timeline[-1] not in months:
        months.append(result.timeline[-1])
    console.print(
        _table(
            f"Timeline (every {timeline_every} months)",
            ["month", "users", "inference", "fixed", "amortised", "revenue", "margin"],
            [
                [
                    m.month,
                    count(m.users),
                    usd(m.inference_cost_usd),
                    usd(m.fixed_cost_usd),
                    usd(m.amortised_one_time_usd),
                    usd(m.revenue_usd),
                    pct(m.gross_margin),
                ]
                for m in months
            ],
        )
    )
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
