"""Views of a self-hosted serving point."""

from __future__ import annotations

from rich import box
from rich.console import Console
from rich.table import Table

from costline.engine.selfhost import ServingPoint
from costline.report.format import cell, count, pct, usd


def _figures(point: ServingPoint) -> list[tuple[str, str]]:
    return [
        ("replica", f"{point.tp} x {point.gpu}, {point.dtype} weights"),
        ("weights", f"{point.weights_gb:,.1f} GB"),
        ("usable memory", f"{point.usable_memory_gb:,.1f} GB"),
        ("KV cache per token", f"{point.kv_bytes_per_token / 1e3:,.1f} kB"),
        (f"max batch at {point.context:,} tokens", count(point.max_batch)),
        ("batch", count(point.batch)),
        ("prefill tokens/s (one request)", count(point.prefill_tokens_per_s)),
        ("decode tokens/s (whole batch)", count(point.decode_tokens_per_s)),
        ("time to first token", f"{point.ttft_s * 1e3:,.1f} ms"),
        ("time per output token", f"{point.tpot_s * 1e3:,.2f} ms"),
        ("request latency", f"{point.request_latency_s:,.2f} s"),
        ("decode step bound by", point.decode_bound),
        ("replica cost", f"{usd(point.replica_usd_per_hour)}/hour"),
        ("utilisation", pct(point.utilisation)),
        ("USD per 1M input tokens", usd(point.usd_per_1m_input_tokens)),
        ("USD per 1M output tokens", usd(point.usd_per_1m_output_tokens)),
    ]


def render_selfhost_terminal(point: ServingPoint, console: Console) -> None:
    """Print `point` with its assumptions and their sources."""
    table = Table(
        title=f"Self-hosted {point.model} (roofline)",
        title_justify="left",
        title_style="bold",
        box=box.SIMPLE_HEAD,
        show_header=False,
    )
    table.add_column("figure")
    table.add_column("value", justify="right", no_wrap=True)
    for name, value in _figures(point):
        table.add_row(name, value)
    console.print(table)
    assumptions = Table(
        title="Assumptions", title_justify="left", title_style="bold", box=box.SIMPLE_HEAD
    )
    assumptions.add_column("input")
    assumptions.add_column("value", justify="right", no_wrap=True)
    assumptions.add_column("source", overflow="fold", ratio=1)
    for item in point.assumptions:
        value = item.value if isinstance(item.value, str) else f"{item.value:g}"
        assumptions.add_row(item.name, value, item.source)
    console.print(assumptions)


def render_selfhost_markdown(point: ServingPoint) -> str:
    """`point` as Markdown."""
    out = [f"## Self-hosted {point.model} (roofline)", "", "| figure | value |", "| --- | --- |"]
    out += [f"| {name} | {value} |" for name, value in _figures(point)]
    out += ["", "| input | value | source |", "| --- | --- | --- |"]
    for item in point.assumptions:
        value = item.value if isinstance(item.value, str) else f"{item.value:g}"
        out.append(f"| {cell(item.name)} | {cell(value)} | {cell(item.source)} |")
    return "\n".join(out)
