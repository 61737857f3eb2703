"""Bad input: one message naming the file, the field path and what was expected; exit 2;
no traceback; the user's file untouched."""

from __future__ import annotations

import pytest
from typer.testing import CliRunner

from costline.cli import app
from costline.scenario.load import parse_scenario

from .conftest import EXAMPLES

runner = CliRunner()
GOOD = (EXAMPLES / "support-copilot.yaml").read_text()


def run_text(tmp_path, text: str, name: str = "scenario.yaml"):
    path = tmp_path / name
    path.write_text(text)
    result = runner.invoke(app, ["run", str(path)], catch_exceptions=False)
    assert path.read_text() == text  # nothing a user wrote is overwritten
    return result, path


def error_of(result) -> str:
    assert result.exit_code == 2, result.output
    assert "Traceback" not in result.output
    lines = [line for line in result.output.splitlines() if line.strip()]
    assert lines[0].startswith("error:")
    return " ".join(lines)


CASES = [
    (
        "typo'd key",
        ("output_tokens: 200", "outptu_tokens: 200"),
        ["features[1].usage.outptu_tokens", "did you mean 'output_tokens'"],
    ),
    (
        "negative p95",
        ("output_tokens: {median: 350, p95: 900}", "output_tokens: {median: 350, p95: -5}"),
        ["features[0].usage.output_tokens.p95", "greater than or equal to 0"],
    ),
    (
        "p95 below median",
        ("output_tokens: {median: 350, p95: 900}", "output_tokens: {median: 350, p95: 100}"),
        ["features[0].usage.output_tokens.p95", "at least the median"],
    ),
    (
        "negative constant",
        ("output_tokens: 200", "output_tokens: -200"),
        # the user wrote the field itself, not a `value:` inside it
        ["features[1].usage.output_tokens: Input should be greater than or equal to 0"],
    ),
    (
        "exponent YAML reads as text",
        ("output_tokens: 200", "output_tokens: 2e2"),
        ["features[1].usage.output_tokens", "YAML does not read as a number; write 2.0e+2"],
    ),
    (
        "exponent as text in a distribution",
        ("output_tokens: {median: 350, p95: 900}", "output_tokens: {median: 350, p95: abc}"),
        ["features[0].usage.output_tokens.p95"],
    ),
    (
        "plan shares",
        ("share: 0.3}", "share: 0.2}"),
        ["plans", "sum to 0.9; expected 1"],
    ),
    (
        "routing shares",
        ("share: 0.2}   # long threads", "share: 0.3}"),
        ["features[1].routing", "sum to 1.1; expected 1"],
    ),
    (
        "unknown model",
        ("model: anthropic:claude-sonnet-5-5 ", "model: anthropic:claude-sonet-5.5 "),
        [
            "features[0].model",
            "unknown model 'anthropic:claude-sonet-5.5'",
            "anthropic:claude-sonnet-5-5",
        ],
    ),
    (
        "unknown plan",
        ("  - name: ticket-summary\n", "  - name: ticket-summary\n    plans: [gold]\n"),
        ["features[1].plans[0]", "unknown plan 'gold'"],
    ),
    (
        "model and routing missing",
        ("    model: anthropic:claude-sonnet-5-5 ", "    # no model "),
        ["features[0]", "exactly one of model, routing or deployment"],
    ),
    (
        "an embedding model serving chat",
        ("model: anthropic:claude-sonnet-5-5 ", "model: openai:text-embedding-3-small "),
        ["features[0].model", "no output token price"],
    ),
    (
        "a date where a month goes",
        ("start: 2026-12", "start: 2026-12-01"),
        ["start", "got the date 2026-12-01; write 2026-12"],
    ),
    (
        "growth as a percentage",
        ("monthly_growth: 0.08 ", "monthly_growth: 8 "),
        ["users.monthly_growth", "write 0.08 for 8%"],
    ),
    (
        "a price change as a percentage",
        ("annual_change: -0.3 ", "annual_change: 30 "),
        ["price_trajectory.annual_change", "+3000%", "write -0.3 for 30% cheaper", "allow_extreme"],
    ),
    (
        "an overhead as a percentage",
        ("orchestration_overhead: 0.05 ", "orchestration_overhead: 5 "),
        ["features[0].extras.orchestration_overhead", "+500%", "write 0.05 for 5%"],
    ),
    (
        "a monthly row with no amount",
        ("{name: vector DB cluster, usd_per_month: 600}", "{name: vector DB cluster}"),
        ["monthly[0]", "give usd_per_month, usd_per_user, usd_per_paying_user or share_of_revenue"],
    ),
    (
        "a revenue share as a percentage",
        ("share_of_revenue: 0.029", "share_of_revenue: 2.9"),
        ["monthly[2].share_of_revenue", "write 0.029 for 2.9%"],
    ),
    (
        "a share as a percentage",
        ("cached_input_share: 0.3 ", "cached_input_share: 30 "),
        ["features[0].usage.cached_input_share", "write 0.3 for 30%"],
    ),
    (
        "more active days than a month has",
        ("active_days_per_month: 20", "active_days_per_month: 40"),
        ["features[0].trigger.active_days_per_month", "at most 31"],
    ),
    (
        "a cap below the start",
        ("cap: 200000", "cap: 100"),
        ["users", "cap (100) is below start (2000)"],
    ),
    (
        "a feature on no plan",
        ("  - name: ticket-summary\n", "  - name: ticket-summary\n    plans: []\n"),
        ["features[1].plans", "at least 1 item"],
    ),
    (
        "a per-plan trigger for a plan without the feature",
        (
            "  - name: ticket-summary\n",
            "  - name: ticket-summary\n    plans: [team]\n"
            "    trigger_by_plan: {enterprise: {user_share: 0.1}}\n",
        ),
        ["features[1].trigger_by_plan.enterprise", "does not have this feature"],
    ),
    (
        "a monthly row that ended before the start",
        ("usd_per_month: 600}", "usd_per_month: 600, end: 2026-01}"),
        ["monthly[0].end", "before the scenario start"],
    ),
    (
        "a key written twice",
        ("horizon_months: 36\n", "horizon_months: 36\nhorizon_months: 24\n"),
        ["line 8", "'horizon_months' is written twice"],
    ),
    (
        "batch before the catalog prices it",
        ("start: 2026-12", "start: 2026-01"),
        None,
    ),
    (
        "bad month",
        ("start: 2026-12", "start: 2026-13"),
        ["start", "expected a month as YYYY-MM"],
    ),
    (
        "a month's 'got' said once",
        ("start: 2026-12", "start: 2026-13"),
        ["start: expected a month as YYYY-MM, got '2026-13'"],
    ),
    (
        "queries no user makes (they overflow the simulation's draws)",
        (
            "queries_per_day: {median: 12, p95: 40}",
            "queries_per_day: {median: 1.0e+15, p95: 1.0e+16}",
        ),
        ["features[0].trigger.queries_per_day", "at most 100,000 queries per active user per day"],
    ),
    (
        "more users than people",
        ("start: 2000 ", "start: 1.0e+308 "),
        ["users.start", "at most 10,000,000,000 monthly active users", "got 1e+308"],
    ),
    (
        "a word where a number goes",
        ("output_tokens: 200", "output_tokens: lots"),
        ["features[1].usage.output_tokens", "expected a number, {median, p95}"],
    ),
]


