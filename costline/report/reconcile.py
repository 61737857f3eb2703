"""Views of a reconciliation: costline's prices beside the costs the logs carry."""

from __future__ import annotations

from pathlib import Path

from rich import box
from rich.console import Console
from rich.table import Table
from rich.text import Text

from costline.ingest.reconcile import BillReconciliation, Reconciliation
from costline.report.format import count, pct, usd

TOP = 25
"""Model-months a terminal or Markdown table shows (JSON has them all)."""


def _share(value: float | None) -> str:
    if value is None:
        return "-"
    return "0.0%" if abs(value) < 5e-4 else f"{value:+.1%}"


def _money(value: float) -> str:
    # a difference under a hundredth of a cent is rounding, not a gap
    return "$0" if abs(value) < 5e-5 else usd(value)


def _headline(r: Reconciliation) -> list[str]:
    return [
        f"{count(r.rows_with_logged_cost)} of {count(r.rows)} priced rows carry a logged cost. "
        f"costline prices them at {usd(r.costline_usd)}; the logs say {usd(r.logged_usd)} "
        f"({_money(r.difference_usd)}, {_share(r.difference_share)}). Priced with {r.catalog}.",
        f"A model-month more than {pct(r.flag_share)} off its logged cost is flagged, with "
        "the causes costline can check.",
    ]


def render_reconcile_terminal(r: Reconciliation, console: Console) -> None:
    """The comparison as tables: by provider, model and month, then the rows that differ."""
    console.print(Text("Reconciliation with the logged costs", style="bold"))
    for line in _headline(r):
        console.print(line)
    table = Table(box=box.SIMPLE_HEAD)
    for name in ("model", "month", "rows", "costline", "logged", "costline - logged", "share", ""):
        table.add_column(name, justify="left" if name == "model" else "right")
    for g in r.groups[:TOP]:
        table.add_row(
            g.priced_as,
            g.month,
            count(g.rows),
            usd(g.costline_usd),
            usd(g.logged_usd),
            _money(g.difference_usd),
            _share(g.difference_share),
            Text("flagged", style="bold yellow") if g.flagged else "",
        )
    console.print(table)
    for g in r.groups:
        for cause in g.causes:
            console.print(Text.assemble((f"{g.model} {g.month}: ", "bold"), cause))
    if r.rows_differing_most:
        rows = Table(title="Rows that differ most", box=box.SIMPLE_HEAD)
        for name in ("file", "line", "time", "model", "costline", "logged", "difference"):
            rows.add_column(name, justify="left" if name in ("file", "time", "model") else "right")
        for row in r.rows_differing_most:
            rows.add_row(
                Path(row.source_file).name,
                str(row.line),
                row.ts[:16],
                row.model,
                usd(row.costline_usd),
                usd(row.logged_usd),
                _money(row.difference_usd),
            )
        console.print(rows)


def render_reconcile_markdown(r: Reconciliation) -> str:
    """The comparison as Markdown (for a pull request or a finance thread)."""
    out = ["## Reconciliation with the logged costs", "", *_headline(r), ""]
    out += [
        "| provider | model | priced as | month | rows | costline | logged | costline - logged "
        "| share | |",
        "|" + " --- |" * 10,
    ]
    for g in r.groups[:TOP]:
        out.append(
            f"| {g.provider or '-'} | {g.model} | {g.priced_as} | {g.month} | {count(g.rows)} | "
            f"{usd(g.costline_usd)} | {usd(g.logged_usd)} | {_money(g.difference_usd)} | "
            f"{_share(g.difference_share)} | {'flagged' if g.flagged else ''} |"
        )
    if len(r.groups) > TOP:
        out.append(f"\n{len(r.groups) - TOP} more in `--format json`.")
    causes = [f"- **{g.model} {g.month}**: {c}" for g in r.groups for c in g.causes]
    if causes:
        out += ["", "### Likely causes of the flagged gaps", "", *causes]
    if r.rows_differing_most:
        out += [
            "",
            "### Rows that differ most",
            "",
            "| file | line | time | model | costline | logged | difference |",
            "|" + " --- |" * 7,
        ]
        out += [
            f"| {row.source_file} | {row.line} | {row.ts} | {row.model} | {usd(row.costline_usd)} "
            f"| {usd(row.logged_usd)} | {usd(row.difference_usd)} |"
            for row in r.rows_differing_most
        ]
    return "\n".join(out) + "\n"


def _maybe(value: float | None) -> str:
    return "-" if value is None else usd(value)


def _bill_headline(r: BillReconciliation) -> list[str]:
    if not any(g.difference_usd is not None for g in r.groups):
        return [
            f"{r.bill} ({r.bill_format}) beside {r.usage}: no model and month is in both, so "
            "nothing is compared (is it the bill of this usage's provider and months?).",
        ]
    return [
        f"{r.bill} ({r.bill_format}) beside {r.usage}: for the models and months both cover, "
        f"costline prices the usage at {usd(r.costline_usd)} and the bill charges "
        f"{usd(r.billed_usd)} ({_money(r.difference_usd)}, {_share(r.difference_share)}).",
        f"Flagged: more than {pct(r.flag_share)} off, or on one side only (a model the logs "
        "missed, or usage the bill does not show).",
    ]


def _bill_rows(r: BillReconciliation) -> list[list[str]]:
    return [
        [
            g.model,
            g.month,
            _maybe(g.costline_usd),
            _maybe(g.billed_usd),
            "-" if g.difference_usd is None else _money(g.difference_usd),
            _share(g.difference_share),
            "flagged" if g.flagged else "",
        ]
        for g in r.groups[:TOP]
    ]


BILL_HEADER = ["model", "month", "costline", "billed", "costline - billed", "share", ""]


def render_bill_terminal(r: BillReconciliation, console: Console) -> None:
    """The usage beside the bill, per model and month, then the charges not compared."""
    console.print(Text("Reconciliation with the bill", style="bold"))
    for line in _bill_headline(r):
        console.print(line)
    table = Table(box=box.SIMPLE_HEAD)
    for name in BILL_HEADER:
        table.add_column(name, justify="left" if name == "model" else "right")
    for row in _bill_rows(r):
        table.add_row(*row[:-1], Text(row[-1], style="bold yellow"))
    console.print(table)
    for charge in r.not_compared:
        console.print(
            Text(
                f"not compared (no model costline prices): {charge.description}, "
                f"{charge.month}: {usd(charge.usd)} ({count(charge.lines)} line(s))",
                style="dim",
            )
        )


def render_bill_markdown(r: BillReconciliation) -> str:
    """The usage beside the bill as Markdown."""
    out = ["## Reconciliation with the bill", "", *_bill_headline(r), ""]
    out += ["| " + " | ".join(BILL_HEADER) + " |", "|" + " --- |" * len(BILL_HEADER)]
    out += ["| " + " | ".join(row) + " |" for row in _bill_rows(r)]
    if r.not_compared:
        out += ["", "### Charges not compared (no model costline prices)", ""]
        out += [
            f"- {c.description}, {c.month}: {usd(c.usd)} ({count(c.lines)} line(s))"
            for c in r.not_compared
        ]
    return "\n".join(out) + "\n"
