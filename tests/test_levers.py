"""Cost levers: each alone against hand arithmetic, the waterfall's bookkeeping, and
invariants (no free lever raises cost; the waterfall ends where a run with every lever
does)."""

from __future__ import annotations

import json
import math

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

from costline.catalog.levers import load_lever_defaults
from costline.catalog.prices import PriceCatalog
from costline.cli import app
from costline.engine.levers import prompt_cache_write_share
from costline.engine.waterfall import lever_waterfall, with_levers
from costline.scenario.load import parse_scenario

from .conftest import AS_OF, EXAMPLES, LIBRARY

CATALOG = PriceCatalog()
LEVERS = load_lever_defaults()
SAMPLES = 20_000

# One call of 1,000 input and 500 output tokens at $1 / $2 per 1M (cache reads $0.10):
# $0.001 + $0.001 = $0.002 a query. 10,000 users, 10 queries each a month.
BASE = """
name: levers by hand
start: 2027-01
horizon_months: 12
users: {start: 10000}
plans: [{name: pro, price_usd_per_month: 1, share: 1}]
features:
  - name: chat
    trigger: {queries_per_month: 10}
    usage: {input_tokens: 1000, output_tokens: 500}
    model: {name: big, input_usd_per_mtok: 1, output_usd_per_mtok: 2,
            cached_input_usd_per_mtok: 0.1, follows_price_trajectory: false}
"""
CHEAP = (
    "{name: small, input_usd_per_mtok: 0.5, output_usd_per_mtok: 1, "
    "follows_price_trajectory: false}"
)


def scenario(levers: str = "", extra: str = ""):
    text = BASE + (f"    levers:\n{levers}" if levers else "") + extra
    return parse_scenario(text, "yaml")


def run(s, seed: int = 0):
    return LIBRARY.run(s, seed=seed, samples=SAMPLES, users=2_000)


def cost_per_query(levers: str = "") -> float:
    return run(scenario(levers)).features[0].cost_per_query.mean


def test_the_base_scenario_costs_two_tenths_of_a_cent():
    assert cost_per_query() == pytest.approx(0.002)


def test_response_cache_hits_cost_only_the_lookup():
    got = cost_per_query("      response_cache: {hit_rate: 0.25, lookup_usd: 0.0001}\n")
    # 75% of queries pay $0.002; every query pays the $0.0001 lookup
    assert got == pytest.approx(0.75 * 0.002 + 0.0001, rel=0.02)


def test_prompt_cache_reads_and_rewrites_by_the_cache_lifetime():
    # 0.2 calls a minute share the prefix and it lives 5 minutes: exp(-1) of the calls
    # find it expired and write it again (at the input price: no write price given).
    got = cost_per_query(
        "      prompt_cache: {prefix_share: 0.6, ttl_minutes: 5, prefix_requests_per_minute: 0.2}\n"
    )
    written = math.exp(-1)
    inputs = (400 + 600 * written) * 1e-6 + 600 * (1 - written) * 0.1e-6
    assert prompt_cache_write_share(5, 0.2) == pytest.approx(written)
    assert got == pytest.approx(inputs + 0.001)


def test_routing_sends_a_share_to_the_cheaper_model_and_pays_fallbacks_and_the_router():
    got = cost_per_query(
        f"      routing: {{model: {CHEAP}, share: 0.5, fallback_share: 0.2,\n"
        "                router_usd_per_query: 0.0001, tokenizer_ratio: 1.2}\n"
    )
    cheap = 1200 * 0.5e-6 + 600 * 1e-6  # its tokenizer counts 20% more tokens
    expected = 0.5 * 0.002 + 0.5 * cheap + 0.5 * 0.2 * 0.002 + 0.0001
    assert got == pytest.approx(expected, rel=0.02)


def test_compression_removes_a_share_of_the_input_outside_the_cached_prefix():
    got = cost_per_query("      compression: {input_reduction: 0.3, usd_per_query: 0.00005}\n")
    assert got == pytest.approx(700e-6 + 0.001 + 0.00005)
    # with a cached prefix, only the other 40% of the input shrinks
    both = cost_per_query(
        "      prompt_cache: {prefix_share: 0.6, prefix_requests_per_minute: 1000}\n"
        "      compression: {input_reduction: 0.5}\n"
    )
    assert both == pytest.approx(200e-6 + 600 * 0.1e-6 + 0.001, rel=1e-6)


