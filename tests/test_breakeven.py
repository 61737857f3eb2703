"""API vs self-hosting: fleet sizing and crossover by hand, and the command's JSON."""

from __future__ import annotations

import json
import math

import numpy as np
import pytest
from hypothesis import example, given
from hypothesis import strategies as st
from typer.testing import CliRunner

from costline.cli import app
from costline.engine.breakeven import (
    FleetPlan,
    always_cheaper_volume,
    crossover_volume,
    replicas_needed,
    selfhost_cost,
)

from .conftest import AS_OF, EXAMPLES


def fleet(
    staff: float = 0.0, min_replicas: int = 1, target: float = 1.0, overhead: float = 0.0
) -> FleetPlan:
    return FleetPlan(
        replica_seconds_per_query=730 * 3600 / 1e6,
        queries_per_replica_month=1e6,
        peak_to_average=2.0,
        utilisation_target=target,
        min_replicas=min_replicas,
        replica_usd_per_month=1000.0,
        overhead_share=overhead,
        staff_usd_per_month=staff,
    )


def test_replicas_cover_the_peak_hour_and_idle_capacity_is_paid():
    plan = fleet()
    # 5e5 queries a month at peak-to-average 2 fill one replica (1e6 at peak).
    assert replicas_needed(plan, np.array([0, 5e5, 5e5 + 1, 2e6])).tolist() == [1, 1, 2, 4]
    assert selfhost_cost(plan, np.array([1.0])).tolist() == [1000.0]
    # A 0.8 target leaves 20% headroom in the busiest hour: a replica carries 4e5 a month.
    headroom = fleet(target=0.8)
    assert replicas_needed(headroom, np.array([4e5, 4e5 + 1, 2e6])).tolist() == [1, 2, 5]
    # Orchestration overhead is paid on the rent as it is on API spend.
    assert selfhost_cost(fleet(overhead=0.1, staff=500), np.array([1.0])).tolist() == [1600.0]


def test_crossover_by_hand():
    # API at $0.01 a query: one $1,000 replica pays off at 100,000 queries a month.
    assert crossover_volume(fleet(), 0.01) == pytest.approx(1e5)
    # $9,000 of staff: 1 replica needs 1e6 queries but holds only 5e5; 2 replicas
    # ($11,000) need 1.1e6 but hold 1e6; 3 ($12,000) need 1.2e6 and hold 1.5e6.
    assert crossover_volume(fleet(staff=9000), 0.01) == pytest.approx(1.2e6)


def test_always_cheaper_volume_by_hand():
    # API at $0.0025 a query; a $1,000 replica carries 5e5 queries ($1,250 of API bills).
    # One replica wins from 4e5; the second (5e5, 1e6] costs $2,000 and wins only from
    # 8e5; the third from 1.2e6; the fourth (1.5e6, 2e6] costs $4,000 and wins from 1.6e6;
    # from the fifth on, the API bill at the bottom of each range ($5,000 at 2e6) covers it.
    assert crossover_volume(fleet(), 0.0025) == pytest.approx(4e5)
    assert always_cheaper_volume(fleet(), 0.0025) == pytest.approx(1.6e6)
    # With $9,000 of staff at $0.01 a query the first crossing already lasts.
    assert always_cheaper_volume(fleet(staff=9000), 0.01) == pytest.approx(1.2e6)
    assert always_cheaper_volume(fleet(), 0.002) is None


