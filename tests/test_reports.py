"""Whole reports against golden files in tests/golden/ (refresh: pytest --update-golden),
and the views show the figures the Result holds."""

from __future__ import annotations

import datetime as dt
import io

import pytest
from rich.console import Console

from costline.catalog.types import CatalogInfo
from costline.engine.run import run_scenario
from costline.report.format import pct, usd
from costline.report.markdown import render_markdown
from costline.report.terminal import render_terminal
from costline.scenario.load import load_scenario
from costline.scenario.prices import price_book

from .conftest import ROOT

GOLDEN = ROOT / "tests" / "golden"
SCENARIO = ROOT / "tests" / "data" / "golden-scenario.yaml"


def _result(catalog):
    scenario = load_scenario(SCENARIO)
    # Every price is in the scenario; pin the catalog identity so a catalog update
    # does not change the golden file.
    pinned = CatalogInfo(
        source="genai-prices (pinned for the golden file)",
        version="pinned",
        latest_price_change=None,
        as_of=dt.date(2027, 1, 1),
    )
    return run_scenario(
        scenario,
        price_book(scenario, catalog),
        pinned,
        seed=5,
        query_samples=5000,
        users_simulated=5000,
    )


def test_markdown_report_matches_golden(catalog, update_golden):
    text = render_markdown(_result(catalog))
    golden = GOLDEN / "report.md"
    if update_golden:
        golden.write_text(text)
    assert text == golden.read_text()


def test_terminal_report_shows_the_headline_figures_and_warnings(catalog):
    result = _result(catalog)
    buffer = io.StringIO()
    render_terminal(result, Console(file=buffer, width=140, color_system=None))
    text = buffer.getvalue()
    assert usd(result.blended.revenue_usd) in text
    assert pct(result.blended.gross_margin) in text
    for warning in result.warnings:
        assert warning.code in text
    for feature in result.features:
        assert usd(feature.cost_per_query.p95) in text


def test_money_formatting():
    assert usd(1234.5) == "$1,234"
    assert usd(12.345) == "$12.35"
    assert usd(0.01234) == "$0.0123"
    assert usd(0.000123456) == "$0.000123"
    assert usd(0) == "$0.00"
    assert pct(None) == "n/a"
    assert pct(0.4567) == "45.7%"


def test_brief_markdown_matches_golden(catalog, update_golden):
    from costline.catalog.levers import load_lever_defaults
    from costline.catalog.tiers import load_model_tiers
    from costline.engine.brief import cto_brief
    from costline.engine.solve import solve
    from costline.report.brief import render_brief_markdown

    scenario = load_scenario(SCENARIO)
    pinned = CatalogInfo(
        source="genai-prices (pinned for the golden file)",
        version="pinned",
        latest_price_change=None,
        as_of=dt.date(2027, 1, 1),
    )

    def run(variant, book):
        return run_scenario(
            variant,
            book,
            pinned,
            seed=5,
            query_samples=5000,
            users_simulated=5000,
            lever_defaults=load_lever_defaults(),
        )

    def price(variant):
        return price_book(variant, catalog)

    def solver(target, goal):
        return solve(scenario, price(scenario), run, target, goal)

    text = render_brief_markdown(cto_brief(scenario, price, run, solver, load_model_tiers()))
    golden = GOLDEN / "brief.md"
    if update_golden:
        golden.write_text(text)
    assert text == golden.read_text()


def test_plans_show_fees_per_user_and_the_margin_after_them():
    from .conftest import EXAMPLES, LIBRARY

    result = LIBRARY.run(EXAMPLES / "support-copilot.yaml", samples=2000, users=2000)
    team = result.plans["team"]
    # by hand from the scenario's rows: card fees 2.9% of $29 + $0.30 a paying user, and
    # helpdesk seats at $0.50 a user
    fees = 0.029 * 29 + 0.30 + 0.50
    assert team.variable_cost_per_user_usd == pytest.approx(fees, rel=1e-9)
    assert team.contribution_margin == pytest.approx(
        1 - (team.cost_per_user.mean + fees) / 29, rel=1e-9
    )
    text = render_markdown(result)
    assert "margin after fees" in text
    assert f"| {usd(fees)} | {pct(team.contribution_margin)} |" in text
    console = Console(file=io.StringIO(), width=200)
    render_terminal(result, console)
    assert "margin after fees" in console.file.getvalue()
