"""Views of a self-hosted serving point."""

from __future__ import annotations

from rich.console import Console

from costline.engine.selfhost import ServingPoint
from costline.report.figures import estimate_markdown, print_estimate
from costline.report.format import count, pct, usd


def _figures(point: ServingPoint) -> list[tuple[str, str]]:
    return [
        ("replica", f"{point.tp} x {point.gpu}, {point.dtype} weights"),
        ("weights", f"{point.weights_gb:,.1f} GB"),
        ("usable memory", f"{point.usable_memory_gb:,.1f} GB"),
        (
            "KV cache per token"
            + (f" ({point.kv_copies:g} copies)" if point.kv_copies > 1 else ""),
            f"{point.kv_bytes_per_token / 1e3:,.1f} kB",
        ),
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
    print_estimate(
        f"Self-hosted {point.model} (roofline)", _figures(point), point.assumptions, console
    )


def render_selfhost_markdown(point: ServingPoint) -> str:
    """`point` as Markdown."""
    return estimate_markdown(
        f"Self-hosted {point.model} (roofline)", _figures(point), point.assumptions
    )