@given(api=st.floats(0.0021, 1.0), staff=st.floats(0, 1e5), minimum=st.integers(1, 8))
@example(api=0.0021, staff=1e-12, minimum=1)  # lands on a replica step, to rounding
def test_above_the_always_cheaper_volume_self_hosting_never_costs_more(api, staff, minimum):
    plan = fleet(staff, minimum)
    always = always_cheaper_volume(plan, api)
    first = crossover_volume(plan, api)
    assert always is not None and first is not None and always >= first * (1 - 1e-9)
    # every volume above it, and the worst ones: just past each replica step
    steps = np.arange(1, 400) * plan.capacity * (1 + 1e-7)
    grid = np.concatenate([always * np.geomspace(1 + 1e-9, 50, 200), steps[steps > always]])
    assert np.all(selfhost_cost(plan, grid) <= grid * api * (1 + 1e-9))
    # just below it, among volumes the same fleet serves, the API is cheaper (further down
    # a smaller fleet may win again)
    steps_in = always / plan.capacity
    low = (math.ceil(steps_in) - 1) * plan.capacity
    on_a_step = abs(steps_in - round(steps_in)) < 1e-9  # rounding decides its side
    if always - low > always * 1e-6 and not on_a_step:
        below = always - (always - low) * 1e-3
        assert float(selfhost_cost(plan, np.array([below]))[0]) > below * api


def test_no_crossover_when_a_replica_costs_more_per_query_than_the_api():
    # A replica's marginal cost is $1,000 x 2 / 1e6 = $0.002 a query at the peak ratio.
    assert crossover_volume(fleet(), 0.002) is None
    assert crossover_volume(fleet(), 0.0) is None


@given(api=st.floats(0.0021, 1.0), staff=st.floats(0, 1e5), minimum=st.integers(1, 8))
def test_at_the_crossover_self_hosting_costs_no_more_than_the_api(api, staff, minimum):
    plan = fleet(staff, minimum)
    volume = crossover_volume(plan, api)
    assert volume is not None
    # At the crossing itself (the fleet's cost is a staircase, so just above it the next
    # replica may tip the balance back for a while).
    at = float(selfhost_cost(plan, np.array([volume]))[0])
    assert at <= volume * api * (1 + 1e-9)
    below = float(selfhost_cost(plan, np.array([volume * 0.999]))[0])
    assert below > volume * 0.999 * api


def test_breakeven_command_reports_both_curves_and_the_month():
    result = CliRunner().invoke(
        app,
        [
            "breakeven",
            str(EXAMPLES / "support-copilot.yaml"),
            "--self-host",
            "llama-3.1-70b@h100-sxm",
            # one replica and no staff, so the fleet crosses the API within the horizon
            "--min-replicas",
            "1",
            "--staff-usd-per-month",
            "0",
            "--format",
            "json",
            "--as-of",
            AS_OF.isoformat(),
        ],
        catch_exceptions=False,
    )
    assert result.exit_code == 0, result.output
    doc = json.loads(result.output)
    assert len(doc["volumes"]) == 200
    assert len(doc["api_usd"]) == len(doc["selfhost_usd"]) == 200
    assert len(doc["timeline_api_usd"]) == len(doc["months"]) == 36
    crossing = doc["crossover_queries_per_month"]
    assert crossing is not None
    month = doc["crossover_month"]
    i = doc["months"].index(month)
    assert doc["timeline_selfhost_usd"][i] < doc["timeline_api_usd"][i]
    assert all(
        s >= a
        for s, a in zip(doc["timeline_selfhost_usd"][:i], doc["timeline_api_usd"][:i], strict=True)
    )
    assert doc["serving"]["tp"] == 4  # chosen: the smallest split leaving half for KV cache
    pairs = list(zip(doc["timeline_selfhost_usd"], doc["timeline_api_usd"], strict=True))
    if doc["always_cheaper_from_month"] is None:
        # the API's falling prices catch up again: the last month is not self-hosting's
        assert pairs[-1][0] >= pairs[-1][1]
    else:
        lasting = doc["months"].index(doc["always_cheaper_from_month"])
        assert all(s < a for s, a in pairs[lasting:])
        assert lasting == 0 or pairs[lasting - 1][0] >= pairs[lasting - 1][1]


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--self-host", "llama-3.1-70b"], "MODEL@GPU"),
        (["--self-host", "llama-9@h100-sxm"], "--self-host: unknown open model"),
        (["--self-host", "llama-3.1-70b@h100-sxm", "--tp", "1"], "--tp: llama-3.1-70b does not"),
        (["--self-host", "llama-3.1-70b@h100-sxm", "--tp", "3"], "64 attention heads"),
        (["--self-host", "llama-3.1-8b@h100-sxm", "--peak-to-average", "inf"], "--peak-to-avera"),
        (["--self-host", "llama-3.1-8b@h100-sxm", "--peak-to-average", "0.5"], "--peak-to-avera"),
        (["--self-host", "llama-3.1-8b@h100-sxm", "--staff-usd-per-month", "1e12"], "--staff-usd"),
        (["--self-host", "llama-3.1-8b@h100-sxm", "--utilisation-target", "0"], "--utilisation-t"),
        (["--self-host", "llama-3.1-8b@h100-sxm", "--price", "spot"], "--price"),
        (["--self-host", "llama-3.1-8b@h100-sxm", "--feature", "nope"], "unknown feature"),
    ],
)
def test_breakeven_bad_input(args, message):
    result = CliRunner().invoke(
        app, ["breakeven", str(EXAMPLES / "support-copilot.yaml"), *args], catch_exceptions=False
    )
    assert result.exit_code == 2
    assert message in result.output
    assert "Traceback" not in result.output


