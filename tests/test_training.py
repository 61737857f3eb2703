"""The training estimator: hand-worked arithmetic, and agreement with published runs kept
in costline/catalog/data/published_runs.yml (with their sources)."""

from __future__ import annotations

import pytest

from costline.catalog.gpus import UnknownGpuError, load_hardware
from costline.engine.training import estimate_provider_finetune, estimate_training
from costline.errors import InputError
from costline.scenario.models import ProviderFineTune, TrainingSpec

HARDWARE = load_hardware()
RUNS = {run.id: run for run in HARDWARE.runs}


def test_pretraining_by_hand():
    spec = TrainingSpec(
        params=1e9,
        tokens=1e10,
        gpu="a100-80gb",
        gpus=8,
        mfu=0.5,
        goodput=0.8,
        usd_per_gpu_hour=2.0,
        failure_probability=0.2,
        failure_lost_share=0.5,
        data_usd=1000,
    )
    estimate = estimate_training(spec, HARDWARE)
    flops = 6 * 1e9 * 1e10
    peak = HARDWARE.gpu("a100-80gb").bf16_dense_tflops * 1e12
    compute_hours = flops / (peak * 0.5 * 3600)
    paid_hours = compute_hours / 0.8
    compute_usd = paid_hours * 2.0
    assert estimate.flops == pytest.approx(flops)
    assert estimate.compute_gpu_hours == pytest.approx(compute_hours)
    assert estimate.gpu_hours == pytest.approx(paid_hours)
    assert estimate.calendar_days == pytest.approx(paid_hours / (8 * 24))
    assert estimate.cost_usd == pytest.approx(compute_usd + 1000)
    assert estimate.expected_cost_usd == pytest.approx(compute_usd + 1000 + 0.2 * 0.5 * compute_usd)
    assert estimate.pessimistic_cost_usd == pytest.approx(compute_usd + 1000 + 0.5 * compute_usd)


def test_moe_uses_active_parameters_lora_uses_four_and_fp8_the_fp8_peak():
    dense = estimate_training(TrainingSpec(params=100e9, tokens=1e9, gpu="h100-sxm"), HARDWARE)
    moe = estimate_training(
        TrainingSpec(params=100e9, active_params=10e9, tokens=1e9, gpu="h100-sxm"), HARDWARE
    )
    lora = estimate_training(
        TrainingSpec(params=100e9, tokens=1e9, gpu="h100-sxm", method="lora"), HARDWARE
    )
    fp8 = estimate_training(
        TrainingSpec(params=100e9, tokens=1e9, gpu="h100-sxm", precision="fp8", mfu=0.4), HARDWARE
    )
    assert moe.flops == pytest.approx(dense.flops / 10)
    assert lora.flops == pytest.approx(dense.flops * 4 / 6)
    gpu = HARDWARE.gpu("h100-sxm")
    ratio = gpu.fp8_dense_tflops / gpu.bf16_dense_tflops
    assert fp8.gpu_hours == pytest.approx(dense.gpu_hours / ratio)


def test_the_attention_term_adds_six_layers_context_width_per_token():
    base = TrainingSpec(params=1e9, tokens=1e9, gpu="h100-sxm")
    with_attention = base.model_copy(update={"seq_len": 4096, "layers": 24, "d_model": 2048})
    extra = (
        estimate_training(with_attention, HARDWARE).flops - estimate_training(base, HARDWARE).flops
    )
    assert extra == pytest.approx(6 * 24 * 4096 * 2048 * 1e9)


def test_defaults_are_reported_with_their_sources():
    estimate = estimate_training(TrainingSpec(params=7e9, tokens=1e12, gpu="h100"), HARDWARE)
    used = {a.name: a for a in estimate.assumptions}
    assert used["mfu"].value == HARDWARE.mfu.value and "arXiv" in used["mfu"].source
    assert used["goodput"].value == HARDWARE.goodput.value
    assert "assumption" in used["failure_probability"].source
    assert used["usd_per_gpu_hour"].value == HARDWARE.gpu("h100").default_price_usd_per_gpu_hour


