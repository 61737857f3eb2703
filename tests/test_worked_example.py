"""Hand-worked arithmetic: a constant scenario to the cent, and the shipped support-copilot
example from its lognormal inputs. Expected values are written out from the inputs, not
taken from an earlier run."""

from __future__ import annotations

import datetime as dt
import math

import genai_prices
import pytest

from costline.engine.run import run_scenario
from costline.scenario.load import load_scenario, parse_scenario
from costline.scenario.prices import price_book

from .conftest import EXAMPLES

TINY = """
name: tiny
start: 2027-01
horizon_months: 12
users: {start: 1000, monthly_growth: 0.10, cap: 2000}
plans:
  - {name: free, price_usd_per_month: 0, share: 0.5}
  - {name: pro, price_usd_per_month: 20, share: 0.5}
features:
  - name: ask
    trigger: {user_share: 0.5, queries_per_day: 2, active_days_per_month: 20}
    usage: {input_tokens: 1000, output_tokens: 200, cached_input_share: 0.25}
    model: {name: contract-llm, input_usd_per_mtok: 1.0, output_usd_per_mtok: 4.0,
            cached_input_usd_per_mtok: 0.1}
    extras:
      llm_calls_per_query: 3
      tool_calls: {per_query: 2, usd_per_call: 0.01}
      infra_usd_per_query: 0.001
      orchestration_overhead: 0.1
monthly:
  - {name: vector DB, usd_per_month: 100}
one_time:
  - {name: evals, amount_usd: 1200, amortise_months: 12}
"""


@pytest.fixture(scope="module")
def tiny(catalog):
    scenario = parse_scenario(TINY, "yaml", "tiny.yaml")
    book = price_book(scenario, catalog)
    return run_scenario(scenario, book, catalog.info(dt.date(2027, 1, 1)), seed=1)


def test_tiny_cost_per_query_by_hand(tiny):
    # One call: 750 uncached input at $1, 250 cached at $0.1, 200 output at $4 per 1M.
    call = (750 * 1.0 + 250 * 0.1 + 200 * 4.0) / 1e6  # $0.001575
    llm = 3 * call  # three calls a query
    per_query = llm + 0.1 * llm + 2 * 0.01 + 0.001
    feature = tiny.features[0]
    assert feature.cost_per_query.mean == pytest.approx(per_query, rel=1e-12)
    assert feature.cost_per_query.median == pytest.approx(per_query, rel=1e-12)
    assert feature.cost_per_query.p95 == pytest.approx(per_query, rel=1e-12)
    assert feature.breakdown.output_usd == pytest.approx(3 * 200 * 4.0 / 1e6, rel=1e-12)
    assert feature.breakdown.tools_usd == pytest.approx(0.02)


def test_tiny_first_month_margin_by_hand(tiny):
    per_query = 3.3 * 0.001575 + 0.02 + 0.001
    queries = 1000 * 0.5 * 2 * 20  # users x user_share x per day x days
    inference = queries * per_query
    revenue = 1000 * 0.5 * 20
    cogs = inference + 100 + 1200 / 12
    assert tiny.features[0].queries_per_month == pytest.approx(queries)
    assert tiny.blended.inference_cost_usd == pytest.approx(inference, rel=1e-12)
    assert tiny.blended.revenue_usd == pytest.approx(revenue)
    assert tiny.blended.gross_margin == pytest.approx((revenue - cogs) / revenue, rel=1e-12)
    assert tiny.blended.cogs_share_of_arpu == pytest.approx(inference / revenue, rel=1e-12)
    pro = tiny.plans[1]
    assert pro.cost_per_user.mean == pytest.approx(0.5 * 40 * per_query, rel=1e-12)
    assert pro.gross_margin == pytest.approx(1 - 0.5 * 40 * per_query / 20, rel=1e-12)
    assert tiny.plans[0].gross_margin is None  # a free plan has no margin


def test_tiny_timeline_grows_caps_and_stops_amortising(tiny):
    users = [m.users for m in tiny.timeline]
    assert users[:3] == pytest.approx([1000, 1100, 1210])
    assert max(users) == 2000  # the cap
    assert all(m.amortised_one_time_usd == pytest.approx(100) for m in tiny.timeline)
    assert tiny.timeline[0].one_time_spend_usd == 1200
    assert sum(m.one_time_spend_usd for m in tiny.timeline) == 1200


def test_tiny_scale_is_linear_in_inference(tiny):
    one, ten, hundred = tiny.scale
    assert ten.inference_cost_usd == pytest.approx(10 * one.inference_cost_usd)
    assert hundred.users == 100_000
    assert hundred.fixed_cost_usd == one.fixed_cost_usd  # fixed rows do not scale