def test_breakeven_refuses_a_feature_that_is_self_hosted_already():
    result = CliRunner().invoke(
        app,
        [
            "breakeven",
            str(EXAMPLES / "self-hosted-assistant.yaml"),
            "--self-host",
            "llama-3.1-8b@h100-sxm",
        ],
        catch_exceptions=False,
    )
    assert result.exit_code == 2
    assert "self-hosted already" in result.output


SELF_HOSTED = """
start: 2027-01
horizon_months: 12
users: {start: 20000, monthly_growth: 0.2}
plans: [{name: pro, price_usd_per_month: 20, share: 1}]
features:
  - name: chat
    trigger: {queries_per_month: 200}
    usage: {input_tokens: 1500, output_tokens: 300}
    deployment: {kind: self_hosted, model: llama-3.1-8b, gpu: h100-sxm, min_replicas: 2,
                 staff_usd_per_month: 5000, usd_per_gpu_hour: 2.5, peak_to_average: 2}
"""


def _run_self_hosted(text: str = SELF_HOSTED):
    from costline.api import Costline

    return Costline(as_of="2027-01-01").run(_parsed(text), samples=2000, users=2000)


def _parsed(text: str):
    from costline.scenario.load import parse_scenario

    return parse_scenario(text, "yaml")


def test_a_self_hosted_feature_is_billed_as_its_fleet_with_staff_as_a_fixed_row():
    from costline.catalog.gpus import load_hardware
    from costline.catalog.open_models import load_open_models
    from costline.engine.selfhost import serve
    from costline.scenario.selfhost import SelfHostSpec

    models = load_open_models()
    serving = serve(
        SelfHostSpec(
            model="llama-3.1-8b",
            gpu="h100-sxm",
            input_tokens=1500,
            output_tokens=300,
            usd_per_gpu_hour=2.5,
        ),
        models.model("llama-3.1-8b"),
        load_hardware().gpu("h100-sxm"),
        models.defaults,
    )
    seconds = 1500 / serving.prefill_tokens_per_s + 300 / serving.decode_tokens_per_s
    per_replica = 730 * 3600 / seconds  # queries a replica serves in a month
    rent = 2.5 * 730
    result = _run_self_hosted()
    for month in result.timeline:
        replicas = max(2, math.ceil(month.queries * 2 / per_replica))
        assert month.inference_cost_usd == pytest.approx(replicas * rent)
        assert month.fixed_cost_usd == pytest.approx(5000)
    chat = result.features[0]
    assert chat.cost_per_query.mean == pytest.approx(
        result.timeline[0].inference_cost_usd / result.timeline[0].queries
    )
    hundred = result.scale[-1]
    assert hundred.inference_cost_usd == pytest.approx(
        max(2, math.ceil(hundred.queries * 2 / per_replica)) * rent
    )


