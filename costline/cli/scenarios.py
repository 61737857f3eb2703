"""Commands that answer a question about a scenario file: run, brief, levers, solve, diff,
breakeven, export, report."""

from enum import StrEnum
from pathlib import Path
from typing import Annotated, Any

import typer

from costline.cli.app import (
    AsOfOption,
    Format,
    FormatOption,
    SamplesOption,
    SeedOption,
    UsersOption,
    app,
    console,
    emit,
    handled,
    library,
    spinner,
)
from costline.errors import InputError
from costline.settings import (
    DEFAULT_QUERY_SAMPLES,
    DEFAULT_USERS_SIMULATED,
    SOLVE_QUERY_SAMPLES,
)

ScenarioArgument = Annotated[Path, typer.Argument(help="Scenario file (.yaml, .toml or .json).")]

BREAKEVEN_FLAGS = {
    "utilisation": "--utilisation-target",
    "model": "--self-host",
    "gpu": "--self-host",
}


@app.command(
    short_help="Cost per query, per user, margins, 10x/100x and the timeline of a scenario."
)
@handled()
def run(
    scenario: ScenarioArgument,
    format: FormatOption = Format.terminal,
    seed: Annotated[
        int, typer.Option(min=0, help="Seed of the Monte Carlo; same seed, same figures.")
    ] = 0,
    samples: SamplesOption = DEFAULT_QUERY_SAMPLES,
    users: UsersOption = DEFAULT_USERS_SIMULATED,
    as_of: Annotated[
        str | None,
        typer.Option(
            help="Date treated as today (YYYY-MM-DD): catalog prices up to it, the "
            "price trajectory after it. Default: today."
        ),
    ] = None,
) -> None:
    """Cost per query, cost per user, margins, scale and timeline of a scenario.

    Example:

        costline run examples/support-copilot.yaml
        costline run examples/support-copilot.yaml --format json > result.json
    """
    result = library(as_of).run(scenario, seed=seed, samples=samples, users=users)
    emit(result, format, "terminal:render_terminal", "markdown:render_markdown")


class BriefFormat(StrEnum):
    markdown = "markdown"
    json = "json"


@app.command(short_help="The CTO brief: five questions per feature and the verdict on the margin.")
@handled()
def brief(
    scenario: ScenarioArgument,
    seed: SeedOption = 0,
    samples: SamplesOption = DEFAULT_QUERY_SAMPLES,
    solve: Annotated[
        bool,
        typer.Option(
            help="Goal-seek each threshold missed (price, output cap, quota, model price, "
            "cache hit rate); --no-solve skips it for a faster brief."
        ),
    ] = True,
    as_of: AsOfOption = None,
    format: Annotated[BriefFormat, typer.Option("--format", "-f", help="Output format.")] = (
        BriefFormat.markdown
    ),
    usage_file: Annotated[
        Path | None,
        typer.Option(
            "--usage",
            help="Pilot logs priced by costline ingest: each feature's real cost per call, "
            "lines, model mix and calls per user beside the scenario's.",
        ),
    ] = None,
    usage_month: Annotated[
        str | None, typer.Option(help="Month of the pilot logs (YYYY-MM); the latest if unset.")
    ] = None,
) -> None:
    """The CTO brief: for each AI feature, the all-in cost per query (median, p95, line by
    line), p95 latency, model tier and what the next cheaper tier saves, what triggers it
    per active user, and the 10x projection; then the verdict on COGS share of ARPU and
    gross margin against the scenario's thresholds (30% and 50% unless set), with what
    would close the gap.

    Markdown (to paste into a memo or a pull request) or JSON.

    Example:

        costline brief examples/support-copilot.yaml > brief.md
        costline brief examples/margin-levers.yaml --format json
        costline brief examples/support-copilot.yaml --usage usage.parquet
    """
    cl = library(as_of)
    with spinner("writing the brief") as tick:
        outcome = cl.brief(
            scenario,
            seed=seed,
            samples=samples,
            solve=solve,
            usage=usage_file,
            usage_month=usage_month,
            progress=tick,
        )
    emit(outcome, format.value, markdown="brief:render_brief_markdown")


