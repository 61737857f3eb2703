"""The CTO brief as Markdown, to paste into a memo or a pull request."""

from __future__ import annotations

import json

from costline.engine.brief import Brief, FeatureBrief, Gap, PlanTrigger, TierMove
from costline.engine.result import Latency
from costline.report.cases import case_table
from costline.report.format import (
    ACTION_HEADER,
    action_rows,
    catalog_label,
    cell,
    count,
    pct,
    unit_prices,
    usd,
)
from costline.report.levers import LABELS as LEVER_LABELS
from costline.report.solve import LABELS as SOLVE_LABELS
from costline.report.solve import solved_value

LINE_LABELS = {
    "input_usd": "input tokens",
    "cached_input_usd": "cached input tokens",
    "output_usd": "output tokens",
    "request_fees_usd": "request fees",
    "other_units_usd": "audio, images, pages and search fees",
    "retrieval_usd": "retrieval (embeddings)",
    "tools_usd": "tool calls",
    "infra_usd": "infrastructure",
    "lever_costs_usd": "levers (lookups, router, compressor)",
    "overhead_usd": "orchestration overhead",
}
ALWAYS_SHOWN = {
    "input_usd",
    "cached_input_usd",
    "output_usd",
    "retrieval_usd",
    "tools_usd",
    "overhead_usd",
}
"""The lines the brief always lists, zero or not; the others only when a query pays them."""


RENT_NOTE = " Self-hosted token lines are the fleet's rent spread over the queries."


def _gap_line(name: str, gap: Gap) -> str:
    sign = "at most" if gap.metric == "cogs-share" else "at least"
    if gap.value is None:
        return f"- **{name}**: n/a (no revenue); threshold {sign} {pct(gap.threshold)}."
    if gap.met:
        state = "met"
    else:
        side = "over" if gap.metric == "cogs-share" else "under"
        state = f"**{gap.points_off:.1f} points {side}**"
    return f"- **{name}**: {pct(gap.value)} against {sign} {pct(gap.threshold)}: {state}."


TARGET_NAMES = {"cogs-share": "COGS share", "gross-margin": "gross margin"}


def _fixes(b: Brief) -> list[str]:
    """A table of what closes each gap alone: one column per threshold missed."""
    v = b.verdict
    missed = [g for g in (v.cogs_share, v.gross_margin) if not g.met and g.value is not None]
    solved = {s.target: s for s in v.solutions}
    heads = [
        f"{TARGET_NAMES[g.metric]} {'<=' if g.metric == 'cogs-share' else '>='} {pct(g.threshold)}"
        for g in missed
    ]
    out = [
        "What would close the gap, each on its own with the rest unchanged:",
        "",
        "| change | " + " | ".join(heads) + " |",
        "|" + " --- |" * (len(heads) + 1),
    ]
    reasons: dict[str, str] = {}
    variables = list(dict.fromkeys(x.variable for s in v.solutions for x in s.solutions))
    for variable in variables:
        cells = []
        for g in missed:
            answer = (
                next((x for x in solved[g.metric].solutions if x.variable == variable), None)
                if g.metric in solved
                else None
            )
            if answer is None:
                cells.append("-")
            elif answer.reachable:
                cells.append(solved_value(answer))
            else:
                cells.append("unreachable")
                reasons.setdefault(SOLVE_LABELS.get(variable, variable), answer.reason)
        out.append(f"| {cell(SOLVE_LABELS.get(variable, variable))} | " + " | ".join(cells) + " |")
    for f in b.features:
        t = f.cheaper_tier
        if not t.moves or (t.cogs_share_of_arpu is None and t.gross_margin is None):
            continue
        cells = []
        for g in missed:
            after = t.cogs_share_of_arpu if g.metric == "cogs-share" else t.gross_margin
            closes = f.name in g.closes_with
            cells.append(f"{'yes' if closes else 'no'} ({pct(after)})")
        label = f"{f.name} one tier down ({_moves(t)})"
        out.append(f"| {cell(label)} | " + " | ".join(cells) + " |")
    out.append("")
    if not v.solutions:
        out += ["The solver was skipped (--no-solve).", ""]
    for label, reason in reasons.items():
        out.append(f"- {label}: unreachable, {reason}")
    if reasons:
        out.append("")
    return out