def test_a_self_hosted_feature_that_does_not_fit_names_the_field():
    from costline.errors import InputError

    with pytest.raises(InputError, match=r"features\[0\]\.deployment\.tp: .*does not fit"):
        _run_self_hosted(SELF_HOSTED.replace("llama-3.1-8b,", "llama-3.1-70b, tp: 1,"))
    with pytest.raises(InputError, match=r"features\[0\]\.deployment\.model: unknown open model"):
        _run_self_hosted(SELF_HOSTED.replace("llama-3.1-8b", "llama-9"))


def test_a_self_hosted_feature_reports_its_p95_request_latency():
    text = SELF_HOSTED.replace(
        "usage: {input_tokens: 1500, output_tokens: 300}",
        "usage: {input_tokens: {median: 1500, p95: 6000}, output_tokens: {median: 300, p95: 900}}",
    )
    result = _run_self_hosted(text)
    latency = result.features[0].latency.p95_s
    assert latency is not None and latency > 0
    constant = _run_self_hosted().features[0].latency.p95_s
    assert latency > constant  # longer prompts and answers take longer


AROUND_THE_CALL = """
start: 2027-01
horizon_months: 12
users: {start: 20000, monthly_growth: 0.2}
plans: [{name: pro, price_usd_per_month: 20, share: 1}]
features:
  - name: agent
    trigger: {queries_per_month: 100}
    usage: {input_tokens: 1000, output_tokens: 500}
    model: {name: api-model, input_usd_per_mtok: 1, output_usd_per_mtok: 2,
            follows_price_trajectory: false}
    extras:
      llm_calls_per_query: 3
      orchestration_overhead: 0.1
      tool_calls: {per_query: 1, usd_per_call: 0.01}
      infra_usd_per_query: 0.001
      retrieval: {model: {name: emb, input_usd_per_mtok: 0.1, output_usd_per_mtok: 0},
                  tokens_per_query: 1000}
"""


def test_breakeven_compares_the_llm_calls_alone_sized_per_call():
    from costline.catalog.gpus import load_hardware
    from costline.catalog.open_models import load_open_models
    from costline.engine.breakeven import breakeven
    from costline.engine.selfhost import serve
    from costline.scenario.selfhost import SelfHostSpec

    result = _run_self_hosted(AROUND_THE_CALL)
    models = load_open_models()
    serving = serve(
        SelfHostSpec(model="llama-3.1-8b", gpu="h100-sxm", input_tokens=1000, output_tokens=500),
        models.model("llama-3.1-8b"),
        load_hardware().gpu("h100-sxm"),
        models.defaults,
    )
    outcome = breakeven(
        result,
        serving,
        peak_to_average=2,
        utilisation_target=1,
        min_replicas=1,
        staff_usd_per_month=0,
    )
    # 3 calls x (1,000 x $1 + 500 x $2 per 1M) x 1.1 overhead; tools, infra and retrieval
    # ($0.01 + $0.001 + $0.0001 x 1.1) are paid either way and left out.
    assert outcome.api_usd_per_query == pytest.approx(3 * 0.002 * 1.1)
    assert result.features[0].cost_per_query.mean == pytest.approx(
        3 * 0.002 * 1.1 + 0.01 + 0.001 + 0.0001 * 1.1
    )
    # The fleet serves three 1,000-in / 500-out calls per query, not one 3,000 / 1,500 call.
    assert outcome.fleet.replica_seconds_per_query == pytest.approx(
        3 * (1000 / serving.prefill_tokens_per_s + 500 / serving.decode_tokens_per_s)
    )
    assert outcome.fleet.overhead_share == pytest.approx(0.1)
    first = outcome.timeline_api_usd[0]
    assert first == pytest.approx(result.timeline[0].queries * 3 * 0.002 * 1.1)


