"""Goal-seeking: values by hand on a scenario simple enough to solve on paper, the solved
value put back into the scenario, unreachable targets, and the command."""

from __future__ import annotations

import json

import pytest
from typer.testing import CliRunner

from costline.cli import app
from costline.engine.solve import metric, solve
from costline.scenario.prices import price_book

from .conftest import AS_OF, EXAMPLES, LIBRARY
from .test_levers import CATALOG, scenario

# $0.002 a query, 10 queries a user a month (Poisson), $1 a month: inference is 2% of revenue.


def runner(s, book):
    return LIBRARY.run(s, book=book, samples=4_000, users=200)


def solved(goal: float = 0.01, target: str = "cogs-share"):
    s = scenario()
    return s, {
        x.variable: x for x in solve(s, price_book(s, CATALOG), runner, target, goal).solutions
    }


def test_each_variable_by_hand():
    _, got = solved(0.01)
    assert got["price_scale"].value == pytest.approx(2.0, rel=1e-3)  # twice the revenue
    assert got["model_price_scale"].value == pytest.approx(0.5, rel=1e-3)  # half the price
    assert got["cache_hit_rate"].value == pytest.approx(0.5, abs=0.02)  # half the queries
    # a quota of 5 gives E[min(N, 5)] = 4.87 queries (<= 5); 6 gives 5.8
    assert got["quota"].value == 5
    # input alone is 1% of revenue: any output token misses a 1% target
    cap = got["max_output_tokens"]
    assert not cap.reachable and cap.value is None and "even 1" in cap.reason


def test_a_solved_value_put_back_meets_the_target():
    s, got = solved(0.015)
    k = got["price_scale"].value
    priced = s.model_copy(
        update={"plans": [p.model_copy(update={"price_usd_per_month": k}) for p in s.plans]}
    )
    share = metric(runner(priced, price_book(priced, CATALOG)), "cogs-share")
    assert share == pytest.approx(0.015, rel=1e-3) and share <= 0.015 * (1 + 1e-9)
    # the output cap: 0.001 + m x 2e-6 = 0.0015 -> m = 250 tokens
    assert got["max_output_tokens"].value == 250
    assert got["max_output_tokens"].achieved <= 0.015 * (1 + 1e-9)


def test_an_already_met_target_needs_no_limit():
    _, got = solved(0.05)
    assert got["max_output_tokens"].reachable and got["max_output_tokens"].value is None
    assert got["cache_hit_rate"].value == 0.0
    assert got["price_scale"].value < 1


def test_solve_command_json_and_bad_targets():
    result = CliRunner().invoke(
        app,
        [
            "solve",
            str(EXAMPLES / "support-copilot.yaml"),
            "--target",
            "gross-margin=0.99",
            "--samples",
            "2000",
            "--format",
            "json",
            "--as-of",
            AS_OF.isoformat(),
        ],
        catch_exceptions=False,
    )
    assert result.exit_code == 0, result.output
    doc = json.loads(result.output)
    for row in doc["solutions"]:
        assert {"variable", "value", "reachable", "reason"} <= row.keys()
    # fixed costs alone keep the margin under 99% with free models: unreachable, exit 0
    models = next(r for r in doc["solutions"] if r["variable"] == "model_price_scale")
    assert models["reachable"] is False
    for bad in ("margin=0.5", "cogs-share=1.5", "cogs-share=abc"):
        out = CliRunner().invoke(
            app, ["solve", str(EXAMPLES / "support-copilot.yaml"), "--target", bad]
        )
        assert out.exit_code == 2 and "--target" in out.output


def test_the_current_figure_is_the_one_run_prints():
    """solve searches with fewer simulated queries; its "now" must still be run's figure
    (it printed 13.6% beside run's 13.7%)."""
    import contextlib

    from .conftest import LIBRARY, ROOT

    with contextlib.chdir(ROOT):
        ran = LIBRARY.run("examples/margin-levers.yaml")
        solved = LIBRARY.solve("examples/margin-levers.yaml", "cogs-share", 0.05)
        margin = LIBRARY.solve("examples/margin-levers.yaml", "gross-margin", 0.95)
    assert solved.current == ran.blended.cogs_share_of_arpu
    assert margin.current == ran.blended.gross_margin