def _verdict(b: Brief) -> list[str]:
    v = b.verdict
    out = [
        "## Verdict",
        "",
        _gap_line("Inference COGS share of ARPU", v.cogs_share),
        _gap_line("Gross margin", v.gross_margin),
        "",
    ]
    for r in b.retiring:
        names = ", ".join(r.features)
        if r.when == "before":
            out.append(
                f"- **{r.ref} is shut down by its vendor on {r.day}, before {b.month}**: the "
                f"figures of {names} price a model that can no longer be bought; price its "
                "successor."
            )
        elif r.when == "during":
            out.append(
                f"- **{r.ref} is shut down by its vendor on {r.day}**, within the horizon: "
                f"{names} must move to another model by then."
            )
    if any(r.when != "after" for r in b.retiring):
        out += [
            "  (Shutdown dates from costline's catalog/data/model_tiers.yml, with sources.)",
            "",
        ]
    if v.cogs_share.met and v.gross_margin.met:
        out += ["Both thresholds are met in the first month.", ""]
    elif v.cogs_share.value is not None:
        out += _fixes(b)
    else:
        out += ["There is no revenue to set costs against: every plan is free.", ""]
    if v.waterfall is not None and v.waterfall.steps:
        w = v.waterfall
        out += [
            "Levers already in the scenario (in every figure of this brief):",
            "",
            "| lever | saving per month | share of COGS before levers |",
            "| --- | --- | --- |",
        ]
        for step in w.steps:
            label = LEVER_LABELS.get(step.lever, step.lever)
            out.append(f"| {label} | {usd(step.saving_usd)} | {pct(step.saving_share)} |")
        out += [
            f"| all levers | {usd(w.saving_usd)} | {pct(w.saving_share)} |",
            "",
            f"Without them the COGS share of ARPU would be {pct(w.baseline.cogs_share_of_arpu)} "
            f"and the gross margin {pct(w.baseline.gross_margin)} (`costline levers` for the "
            "waterfall).",
            "",
        ]
    else:
        out += [
            "No levers are set in the scenario: `costline levers --help` lists the what-ifs.",
            "",
        ]
    return out


def _moves(move: TierMove) -> str:
    return ", ".join(f"{old} -> {new}" for old, new in move.moves.items())


def _latency(lat: Latency, calls: float, self_hosted: bool) -> str:
    if lat.p95_s is not None and lat.median_s is not None:
        text = f"p95 **{lat.p95_s:,.2f} s** per query (median {lat.median_s:,.2f} s)" + (
            f", its {calls:,.2g} LLM calls one after another" if calls != 1 else ""
        )
        if lat.batch_share:
            text += f"; {pct(lat.batch_share)} of queries go as batch jobs (hours) and are left out"
        text += ". Basis: " + "; ".join(lat.sources) + "."
        if not self_hosted:
            text += (
                " The spread is the queries' sizes at the published median speeds; a "
                "provider's load and queueing add to the tail."
            )
        return text
    if lat.missing_models:
        names = ", ".join(lat.missing_models)
        example = json.dumps(lat.missing_models[0])
        figures = "{time_to_first_token_s: 0.5, output_tokens_per_s: 80}"
        return (
            f"unknown: no latency figure for {names}. Set one in the scenario, e.g. "
            f"`latency: {{{example}: {figures}}}` with your measured figures."
        )
    return "every query goes through a batch API: answers come within its window (hours)."


def _tier(f: FeatureBrief, b: Brief) -> list[str]:
    out = []
    for m in f.models:
        if m.share <= 0:
            continue
        token_prices = [
            f"{usd(rate)} {part}"
            for part, rate in (("in", m.input_usd_per_mtok), ("out", m.output_usd_per_mtok))
            if rate is not None
        ]
        prices = (
            " / ".join(token_prices) + " per 1M tokens"
            if token_prices
            else ("" if m.unit_prices else "no token price")
        )
        if m.unit_prices:
            prices = "; ".join(p for p in (prices, unit_prices(m.unit_prices)) if p)
        tier = "" if f.deployment == "self_hosted" else f", {m.service_tier} tier"
        out.append(f"- {m.ref} ({pct(m.share)} of calls{tier}): {prices}")
    t = f.cheaper_tier
    if t.family is not None:
        main = next(iter(t.moves), None) or "its main model"
        out.append(
            f"- {main} is in the family {t.family}: tier {t.tier} of {t.tiers} (1 = most capable)"
        )
    if t.moves and t.cost_per_query_usd is not None and t.saving_usd is not None:
        out.append(
            f"- {_down(t)} ({_moves(t)}): {usd(t.cost_per_query_usd)} per query, saving "
            f"{usd(t.saving_usd)} a month ({pct(t.saving_share)} of the feature); COGS share "
            f"{pct(t.cogs_share_of_arpu)}, gross margin {pct(t.gross_margin)}, if the "
            "cheaper model's answers are good enough: check on your own evals."
        )
    elif t.reason:
        out.append(f"- no cheaper tier: {t.reason}")
    o = t.other_provider
    if o is not None and o.cost_per_query_usd is not None and o.saving_usd is not None:
        out.append(
            f"- another provider at that tier ({_moves(o)}, the cheapest model at the same "
            f"place in its vendor's current line-up): {usd(o.cost_per_query_usd)} per query, "
            f"saving {usd(o.saving_usd)} a month ({pct(o.saving_share)}); COGS share "
            f"{pct(o.cogs_share_of_arpu)}, gross margin {pct(o.gross_margin)}. Quality is not "
            "compared: a place in a line-up is not a benchmark."
        )
    for ref in t.moves.values():
        if ref in t.shutdowns:
            out.append(f"- note: {ref} itself is shut down by its vendor on {t.shutdowns[ref]}.")
    return out


