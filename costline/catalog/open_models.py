"""Open-model architectures and self-hosting defaults, read from the sourced data files
`catalog/data/open_models.yml` and `catalog/data/selfhost_defaults.yml`."""

from __future__ import annotations

import difflib
from dataclasses import dataclass
from functools import cache
from typing import Any

from costline.catalog._data import one_line, read_data
from costline.catalog.gpus import Sourced
from costline.errors import InputError


class UnknownOpenModelError(InputError):
    """An open model the architecture catalog does not know; carries the closest ids."""

    def __init__(self, name: str, suggestions: list[str]) -> None:
        self.suggestions = suggestions
        hint = f"; closest: {', '.join(suggestions)}" if suggestions else ""
        super().__init__(f"unknown open model {name!r}{hint}", "model")


@dataclass(frozen=True)
class OpenModel:
    """An open model's shape: what sets its weights, KV cache and FLOPs per token."""

    id: str
    name: str
    aliases: tuple[str, ...]
    params: float
    active_params: float
    layers: int
    hidden_size: int
    attention_heads: int
    kv_heads: int
    head_dim: int
    default_dtype: str
    context_length: int | None
    kv_lora_rank: int | None
    qk_rope_head_dim: int | None
    source: str
    routed_experts: int | None = None
    experts_per_token: int | None = None

    @property
    def latent_attention(self) -> bool:
        """Multi-head latent attention: one compressed KV latent per token and layer."""
        return self.kv_lora_rank is not None

    def kv_bytes_per_token(self, bytes_per_element: float) -> float:
        """Bytes of KV cache one token adds: 2 x layers x KV heads x head dim x bytes, or,
        with multi-head latent attention, layers x (latent rank + RoPE dim) x bytes."""
        if self.kv_lora_rank is not None:
            rope = self.qk_rope_head_dim or 0
            return self.layers * (self.kv_lora_rank + rope) * bytes_per_element
        return 2 * self.layers * self.kv_heads * self.head_dim * bytes_per_element


@dataclass(frozen=True)
class SelfHostDefaults:
    """Sourced (or labelled) defaults of the self-hosting model."""

    gpu_memory_utilization: Sourced
    memory_bandwidth_efficiency: Sourced
    decode_compute_efficiency: Sourced
    prefill_compute_efficiency: Sourced
    tp_efficiency: Sourced
    utilisation_target: Sourced
    """Share of a replica's capacity the busiest hour may use."""
    peak_to_average: Sourced
    auto_tp_max_gpus: Sourced
    auto_tp_weights_share: Sourced
    breakeven_min_replicas: Sourced
    """Replicas `costline breakeven` keeps running when none are given."""
    breakeven_staff_usd_per_month: Sourced
    """ML-ops staff (USD per month) `costline breakeven` charges when none is given."""
    stand_in_small_params: Sourced
    stand_in_frontier_params: Sourced
    """Total parameters from which an open model is assumed to stand in for a line-up's
    middle tiers (small) and its top tier (frontier), choosing what breakeven moves."""


@dataclass(frozen=True)
class InferenceBenchmark:
    """A published inference measurement (one replica unless `replicas` says otherwise)."""

    id: str
    model: str
    gpu: str
    tp: int
    replicas: int
    engine: str
    dtype: str
    kv_dtype: str
    batch: int | None
    """Concurrent sequences, where the source states them (batch size or concurrency)."""
    input_tokens: float | None
    output_tokens: float | None
    output_tokens_per_s: float | None
    """Output tokens per second of the whole system measured."""
    itl_ms: float | None
    ttft_ms: float | None
    source: str


