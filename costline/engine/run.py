"""One run of a scenario: per-query costs, per-user costs, plans, blended, scale, timeline.

Pure: the price book, the catalog's identity, the as-of date and the seed come in as
arguments; nothing here reads files, the clock or the network.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Mapping

import numpy as np

from costline._version import __version__
from costline.catalog.gpus import HardwareCatalog
from costline.catalog.levers import LeverDefaults
from costline.catalog.open_models import OpenModelCatalog
from costline.catalog.retirements import Retirements
from costline.catalog.types import CatalogInfo, ModelPricing, PublishedLatency, Rule, batch_key
from costline.catalog.units import UNITS
from costline.engine.breakeven import FleetPlan, selfhost_cost
from costline.engine.classify import LOW_CONFIDENCE, TextModel, placement_warnings
from costline.engine.classify import classify as classify_line
from costline.engine.deployment import SelfHosted, self_hosted_features
from costline.engine.distributions import expected
from costline.engine.latency import api_call_latency, query_latency
from costline.engine.levers import (
    MINUTES_PER_MONTH,
    LeverSettings,
    apply_levers,
    prompt_cache_write_share,
)
from costline.engine.per_query import (
    COMPONENTS,
    LLM_LINES,
    MODEL_LINES,
    QuerySample,
    model_lines_by_key,
    query_costs,
    simulate_queries,
    total,
)
from costline.engine.projection import (
    fixed_costs,
    one_time_costs,
    paying_share,
    plan_variable_cost,
    price_factor,
    users_by_month,
    variable_costs,
)
from costline.engine.result import (
    ActionResult,
    Blended,
    CatalogUsed,
    CostBreakdown,
    CostWarning,
    FeatureResult,
    FleetSize,
    Latency,
    ModelUse,
    Month,
    OneTimeResult,
    PlanResult,
    Result,
    ScalePoint,
    ScenarioInfo,
    Simulation,
    Stats,
    UnitPrice,
)
from costline.engine.retirement import retirement_warnings, unmodelled_unit_warnings
from costline.engine.table import Rows
from costline.engine.terms import cost_terms
from costline.engine.training import TrainingEstimate, one_time_estimates
from costline.engine.unit_economics import (
    QueryCostMoments,
    expected_queries,
    plan_user_costs,
)
from costline.engine.warnings import find_warnings
from costline.errors import InputError
from costline.scenario.levers import LEVER_ORDER
from costline.scenario.models import (
    ApiLatency,
    Feature,
    OneTimeRow,
    Scenario,
    hosted_models,
    model_name,
)
from costline.scenario.prices import pricing_key
from costline.settings import DEFAULT_QUERY_SAMPLES, DEFAULT_USERS_SIMULATED


def _margin(revenue: float, cost: float) -> float | None:
    return None if revenue <= 0 else (revenue - cost) / revenue


def _share(cost: float, revenue: float) -> float | None:
    return None if revenue <= 0 else cost / revenue


def _stats(values: np.ndarray, mean: float | None = None) -> Stats:
    if values.size == 0:  # a plan with a zero share has no simulated users
        return Stats(mean=mean or 0.0, median=0.0, p95=0.0)
    median, p95 = np.percentile(values, [50, 95])
    return Stats(
        mean=float(values.mean()) if mean is None else mean, median=float(median), p95=float(p95)
    )


class _FeatureRun:
    """A feature's simulated queries and its mean cost per query in each month."""

    def __init__(
        self,
        feature: Feature,
        book: dict[str, ModelPricing],
        scenario: Scenario,
        as_of: dt.date,
        samples: int,
        rng: np.random.Generator,
        levers: tuple[LeverSettings, Callable[[str], np.random.Generator]] | None = None,
    ) -> None:
        self.feature = feature
        self.fleet: FleetPlan | None = None
        retrieval = feature.extras.retrieval
        route_keys = [pricing_key(r.model, feature.service_tier) for r in feature.routes]
        retrieval_key = pricing_key(retrieval.model) if retrieval is not None else None
        self.sample: QuerySample = simulate_queries(
            feature, route_keys, retrieval_key, samples, rng
        )
        if feature.levers is not None and levers is not None:
            self.sample = apply_levers(self.sample, feature.levers, *levers)
        months = scenario.month_dates()
        self.months, self.as_of = months, as_of
        self.names = {
            pricing_key(model, feature.service_tier): model_name(model)
            for model in hosted_models(feature)
        }
        self.first_day = months[0]
        change = scenario.price_trajectory.annual_change
        keys = list(
            dict.fromkeys([*self.sample.route_keys, *([retrieval_key] if retrieval_key else [])])
        )
        # Each model's trajectory multiplier per month.
        self.factors = [
            {
                key: price_factor(change, book[key].trajectory_start(as_of), month)
                if book[key].follows_trajectory
                else 1.0
                for key in keys
            }
            for month in months
        ]
        self.lines = query_costs(self.sample, book, months[0], self.factors[0])
        self.totals = total(self.lines)
        self.mean_by_month, self.llm_by_month = self._means(book, months)

    def _means(
        self, book: dict[str, ModelPricing], months: list[dt.date]
    ) -> tuple[np.ndarray, np.ndarray]:
        """Mean USD per query in each month: in all, and of the LLM calls alone."""
        # A model's price changes only on catalog dates and by its trajectory factor, so
        # price the sample once per catalog period and scale; tools and infra do not move.
        per_key: dict[tuple[str, int], tuple[float, float]] = {}
        fixed = float(self.sample.tools_usd.mean() + self.sample.infra_usd.mean())
        if self.sample.lever_usd is not None:
            fixed += float(self.sample.lever_usd.mean())
        lift = 1 + self.sample.overhead
        out = np.empty(len(months))
        llm_out = np.empty(len(months))
        self.list_by_month = np.empty(len(months))
        """Mean USD per query of LLM calls and retrieval at catalog prices (no trajectory)."""
        self.moved_by_month = np.empty(len(months))
        """... and with each model's trajectory factor: their ratio is the factor billed."""
        for t, month in enumerate(months):
            llm = retrieval = listed = 0.0
            for key, factor in self.factors[t].items():
                period = (key, book[key].period_index(month))
                if period not in per_key:
                    for k, lines in model_lines_by_key(self.sample, book, month).items():
                        per_key[k, book[k].period_index(month)] = (
                            float(sum(lines[line].mean() for line in LLM_LINES)),
                            float(lines["retrieval_usd"].mean()),
                        )
                llm += factor * per_key[period][0]
                retrieval += factor * per_key[period][1]
                listed += per_key[period][0] + per_key[period][1]
            self.list_by_month[t] = listed * lift
            self.moved_by_month[t] = (llm + retrieval) * lift
            llm_out[t] = llm * lift
            out[t] = (llm + retrieval) * lift + fixed
        return out, llm_out

    def bill_as_fleet(self, fleet: FleetPlan, queries: np.ndarray) -> None:
        """Bill the feature's LLM calls as its fleet: replicas rented 24/7 for each month's
        peak hour (at least the minimum) instead of per token; retrieval, tools and infra
        stay per query. The sample's LLM lines are rescaled to the first month's fleet cost
        per query, so the cost per query and per user include idle capacity as the bill does."""
        self.fleet = fleet
        rest = self.mean_by_month - self.llm_by_month
        llm_now = float(sum(self.lines[k].mean() for k in LLM_LINES)) * (1 + self.sample.overhead)
        self.llm_by_month = self.fleet_cost_per_query(queries)
        self.mean_by_month = self.llm_by_month + rest
        if llm_now > 0 and queries[0] > 0:
            factor = self.llm_by_month[0] / llm_now
            for k in LLM_LINES:
                self.lines[k] = self.lines[k] * factor
            spend = np.sum([self.lines[k] for k in MODEL_LINES], axis=0)
            self.lines["overhead_usd"] = spend * self.sample.overhead
            self.totals = total(self.lines)

    def fleet_cost_per_query(self, queries: np.ndarray) -> np.ndarray:
        """Fleet rent (with orchestration overhead) per query at each monthly volume."""
        assert self.fleet is not None
        queries = np.asarray(queries, dtype=float)
        rent = selfhost_cost(self.fleet, queries) - self.fleet.staff_usd_per_month
        marginal = float(sum(self.lines[k].mean() for k in LLM_LINES)) * (1 + self.sample.overhead)
        with np.errstate(divide="ignore", invalid="ignore"):
            return np.where(queries > 0, rent / queries, marginal)

    def monthly_cost(self, queries: float, month: int = 0) -> float:
        """USD of `queries` queries in month `month` (index); a fleet's rent is paid even
        when no query comes."""
        if self.fleet is None:
            return float(queries * self.mean_by_month[month])
        rent = float(selfhost_cost(self.fleet, np.array([queries]))[0])
        rest = self.mean_by_month[month] - self.llm_by_month[month]
        return rent - self.fleet.staff_usd_per_month + float(queries * rest)

    def moments(self) -> QueryCostMoments:
        return QueryCostMoments(mean=float(self.totals.mean()), std=float(self.totals.std()))