def test_a_self_hosted_feature_keeps_retrieval_tools_and_overhead():
    text = AROUND_THE_CALL.replace(
        """    model: {name: api-model, input_usd_per_mtok: 1, output_usd_per_mtok: 2,
            follows_price_trajectory: false}""",
        """    deployment: {kind: self_hosted, model: llama-3.1-8b, gpu: h100-sxm, tp: 1,
                 usd_per_gpu_hour: 2.0, peak_to_average: 2, utilisation: 0.5}""",
    )
    result = _run_self_hosted(text)
    hosted = _run_self_hosted(text.replace("utilisation: 0.5", "utilisation: 1"))
    from costline.catalog.gpus import load_hardware
    from costline.catalog.open_models import load_open_models
    from costline.engine.selfhost import serve
    from costline.scenario.selfhost import SelfHostSpec

    models = load_open_models()
    serving = serve(
        SelfHostSpec(
            model="llama-3.1-8b",
            gpu="h100-sxm",
            tp=1,
            input_tokens=1000,
            output_tokens=500,
            usd_per_gpu_hour=2.0,
        ),
        models.model("llama-3.1-8b"),
        load_hardware().gpu("h100-sxm"),
        models.defaults,
    )
    seconds = 3 * (1000 / serving.prefill_tokens_per_s + 500 / serving.decode_tokens_per_s)
    per_replica = 730 * 3600 / seconds
    rent = 2.0 * 730 * 1.1  # the overhead is paid on the rent too
    around = 0.01 + 0.001 + 0.0001 * 1.1  # tools, infra, retrieval with its overhead
    for full, half in zip(hosted.timeline, result.timeline, strict=True):
        replicas = max(1, math.ceil(full.queries * 2 / per_replica))
        assert full.inference_cost_usd == pytest.approx(replicas * rent + full.queries * around)
        # a 50% utilisation target doubles the capacity the busiest hour needs
        more = max(1, math.ceil(half.queries * 2 / (per_replica * 0.5)))
        assert half.inference_cost_usd == pytest.approx(more * rent + half.queries * around)
    feature = hosted.features[0]
    assert feature.deployment == "self_hosted"
    assert feature.breakdown.retrieval_usd == pytest.approx(0.0001)
    assert feature.cost_per_query.mean == pytest.approx(
        hosted.timeline[0].inference_cost_usd / hosted.timeline[0].queries
    )


def test_an_idle_fleet_is_paid_in_full():
    # Nobody uses the feature, or it makes no LLM call: the two minimum replicas are
    # rented all the same ($2.50 x 730 hours each).
    idle = _run_self_hosted(
        SELF_HOSTED.replace(
            "trigger: {queries_per_month: 200}", "trigger: {queries_per_month: 200, user_share: 0}"
        )
    )
    assert idle.timeline[0].inference_cost_usd == pytest.approx(2 * 2.5 * 730)
    no_calls = _run_self_hosted(
        SELF_HOSTED.replace(
            "    deployment:", "    extras: {llm_calls_per_query: 0}\n    deployment:"
        )
    )
    assert no_calls.timeline[-1].inference_cost_usd == pytest.approx(2 * 2.5 * 730)


def test_levers_on_a_self_hosted_feature_shrink_what_its_fleet_serves():
    from costline.catalog.gpus import load_hardware
    from costline.catalog.open_models import load_open_models
    from costline.engine.deployment import fleet_usage, self_hosted_features
    from costline.scenario.load import parse_scenario

    levered = SELF_HOSTED.replace(
        "staff_usd_per_month: 5000, usd_per_gpu_hour: 2.5, peak_to_average: 2}",
        "staff_usd_per_month: 5000, usd_per_gpu_hour: 2.5, peak_to_average: 2}\n"
        "    levers: {response_cache: {hit_rate: 0.25}, compression: {input_reduction: 0.4},\n"
        "             caps: {max_output_tokens: 200}}",
    )
    plain, cut = parse_scenario(SELF_HOSTED, "yaml"), parse_scenario(levered, "yaml")
    # a quarter of queries make no call; 40% of the input goes; answers stop at 200 tokens
    assert fleet_usage(cut.features[0]) == pytest.approx((0.75, 900, 200))
    assert fleet_usage(plain.features[0]) == pytest.approx((1, 1500, 300))
    models, hardware = load_open_models(), load_hardware()
    before = self_hosted_features(plain, models, hardware)["chat"].fleet
    after = self_hosted_features(cut, models, hardware)["chat"].fleet
    assert after.replica_seconds_per_query < 0.75 * before.replica_seconds_per_query

    from costline.api import Costline

    library = Costline(as_of="2027-01-01")

    def cost(s):
        return library.run(s, samples=2000, users=2000).scale[-1]

    # at 100x the users the fleet has grown past its minimum: fewer replicas with the levers
    small, big = cost(cut), cost(plain)
    assert small.multiple == big.multiple == 100
    assert small.inference_cost_usd < 0.8 * big.inference_cost_usd


