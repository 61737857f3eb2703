"""Cases: overrides by field path and by name, validated like the file, reported side by
side."""

from __future__ import annotations

import json

import pytest
from typer.testing import CliRunner

from costline.cli import app
from costline.errors import ScenarioError
from costline.scenario.cases import case_scenarios
from costline.scenario.load import parse_scenario

from .conftest import AS_OF, EXAMPLES
from .test_levers import BASE, run


def with_cases(block: str):
    return parse_scenario(BASE + "cases:\n" + block, "yaml")


def test_a_case_overrides_fields_by_path_and_items_by_name():
    s = with_cases(
        "  high:\n"
        "    users.start: 20000\n"
        "    features.chat.usage.output_tokens: 1000\n"
        "    plans.pro.price_usd_per_month: 2\n"
    )
    cases = case_scenarios(s)
    assert list(cases) == ["base", "high"]
    high = run(cases["high"])
    # twice the users, each query $0.001 + 1,000 x $2 per 1M = $0.003, at $2 a month
    assert high.timeline[0].inference_cost_usd == pytest.approx(20_000 * 10 * 0.003)
    assert high.timeline[0].cogs_share_of_arpu == pytest.approx(10 * 0.003 / 2)
    assert run(cases["base"]).timeline[0].inference_cost_usd == pytest.approx(10_000 * 10 * 0.002)


@pytest.mark.parametrize(
    ("block", "message"),
    [
        (
            "  low:\n    features.chatt.usage.output_tokens: 10\n",
            r"cases\.low\.features\.chatt.*the names are chat",
        ),
        ("  low:\n    users.start: -5\n", r"cases\.low"),
        (
            "  low:\n    features.chat.usage.output_tokns: 10\n",
            r"cases\.low: features\[0\]\.usage\.output_tokns: unknown field 'output_tokns'; "
            r"did you mean 'output_tokens'",
        ),
        ("  base:\n    users.start: 5\n", r"cases\.base"),
    ],
)
def test_a_bad_case_is_located(block, message):
    with pytest.raises(ScenarioError, match=message):
        case_scenarios(with_cases(block))


def test_run_reports_cases_side_by_side():
    result = CliRunner().invoke(
        app,
        [
            "run",
            str(EXAMPLES / "margin-levers.yaml"),
            "--format",
            "json",
            "--samples",
            "2000",
            "--users",
            "200",
            "--as-of",
            AS_OF.isoformat(),
        ],
        catch_exceptions=False,
    )
    assert result.exit_code == 0, result.output
    cases = json.loads(result.output)["cases"]
    assert [c["name"] for c in cases] == ["base", "low", "high"]
    low, base, high = (next(c for c in cases if c["name"] == n) for n in ("low", "base", "high"))
    assert low["inference_cost_usd"] < base["inference_cost_usd"] < high["inference_cost_usd"]


def test_levers_report_each_case_with_and_without_its_levers(tmp_path):
    # the high case doubles the output; a cap at 250 tokens then saves 750 of 1,000 tokens
    path = tmp_path / "cases.yaml"
    path.write_text(
        BASE
        + "    levers:\n      caps: {max_output_tokens: 250}\n"
        + "cases:\n  high:\n    features.chat.usage.output_tokens: 1000\n"
    )
    result = CliRunner().invoke(
        app, ["levers", str(path), "--format", "json", "--as-of", AS_OF.isoformat()]
    )
    assert result.exit_code == 0, result.output
    cases = {c["name"]: c for c in json.loads(result.output)["cases"]}
    assert list(cases) == ["base", "high"]
    queries = 10_000 * 10
    base, high = cases["base"], cases["high"]
    # base: $0.002 a query, capped $0.001 + 250 x $2 per 1M = $0.0015
    assert base["baseline"]["monthly_cost_usd"] == pytest.approx(queries * 0.002)
    assert base["combined"]["monthly_cost_usd"] == pytest.approx(queries * 0.0015)
    # high: $0.001 + $0.002 = $0.003 a query, capped the same $0.0015
    assert high["baseline"]["monthly_cost_usd"] == pytest.approx(queries * 0.003)
    assert high["combined"]["monthly_cost_usd"] == pytest.approx(queries * 0.0015)
    assert high["saving_share"] == pytest.approx(0.5)
    markdown = CliRunner().invoke(app, ["levers", str(path), "--format", "markdown"])
    assert "| high | $300.00 | $150.00 | $150.00 | 50.0% |" in markdown.output


def test_a_model_only_a_case_names_is_the_case_s_error():
    from .conftest import LIBRARY

    text = (EXAMPLES / "margin-levers.yaml").read_text()
    text += "  whisper:\n    features.draft.model: openai:whisper-1\n"
    for call in (LIBRARY.run, LIBRARY.levers):
        with pytest.raises(ScenarioError) as err:
            call(parse_scenario(text, "yaml", "cased.yaml"))
        assert err.value.location == "cases.whisper: features[0].model"
        assert "whisper-1" in str(err.value)
