"""Views of a classified bill: each line's bucket and reason, the totals, what to check."""

from __future__ import annotations

from rich import box
from rich.console import Console
from rich.table import Table
from rich.text import Text

from costline.engine.classify import LOW_CONFIDENCE, BillSummary, Classification
from costline.report.format import cell, pct, usd

SHOWN = 60
"""Lines a terminal table shows; the totals always cover every line."""
LABEL = {
    "training": "training (one-time, CapEx-like)",
    "inference": "inference (recurring COGS)",
    "other": "other",
}


def _amount(value: float | None) -> str:
    return "" if value is None else usd(value)


def _summary_lines(s: BillSummary) -> list[str]:
    out = []
    for t in s.totals:
        share = f", {pct(t.share_of_amount)} of the amount" if t.share_of_amount is not None else ""
        lines = f"{t.lines:,} line" + ("" if t.lines == 1 else "s")
        money = f", {usd(t.amount)}" if any(x.amount for x in s.totals) else ""
        out.append(f"{LABEL[t.bucket]}: {lines}{money}{share}")
    if s.low_confidence:
        out.append(
            f"{s.low_confidence} lines below {LOW_CONFIDENCE:.0%} confidence: their reason says "
            "what would decide them"
        )
    return out


def render_classify_terminal(
    items: list[Classification], summary: BillSummary, console: Console
) -> None:
    table = Table(box=box.SIMPLE_HEAD, title="Cost lines", title_justify="left")
    for name in ("line", "amount", "bucket", "confidence", "why"):
        table.add_column(name, justify="right" if name in ("amount", "confidence") else "left")
    table.columns[0].overflow = "fold"
    table.columns[4].overflow = "fold"
    for i in items[:SHOWN]:
        style = "yellow" if i.confidence < LOW_CONFIDENCE else None
        table.add_row(
            i.description, _amount(i.amount), i.bucket, pct(i.confidence), i.reason, style=style
        )
    console.print(table)
    if len(items) > SHOWN:
        console.print(f"... {len(items) - SHOWN:,} more lines: --format json or markdown lists all")
    for line in _summary_lines(summary):
        console.print(line)
    if summary.margin_movers:
        console.print(Text("Inference lines that move gross margin most:", style="bold"))
        for i in summary.margin_movers:
            console.print(f"  {_amount(i.amount)}  {i.description}")


def render_classify_markdown(items: list[Classification], summary: BillSummary) -> str:
    out = [
        "| line | amount | bucket | confidence | why |",
        "| --- | --- | --- | --- | --- |",
        *(
            f"| {cell(i.description)} | {_amount(i.amount)} | {i.bucket} | "
            f"{pct(i.confidence)} | {cell(i.reason)} |"
            for i in items
        ),
        "",
        *(f"- {line}" for line in _summary_lines(summary)),
    ]
    if summary.margin_movers:
        out += ["", "Inference lines that move gross margin most:", ""]
        out += [f"- {_amount(i.amount)} {cell(i.description)}" for i in summary.margin_movers]
    return "\n".join(out) + "\n"