def _billed_factor(runs: list[_FeatureRun], queries: list[float], t: int) -> float:
    """The trajectory multiplier billed in month `t`: API spend with each model's factor
    over the same spend at catalog prices (1 when nothing is billed per token)."""
    listed = sum(q * r.list_by_month[t] for r, q in zip(runs, queries, strict=True))
    moved = sum(q * r.moved_by_month[t] for r, q in zip(runs, queries, strict=True))
    return float(moved / listed) if listed > 0 else 1.0


def run_scenario(
    scenario: Scenario,
    book: dict[str, ModelPricing],
    catalog: CatalogInfo,
    *,
    seed: int = 0,
    query_samples: int = DEFAULT_QUERY_SAMPLES,
    users_simulated: int = DEFAULT_USERS_SIMULATED,
    hardware: HardwareCatalog | None = None,
    open_models: OpenModelCatalog | None = None,
    lever_defaults: LeverDefaults | None = None,
    api_latency: Mapping[str, PublishedLatency] | None = None,
    line_rules: tuple[Rule, ...] | None = None,
    line_model: TextModel | None = None,
    retirements: Retirements | None = None,
) -> Result:
    """The unit economics of `scenario` priced from `book` (USD, per month); `hardware`
    (GPUs, training defaults, fine-tuning prices) estimates training rows, `open_models`
    prices self-hosted features, `lever_defaults` fills what a lever leaves unset and
    `api_latency` gives hosted models' latency where the scenario's `latency:` does not;
    `line_rules` (and the learned `line_model`) check that monthly and one-time rows sit in
    the bucket they read as (training vs inference); `retirements` warns of models shut
    down before or during the horizon."""
    rng = np.random.default_rng(seed)
    months = scenario.month_dates()
    hosted = self_hosted_features(scenario, open_models, hardware)
    if hosted:
        book = {**book, **{h.key: h.pricing for h in hosted.values()}}
    per_user = expected_queries(scenario)
    # Queries per user of the whole user base (all plans), per feature.
    blended_q = {
        f.name: sum(p.share * per_user.get((p.name, f.name), 0.0) for p in scenario.plans)
        for f in scenario.features
    }
    users = users_by_month(scenario.users, len(months))
    runs = [
        _FeatureRun(
            f,
            book,
            scenario,
            catalog.as_of,
            query_samples,
            rng,
            _lever_settings(f, i, book, users[0] * blended_q[f.name], seed, lever_defaults),
        )
        for i, f in enumerate(scenario.features)
    ]

    fixed = fixed_costs(scenario) + sum(h.fleet.staff_usd_per_month for h in hosted.values())
    for run in runs:
        if run.feature.name in hosted:
            run.bill_as_fleet(hosted[run.feature.name].fleet, users * blended_q[run.feature.name])
    estimates = one_time_estimates(scenario, hardware)
    amounts: list[float] = []
    for row, estimate in zip(scenario.one_time, estimates, strict=True):
        if estimate is not None:
            amounts.append(estimate.expected_cost_usd)
        else:
            assert row.amount_usd is not None  # a row gives an amount, a training or a fine-tune
            amounts.append(row.amount_usd)
    amortised, spent = one_time_costs(scenario, amounts)
    arpu = sum(p.share * p.price_usd_per_month for p in scenario.plans)
    variable = variable_costs(scenario, users, users * arpu)
    timeline = []
    for t, month in enumerate(months):
        queries = users[t] * sum(blended_q.values())
        inference = sum(r.monthly_cost(users[t] * blended_q[r.feature.name], t) for r in runs)
        revenue = users[t] * arpu
        cogs = inference + fixed[t] + variable[t] + amortised[t]
        timeline.append(
            Month(
                month=month.strftime("%Y-%m"),
                users=float(users[t]),
                queries=float(queries),
                price_factor=_billed_factor(
                    runs, [users[t] * blended_q[r.feature.name] for r in runs], t
                ),
                inference_cost_usd=float(inference),
                fixed_cost_usd=float(fixed[t]),
                amortised_one_time_usd=float(amortised[t]),
                one_time_spend_usd=float(spent[t]),
                variable_cost_usd=float(variable[t]),
                cogs_usd=float(cogs),
                revenue_usd=float(revenue),
                gross_margin=_margin(revenue, cogs),
                cogs_share_of_arpu=_share(inference, revenue),
            )
        )

    latencies: dict[str, ApiLatency | PublishedLatency] = {
        **(api_latency or {}),
        **scenario.latency,
    }
    features = [
        _feature_result(
            r,
            book,
            users * blended_q[r.feature.name],
            _latency(r, latencies, hosted.get(r.feature.name)),
            {p.name: per_user.get((p.name, r.feature.name), 0.0) for p in scenario.plans},
            {
                f"{m:g}x": r.monthly_cost(users[0] * m * blended_q[r.feature.name])
                for m in scenario.scale_multiples
            },
        )
        for r in runs
    ]
    moments = {r.feature.name: r.moments() for r in runs}
    simulated = plan_user_costs(scenario, moments, users_simulated, rng)
    plans = []
    for plan in scenario.plans:
        mean = sum(
            per_user.get((plan.name, r.feature.name), 0.0) * r.mean_by_month[0] for r in runs
        )
        plan_users = float(users[0] * plan.share)
        costs = simulated[plan.name]
        price = plan.price_usd_per_month
        variable_per_user = plan_variable_cost(scenario, price)
        plans.append(
            PlanResult(
                name=plan.name,
                price_usd_per_month=price,
                share=plan.share,
                users=plan_users,
                queries_per_user=sum(
                    per_user.get((plan.name, f.name), 0.0) for f in scenario.features
                ),
                cost_per_user=_stats(costs, mean=mean),
                cogs_share_of_arpu=_share(mean, price),
                gross_margin=_margin(price, mean),
                share_of_users_costing_more_than_price=(
                    float((costs > price).mean()) if costs.size and price > 0 else None
                ),
                revenue_usd=plan_users * price,
                inference_cost_usd=plan_users * mean,
                variable_cost_per_user_usd=variable_per_user,
                contribution_margin=_margin(price, mean + variable_per_user),
            )
        )

    first = timeline[0]
    blended = Blended(
        month=first.month,
        users=first.users,
        arpu_usd=arpu,
        revenue_usd=first.revenue_usd,
        inference_cost_usd=first.inference_cost_usd,
        inference_cost_per_user_usd=first.inference_cost_usd / first.users if first.users else 0.0,
        fixed_cost_usd=first.fixed_cost_usd,
        amortised_one_time_usd=first.amortised_one_time_usd,
        variable_cost_usd=first.variable_cost_usd,
        paying_share=paying_share(scenario),
        cogs_usd=first.cogs_usd,
        gross_margin=first.gross_margin,
        inference_gross_margin=_margin(first.revenue_usd, first.inference_cost_usd),
        cogs_share_of_arpu=first.cogs_share_of_arpu,
    )

    def inference_at(multiple: float) -> float:
        # APIs scale linearly; a fleet is re-sized for the new peak hour
        return sum(r.monthly_cost(users[0] * multiple * blended_q[r.feature.name]) for r in runs)

    scale = [_scale_point(m, first, inference_at(m)) for m in scenario.scale_multiples]
    warnings = find_warnings(scenario.thresholds, features, plans, blended, timeline)
    warnings = unmodelled_unit_warnings(features, book) + warnings
    if retirements is not None:
        # first: a figure for a model that cannot be bought undoes every other one
        warnings = retirement_warnings(features, months, retirements) + warnings
    if line_rules is not None:
        warnings += [
            CostWarning(code=code, subject=subject, message=message)
            for code, subject, message in placement_warnings(
                [row.name for row in scenario.monthly],
                [(row.name, "kind" in row.model_fields_set) for row in scenario.one_time],
                line_rules,
                line_model,
            )
        ]
    return Result(
        costline_version=__version__,
        scenario=ScenarioInfo(
            name=scenario.name,
            start=scenario.start,
            horizon_months=scenario.horizon_months,
            currency=scenario.currency,
        ),
        catalog=CatalogUsed(
            source=catalog.source,
            version=catalog.version,
            latest_price_change=catalog.latest_price_change,
            as_of=catalog.as_of,
        ),
        simulation=Simulation(
            seed=seed, query_samples=query_samples, users_simulated=users_simulated
        ),
        features=Rows(features),
        plans=Rows(plans),
        blended=blended,
        scale=Rows(scale),
        timeline=Rows(timeline),
        one_time=Rows(
            _one_time_result(row, amount, estimate, scenario, first, line_rules, line_model)
            for row, amount, estimate in zip(scenario.one_time, amounts, estimates, strict=True)
        ),
        warnings=Rows(warnings),
        notes=_notes(scenario, book) + _hosted_notes(hosted),
        actions=Rows(action_costs(scenario, {r.feature.name: r.totals for r in runs}, seed)),
    )


