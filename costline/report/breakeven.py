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
    always = result.always_cheaper_from_queries_per_month
    rows = [
        ("features", ", ".join(result.features)),
        ("self-hosted on", f"{s.model}: {s.tp} x {s.gpu}, {s.dtype}, batch {s.batch}"),
        ("replica-seconds per query", f"{f.replica_seconds_per_query:.3g}"),
        ("queries per replica-month at full load", count(f.queries_per_replica_month)),
        ("replica rent per month", usd(f.replica_usd_per_month)),
        (
            "peak-to-average, utilisation target, minimum replicas",
            f"{f.peak_to_average:g}, {f.utilisation_target:.0%}, {f.min_replicas}",
        ),
        ("orchestration overhead on rent", f"{f.overhead_share:.0%}"),
        ("ML-ops staff per month", usd(f.staff_usd_per_month)),
        ("API cost per query, LLM calls (first month)", usd(result.api_usd_per_query)),
        (
            "self-hosting is first cheaper at",
            "never (API cheaper per query than a replica)"
            if crossing is None
            else f"{count(crossing)} queries/month",
        ),
    ]
    if always is not None and crossing is not None and always > crossing * (1 + 1e-9):
        rows.append(
            (
                "and at every volume above",
                f"{count(always)} queries/month (between them a new replica makes the API "
                "cheaper again)",
            )
        )
    never = "never within the horizon"
    rows.append(("on the growth curve, first", result.crossover_month or never))
    if result.always_cheaper_from_month != result.crossover_month:
        rows.append(
            (
                "and in every month from",
                result.always_cheaper_from_month or never,
            )
        )
    return rows


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
    for name, why in result.left_out.items():
        console.print(Text(f"Left on the API: {name}: {why}.", style="yellow"))
    for note in result.notes:
        console.print(Text(f"· {note}.", style="dim"))
    console.print(
        Text(
            "Both sides count the features' LLM calls only: retrieval, tools and infra are "
            "paid either way. The fleet is sized for the peak hour and rented 24/7; idle "
            "capacity is paid all the same. Serving assumptions: costline selfhost --help.",
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
    if result.left_out or result.notes:
        out.append("")
    out += [f"- left on the API: {name}: {why}" for name, why in result.left_out.items()]
    out += [f"- {note}" for note in result.notes]
    return "\n".join(out)
