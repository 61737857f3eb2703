"""The self-hosting roofline: memory and speed by hand, refusals, and published benchmarks
(kept with their sources in costline/catalog/data/inference_benchmarks.yml)."""

from __future__ import annotations

import pytest

from costline.catalog.gpus import load_hardware
from costline.catalog.open_models import UnknownOpenModelError, load_open_models
from costline.engine.selfhost import compare_benchmark, serve
from costline.errors import InputError
from costline.scenario.selfhost import SelfHostSpec

from .conftest import ROOT

MODELS = load_open_models()
HARDWARE = load_hardware()


def point(**kwargs):
    spec = SelfHostSpec(**kwargs)
    return serve(spec, MODELS.model(spec.model), HARDWARE.gpu(spec.gpu), MODELS.defaults)


def test_memory_and_batch_by_hand():
    model = MODELS.model("llama-3.1-8b")
    gpu = HARDWARE.gpu("h100-sxm")
    p = point(model="llama-3.1-8b", gpu="h100-sxm", input_tokens=1000, output_tokens=1000)
    weights = model.params * 2
    kv = 2 * model.layers * model.kv_heads * model.head_dim * 2  # K and V, bf16
    usable = gpu.memory_gb * 1e9 * MODELS.defaults.gpu_memory_utilization.value
    assert p.weights_gb == pytest.approx(weights / 1e9)
    assert p.kv_bytes_per_token == kv
    assert p.max_batch == int((usable - weights) // (kv * 2000))


def test_batch_one_decode_is_the_weights_over_the_bandwidth():
    model = MODELS.model("llama-3.1-8b")
    gpu = HARDWARE.gpu("h100-sxm")
    p = point(model="llama-3.1-8b", gpu="h100-sxm", batch=1, input_tokens=100, output_tokens=100)
    read = model.params * 2 + model.kv_bytes_per_token(2) * 150  # mean context 100 + 100/2
    bound = read / (
        gpu.memory_bandwidth_tb_s * 1e12 * MODELS.defaults.memory_bandwidth_efficiency.value
    )
    assert p.decode_bound == "memory"
    assert p.tpot_s == pytest.approx(bound)
    assert p.decode_tokens_per_s == pytest.approx(1 / bound)


def test_prices_per_million_tokens_by_hand():
    p = point(model="llama-3.1-8b", gpu="h100-sxm", utilisation=0.5, usd_per_gpu_hour=2.0)
    per_second = 2.0 / 3600
    assert p.usd_per_1m_output_tokens == pytest.approx(
        per_second * 1e6 / p.decode_tokens_per_s / 0.5
    )
    assert p.usd_per_1m_input_tokens == pytest.approx(
        per_second * 1e6 / p.prefill_tokens_per_s / 0.5
    )


def test_mla_kv_cache_is_compressed():
    deepseek = MODELS.model("deepseek-v3")
    assert deepseek.kv_bytes_per_token(2) == deepseek.layers * (512 + 64) * 2


def test_more_batch_never_lowers_throughput_and_fp8_halves_the_weights():
    small = point(model="llama-3.1-8b", gpu="h100-sxm", batch=4)
    large = point(model="llama-3.1-8b", gpu="h100-sxm", batch=64)
    assert large.decode_tokens_per_s > small.decode_tokens_per_s
    assert large.tpot_s >= small.tpot_s
    fp8 = point(model="llama-3.1-8b", gpu="h100-sxm", dtype="fp8")
    assert fp8.weights_gb == pytest.approx(small.weights_gb / 2)


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"model": "llama-3.1-70b", "gpu": "h100-sxm"}, "does not fit"),
        ({"model": "llama-3.1-8b", "gpu": "l4", "context": 131072}, "not one sequence"),
        ({"model": "llama-3.1-8b", "gpu": "h100-sxm", "batch": 100000}, "does not fit"),
        ({"model": "llama-3.1-8b", "gpu": "a10g"}, "lacks a sourced"),
    ],
)
def test_configurations_that_do_not_fit_are_refused_with_the_reason(kwargs, message):
    with pytest.raises(InputError, match=message):
        point(**kwargs)


def test_unknown_models_list_close_matches():
    with pytest.raises(UnknownOpenModelError) as info:
        MODELS.model("llama-3.1-7b")
    assert "llama-3.1-8b" in info.value.suggestions


def test_every_benchmark_with_token_lengths_gets_a_prediction():
    for bench in MODELS.benchmarks:
        for comparison in compare_benchmark(bench, MODELS, HARDWARE):
            if bench.input_tokens is not None and comparison.metric != "ttft_ms":
                assert comparison.predicted is not None, bench.id


def test_the_roofline_never_beats_a_measured_single_sequence_latency():
    # At batch 1 the roofline is a floor: no engine reads the weights faster than the
    # bandwidth allows.
    found = 0
    for bench in MODELS.benchmarks:
        if (bench.batch or 1) != 1:
            continue
        for c in compare_benchmark(bench, MODELS, HARDWARE):
            if c.metric == "itl_ms":
                found += 1
                assert c.predicted <= c.measured, bench.id
    assert found >= 2


def test_the_readme_reports_every_benchmark_point():
    readme = (ROOT / "README.md").read_text()
    for bench in MODELS.benchmarks:
        assert bench.id in readme, bench.id


def test_every_open_model_and_benchmark_has_a_source_and_a_date():
    import yaml

    data = ROOT / "costline" / "catalog" / "data"
    for name, key in (("open_models.yml", "models"), ("inference_benchmarks.yml", "points")):
        rows = yaml.safe_load((data / name).read_text())[key]
        items = rows.values() if isinstance(rows, dict) else rows
        for row in items:
            assert row["source"] and row["checked"]
