"""Views of a training estimate and of the GPU catalog."""

from __future__ import annotations

from rich import box
from rich.console import Console
from rich.table import Table
from rich.text import Text

from costline.catalog.gpus import HardwareCatalog
from costline.engine.training import TrainingEstimate
from costline.report.figures import estimate_markdown, print_estimate
from costline.report.format import cell, count, usd

_KIND = {
    "pretraining": "Pre-training run",
    "fine_tune": "Fine-tuning run on rented GPUs",
    "provider_fine_tune": "Provider fine-tuning job",
}


def _figures(estimate: TrainingEstimate) -> list[tuple[str, str]]:
    rows = []
    if estimate.flops is not None:
        rows.append(("training FLOPs", f"{estimate.flops:.3e}"))
    if estimate.compute_gpu_hours is not None:
        rows.append(("GPU-hours of useful compute", count(estimate.compute_gpu_hours)))
    if estimate.gpu_hours is not None:
        rows.append(("GPU-hours paid (÷ goodput)", count(estimate.gpu_hours)))
    if estimate.calendar_days is not None:
        days = estimate.calendar_days
        span = f"{days:,.1f} days" if days >= 1 else f"{days * 24:,.1f} hours"
        rows.append((f"calendar time on {estimate.gpus:,} GPUs", span))
    rows += [(line.name, usd(line.usd)) for line in estimate.lines]
    rows += [
        ("cost if it succeeds first time", usd(estimate.cost_usd)),
        ("expected cost (failed-run risk)", usd(estimate.expected_cost_usd)),
        ("pessimistic cost (fails once)", usd(estimate.pessimistic_cost_usd)),
    ]
    if estimate.api_usd_per_month is not None and estimate.months_of_api_spend is not None:
        rows.append(
            (
                f"months of a {usd(estimate.api_usd_per_month)}/month API bill",
                f"{estimate.months_of_api_spend:,.1f}",
            )
        )
    return rows


def render_training_terminal(estimate: TrainingEstimate, console: Console) -> None:
    """Print `estimate` with every assumption and its source."""
    title = _KIND.get(estimate.kind, estimate.kind)
    print_estimate(title, _figures(estimate), estimate.assumptions, console)


def render_training_markdown(estimate: TrainingEstimate) -> str:
    """`estimate` as Markdown."""
    title = _KIND.get(estimate.kind, estimate.kind)
    return estimate_markdown(title, _figures(estimate), estimate.assumptions)


def render_gpus_markdown(hardware: HardwareCatalog) -> str:
    """The GPU catalog as Markdown, each row with its source and date."""
    out = [
        "| id | name | BF16 TFLOPS | FP8 TFLOPS | GB | TB/s | default $/GPU-h | source | checked |",
        "| --- | --- | --- | --- | --- | --- | --- | --- | --- |",
    ]
    for gpu in hardware.gpus.values():
        values = [
            gpu.bf16_dense_tflops or gpu.fp16_dense_tflops,
            gpu.fp8_dense_tflops,
            gpu.memory_gb,
            gpu.memory_bandwidth_tb_s,
            gpu.default_price_usd_per_gpu_hour,
        ]
        shown = ["-" if v is None else f"{v:g}" for v in values]
        out.append(
            f"| {gpu.id} | {cell(gpu.name)} | "
            + " | ".join(shown)
            + f" | {cell(gpu.source)} | {gpu.checked} |"
        )
    return "\n".join(out)


def render_gpus_terminal(hardware: HardwareCatalog, console: Console) -> None:
    """Print the GPU catalog."""
    table = Table(
        title="GPU catalog (peak dense TFLOPS, memory, default rental price)",
        title_justify="left",
        title_style="bold",
        box=box.SIMPLE_HEAD,
    )
    for column in ("id", "name", "BF16", "FP8", "GB", "TB/s", "$/GPU-h", "prices"):
        table.add_column(
            column,
            justify="left" if column in {"id", "name"} else "right",
            no_wrap=column != "name",
            overflow="fold",
        )
    for gpu in hardware.gpus.values():
        bf16 = gpu.bf16_dense_tflops or gpu.fp16_dense_tflops

        def show(value: float | None) -> str:
            return "-" if value is None else f"{value:g}"

        table.add_row(
            gpu.id,
            gpu.name,
            show(bf16) + ("*" if gpu.bf16_dense_tflops is None and bf16 else ""),
            show(gpu.fp8_dense_tflops),
            show(gpu.memory_gb),
            show(gpu.memory_bandwidth_tb_s),
            "-"
            if gpu.default_price_usd_per_gpu_hour is None
            else f"{gpu.default_price_usd_per_gpu_hour:.2f}",
            str(len(gpu.prices)),
        )
    console.print(table)
    console.print(
        Text(
            "* FP16 (no BF16 on this GPU). Every figure's source and date: costline gpus --format "
            "json, or costline/catalog/data/gpus.yml. '-' = no sourced figure.",
            style="dim",
        )
    )
