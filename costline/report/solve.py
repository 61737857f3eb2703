"""Views of a goal-seek: each variable's value that meets the target, or why none does."""

from __future__ import annotations

from rich import box
from rich.console import Console
from rich.table import Table
from rich.text import Text

from costline.engine.solve import Solution, Solved
from costline.report.format import cell, pct

LABELS = {
    "price_scale": "plan prices (multiple of today's)",
    "max_output_tokens": "max output tokens per call",
    "quota": "max queries per user per month",
    "model_price_scale": "model prices (multiple of today's)",
    "cache_hit_rate": "response-cache hit rate",
}


def solved_value(s: Solution) -> str:
    """A solved value as the report shows it: a multiple, a count or a share."""
    if s.value is None:
        return "-" if not s.reachable else "no limit"
    if s.variable == "cache_hit_rate":
        return pct(s.value)
    if s.variable in ("max_output_tokens", "quota"):
        return f"{s.value:,.0f}"
    return f"{s.value:.3g}x"


def _title(result: Solved) -> str:
    name = "COGS share of ARPU" if result.target == "cogs-share" else "gross margin"
    sign = "<=" if result.target == "cogs-share" else ">="
    goal, now = pct(result.target_value), pct(result.current)
    return f"To reach {name} {sign} {goal} in {result.month} (now {now})"


def render_solve_terminal(result: Solved, console: Console) -> None:
    """Print each variable's answer."""
    table = Table(
        title=_title(result), title_justify="left", title_style="bold", box=box.SIMPLE_HEAD
    )
    table.add_column("variable (the rest held fixed)")
    table.add_column("value", justify="right", no_wrap=True)
    table.add_column("reachable", no_wrap=True)
    table.add_column("why", overflow="fold", ratio=1)
    for s in result.solutions:
        table.add_row(
            LABELS.get(s.variable, s.variable),
            solved_value(s),
            "yes" if s.reachable else "no",
            s.reason,
        )
    console.print(table)
    console.print(
        Text("Each value is found by bisection on the engine, one input at a time.", style="dim")
    )


def render_solve_markdown(result: Solved) -> str:
    """The answers as a Markdown table."""
    out = [
        f"## {_title(result)}",
        "",
        "| variable | value | reachable | why |",
        "| --- | --- | --- | --- |",
    ]
    for s in result.solutions:
        label, reachable = cell(LABELS.get(s.variable, s.variable)), "yes" if s.reachable else "no"
        out.append(f"| {label} | {solved_value(s)} | {reachable} | {cell(s.reason)} |")
    return "\n".join(out)
