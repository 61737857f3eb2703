"""A user action that spans features: cost per action, by hand and as a sum of draws."""

from __future__ import annotations

import numpy as np
import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

from costline.engine.run import action_costs
from costline.errors import ScenarioError
from costline.scenario.load import parse_scenario

from .conftest import LIBRARY, ROOT

MEETING = """
name: meetings
start: 2027-01
horizon_months: 3
users: {start: 1000}
plans: [{name: pro, price_usd_per_month: 20, share: 1}]
features:
  - name: summary
    trigger: {queries_per_month: 10}
    usage: {input_tokens: 1000, output_tokens: 200}
    model: {name: contract, input_usd_per_mtok: 2, output_usd_per_mtok: 8}
  - name: index
    trigger: {queries_per_month: 30}
    usage: {input_tokens: 500, output_tokens: 0}
    model: {name: contract, input_usd_per_mtok: 2, output_usd_per_mtok: 8}
actions:
  - {name: meeting, features: {summary: 1, index: 3}}
"""


@pytest.mark.parametrize("seed", [0, 1, 2, 3])
def test_an_action_costs_at_least_each_feature_it_makes_at_every_percentile(seed):
    # a meeting includes its transcription: its p95 cannot be below the transcription's
    result = LIBRARY.run(ROOT / "examples" / "meeting-notes.yaml", seed=seed, samples=5000)
    features = {f.name: f.cost_per_query for f in result.features}
    for action in result.actions:
        for name in action.features:
            assert action.cost_per_action.median >= features[name].median
            assert action.cost_per_action.p95 >= features[name].p95


def test_a_constant_action_costs_its_queries_by_hand():
    # summary: (1000 x $2 + 200 x $8) / 1M = $0.0036; index: 500 x $2 / 1M = $0.001
    (action,) = LIBRARY.run(yaml.safe_load(MEETING), samples=500, users=100).actions
    expected = 0.0036 + 3 * 0.001
    assert action.features == {"summary": 1, "index": 3}
    for figure in (action.cost_per_action.mean, action.cost_per_action.median):
        assert figure == pytest.approx(expected, rel=1e-12)
    assert action.cost_per_action.p95 == pytest.approx(expected, rel=1e-12)


@settings(max_examples=40, deadline=None)
@given(
    counts=st.dictionaries(st.sampled_from(["a", "b", "c"]), st.integers(1, 5), min_size=1),
    seed=st.integers(0, 1000),
)
def test_an_action_is_a_sum_of_draws_with_an_exact_mean(counts, seed):
    rng = np.random.default_rng(seed)
    per_query = {name: rng.lognormal(-6, 0.8, 2_000) for name in "abc"}
    scenario = parse_scenario(
        MEETING.replace(
            "actions:\n  - {name: meeting, features: {summary: 1, index: 3}}",
            "actions: []",
        ),
        "yaml",
    )
    from costline.scenario.models import Action

    scenario = scenario.model_copy(update={"actions": [Action(name="x", features=counts)]})
    (result,) = action_costs(scenario, per_query, seed)
    mean = sum(n * per_query[f].mean() for f, n in counts.items())
    assert result.cost_per_action.mean == pytest.approx(mean, rel=1e-12)
    low = sum(n * per_query[f].min() for f, n in counts.items())
    high = sum(n * per_query[f].max() for f, n in counts.items())
    assert low <= result.cost_per_action.median <= result.cost_per_action.p95 <= high


def test_an_action_naming_an_unknown_feature_is_a_located_error():
    with pytest.raises(ScenarioError) as err:
        parse_scenario(MEETING.replace("index: 3", "idx: 3"), "yaml", "m.yaml")
    assert "actions[0].features.idx: unknown feature 'idx'; features are summary, index" in str(
        err.value
    )


def test_actions_leave_every_other_figure_unchanged():
    data = yaml.safe_load(MEETING)
    with_actions = LIBRARY.run(data, samples=2000, users=500)
    data.pop("actions")
    without = LIBRARY.run(data, samples=2000, users=500)
    assert with_actions.model_dump(exclude={"actions"}) == without.model_dump(exclude={"actions"})


def test_every_view_shows_the_cost_per_action(tmp_path):
    import contextlib

    from typer.testing import CliRunner

    from costline.cli import app

    from .conftest import ROOT

    with contextlib.chdir(ROOT):
        for args in (
            ["run", "examples/support-copilot.yaml", "--samples", "2000", "--users", "500"],
            ["run", "examples/support-copilot.yaml", "-f", "markdown", "--samples", "2000"],
            [
                "report",
                "examples/support-copilot.yaml",
                "-o",
                str(tmp_path / "r.html"),
                "--samples",
                "2000",
                "--users",
                "500",
            ],
        ):
            done = CliRunner().invoke(app, args)
            assert done.exit_code == 0, done.output
        assert "resolved ticket" in (tmp_path / "r.html").read_text()
        out = CliRunner().invoke(app, ["run", "examples/support-copilot.yaml", "--samples", "2000"])
        assert "ticket-summary x1 + draft-reply x2" in out.output
        brief = CliRunner().invoke(
            app, ["brief", "examples/support-copilot.yaml", "--no-solve", "--samples", "2000"]
        )
        assert "## Cost per action" in brief.output and "resolved ticket" in brief.output


def test_the_levers_view_prices_each_action_without_and_with_the_levers():
    from typer.testing import CliRunner

    from costline.cli import app
    from costline.engine.waterfall import with_levers

    from .conftest import EXAMPLES

    path = EXAMPLES / "margin-levers.yaml"
    waterfall = LIBRARY.levers(path)
    (action,) = waterfall.actions
    assert action.features == {"draft": 8, "summary": 1}
    # the ends are the runs with no lever and with every lever, as `run` prices them
    scenario = LIBRARY.load(path)
    bare = LIBRARY.run(with_levers(scenario, set()))
    assert action.baseline == bare.actions["document written"].cost_per_action
    assert action.combined == waterfall.result.actions["document written"].cost_per_action
    assert action.combined.mean < action.baseline.mean
    for fmt in ("terminal", "markdown"):
        done = CliRunner().invoke(app, ["levers", str(path), "-f", fmt])
        assert done.exit_code == 0, done.output
        assert "document written" in done.output and "draft x8 + summary x1" in done.output
