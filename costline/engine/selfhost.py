"""Self-hosted inference throughput from a roofline, and its price per 1M tokens.

    weights      = params x bytes per weight                       (bf16 2, fp8 1, int4 0.5)
    KV per token = 2 x layers x KV heads x head dim x bytes        (MLA: layers x (rank + rope dim))
                   x copies: tensor parallelism splits KV heads over GPUs; an MLA latent, or a KV
                   head when GPUs outnumber KV heads, is held by every GPU that needs it
    max batch    = (GPUs x memory x usable share - weights) / (KV per token x copies x context)
    decode step  = max(bytes read / bandwidth, FLOPs / compute) / TP efficiency
                   bytes read = weights read + batch x KV per token x copies x mean context
                   weights read: all of a dense model; for a mixture of experts the shared part
                   and the experts the batch's tokens are routed to (uniform routing assumed:
                   E x (1 - (1 - k/E)^batch) of E experts, k per token)
                   FLOPs = 2 x active params x batch + attention         (compute-bound)
    prefill      = (2 x active params x input + attention) / (peak x prefill efficiency)
    TTFT         = prefill + one decode step;  TPOT = one decode step at the batch
    USD per 1M   = replica USD per second x seconds per 1M tokens / utilisation
                   (input tokens at the prefill rate, output tokens at the decode rate)

Memory is read as the catalog prints it, in decimal GB (10^9 bytes), as vendors' spec sheets
do; HBM parts are built from binary stacks (an H100's "80GB" is 80 GiB = 85.9e9 bytes), so
for them max batch errs about 7% low: on the safe side, and the README's benchmark table
carries that choice. Efficiencies and the usable share are sourced defaults from
selfhost_defaults.yml, reported in `assumptions`; nothing is fitted to a benchmark.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

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

    model_config = ConfigDict(frozen=True, use_attribute_docstrings=True, defer_build=True)

    model: str
    gpu: str
    tp: int
    dtype: str
    weights_gb: float
    kv_bytes_per_token: float
    """KV cache one token adds on the whole replica, copies held by several GPUs included."""
    kv_copies: float
    """How many GPUs hold each KV entry: 1 when tensor parallelism splits the KV heads."""
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


def tp_problem(model: OpenModel, tp: int) -> str | None:
    """Why `tp` GPUs cannot split `model`'s attention evenly, or None when they can."""
    if model.attention_heads % tp:
        return f"its {model.attention_heads} attention heads do not split evenly over {tp} GPUs"
    if not model.latent_attention and model.kv_heads % tp and tp % model.kv_heads:
        return (
            f"its {model.kv_heads} KV heads neither split evenly over {tp} GPUs nor repeat "
            "evenly on them"
        )
    return None


def kv_copies(model: OpenModel, tp: int) -> float:
    """GPUs of a `tp`-way replica holding each token's KV entry (1 when split evenly)."""
    if model.latent_attention:
        return float(tp)  # one latent per layer: every GPU keeps the whole of it
    return max(1.0, tp / model.kv_heads)


def _valid_tp_from(model: OpenModel, least: int) -> int | None:
    return next((tp for tp in range(max(least, 1), 65) if tp_problem(model, tp) is None), None)


@dataclass(frozen=True)
class _Roofline:
    """One replica's roofs: bytes and FLOPs of a decode step and of a prefill."""

    model: OpenModel
    defaults: SelfHostDefaults
    weights: float
    bytes_per_weight: float
    kv_per_token: float
    bandwidth: float
    compute: float
    tp_eff: float

    def weights_read(self, sequences: int) -> float:
        """Bytes of weights one decode step of `sequences` tokens reads."""
        m = self.model
        experts, k = m.routed_experts, m.experts_per_token
        if not experts or not k or experts <= k or m.params <= m.active_params:
            return self.weights
        per_expert = (m.params - m.active_params) / (experts - k)
        shared = m.active_params - k * per_expert
        touched = experts * (1 - (1 - k / experts) ** sequences)
        return min(self.weights, (shared + per_expert * touched) * self.bytes_per_weight)

    def decode_step(self, sequences: int, mean_context: float) -> tuple[float, str]:
        """Seconds of one decode step of `sequences` and which roof bounds it."""
        m = self.model
        read = self.weights_read(sequences) + sequences * self.kv_per_token * mean_context
        # 2 FLOPs per active weight, plus QK^T and AV over the context: 4 x layers x width x L
        flops = sequences * (
            2 * m.active_params + 4 * m.layers * m.attention_heads * m.head_dim * mean_context
        )
        t_memory = read / (self.bandwidth * self.defaults.memory_bandwidth_efficiency.value)
        t_compute = flops / (self.compute * self.defaults.decode_compute_efficiency.value)
        bound = "memory" if t_memory >= t_compute else "compute"
        return max(t_memory, t_compute) / self.tp_eff, bound

    def prefill_s(self, input_tokens: float) -> float:
        """Seconds to prefill one prompt of `input_tokens`."""
        m = self.model
        # causal attention over the prompt: half of 4 x layers x width x I^2
        flops = (
            2 * m.active_params * input_tokens
            + 2 * m.layers * m.attention_heads * m.head_dim * input_tokens**2
        )
        eff = self.defaults.prefill_compute_efficiency.value
        return flops / (self.compute * eff) / self.tp_eff