@pytest.mark.parametrize(("label", "change", "expected"), CASES, ids=[c[0] for c in CASES])
def test_bad_scenario_gives_one_located_message(tmp_path, label, change, expected):
    old, new = change
    assert old in GOOD, label
    text = GOOD.replace(old, new, 1)
    if expected is None:  # this case needs a feature on the batch tier
        text = text.replace(
            "  - name: ticket-summary\n", "  - name: ticket-summary\n    service_tier: batch\n"
        )
        expected = ["features[1].routing[0].model", "'batch' service tier", "only from"]
    result, path = run_text(tmp_path, text)
    message = error_of(result)
    assert str(path) in message
    for part in expected:
        assert part in message


def test_malformed_yaml_names_the_line(tmp_path):
    result, _ = run_text(tmp_path, "start: 2026-01\nusers: [1, 2\n")
    message = error_of(result)
    assert "malformed YAML" in message and "line 3" in message


def test_malformed_json_names_the_line(tmp_path):
    result, _ = run_text(tmp_path, '{"start": "2026-01",\n  oops}', "scenario.json")
    assert "malformed JSON" in error_of(result)


def test_a_missing_file_is_a_clear_error(tmp_path):
    result = runner.invoke(app, ["run", str(tmp_path / "nope.yaml")], catch_exceptions=False)
    assert "no such file" in error_of(result)