def test_batch_share_pays_the_batch_discount():
    got = cost_per_query("      batch: {share: 0.4, discount: 0.5}\n")
    assert got == pytest.approx(0.6 * 0.002 + 0.4 * 0.001, rel=0.02)


def test_output_cap_truncates_each_call():
    assert cost_per_query("      caps: {max_output_tokens: 300}\n") == pytest.approx(
        0.001 + 300 * 2e-6
    )


def test_a_quota_truncates_heavy_users():
    result = run(scenario("      caps: {queries_per_user_per_month: 5}\n"))
    # Queries per user are Poisson(10); E[min(N, 5)] = sum over k < 5 of P(N > k).
    cdf, term = 0.0, math.exp(-10)
    expected = 0.0
    for k in range(5):
        cdf += term
        expected += 1 - cdf
        term *= 10 / (k + 1)
    assert result.plans[0].queries_per_user == pytest.approx(expected, rel=0.01)
    assert result.timeline[0].queries == pytest.approx(10_000 * expected, rel=0.01)
    # the cost of a query does not change, the number of them does
    assert result.features[0].cost_per_query.mean == pytest.approx(0.002)


def test_levers_compound_in_order_and_the_waterfall_adds_up():
    s = scenario(
        "      response_cache: {hit_rate: 0.5}\n"
        "      compression: {input_reduction: 0.5}\n"
        "      caps: {max_output_tokens: 250}\n"
    )
    w = lever_waterfall(s, run)
    assert [step.lever for step in w.steps] == ["response_cache", "compression", "caps"]
    queries = 10_000 * 10
    assert w.baseline.monthly_cost_usd == pytest.approx(queries * 0.002)
    # each lever acts on what the ones before left: 0.002 -> ~0.001 -> 0.00075 -> 0.0005
    cache, compression, caps = w.steps
    hits = 1 - cache.cost_per_query_usd / 0.002  # the share the draws made hits
    assert hits == pytest.approx(0.5, abs=0.01)
    assert compression.cost_per_query_usd == pytest.approx((1 - hits) * 0.0015)
    assert caps.cost_per_query_usd == pytest.approx((1 - hits) * 0.001)
    total = sum(step.saving_usd for step in w.steps)
    assert total == pytest.approx(w.baseline.monthly_cost_usd - w.combined.monthly_cost_usd)
    assert sum(step.saving_share for step in w.steps) == pytest.approx(
        1 - w.combined.monthly_cost_usd / w.baseline.monthly_cost_usd
    )
    # the last step is the scenario as `costline run` prices it, levers and all
    assert w.combined.monthly_cost_usd == pytest.approx(run(s).timeline[0].cogs_usd)


def test_distillation_pays_back_when_its_savings_cover_the_training():
    # The student costs half as much: $0.001 a query x 100,000 queries = $100 a month saved;
    # a $450 training row in 2027-01 is covered in the fifth month.
    s = parse_scenario(
        BASE
        + f"""    levers:
      distillation: {{model: {CHEAP}, one_time: distil}}
one_time:
  - {{name: distil, kind: fine_tune, amount_usd: 450, amortise_months: 12}}
""",
        "yaml",
    )
    w = lever_waterfall(s, run)
    step = w.steps[0]
    assert step.lever == "distillation"
    assert step.cost_per_query_usd == pytest.approx(0.001)
    assert step.payback_month == "2027-05"
    # the training row is amortised only while the lever is on
    assert w.baseline.monthly_cost_usd == pytest.approx(200)
    assert step.monthly_cost_usd == pytest.approx(100 + 450 / 12)


FREE_LEVERS = st.fixed_dictionaries(
    {},
    optional={
        "response_cache": st.builds(lambda h: f"{{hit_rate: {h}}}", st.floats(0, 1)),
        "prompt_cache": st.builds(lambda p: f"{{prefix_share: {p}}}", st.floats(0, 1)),
        "routing": st.builds(
            lambda s, k: f"{{model: {CHEAP}, share: {s}, tokenizer_ratio: {k}}}",
            st.floats(0, 1),
            st.floats(0.5, 1),
        ),
        "compression": st.builds(lambda c: f"{{input_reduction: {c}}}", st.floats(0, 1)),
        "batch": st.builds(lambda b: f"{{share: {b}, discount: 0.5}}", st.floats(0, 1)),
        "caps": st.builds(lambda m: f"{{max_output_tokens: {m}}}", st.floats(1, 2000)),
    },
)


