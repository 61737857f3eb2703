"""Training and fine-tuning CapEx from first principles, or from a provider's price.

    FLOPs          = 6 x active params x tokens x epochs          (Kaplan et al. 2020, s.2.1)
                     + 6 x layers x seq_len x d_model x tokens     (their attention term, optional)
                     LoRA: 4 instead of 6 (no weight gradients for the frozen weights)
    compute hours  = FLOPs / (peak dense FLOP/s x MFU x 3600)
    GPU-hours      = compute hours / goodput    (interruptions and restarts are paid for too)
    calendar days  = GPU-hours / (GPUs x 24)
    cost           = GPU-hours x USD per GPU-hour + data + evaluation + staff
    expected cost  = cost + failure probability x lost share x compute cost
    pessimistic    = cost + lost share x compute cost   (the run fails once)

Every default used comes from the hardware catalog with its source and is listed in
`assumptions`, so a reader can see which figures are theirs and which are costline's.
"""

from __future__ import annotations

import datetime as dt

from pydantic import BaseModel, ConfigDict

from costline.catalog.gpus import HardwareCatalog, Sourced
from costline.errors import InputError
from costline.scenario.models import ProviderFineTune, Scenario, TrainingSpec, parse_year_month

SECONDS_PER_HOUR = 3600
HOURS_PER_DAY = 24
TOKENS_PER_MTOK = 1_000_000
# Forward 2N + backward 4N FLOPs per token (Kaplan et al. 2020, "Scaling Laws for Neural
# Language Models", arXiv 2001.08361, s.2.1). With LoRA the frozen weights need no weight
# gradients, leaving forward 2N + activation gradients 2N (Hu et al. 2021, arXiv 2106.09685).
FLOPS_PER_PARAM_TOKEN = {"full": 6.0, "lora": 4.0}


class Assumption(BaseModel):
    """An input of the estimate, the value used and where it comes from."""

    model_config = ConfigDict(frozen=True, defer_build=True)

    name: str
    value: float | str
    source: str


class CostLine(BaseModel):
    """One line of a training bill (USD)."""

    model_config = ConfigDict(frozen=True, defer_build=True)

    name: str
    usd: float


class TrainingEstimate(BaseModel):
    """What a training or fine-tuning job costs; USD, FLOPs, hours, days."""

    model_config = ConfigDict(frozen=True, use_attribute_docstrings=True, defer_build=True)

    kind: str
    """pretraining, fine_tune (self-run on rented GPUs) or provider_fine_tune."""
    flops: float | None
    """Training FLOPs (None for a provider-billed job)."""
    compute_gpu_hours: float | None
    """GPU-hours of useful training: FLOPs / (peak x MFU)."""
    gpu_hours: float | None
    """GPU-hours paid for, interruptions and restarts included: compute / goodput."""
    gpus: int | None
    calendar_days: float | None
    """Wall-clock days on `gpus` GPUs (None when the GPU count is not given)."""
    lines: list[CostLine]
    """The bill: compute (or provider fee), data, evaluation, staff."""
    cost_usd: float
    """Sum of the lines: the run succeeds first time."""
    expected_cost_usd: float
    """Including the expected cost of a failed run."""
    pessimistic_cost_usd: float
    """If the run fails once."""
    assumptions: list[Assumption]
    """Every input and default used, with its source."""
    api_usd_per_month: float | None = None
    """The monthly API bill the trained model would replace (a what-if), if given."""
    months_of_api_spend: float | None = None
    """expected_cost_usd / api_usd_per_month: months of API spend the run costs up front."""


def compare_with_api(estimate: TrainingEstimate, api_usd_per_month: float) -> TrainingEstimate:
    """`estimate` with the months of an API bill (USD per month) its expected cost equals."""
    months = estimate.expected_cost_usd / api_usd_per_month if api_usd_per_month > 0 else None
    return estimate.model_copy(
        update={"api_usd_per_month": api_usd_per_month, "months_of_api_spend": months}
    )