@app.command(short_help="Which levers fix the margin, step by step (cache, routing, caps...).")
@handled()
def levers(
    scenario: ScenarioArgument,
    feature: Annotated[
        list[str] | None,
        typer.Option(help="Feature(s) the what-if levers apply to; every API feature if unset."),
    ] = None,
    cache_hit_rate: Annotated[
        float | None, typer.Option(help="Response cache: share of queries answered from it.")
    ] = None,
    prompt_cache_prefix_share: Annotated[
        float | None, typer.Option(help="Prompt caching: share of input that is a fixed prefix.")
    ] = None,
    route_to: Annotated[
        str | None, typer.Option(help="Routing: the cheaper model (provider:model).")
    ] = None,
    route_share: Annotated[
        float | None, typer.Option(help="Routing: share of queries sent to it.")
    ] = None,
    router_usd_per_query: Annotated[
        float | None, typer.Option(help="Routing: USD per query for the router.")
    ] = None,
    fallback_share: Annotated[
        float | None, typer.Option(help="Routing: share of routed queries asked again.")
    ] = None,
    tokenizer_ratio: Annotated[
        float | None, typer.Option(help="Routing: the cheaper model's tokens per own token.")
    ] = None,
    compress: Annotated[
        float | None, typer.Option(help="Compression: share of uncached input removed.")
    ] = None,
    compressor_usd_per_query: Annotated[
        float | None, typer.Option(help="Compression: USD per query for the compressor.")
    ] = None,
    batch_share: Annotated[
        float | None, typer.Option(help="Batch API: share of queries that can wait.")
    ] = None,
    batch_discount: Annotated[
        float | None, typer.Option(help="Batch API: share of the price saved (catalog if unset).")
    ] = None,
    max_output_tokens: Annotated[
        float | None, typer.Option(help="Caps: largest output per LLM call.")
    ] = None,
    quota: Annotated[int | None, typer.Option(help="Caps: queries per user per month.")] = None,
    seed: SeedOption = 0,
    as_of: AsOfOption = None,
    format: FormatOption = Format.terminal,
) -> None:
    """Which levers fix the margin: monthly COGS without levers, then each lever's saving on
    top of the ones before it (response cache, prompt caching, routing, distillation,
    compression, batch API, caps), and the new gross margin.

    Levers come from the scenario's `levers:` blocks; the options add what-ifs.

    Example:

        costline levers examples/margin-levers.yaml
        costline levers examples/consumer-chat.yaml --route-to openai:gpt-4.1-nano \\
            --route-share 0.5 --cache-hit-rate 0.1 --format json
    """
    what_if: dict[str, dict[str, Any]] = {
        "response_cache": {"hit_rate": cache_hit_rate},
        "prompt_cache": {"prefix_share": prompt_cache_prefix_share},
        "routing": {
            "model": route_to,
            "share": route_share,
            "router_usd_per_query": router_usd_per_query,
            "fallback_share": fallback_share,
            "tokenizer_ratio": tokenizer_ratio,
        },
        "compression": {"input_reduction": compress, "usd_per_query": compressor_usd_per_query},
        "batch": {"share": batch_share, "discount": batch_discount},
        "caps": {"max_output_tokens": max_output_tokens, "queries_per_user_per_month": quota},
    }
    if feature and all(v is None for lever in what_if.values() for v in lever.values()):
        raise InputError("give a lever option to apply to it (see --help)", field="features")
    outcome = library(as_of).levers(scenario, what_if=what_if, features=feature, seed=seed)
    emit(outcome, format, "levers:render_levers_terminal", "levers:render_levers_markdown")


def _target(text: str) -> tuple[str, float]:
    name, sep, value = text.partition("=")
    name = name.strip().lower()
    if not sep or name not in ("cogs-share", "gross-margin"):
        raise InputError(f"expected cogs-share=SHARE or gross-margin=SHARE, got {text!r}", "target")
    try:
        return name, float(value)
    except ValueError:
        raise InputError(f"{value!r} is not a number (e.g. 0.30)", field="target") from None


