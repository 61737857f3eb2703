"""Views of the lever waterfall: a table with a bar per step, as text and Markdown."""

from __future__ import annotations

from rich import box
from rich.console import Console
from rich.table import Table
from rich.text import Text

from costline.engine.waterfall import Waterfall, WaterfallPoint
from costline.report.format import (
    ACTION_LEVERS_HEADER,
    action_lever_rows,
    cell,
    pct,
    usd,
)

LABELS = {
    "response_cache": "response cache",
    "prompt_cache": "prompt caching",
    "routing": "routing",
    "distillation": "distillation",
    "compression": "prompt compression",
    "batch": "batch API",
    "caps": "output cap / quota",
}
BAR_WIDTH = 16


def _bar(value: float, top: float) -> str:
    """A bar of `value` on a scale where `top` fills BAR_WIDTH characters."""
    if top <= 0 or value <= 0:
        return ""
    eighths = round(value / top * BAR_WIDTH * 8)
    return "█" * (eighths // 8) + ("▏▎▍▌▋▊▉"[eighths % 8 - 1] if eighths % 8 else "")


def _rows(w: Waterfall) -> list[tuple[str, WaterfallPoint, str, str, str]]:
    """(label, point, saving, saving share, payback) per row: baseline, steps, combined."""
    rows = [("baseline (no levers)", w.baseline, "", "", "")]
    for step in w.steps:
        label = f"+ {LABELS.get(step.lever, step.lever)}"
        payback = ""
        if step.lever == "distillation":
            payback = step.payback_month or "not within the horizon"
        rows.append((label, step, usd(step.saving_usd), pct(step.saving_share), payback))
    rows.append(("all levers", w.combined, usd(w.saving_usd), pct(w.saving_share), ""))
    return rows


def _case_rows(w: Waterfall) -> list[list[str]]:
    """One row per case: COGS before and after the levers, saving, margin, COGS / ARPU."""
    return [
        [
            c.name,
            usd(c.baseline.monthly_cost_usd),
            usd(c.combined.monthly_cost_usd),
            usd(c.saving_usd),
            pct(c.saving_share),
            f"{pct(c.baseline.gross_margin)} -> {pct(c.combined.gross_margin)}",
            f"{pct(c.baseline.cogs_share_of_arpu)} -> {pct(c.combined.cogs_share_of_arpu)}",
        ]
        for c in w.cases
    ]


CASE_HEADER = (
    "case",
    "COGS without levers",
    "with levers",
    "saving",
    "share",
    "gross margin",
    "inference COGS / ARPU",
)


def render_levers_terminal(w: Waterfall, console: Console) -> None:
    """Print the waterfall: each lever's saving on top of the ones before it."""
    table = Table(
        title=f"Levers: monthly COGS in {w.month}, each lever on top of the ones above",
        title_justify="left",
        title_style="bold",
        box=box.SIMPLE_HEAD,
    )
    for name in ("step", "cost/query", "COGS/month", "", "saving", "share", "margin"):
        table.add_column(name, justify="left" if name in ("step", "") else "right", no_wrap=True)
    table.columns[0].no_wrap = False
    paybacks = any(step.lever == "distillation" for step in w.steps)
    if paybacks:
        table.add_column("payback", no_wrap=True)
    top = max(w.baseline.monthly_cost_usd, *(s.monthly_cost_usd for s in w.steps))
    for label, point, saving, share, payback in _rows(w):
        row = [
            label,
            usd(point.cost_per_query_usd),
            usd(point.monthly_cost_usd),
            _bar(point.monthly_cost_usd, top),
            saving,
            share,
            pct(point.gross_margin),
        ]
        table.add_row(*row, *([payback] if paybacks else []))
    console.print(table)
    console.print(
        Text(
            "Levers apply in this order, each to what the ones above left, so savings "
            "compound; share = saving / baseline COGS. COGS = inference + fixed monthly + "
            "per-user and revenue-linked rows (fees, seats) + amortised one-time. "
            "Inference COGS / ARPU: "
            f"{pct(w.baseline.cogs_share_of_arpu)} -> {pct(w.combined.cogs_share_of_arpu)}.",
            style="dim",
        )
    )
    if w.actions:
        actions = Table(
            title=f"Cost per action in {w.month}, without and with the levers",
            title_justify="left",
            title_style="bold",
            box=box.SIMPLE_HEAD,
        )
        for i, name in enumerate(ACTION_LEVERS_HEADER):
            actions.add_column(name, justify="left" if i < 2 else "right", no_wrap=i != 1)
        for row in action_lever_rows(w.actions):
            actions.add_row(*row)
        console.print(actions)
    for warning in w.warnings:
        console.print(Text.assemble((warning.code, "bold yellow"), f"  {warning.message}"))
    if w.cases:
        cases = Table(
            title=f"Cases: monthly COGS in {w.month} without and with the levers",
            title_justify="left",
            title_style="bold",
            box=box.SIMPLE_HEAD,
        )
        for i, name in enumerate(CASE_HEADER):
            cases.add_column(name, justify="left" if i == 0 else "right", no_wrap=i > 0)
        for row in _case_rows(w):
            cases.add_row(*row)
        console.print(cases)


def render_levers_markdown(w: Waterfall) -> str:
    """The waterfall as a Markdown table."""
    out = [
        f"## Levers: monthly COGS in {w.month}",
        "",
        "| step | cost per query | COGS per month | saving | share of baseline | gross margin "
        "| payback |",
        "| --- | --- | --- | --- | --- | --- | --- |",
    ]
    for label, point, saving, share, payback in _rows(w):
        out.append(
            f"| {cell(label)} | {usd(point.cost_per_query_usd)} | "
            f"{usd(point.monthly_cost_usd)} | {saving} | {share} | {pct(point.gross_margin)} "
            f"| {payback} |"
        )
    out += [
        "",
        "Levers apply in the order listed, each to what the ones above left, so savings "
        "compound. Inference COGS / ARPU: "
        f"{pct(w.baseline.cogs_share_of_arpu)} -> {pct(w.combined.cogs_share_of_arpu)}.",
    ]
    if w.actions:
        out += [
            "",
            f"### Cost per action in {w.month}, without and with the levers",
            "",
            "| " + " | ".join(ACTION_LEVERS_HEADER) + " |",
            "|" + " --- |" * len(ACTION_LEVERS_HEADER),
            *(
                "| " + " | ".join(cell(x) for x in row) + " |"
                for row in action_lever_rows(w.actions)
            ),
        ]
    if w.warnings:
        out += ["", *(f"- **{x.code}** ({cell(x.subject)}): {x.message}" for x in w.warnings)]
    if w.cases:
        out += [
            "",
            f"### Cases: monthly COGS in {w.month} without and with the levers",
            "",
            "| " + " | ".join(CASE_HEADER) + " |",
            "|" + " --- |" * len(CASE_HEADER),
            *("| " + " | ".join(cell(x) for x in row) + " |" for row in _case_rows(w)),
        ]
    return "\n".join(out)