def _pick(given: float | None, default: Sourced, name: str) -> Assumption:
    if given is not None:
        return Assumption(name=name, value=given, source="given")
    return Assumption(name=name, value=default.value, source=default.source)


def estimate_training(
    spec: TrainingSpec, hardware: HardwareCatalog, kind: str = "pretraining"
) -> TrainingEstimate:
    """Cost of training `spec` on rented GPUs (USD), from FLOPs, MFU and goodput."""
    gpu = hardware.gpu(spec.gpu)
    peak = gpu.peak_flops(spec.precision)
    if peak is None:
        if spec.precision == "fp8":
            raise InputError(f"GPU {gpu.id!r} has no FP8 peak in the catalog", "precision")
        raise InputError(
            f"GPU {gpu.id!r} has no sourced BF16 or FP16 peak in the catalog "
            "(its note in `costline gpus --format json` says why)",
            "gpu",
        )
    if spec.precision == "fp8" and spec.mfu is None:
        # The MFU default is a BF16 figure; no source gives an FP8 one (DeepSeek-V3's
        # FP8 run implies about 17% of the FP8 peak), so the user must choose.
        raise InputError(
            "FP8 training needs an MFU: the default (0.40) is measured against the BF16 "
            "peak and no published FP8 MFU was found; give one (DeepSeek-V3 implies ~0.17)",
            "mfu",
        )
    active = spec.active_params or spec.params
    per_token = FLOPS_PER_PARAM_TOKEN[spec.method] * active
    if spec.seq_len is not None and spec.layers is not None and spec.d_model is not None:
        per_token += 6.0 * spec.layers * spec.seq_len * spec.d_model
    tokens = spec.tokens * spec.epochs
    flops = per_token * tokens

    mfu = _pick(spec.mfu, hardware.mfu, "mfu")
    goodput = _pick(spec.goodput, hardware.goodput, "goodput")
    if spec.usd_per_gpu_hour is not None:
        price = Assumption(name="usd_per_gpu_hour", value=spec.usd_per_gpu_hour, source="given")
    elif gpu.default_price_usd_per_gpu_hour is not None:
        price = Assumption(
            name="usd_per_gpu_hour",
            value=gpu.default_price_usd_per_gpu_hour,
            source=f"{gpu.price_source()} — {gpu.default_price_note}",
        )
    else:
        raise InputError(
            f"GPU {gpu.id!r} has no price in the catalog; give a price per GPU-hour",
            "usd_per_gpu_hour",
        )
    failure = _pick(
        spec.failure_probability, hardware.failed_run_probability, "failure_probability"
    )
    lost = _pick(spec.failure_lost_share, hardware.failed_run_lost_share, "failure_lost_share")

    compute_hours = flops / (peak * float(mfu.value) * SECONDS_PER_HOUR)
    gpu_hours = compute_hours / float(goodput.value)
    compute_usd = gpu_hours * float(price.value)
    lines = [CostLine(name="compute", usd=compute_usd)]
    for name, usd in (
        ("data", spec.data_usd),
        ("evaluation", spec.eval_usd),
        ("staff", spec.staff_usd),
    ):
        if usd:
            lines.append(CostLine(name=name, usd=usd))
    cost = sum(line.usd for line in lines)
    at_risk = float(lost.value) * compute_usd
    assumptions = [
        Assumption(
            name="flops_formula",
            value=f"{FLOPS_PER_PARAM_TOKEN[spec.method]:g} x "
            "active params x tokens" + (" + attention" if spec.seq_len else ""),
            source="Kaplan et al. 2020, arXiv 2001.08361, s.2.1"
            + ("; LoRA: Hu et al. 2021, arXiv 2106.09685" if spec.method == "lora" else ""),
        ),
        Assumption(name="gpu", value=gpu.id, source=gpu.source),
        Assumption(
            name=f"peak_{spec.precision}_dense_flops",
            value=peak,
            source=f"catalog entry {gpu.id!r} (source above)",
        ),
        mfu,
        goodput,
        price,
        failure,
        lost,
    ]
    return TrainingEstimate(
        kind=kind,
        flops=flops,
        compute_gpu_hours=compute_hours,
        gpu_hours=gpu_hours,
        gpus=spec.gpus,
        calendar_days=None if spec.gpus is None else gpu_hours / (spec.gpus * HOURS_PER_DAY),
        lines=lines,
        cost_usd=cost,
        expected_cost_usd=cost + float(failure.value) * at_risk,
        pessimistic_cost_usd=cost + at_risk,
        assumptions=assumptions,
    )