# --- the shipped support-copilot example, worked from its inputs ---------------------

Z95 = 1.6448536269514722  # 95th percentile of the standard normal


def lognormal_mean(median: float, p95: float) -> float:
    sigma = math.log(p95 / median) / Z95
    return median * math.exp(sigma**2 / 2)


def per_mtok(model: str, provider: str, when: dt.date, **usage: int) -> float:
    """USD per 1M tokens of one kind, read from genai-prices directly (0.1M to stay
    below any tier)."""
    usage = {key: 100_000 for key in usage}
    calc = genai_prices.calc_price(
        genai_prices.Usage(**usage),
        model,
        provider_id=provider,
        genai_request_timestamp=dt.datetime.combine(when, dt.time(12, tzinfo=dt.UTC)),
    )
    return float(calc.total_price) * 10


@pytest.fixture(scope="module")
def copilot(catalog):
    scenario = load_scenario(EXAMPLES / "support-copilot.yaml")
    book = price_book(scenario, catalog)
    # As of the start month: catalog prices apply, no trajectory yet.
    return run_scenario(scenario, book, catalog.info(dt.date(2026, 12, 1)), seed=0)


def test_support_copilot_draft_reply_by_hand(copilot):
    day = dt.date(2026, 12, 1)
    sonnet_in = per_mtok("claude-sonnet-5-5", "anthropic", day, input_tokens=1)
    sonnet_out = per_mtok("claude-sonnet-5-5", "anthropic", day, output_tokens=1)
    # cache reads are part of input_tokens: 0.1M input that are all cache reads
    sonnet_cached = per_mtok(
        "claude-sonnet-5-5", "anthropic", day, input_tokens=1, cache_read_tokens=1
    )
    embed = per_mtok("text-embedding-3-small", "openai", day, input_tokens=1)
    tokens_in = lognormal_mean(3500, 7000)
    tokens_out = lognormal_mean(350, 900)
    llm = (
        0.7 * tokens_in * sonnet_in + 0.3 * tokens_in * sonnet_cached + tokens_out * sonnet_out
    ) / 1e6
    retrieval = 300 * embed / 1e6
    per_query = (llm + retrieval) * 1.05 + 0.0002
    draft = copilot.features[0]
    # Monte Carlo over 20,000 queries: a few standard errors is ~1%.
    assert draft.cost_per_query.mean == pytest.approx(per_query, rel=0.02)
    queries = 2000 * 0.85 * lognormal_mean(12, 40) * 20
    assert draft.queries_per_month == pytest.approx(queries, rel=1e-9)


def test_support_copilot_routing_and_margin_by_hand(copilot):
    day = dt.date(2026, 12, 1)
    mini_in = per_mtok("gpt-6-luna", "openai", day, input_tokens=1)
    mini_out = per_mtok("gpt-6-luna", "openai", day, output_tokens=1)
    sonnet_in = per_mtok("claude-sonnet-5-5", "anthropic", day, input_tokens=1)
    sonnet_out = per_mtok("claude-sonnet-5-5", "anthropic", day, output_tokens=1)
    tokens_in = lognormal_mean(2500, 9000)
    summary = (
        0.8 * (tokens_in * mini_in + 200 * mini_out)
        + 0.2 * (tokens_in * sonnet_in + 200 * sonnet_out)
    ) / 1e6
    summary_queries = 2000 * 0.6 * lognormal_mean(5, 15) * 20
    ticket = copilot.features[1]
    assert ticket.cost_per_query.mean == pytest.approx(summary, rel=0.04)
    assert ticket.queries_per_month == pytest.approx(summary_queries, rel=1e-9)

    draft = copilot.features[0]
    inference = draft.inference_cost_usd + summary * summary_queries
    revenue = 2000 * (0.7 * 29 + 0.3 * 59)
    # monthly rows: fixed, then card fees (2.9% of revenue + $0.30 a paying user: both
    # plans charge) and helpdesk seats at $0.50 a user
    variable = 0.029 * revenue + 0.30 * 2000 + 0.50 * 2000
    assert copilot.blended.variable_cost_usd == pytest.approx(variable, rel=1e-12)
    assert copilot.blended.paying_share == 1.0  # team and enterprise both charge
    # per user of each plan: $0.50 seat + $0.30 card fee + 2.9% of its price
    for plan in copilot.plans:
        other = 0.50 + 0.30 + 0.029 * plan.price_usd_per_month
        assert plan.variable_cost_per_user_usd == pytest.approx(other, rel=1e-12)
        per_user = plan.cost_per_user.mean
        assert plan.contribution_margin == pytest.approx(
            1 - (per_user + other) / plan.price_usd_per_month, rel=1e-12
        )
    cogs = inference + 600 + 250 + variable + 30000 / 12
    assert copilot.blended.revenue_usd == pytest.approx(revenue)
    assert copilot.blended.gross_margin == pytest.approx((revenue - cogs) / revenue, abs=0.005)


