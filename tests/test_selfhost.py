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
    p = point(model="llama-3.1-8b", gpu="h100-sxm", tp=1, input_tokens=1000, output_tokens=1000)
    weights = model.params * 2
    kv = 2 * model.layers * model.kv_heads * model.head_dim * 2  # K and V, bf16
    usable = gpu.memory_gb * 1e9 * MODELS.defaults.gpu_memory_utilization.value
    assert p.weights_gb == pytest.approx(weights / 1e9)
    assert p.kv_bytes_per_token == kv
    assert p.max_batch == int((usable - weights) // (kv * 2000))


def test_batch_one_decode_is_the_weights_over_the_bandwidth():
    model = MODELS.model("llama-3.1-8b")
    gpu = HARDWARE.gpu("h100-sxm")
    p = point(
        model="llama-3.1-8b", gpu="h100-sxm", tp=1, batch=1, input_tokens=100, output_tokens=100
    )
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


def test_kv_entries_held_by_several_gpus_are_counted_once_per_gpu():
    # An MLA latent is kept whole by every GPU of the replica.
    deepseek = point(model="deepseek-v3", gpu="h200", tp=8, dtype="fp8")
    assert deepseek.kv_copies == 8
    assert deepseek.kv_bytes_per_token == MODELS.model("deepseek-v3").kv_bytes_per_token(2) * 8
    # Llama 3.1 8B has 8 KV heads: 4 GPUs hold 2 heads each, 16 GPUs hold each head twice.
    llama = MODELS.model("llama-3.1-8b")
    four = point(model="llama-3.1-8b", gpu="h100-sxm", tp=4)
    sixteen = point(model="llama-3.1-8b", gpu="h100-sxm", tp=16)
    assert four.kv_copies == 1 and four.kv_bytes_per_token == llama.kv_bytes_per_token(2)
    assert sixteen.kv_copies == 2
    assert sixteen.kv_bytes_per_token == 2 * llama.kv_bytes_per_token(2)


def test_a_mixture_of_experts_reads_only_the_experts_its_batch_is_routed_to():
    mixtral = MODELS.model("mixtral-8x7b")
    gpu = HARDWARE.gpu("h100-sxm")
    bandwidth = 2 * gpu.memory_bandwidth_tb_s * 1e12
    kv = mixtral.kv_bytes_per_token(2) * 150  # mean context 100 + 100 / 2
    one = point(
        model="mixtral-8x7b", gpu="h100-sxm", tp=2, batch=1, input_tokens=100, output_tokens=100
    )
    # One token uses 2 of 8 experts: exactly the active parameters are read.
    assert one.tpot_s == pytest.approx((mixtral.active_params * 2 + kv) / bandwidth)
    # Two tokens touch 8 x (1 - (6/8)^2) = 3.5 experts on average; an expert is
    # (params - active) / (8 - 2) parameters and the shared part active - 2 experts.
    expert = (mixtral.params - mixtral.active_params) / 6
    shared = mixtral.active_params - 2 * expert
    two = point(
        model="mixtral-8x7b", gpu="h100-sxm", tp=2, batch=2, input_tokens=100, output_tokens=100
    )
    assert two.tpot_s == pytest.approx(((shared + 3.5 * expert) * 2 + 2 * kv) / bandwidth)
    # A large batch touches every expert: all the weights.
    many = 8 * (1 - (6 / 8) ** 64)
    big = point(
        model="mixtral-8x7b", gpu="h100-sxm", tp=2, batch=64, input_tokens=100, output_tokens=100
    )
    assert big.decode_bound == "memory"
    assert big.tpot_s == pytest.approx(((shared + many * expert) * 2 + 64 * kv) / bandwidth)


def test_without_tp_the_smallest_roomy_split_is_taken_and_the_others_priced():
    # 70B in bf16 is 141 GB: 2 H100s hold it with 3 GB to spare, 4 leave half for the cache.
    p = point(model="llama-3.1-70b", gpu="h100-sxm")
    assert p.tp == 4
    assert p.weights_gb <= 0.5 * p.usable_memory_gb
    why = p.assumptions[0]
    assert why.name == "tp" and "tp 2:" in why.source and "tp 8:" in why.source
    assert point(model="llama-3.1-8b", gpu="h100-sxm").tp == 1
    # 405B in fp8 never leaves half the memory on one server: the smallest split that fits.
    assert point(model="llama-3.1-405b", gpu="h100-sxm", dtype="fp8").tp == 8


def test_the_p95_request_latency_uses_its_own_prompt_at_the_batch_pace():
    from costline.engine.selfhost import request_latency_s

    spec = SelfHostSpec(model="llama-3.1-8b", gpu="h100-sxm", tp=1, batch=32)
    p = serve(spec, MODELS.model(spec.model), HARDWARE.gpu(spec.gpu), MODELS.defaults)
    args = (spec, p, MODELS.model(spec.model), HARDWARE.gpu(spec.gpu), MODELS.defaults)
    # The spec's own request gives the serving point's latency.
    assert request_latency_s(*args, 1000, 250) == pytest.approx(p.request_latency_s)
    # A longer answer adds decode steps at the batch's pace (and its first step reads
    # 500 more tokens of its own KV cache: mean context 1000 + 1250 / 2).
    model, gpu = MODELS.model("llama-3.1-8b"), HARDWARE.gpu("h100-sxm")
    more_kv = model.kv_bytes_per_token(2) * 500 / (gpu.memory_bandwidth_tb_s * 1e12)
    assert request_latency_s(*args, 1000, 1250) == pytest.approx(
        p.request_latency_s + 1000 * p.tpot_s + more_kv
    )
    # A longer prompt: its own prefill (linear and attention FLOPs) and first step.
    flops = 2 * model.active_params * 4000 + 2 * model.layers * 32 * 128 * 4000**2
    prefill = flops / (gpu.bf16_dense_tflops * 1e12 * 0.4)
    first = (model.params * 2 + model.kv_bytes_per_token(2) * 4125) / (
        gpu.memory_bandwidth_tb_s * 1e12
    )
    assert request_latency_s(*args, 4000, 250) == pytest.approx(prefill + first + 250 * p.tpot_s)


def test_a_reserved_price_is_the_catalog_median_of_reserved_prices():
    for gpu in HARDWARE.gpus.values():
        reserved = sorted(x.usd_per_gpu_hour for x in gpu.prices if x.kind == "reserved")
        price = gpu.rental_price("reserved")
        if not reserved:
            assert price is None
            if gpu.memory_gb and gpu.bf16_dense_tflops and gpu.memory_bandwidth_tb_s:
                with pytest.raises(InputError, match="no reserved price"):
                    point(model="llama-3.1-8b", gpu=gpu.id, tp=8, price="reserved")
            continue
        assert price is not None and price.value == reserved[(len(reserved) - 1) // 2]
        if gpu.memory_gb and gpu.bf16_dense_tflops and gpu.memory_bandwidth_tb_s:
            p = point(model="llama-3.1-8b", gpu=gpu.id, tp=8, price="reserved")
            assert p.replica_usd_per_hour == pytest.approx(8 * price.value)


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
        ({"model": "llama-3.1-70b", "gpu": "h100-sxm", "tp": 1}, "a tp of 2 or more"),
        ({"model": "llama-3.1-8b", "gpu": "l4", "tp": 1, "context": 131072}, "not one sequence"),
        ({"model": "llama-3.1-70b", "gpu": "h100-sxm", "tp": 3}, "64 attention heads"),
        ({"model": "llama-3.1-70b", "gpu": "h100-sxm", "tp": 3}, "next split that works is 4"),
        ({"model": "llama-3.1-8b", "gpu": "h100-sxm", "context": 1000}, "shorter than"),
        ({"model": "llama-3.1-8b", "gpu": "h100-sxm", "input_tokens": 200000}, "context"),
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


def test_the_readme_table_shows_what_the_model_predicts_today():
    # The README's comparison must move with the model: a changed prediction fails here
    # until the table (and its "N of M within 30%" count) is regenerated.
    readme = (ROOT / "README.md").read_text()
    rows = {
        (cells[0].strip("` "), cells[4].strip()): cells
        for line in readme.splitlines()
        if line.startswith("| `") and len(cells := line.split("|")[1:-1]) == 8
    }
    within = total = 0
    for bench in MODELS.benchmarks:
        for c in compare_benchmark(bench, MODELS, HARDWARE):
            cells = rows[bench.id, c.metric]
            if c.predicted is None:
                assert cells[6].strip() == "-"
                continue
            total += 1
            within += 0.7 <= c.ratio <= 1.3
            assert cells[6].strip() == f"{c.predicted:,.1f}", (bench.id, c.metric)
    assert f"{within} of {total} predictions are within 30%" in readme


def test_every_open_model_and_benchmark_has_a_source_and_a_date():
    import yaml

    data = ROOT / "costline" / "catalog" / "data"
    for name, key in (("open_models.yml", "models"), ("inference_benchmarks.yml", "points")):
        rows = yaml.safe_load((data / name).read_text())[key]
        items = rows.values() if isinstance(rows, dict) else rows
        for row in items:
            assert row["source"] and row["checked"]


def test_every_dense_open_models_params_follow_from_its_shapes():
    """An independent check of the data file: a dense transformer's parameters are its
    embeddings, its layers' attention and MLP matrices (tied or untied output head); the
    published or derived count must agree within 3%."""
    from costline.catalog._data import read_data

    checked = []
    for model_id, m in read_data("open_models.yml")["models"].items():
        if m.get("routed_experts") or m["attention"] not in ("gqa", "mha"):
            continue
        h, hd = m["hidden_size"], m["head_dim"]
        attention = h * hd * (2 * m["attention_heads"] + 2 * m["kv_heads"])
        mlp = 3 * h * m["intermediate_size"]
        body = m["layers"] * (attention + mlp)
        embed = m["vocab_size"] * h
        counts = (body + embed, body + 2 * embed)  # tied, untied output head
        assert min(abs(float(m["params"]) / c - 1) for c in counts) < 0.03, model_id
        checked.append(model_id)
    assert {"qwen3-8b", "qwen3-32b", "gemma-3-27b", "llama-3.1-70b"} <= set(checked)


def test_models_open_lists_every_open_model(tmp_path):
    import json

    from typer.testing import CliRunner

    from costline.catalog.open_models import load_open_models
    from costline.cli import app

    done = CliRunner().invoke(app, ["models", "--open", "--format", "json"])
    assert done.exit_code == 0, done.output
    listed = [m["id"] for m in json.loads(done.output)]
    assert sorted(listed) == sorted(load_open_models().models)
    params = [m["params"] for m in json.loads(done.output)]
    assert params == sorted(params, reverse=True)
    assert {"llama-4-maverick", "qwen3-235b-a22b", "gpt-oss-120b", "deepseek-r1"} <= set(listed)