def _down(t: TierMove) -> str:
    if t.across == "line-up":
        return "the next cheaper model in its provider's current line-up"
    return "one tier down"


def _rate(t: PlanTrigger) -> str:
    if t.per == "day":
        days = t.active_days_per_month or 0
        return f"{t.rate_typical:,.3g} a day (p95 {t.rate_p95:,.3g}) on {days:,.3g} active days"
    return f"{t.rate_typical:,.3g} a month (p95 {t.rate_p95:,.3g})"


def _observed(f: FeatureBrief, b: Brief) -> list[str]:
    """What the pilot logs show of the feature, beside the scenario's figure."""
    o = f.observed
    if b.usage is None:
        return []
    if o is None:
        return [
            f"Not in the pilot logs of {b.usage.month}: the figures above are the scenario's.",
            "",
        ]
    gap = "" if f.observed_gap is None else f" ({f.observed_gap:+.0%} against the scenario)"
    out = [
        f"**From the pilot logs** ({b.usage.month}: {count(o.calls)} calls by {count(o.users)} "
        f"users, {pct(o.user_share)} of the month's users): per call median "
        f"**{usd(o.cost_per_query.median)}**, p95 **{usd(o.cost_per_query.p95)}**, mean "
        f"{usd(o.cost_per_query.mean)}{gap}; {usd(o.cost_usd)} in the month.",
        "",
        "| line (logs) | median | p95 | mean |",
        "| --- | --- | --- | --- |",
    ]
    for line in o.lines:
        # logged cache tokens are reads and writes, a write dearer than an input token
        label = (
            "cache reads and writes"
            if line.line == "cached_input_usd"
            else LINE_LABELS.get(line.line, line.line)
        )
        out.append(
            f"| {label} | {usd(line.median_usd)} | {usd(line.p95_usd)} | {usd(line.mean_usd)} |"
        )
    mix = ", ".join(
        f"{m.ref} {pct(m.share_of_calls)} of calls ({pct(m.share_of_cost)} of cost)"
        for m in o.models
    )
    out += [
        "",
        f"Models in the logs: {mix}. Calls per active user in the month: mean "
        f"{count(o.queries_per_active_user)}, p95 {count(o.queries_per_active_user_p95)}. "
        "Logs hold the LLM calls only: retrieval, tools, infrastructure and overhead are the "
        "scenario's.",
        "",
    ]
    return out


def _trigger_text(f: FeatureBrief) -> str:
    what = (
        f.description.rstrip(". ")
        if f.description
        else "what makes a call happen is not described (add a `description:`)"
    )
    calls = f.llm_calls_per_query
    return f"{what}. Each query makes {calls:,.3g} LLM call{'' if calls == 1 else 's'} on average."


