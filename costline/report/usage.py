"""Views of an ingest and of a usage summary: terminal tables and Markdown."""

from __future__ import annotations

from typing import TYPE_CHECKING

from rich import box
from rich.console import Console
from rich.table import Table
from rich.text import Text

from costline.ingest.summaries import IngestSummary, UsageSummary
from costline.report.format import cell, count, pct, usd

if TYPE_CHECKING:
    from costline.api import Fitted

TOP = 25
"""Groups a terminal or Markdown table shows (JSON has them all)."""


def _money(value: float | None) -> str:
    return "-" if value is None else usd(value)


def _counts_lines(s: IngestSummary | UsageSummary) -> list[str]:
    out = [
        f"{count(s.rows_priced)} rows priced, {count(s.rows_rejected)} rejected"
        + (f", {count(s.records_skipped)} non-LLM records skipped" if s.records_skipped else "")
        + "."
    ]
    for reason, n in s.rejected_by_reason.items():
        out.append(f"  rejected, {reason}: {count(n)}")
    unknown = s.unknown_models or {}
    if unknown:
        names = ", ".join(f"{m} ({count(n)})" for m, n in list(unknown.items())[:10])
        out.append(f"  unknown models: {names}; price them with --prices FILE")
    return out


def render_ingest_terminal(s: IngestSummary, console: Console) -> None:
    """What an ingest did, where its outputs are."""
    console.print(
        Text(
            f"Ingested {s.files} file(s) into {s.output}"
            if s.output
            else f"Read {s.files} file(s); no row could be priced, so no usage file was written",
            style="bold",
        )
    )
    for name, files in s.formats.items():
        console.print(f"  {name}: {len(files)} file(s)")
    for line in _counts_lines(s):
        console.print(line)
    console.print(
        f"Total cost {usd(s.total_cost_usd)} priced with {s.catalog} on {s.priced_on}"
        + (
            f"; the logs say {usd(s.logged_cost_usd)} over {count(s.rows_with_logged_cost)}"
            " rows that carry a cost"
            if s.logged_cost_usd is not None
            else ""
        )
        + "."
    )
    if s.first_request:
        console.print(f"Requests from {s.first_request} to {s.last_request}.")
    if s.rows_rejected:
        console.print(f"Rejected rows, with file and line: {s.rejects}")
    for model in s.priced_at_standard_tier:
        console.print(
            Text(
                f"note: {model}: the catalog has no price for that tier; priced at the "
                "standard price",
                style="dim",
            )
        )
    if s.output:
        console.print(Text(f"Next: costline usage {s.output}", style="dim"))


def _group_rows(s: UsageSummary) -> list[list[str]]:
    return [
        [
            str(g.key),
            count(g.queries),
            usd(g.cost_usd),
            pct(g.share_of_cost),
            _money(g.cost_per_query_median),
            _money(g.cost_per_query_p95),
            _money(g.cost_per_query_mean),
            count(g.users),
        ]
        for g in s.groups[:TOP]
    ]


HEADER = ("", "queries", "cost", "share", "median/query", "p95/query", "mean/query", "users")


def _headline(s: UsageSummary) -> list[str]:
    return [
        f"{count(s.rows_priced)} queries (logged LLM calls) from {s.first_request} to "
        f"{s.last_request}: {usd(s.total_cost_usd)}; per query median "
        f"{_money(s.cost_per_query_median)}, p95 {_money(s.cost_per_query_p95)}, mean "
        f"{_money(s.cost_per_query_mean)}.",
        f"{count(s.users)} users over {count(s.user_months)} user-months: per user a month "
        f"median {_money(s.cost_per_user_month_median)}, p95 "
        f"{_money(s.cost_per_user_month_p95)}, mean {_money(s.cost_per_user_month_mean)}.",
        f"Priced with {s.catalog}"
        + (f" on {s.priced_on}" if s.priced_on else "")
        + (
            f"; the logs say {usd(s.logged_cost_usd)} over {count(s.rows_with_logged_cost)}"
            " rows that carry a cost"
            if s.logged_cost_usd is not None
            else ""
        )
        + ".",
    ]


def render_usage_terminal(s: UsageSummary, console: Console) -> None:
    """The usage summary as tables."""
    for line in _headline(s):
        console.print(line)
    for line in _counts_lines(s):
        console.print(Text(line, style="dim"))
    table = Table(
        title=f"By {s.by}" + (f" (top {TOP} of {len(s.groups)})" if len(s.groups) > TOP else ""),
        title_justify="left",
        title_style="bold",
        box=box.SIMPLE_HEAD,
    )
    for i, name in enumerate(HEADER):
        table.add_column(name or s.by, justify="left" if i == 0 else "right")
    for row in _group_rows(s):
        table.add_row(*row)
    console.print(table)


def render_usage_markdown(s: UsageSummary) -> str:
    """The usage summary as Markdown."""
    out = ["## Usage", "", *_headline(s), ""]
    out += [f"- {line.strip()}" for line in _counts_lines(s)]
    header = [s.by, *HEADER[1:]]
    out += [
        "",
        f"### By {s.by}",
        "",
        "| " + " | ".join(header) + " |",
        "|" + " --- |" * len(header),
        *("| " + " | ".join(cell(c) for c in row) + " |" for row in _group_rows(s)),
    ]
    if len(s.groups) > TOP:
        out.append(f"\n{len(s.groups) - TOP} more in `--format json`.")
    return "\n".join(out) + "\n"


def render_fit_terminal(fitted: Fitted, out: str, console: Console) -> None:
    """What `costline fit` wrote, how close the fitted scenario comes to the observed
    cost, and why the month may not stand for the product."""
    observed = fitted.observed
    console.print(
        f"Wrote {out}: {len(fitted.scenario.features)} feature(s) from {observed['month']}."
    )
    console.print(
        f"Check: the fitted scenario's inference cost at 1x is {usd(fitted.modelled_cost_usd)} "
        f"against {usd(observed['cost_usd'])} observed ({fitted.gap:+.1%})."
    )
    for warning in fitted.warnings:
        console.print(Text.assemble(("warning:", "bold yellow"), f" {warning}."))
    console.print(Text(f"Next: costline run {out}", style="dim"))
