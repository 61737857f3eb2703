"""GPU specs, rental prices and training defaults, read from the sourced data files in
`catalog/data/` (gpus.yml, published_runs.yml, finetune_prices.yml)."""

from __future__ import annotations

import datetime as dt
import difflib
from dataclasses import dataclass, field
from functools import cache
from typing import Any

from costline.catalog._data import one_line, read_data
from costline.errors import InputError

TERA = 1e12


class UnknownGpuError(InputError):
    """A GPU the catalog does not know; carries the closest ids."""

    def __init__(self, name: str, suggestions: list[str]) -> None:
        self.suggestions = suggestions
        hint = f"; closest: {', '.join(suggestions)}" if suggestions else ""
        super().__init__(f"unknown GPU {name!r}{hint} (`costline gpus` lists them)", "gpu")


@dataclass(frozen=True)
class GpuPrice:
    """One sourced rental price."""

    usd_per_gpu_hour: float
    provider: str
    kind: str
    as_of: str
    source: str
    checked: str


@dataclass(frozen=True)
class Gpu:
    """An accelerator's peak rates, memory and rental price, with where they come from."""

    id: str
    name: str
    aliases: tuple[str, ...]
    bf16_dense_tflops: float | None
    fp8_dense_tflops: float | None
    fp16_dense_tflops: float | None
    memory_gb: float | None
    memory_bandwidth_tb_s: float | None
    source: str
    note: str
    prices: tuple[GpuPrice, ...]
    default_price_usd_per_gpu_hour: float | None
    default_price_note: str
    checked: str

    def peak_flops(self, precision: str) -> float | None:
        """Peak dense FLOP/s at `precision` (bf16 or fp8); V100-class GPUs fall back to FP16."""
        if precision == "fp8":
            tflops = self.fp8_dense_tflops
        else:
            tflops = self.bf16_dense_tflops or self.fp16_dense_tflops
        return None if tflops is None else tflops * TERA

    def price_source(self) -> str:
        """The source of the default price."""
        for price in self.prices:
            if price.usd_per_gpu_hour == self.default_price_usd_per_gpu_hour:
                return f"{price.provider} ({price.kind}, {price.as_of}): {price.source}"
        return ""

    def rental_price(self, kind: str = "on-demand") -> Sourced | None:
        """USD per GPU-hour of `kind` (on-demand or reserved) with its source: on demand, the
        catalog's default; reserved, the median of the reserved prices listed (the lower
        middle one for an even count). None when the catalog has none of that kind."""
        if kind == "on-demand":
            if self.default_price_usd_per_gpu_hour is None:
                return None
            return Sourced(
                self.default_price_usd_per_gpu_hour,
                f"{self.price_source()} — {self.default_price_note}",
            )
        rows = sorted((p for p in self.prices if p.kind == kind), key=lambda p: p.usd_per_gpu_hour)
        if not rows:
            return None
        chosen = rows[(len(rows) - 1) // 2]
        rule = (
            f"median of {len(rows)} {kind} prices listed"
            if len(rows) > 1
            else f"the only {kind} price listed"
        )
        return Sourced(
            chosen.usd_per_gpu_hour,
            f"{chosen.provider} ({chosen.kind}, {chosen.as_of}): {chosen.source} — {rule}",
        )


@dataclass(frozen=True)
class Sourced:
    """A default value and where it comes from."""

    value: float
    source: str


@dataclass(frozen=True)
class PublishedRun:
    """A published training run, to check the estimator against."""

    id: str
    name: str
    params: float
    active_params: float
    tokens: float
    gpu: str
    gpu_hours: float | None
    training_flops: float | None
    mfu_low: float | None
    mfu_high: float | None
    source: str


@dataclass(frozen=True)
class FinetunePrice:
    """A provider's fine-tuning price per 1M training tokens."""

    provider: str
    model: str
    aliases: tuple[str, ...]
    usd_per_1m_training_tokens: float
    start_date: dt.date | None
    source: str
    new_jobs_until: dt.date | None = None


@dataclass(frozen=True)
class HardwareCatalog:
    """GPUs, training defaults, published runs and fine-tuning prices."""

    gpus: dict[str, Gpu]
    mfu: Sourced
    goodput: Sourced
    failed_run_probability: Sourced
    failed_run_lost_share: Sourced
    runs: tuple[PublishedRun, ...]
    finetune: tuple[FinetunePrice, ...] = field(default=())

    def gpu(self, name: str) -> Gpu:
        """The GPU called `name` (an id or an alias, any case)."""
        key = name.strip().lower()
        for gpu in self.gpus.values():
            if key == gpu.id or key in gpu.aliases:
                return gpu
        names = [*self.gpus, *(a for g in self.gpus.values() for a in g.aliases)]
        close = difflib.get_close_matches(key, names, n=4, cutoff=0.4)
        ids = list(dict.fromkeys(self._id_of(n) for n in close))
        raise UnknownGpuError(name, ids)

    def _id_of(self, name: str) -> str:
        for gpu in self.gpus.values():
            if name == gpu.id or name in gpu.aliases:
                return gpu.id
        return name

    def finetune_price(self, provider: str, model: str, on: dt.date) -> FinetunePrice | None:
        """The fine-tuning price of `provider:model` in force on `on`, if the data has one."""
        model = model.lower()
        rows = [
            row
            for row in self.finetune
            if row.provider == provider.lower()
            and (model == row.model or model in row.aliases)
            and (row.start_date is None or row.start_date <= on)
        ]
        rows.sort(key=lambda row: row.start_date or dt.date.min)
        return rows[-1] if rows else None

    def finetune_refs(self) -> list[str]:
        """Every `provider:model` with a fine-tuning price."""
        return sorted({f"{row.provider}:{row.model}" for row in self.finetune})


def _float(value: Any) -> float | None:
    return None if value is None else float(value)


@cache
def load_hardware() -> HardwareCatalog:
    """The hardware catalog shipped with costline."""
    gpus = {}
    for gpu_id, row in read_data("gpus.yml")["gpus"].items():
        gpus[gpu_id] = Gpu(
            id=gpu_id,
            name=row["name"],
            aliases=tuple(a.lower() for a in row.get("aliases", [])),
            bf16_dense_tflops=_float(row.get("bf16_dense_tflops")),
            fp8_dense_tflops=_float(row.get("fp8_dense_tflops")),
            fp16_dense_tflops=_float(row.get("fp16_dense_tflops")),
            memory_gb=_float(row.get("memory_gb")),
            memory_bandwidth_tb_s=_float(row.get("memory_bandwidth_tb_s")),
            source=one_line(row["source"]),
            note=one_line(row.get("note")),
            prices=tuple(
                GpuPrice(
                    usd_per_gpu_hour=float(p["usd_per_gpu_hour"]),
                    provider=one_line(p["provider"]),
                    kind=p["kind"],
                    as_of=str(p["as_of"]),
                    source=one_line(p["source"]),
                    checked=str(p["checked"]),
                )
                for p in row.get("prices", [])
            ),
            default_price_usd_per_gpu_hour=_float(row.get("default_price_usd_per_gpu_hour")),
            default_price_note=one_line(row.get("default_price_note")),
            checked=str(row["checked"]),
        )
    runs_file = read_data("published_runs.yml")
    defaults = runs_file["defaults"]
    runs = tuple(
        PublishedRun(
            id=run["id"],
            name=run["name"],
            params=float(run["params"]),
            active_params=float(run["active_params"]),
            tokens=float(run["tokens"]),
            gpu=run["gpu"],
            gpu_hours=_float(run.get("gpu_hours")),
            training_flops=_float(run.get("training_flops")),
            mfu_low=_float((run.get("mfu") or {}).get("low")),
            mfu_high=_float((run.get("mfu") or {}).get("high")),
            source=one_line(run["source"]),
        )
        for run in runs_file["runs"]
    )
    finetune: tuple[FinetunePrice, ...] = ()
    try:
        rows = read_data("finetune_prices.yml")["prices"]
    except FileNotFoundError:
        rows = []
    finetune = tuple(
        FinetunePrice(
            provider=row["provider"].lower(),
            model=row["model"].lower(),
            aliases=tuple(a.lower() for a in row.get("aliases", [])),
            usd_per_1m_training_tokens=float(row["usd_per_1m_training_tokens"]),
            start_date=row.get("start_date"),
            source=one_line(row["source"]),
            new_jobs_until=row.get("new_jobs_until"),
        )
        for row in rows
    )
    return HardwareCatalog(
        gpus=gpus,
        mfu=Sourced(float(defaults["mfu_bf16_dense"]), one_line(defaults["mfu_bf16_dense_source"])),
        goodput=Sourced(float(defaults["goodput"]), one_line(defaults["goodput_source"])),
        failed_run_probability=Sourced(
            float(defaults["failed_run_probability"]),
            one_line(defaults["failed_run_probability_source"]),
        ),
        failed_run_lost_share=Sourced(
            float(defaults["failed_run_lost_share"]),
            one_line(defaults["failed_run_lost_share_source"]),
        ),
        runs=runs,
        finetune=finetune,
    )