@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(levers=FREE_LEVERS)
def test_a_lever_that_costs_nothing_never_raises_cost(levers):
    block = "".join(f"      {kind}: {text}\n" for kind, text in levers.items())
    s = scenario(block)

    def quick(variant):
        return LIBRARY.run(variant, samples=2_000, users=200)

    w = lever_waterfall(s, quick)
    previous = w.baseline.monthly_cost_usd
    for step in w.steps:
        assert step.monthly_cost_usd <= previous * (1 + 1e-9), step.lever
        previous = step.monthly_cost_usd


@settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    hit=st.floats(0, 0.8),
    reduction=st.floats(0, 1),
    batch=st.floats(0, 1),
    discount=st.floats(0, 0.99),
    cap=st.floats(1, 1000),
    order=st.permutations(["response_cache", "compression", "batch", "caps"]),
)
def test_levers_multiply_in_their_documented_order_whatever_order_they_are_turned_on(
    hit, reduction, batch, discount, cap, order
):
    s = scenario(
        f"      response_cache: {{hit_rate: {hit}}}\n"
        f"      compression: {{input_reduction: {reduction}}}\n"
        f"      batch: {{share: {batch}, discount: {discount}}}\n"
        f"      caps: {{max_output_tokens: {cap}}}\n"
    )
    everything = run(s).features[0].cost_per_query.mean
    # turned on in any order, the levers end where all of them on do, to the last digit:
    # each applies at its place in the documented order, on its own random draws
    on: set[str] = set()
    for kind in order:
        on.add(kind)
        last = run(with_levers(s, on)).features[0].cost_per_query.mean
    assert last == pytest.approx(everything, rel=1e-12)
    # and they multiply, never add: the misses' input shrunk, output capped, batch discounted
    per_query = (1 - hit) * (1000 * (1 - reduction) * 1e-6 + min(500, cap) * 2e-6)
    assert everything == pytest.approx(per_query * (1 - batch * discount), rel=0.05, abs=1e-7)


def test_levers_command_json_has_the_waterfall():
    result = CliRunner().invoke(
        app,
        [
            "levers",
            str(EXAMPLES / "support-copilot.yaml"),
            "--cache-hit-rate",
            "0.1",
            "--route-to",
            "openai:gpt-4.1-mini",
            "--route-share",
            "0.5",
            "--format",
            "json",
            "--as-of",
            AS_OF.isoformat(),
        ],
        catch_exceptions=False,
    )
    assert result.exit_code == 0, result.output
    doc = json.loads(result.output)
    for key in ("cost_per_query_usd", "monthly_cost_usd", "gross_margin"):
        assert key in doc["baseline"] and key in doc["combined"]
    assert [s["lever"] for s in doc["steps"]] == ["response_cache", "routing"]
    for step in doc["steps"]:
        assert {"lever", "cost_per_query_usd", "saving_usd", "saving_share"} <= step.keys()


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--cache-hit-rate", "1.5"], "--cache-hit-rate"),
        (["--route-to", "openai:gpt-9", "--route-share", "0.5"], "--route-to: unknown model"),
        (["--route-share", "0.5"], "--route-to"),
        (["--feature", "nope", "--cache-hit-rate", "0.1"], "unknown feature"),
        ([], "no feature has levers"),
    ],
)
def test_levers_bad_input(args, message):
    result = CliRunner().invoke(
        app, ["levers", str(EXAMPLES / "support-copilot.yaml"), *args], catch_exceptions=False
    )
    assert result.exit_code == 2, result.output
    assert message in result.output
    assert "Traceback" not in result.output


def test_a_lever_share_outside_zero_one_names_its_path():
    from costline.errors import ScenarioError

    with pytest.raises(ScenarioError, match=r"features\[0\]\.levers\.batch\.share"):
        parse_scenario(BASE + "    levers:\n      batch: {share: 1.2}\n", "yaml")
