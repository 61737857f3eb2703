"""Users over time, the price trajectory, fixed rows and amortisation."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pytest

from costline.engine.distributions import draw, expected
from costline.engine.projection import price_factor, users_by_month
from costline.engine.unit_economics import users_per_plan
from costline.scenario.models import Quantity, Users


def test_growth_compounds_monthly_and_stops_at_the_cap():
    users = users_by_month(Users(start=100, monthly_growth=0.5, cap=300), 5)
    assert users.tolist() == pytest.approx([100, 150, 225, 300, 300])


def test_an_explicit_user_list_holds_its_last_value():
    users = users_by_month(Users(by_month=[10, 20, 40]), 5)
    assert users.tolist() == [10, 20, 40, 40, 40]


def test_price_trajectory_is_one_until_the_as_of_month_then_compounds():
    as_of = dt.date(2026, 11, 26)
    assert price_factor(-0.3, as_of, dt.date(2026, 11, 1)) == 1.0
    assert price_factor(-0.3, as_of, dt.date(2027, 11, 1)) == pytest.approx(0.7)
    assert price_factor(-0.3, as_of, dt.date(2028, 5, 1)) == pytest.approx(0.7**1.5)
    assert price_factor(0.0, as_of, dt.date(2030, 1, 1)) == 1.0


def test_lognormal_draws_match_their_median_p95_and_mean():
    q = Quantity(median=100, p95=400)
    values = draw(q, 400_000, np.random.default_rng(3))
    assert np.median(values) == pytest.approx(100, rel=0.01)
    assert np.percentile(values, 95) == pytest.approx(400, rel=0.02)
    assert values.mean() == pytest.approx(expected(q), rel=0.01)


def test_the_clipped_mean_matches_clipped_draws():
    q = Quantity(median=15, p95=40)
    values = draw(q, 400_000, np.random.default_rng(4), upper=31)
    assert values.max() <= 31
    assert values.mean() == pytest.approx(expected(q, upper=31), rel=0.005)


def test_simulated_users_are_split_evenly_over_plans():
    assert users_per_plan(10, 3) == [4, 3, 3]
    assert sum(users_per_plan(20_000, 7)) == 20_000
