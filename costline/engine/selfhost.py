"""Self-hosted inference throughput from a roofline, and its price per 1M tokens.

    weights      = params x bytes per weight                       (bf16 2, fp8 1, int4 0.5)
    KV per token = 2 x layers x KV heads x head dim x bytes        (MLA: layers x (rank + rope dim))
    max batch    = (GPUs x memory x usable share - weights) / (KV per token x context)
    decode step  = max(bytes read / bandwidth, FLOPs / compute) / TP efficiency
                   bytes read = weights + batch x KV per token x mean context   (memory-bound)
                   FLOPs      = 2 x active params x batch + attention            (compute-bound)
    prefill      = (2 x active params x input + attention) / (peak x prefill efficiency)
    TTFT         = prefill + one decode step;  TPOT = one decode step at the batch
    USD per 1M   = replica USD per second x seconds per 1M tokens / utilisation
                   (input tokens at the prefill rate, output tokens at the decode rate)

Efficiencies and the usable memory share are sourced defaults from the catalog
(selfhost_defaults.yml), reported in `assumptions`; nothing is fitted to a benchmark.
"""

from __future__ import annotations

import math

from pydantic import BaseModel, ConfigDict

from costline.catalog.gpus import Gpu, HardwareCatalog, Sourced
from costline.catalog.open_models import (
    InferenceBenchmark,
    OpenModel,
    OpenModelCatalog,
    SelfHostDefaults,
)
from costline.engine.training import Assumption
from costline.errors import InputError
from costline.scenario.selfhost import SelfHostSpec

BYTES_PER_WEIGHT = {"bf16": 2.0, "fp8": 1.0, "int4": 0.5}
BYTES_PER_KV = {"bf16": 2.0, "fp8": 1.0}
GIGA = 1e9
TERA = 1e12
SECONDS_PER_HOUR = 3600
TOKENS_PER_MTOK = 1_000_000


class ServingPoint(BaseModel):
    """One replica's memory, throughput, latency and token prices (seconds, tokens, USD)."""

    model_config = ConfigDict(frozen=True, use_attribute_docstrings=True)

    model: str
    gpu: str
    tp: int
    dtype: str
    weights_gb: float
    kv_bytes_per_token: float
    usable_memory_gb: float
    """GPU memory for weights and KV cache: GPUs x memory x the usable share."""
    context: int
    """KV-cache tokens reserved per sequence."""
    max_batch: int
    """Most concurrent sequences whose KV cache fits beside the weights."""
    batch: int
    prefill_tokens_per_s: float
    """Prompt tokens per second of one replica, one request at a time."""
    decode_tokens_per_s: float
    """Output tokens per second of one replica, all `batch` sequences together."""
    ttft_s: float
    """Time to first token of one request: its prefill and one decode step."""
    tpot_s: float
    """Seconds per output token of one sequence at the batch."""
    request_latency_s: float
    """TTFT + output tokens x TPOT for the spec's request."""
    decode_bound: str
    """memory or compute: which roof limits a decode step at the batch."""
    replica_usd_per_hour: float
    utilisation: float
    usd_per_1m_input_tokens: float
    usd_per_1m_output_tokens: float
    assumptions: list[Assumption]


def _sourced(name: str, value: float | str, source: str) -> Assumption:
    return Assumption(name=name, value=value, source=source)