def test_a_plan_with_a_zero_share_has_no_users_and_no_error(catalog):
    text = TINY.replace(
        "share: 0.5}\n  - {name: pro, price_usd_per_month: 20, share: 0.5}",
        "share: 1.0}\n  - {name: pro, price_usd_per_month: 20, share: 0.0}",
    )
    scenario = parse_scenario(text, "yaml")
    result = run_scenario(
        scenario, price_book(scenario, catalog), catalog.info(dt.date(2027, 1, 1))
    )
    assert result.plans[1].users == 0
    assert result.blended.revenue_usd == 0
    assert result.blended.gross_margin is None


def test_a_contract_price_can_opt_out_of_the_trajectory(catalog):
    fixed = (
        TINY.replace(
            "cached_input_usd_per_mtok: 0.1}",
            "cached_input_usd_per_mtok: 0.1, follows_price_trajectory: false}",
        )
        + "price_trajectory: {annual_change: -0.5}\n"
    )
    moving = TINY + "price_trajectory: {annual_change: -0.5}\n"
    results = []
    for text in (fixed, moving):
        scenario = parse_scenario(text, "yaml")
        book = price_book(scenario, catalog)
        results.append(run_scenario(scenario, book, catalog.info(dt.date(2027, 1, 1))))
    fixed_run, moving_run = results
    per_user = [m.inference_cost_usd / m.users for m in fixed_run.timeline]
    assert per_user == pytest.approx([per_user[0]] * len(per_user))
    # 12 months after the as-of month, model prices are half; tools and infra are not.
    last = moving_run.timeline[-1]
    llm = 3.3 * 0.001575
    queries_per_user = 0.5 * 40  # user_share x queries a month; both plans have it
    expected = queries_per_user * (llm * 0.5 ** (11 / 12) + 0.02 + 0.001)
    assert last.inference_cost_usd / last.users == pytest.approx(expected, rel=1e-12)


def test_warnings_for_a_product_without_revenue_and_a_loosely_matched_model(catalog):
    text = TINY.replace("price_usd_per_month: 20", "price_usd_per_month: 0").replace(
        "model: {name: contract-llm, input_usd_per_mtok: 1.0, output_usd_per_mtok: 4.0,\n"
        "            cached_input_usd_per_mtok: 0.1}",
        "model: anthropic:claude-sonnet-4-5-typo",
    )
    scenario = parse_scenario(text, "yaml")
    result = run_scenario(
        scenario, price_book(scenario, catalog), catalog.info(dt.date(2027, 1, 1))
    )
    codes = {w.code for w in result.warnings}
    assert {"NO_REVENUE", "MODEL_MATCHED_AS"} <= codes
    assert all(p.share_of_users_costing_more_than_price is None for p in result.plans)


def test_a_plan_whose_per_user_rows_outweigh_its_margin_is_flagged():
    """$4 a month; inference 20 x (1000 x $2 + 200 x $8) / 1M = $0.072 a user; a $3.50
    seat and a 2.9% + $0.30 card fee: 0.072 + 3.5 + 0.116 + 0.3 = $3.988 < $4, so a $3.60
    seat tips it below zero."""
    import yaml

    from .conftest import LIBRARY

    base = """
name: thin plan
start: 2027-01
horizon_months: 2
users: {start: 100}
plans: [{name: basic, price_usd_per_month: 4, share: 1}]
features:
  - name: ask
    trigger: {queries_per_month: 20}
    usage: {input_tokens: 1000, output_tokens: 200}
    model: {name: contract, input_usd_per_mtok: 2, output_usd_per_mtok: 8}
monthly:
  - {name: card fees, share_of_revenue: 0.029, usd_per_paying_user: 0.30}
  - {name: seat, usd_per_user: SEAT}
"""
    for seat, negative in ((3.5, False), (3.6, True)):
        result = LIBRARY.run(yaml.safe_load(base.replace("SEAT", str(seat))), samples=200, users=50)
        (plan,) = result.plans
        assert plan.variable_cost_per_user_usd == pytest.approx(seat + 0.116 + 0.3, rel=1e-12)
        codes = [w.code for w in result.warnings]
        assert ("PLAN_NEGATIVE_MARGIN" in codes) is negative