def estimate_provider_finetune(
    job: ProviderFineTune, hardware: HardwareCatalog, on: dt.date
) -> TrainingEstimate:
    """Cost of a provider-run fine-tuning job (USD): training tokens x epochs x price."""
    if job.usd_per_1m_training_tokens is not None:
        price = Assumption(
            name="usd_per_1m_training_tokens",
            value=job.usd_per_1m_training_tokens,
            source="given",
        )
    else:
        row = hardware.finetune_price(job.provider, job.model, on)
        if row is None:
            known = ", ".join(hardware.finetune_refs()) or "none"
            raise InputError(
                f"no fine-tuning price for {job.provider}:{job.model} on {on} in the catalog "
                f"(known: {known}); give a price per 1M training tokens",
                "model",
            )
        if row.new_jobs_until is not None and on >= row.new_jobs_until:
            raise InputError(
                f"{job.provider}:{job.model} takes no new fine-tuning jobs from "
                f"{row.new_jobs_until} (catalog: finetune_prices.yml); price a job dated before "
                "then, or give a price per 1M training tokens for another offer",
                "model",
            )
        price = Assumption(
            name="usd_per_1m_training_tokens",
            value=row.usd_per_1m_training_tokens,
            source=row.source,
        )
    fee = job.tokens * job.epochs * float(price.value) / TOKENS_PER_MTOK
    failure = _pick(job.failure_probability, hardware.failed_run_probability, "failure_probability")
    lost = _pick(job.failure_lost_share, hardware.failed_run_lost_share, "failure_lost_share")
    at_risk = float(lost.value) * fee
    return TrainingEstimate(
        kind="provider_fine_tune",
        flops=None,
        compute_gpu_hours=None,
        gpu_hours=None,
        gpus=None,
        calendar_days=None,
        lines=[CostLine(name="provider fine-tuning fee", usd=fee)],
        cost_usd=fee,
        expected_cost_usd=fee + float(failure.value) * at_risk,
        pessimistic_cost_usd=fee + at_risk,
        assumptions=[
            Assumption(name="model", value=f"{job.provider}:{job.model}", source="given"),
            price,
            failure,
            lost,
        ],
    )


def one_time_estimates(
    scenario: Scenario, hardware: HardwareCatalog | None
) -> list[TrainingEstimate | None]:
    """The estimate behind each one-time row (None where the row gives its amount)."""
    out: list[TrainingEstimate | None] = []
    for i, row in enumerate(scenario.one_time):
        if row.amount_usd is not None:
            out.append(None)
            continue
        if hardware is None:
            raise InputError(f"one_time[{i}]: a training row needs the hardware catalog")
        on = parse_year_month(row.month) if row.month else scenario.start_date
        try:
            if row.fine_tune is not None:
                out.append(estimate_provider_finetune(row.fine_tune, hardware, on))
            else:
                assert row.training is not None
                kind = "pretraining" if row.kind == "training" else "fine_tune"
                out.append(estimate_training(row.training, hardware, kind))
        except InputError as err:
            part = "fine_tune" if row.fine_tune is not None else "training"
            where = f"one_time[{i}].{part}" + (f".{err.field}" if err.field else "")
            raise InputError(f"{where}: {err}") from None
    return out
