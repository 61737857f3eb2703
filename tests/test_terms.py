"""A feature's cost terms (units x catalog prices) rebuild the engine's mean cost per query
in every month: what the spreadsheet export relies on."""

from __future__ import annotations

import datetime as dt

import pytest

from costline.catalog.prices import PriceCatalog
from costline.engine.projection import price_factor
from costline.engine.terms import term_usd
from costline.scenario.load import load_scenario

from .conftest import EXAMPLES, LIBRARY

CATALOG = PriceCatalog()


def result_of(name: str):
    scenario = load_scenario(EXAMPLES / name)
    return scenario, LIBRARY.run(scenario, samples=5_000, users=1_000)


@pytest.mark.parametrize(
    "name",
    ["support-copilot.yaml", "consumer-chat.yaml", "agentic-workflows.yaml", "margin-levers.yaml"],
)
def test_terms_rebuild_the_mean_cost_per_query_in_every_month(name):
    scenario, result = result_of(name)
    change = scenario.price_trajectory.annual_change
    months = scenario.month_dates()
    checked = 0
    for feature in result.features:
        if feature.deployment != "api":
            continue
        assert feature.cost_terms
        for t, month in enumerate(months):
            total = 0.0
            for term in feature.cost_terms:
                start = feature.trajectory_start_by_key[term.key]
                factor = (
                    1.0
                    if start is None
                    else price_factor(change, dt.date.fromisoformat(start), month)
                )
                total += term_usd(term, t, factor)
            rebuilt = total * (1 + feature.overhead_share) + feature.fixed_usd_per_query
            assert rebuilt == pytest.approx(feature.cost_per_query_by_month[t], rel=1e-9)
            checked += 1
    assert checked >= len(months)