@app.command(short_help="What it takes to meet a COGS-share or gross-margin target.")
@handled()
def solve(
    scenario: ScenarioArgument,
    target: Annotated[
        str, typer.Option(help="cogs-share=0.30 (inference COGS / revenue) or gross-margin=0.6.")
    ],
    seed: SeedOption = 0,
    samples: Annotated[
        int, typer.Option(min=100, help="Simulated queries per feature per evaluation.")
    ] = SOLVE_QUERY_SAMPLES,
    as_of: AsOfOption = None,
    format: FormatOption = Format.terminal,
) -> None:
    """What it takes to meet a first-month target, one input at a time, the rest held
    fixed: the least plan price, the most output tokens per call, the largest monthly quota
    per user, the most expensive models, the response-cache hit rate needed.

    Found by bisection on the engine; an unreachable target is an answer (exit 0), with
    the reason.

    Example:

        costline solve examples/margin-levers.yaml --target cogs-share=0.30
        costline solve examples/consumer-chat.yaml --target gross-margin=0.6 --format json
    """
    name, goal = _target(target)
    cl = library(as_of)
    with spinner("solving") as tick:
        outcome = cl.solve(scenario, name, goal, seed=seed, samples=samples, progress=tick)
    emit(outcome, format, "solve:render_solve_terminal", "solve:render_solve_markdown")


@app.command(short_help="What changed between two scenarios, or between two dates' prices.")
@handled()
def diff(
    before: Annotated[Path, typer.Argument(help="The scenario before (or the only one).")],
    after: Annotated[
        Path | None, typer.Argument(help="The scenario after; omit with --prices-at.")
    ] = None,
    prices_at: Annotated[
        str | None,
        typer.Option(
            help="Price BEFORE with the catalog as it stood on this date (YYYY-MM-DD) and "
            "compare with today's catalog: what vendors' price changes did."
        ),
    ] = None,
    seed: SeedOption = 0,
    samples: SamplesOption = DEFAULT_QUERY_SAMPLES,
    as_of: AsOfOption = None,
    format: FormatOption = Format.markdown,
) -> None:
    """What changed in cost per query, monthly COGS and margin between two scenarios, or
    between the catalog's prices on a date and today's, line by line (Markdown for a
    pull-request comment by default).

    Example:

        costline diff examples/diff/old.yaml examples/diff/new.yaml
        costline diff examples/support-copilot.yaml --prices-at 2025-06-01
    """
    from costline.report.diff import render_diff_markdown

    if (after is None) == (prices_at is None):
        raise InputError("give a second scenario or --prices-at DATE, not both or neither")
    outcome = library(as_of).diff(before, after, prices_at=prices_at, seed=seed, samples=samples)

    def terminal(d: Any, out: Any) -> None:
        from rich.markdown import Markdown

        out.print(Markdown(render_diff_markdown(d)))

    emit(outcome, format, terminal, render_diff_markdown)


PriceOption = Annotated[
    str,
    typer.Option(
        "--price", help="Catalog price when --price-per-gpu-hour is unset: on-demand or reserved."
    ),
]
TpOption = Annotated[
    int | None,
    typer.Option(
        help="GPUs per replica (tensor parallel); default: the smallest split whose weights "
        "leave half the memory to the KV cache."
    ),
]


@app.command(short_help="When self-hosting an open model beats the API, and the month it does.")
@handled(BREAKEVEN_FLAGS)
def breakeven(
    scenario: ScenarioArgument,
    self_host: Annotated[
        str, typer.Option("--self-host", help="MODEL@GPU, e.g. llama-3.1-70b@h100-sxm.")
    ],
    feature: Annotated[
        list[str] | None, typer.Option(help="Feature(s) to move; every API feature when not given.")
    ] = None,
    tp: TpOption = None,
    dtype: Annotated[str, typer.Option(help="Weight precision: bf16, fp8 or int4.")] = "bf16",
    kv_dtype: Annotated[str, typer.Option(help="KV-cache precision: bf16 or fp8.")] = "bf16",
    batch: Annotated[int | None, typer.Option(help="Concurrent sequences per replica.")] = None,
    peak_to_average: Annotated[
        float | None, typer.Option(help="Busiest hour over the average hour, >= 1.")
    ] = None,
    utilisation_target: Annotated[
        float | None,
        typer.Option(help="Share of capacity the busiest hour may use, (0, 1]; headroom."),
    ] = None,
    min_replicas: Annotated[
        int | None,
        typer.Option(help="Replicas kept running, >= 1; default 2, for availability (labelled)."),
    ] = None,
    staff_usd_per_month: Annotated[
        float | None,
        typer.Option(
            help="ML-ops staff for the fleet, USD per month; default one engineer at the "
            "median software-developer wage (selfhost_defaults.yml, with its source; 0 for "
            "none)."
        ),
    ] = None,
    price_per_gpu_hour: Annotated[
        float | None, typer.Option(help="USD per GPU-hour; the catalog's price when unset.")
    ] = None,
    price: PriceOption = "on-demand",
    seed: SeedOption = 0,
    as_of: AsOfOption = None,
    format: FormatOption = Format.terminal,
) -> None:
    """When self-hosting an open model beats the API: both monthly costs of the features'
    LLM calls, where they cross and the month on the scenario's growth curve.

    Retrieval, tools and infrastructure are paid either way and left out of both sides.

    Example:

        costline breakeven examples/support-copilot.yaml --self-host llama-3.1-70b@h100-sxm
        costline breakeven examples/consumer-chat.yaml --self-host llama-3.1-8b@l4 \\
            --feature chat-free --min-replicas 2 --staff-usd-per-month 15000 --format json
    """
    outcome = library(as_of).breakeven(
        scenario,
        self_host,
        features=feature,
        seed=seed,
        tp=tp,
        dtype=dtype,
        kv_dtype=kv_dtype,
        batch=batch,
        usd_per_gpu_hour=price_per_gpu_hour,
        price=price,
        utilisation=utilisation_target,
        peak_to_average=peak_to_average,
        min_replicas=min_replicas,
        staff_usd_per_month=staff_usd_per_month,
    )
    emit(
        outcome,
        format,
        "breakeven:render_breakeven_terminal",
        "breakeven:render_breakeven_markdown",
    )