def _feature(f: FeatureBrief, b: Brief) -> list[str]:
    s = f.cost_per_query
    self_hosted = f.deployment == "self_hosted"
    out = [
        f"## {f.name}" + (" (self-hosted)" if self_hosted else ""),
        "",
        *([f"> {f.description}", ""] if f.description else []),
        f"{count(f.queries_per_month)} queries and {usd(f.inference_cost_usd)} of inference in "
        f"{b.month}.",
        "",
        f"**1. All-in cost per query**: median **{usd(s.median)}**, p95 **{usd(s.p95)}** "
        f"(mean {usd(s.mean)}).",
        "",
        "| line | median | p95 | mean |",
        "| --- | --- | --- | --- |",
    ]
    for line in f.lines:
        if line.line not in ALWAYS_SHOWN and line.mean_usd == 0 and line.p95_usd == 0:
            continue
        label = LINE_LABELS.get(line.line, line.line)
        out.append(
            f"| {label} | {usd(line.median_usd)} | {usd(line.p95_usd)} | {usd(line.mean_usd)} |"
        )
    out += [
        f"| **all-in** | **{usd(s.median)}** | **{usd(s.p95)}** | **{usd(s.mean)}** |",
        "",
        "Each line's median and p95 are its own over the simulated queries, so they do not "
        "add up to the all-in figures; the means do."
        + (
            " Self-hosted token lines are the fleet's rent spread over the queries."
            if self_hosted
            else ""
        ),
        "",
        *_observed(f, b),
        f"**2. Latency**: {_latency(f.latency, f.llm_calls_per_query, self_hosted)}",
        "",
        "**3. Model tier**:",
        "",
        *_tier(f, b),
        "",
        f"**4. Trigger**: {_trigger_text(f)}",
        "",
        "| plan | users who use it | queries per active user | a month per active user "
        "(mean / p95) |",
        "| --- | --- | --- | --- |",
    ]
    for t in f.triggers:
        quota = f", quota {t.quota:,}" if t.quota is not None else ""
        out.append(
            f"| {cell(t.plan)} | {pct(t.user_share)} | {_rate(t)} | "
            f"{count(t.queries_per_active_user)} / {count(t.queries_per_active_user_p95)}{quota} |"
        )
    when = (
        f"the scenario reaches {f.scale_multiple:g}x its users in **{b.scale_month}**"
        if b.scale_month
        else f"the scenario does not reach {f.scale_multiple:g}x its users within its horizon"
        + (
            f" (users reach {b.users_multiple_at_horizon:,.2g}x by the last month)"
            if b.users_multiple_at_horizon is not None
            else ""
        )
    )
    growth = (
        "a fleet re-sized for the new peak hour"
        if self_hosted
        else "per-token prices: linear in the queries"
    )
    out += [
        "",
        f"**5. At {f.scale_multiple:g}x the users**: {count(f.scale_queries)} queries and "
        f"{usd(f.scale_inference_cost_usd)} of inference a month "
        f"({usd(f.scale_cost_per_query_usd)} per query, {growth}, at {b.month} prices); {when}.",
        "",
    ]
    return out


def _usage_head(b: Brief) -> list[str]:
    u = b.usage
    if u is None:
        return []
    out = [
        f"Pilot logs: {u.source}, {u.month}: {count(u.calls)} calls by {count(u.users)} users, "
        f"{usd(u.cost_usd)}, priced with {u.catalog or 'the catalog'}"
        + (f" on {u.priced_on}" if u.priced_on else "")
        + ". Each feature shows them beside the scenario's figures.",
        "",
    ]
    if b.only_in_logs:
        out += [
            "In the logs but not in the scenario: " + ", ".join(b.only_in_logs) + ".",
            "",
        ]
    return out


def render_brief_markdown(b: Brief) -> str:
    """The brief: verdict first, then the five answers for each feature."""
    title = b.scenario or "scenario"
    out = [
        f"# CTO brief: {title}",
        "",
        f"{b.month}: {count(b.users)} monthly active users, ARPU {usd(b.arpu_usd)}. "
        f"Figures are for {b.month} at its prices, from "
        f"{b.result.simulation.query_samples:,} simulated queries per feature "
        f"(seed {b.result.simulation.seed}); priced with {catalog_label(b.result)}.",
        "",
        *_usage_head(b),
        *_verdict(b),
    ]
    header, rows = case_table(b.result.model_copy(update={"cases": b.cases}))
    if rows:
        out += [
            "## Cases",
            "",
            "| " + " | ".join(cell(h) for h in header) + " |",
            "|" + " --- |" * len(header),
            *("| " + " | ".join(cell(c) for c in row) + " |" for row in rows),
            "",
        ]
    for f in b.features:
        out += _feature(f, b)
    if b.actions:
        out += [
            "## Cost per action",
            "",
            "| " + " | ".join(ACTION_HEADER) + " |",
            "|" + " --- |" * len(ACTION_HEADER),
            *("| " + " | ".join(cell(c) for c in row) + " |" for row in action_rows(b.actions)),
            "",
        ]
    if b.result.warnings:
        out += ["## Warnings", "", *(f"- {w.message}" for w in b.result.warnings), ""]
    return "\n".join(out).rstrip() + "\n"
