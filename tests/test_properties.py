"""Invariants, by property tests: more users never cost less; a cheaper model never raises
cost; p95 >= median; the adapter's prices scale linearly."""

from __future__ import annotations

import datetime as dt

from hypothesis import given, settings
from hypothesis import strategies as st

from costline.api import Costline
from costline.scenario.models import Scenario

AS_OF = dt.date(2027, 1, 1)
LIBRARY = Costline(as_of=AS_OF)  # the CLI's library face, on this module's date

positive = st.floats(1.0, 5000.0, allow_nan=False)
price = st.floats(0.01, 50.0, allow_nan=False)


def scenario(users: float, input_price: float, output_price: float, medians, growth=0.05):
    in_median, in_spread, out_median, out_spread, q_median, q_spread = medians
    return Scenario.model_validate(
        {
            "start": "2027-01",
            "horizon_months": 12,
            "users": {"start": users, "monthly_growth": growth},
            "plans": [
                {"name": "free", "price_usd_per_month": 0, "share": 0.6},
                {"name": "pro", "price_usd_per_month": 25, "share": 0.4},
            ],
            "features": [
                {
                    "name": "chat",
                    "trigger": {
                        "user_share": 0.8,
                        "queries_per_day": {"median": q_median, "p95": q_median * q_spread},
                    },
                    "usage": {
                        "input_tokens": {"median": in_median, "p95": in_median * in_spread},
                        "output_tokens": {"median": out_median, "p95": out_median * out_spread},
                        "cached_input_share": 0.2,
                    },
                    "model": {
                        "name": "m",
                        "input_usd_per_mtok": input_price,
                        "output_usd_per_mtok": output_price,
                    },
                }
            ],
            "monthly": [{"name": "ops", "usd_per_month": 300}],
        }
    )


usage_shapes = st.tuples(
    st.floats(10, 20_000),
    st.floats(1, 5),
    st.floats(1, 4000),
    st.floats(1, 5),
    st.floats(0.1, 50),
    st.floats(1, 6),
)


def run(s: Scenario, catalog, seed: int = 0):
    return LIBRARY.run(s, seed=seed, samples=2000, users=2000)


@settings(max_examples=25, deadline=None)
@given(
    users=positive, more=st.floats(1.0, 100.0), prices=st.tuples(price, price), shape=usage_shapes
)
def test_more_users_never_cost_less(catalog, users, more, prices, shape):
    small = run(scenario(users, *prices, shape), catalog)
    large = run(scenario(users * more, *prices, shape), catalog)
    for a, b in zip(small.timeline, large.timeline, strict=True):
        assert b.inference_cost_usd >= a.inference_cost_usd
        assert b.cogs_usd >= a.cogs_usd
    for a, b in zip(small.scale, small.scale[1:], strict=False):
        assert b.inference_cost_usd >= a.inference_cost_usd


@settings(max_examples=25, deadline=None)
@given(users=positive, prices=st.tuples(price, price), cut=st.floats(0.0, 1.0), shape=usage_shapes)
def test_a_cheaper_model_never_raises_cost(catalog, users, prices, cut, shape):
    # Same seed, same simulated tokens: only the price differs.
    dear = run(scenario(users, *prices, shape), catalog)
    cheap = run(scenario(users, prices[0] * cut, prices[1] * cut, shape), catalog)
    a, b = dear.features[0].cost_per_query, cheap.features[0].cost_per_query
    assert b.mean <= a.mean and b.median <= a.median and b.p95 <= a.p95
    assert cheap.blended.inference_cost_usd <= dear.blended.inference_cost_usd
    for before, after in zip(dear.timeline, cheap.timeline, strict=True):
        assert after.inference_cost_usd <= before.inference_cost_usd


@settings(max_examples=25, deadline=None)
@given(
    users=positive,
    prices=st.tuples(price, price),
    shape=usage_shapes,
    seed=st.integers(0, 2**32 - 1),
)
def test_p95_is_never_below_the_median(catalog, users, prices, shape, seed):
    result = run(scenario(users, *prices, shape), catalog, seed)
    for feature in result.features:
        assert feature.cost_per_query.p95 >= feature.cost_per_query.median >= 0
    for plan in result.plans:
        assert plan.cost_per_user.p95 >= plan.cost_per_user.median >= 0


@settings(max_examples=25, deadline=None)
@given(
    users=positive, prices=st.tuples(price, price), factor=st.floats(0.1, 10), shape=usage_shapes
)
def test_cost_per_query_is_linear_in_the_price(catalog, users, prices, factor, shape):
    base = run(scenario(users, *prices, shape), catalog)
    scaled = run(scenario(users, prices[0] * factor, prices[1] * factor, shape), catalog)
    assert scaled.features[0].cost_per_query.mean == _approx(
        base.features[0].cost_per_query.mean * factor
    )


def _approx(value: float):
    import pytest

    return pytest.approx(value, rel=1e-9)
