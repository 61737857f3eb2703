"""Views of an API-vs-self-hosting breakeven."""

from __future__ import annotations

from rich import box
from rich.console import Console
from rich.table import Table
from rich.text import Text

from costline.engine.breakeven import Breakeven
from costline.report.format import count, usd


def _headline(result: Breakeven) -> list[tuple[str, str]]:
    s, f = result.serving, result.fleet
    crossing = result.crossover_queries_per_month
    return [
        ("features", ", ".join(result.features)),
        ("self-hosted on", f"{s.model}: {s.tp} x {s.gpu}, {s.dtype}, batch {s.batch}"),
        ("GPU-seconds per query", f"{f.gpu_seconds_per_query:.3g}"),
        ("queries per replica-month at full load", count(f.queries_per_replica_month)),
        ("replica rent per month", usd(f.replica_usd_per_month)),
        ("peak-to-average, minimum replicas", f"{f.peak_to_average:g}, {f.min_replicas}"),
        ("ML-ops staff per month", usd(f.staff_usd_per_month)),
        ("API cost per query (first month)", usd(result.api_usd_per_query)),
        (
            "self-hosting is cheaper above",
            "never (API cheaper per query than a replica)"
            if crossing is None
            else f"{count(crossing)} queries/month",
        ),
        ("on the growth curve, from", result.crossover_month or "never within the horizon"),
    ]


def render_breakeven_terminal(result: Breakeven, console: Console, every: int = 3) -> None:
    """Print the breakeven with the monthly comparison."""
    table = Table(
        title="API vs self-hosting",
        title_justify="left",
        title_style="bold",
        box=box.SIMPLE_HEAD,
        show_header=False,
    )
    table.add_column("figure")
    table.add_column("value", justify="right", overflow="fold")
    for name, value in _headline(result):
        table.add_row(name, value)
    console.print(table)
    months = Table(
        title=f"Monthly cost (every {every} months)",
        title_justify="left",
        title_style="bold",
        box=box.SIMPLE_HEAD,
    )
    for column in ("month", "queries", "API", "self-hosted", "replicas"):
        months.add_column(column, justify="left" if column == "month" else "right", no_wrap=True)
    rows = list(range(0, len(result.months), every))
    if rows[-1] != len(result.months) - 1:
        rows.append(len(result.months) - 1)
    for i in rows:
        months.add_row(
            result.months[i],
            count(result.timeline_queries[i]),
            usd(result.timeline_api_usd[i]),
            usd(result.timeline_selfhost_usd[i]),
            str(result.replicas_by_month[i]),
        )
    console.print(months)
    console.print(
        Text(
            "The fleet is sized for the peak hour and rented 24/7; idle capacity is "
            "paid all the same. Serving assumptions: costline selfhost --help.",
            style="dim",
        )
    )


def render_breakeven_markdown(result: Breakeven) -> str:
    """The breakeven as Markdown."""
    out = ["## API vs self-hosting", "", "| figure | value |", "| --- | --- |"]
    out += [f"| {name} | {value} |" for name, value in _headline(result)]
    out += [
        "",
        "| month | queries | API | self-hosted | replicas |",
        "| --- | --- | --- | --- | --- |",
    ]
    for i, month in enumerate(result.months):
        out.append(
            f"| {month} | {count(result.timeline_queries[i])} | "
            f"{usd(result.timeline_api_usd[i])} | {usd(result.timeline_selfhost_usd[i])} | "
            f"{result.replicas_by_month[i]} |"
        )
    return "\n".join(out)
