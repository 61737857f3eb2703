"""The per-user Monte Carlo agrees with its expectation and keeps the moments it claims."""

from __future__ import annotations

import numpy as np
import pytest

from costline.engine.unit_economics import (
    QueryCostMoments,
    queries_per_user,
    simulate_monthly_queries,
    simulate_user_costs,
)
from costline.scenario.models import Quantity, Trigger


def test_gamma_sum_keeps_the_mean_and_variance_of_a_sum_of_queries():
    rng = np.random.default_rng(0)
    q = np.full(200_000, 30)
    moments = QueryCostMoments(mean=0.01, std=0.02)
    costs = simulate_user_costs(q, moments, rng)
    assert costs.mean() == pytest.approx(30 * 0.01, rel=0.01)
    assert costs.var() == pytest.approx(30 * 0.02**2, rel=0.02)
    assert costs.min() >= 0


def test_users_with_no_queries_cost_nothing_and_constant_costs_are_exact():
    rng = np.random.default_rng(0)
    q = np.array([0, 1, 5])
    assert simulate_user_costs(q, QueryCostMoments(0.5, 0.1), rng)[0] == 0
    assert simulate_user_costs(q, QueryCostMoments(0.5, 0.0), rng).tolist() == [0, 0.5, 2.5]


def test_simulated_monthly_queries_average_to_the_expectation():
    trigger = Trigger(
        user_share=0.4,
        queries_per_day=Quantity(median=5, p95=30),
        active_days_per_month=Quantity(median=12, p95=25),
    )
    queries = simulate_monthly_queries(trigger, 400_000, np.random.default_rng(1))
    assert queries.mean() == pytest.approx(queries_per_user(trigger), rel=0.01)
    assert (queries == 0).mean() == pytest.approx(0.6, abs=0.01)  # 60% never use it