OutOption = Annotated[Path, typer.Option("--out", "-o", help="The workbook to write (.xlsx).")]
ForceOption = Annotated[bool, typer.Option(help="Replace OUT if it exists.")]


@app.command(short_help="The founder's spreadsheet (.xlsx), every figure a live formula.")
@handled()
def export(
    scenario: ScenarioArgument,
    out: OutOption,
    force: ForceOption = False,
    seed: SeedOption = 0,
    samples: SamplesOption = DEFAULT_QUERY_SAMPLES,
    users: UsersOption = DEFAULT_USERS_SIMULATED,
    as_of: AsOfOption = None,
) -> None:
    """The founder's spreadsheet: every assumption a labelled cell, every figure a live
    formula (Assumptions, Per query, Monthly, One-time, Scale, Summary, and a chart of
    revenue against COGS). Change a price or the growth rate and every sheet follows.

    Example:

        costline export examples/support-copilot.yaml -o model.xlsx
    """
    from rich.text import Text

    written = library(as_of).export(
        scenario, out, force=force, seed=seed, samples=samples, users=users
    )
    out_console = console()
    result = written.result
    out_console.print(
        f"Wrote {out}: {len(result.features)} feature(s), {len(result.timeline)} months."
    )
    out_console.print(
        Text(
            "Blue cells in Assumptions are inputs; Monte Carlo figures are values, marked.",
            style="dim",
        )
    )


@app.command(short_help="A report to share: one offline HTML page, or Markdown with PNG charts.")
@handled(BREAKEVEN_FLAGS)
def report(
    scenario: ScenarioArgument,
    out: Annotated[
        Path, typer.Option("--out", "-o", help="report.html (one page) or report.md (+ PNGs).")
    ],
    force: ForceOption = False,
    self_host: Annotated[
        str | None,
        typer.Option(
            "--self-host",
            help="MODEL@GPU: add the API-vs-self-hosting curves (costline breakeven's "
            "defaults; every API feature moves).",
        ),
    ] = None,
    seed: SeedOption = 0,
    samples: SamplesOption = DEFAULT_QUERY_SAMPLES,
    users: UsersOption = DEFAULT_USERS_SIMULATED,
    as_of: AsOfOption = None,
) -> None:
    """A report to share: one self-contained HTML page (opens offline) with the summary,
    the warnings and charts (revenue vs COGS, gross margin, cost per user by plan with the
    p95 user, 1x/10x/100x, the levers waterfall when the scenario has levers), or Markdown
    with the same charts as PNG files beside it.

    Example:

        costline report examples/margin-levers.yaml -o report.html
        costline report examples/support-copilot.yaml -o report.md
    """
    written = library(as_of).report(
        scenario, out, self_host=self_host, force=force, seed=seed, samples=samples, users=users
    )
    console().print(f"Wrote {out} with {len(written.charts)} charts.")
