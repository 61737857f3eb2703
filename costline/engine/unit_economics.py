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

import numpy as np

from costline.engine.distributions import draw, expected
from costline.scenario.models import Scenario, Trigger

DAYS_IN_MONTH_MAX = 31.0


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


def expected_queries(scenario: Scenario) -> dict[tuple[str, str], float]:
    """Expected queries per user per month, keyed by (plan, feature)."""
    out = {}
    for feature in scenario.features:
        for plan in scenario.plans_of(feature):
            out[plan.name, feature.name] = queries_per_user(feature.trigger_for(plan.name))
    return out


def allocate_users(shares: list[float], total: int) -> list[int]:
    """Split `total` simulated users over plans by share (largest remainder), at least 1
    for every plan with a share above zero."""
    raw = np.asarray(shares, dtype=float) * total
    counts = np.floor(raw).astype(int)
    remainder = total - counts.sum()
    for i in np.argsort(-(raw - counts))[: max(remainder, 0)]:
        counts[i] += 1
    counts = np.where((np.asarray(shares) > 0) & (counts == 0), 1, counts)
    return [int(c) for c in counts]


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
    counts = allocate_users([plan.share for plan in scenario.plans], users_simulated)
    costs = {plan.name: np.zeros(n) for plan, n in zip(scenario.plans, counts, strict=True)}
    for plan, n in zip(scenario.plans, counts, strict=True):
        for feature in scenario.features:
            if plan not in scenario.plans_of(feature):
                continue
            queries = simulate_monthly_queries(feature.trigger_for(plan.name), n, rng)
            costs[plan.name] += simulate_user_costs(queries, moments[feature.name], rng)
    return costs
