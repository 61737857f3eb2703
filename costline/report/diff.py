"""A diff as Markdown, for a pull-request comment: `+` added, `-` removed, `~` changed."""

from __future__ import annotations

from costline.engine.diff import Change, Diff
from costline.report.format import cell, count, pct, usd

MARK = {"added": "+", "removed": "-", "changed": "~", "same": " "}


def _value(value: float | None, kind: str) -> str:
    if value is None:
        return ""
    if kind == "share":
        return pct(value)
    if kind == "count":
        return count(value)
    return usd(value)


def _change(c: Change) -> str:
    if c.status in ("added", "removed"):
        return c.status
    if c.status == "same":
        return "no change"
    if c.relative is not None and abs(c.relative) < 5e-4 and c.kind != "share":
        return "no change (under 0.05%)"
    if c.status == "same" or c.delta is None:
        return "no change"
    if c.kind == "share":
        return f"{c.delta * 100:+.1f} points"
    sign = "+" if c.delta > 0 else "-"
    amount = count(abs(c.delta)) if c.kind == "count" else usd(abs(c.delta))
    relative = f" ({c.relative:+.1%})" if c.relative is not None else ""
    return f"{sign}{amount}{relative}"


def _table(title: str, changes: list[Change], show_same: bool) -> list[str]:
    rows = [c for c in changes if show_same or c.status != "same"]
    if not rows:
        return [f"### {title}", "", "No change.", ""]
    out = [f"### {title}", "", "| | | before | after | change |", "| --- | --- | --- | --- | --- |"]
    for c in rows:
        out.append(
            f"| {MARK[c.status]} | {cell(c.name)} | {_value(c.before, c.kind)} | "
            f"{_value(c.after, c.kind)} | {_change(c)} |"
        )
    return [*out, ""]


def _when(month: str | None) -> str:
    return month if month is not None else "not within the horizon"


def _month_table(d: Diff) -> list[str]:
    changed = [
        m
        for m in d.months
        if any(
            c.status != "same"
            for c in (m.inference_cost_usd, m.cogs_usd, m.revenue_usd, m.gross_margin)
        )
    ]
    if not changed:
        return ["### By month", "", "No month changed.", ""]
    out = [
        "### By month (the months that changed)",
        "",
        "| month | inference before | after | COGS before | after | revenue before | after "
        "| gross margin before | after |",
        "| --- | --- | --- | --- | --- | --- | --- | --- | --- |",
    ]
    for m in changed:
        cells = [
            m.month,
            *(
                _value(v, c.kind)
                for c in (m.inference_cost_usd, m.cogs_usd, m.revenue_usd, m.gross_margin)
                for v in (c.before, c.after)
            ),
        ]
        out.append("| " + " | ".join(cells) + " |")
    return [*out, ""]


def render_diff_markdown(d: Diff) -> str:
    """The diff: the headline figures, then what moved them."""
    month = (
        d.month_after if d.month_before == d.month_after else f"{d.month_before} / {d.month_after}"
    )
    out = [
        f"## costline diff: {cell(d.before_label)} -> {cell(d.after_label)}",
        "",
        # what the comparison cannot say comes before the figures it qualifies
        *([f"- {note}" for note in d.notes] + [""] if d.notes else []),
        f"First month ({month}), USD a month unless marked.",
        "",
        *_table("Headline", d.headline, show_same=True),
        *_table("Cost per query, by feature", d.features, show_same=True),
        *_table("Inference cost a month, by feature", d.features_monthly, show_same=True),
        *(_table("Cost per action", d.actions, show_same=True) if d.actions else []),
        *_table(
            "Model list prices (USD per 1M tokens or the unit named, first month, before the "
            "trajectory)",
            d.models,
            show_same=False,
        ),
        *_table("Plans (price USD a month, share of users)", d.plans, show_same=False),
        *_table("Over the horizon", d.horizon, show_same=True),
        f"Users reach 10x the first month's: {_when(d.ten_x_month_before)} before, "
        f"{_when(d.ten_x_month_after)} after.",
        "",
        *_month_table(d),
        *(
            [
                "### Warnings",
                "",
                *(f"- **{w.code}** ({cell(w.subject)}): {w.message}" for w in d.warnings),
                "",
            ]
            if d.warnings
            else []
        ),
    ]
    return "\n".join(out).rstrip() + "\n"