def serve(
    spec: SelfHostSpec, model: OpenModel, gpu: Gpu, defaults: SelfHostDefaults
) -> ServingPoint:
    """The roofline serving point of `spec`; refuses what does not fit in memory."""
    compute_precision = "fp8" if spec.dtype == "fp8" else "bf16"
    peak = gpu.peak_flops(compute_precision)
    if peak is None or gpu.memory_gb is None or gpu.memory_bandwidth_tb_s is None:
        raise InputError(
            f"GPU {gpu.id!r} lacks a sourced {compute_precision.upper()} peak, memory size or "
            "bandwidth in the catalog, so its throughput cannot be modelled"
        )
    weights = model.params * BYTES_PER_WEIGHT[spec.dtype]
    kv_per_token = model.kv_bytes_per_token(BYTES_PER_KV[spec.kv_dtype])
    usable = spec.tp * gpu.memory_gb * GIGA * defaults.gpu_memory_utilization.value
    context = spec.context or math.ceil(spec.input_tokens + spec.output_tokens)
    if weights >= usable:
        needed = math.ceil(weights / (gpu.memory_gb * GIGA * defaults.gpu_memory_utilization.value))
        raise InputError(
            f"{model.id} does not fit: its {spec.dtype} weights take {weights / GIGA:,.0f} GB but "
            f"{spec.tp} x {gpu.id} leave {usable / GIGA:,.0f} GB usable "
            f"({defaults.gpu_memory_utilization.value:.0%} of {gpu.memory_gb:g} GB each); "
            f"use --tp {needed} or more, or a smaller --dtype"
        )
    max_batch = int((usable - weights) // (kv_per_token * context))
    if max_batch < 1:
        raise InputError(
            f"{model.id} on {spec.tp} x {gpu.id}: the weights fit but not one sequence of "
            f"{context:,} tokens of KV cache ({kv_per_token * context / GIGA:,.1f} GB); "
            "shorten --context, use more GPUs or --kv-dtype fp8"
        )
    batch = spec.batch or max_batch
    if batch > max_batch:
        raise InputError(
            f"--batch {batch} does not fit: at {context:,} tokens of context only {max_batch} "
            f"sequences' KV cache fits beside the weights on {spec.tp} x {gpu.id}"
        )

    bandwidth = spec.tp * gpu.memory_bandwidth_tb_s * TERA
    bw_eff = defaults.memory_bandwidth_efficiency.value
    compute = spec.tp * peak
    tp_eff = 1.0 if spec.tp == 1 else (spec.tp_efficiency or defaults.tp_efficiency.value)
    attention_width = model.attention_heads * model.head_dim

    def decode_step(sequences: int) -> tuple[float, str]:
        mean_context = spec.input_tokens + spec.output_tokens / 2
        read = weights + sequences * kv_per_token * mean_context
        # 2 FLOPs per active weight, plus QK^T and AV over the context: 4 x layers x width x L
        flops = sequences * (
            2 * model.active_params + 4 * model.layers * attention_width * mean_context
        )
        t_memory = read / (bandwidth * bw_eff)
        t_compute = flops / (compute * defaults.decode_compute_efficiency.value)
        bound = "memory" if t_memory >= t_compute else "compute"
        return max(t_memory, t_compute) / tp_eff, bound

    # causal attention over the prompt: half of 4 x layers x width x I^2
    prefill_flops = (
        2 * model.active_params * spec.input_tokens
        + 2 * model.layers * attention_width * spec.input_tokens**2
    )
    prefill_s = prefill_flops / (compute * defaults.prefill_compute_efficiency.value) / tp_eff
    step_s, bound = decode_step(batch)
    first_step_s, _ = decode_step(1)
    prefill_tps = spec.input_tokens / prefill_s
    decode_tps = batch / step_s

    if spec.usd_per_gpu_hour is not None:
        price = _sourced("usd_per_gpu_hour", spec.usd_per_gpu_hour, "given")
    elif gpu.default_price_usd_per_gpu_hour is not None:
        price = _sourced(
            "usd_per_gpu_hour",
            gpu.default_price_usd_per_gpu_hour,
            f"{gpu.price_source()} — {gpu.default_price_note}",
        )
    else:
        raise InputError(f"GPU {gpu.id!r} has no price in the catalog; give --price-per-gpu-hour")
    replica_per_hour = spec.tp * float(price.value)
    per_second = replica_per_hour / SECONDS_PER_HOUR
    utilisation = spec.utilisation or defaults.utilisation.value
    ttft = prefill_s + first_step_s

    def use(name: str, default: Sourced) -> Assumption:
        return _sourced(name, default.value, default.source)

    return ServingPoint(
        model=model.id,
        gpu=gpu.id,
        tp=spec.tp,
        dtype=spec.dtype,
        weights_gb=weights / GIGA,
        kv_bytes_per_token=kv_per_token,
        usable_memory_gb=usable / GIGA,
        context=context,
        max_batch=max_batch,
        batch=batch,
        prefill_tokens_per_s=prefill_tps,
        decode_tokens_per_s=decode_tps,
        ttft_s=ttft,
        tpot_s=step_s,
        request_latency_s=ttft + spec.output_tokens * step_s,
        decode_bound=bound,
        replica_usd_per_hour=replica_per_hour,
        utilisation=utilisation,
        usd_per_1m_input_tokens=per_second * TOKENS_PER_MTOK / prefill_tps / utilisation,
        usd_per_1m_output_tokens=per_second * TOKENS_PER_MTOK / decode_tps / utilisation,
        assumptions=[
            _sourced("model", model.id, model.source),
            _sourced("gpu", gpu.id, gpu.source),
            use("gpu_memory_utilization", defaults.gpu_memory_utilization),
            use("memory_bandwidth_efficiency", defaults.memory_bandwidth_efficiency),
            use("decode_compute_efficiency", defaults.decode_compute_efficiency),
            use("prefill_compute_efficiency", defaults.prefill_compute_efficiency),
            *(
                [
                    _sourced("tp_efficiency", spec.tp_efficiency, "given")
                    if spec.tp_efficiency
                    else use("tp_efficiency", defaults.tp_efficiency)
                ]
                if spec.tp > 1
                else []
            ),
            price,
            _sourced("utilisation", spec.utilisation, "given")
            if spec.utilisation
            else use("utilisation", defaults.utilisation),
        ],
    )


class BenchmarkComparison(BaseModel):
    """A published measurement next to what the roofline predicts for the same point."""

    model_config = ConfigDict(frozen=True)

    id: str
    metric: str
    """output_tokens_per_s, itl_ms or ttft_ms."""
    measured: float
    predicted: float | None
    ratio: float | None
    """predicted / measured."""
    why_not: str | None = None
    """Why no prediction was made for this point."""


def compare_benchmark(
    point: InferenceBenchmark, models: OpenModelCatalog, hardware: HardwareCatalog
) -> list[BenchmarkComparison]:
    """The roofline's prediction of each figure `point` publishes (USD-free)."""
    measured = [
        (name, value)
        for name, value in (
            ("output_tokens_per_s", point.output_tokens_per_s),
            ("itl_ms", point.itl_ms),
            ("ttft_ms", point.ttft_ms),
        )
        if value is not None
    ]
    if point.input_tokens is None or point.output_tokens is None:
        return [
            BenchmarkComparison(
                id=point.id,
                metric=name,
                measured=value,
                predicted=None,
                ratio=None,
                why_not="the source gives no token lengths",
            )
            for name, value in measured
        ]
    spec = SelfHostSpec(
        model=point.model,
        gpu=point.gpu,
        tp=point.tp,
        dtype=point.dtype if point.dtype in BYTES_PER_WEIGHT else "bf16",
        kv_dtype="fp8" if point.kv_dtype == "fp8" else "bf16",
        input_tokens=point.input_tokens,
        output_tokens=point.output_tokens,
    )
    model = models.model(point.model)
    gpu = hardware.gpu(point.gpu)
    out = []
    for name, value in measured:
        note = None
        if name == "output_tokens_per_s":
            at = serve(spec, model, gpu, models.defaults)
            if point.batch is not None and point.batch <= at.max_batch:
                at = serve(
                    spec.model_copy(update={"batch": point.batch}), model, gpu, models.defaults
                )
            elif point.batch is not None:
                note = (
                    f"{point.batch} sequences do not fit in costline's memory model "
                    f"(full context reserved per sequence); predicted at {at.max_batch}"
                )
            # Each sequence is prefilled, then decoded with the batch: B x O tokens take
            # B x I / prefill rate + O decode steps.
            seconds = (
                at.batch * spec.input_tokens / at.prefill_tokens_per_s
                + spec.output_tokens * at.tpot_s
            )
            predicted = point.replicas * at.batch * spec.output_tokens / seconds
        elif name == "itl_ms":
            batch = point.batch or 1
            at = serve(spec, model, gpu, models.defaults)
            if batch > at.max_batch:
                note = f"{batch} sequences do not fit; predicted at {at.max_batch}"
                batch = at.max_batch
            at = serve(spec.model_copy(update={"batch": batch}), model, gpu, models.defaults)
            predicted = at.tpot_s * 1e3
        elif (point.batch or 1) == 1:
            one = serve(spec.model_copy(update={"batch": 1}), model, gpu, models.defaults)
            predicted = one.ttft_s * 1e3
        else:
            out.append(
                BenchmarkComparison(
                    id=point.id,
                    metric=name,
                    measured=value,
                    predicted=None,
                    ratio=None,
                    why_not="time to first token under load includes queueing, not modelled",
                )
            )
            continue
        out.append(
            BenchmarkComparison(
                id=point.id,
                metric=name,
                measured=value,
                predicted=predicted,
                ratio=predicted / value,
                why_not=note,
            )
        )
    return out
