"""The `costline` command line: parse input, call the engine, hand the Result to a view."""

from __future__ import annotations

import contextlib
import dataclasses
import datetime as dt
import json
import os
import re
import sys
from collections.abc import Callable, Iterator
from enum import StrEnum
from pathlib import Path
from typing import Annotated, Any

import typer
import xlsxwriter.exceptions
import yaml
from pydantic import BaseModel, ValidationError
from rich.console import Console
from rich.progress import BarColumn, Progress, SpinnerColumn, TaskProgressColumn, TextColumn
from rich.table import Table
from rich.text import Text

from costline.catalog.gpus import load_hardware
from costline.catalog.latency import load_api_latency
from costline.catalog.levers import load_lever_defaults
from costline.catalog.open_models import load_open_models
from costline.catalog.prices import PriceCatalog, price_book, prices_as_of
from costline.catalog.rules import load_rules
from costline.catalog.tiers import load_model_tiers
from costline.catalog.types import ModelPricing
from costline.engine.breakeven import api_features, query_tokens
from costline.engine.breakeven import breakeven as compute_breakeven
from costline.engine.brief import cto_brief
from costline.engine.classify import agreement, summarise_bill
from costline.engine.classify import classify as classify_line
from costline.engine.diff import diff as compute_diff
from costline.engine.diff import lever_changes
from costline.engine.result import Result, case_summary
from costline.engine.run import DEFAULT_QUERY_SAMPLES, DEFAULT_USERS_SIMULATED, run_scenario
from costline.engine.selfhost import serve
from costline.engine.solve import TARGETS, Solved
from costline.engine.solve import solve as solve_target
from costline.engine.training import (
    compare_with_api,
    estimate_provider_finetune,
    estimate_training,
)
from costline.engine.waterfall import lever_waterfall
from costline.errors import InputError, ScenarioError
from costline.ingest.bills import read_lines, shipped_text_model
from costline.ingest.fit import fit as fit_usage
from costline.ingest.observed import observed_usage
from costline.ingest.options import mapping_from, prices_from
from costline.ingest.pipeline import expand
from costline.ingest.pipeline import ingest as run_ingest
from costline.ingest.usage import ingested_summary, usage_report
from costline.report.breakeven import render_breakeven_markdown, render_breakeven_terminal
from costline.report.brief import render_brief_markdown
from costline.report.charts import chart_png, chart_specs, title_text
from costline.report.classify import render_classify_markdown, render_classify_terminal
from costline.report.diff import render_diff_markdown
from costline.report.format import usd
from costline.report.html import render_html, vega_bundle
from costline.report.json_report import render_json
from costline.report.levers import render_levers_markdown, render_levers_terminal
from costline.report.markdown import render_markdown
from costline.report.selfhost import render_selfhost_markdown, render_selfhost_terminal
from costline.report.solve import render_solve_markdown, render_solve_terminal
from costline.report.terminal import render_terminal
from costline.report.training import (
    render_gpus_markdown,
    render_gpus_terminal,
    render_training_markdown,
    render_training_terminal,
)
from costline.report.usage import (
    render_ingest_terminal,
    render_usage_markdown,
    render_usage_terminal,
)
from costline.report.xlsx import write_workbook
from costline.scenario.cases import BASE_CASE, case_scenarios
from costline.scenario.levers import (
    BatchProcessing,
    Caps,
    Compression,
    Levers,
    PromptCache,
    ResponseCache,
    RouteToCheaper,
)
from costline.scenario.load import load_scenario, parse_scenario
from costline.scenario.models import (
    SELF_HOSTED_LEVERS,
    ProviderFineTune,
    Scenario,
    TrainingSpec,
)
from costline.scenario.selfhost import SelfHostedDeployment, SelfHostSpec