def action_costs(
    scenario: Scenario, per_query: dict[str, np.ndarray], seed: int
) -> list[ActionResult]:
    """Each action's USD per action: for each simulated action, the sum of one draw per
    query it makes from its features' simulated per-query costs (`per_query`, USD)."""
    # a generator of its own: the rest of the run's draws, and its figures, stay the same
    rng = np.random.default_rng([seed, 7])
    out = []
    size = max(c.size for c in per_query.values())
    for action in scenario.actions:
        total = np.zeros(size)
        for name, count in action.features.items():
            costs = per_query[name]
            for n in range(count):
                if n == 0 and costs.size == size:
                    # the feature's own draws, shuffled: an action then costs at least its
                    # feature does in every draw, so its p95 is never below the feature's
                    total += rng.permutation(costs)
                else:
                    total += costs[rng.integers(0, costs.size, size)]
        mean = sum(count * float(per_query[name].mean()) for name, count in action.features.items())
        out.append(
            ActionResult(
                name=action.name,
                features=dict(action.features),
                cost_per_action=_stats(total, mean),
            )
        )
    return out


def _feature_result(
    run: _FeatureRun,
    book: dict[str, ModelPricing],
    queries_by_month: np.ndarray,
    latency: Latency,
    by_plan: dict[str, float],
    at_scale: dict[str, float],
) -> FeatureResult:
    queries = float(queries_by_month[0])
    feature = run.feature
    mean = float(run.totals.mean())
    breakdown = CostBreakdown(**{k: float(run.lines[k].mean()) for k in COMPONENTS})
    models = []
    if feature.levers is None:
        shares = [route.share for route in feature.routes]
    else:
        # levers move calls between models: each model's share of the calls made
        counts = np.bincount(run.sample.call_route, minlength=len(run.sample.route_keys))
        shares = (counts / max(counts.sum(), 1)).tolist()
    for share, key in zip(shares, run.sample.route_keys, strict=True):
        pricing = book[key]
        listed = pricing.rates_at(run.first_day)
        rates = listed.scaled(run.factors[0].get(key, 1.0))
        models.append(
            ModelUse(
                ref=pricing.ref if not pricing.is_override else pricing.model_id,
                provider=pricing.provider,
                model_id=pricing.model_id,
                share=share,
                service_tier=pricing.service_tier,
                input_usd_per_mtok=rates.input.base if rates.input else None,
                output_usd_per_mtok=rates.output.base if rates.output else None,
                cached_input_usd_per_mtok=rates.cache_read.base if rates.cache_read else None,
                is_override=pricing.is_override,
                source=pricing.source,
                list_input_usd_per_mtok=listed.input.base if listed.input else None,
                list_output_usd_per_mtok=listed.output.base if listed.output else None,
                catalog_since=pricing.tier_since.isoformat() if pricing.tier_since else None,
                unit_prices=[
                    UnitPrice(
                        unit=unit,
                        usd=rate.base,
                        per=UNITS[unit].per,
                        label=UNITS[unit].price_label,
                        list_usd=listed_rate.base if (listed_rate := listed.unit(unit)) else None,
                    )
                    for unit in feature.usage.units()
                    if (rate := rates.unit(unit)) is not None
                ],
                product_tokens=pricing.product_tokens,
                product_what=pricing.product_what,
            )
        )
    sample = run.sample
    calls = max(len(sample.call_input), 1)
    return FeatureResult(
        name=feature.name,
        models=models,
        cost_per_query=_stats(run.totals),
        breakdown=breakdown,
        line_stats={k: _stats(run.lines[k]) for k in COMPONENTS},
        output_share=breakdown.output_usd / mean if mean > 0 else 0.0,
        llm_calls_per_query=float(sample.calls_per_query.mean()),
        input_tokens_per_call=float(sample.call_input.sum() / calls),
        output_tokens_per_call=float(sample.call_output.sum() / calls),
        queries_per_month=queries,
        inference_cost_usd=run.monthly_cost(queries),
        queries_by_month=[float(q) for q in queries_by_month],
        cost_per_query_by_month=[float(c) for c in run.mean_by_month],
        llm_cost_per_query_by_month=[float(c) for c in run.llm_by_month],
        overhead_share=float(run.sample.overhead),
        deployment="api" if run.fleet is None else "self_hosted",
        latency=latency,
        inference_cost_at_scale_usd=at_scale,
        cost_terms=cost_terms(run.sample, book, run.months, run.names),
        trajectory_start_by_key={
            key: book[key].trajectory_start(run.as_of).isoformat()
            if book[key].follows_trajectory
            else None
            for key in run.factors[0]
        },
        trajectory_factor_by_key={
            key: [float(month[key]) for month in run.factors] for key in run.factors[0]
        },
        queries_per_user_by_plan=by_plan,
        fixed_usd_per_query=float(
            run.sample.tools_usd.mean()
            + run.sample.infra_usd.mean()
            + (run.sample.lever_usd.mean() if run.sample.lever_usd is not None else 0.0)
        ),
        fleet=None
        if run.fleet is None
        else FleetSize(
            capacity_queries_per_month=run.fleet.capacity,
            replica_usd_per_month=run.fleet.replica_cost,
            min_replicas=run.fleet.min_replicas,
        ),
    )