def _roofline(
    spec: SelfHostSpec, tp: int, model: OpenModel, gpu: Gpu, defaults: SelfHostDefaults
) -> _Roofline:
    compute_precision = "fp8" if spec.dtype == "fp8" else "bf16"
    peak = gpu.peak_flops(compute_precision)
    if peak is None or gpu.memory_gb is None or gpu.memory_bandwidth_tb_s is None:
        raise InputError(
            f"GPU {gpu.id!r} lacks a sourced {compute_precision.upper()} peak, memory size or "
            "bandwidth in the catalog, so its throughput cannot be modelled"
        )
    problem = tp_problem(model, tp)
    if problem:
        valid = _valid_tp_from(model, tp)
        hint = f"; the next split that works is {valid}" if valid else ""
        raise InputError(f"{model.id} cannot run on tp {tp}: {problem}{hint}", "tp")
    return _Roofline(
        model=model,
        defaults=defaults,
        weights=model.params * BYTES_PER_WEIGHT[spec.dtype],
        bytes_per_weight=BYTES_PER_WEIGHT[spec.dtype],
        kv_per_token=model.kv_bytes_per_token(BYTES_PER_KV[spec.kv_dtype]) * kv_copies(model, tp),
        bandwidth=tp * gpu.memory_bandwidth_tb_s * TERA,
        compute=tp * peak,
        tp_eff=1.0 if tp == 1 else (spec.tp_efficiency or defaults.tp_efficiency.value),
    )


def serve(
    spec: SelfHostSpec, model: OpenModel, gpu: Gpu, defaults: SelfHostDefaults
) -> ServingPoint:
    """The roofline serving point of `spec`; refuses what does not fit in memory. With no
    `tp`, the smallest split of 1, 2, 4 ... GPUs (up to one server) whose weights leave the
    usable memory's rest to the KV cache (selfhost_defaults.yml)."""
    if spec.tp is not None:
        return _serve(spec, spec.tp, model, gpu, defaults)
    largest = int(defaults.auto_tp_max_gpus.value)
    share = defaults.auto_tp_weights_share.value
    tried: list[ServingPoint] = []
    refusal: InputError | None = None
    for tp in (t for t in (1, 2, 4, 8, 16, 32, 64) if t <= largest):
        if tp_problem(model, tp):
            continue
        try:
            tried.append(_serve(spec, tp, model, gpu, defaults))
        except InputError as err:
            refusal = err
    if not tried:
        raise refusal or InputError(f"{model.id} has no tensor-parallel split up to {largest} GPUs")
    roomy = [p for p in tried if p.weights_gb <= share * p.usable_memory_gb]
    best = roomy[0] if roomy else tried[0]

    def per_thousand(p: ServingPoint) -> float:
        seconds = spec.input_tokens / p.prefill_tokens_per_s + (
            spec.output_tokens / p.decode_tokens_per_s
        )
        return seconds * p.replica_usd_per_hour / SECONDS_PER_HOUR * 1e3

    costs = ", ".join(f"tp {p.tp}: {usd_text(per_thousand(p))}" for p in tried)
    rule = (
        f"smallest split whose weights fill at most {share:.0%} of the usable memory"
        if roomy
        else "smallest split that fits"
    )
    why = _sourced(
        "tp",
        best.tp,
        f"{rule}; USD per 1,000 requests at full load of each split that fits: {costs} "
        f"({defaults.auto_tp_weights_share.source})",
    )
    return best.model_copy(update={"assumptions": [why, *best.assumptions]})


def usd_text(amount: float) -> str:
    """`amount` USD to 3 significant figures, for assumption texts."""
    return f"${amount:,.3g}" if amount < 1000 else f"${amount:,.0f}"