def test_a_self_hosted_feature_refuses_levers_that_leave_its_fleet():
    from costline.errors import ScenarioError
    from costline.scenario.load import parse_scenario

    text = SELF_HOSTED.replace(
        "staff_usd_per_month: 5000, usd_per_gpu_hour: 2.5, peak_to_average: 2}",
        "staff_usd_per_month: 5000, usd_per_gpu_hour: 2.5, peak_to_average: 2}\n"
        "    levers: {batch: {share: 0.5, discount: 0.5}}",
    )
    with pytest.raises(ScenarioError, match=r"features\[0\].*self-hosted feature takes.*batch"):
        parse_scenario(text, "yaml")


MIXED = """
name: mixed tiers
start: 2027-01
horizon_months: 12
users: {start: 5000}
plans: [{name: pro, price_usd_per_month: 30, share: 1}]
features:
  - name: frontier
    trigger: {queries_per_month: 20}
    usage: {input_tokens: 2000, output_tokens: 400}
    model: anthropic:claude-fable-5-2
  - name: small
    trigger: {queries_per_month: 50}
    usage: {input_tokens: 800, output_tokens: 100}
    model: openai:gpt-6-luna
"""


def test_breakeven_defaults_to_two_replicas_a_sourced_staff_cost_and_caveats(tmp_path):
    from costline.catalog.open_models import load_open_models

    from .conftest import LIBRARY

    scenario = tmp_path / "mixed.yaml"
    scenario.write_text(MIXED)
    out = LIBRARY.breakeven(str(scenario), "llama-3.1-8b@l4")
    defaults = load_open_models().defaults
    assert out.fleet.min_replicas == 2 == defaults.breakeven_min_replicas.value
    assert out.fleet.staff_usd_per_month == pytest.approx(133_080 / 12, abs=1)
    assert any("Bureau of Labor Statistics" in n for n in out.notes)
    assert any(n.startswith("Quality is not compared") for n in out.notes)
    # an 8B model is assumed to stand in for the bottom tier only: fable stays on the API
    assert out.features == ["small"]
    assert "claude-fable-5-2 is a higher tier" in out.left_out["frontier"]
    # named, it is compared anyway; given, the options replace the defaults
    named = LIBRARY.breakeven(
        str(scenario),
        "llama-3.1-8b@l4",
        features=["frontier"],
        min_replicas=1,
        staff_usd_per_month=0,
    )
    assert named.features == ["frontier"] and named.left_out == {}
    assert (named.fleet.min_replicas, named.fleet.staff_usd_per_month) == (1, 0)
    assert not any("Bureau" in n for n in named.notes)


def test_breakeven_with_nothing_to_move_by_default_says_why(tmp_path):
    from costline.errors import InputError

    from .conftest import LIBRARY

    scenario = tmp_path / "top.yaml"
    scenario.write_text(MIXED.split("  - name: small")[0])
    with pytest.raises(InputError) as err:
        LIBRARY.breakeven(str(scenario), "llama-3.1-8b@l4")
    assert err.value.field == "features"
    assert "frontier: anthropic:claude-fable-5-2 is a higher tier" in str(err.value)