def test_an_unknown_suffix_is_a_clear_error(tmp_path):
    result, _ = run_text(tmp_path, GOOD, "scenario.txt")
    assert ".yaml, .yml, .toml or .json" in error_of(result)


def test_a_bad_as_of_date_is_a_clear_error():
    result = runner.invoke(
        app,
        ["run", str(EXAMPLES / "support-copilot.yaml"), "--as-of", "soon"],
        catch_exceptions=False,
    )
    assert "--as-of" in error_of(result)


def test_toml_and_json_scenarios_are_accepted(tmp_path):
    import json
    import tomllib  # noqa: F401  (TOML is read by the standard library)

    import yaml

    data = yaml.safe_load(GOOD)
    (tmp_path / "s.json").write_text(json.dumps(data))
    result = runner.invoke(
        app, ["run", str(tmp_path / "s.json"), "-f", "json"], catch_exceptions=False
    )
    assert result.exit_code == 0, result.output
    toml_text = """
start = "2027-01"
[users]
start = 100
[[plans]]
name = "pro"
price_usd_per_month = 10
share = 1
[[features]]
name = "ask"
model = "openai:gpt-4o-mini"
[features.trigger]
queries_per_month = 30
[features.usage]
input_tokens = 800
output_tokens = 200
"""
    (tmp_path / "s.toml").write_text(toml_text)
    result = runner.invoke(app, ["run", str(tmp_path / "s.toml")], catch_exceptions=False)
    assert result.exit_code == 0, result.output


def test_an_empty_file_says_so(tmp_path):
    result, _ = run_text(tmp_path, "\n")
    assert "the file is empty" in error_of(result)


def test_a_negative_seed_is_refused_without_a_traceback():
    result = runner.invoke(
        app,
        ["run", str(EXAMPLES / "support-copilot.yaml"), "--seed", "-1"],
        catch_exceptions=False,
    )
    assert result.exit_code == 2
    assert "Traceback" not in result.output


def test_allow_extreme_accepts_a_price_rise_above_100_percent():
    from costline.scenario.load import parse_scenario

    text = (EXAMPLES / "support-copilot.yaml").read_text()
    text = text.replace("annual_change: -0.3 ", "annual_change: 1.5 ")
    assert (
        parse_scenario(text + "allow_extreme: true\n", "yaml").price_trajectory.annual_change == 1.5
    )


def test_a_bare_user_count_and_a_single_plan_without_share_are_read_as_meant(tmp_path):
    from .conftest import LIBRARY

    text = """\
name: Tiny
start: 2026-12
users: 1000
plans:
  - {name: pro, price_usd_per_month: 10}
features:
  - name: chat
    trigger: {queries_per_day: 2, active_days_per_month: 20}
    model: {name: m, input_usd_per_mtok: 1, output_usd_per_mtok: 2}
    usage: {input_tokens: 500, output_tokens: 200}
"""
    result = LIBRARY.run(parse_scenario(text, "yaml"))
    first = result.timeline[0]
    assert first.users == 1000 and result.timeline[-1].users == 1000
    # by hand: 1,000 users x 2 a day x 20 days x (500 x $1 + 200 x $2) / 1M
    assert first.inference_cost_usd == pytest.approx(1000 * 40 * 900e-6)
    assert result.plans[0].price_usd_per_month == 10
    # with two plans a missing share is still an error
    two = text.replace(
        "  - {name: pro, price_usd_per_month: 10}\n",
        "  - {name: pro, price_usd_per_month: 10}\n  - {name: free, price_usd_per_month: 0}\n",
    )
    result, _ = run_text(tmp_path, two)
    assert "plans[0].share: required field is missing" in error_of(result)


def test_a_bad_month_says_what_it_got_once(tmp_path):
    result, _ = run_text(tmp_path, GOOD.replace("start: 2026-12", "start: 2026-13", 1))
    assert error_of(result).count("2026-13") == 1
    result, _ = run_text(tmp_path, GOOD.replace("start: 2026-12", "start: 2026-12-01", 1))
    message = error_of(result)
    assert "got the date 2026-12-01; write 2026-12" in message and "datetime" not in message
