"""A figures table and an assumptions table: the shape of every estimate's report
(training runs, serving points)."""

from __future__ import annotations

from rich import box
from rich.console import Console
from rich.table import Table

from costline.engine.training import Assumption
from costline.report.format import cell


def value_text(value: float | str) -> str:
    """An assumption's value: text as is, large numbers in exponent form."""
    if isinstance(value, str):
        return value
    if abs(value) >= 1e6:
        return f"{value:.4g}"
    return f"{value:g}"


def print_estimate(
    title: str, figures: list[tuple[str, str]], assumptions: list[Assumption], console: Console
) -> None:
    """Print the figures, then every assumption with its source."""
    table = Table(
        title=title,
        title_justify="left",
        title_style="bold",
        box=box.SIMPLE_HEAD,
        show_header=False,
    )
    table.add_column("figure")
    table.add_column("value", justify="right", no_wrap=True)
    for name, value in figures:
        table.add_row(name, value)
    console.print(table)
    sources = Table(
        title="Assumptions", title_justify="left", title_style="bold", box=box.SIMPLE_HEAD
    )
    sources.add_column("input")
    sources.add_column("value", justify="right", no_wrap=True)
    sources.add_column("source", overflow="fold", ratio=1)
    for item in assumptions:
        sources.add_row(item.name, value_text(item.value), item.source)
    console.print(sources)


def estimate_markdown(
    title: str, figures: list[tuple[str, str]], assumptions: list[Assumption]
) -> str:
    """The figures and assumptions as Markdown tables."""
    out = [f"## {title}", "", "| figure | value |", "| --- | --- |"]
    out += [f"| {cell(name)} | {cell(value)} |" for name, value in figures]
    out += ["", "| input | value | source |", "| --- | --- | --- |"]
    out += [
        f"| {cell(a.name)} | {cell(value_text(a.value))} | {cell(a.source)} |" for a in assumptions
    ]
    return "\n".join(out)