@dataclass(frozen=True)
class OpenModelCatalog:
    """Open models by id."""

    models: dict[str, OpenModel]
    defaults: SelfHostDefaults
    benchmarks: tuple[InferenceBenchmark, ...] = ()

    def model(self, name: str) -> OpenModel:
        """The model called `name` (an id or an alias, any case)."""
        key = name.strip().lower()
        for model in self.models.values():
            if key == model.id or key in model.aliases:
                return model
        names = [*self.models, *(a for m in self.models.values() for a in m.aliases)]
        close = difflib.get_close_matches(key, names, n=6, cutoff=0.4)
        ids = list(dict.fromkeys(self._id_of(n) for n in close))[:4]
        raise UnknownOpenModelError(name, ids)

    def _id_of(self, name: str) -> str:
        for model in self.models.values():
            if name == model.id or name in model.aliases:
                return model.id
        return name


def _int(value: Any) -> int | None:
    return None if value is None else int(value)


@cache
def load_open_models() -> OpenModelCatalog:
    """The open-model catalog shipped with costline."""
    models = {}
    for model_id, row in read_data("open_models.yml")["models"].items():
        heads = int(row["attention_heads"])
        hidden = int(row["hidden_size"])
        models[model_id] = OpenModel(
            id=model_id,
            name=row["name"],
            aliases=tuple(str(a).lower() for a in row.get("aliases", [])),
            params=float(row["params"]),
            active_params=float(row.get("active_params") or row["params"]),
            layers=int(row["layers"]),
            hidden_size=hidden,
            attention_heads=heads,
            kv_heads=int(row.get("kv_heads") or heads),
            head_dim=int(row.get("head_dim") or hidden // heads),
            default_dtype=str(row.get("default_dtype", "bf16")),
            context_length=_int(row.get("context_length")),
            kv_lora_rank=_int(row.get("kv_lora_rank")),
            qk_rope_head_dim=_int(row.get("qk_rope_head_dim")),
            source=one_line(row["source"]),
            routed_experts=_int(row.get("routed_experts")),
            experts_per_token=_int(row.get("experts_per_token")),
        )
    raw = read_data("selfhost_defaults.yml")

    def sourced(key: str) -> Sourced:
        return Sourced(float(raw[key]["value"]), one_line(raw[key]["source"]))

    defaults = SelfHostDefaults(
        gpu_memory_utilization=sourced("gpu_memory_utilization"),
        memory_bandwidth_efficiency=sourced("memory_bandwidth_efficiency"),
        decode_compute_efficiency=sourced("decode_compute_efficiency"),
        prefill_compute_efficiency=sourced("prefill_compute_efficiency"),
        tp_efficiency=sourced("tp_efficiency"),
        utilisation_target=sourced("utilisation_target"),
        peak_to_average=sourced("peak_to_average"),
        auto_tp_max_gpus=sourced("auto_tp_max_gpus"),
        auto_tp_weights_share=sourced("auto_tp_weights_share"),
        breakeven_min_replicas=sourced("breakeven_min_replicas"),
        breakeven_staff_usd_per_month=sourced("breakeven_staff_usd_per_month"),
        stand_in_small_params=sourced("stand_in_small_params"),
        stand_in_frontier_params=sourced("stand_in_frontier_params"),
    )
    benchmarks = []
    for row in read_data("inference_benchmarks.yml")["points"]:
        per_gpu = row.get("output_tokens_per_s_per_gpu")
        total = row.get("output_tokens_per_s")
        if total is None and per_gpu is not None:
            total = float(per_gpu) * int(row["gpus"])
        benchmarks.append(
            InferenceBenchmark(
                id=row["id"],
                model=row["model"],
                gpu=row["gpu"],
                tp=int(row.get("tp") or 1),
                replicas=int(row.get("replicas") or 1),
                engine=one_line(row["engine"]),
                dtype=str(row["dtype"]),
                kv_dtype=str(row.get("kv_cache_dtype") or "bf16"),
                batch=_int(row.get("batch") or row.get("concurrency")),
                input_tokens=row.get("input_tokens"),
                output_tokens=row.get("output_tokens"),
                output_tokens_per_s=None if total is None else float(total),
                itl_ms=row.get("itl_ms") or row.get("tpot_ms"),
                ttft_ms=row.get("ttft_ms"),
                source=one_line(row["source"]),
            )
        )
    return OpenModelCatalog(models=models, defaults=defaults, benchmarks=tuple(benchmarks))
