"""Views of a reprice: the same calls priced another way, beside what they cost."""

from __future__ import annotations

from rich import box
from rich.console import Console
from rich.table import Table
from rich.text import Text

from costline.ingest.reprice import Repriced
from costline.report.format import count, usd

TOP = 25
"""Feature-model rows a terminal or Markdown table shows (JSON has them all)."""
HEADER = ["feature", "model", "priced as", "calls", "before", "after", "change", "share"]


def _share(value: float | None) -> str:
    if value is None:
        return "-"
    return "0.0%" if abs(value) < 5e-4 else f"{value:+.1%}"


def _headline(r: Repriced) -> str:
    return (
        f"{count(r.calls)} calls of {r.usage}, {'; '.join(r.what)}: {usd(r.before_usd)} as "
        f"priced at ingest, {usd(r.after_usd)} priced again ({usd(r.change_usd)}, "
        f"{_share(r.change_share)})."
    )


def _rows(r: Repriced) -> list[list[str]]:
    return [
        [
            g.feature,
            g.model,
            g.repriced_as or "(not in the catalog)",
            count(g.calls),
            usd(g.before_usd),
            "-" if g.after_usd is None else usd(g.after_usd),
            "-" if g.change_usd is None else usd(g.change_usd),
            _share(g.change_share),
        ]
        for g in r.groups[:TOP]
    ]


def render_reprice_terminal(r: Repriced, console: Console) -> None:
    """The reprice as a table by feature and model."""
    console.print(Text("Priced again", style="bold"))
    console.print(_headline(r))
    table = Table(box=box.SIMPLE_HEAD)
    for name in HEADER:
        table.add_column(name, justify="left" if name in HEADER[:3] else "right")
    for row in _rows(r):
        table.add_row(*row)
    console.print(table)
    for note in r.notes:
        console.print(Text(f"· {note}.", style="dim"))


def render_reprice_markdown(r: Repriced) -> str:
    """The reprice as Markdown, for a pull request."""
    out = ["## Priced again", "", _headline(r), ""]
    out += ["| " + " | ".join(HEADER) + " |", "|" + " --- |" * len(HEADER)]
    out += ["| " + " | ".join(row) + " |" for row in _rows(r)]
    if len(r.groups) > TOP:
        out.append(f"\n{len(r.groups) - TOP} more in `--format json`.")
    if r.notes:
        out += ["", *[f"- {note}" for note in r.notes]]
    return "\n".join(out) + "\n"