def _serve(
    spec: SelfHostSpec, tp: int, model: OpenModel, gpu: Gpu, defaults: SelfHostDefaults
) -> ServingPoint:
    roof = _roofline(spec, tp, model, gpu, defaults)
    assert gpu.memory_gb is not None
    share = defaults.gpu_memory_utilization.value
    usable = tp * gpu.memory_gb * GIGA * share
    request = math.ceil(spec.input_tokens + spec.output_tokens)
    if model.context_length is not None and request > model.context_length:
        raise InputError(
            f"a request of {request:,} tokens (input + output) is longer than {model.id}'s "
            f"{model.context_length:,}-token context",
            "input_tokens",
        )
    if spec.context is not None and spec.context < request:
        raise InputError(
            f"context {spec.context:,} is shorter than a request's input + output tokens "
            f"({request:,}); the KV cache must hold the whole request",
            "context",
        )
    context = spec.context or request
    if roof.weights >= usable:
        needed = math.ceil(roof.weights / (gpu.memory_gb * GIGA * share))
        valid = _valid_tp_from(model, needed)
        more = f"a tp of {valid} or more, " if valid else ""
        raise InputError(
            f"{model.id} does not fit: its {spec.dtype} weights take {roof.weights / GIGA:,.0f} "
            f"GB but {tp} x {gpu.id} leave {usable / GIGA:,.0f} GB usable "
            f"({share:.0%} of {gpu.memory_gb:g} GB each); use {more}a smaller dtype or a "
            "GPU with more memory",
            "tp",
        )
    max_batch = int((usable - roof.weights) // (roof.kv_per_token * context))
    if max_batch < 1:
        raise InputError(
            f"{model.id} on {tp} x {gpu.id}: the weights fit but not one sequence of "
            f"{context:,} tokens of KV cache ({roof.kv_per_token * context / GIGA:,.1f} GB); "
            "use a shorter context, more GPUs or an fp8 KV cache",
            "tp",
        )
    batch = spec.batch or max_batch
    if batch > max_batch:
        raise InputError(
            f"a batch of {batch} does not fit: at {context:,} tokens of context only {max_batch} "
            f"sequences' KV cache fits beside the weights on {tp} x {gpu.id}",
            "batch",
        )

    mean_context = spec.input_tokens + spec.output_tokens / 2
    prefill_s = roof.prefill_s(spec.input_tokens)
    step_s, bound = roof.decode_step(batch, mean_context)
    first_step_s, _ = roof.decode_step(1, mean_context)
    prefill_tps = spec.input_tokens / prefill_s
    decode_tps = batch / step_s

    price = _price(spec, gpu)
    replica_per_hour = tp * float(price.value)
    per_second = replica_per_hour / SECONDS_PER_HOUR
    if spec.utilisation is not None:
        utilisation = _sourced("utilisation", spec.utilisation, "given")
    else:
        target, peak = defaults.utilisation_target, defaults.peak_to_average
        utilisation = _sourced(
            "utilisation",
            target.value / peak.value,
            f"utilisation target {target.value:g} / peak-to-average {peak.value:g}: a fleet "
            f"sized for its busiest hour ({target.source}; {peak.source})",
        )
    ttft = prefill_s + first_step_s

    def use(name: str, default: Sourced) -> Assumption:
        return _sourced(name, default.value, default.source)

    busy = float(utilisation.value)
    return ServingPoint(
        model=model.id,
        gpu=gpu.id,
        tp=tp,
        dtype=spec.dtype,
        weights_gb=roof.weights / GIGA,
        kv_bytes_per_token=roof.kv_per_token,
        kv_copies=kv_copies(model, tp),
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
        utilisation=busy,
        usd_per_1m_input_tokens=per_second * TOKENS_PER_MTOK / prefill_tps / busy,
        usd_per_1m_output_tokens=per_second * TOKENS_PER_MTOK / decode_tps / busy,
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
                if tp > 1
                else []
            ),
            price,
            utilisation,
        ],
    )


def _price(spec: SelfHostSpec, gpu: Gpu) -> Assumption:
    if spec.usd_per_gpu_hour is not None:
        return _sourced("usd_per_gpu_hour", spec.usd_per_gpu_hour, "given")
    price = gpu.rental_price(spec.price)
    if price is None:
        raise InputError(
            f"GPU {gpu.id!r} has no {spec.price} price in the catalog; give your own "
            "price per GPU-hour",
            "price",
        )
    return _sourced("usd_per_gpu_hour", price.value, f"{spec.price}: {price.source}")


def request_latency_s(
    spec: SelfHostSpec,
    at: ServingPoint,
    model: OpenModel,
    gpu: Gpu,
    defaults: SelfHostDefaults,
    input_tokens: float,
    output_tokens: float,
) -> float:
    """Seconds for one request of the given size served among `at`'s batch: its own
    prefill, a first decode step, then `output_tokens` steps at the batch's pace (the other
    sequences are the typical ones the batch was sized for)."""
    roof = _roofline(spec, at.tp, model, gpu, defaults)
    first_step, _ = roof.decode_step(1, input_tokens + output_tokens / 2)
    return roof.prefill_s(input_tokens) + first_step + output_tokens * at.tpot_s


def call_latency_terms(
    spec: SelfHostSpec,
    at: ServingPoint,
    model: OpenModel,
    gpu: Gpu,
    defaults: SelfHostDefaults,
    context_tokens: float,
) -> tuple[float, float, float, float]:
    """`request_latency_s` as terms of a call's size, for calls of every size at once:
    (first decode step s at `context_tokens`, prefill s per prompt token, prefill s per
    prompt token squared, s per output token at the batch's pace)."""
    roof = _roofline(spec, at.tp, model, gpu, defaults)
    first_step, _ = roof.decode_step(1, context_tokens)
    one, two = roof.prefill_s(1.0), roof.prefill_s(2.0)
    squared = (two - 2 * one) / 2  # prefill is a*I + b*I^2
    return first_step, one - squared, squared, at.tpot_s


class BenchmarkComparison(BaseModel):
    """A published measurement next to what the roofline predicts for the same point."""

    model_config = ConfigDict(frozen=True, defer_build=True)

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
        dtype="fp8" if point.dtype == "fp8" else "int4" if point.dtype == "int4" else "bf16",
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