def _latency(
    run: _FeatureRun,
    latencies: Mapping[str, ApiLatency | PublishedLatency],
    hosted: SelfHosted | None,
) -> Latency:
    """The feature's seconds per query from each model's call latency."""
    feature, keys = run.feature, run.sample.route_keys
    if hosted is not None:
        return query_latency(run.sample, {hosted.key: hosted.call_latency}, set(), {})
    names: dict[str, str] = {}
    for model in hosted_models(feature):
        key = pricing_key(model, feature.service_tier)
        names[key] = names[batch_key(key)] = model_name(model)
    batch = {k for k in keys if k.endswith(batch_key("")) or feature.service_tier == "batch"}
    by_key = {
        k: api_call_latency(latencies[names[k]], names[k])
        for k in keys
        if k in names and names[k] in latencies
    }
    return query_latency(run.sample, by_key, batch, names)


def _lever_settings(
    feature: Feature,
    index: int,
    book: dict[str, ModelPricing],
    queries_per_month: float,
    seed: int,
    defaults: LeverDefaults | None,
) -> tuple[LeverSettings, Callable[[str], np.random.Generator]] | None:
    """What `feature`'s levers need from the scenario and the catalog, and each lever's own
    random stream (seeded by the run's seed, the feature's index and the lever)."""
    levers = feature.levers
    if levers is None:
        return None
    if defaults is None:
        raise InputError(f"features[{index}].levers: needs the lever defaults catalog")
    tier = feature.service_tier
    write_share = 0.0
    if (prompt := levers.prompt_cache) is not None:
        provider = book[pricing_key(feature.routes[0].model, tier)].provider
        ttl = prompt.ttl_minutes or defaults.ttl_minutes(provider).value
        rate = prompt.prefix_requests_per_minute
        if rate is None:
            calls = expected(feature.extras.llm_calls_per_query)
            rate = queries_per_month * calls / MINUTES_PER_MONTH
        write_share = prompt_cache_write_share(ttl, rate)
    default_ratio = defaults.tokenizer_ratio.value
    settings = LeverSettings(
        routing_key=pricing_key(levers.routing.model, tier) if levers.routing else None,
        distillation_key=(
            pricing_key(levers.distillation.model, tier) if levers.distillation else None
        ),
        prompt_cache_write_share=write_share,
        lookup_usd=(
            levers.response_cache.lookup_usd
            if levers.response_cache and levers.response_cache.lookup_usd is not None
            else defaults.response_cache_lookup_usd.value
        ),
        routing_tokenizer_ratio=(
            levers.routing.tokenizer_ratio or default_ratio if levers.routing else default_ratio
        ),
        distillation_tokenizer_ratio=(
            levers.distillation.tokenizer_ratio or default_ratio
            if levers.distillation
            else default_ratio
        ),
    )

    def stream(kind: str) -> np.random.Generator:
        return np.random.default_rng([seed, index, LEVER_ORDER.index(kind)])

    return settings, stream


