"""Views of a classified bill: each line's bucket and reason, the totals, what to check."""

from __future__ import annotations

from rich import box
from rich.console import Console
from rich.table import Table
from rich.text import Text

from costline.engine.classify import BUCKETS, LOW_CONFIDENCE, Agreement, BillSummary, Classification
from costline.report.format import cell, pct, usd

SHOWN = 60
"""Lines a terminal table shows; the totals always cover every line."""
MISSES_SHOWN = 25
"""Lines that differ from the user's labels a terminal shows; JSON and Markdown list all."""
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
    if any(x.amount for x in s.totals):
        out.append(
            f"total: {s.lines:,} line{'' if s.lines == 1 else 's'}, {usd(s.amount)} "
            "(the amount the shares are of)"
        )
    if s.low_confidence:
        lines = "1 line" if s.low_confidence == 1 else f"{s.low_confidence:,} lines"
        out.append(
            f"{lines} below {LOW_CONFIDENCE:.0%} confidence: the reason says what would decide each"
        )
    if s.without_amount:
        lines = "1 line has" if s.without_amount == 1 else f"{s.without_amount:,} lines have"
        out.append(f"{lines} no amount: in the line counts, not in the money")
    return out


def _agreement_headline(a: Agreement, column: str | None) -> str:
    if a.accuracy is None:
        return f"No line has a label in {column!r}: nothing to score."
    skipped = (
        f" {a.unscored:,} more had no label or one that is not a bucket: not scored."
        if a.unscored
        else ""
    )
    return (
        f"Against your labels ({column!r}): {a.agreed:,} of {a.lines:,} lines agree "
        f"({pct(a.accuracy)}).{skipped}"
    )


def render_classify_terminal(
    items: list[Classification],
    summary: BillSummary,
    console: Console,
    scored: Agreement | None = None,
    column: str | None = None,
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
    if scored is None:
        return
    console.print(Text(_agreement_headline(scored, column), style="bold"))
    if scored.accuracy is None:
        return
    grid = Table(box=box.SIMPLE_HEAD, title="yours (rows) against costline's (columns)")
    grid.add_column("")
    for b in BUCKETS:
        grid.add_column(b, justify="right")
    for e in BUCKETS:
        grid.add_row(e, *(f"{scored.confusion[e][b]:,}" for b in BUCKETS))
    console.print(grid)
    if scored.misses:
        misses = Table(box=box.SIMPLE_HEAD, title="Lines that differ, least sure first")
        for name in ("line", "description", "yours", "costline", "confidence", "why"):
            misses.add_column(name, justify="right" if name in ("line", "confidence") else "left")
        misses.columns[1].overflow = misses.columns[5].overflow = "fold"
        for m in scored.misses[:MISSES_SHOWN]:
            misses.add_row(
                str(m.line), m.description, m.expected, m.said, pct(m.confidence), m.reason
            )
        console.print(misses)
        if len(scored.misses) > MISSES_SHOWN:
            more = len(scored.misses) - MISSES_SHOWN
            console.print(f"... {more:,} more: --format json or markdown lists all")


def render_classify_markdown(
    items: list[Classification],
    summary: BillSummary,
    scored: Agreement | None = None,
    column: str | None = None,
) -> str:
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
    if scored is not None:
        out += ["", _agreement_headline(scored, column)]
    if scored is not None and scored.accuracy is not None:
        out += ["", "| yours \\ costline's | " + " | ".join(BUCKETS) + " |"]
        out += ["| --- |" + " --- |" * len(BUCKETS)]
        out += [
            f"| {e} | " + " | ".join(f"{scored.confusion[e][b]:,}" for b in BUCKETS) + " |"
            for e in BUCKETS
        ]
        if scored.misses:
            out += ["", "| line | description | yours | costline | confidence | why |"]
            out += ["| --- | --- | --- | --- | --- | --- |"]
            out += [
                f"| {m.line} | {cell(m.description)} | {m.expected} | {m.said} | "
                f"{pct(m.confidence)} | {cell(m.reason)} |"
                for m in scored.misses
            ]
    return "\n".join(out) + "\n"