def test_gpt3_training_flops_match_the_paper():
    run = RUNS["gpt3-175b"]
    estimate = estimate_training(
        TrainingSpec(params=run.params, tokens=run.tokens, gpu=run.gpu), HARDWARE
    )
    assert estimate.flops == pytest.approx(run.training_flops, rel=0.01)


@pytest.mark.parametrize("run_id", ["llama2-7b", "llama2-13b", "llama2-70b", "deepseek-v3"])
def test_published_gpu_hours_with_costline_defaults_within_35_percent(run_id):
    run = RUNS[run_id]
    estimate = estimate_training(
        TrainingSpec(
            params=run.params, active_params=run.active_params, tokens=run.tokens, gpu=run.gpu
        ),
        HARDWARE,
    )
    assert estimate.gpu_hours == pytest.approx(run.gpu_hours, rel=0.35)


def test_published_gpu_hours_with_the_runs_own_mfu_within_10_percent():
    runs = [run for run in HARDWARE.runs if run.mfu_low is not None and run.gpu_hours]
    assert runs, "the data file has runs that report their own MFU"
    for run in runs:
        mfu = (run.mfu_low + run.mfu_high) / 2
        estimate = estimate_training(
            TrainingSpec(
                params=run.params,
                active_params=run.active_params,
                tokens=run.tokens,
                gpu=run.gpu,
                mfu=mfu,
            ),
            HARDWARE,
        )
        assert estimate.gpu_hours == pytest.approx(run.gpu_hours, rel=0.10), run.id


def test_provider_finetune_is_tokens_times_epochs_times_price():
    job = ProviderFineTune(
        provider="openai",
        model="gpt-4o-mini",
        tokens=5e6,
        epochs=3,
        usd_per_1m_training_tokens=3.0,
        failure_probability=0.0,
    )
    import datetime as dt

    estimate = estimate_provider_finetune(job, HARDWARE, dt.date(2026, 11, 1))
    assert estimate.cost_usd == pytest.approx(5 * 3 * 3.0)
    assert estimate.expected_cost_usd == pytest.approx(estimate.cost_usd)


def test_unknown_gpu_lists_close_matches():
    with pytest.raises(UnknownGpuError) as info:
        HARDWARE.gpu("h100x")
    assert "h100-sxm" in info.value.suggestions


def test_a_gpu_without_a_sourced_peak_is_refused():
    with pytest.raises(InputError, match="no sourced"):
        estimate_training(TrainingSpec(params=1e9, tokens=1e9, gpu="a10g"), HARDWARE)
    with pytest.raises(InputError, match="FP8"):
        estimate_training(
            TrainingSpec(params=1e9, tokens=1e9, gpu="a100-80gb", precision="fp8"), HARDWARE
        )


def test_fp8_training_needs_an_mfu_because_no_fp8_default_is_sourced():
    with pytest.raises(InputError, match="FP8 training needs an MFU") as info:
        estimate_training(
            TrainingSpec(params=1e9, tokens=1e9, gpu="h100-sxm", precision="fp8"), HARDWARE
        )
    assert info.value.field == "mfu"


def test_every_gpu_and_run_has_a_source_and_a_date():
    import yaml

    from .conftest import ROOT

    data = ROOT / "costline" / "catalog" / "data"
    gpus = yaml.safe_load((data / "gpus.yml").read_text())["gpus"]
    for gpu_id, gpu in gpus.items():
        assert gpu["source"] and gpu["checked"], gpu_id
        for price in gpu.get("prices", []):
            assert price["source"] and price["checked"], gpu_id
        if "default_price_usd_per_gpu_hour" in gpu:
            assert gpu["default_price_usd_per_gpu_hour"] in [
                p["usd_per_gpu_hour"] for p in gpu["prices"]
            ], gpu_id
    runs = yaml.safe_load((data / "published_runs.yml").read_text())["runs"]
    for run in runs:
        assert run["source"] and run["checked"] and run["gpu"] in gpus, run["id"]