def _one_time_result(
    row: OneTimeRow,
    amount: float,
    estimate: TrainingEstimate | None,
    scenario: Scenario,
    first: Month,
    rules: tuple[Rule, ...] | None = None,
    model: TextModel | None = None,
) -> OneTimeResult:
    per_month = amount / row.amortise_months
    explicit = "kind" in row.model_fields_set
    kind, source = row.kind, "scenario" if explicit else "default"
    if not explicit and rules is not None:
        # a row without a kind is placed by what it reads as (training rows are CapEx-like)
        read = classify_line(row.name, rules, model=model)
        if read.bucket == "training" and read.confidence >= LOW_CONFIDENCE:
            kind, source = "training", "classified"
    return OneTimeResult(
        name=row.name,
        kind=kind,
        kind_source=source,
        amount_usd=amount,
        month=row.month or scenario.start,
        amortise_months=row.amortise_months,
        usd_per_month=per_month,
        usd_per_query=per_month / first.queries if first.queries else None,
        months_of_inference_spend=(
            amount / first.inference_cost_usd if first.inference_cost_usd else None
        ),
        estimate=estimate,
    )


def _hosted_notes(hosted: dict) -> list[str]:
    return [
        f"{name} is self-hosted on {h.serving.model} ({h.serving.tp} x {h.serving.gpu}): billed "
        f"as its fleet, replicas for the peak hour (x{h.fleet.peak_to_average:g} the average, at "
        f"least {h.fleet.min_replicas}) rented 24/7 at ${h.fleet.replica_usd_per_month:,.0f} a "
        f"replica-month, plus ${h.fleet.staff_usd_per_month:,.0f} of staff a month in fixed costs; "
        "it grows in steps, not linearly."
        for name, h in hosted.items()
    ]


