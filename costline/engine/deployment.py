"""A scenario feature served on rented GPUs: its serving point, fleet and token prices.

The per-query Monte Carlo prices a self-hosted call at the replica's cost per token when
the fleet runs at utilisation target / peak-to-average of capacity (the average hour of a
fleet sized for the peak hour); each month's bill is the fleet itself: replicas for that
month's peak hour, at least the minimum, rented 24/7 with the feature's orchestration
overhead (engine/breakeven.py), plus staff as a fixed row.
"""

from __future__ import annotations

from dataclasses import dataclass

from costline.catalog.gpus import HardwareCatalog
from costline.catalog.open_models import OpenModelCatalog
from costline.catalog.types import ModelPricing, Rates, TieredRate
from costline.engine.breakeven import FleetPlan, plan_fleet
from costline.engine.distributions import expected
from costline.engine.latency import CallLatency
from costline.engine.selfhost import ServingPoint, call_latency_terms, serve
from costline.errors import InputError
from costline.scenario.models import Feature, Scenario
from costline.scenario.prices import pricing_key

TOKENS_PER_MTOK = 1_000_000
SECONDS_PER_HOUR = 3600


@dataclass(frozen=True)
class SelfHosted:
    """What running one feature on its own fleet means in numbers."""

    key: str
    serving: ServingPoint
    fleet: FleetPlan
    pricing: ModelPricing
    call_latency: CallLatency
    """Seconds of one LLM call by its size, at the fleet's batch (roofline)."""


def self_hosted_features(
    scenario: Scenario,
    open_models: OpenModelCatalog | None,
    hardware: HardwareCatalog | None,
) -> dict[str, SelfHosted]:
    """Serving point, fleet and token prices of every self-hosted feature, by name."""
    out = {}
    for i, feature in enumerate(scenario.features):
        if feature.deployment is None:
            continue
        if open_models is None or hardware is None:
            raise InputError(f"features[{i}].deployment: needs the open-model and GPU catalogs")
        try:
            out[feature.name] = _self_hosted(feature, open_models, hardware)
        except InputError as err:
            where = f"features[{i}].deployment" + (f".{err.field}" if err.field else "")
            raise InputError(f"{where}: {err}") from None
    return out


def fleet_usage(feature: Feature) -> tuple[float, float, float]:
    """Expected LLM calls per query and tokens in and out per call that the feature's fleet
    serves, after its levers: cache hits make no call, compression shrinks the input
    outside the cached share, an output cap truncates each answer (engine/levers.py
    applies the same levers to the simulated queries)."""
    calls = expected(feature.extras.llm_calls_per_query)
    tokens_in = expected(feature.usage.input_tokens)
    levers = feature.levers
    cap = levers.caps.max_output_tokens if levers and levers.caps else None
    tokens_out = expected(feature.usage.output_tokens, upper=cap)
    if levers is not None and levers.response_cache is not None:
        calls *= 1 - levers.response_cache.hit_rate
    if levers is not None and levers.compression is not None:
        outside = 1 - feature.usage.cached_input_share
        tokens_in *= 1 - levers.compression.input_reduction * outside
    return calls, tokens_in, tokens_out


def _self_hosted(
    feature: Feature, open_models: OpenModelCatalog, hardware: HardwareCatalog
) -> SelfHosted:
    deployment = feature.deployment
    assert deployment is not None
    calls, tokens_in, tokens_out = fleet_usage(feature)
    spec = deployment.serving_spec(tokens_in, tokens_out)
    model = open_models.model(deployment.model)
    gpu = hardware.gpu(deployment.gpu)
    defaults = open_models.defaults
    serving = serve(spec, model, gpu, defaults)
    peak = deployment.peak_to_average or defaults.peak_to_average.value
    target = deployment.utilisation or defaults.utilisation_target.value
    fleet = plan_fleet(
        serving,
        calls,
        tokens_in,
        tokens_out,
        peak_to_average=peak,
        utilisation_target=target,
        min_replicas=deployment.min_replicas,
        staff_usd_per_month=deployment.staff_usd_per_month,
        overhead_share=feature.extras.orchestration_overhead,
    )
    per_second = serving.replica_usd_per_hour / SECONDS_PER_HOUR
    # the average hour of a fleet sized for the peak hour is target / peak busy
    idle = peak / target
    input_rate = per_second * TOKENS_PER_MTOK / serving.prefill_tokens_per_s * idle
    output_rate = per_second * TOKENS_PER_MTOK / serving.decode_tokens_per_s * idle
    route = feature.routes[0]
    assert isinstance(route.model, str)
    key = pricing_key(route.model, feature.service_tier)
    pricing = ModelPricing(
        ref=route.model,
        provider="self-hosted",
        model_id=f"{serving.model} on {serving.tp} x {serving.gpu}",
        schedule=((None, Rates(input=TieredRate(input_rate), output=TieredRate(output_rate))),),
        source="roofline serving point (costline selfhost) at utilisation target / "
        "peak-to-average load",
        is_override=True,
        follows_trajectory=False,
    )
    first, per_in, per_in_sq, per_out = call_latency_terms(
        spec.model_copy(update={"tp": serving.tp}),
        serving,
        model,
        gpu,
        defaults,
        tokens_in + tokens_out / 2,
    )
    latency = CallLatency(
        first_token_s=first,
        per_output_token_s=per_out,
        per_input_token_s=per_in,
        per_input_token_squared_s=per_in_sq,
        source=f"roofline: {serving.model} on {serving.tp} x {serving.gpu} at its full batch of "
        f"{serving.batch} (the fleet's busiest; lighter load answers sooner; costline selfhost)",
    )
    return SelfHosted(
        key=key,
        serving=serving,
        fleet=fleet,
        pricing=pricing,
        call_latency=latency,
    )