SCENARIO_WITH_TRAINING = """
start: 2027-01
horizon_months: 12
users: {start: 1000}
plans: [{name: pro, price_usd_per_month: 30, share: 1}]
features:
  - name: ask
    trigger: {queries_per_month: 100}
    usage: {input_tokens: 1000, output_tokens: 100}
    model: {name: m, input_usd_per_mtok: 1, output_usd_per_mtok: 4}
one_time:
  - name: LoRA on an 8B model
    kind: fine_tune
    amortise_months: 6
    training: {params: 8e9, tokens: 5e7, epochs: 3, method: lora, gpu: h100-sxm, gpus: 8,
               mfu: 0.3, goodput: 1, usd_per_gpu_hour: 3, failure_probability: 0}
  - {name: evals, amount_usd: 600, amortise_months: 6}
"""


def test_a_training_row_in_a_scenario_is_estimated_amortised_and_priced_per_query():
    from costline.api import Costline
    from costline.scenario.load import parse_scenario

    scenario = parse_scenario(SCENARIO_WITH_TRAINING, "yaml")
    result = Costline(as_of="2027-01-01").run(scenario)
    peak = HARDWARE.gpu("h100-sxm").bf16_dense_tflops * 1e12
    lora_usd = 4 * 8e9 * 5e7 * 3 / (peak * 0.3 * 3600) * 3.0
    lora = result.one_time[0]
    assert lora.estimate is not None and lora.estimate.kind == "fine_tune"
    assert lora.amount_usd == pytest.approx(lora_usd)
    assert lora.usd_per_month == pytest.approx(lora_usd / 6)
    queries = 1000 * 100
    assert lora.usd_per_query == pytest.approx(lora_usd / 6 / queries)
    inference = queries * (1000 * 1 + 100 * 4) / 1e6
    assert lora.months_of_inference_spend == pytest.approx(lora_usd / inference)
    assert result.timeline[0].amortised_one_time_usd == pytest.approx(lora_usd / 6 + 100)
    assert result.timeline[6].amortised_one_time_usd == 0


def test_a_training_row_with_an_unknown_gpu_names_the_row(tmp_path):
    from typer.testing import CliRunner

    from costline.cli import app

    path = tmp_path / "s.yaml"
    path.write_text(SCENARIO_WITH_TRAINING.replace("gpu: h100-sxm", "gpu: h100x"))
    result = CliRunner().invoke(app, ["run", str(path)], catch_exceptions=False)
    assert result.exit_code == 2
    assert "one_time[0].training" in result.output and "h100-sxm" in result.output
    assert str(path) in result.output


def test_the_api_what_if_divides_expected_cost_by_the_monthly_bill():
    from costline.engine.training import compare_with_api

    estimate = estimate_training(TrainingSpec(params=7e9, tokens=2e12, gpu="h100-sxm"), HARDWARE)
    compared = compare_with_api(estimate, 40_000)
    assert compared.months_of_api_spend == pytest.approx(estimate.expected_cost_usd / 40_000)


def test_provider_finetune_prices_come_from_the_catalog_by_alias_and_date():
    import datetime as dt

    row = HARDWARE.finetune_price("openai", "gpt-4o-mini", dt.date(2026, 1, 1))
    assert row is not None and row.usd_per_1m_training_tokens > 0
    job = ProviderFineTune(provider="openai", model="gpt-4o-mini", tokens=5e6, epochs=3)
    estimate = estimate_provider_finetune(job, HARDWARE, dt.date(2026, 1, 1))
    assert estimate.cost_usd == pytest.approx(5 * 3 * row.usd_per_1m_training_tokens)
    assert any(a.source == row.source for a in estimate.assumptions)


def test_a_job_after_the_provider_stops_taking_them_is_refused():
    import datetime as dt

    row = HARDWARE.finetune_price("openai", "gpt-4o-mini", dt.date(2026, 1, 1))
    assert row.new_jobs_until is not None
    job = ProviderFineTune(provider="openai", model="gpt-4o-mini", tokens=5e6)
    with pytest.raises(InputError, match="no new fine-tuning jobs"):
        estimate_provider_finetune(job, HARDWARE, row.new_jobs_until)


def test_an_unknown_finetune_model_lists_the_known_ones():
    import datetime as dt

    job = ProviderFineTune(provider="openai", model="gpt-9", tokens=5e6)
    with pytest.raises(InputError, match="openai:gpt-4o-mini"):
        estimate_provider_finetune(job, HARDWARE, dt.date(2026, 1, 1))