def _scale_point(multiple: float, first: Month, inference: float) -> ScalePoint:
    users = first.users * multiple
    revenue = first.revenue_usd * multiple
    flat = first.fixed_cost_usd + first.amortised_one_time_usd
    # per-user and revenue-share rows grow with the users, as revenue does
    variable = first.variable_cost_usd * multiple
    cogs = inference + flat + variable
    return ScalePoint(
        multiple=multiple,
        users=users,
        queries=first.queries * multiple,
        inference_cost_usd=inference,
        fixed_cost_usd=first.fixed_cost_usd,
        amortised_one_time_usd=first.amortised_one_time_usd,
        fixed_and_amortised_usd=flat,
        variable_cost_usd=variable,
        revenue_usd=revenue,
        cost_per_user_usd=cogs / users if users else 0.0,
        gross_margin=_margin(revenue, cogs),
        cogs_share_of_arpu=_share(inference, revenue),
    )


def _notes(scenario: Scenario, book: dict[str, ModelPricing]) -> list[str]:
    notes = [
        "On per-token APIs inference cost grows linearly with users: 10x the users is 10x "
        "the inference bill at the same prices; only fixed rows are spread thinner."
    ]
    change = scenario.price_trajectory.annual_change
    if change:
        notes.append(
            f"Model prices change {change * 100:+.0f}% a year from the month after the as-of "
            "date, or after a model's last dated catalog price change when that is later."
        )
    overrides = {
        (p.model_id, p.source)
        for p in book.values()
        if p.is_override and p.provider != "self-hosted"
    }
    for name, source in sorted(overrides):
        notes.append(f"{name}: price given in the scenario ({source}).")
    return notes
