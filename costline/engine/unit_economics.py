"""Per-user inference cost: expectation per plan and a Monte Carlo over users.

Each simulated user of a plan, for each feature the plan has:
  uses it this month     ~ Bernoulli(user_share)
  queries this month     ~ Poisson(rate x active days), rate and days drawn per user
  cost of those queries  ~ Gamma with the mean and variance of the sum of that many
                           i.i.d. query costs (q*mu, q*sigma^2): positive, right-skewed,
                           exact in its first two moments, one draw per user.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

import numpy as np

from costline.engine.distributions import draw, expected
from costline.scenario.models import Feature, Scenario, Trigger

DAYS_IN_MONTH_MAX = 31.0
QUOTA_USERS_SIMULATED = 200_000
"""Users simulated to estimate E[min(queries, quota)]: its standard error is well under
0.5% of the mean for the triggers costline accepts."""


@dataclass(frozen=True)
class QueryCostMoments:
    """Mean and standard deviation of one feature's cost per query (USD)."""

    mean: float
    std: float


def queries_per_active_user(trigger: Trigger) -> float:
    """Expected queries per month of a user who uses the feature."""
    if trigger.queries_per_month is not None:
        return expected(trigger.queries_per_month)
    assert trigger.queries_per_day is not None
    days = expected(trigger.active_days_per_month, upper=DAYS_IN_MONTH_MAX)
    return expected(trigger.queries_per_day) * days


def queries_per_user(trigger: Trigger) -> float:
    """Expected queries per month of any user of the plan (users of the feature or not)."""
    return trigger.user_share * queries_per_active_user(trigger)


def queries_per_user_with_quota(trigger: Trigger, quota: int | None) -> float:
    """Expected queries per month of any user of the plan when no user may pass `quota`:
    E[min(queries, quota)], estimated over simulated users with a fixed seed (a quota
    truncates the heavy users a closed form of the mean cannot see)."""
    if quota is None:
        return queries_per_user(trigger)
    return _capped_mean(trigger, quota)


@lru_cache(maxsize=1024)
def _capped_mean(trigger: Trigger, quota: int) -> float:
    # the same trigger and quota give the same figure (a fixed seed): a goal-seek that
    # moves the price or the output cap need not simulate 200,000 users again each run
    rng = np.random.default_rng(QUOTA_USERS_SIMULATED)
    queries = simulate_monthly_queries(trigger, QUOTA_USERS_SIMULATED, rng)
    return float(np.minimum(queries, quota).mean())


def quota_of(feature: Feature) -> int | None:
    """The feature's monthly query quota per user, if a caps lever sets one."""
    caps = feature.levers.caps if feature.levers is not None else None
    return None if caps is None else caps.queries_per_user_per_month


def expected_queries(scenario: Scenario) -> dict[tuple[str, str], float]:
    """Expected queries per user per month, keyed by (plan, feature)."""
    out = {}
    for feature in scenario.features:
        for plan in scenario.plans_of(feature):
            out[plan.name, feature.name] = queries_per_user_with_quota(
                feature.trigger_for(plan.name), quota_of(feature)
            )
    return out


def users_per_plan(total: int, plans: int) -> list[int]:
    """Split `total` simulated users evenly over `plans` plans.

    Even, not by share: each plan's median and p95 are reported on their own, so a plan
    with 5% of the users needs as many simulated users as one with 95%.
    """
    return [total // plans + (1 if i < total % plans else 0) for i in range(plans)]


def simulate_monthly_queries(trigger: Trigger, n: int, rng: np.random.Generator) -> np.ndarray:
    """Queries in one month for each of `n` users of a plan (0 for non-users)."""
    out = np.zeros(n, dtype=np.int64)
    users = np.flatnonzero(rng.random(n) < trigger.user_share)
    k = users.size
    # Only users of the feature draw a rate: most features reach a fraction of users.
    if trigger.queries_per_month is not None:
        rate = draw(trigger.queries_per_month, k, rng)
    else:
        assert trigger.queries_per_day is not None
        days = draw(trigger.active_days_per_month, k, rng, upper=DAYS_IN_MONTH_MAX)
        rate = draw(trigger.queries_per_day, k, rng) * days
    out[users] = rng.poisson(rate)
    return out


def simulate_user_costs(
    queries: np.ndarray, moments: QueryCostMoments, rng: np.random.Generator
) -> np.ndarray:
    """USD per user for `queries` queries each, whose costs have `moments`."""
    q = queries.astype(float)
    if moments.mean <= 0:
        return np.zeros_like(q)
    if moments.std <= 0:
        return q * moments.mean
    scale = moments.std**2 / moments.mean
    out = np.zeros_like(q)
    users = np.flatnonzero(q > 0)
    out[users] = rng.gamma(q[users] * moments.mean / scale, scale)
    return out


def plan_user_costs(
    scenario: Scenario,
    moments: dict[str, QueryCostMoments],
    users_simulated: int,
    rng: np.random.Generator,
) -> dict[str, np.ndarray]:
    """Simulated inference USD per user per month for each plan, at start-month prices."""
    counts = users_per_plan(users_simulated, len(scenario.plans))
    costs = {plan.name: np.zeros(n) for plan, n in zip(scenario.plans, counts, strict=True)}
    for plan, n in zip(scenario.plans, counts, strict=True):
        for feature in scenario.features:
            if plan not in scenario.plans_of(feature):
                continue
            queries = simulate_monthly_queries(feature.trigger_for(plan.name), n, rng)
            quota = quota_of(feature)
            if quota is not None:
                queries = np.minimum(queries, quota)
            costs[plan.name] += simulate_user_costs(queries, moments[feature.name], rng)
    return costs