app = typer.Typer(
    help="costline: the unit economics of an AI product's inference and training cost lines.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
models_app = typer.Typer(
    help="Look up models and their prices in the catalog.", no_args_is_help=True
)
app.add_typer(models_app, name="models")


class Format(StrEnum):
    terminal = "terminal"
    json = "json"
    markdown = "markdown"


FormatOption = Annotated[Format, typer.Option("--format", "-f", help="Output format.")]
SeedOption = Annotated[int, typer.Option(min=0, help="Seed of the Monte Carlo.")]
AsOfOption = Annotated[str | None, typer.Option(help="Date treated as today (YYYY-MM-DD).")]
SamplesOption = Annotated[int, typer.Option(min=100, help="Simulated queries per feature.")]
UsersOption = Annotated[
    int, typer.Option(min=10, help="Simulated users for per-user distributions.")
]


def _fail(err: InputError) -> typer.Exit:
    # markup off: a message quotes user text, and "[...]" in it must print as written
    Console(stderr=True, highlight=False, soft_wrap=True, markup=False).print(
        Text.assemble(("error:", "bold red"), f" {err}")
    )
    return typer.Exit(err.exit_code)


def _runner(
    catalog: PriceCatalog,
    when: dt.date,
    file: Path,
    seed: int,
    samples: int = DEFAULT_QUERY_SAMPLES,
    users: int = DEFAULT_USERS_SIMULATED,
) -> Callable[..., Result]:
    """A function that runs a scenario with every catalog costline ships, priced from
    `catalog` unless a price book is given."""
    hardware, models, levers = load_hardware(), load_open_models(), load_lever_defaults()
    latency, rules, text_model = load_api_latency(), load_rules(), shipped_text_model()
    info = catalog.info(when)

    def run_one(variant: Scenario, book: dict[str, ModelPricing] | None = None) -> Result:
        return run_scenario(
            variant,
            book if book is not None else price_book(variant, catalog, str(file)),
            info,
            seed=seed,
            query_samples=samples,
            users_simulated=users,
            hardware=hardware,
            open_models=models,
            lever_defaults=levers,
            api_latency=latency,
            line_rules=rules,
            line_model=text_model,
        )

    return run_one


SOLVE_QUERY_SAMPLES = 20_000
SOLVE_USERS_SIMULATED = 1_000  # targets are first-month means: users only feed the p95s


@contextlib.contextmanager
def _progress(what: str) -> Iterator[Callable[[], None]]:
    """A spinner with a count of engine runs on a terminal's stderr; silent when piped."""
    console = Console(stderr=True)
    if not console.is_terminal:
        yield lambda: None
        return
    with Progress(
        SpinnerColumn(),
        TextColumn(f"{what}: {{task.completed}} engine runs"),
        console=console,
        transient=True,
    ) as bar:
        task = bar.add_task(what, total=None)
        yield lambda: bar.advance(task)


def _console() -> Console:
    # Piped output has no terminal width; wide tables beat truncated figures.
    # markup off: names, sources and notes are data and may contain "[...]"
    console = Console(highlight=False, markup=False)
    if not console.is_terminal:
        console = Console(highlight=False, markup=False, width=120)
    return console


def _parse_date(text: str | None, option: str) -> dt.date:
    if text is None:
        return dt.date.today()
    if not re.fullmatch(r"\d{4}-\d{2}-\d{2}", text.strip()):
        raise InputError(f"{option}: expected a date as YYYY-MM-DD, got {text!r}")
    try:
        return dt.date.fromisoformat(text.strip())
    except ValueError:
        raise InputError(f"{option}: expected a date as YYYY-MM-DD, got {text!r}") from None


@app.command()
def run(
    scenario: Annotated[Path, typer.Argument(help="Scenario file (.yaml, .toml or .json).")],
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
    try:
        when = _parse_date(as_of, "--as-of")
        loaded = load_scenario(scenario)
        run_one = _runner(PriceCatalog(), when, scenario, seed, samples, users)
        result = run_one(loaded)
        if loaded.cases:
            cases = _case_summaries(loaded, scenario, result, run_one)
            result = result.model_copy(update={"cases": cases})
    except ScenarioError as err:
        raise _fail(err) from None
    except InputError as err:
        # the engine names the field (one_time[0].training.gpu); the file comes from here
        raise _fail(ScenarioError(str(scenario), None, str(err))) from None
    if format is Format.json:
        sys.stdout.write(render_json(result) + "\n")
    elif format is Format.markdown:
        sys.stdout.write(render_markdown(result) + "\n")
    else:
        render_terminal(result, _console())


_RULE_OPTIONS = {
    "active_params": "--active-params",
    "attention_term": "--seq-len/--layers/--d-model",
}


def _option_errors(err: ValidationError, names: dict[str, str]) -> InputError:
    first = err.errors()[0]
    field = str(first["loc"][0]) if first["loc"] else ""
    if field:
        option = names.get(field, f"--{field.replace('_', '-')}")
    else:
        option = _RULE_OPTIONS.get(first["type"], "options")
    message = str(first["msg"]).removeprefix("Value error, ")
    given = first.get("input")
    got = f" (got {given!r})" if not isinstance(given, dict) and first["type"] != "missing" else ""
    return InputError(f"{option}: {message}{got}")


_TRAIN_OPTIONS = {
    "params": "--params",
    "active_params": "--active-params",
    "tokens": "--tokens",
    "epochs": "--epochs",
    "gpu": "--gpu",
    "gpus": "--gpus",
    "mfu": "--mfu",
    "goodput": "--goodput",
    "usd_per_gpu_hour": "--price-per-gpu-hour",
    "usd_per_1m_training_tokens": "--price-per-1m-training-tokens",
    "failure_probability": "--failure-probability",
    "failure_lost_share": "--failure-lost-share",
    "provider": "--provider",
    "model": "--model",
    "precision": "--fp8",
}


@app.command()
def train(
    params: Annotated[
        float | None, typer.Option(help="Total parameters, e.g. 70e9 (self-run jobs).")
    ] = None,
    tokens: Annotated[
        float | None, typer.Option(help="Training tokens per epoch, e.g. 2e12.")
    ] = None,
    active_params: Annotated[
        float | None, typer.Option(help="Parameters active per token (MoE), e.g. 37e9.")
    ] = None,
    gpu: Annotated[str | None, typer.Option(help="GPU id from `costline gpus`.")] = None,
    gpus: Annotated[int | None, typer.Option(help="GPUs in the cluster (calendar time).")] = None,
    mfu: Annotated[float | None, typer.Option(help="Model FLOPs utilisation, (0, 1].")] = None,
    fp8: Annotated[bool, typer.Option("--fp8", help="Train in FP8 (GPUs with an FP8 peak).")] = (
        False
    ),
    goodput: Annotated[
        float | None, typer.Option(help="Share of paid cluster time that is useful, (0, 1].")
    ] = None,
    price_per_gpu_hour: Annotated[
        float | None, typer.Option(help="USD per GPU-hour; the catalog default when unset.")
    ] = None,
    failure_probability: Annotated[
        float | None, typer.Option(help="Chance the run fails and is partly redone.")
    ] = None,
    failure_lost_share: Annotated[
        float | None, typer.Option(help="Share of compute lost when it fails.")
    ] = None,
    seq_len: Annotated[int | None, typer.Option(help="Sequence length (attention term).")] = None,
    layers: Annotated[int | None, typer.Option(help="Layers (attention term).")] = None,
    d_model: Annotated[int | None, typer.Option(help="Hidden size (attention term).")] = None,
    data_usd: Annotated[float, typer.Option(help="Data and labelling, USD.")] = 0.0,
    eval_usd: Annotated[float, typer.Option(help="Evaluation, USD.")] = 0.0,
    staff_usd: Annotated[float, typer.Option(help="Staff time, USD.")] = 0.0,
    finetune: Annotated[
        bool, typer.Option("--finetune", help="A fine-tuning job, not pre-training.")
    ] = False,
    lora: Annotated[bool, typer.Option("--lora", help="Self-run LoRA fine-tuning.")] = False,
    epochs: Annotated[float, typer.Option(help="Passes over the tokens.")] = 1.0,
    provider: Annotated[
        str | None, typer.Option(help="Fine-tune through this provider (with --model).")
    ] = None,
    model: Annotated[str | None, typer.Option(help="The provider's base model.")] = None,
    price_per_1m_training_tokens: Annotated[
        float | None, typer.Option(help="Provider fine-tuning price; the catalog's when unset.")
    ] = None,
    at: Annotated[
        str | None, typer.Option(help="Price a provider job on this date (YYYY-MM-DD).")
    ] = None,
    api_spend_per_month: Annotated[
        float | None,
        typer.Option(
            min=0, help="What-if: the monthly API bill (USD) the trained model would replace."
        ),
    ] = None,
    format: FormatOption = Format.terminal,
) -> None:
    """Estimate a pre-training or fine-tuning run: FLOPs, GPU-hours, days, cost.

    FLOPs = 6 x active params x tokens; GPU-hours = FLOPs / (peak x MFU x 3600) / goodput;
    cost = GPU-hours x $/GPU-hour, plus failed-run risk. Every default is printed with its
    source.

    Example:

        costline train --params 70e9 --tokens 2e12 --gpu a100-80gb --gpus 2048
        costline train --params 671e9 --active-params 37e9 --tokens 14.8e12 --gpu h800 --gpus 2048
        costline train --finetune --provider openai --model gpt-4o-mini --tokens 5e6 --epochs 3
        costline train --params 7e9 --tokens 2e12 --gpu h100-sxm --api-spend-per-month 40000
    """
    hardware = load_hardware()
    try:
        if provider is not None or model is not None:
            if not finetune:
                raise InputError("--provider/--model price a provider fine-tune: add --finetune")
            self_run = {
                "--params": params,
                "--active-params": active_params,
                "--gpu": gpu,
                "--gpus": gpus,
                "--mfu": mfu,
                "--goodput": goodput,
                "--price-per-gpu-hour": price_per_gpu_hour,
                "--seq-len": seq_len,
                "--layers": layers,
                "--d-model": d_model,
            }
            given = [name for name, value in self_run.items() if value is not None]
            given += [name for name, flag in (("--lora", lora), ("--fp8", fp8)) if flag]
            if given:
                raise InputError(
                    f"{', '.join(given)} describe a run on rented GPUs, not a provider job "
                    "(--provider/--model); drop one or the other"
                )
            when = _parse_date(at, "--at")
            job = _validated(
                ProviderFineTune,
                provider=provider,
                model=model,
                tokens=tokens,
                epochs=epochs,
                usd_per_1m_training_tokens=price_per_1m_training_tokens,
                failure_probability=failure_probability,
                failure_lost_share=failure_lost_share,
            )
            estimate = estimate_provider_finetune(job, hardware, when)
        else:
            spec = _validated(
                TrainingSpec,
                params=params,
                active_params=active_params,
                tokens=tokens,
                epochs=epochs,
                method="lora" if lora else "full",
                gpu=gpu,
                gpus=gpus,
                precision="fp8" if fp8 else "bf16",
                mfu=mfu,
                goodput=goodput,
                usd_per_gpu_hour=price_per_gpu_hour,
                failure_probability=failure_probability,
                failure_lost_share=failure_lost_share,
                seq_len=seq_len,
                layers=layers,
                d_model=d_model,
                data_usd=data_usd,
                eval_usd=eval_usd,
                staff_usd=staff_usd,
            )
            kind = "fine_tune" if finetune or lora else "pretraining"
            estimate = estimate_training(spec, hardware, kind)
    except InputError as err:
        raise _fail(_named(err, _TRAIN_OPTIONS)) from None
    if api_spend_per_month is not None:
        estimate = compare_with_api(estimate, api_spend_per_month)
    if format is Format.json:
        sys.stdout.write(estimate.model_dump_json(indent=2) + "\n")
    elif format is Format.markdown:
        sys.stdout.write(render_training_markdown(estimate) + "\n")
    else:
        render_training_terminal(estimate, _console())


def _named(err: InputError, options: dict[str, str]) -> InputError:
    """`err` prefixed with the option its field comes from, when it names one."""
    if err.field is None:
        return err
    option = options.get(err.field, f"--{err.field.replace('_', '-')}")
    return InputError(f"{option}: {err}")


def _validated(
    model_type: type[BaseModel], options: dict[str, str] | None = None, **values: object
) -> Any:
    given = {k: v for k, v in values.items() if v is not None}
    try:
        return model_type.model_validate(given)
    except ValidationError as err:
        raise _option_errors(err, options or _TRAIN_OPTIONS) from None


_SELFHOST_OPTIONS = {
    "usd_per_gpu_hour": "--price-per-gpu-hour",
    "input_tokens": "--input-tokens",
    "output_tokens": "--output-tokens",
    "kv_dtype": "--kv-dtype",
    "tp_efficiency": "--tp-efficiency",
    "utilisation": "--utilisation",
    "peak_to_average": "--peak-to-average",
    "min_replicas": "--min-replicas",
    "staff_usd_per_month": "--staff-usd-per-month",
}
_BREAKEVEN_OPTIONS = {
    **_SELFHOST_OPTIONS,
    "utilisation": "--utilisation-target",
    "model": "--self-host",
    "gpu": "--self-host",
}

TpOption = Annotated[
    int | None,
    typer.Option(
        help="GPUs per replica (tensor parallel); default: the smallest split whose weights "
        "leave half the memory to the KV cache."
    ),
]
PriceOption = Annotated[
    str,
    typer.Option(
        "--price", help="Catalog price when --price-per-gpu-hour is unset: on-demand or reserved."
    ),
]


@app.command()
def selfhost(
    model: Annotated[str, typer.Option(help="Open model id, e.g. llama-3.1-70b.")],
    gpu: Annotated[str, typer.Option(help="GPU id from `costline gpus`, e.g. h100-sxm.")],
    tp: TpOption = None,
    dtype: Annotated[str, typer.Option(help="Weight precision: bf16, fp8 or int4.")] = "bf16",
    kv_dtype: Annotated[str, typer.Option(help="KV-cache precision: bf16 or fp8.")] = "bf16",
    input_tokens: Annotated[float, typer.Option(help="Prompt tokens per request.")] = 1000,
    output_tokens: Annotated[float, typer.Option(help="Output tokens per request.")] = 250,
    context: Annotated[
        int | None,
        typer.Option(help="KV tokens reserved per sequence, at least input+output (the default)."),
    ] = None,
    batch: Annotated[
        int | None, typer.Option(help="Concurrent sequences (default: the most that fit).")
    ] = None,
    utilisation: Annotated[
        float | None,
        typer.Option(help="Average load over capacity, (0, 1]; default target / peak-to-average."),
    ] = None,
    tp_efficiency: Annotated[
        float | None, typer.Option(help="Speed kept across tensor-parallel GPUs, (0, 1].")
    ] = None,
    price_per_gpu_hour: Annotated[
        float | None, typer.Option(help="USD per GPU-hour; the catalog's price when unset.")
    ] = None,
    price: PriceOption = "on-demand",
    format: FormatOption = Format.terminal,
) -> None:
    """Throughput, latency and USD per 1M tokens of an open model on rented GPUs (roofline).

    Prefill is compute-bound, decode memory-bandwidth-bound until the batch makes it
    compute-bound; the KV cache limits the batch. Every default is printed with its source.

    Example:

        costline selfhost --model llama-3.1-70b --gpu h100-sxm --tp 4 --format json
        costline selfhost --model llama-3.1-8b --gpu l4 --input-tokens 1500 --output-tokens 300
    """
    models = load_open_models()
    hardware = load_hardware()
    try:
        spec = _validated(
            SelfHostSpec,
            options=_SELFHOST_OPTIONS,
            model=model,
            gpu=gpu,
            tp=tp,
            dtype=dtype,
            kv_dtype=kv_dtype,
            input_tokens=input_tokens,
            output_tokens=output_tokens,
            context=context,
            batch=batch,
            utilisation=utilisation,
            tp_efficiency=tp_efficiency,
            usd_per_gpu_hour=price_per_gpu_hour,
            price=price,
        )
        point = serve(spec, models.model(model), hardware.gpu(gpu), models.defaults)
    except InputError as err:
        raise _fail(_named(err, _SELFHOST_OPTIONS)) from None
    if format is Format.json:
        sys.stdout.write(point.model_dump_json(indent=2) + "\n")
    elif format is Format.markdown:
        sys.stdout.write(render_selfhost_markdown(point) + "\n")
    else:
        render_selfhost_terminal(point, _console())


@app.command()
def breakeven(
    scenario: Annotated[Path, typer.Argument(help="Scenario file (.yaml, .toml or .json).")],
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
    min_replicas: Annotated[int, typer.Option(help="Replicas kept running, >= 1.")] = 1,
    staff_usd_per_month: Annotated[
        float, typer.Option(help="ML-ops staff for the fleet, USD per month.")
    ] = 0.0,
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
    try:
        when = _parse_date(as_of, "--as-of")
        loaded = load_scenario(scenario)
        _check_features(loaded, feature)
        result = _runner(PriceCatalog(), when, scenario, seed)(loaded)
        outcome = _breakeven_of(
            result,
            self_host,
            feature,
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
    except ScenarioError as err:
        raise _fail(err) from None
    except InputError as err:
        raise _fail(_named(err, _BREAKEVEN_OPTIONS)) from None
    if format is Format.json:
        sys.stdout.write(outcome.model_dump_json(indent=2) + "\n")
    elif format is Format.markdown:
        sys.stdout.write(render_breakeven_markdown(outcome) + "\n")
    else:
        render_breakeven_terminal(outcome, _console())


def _breakeven_of(
    result: Result, self_host: str, feature: list[str] | None, **fleet_options: Any
) -> Any:
    """The breakeven of `result`'s API features (or `feature`) against self-hosting
    MODEL@GPU with the fleet options of `costline breakeven`."""
    models = load_open_models()
    hardware = load_hardware()
    model_id, sep, gpu_id = self_host.partition("@")
    if not sep or not model_id or not gpu_id:
        raise InputError(f"--self-host: expected MODEL@GPU, got {self_host!r}")
    fleet = _validated(
        SelfHostedDeployment,
        options=_BREAKEVEN_OPTIONS,
        model=model_id,
        gpu=gpu_id,
        **fleet_options,
    )
    moved = api_features(result, feature)
    peak = fleet.peak_to_average or models.defaults.peak_to_average.value
    target = fleet.utilisation or models.defaults.utilisation_target.value
    _, input_tokens, output_tokens = query_tokens(result, moved)
    # the serving point's token prices at the fleet's average load
    spec = fleet.serving_spec(input_tokens, output_tokens, utilisation=target / peak)
    serving = serve(spec, models.model(model_id), hardware.gpu(gpu_id), models.defaults)
    return compute_breakeven(
        result,
        serving,
        moved,
        peak_to_average=peak,
        utilisation_target=target,
        min_replicas=fleet.min_replicas,
        staff_usd_per_month=fleet.staff_usd_per_month,
    )


_LEVER_OPTIONS = {
    "response_cache": {"hit_rate": "--cache-hit-rate"},
    "prompt_cache": {"prefix_share": "--prompt-cache-prefix-share"},
    "routing": {
        "model": "--route-to",
        "share": "--route-share",
        "router_usd_per_query": "--router-usd-per-query",
        "fallback_share": "--fallback-share",
        "tokenizer_ratio": "--tokenizer-ratio",
    },
    "compression": {"input_reduction": "--compress", "usd_per_query": "--compressor-usd-per-query"},
    "batch": {"share": "--batch-share", "discount": "--batch-discount"},
    "caps": {
        "max_output_tokens": "--max-output-tokens",
        "queries_per_user_per_month": "--quota",
    },
}
_LEVER_TYPES = {
    "response_cache": ResponseCache,
    "prompt_cache": PromptCache,
    "routing": RouteToCheaper,
    "compression": Compression,
    "batch": BatchProcessing,
    "caps": Caps,
}


def _check_features(scenario: Scenario, names: list[str] | None) -> None:
    """Refuse a --feature the scenario does not have."""
    known = [f.name for f in scenario.features]
    for name in names or []:
        if name not in known:
            raise InputError(
                f"--feature: unknown feature {name!r}; features are " + ", ".join(known)
            )


def _what_if_levers(given: dict[str, dict[str, object]]) -> dict[str, BaseModel]:
    """Lever models from the CLI's what-if options, validated with the options' names."""
    out = {}
    for kind, values in given.items():
        if all(v is None for v in values.values()):
            continue
        out[kind] = _validated(_LEVER_TYPES[kind], options=_LEVER_OPTIONS[kind], **values)
    return out


def _with_what_ifs(
    scenario: Scenario, levers: dict[str, BaseModel], names: list[str] | None
) -> Scenario:
    """`scenario` with the what-if levers set on `names` (every API feature when None)."""
    if not levers:
        if names:
            raise InputError("--feature: give a lever option to apply to it (see --help)")
        return scenario
    _check_features(scenario, names)
    features = []
    for feature in scenario.features:
        chosen = feature.name in names if names else feature.deployment is None
        if not chosen:
            features.append(feature)
            continue
        refused = [k for k in levers if k not in SELF_HOSTED_LEVERS]
        if feature.deployment is not None and refused:
            raise InputError(
                f"--feature: {feature.name!r} is self-hosted; it takes the cache, compression "
                f"and cap what-ifs, not {', '.join(refused)}"
            )
        if "batch" in levers and feature.service_tier == "batch":
            raise InputError(
                f"--batch-share: {feature.name!r} is on the batch service tier already"
            )
        current = feature.levers.model_dump(exclude_none=True) if feature.levers else {}
        merged = Levers.model_validate({**current, **levers})
        features.append(feature.model_copy(update={"levers": merged}))
    return scenario.model_copy(update={"features": features})


@app.command()
def levers(
    scenario: Annotated[Path, typer.Argument(help="Scenario file (.yaml, .toml or .json).")],
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

        costline levers examples/support-copilot.yaml
        costline levers examples/consumer-chat.yaml --route-to openai:gpt-4.1-nano \\
            --route-share 0.5 --cache-hit-rate 0.1 --format json
    """
    try:
        what_ifs = _what_if_levers(
            {
                "response_cache": {"hit_rate": cache_hit_rate},
                "prompt_cache": {"prefix_share": prompt_cache_prefix_share},
                "routing": {
                    "model": route_to,
                    "share": route_share,
                    "router_usd_per_query": router_usd_per_query,
                    "fallback_share": fallback_share,
                    "tokenizer_ratio": tokenizer_ratio,
                },
                "compression": {
                    "input_reduction": compress,
                    "usd_per_query": compressor_usd_per_query,
                },
                "batch": {"share": batch_share, "discount": batch_discount},
                "caps": {
                    "max_output_tokens": max_output_tokens,
                    "queries_per_user_per_month": quota,
                },
            }
        )
        when = _parse_date(as_of, "--as-of")
        loaded = _with_what_ifs(load_scenario(scenario), what_ifs, feature)
        if what_ifs and not feature and all(f.deployment for f in loaded.features):
            raise InputError(
                "every feature is self-hosted and what-ifs apply to API features unless named: "
                "add --feature NAME (a self-hosted feature takes --cache-hit-rate, --compress and "
                "--max-output-tokens / --quota)"
            )
        if not any(f.levers for f in loaded.features):
            raise InputError(
                f"{scenario}: no feature has levers; add a `levers:` block to a feature or give "
                "a what-if such as --cache-hit-rate 0.2 (costline levers --help)"
            )
        catalog = PriceCatalog()
        book = price_book(loaded, catalog, str(scenario))
        run_one = _runner(catalog, when, scenario, seed)
        # every step prices with the full book: a step only turns levers off
        outcome = lever_waterfall(loaded, lambda variant: run_one(variant, book))
        if loaded.cases:
            cases = [outcome.as_case(BASE_CASE)]
            for name, variant in list(case_scenarios(loaded, str(scenario)).items())[1:]:
                prices = price_book(variant, catalog, str(scenario))
                fall = lever_waterfall(variant, lambda v, prices=prices: run_one(v, prices))
                cases.append(fall.as_case(name))
            outcome = outcome.model_copy(update={"cases": cases})
    except ScenarioError as err:
        raise _fail(err) from None
    except InputError as err:
        raise _fail(err) from None
    if format is Format.json:
        sys.stdout.write(outcome.model_dump_json(indent=2, exclude={"result"}) + "\n")
    elif format is Format.markdown:
        sys.stdout.write(render_levers_markdown(outcome) + "\n")
    else:
        render_levers_terminal(outcome, _console())


def _parse_target(text: str) -> tuple[str, float]:
    name, sep, value = text.partition("=")
    name = name.strip().lower()
    if not sep or name not in TARGETS:
        raise InputError(f"--target: expected cogs-share=SHARE or gross-margin=SHARE, got {text!r}")
    try:
        goal = float(value)
    except ValueError:
        raise InputError(f"--target: {value!r} is not a number (e.g. 0.30)") from None
    if not 0 < goal < 1:
        raise InputError(f"--target: {goal:g} is not a share between 0 and 1 (e.g. 0.30)")
    return name, goal


@app.command()
def solve(
    scenario: Annotated[Path, typer.Argument(help="Scenario file (.yaml, .toml or .json).")],
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
    try:
        name, goal = _parse_target(target)
        when = _parse_date(as_of, "--as-of")
        loaded = load_scenario(scenario)
        catalog = PriceCatalog()
        book = price_book(loaded, catalog, str(scenario))
        run_one = _runner(catalog, when, scenario, seed, samples, SOLVE_USERS_SIMULATED)
        with _progress("solving") as tick:

            def counted(variant: Scenario, prices: dict[str, ModelPricing]) -> Result:
                tick()
                return run_one(variant, prices)

            outcome = solve_target(loaded, book, counted, name, goal)
    except ScenarioError as err:
        raise _fail(err) from None
    except InputError as err:
        raise _fail(err) from None
    if format is Format.json:
        sys.stdout.write(outcome.model_dump_json(indent=2) + "\n")
    elif format is Format.markdown:
        sys.stdout.write(render_solve_markdown(outcome) + "\n")
    else:
        render_solve_terminal(outcome, _console())


class BriefFormat(StrEnum):
    markdown = "markdown"
    json = "json"


def _case_summaries(
    loaded: Scenario, file: Path, result: Result, run_one: Callable[..., Result]
) -> list:
    """The headline of each case beside the scenario as written (`base`); none without cases."""
    if not loaded.cases:
        return []
    summaries = [case_summary(BASE_CASE, result)]
    for name, variant in list(case_scenarios(loaded, str(file)).items())[1:]:
        summaries.append(case_summary(name, run_one(variant)))
    return summaries


@app.command()
def brief(
    scenario: Annotated[Path, typer.Argument(help="Scenario file (.yaml, .toml or .json).")],
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
        costline brief scenario.yaml --usage usage.parquet
    """
    try:
        observed = observed_usage(usage_file, usage_month) if usage_file is not None else None
        when = _parse_date(as_of, "--as-of")
        loaded = load_scenario(scenario)
        catalog = PriceCatalog()
        run_one = _runner(catalog, when, scenario, seed, samples)
        solve_run = _runner(
            catalog, when, scenario, seed, SOLVE_QUERY_SAMPLES, SOLVE_USERS_SIMULATED
        )
        with _progress("writing the brief") as tick:

            def counted(variant: Scenario, book: dict[str, ModelPricing]) -> Result:
                tick()
                return run_one(variant, book)

            def solve_counted(variant: Scenario, book: dict[str, ModelPricing]) -> Result:
                tick()
                return solve_run(variant, book)

            def price(variant: Scenario) -> dict[str, ModelPricing]:
                return price_book(variant, catalog, str(scenario))

            def solver(target: str, goal: float) -> Solved:
                return solve_target(loaded, price(loaded), solve_counted, target, goal)

            outcome = cto_brief(
                loaded,
                price,
                counted,
                solver if solve else None,
                load_model_tiers(),
                seed=seed,
                observed=observed,
            )
            cases = _case_summaries(loaded, scenario, outcome.result, run_one)
            outcome = outcome.model_copy(update={"cases": cases})
    except ScenarioError as err:
        raise _fail(err) from None
    except InputError as err:
        raise _fail(ScenarioError(str(scenario), None, str(err))) from None
    if format is BriefFormat.json:
        exclude = {"result": True, "verdict": {"waterfall": {"result"}}}
        sys.stdout.write(outcome.model_dump_json(indent=2, exclude=exclude) + "\n")
    else:
        sys.stdout.write(render_brief_markdown(outcome))


@contextlib.contextmanager
def _bar(what: str) -> Iterator[Callable[[float], None] | None]:
    """A progress bar on a terminal's stderr, fed a share done; None when piped."""
    console = Console(stderr=True)
    if not console.is_terminal:
        yield None
        return
    with Progress(
        TextColumn(what), BarColumn(), TaskProgressColumn(), console=console, transient=True
    ) as bar:
        task = bar.add_task(what, total=1.0)
        yield lambda share: bar.update(task, completed=share)


_LOG_OPTIONS_HELP = {
    "map": "Where a field is: FIELD=COLUMN for CSV/Parquet, FIELD=$.json.path for JSON lines "
    "(fields: timestamp, user, feature, provider, model, input_tokens, output_tokens, "
    "cache_read_tokens, cache_write_tokens, service_tier, logged_cost_usd). Repeat.",
    "mapping": "A YAML mapping file: fields: {FIELD: COLUMN, ...}, input_includes_cache: true.",
    "prices": "A YAML file pricing models the catalog does not know: models: {NAME: "
    "{input_usd_per_mtok: ..., output_usd_per_mtok: ..., cached_input_usd_per_mtok: ...}}.",
}


@app.command()
def ingest(
    files: Annotated[
        list[str], typer.Argument(help="Log files or globs (JSONL, CSV, Parquet; .gz).")
    ],
    out: Annotated[Path, typer.Option("--out", "-o", help="The priced usage file (.parquet).")],
    log_format: Annotated[
        str | None,
        typer.Option(
            "--format",
            help="openai-chat, openai-responses, anthropic, otel, otlp, litellm, litellm-csv; "
            "detected from the first record when unset.",
        ),
    ] = None,
    map_: Annotated[list[str] | None, typer.Option("--map", help=_LOG_OPTIONS_HELP["map"])] = None,
    mapping: Annotated[Path | None, typer.Option(help=_LOG_OPTIONS_HELP["mapping"])] = None,
    prices: Annotated[Path | None, typer.Option(help=_LOG_OPTIONS_HELP["prices"])] = None,
    json_out: Annotated[bool, typer.Option("--json", help="Print the summary as JSON.")] = False,
    force: Annotated[bool, typer.Option(help="Replace OUT if it exists.")] = False,
) -> None:
    """Normalise and price request logs: every row at the price in force on its date (and
    hour, and service tier), written to a Parquet file with the catalog it was priced with;
    rows that cannot be priced go to OUT.rejects.csv with their file, line and reason.

    Example:

        costline ingest logs/*.jsonl --out usage.parquet
        costline ingest export.parquet -o usage.parquet --map timestamp=ts --map model=model \\
            --map input_tokens=prompt --map output_tokens=completion
    """
    try:
        fields, includes = mapping_from(map_, mapping)
        overrides = prices_from(prices)
        paths = expand(files)
        _check_out(out, (".parquet",), force)
        with _bar("pricing") as tick:
            summary = run_ingest(
                paths, out, log_format, fields, overrides, includes, tick, force=force
            )
    except InputError as err:
        raise _fail(err) from None
    if json_out:
        sys.stdout.write(json.dumps(summary, indent=2) + "\n")
    else:
        render_ingest_terminal(summary, _console())
    if summary["rows_priced"] == 0:
        raise _fail(
            InputError(
                f"no row of the logs could be priced ({summary['rows_rejected']} rejected, "
                f"reasons above; each with its line in {summary['rejects']}); check --format "
                "or the --map mapping"
            )
        )


@app.command()
def usage(
    files: Annotated[
        list[str],
        typer.Argument(help="A usage file from costline ingest, or log files priced on the fly."),
    ],
    by: Annotated[str, typer.Option(help="feature, model, user, day or month.")] = "feature",
    format: FormatOption = Format.terminal,
    log_format: Annotated[
        str | None, typer.Option("--log-format", help="Format of raw logs (as ingest --format).")
    ] = None,
    map_: Annotated[list[str] | None, typer.Option("--map", help=_LOG_OPTIONS_HELP["map"])] = None,
    mapping: Annotated[Path | None, typer.Option(help=_LOG_OPTIONS_HELP["mapping"])] = None,
    prices: Annotated[Path | None, typer.Option(help=_LOG_OPTIONS_HELP["prices"])] = None,
) -> None:
    """Real cost per query (median, p95) and per user, by feature, model, user or day.

    Example:

        costline usage usage.parquet
        costline usage usage.parquet --by model --format json
    """
    try:
        fields, includes = mapping_from(map_, mapping)
        overrides = prices_from(prices)
        paths = expand(files)
        with _bar("pricing") as tick:
            summary = usage_report(paths, by, log_format, fields, overrides, includes, tick)
    except InputError as err:
        raise _fail(err) from None
    if format is Format.json:
        sys.stdout.write(json.dumps(summary, indent=2, default=str) + "\n")
    elif format is Format.markdown:
        sys.stdout.write(render_usage_markdown(summary))
    else:
        render_usage_terminal(summary, _console())


@app.command()
def fit(
    usage_file: Annotated[Path, typer.Argument(help="A usage file from costline ingest.")],
    out: Annotated[Path, typer.Option("--out", "-o", help="The scenario file to write (.yaml).")],
    plans: Annotated[
        Path | None,
        typer.Option(
            help="YAML with the scenario parts logs cannot tell: plans (and optionally "
            "users.monthly_growth, horizon_months, monthly, one_time)."
        ),
    ] = None,
    month: Annotated[
        str | None, typer.Option(help="Month to fit (YYYY-MM); the latest in the file if unset.")
    ] = None,
    force: Annotated[bool, typer.Option(help="Replace OUT if it exists.")] = False,
    as_of: AsOfOption = None,
) -> None:
    """A scenario fitted to real usage: users, each feature's share of users, calls per user
    a month, tokens per call (empirical quantiles) and model mix, for one month; then the
    fitted scenario is run to check it reproduces the observed cost.

    Example:

        costline fit usage.parquet --plans plans.yaml -o scenario.yaml
        costline run scenario.yaml
    """
    try:
        _check_out(out, (".yaml", ".yml"), force)
        if not usage_file.is_file():
            raise InputError(f"{usage_file}: no such file")
        if ingested_summary(usage_file) is None:
            raise InputError(
                f"{usage_file}: not a usage file from costline ingest (costline ingest LOGS "
                "--out usage.parquet first)"
            )
        catalog = PriceCatalog()
        fitted = fit_usage(str(usage_file), month)
        data = fitted["scenario"]
        extra = _plans_file(plans) if plans is not None else None
        if extra is None:
            data["plans"] = [{"name": "all users", "price_usd_per_month": 0, "share": 1}]
        else:
            users = {**extra.pop("users", {}), "start": data["users"]["start"]}
            data = {**data, **extra, "users": users}
        text = yaml.safe_dump(data, sort_keys=False, default_flow_style=None, width=100)
        # an error in the merged scenario comes from the plans file: the rest is fitted
        scenario = parse_scenario(text, "yaml", str(plans) if plans is not None else str(out))
        observed = fitted["observed"]
        header = (
            f"# Fitted by costline fit from {usage_file} on {observed['fitted_on']}: "
            f"{observed['month']}, {observed['users']:,} users, {observed['calls']:,} calls, "
            f"${observed['cost_usd']:,.2f} observed.\n"
            "# Token and call distributions are empirical quantiles; edit plans and growth"
            + (" (the plans are a placeholder: give --plans)" if extra is None else "")
            + ".\n"
        )
        run_one = _runner(catalog, _parse_date(as_of, "--as-of"), out, 0)
        modelled = run_one(scenario).timeline[0].inference_cost_usd
        _write_atomic(out, header + text)
    except ScenarioError as err:
        raise _fail(err) from None
    except InputError as err:
        raise _fail(err) from None
    console = _console()
    gap = modelled / observed["cost_usd"] - 1 if observed["cost_usd"] else 0.0
    console.print(f"Wrote {out}: {len(scenario.features)} feature(s) from {observed['month']}.")
    console.print(
        f"Check: the fitted scenario's inference cost at 1x is {usd(modelled)} against "
        f"{usd(observed['cost_usd'])} observed ({gap:+.1%})."
    )
    console.print(Text(f"Next: costline run {out}", style="dim"))


def _plans_file(path: Path) -> dict[str, Any]:
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise InputError(f"{path}: no such file") from None
    except yaml.YAMLError as err:
        raise InputError(f"{path}: not valid YAML: {str(err).splitlines()[0]}") from None
    if not isinstance(data, dict) or "plans" not in data:
        raise InputError(f"{path}: expected a mapping with `plans:` (a list of plans)")
    allowed = {
        "plans",
        "users",
        "horizon_months",
        "monthly",
        "one_time",
        "name",
        "thresholds",
        "price_trajectory",
        "scale_multiples",
        "cases",
        "description",
    }
    unknown = sorted(set(data) - allowed)
    if unknown:
        raise InputError(
            f"{path}: {unknown[0]}: not something a plans file sets; it may set "
            + ", ".join(sorted(allowed))
        )
    users = data.get("users", {})
    if not isinstance(users, dict) or "start" in users:
        raise InputError(f"{path}: users: only growth belongs here (start comes from the logs)")
    return data


@app.command()
def export(
    scenario: Annotated[Path, typer.Argument(help="Scenario file (.yaml, .toml or .json).")],
    out: Annotated[Path, typer.Option("--out", "-o", help="The workbook to write (.xlsx).")],
    force: Annotated[bool, typer.Option(help="Replace OUT if it exists.")] = False,
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
    try:
        _check_out(out, (".xlsx",), force)
    except InputError as err:
        raise _fail(err) from None
    try:
        when = _parse_date(as_of, "--as-of")
        loaded = load_scenario(scenario)
        result = _runner(PriceCatalog(), when, scenario, seed, samples, users)(loaded)
        # written beside the target and renamed: an interrupted export leaves no half file
        tmp = out.with_name(f".{out.name}.tmp.xlsx")
        try:
            write_workbook(str(tmp), loaded, result)
            os.replace(tmp, out)
        except (OSError, xlsxwriter.exceptions.XlsxWriterException) as exc:
            raise InputError(f"--out: {out} cannot be written ({exc})") from None
        finally:
            tmp.unlink(missing_ok=True)
    except ScenarioError as err:
        raise _fail(err) from None
    except InputError as err:
        raise _fail(ScenarioError(str(scenario), None, str(err))) from None
    console = _console()
    console.print(f"Wrote {out}: {len(result.features)} feature(s), {len(result.timeline)} months.")
    console.print(
        Text(
            "Blue cells in Assumptions are inputs; Monte Carlo figures are values, marked.",
            style="dim",
        )
    )


@app.command()
def report(
    scenario: Annotated[Path, typer.Argument(help="Scenario file (.yaml, .toml or .json).")],
    out: Annotated[
        Path, typer.Option("--out", "-o", help="report.html (one page) or report.md (+ PNGs).")
    ],
    force: Annotated[bool, typer.Option(help="Replace OUT if it exists.")] = False,
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
    kind = out.suffix.lower()
    try:
        _check_out(out, (".html", ".md"), force)
    except InputError as err:
        raise _fail(err) from None
    try:
        when = _parse_date(as_of, "--as-of")
        loaded = load_scenario(scenario)
        catalog = PriceCatalog()
        run_one = _runner(catalog, when, scenario, seed, samples, users)
        result = run_one(loaded)
        waterfall = None
        if any(f.levers for f in loaded.features):
            book = price_book(loaded, catalog, str(scenario))
            waterfall = lever_waterfall(loaded, lambda v: run_one(v, book))
        crossing = None if self_host is None else _breakeven_of(result, self_host, None)
        specs = chart_specs(result, waterfall, crossing)
        if kind == ".html":
            _write_atomic(out, render_html(result, specs, vega_bundle()))
        else:
            folder = out.with_name(f"{out.stem}.charts")
            if folder.exists() and not folder.is_dir():
                raise InputError(f"{folder}: is a file; the charts go in a folder of that name")
            if folder.exists() and not force:
                raise InputError(f"{folder}: exists; add --force to replace it")
            try:
                folder.mkdir(exist_ok=True)
                for stale in CHART_FILES:  # charts of an earlier report that this one lacks
                    (folder / f"{stale}.png").unlink(missing_ok=True)
                links = []
                for key, spec in specs.items():
                    (folder / f"{key}.png").write_bytes(chart_png(spec))
                    links.append(f"![{title_text(spec)}]({folder.name}/{key}.png)")
            except OSError as exc:
                raise InputError(f"--out: {folder} cannot be written ({exc.strerror})") from None
            _write_atomic(
                out, render_markdown(result) + "\n\n## Charts\n\n" + "\n\n".join(links) + "\n"
            )
    except ScenarioError as err:
        raise _fail(err) from None
    except InputError as err:
        raise _fail(_named(err, _BREAKEVEN_OPTIONS)) from None
    _console().print(f"Wrote {out} with {len(specs)} charts.")


CHART_FILES = ("revenue-vs-cogs", "gross-margin", "cost-per-user", "scale", "levers", "breakeven")


def _check_out(out: Path, suffixes: tuple[str, ...], force: bool) -> None:
    """Refuse an output path costline cannot or should not write."""
    if out.suffix.lower() not in suffixes:
        raise InputError(f"--out: {out} should be a {' or '.join(suffixes)} file")
    if out.is_dir():
        raise InputError(f"--out: {out} is a folder; name a file")
    if not out.parent.is_dir():
        raise InputError(f"--out: folder {out.parent} does not exist")
    if not os.access(out.parent, os.W_OK):
        raise InputError(f"--out: folder {out.parent} is not writable")
    if out.exists() and not force:
        raise InputError(f"{out}: exists; choose another --out or add --force to replace it")


def _write_atomic(path: Path, text: str) -> None:
    """`text` to `path` through a temporary file beside it, so no half-written file stays."""
    tmp = path.with_name(f".{path.name}.tmp")
    try:
        tmp.write_text(text, encoding="utf-8")
        os.replace(tmp, path)
    except OSError as exc:
        raise InputError(f"--out: {path} cannot be written ({exc.strerror})") from None
    finally:
        tmp.unlink(missing_ok=True)


@app.command()
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

        costline diff old.yaml new.yaml
        costline diff examples/support-copilot.yaml --prices-at 2025-06-01
    """
    try:
        if (after is None) == (prices_at is None):
            raise InputError("give a second scenario or --prices-at DATE, not both or neither")
        notes: list[str] = []
        when = _parse_date(as_of, "--as-of")
        catalog = PriceCatalog()
        old = load_scenario(before)
        old_run = _runner(catalog, when, before, seed, samples, SOLVE_USERS_SIMULATED)
        if after is not None:
            new = load_scenario(after)
            new_run = _runner(catalog, when, after, seed, samples, SOLVE_USERS_SIMULATED)
            old_result, new_result = old_run(old), new_run(new)
            labels = (str(before), str(after))
            notes += lever_changes(old, new)
        else:
            assert prices_at is not None
            day = _parse_date(prices_at, "--prices-at")
            if day > when:
                raise InputError(f"--prices-at: {day} is after today ({when})")
            book = price_book(old, catalog, str(before))
            then, notes = {}, []
            for key, pricing in book.items():
                if pricing.tier_since is not None and day < pricing.tier_since:
                    # no record of that tier's price then: today's stands in, no invented move
                    then[key] = pricing
                    notes.append(
                        f"the catalog prices {pricing.ref} ({pricing.service_tier}) only from "
                        f"{pricing.tier_since}: shown at today's price on both sides"
                    )
                else:
                    then[key] = prices_as_of(pricing, day)
            dated = [d for p in book.values() if not p.is_override for d in p.price_changes]
            if dated and day < min(dated):
                notes.append(
                    f"the catalog's price history for these models starts {min(dated)}: before "
                    "it, each model's earliest recorded price stands in (vendors' older prices "
                    "and cuts are not in it)"
                )
            old_result, new_result = old_run(old, then), old_run(old, book)
            labels = (f"{before} at {day} prices", f"{before} at {when} prices")
        outcome = compute_diff(old_result, new_result, *labels, notes=notes)
    except ScenarioError as err:
        raise _fail(err) from None
    except InputError as err:
        raise _fail(err) from None
    if format is Format.json:
        sys.stdout.write(outcome.model_dump_json(indent=2) + "\n")
    else:
        text = render_diff_markdown(outcome)
        if format is Format.markdown:
            sys.stdout.write(text)
        else:
            from rich.markdown import Markdown

            _console().print(Markdown(text))


@app.command()
def classify(
    file: Annotated[
        str, typer.Argument(help="A CSV of cost lines, or - for one line a row on stdin.")
    ],
    column: Annotated[
        list[str] | None,
        typer.Option(help="The column(s) with the line's text; repeat to join several."),
    ] = None,
    amount_column: Annotated[
        str | None,
        typer.Option(
            help="The column with the amount (USD); found by name (amount, cost...) if unset."
        ),
    ] = None,
    labels: Annotated[
        str | None,
        typer.Option(
            help="A column with the bucket you expect (training, inference or other): "
            "scores costline against it and lists the lines that differ."
        ),
    ] = None,
    format: FormatOption = Format.terminal,
) -> None:
    """Sort cost lines into training (one-time, CapEx-like), inference (recurring COGS) or
    other, each with its reason and a confidence; totals by bucket and the inference lines
    that move gross margin most.

    Example:

        costline classify items.csv
        costline classify aws-cur.csv --column line_item_description --amount-column unblended_cost
        costline classify ledger.csv --labels bucket      # how often costline agrees with you
        echo "vLLM serving instances on L4 GPUs" | costline classify -
    """
    try:
        rows, problems = read_lines(file, column or ["description"], amount_column, labels)
    except InputError as err:
        raise _fail(err) from None
    rules, model = load_rules(), shipped_text_model()
    # a cloud bill repeats its SKUs: each distinct line is classified once
    distinct = list(dict.fromkeys(r.text for r in rows))
    seen = {}
    with _bar(f"Classifying {len(distinct):,} distinct lines") as progress:
        for n, text in enumerate(distinct, 1):
            seen[text] = classify_line(text, rules, None, model)
            if progress is not None and n % 200 == 0:
                progress(n / len(distinct))
    items = [seen[r.text].model_copy(update={"amount": r.amount}) for r in rows]
    summary = summarise_bill(items)
    scored = None
    if labels is not None:
        scored = agreement(
            [(r.line, i, r.label) for r, i in zip(rows, items, strict=True) if r.label],
            unscored=sum(1 for r in rows if not r.label),
        )
    err = Console(stderr=True, highlight=False, markup=False, soft_wrap=True)
    for line, problem in problems:
        err.print(f"{file}: line {line}: {problem}")
    if format is Format.json:
        payload = [
            {"line": r.line, **i.model_dump(exclude={"rules"})}
            for r, i in zip(rows, items, strict=True)
        ]
        out: object = payload
        if scored is not None:
            out = {"lines": payload, "agreement": scored.model_dump()}
        sys.stdout.write(json.dumps(out, indent=2) + "\n")
    elif format is Format.markdown:
        sys.stdout.write(render_classify_markdown(items, summary, scored, labels))
    else:
        render_classify_terminal(items, summary, _console(), scored, labels)


@app.command()
def gpus(
    format: FormatOption = Format.terminal,
) -> None:
    """The GPU catalog: peak dense FLOP/s, memory, bandwidth, rental prices, sources.

    Example:

        costline gpus
        costline gpus --format json
    """
    hardware = load_hardware()
    if format is Format.json:
        rows = [dataclasses.asdict(gpu) for gpu in hardware.gpus.values()]
        sys.stdout.write(json.dumps(rows, indent=2, default=str) + "\n")
        return
    if format is Format.markdown:
        sys.stdout.write(render_gpus_markdown(hardware) + "\n")
        return
    render_gpus_terminal(hardware, _console())


@app.command()
def schema() -> None:
    """Print the JSON Schema of scenario files, for editors and validators.

    Example:

        costline schema > scenario.schema.json
    """
    sys.stdout.write(json.dumps(Scenario.model_json_schema(), indent=2) + "\n")


@models_app.command("search")
def models_search(
    words: Annotated[list[str], typer.Argument(help="Words to find in a model reference or name.")],
    limit: Annotated[int, typer.Option(min=1, help="Most models to list.")] = 20,
    at: Annotated[
        str | None, typer.Option(help="Show prices in force on this date (YYYY-MM-DD).")
    ] = None,
    format: FormatOption = Format.terminal,
) -> None:
    """Find models in the price catalog and show their prices per 1M tokens.

    Example:

        costline models search "gpt-4o"
        costline models search claude sonnet --at 2025-06-01
    """
    try:
        when = _parse_date(at, "--at")
    except InputError as err:
        raise _fail(err) from None
    query = " ".join(words)
    catalog = PriceCatalog()
    found = catalog.search(query, when, limit)
    if format is Format.json:
        rows = [
            {
                "ref": m.ref,
                "name": m.name,
                "input_usd_per_mtok": m.rates.input.base if m.rates.input else None,
                "output_usd_per_mtok": m.rates.output.base if m.rates.output else None,
                "cached_input_usd_per_mtok": (
                    m.rates.cache_read.base if m.rates.cache_read else None
                ),
                "context_window": m.context_window,
                "deprecated": m.deprecated,
                "service_tiers": list(m.tiers),
            }
            for m in found
        ]
        sys.stdout.write(json.dumps(rows, indent=2) + "\n")
        return
    console = _console()
    if not found:
        suggestions = catalog.suggest(query)
        hint = f" Closest: {', '.join(suggestions)}" if suggestions else ""
        console.print(f"No model matches {query!r}.{hint}")
        return
    table = Table(
        title=f"Models matching {query!r}, prices on {when} (USD per 1M tokens)",
        title_justify="left",
    )
    for column in ("reference", "name", "input", "cached input", "output", "context", "tiers"):
        is_text = column in {"reference", "name"}
        # a reference must stay whole: users copy it into their scenario
        table.add_column(
            column,
            justify="left" if is_text else "right",
            no_wrap=column == "reference",
            overflow="fold" if column == "name" else "ellipsis",
        )
    for m in found:
        rates = m.rates
        table.add_row(
            m.ref + (" (deprecated)" if m.deprecated else ""),
            m.name,
            usd(rates.input.base) if rates.input else "-",
            usd(rates.cache_read.base) if rates.cache_read else "-",
            usd(rates.output.base) if rates.output else "-",
            f"{m.context_window:,}" if m.context_window else "-",
            ", ".join(m.tiers),
        )
    console.print(table)
    console.print(
        Text(f"{catalog.info(when).source}; tiered prices show the base tier.", style="dim")
    )


if __name__ == "__main__":
    app()
