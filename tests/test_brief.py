"""The CTO brief: latency per query, cost lines, tier moves, triggers, the 10x month and
the verdict, against hand arithmetic; the shipped tier and latency data against the
catalog; the command's Markdown and JSON."""

from __future__ import annotations

import json
import math

import numpy as np
import pytest
from typer.testing import CliRunner

from costline.catalog.gpus import load_hardware
from costline.catalog.latency import load_api_latency
from costline.catalog.open_models import load_open_models
from costline.catalog.prices import PriceCatalog
from costline.catalog.tiers import ModelFamily, ModelTiers, load_model_tiers
from costline.cli import app
from costline.engine.brief import cto_brief, plan_trigger, scale_month
from costline.engine.deployment import self_hosted_features
from costline.engine.selfhost import request_latency_s
from costline.engine.solve import solve
from costline.errors import ScenarioError
from costline.scenario.load import parse_scenario
from costline.scenario.models import Trigger
from costline.scenario.prices import price_book, pricing_key

from .conftest import AS_OF, EXAMPLES, LIBRARY

CATALOG = PriceCatalog()
SAMPLES = 20_000
TIERS = ModelTiers((ModelFamily("openai", "GPT-4o", ("gpt-4o", "gpt-4o-mini"), "test"),))

# Two calls a query of 1,000 input and 200 output tokens at $2 / $8 per 1M:
# $0.002 + $0.0016 = $0.0036 a call, $0.0072 a query.
BASE = """
name: brief by hand
start: 2027-01
horizon_months: 36
users: {start: 1000, monthly_growth: 0.1}
plans: [{name: pro, price_usd_per_month: 1, share: 1}]
features:
  - name: chat
    description: The user sends a message.
    trigger: {queries_per_month: 30, user_share: 0.5}
    usage: {input_tokens: 1000, output_tokens: 200}
    extras: {llm_calls_per_query: 2}
    model: {name: big, input_usd_per_mtok: 2, output_usd_per_mtok: 8,
            follows_price_trajectory: false}
"""


OVERRIDE = """{name: big, input_usd_per_mtok: 2, output_usd_per_mtok: 8,
            follows_price_trajectory: false}"""


def parse(text: str):
    return parse_scenario(text, "yaml")


def on(ref: str):
    """BASE with its model replaced by the catalog's `ref`."""
    return parse(BASE.replace(OVERRIDE, ref))


def run(s, book=None):
    return LIBRARY.run(s, book=book, samples=SAMPLES, users=2_000)


def brief(s, tiers=TIERS, solver=True):
    def solver_fn(target, goal):
        return solve(s, price_book(s, CATALOG), run, target, goal)

    return cto_brief(s, lambda v: price_book(v, CATALOG), run, solver_fn if solver else None, tiers)


def test_api_latency_is_each_calls_first_token_and_output_at_its_speed_in_sequence():
    s = parse(BASE + "latency: {big: {time_to_first_token_s: 0.5, output_tokens_per_s: 100}}\n")
    latency = run(s).features[0].latency
    # a call: 0.5 s + 200 tokens / 100 per s = 2.5 s; a query waits for both calls
    assert latency.median_s == pytest.approx(5.0)
    assert latency.p95_s == pytest.approx(5.0)
    assert latency.missing_models == [] and latency.batch_share == 0
    assert "set in the scenario" in latency.sources[0]


def test_latency_is_unknown_and_says_which_model_lacks_a_figure():
    latency = run(parse(BASE)).features[0].latency
    assert latency.p95_s is None and latency.median_s is None
    assert latency.missing_models == ["big"]


def test_batch_queries_are_left_out_of_latency_and_counted():
    s = parse(
        BASE
        + "    levers: {batch: {share: 0.25, discount: 0.5}}\n"
        + "latency: {big: {time_to_first_token_s: 1, output_tokens_per_s: 50}}\n"
    )
    latency = run(s).features[0].latency
    assert latency.batch_share == pytest.approx(0.25, abs=0.01)
    assert latency.p95_s == pytest.approx(2 * (1 + 200 / 50))


def test_a_latency_for_a_model_no_feature_uses_is_refused_with_its_path():
    with pytest.raises(ScenarioError, match=r"latency\.openai:gpt-4o: no feature uses this model"):
        parse(
            BASE + "latency: {openai:gpt-4o: {time_to_first_token_s: 1, output_tokens_per_s: 9}}\n"
        )


def test_self_hosted_latency_with_fixed_tokens_is_the_roofline_request_latency():
    s = parse(
        BASE.replace(
            "model: " + OVERRIDE,
            "deployment: {kind: self_hosted, model: llama-3.1-8b, gpu: h100-sxm}",
        ).replace("extras: {llm_calls_per_query: 2}", "extras: {llm_calls_per_query: 1}")
    )
    models, hardware = load_open_models(), load_hardware()
    hosted = self_hosted_features(s, models, hardware)["chat"]
    deployment = s.features[0].deployment
    spec = deployment.serving_spec(1000, 200).model_copy(update={"tp": hosted.serving.tp})
    expected = request_latency_s(
        spec,
        hosted.serving,
        models.model("llama-3.1-8b"),
        hardware.gpu("h100-sxm"),
        models.defaults,
        1000,
        200,
    )
    latency = run(s).features[0].latency
    assert latency.p95_s == pytest.approx(expected, rel=1e-9)
    assert "roofline" in latency.sources[0]


def test_each_cost_line_has_its_own_median_and_p95():
    s = parse(BASE.replace("output_tokens: 200", "output_tokens: {median: 200, p95: 800}"))
    f = run(s).features[0]
    # input is fixed: $0.002 a call, two calls
    assert f.line_stats["input_usd"].median == pytest.approx(0.004)
    assert f.line_stats["input_usd"].p95 == pytest.approx(0.004)
    # output varies; the line's own p95 is at least its median, and means add up
    assert f.line_stats["output_usd"].p95 > f.line_stats["output_usd"].median
    assert sum(st.mean for st in f.line_stats.values()) == pytest.approx(f.cost_per_query.mean)


def test_the_next_cheaper_tier_prices_the_same_tokens_at_its_catalog_price():
    s = on("openai:gpt-4o")
    b = brief(s, solver=False)
    move = b.features[0].cheaper_tier
    assert move.moves == {"openai:gpt-4o": "openai:gpt-4o-mini"}
    assert (move.family, move.tier, move.tiers) == ("GPT-4o", 1, 2)
    mini = price_book(on("openai:gpt-4o-mini"), CATALOG)[pricing_key("openai:gpt-4o-mini")]
    rates = mini.rates_at(s.month_dates()[0])
    per_query = 2 * (1000 * rates.input.base + 200 * rates.output.base) / 1e6
    assert move.cost_per_query_usd == pytest.approx(per_query, rel=1e-9)
    before = b.features[0]
    assert move.saving_usd == pytest.approx(
        before.inference_cost_usd - per_query * before.queries_per_month, rel=1e-9
    )


def test_no_cheaper_tier_says_why():
    override = brief(parse(BASE), solver=False).features[0].cheaper_tier
    assert override.moves == {} and "explicit price" in override.reason
    bottom = brief(on("openai:gpt-4o-mini"), solver=False).features[0].cheaper_tier
    assert "cheapest tier" in bottom.reason and bottom.tier == 2


def test_trigger_per_active_user_is_the_poisson_of_the_rate_and_a_quota_cuts_it():
    trigger = Trigger(queries_per_month={"value": 30}, user_share=0.5)
    t = plan_trigger("pro", trigger, None, seed=0)
    assert t.user_share == 0.5 and t.per == "month" and t.rate_typical == 30
    assert t.queries_per_active_user == pytest.approx(30)
    # Poisson(30): P(X <= 38) = 0.937, P(X <= 39) = 0.957, so the p95 is 39
    assert t.queries_per_active_user_p95 == 39
    capped = plan_trigger("pro", trigger, 35, seed=0)
    assert capped.queries_per_active_user_p95 == 35
    # E[min(X, 35)] for Poisson(30): 30 - E[(X - 35)+]
    k = np.arange(36, 200)
    log_pmf = k * math.log(30) - 30 - np.array([math.lgamma(x + 1) for x in k])
    excess = float(((k - 35) * np.exp(log_pmf)).sum())
    assert capped.queries_per_active_user == pytest.approx(30 - excess, rel=0.01)


def test_the_10x_month_is_the_first_whose_users_reach_ten_times_the_start():
    result = run(parse(BASE))
    # 1.1^24 = 9.85, 1.1^25 = 10.83: month 25 after 2027-01 is 2029-02
    assert scale_month(result) == "2029-02"
    flat = run(parse(BASE.replace("monthly_growth: 0.1", "monthly_growth: 0.0")))
    assert scale_month(flat) is None


def test_the_verdict_flags_each_threshold_and_what_closes_it():
    # $0.0072 a query x 30 x 0.5 = $0.108 a user of $1 ARPU: COGS share 10.8%
    s = parse(BASE + "thresholds: {cogs_share_max: 0.05, gross_margin_min: 0.5}\n")
    b = brief(s)
    v = b.verdict
    assert v.cogs_share.value == pytest.approx(0.108, rel=1e-6)
    assert not v.cogs_share.met and v.gross_margin.met
    assert [x.target for x in v.solutions] == ["cogs-share"]
    price = next(x for x in v.solutions[0].solutions if x.variable == "price_scale")
    assert price.value == pytest.approx(0.108 / 0.05, rel=1e-3)
    assert v.waterfall is None


def test_brief_markdown_and_json_from_the_command():
    runner = CliRunner()
    path = str(EXAMPLES / "margin-levers.yaml")
    md = runner.invoke(app, ["brief", path, "--no-solve", "--as-of", str(AS_OF)])
    assert md.exit_code == 0, md.output
    for heading in (
        "## Verdict",
        "## Cases",
        "## draft",
        "**1. All-in cost per query**",
        "**2. Latency**",
        "**3. Model tier**",
        "**4. Trigger**",
        "**5. At 10x",
    ):
        assert heading in md.output
    js = runner.invoke(app, ["brief", path, "--no-solve", "--format", "json"])
    assert js.exit_code == 0, js.output
    data = json.loads(js.output)
    f = data["features"][0]
    assert {"median", "p95", "mean"} <= set(f["cost_per_query"])
    assert [line["line"] for line in f["lines"]][:3] == [
        "input_usd",
        "cached_input_usd",
        "output_usd",
    ]
    assert "p95_s" in f["latency"] and "cheaper_tier" in f and f["triggers"]
    assert data["verdict"]["cogs_share"]["threshold"] == 0.3
    assert [c["name"] for c in data["cases"]] == ["base", "low", "high"]
    assert "result" not in data and "result" not in data["verdict"]["waterfall"]


def test_the_shipped_tiers_are_catalog_models_each_in_one_family():
    tiers = load_model_tiers()
    assert tiers.families
    seen = set()
    for family in tiers.families:
        assert len(family.models) >= 2, family.family
        for model in family.models:
            ref = f"{family.provider}:{model}"
            assert ref not in seen, ref
            seen.add(ref)
            price_book(on(ref), CATALOG)  # raises for a model the catalog does not know


def test_the_shipped_latencies_are_catalog_models_with_positive_figures():
    for ref, latency in load_api_latency().items():
        assert latency.output_tokens_per_s > 0 and latency.time_to_first_token_s >= 0
        assert "checked" in (latency.source or "")
        price_book(on(ref), CATALOG)


def test_a_model_its_vendor_shuts_down_is_named_with_the_day():
    import datetime as dt

    tiers = ModelTiers(
        (
            ModelFamily(
                "openai",
                "GPT-4o",
                ("gpt-4o", "gpt-4o-mini"),
                "test",
                shutdown=(("gpt-4o-mini", dt.date(2027, 6, 1)),),
            ),
        )
    )
    move = brief(on("openai:gpt-4o"), tiers=tiers, solver=False).features[0].cheaper_tier
    # the feature's own model has no date; the cheaper one it would move to has
    assert move.shutdowns == {"openai:gpt-4o-mini": "2027-06-01"}


def test_the_shipped_shutdown_dates_are_of_models_in_their_family():
    for family in load_model_tiers().families:
        for model, _day in family.shutdown:
            assert model in family.models, (family.family, model)


def test_brief_with_pilot_logs_shows_each_features_real_cost_beside_the_scenarios(tmp_path):
    import duckdb

    from costline.ingest.observed import observed_usage
    from costline.ingest.pipeline import ingest
    from costline.ingest.synthetic import GENERIC_MAPPING, write_logs

    logs = write_logs(
        tmp_path / "logs.parquet", "parquet", 20_000, seed=2, start="2026-05-01", days=31
    )
    usage = tmp_path / "usage.parquet"
    ingest([str(logs)], usage, mapping=GENERIC_MAPPING)
    observed = observed_usage(usage)
    assert observed.month == "2026-05" and observed.calls == 20_000
    s = parse(BASE.replace("name: chat", "name: draft"))
    b = cto_brief(s, lambda v: price_book(v, CATALOG), run, None, TIERS, observed=observed)
    draft = b.features[0].observed
    assert draft is not None and draft.name == "draft"
    con = duckdb.connect()
    calls, mean, p95, users = con.execute(
        f"SELECT count(*), avg(cost_usd), quantile_cont(cost_usd, 0.95), count(DISTINCT user_id) "
        f"FROM '{usage}' WHERE feature = 'draft'"
    ).fetchone()
    con.close()
    assert draft.calls == calls and draft.users == users
    assert draft.cost_per_query.mean == pytest.approx(mean)
    assert draft.cost_per_query.p95 == pytest.approx(p95)
    # the lines the logs price add up to the cost per call
    assert sum(line.mean_usd for line in draft.lines) == pytest.approx(mean)
    assert sum(m.share_of_calls for m in draft.models) == pytest.approx(1)
    assert set(b.only_in_logs) == {"chat", "search", "summary"}

    result = CliRunner().invoke(
        app, ["brief", str(EXAMPLES / "support-copilot.yaml"), "--no-solve", "--usage", str(logs)]
    )
    assert result.exit_code == 2 and "not a usage file" in result.output


def test_the_verdict_names_a_model_in_use_its_vendor_shuts_down():
    import datetime as dt

    tiers = ModelTiers(
        (
            ModelFamily(
                "openai",
                "GPT-4o",
                ("gpt-4o", "gpt-4o-mini"),
                "test",
                shutdown=(("gpt-4o", dt.date(2026, 12, 1)), ("gpt-4o-mini", dt.date(2027, 6, 1))),
            ),
        )
    )
    b = brief(on("openai:gpt-4o"), tiers=tiers, solver=False)
    # gpt-4o is priced from 2027-01 but gone on 2026-12-01; the cheaper one is not in use
    assert [(r.ref, r.day, r.when, r.features) for r in b.retiring] == [
        ("openai:gpt-4o", "2026-12-01", "before", ["chat"])
    ]
    from costline.report.brief import render_brief_markdown

    text = render_brief_markdown(b)
    assert "openai:gpt-4o is shut down by its vendor on 2026-12-01, before 2027-01" in text


def _list_price(ref: str) -> float | None:
    return LIBRARY._list_price(ref)


def test_the_next_cheaper_tier_looks_across_the_providers_current_line_up():
    """claude-sonnet-5 is the last tier of Claude 5, but Anthropic's current line-up has
    claude-haiku-5-5 below it: the move offered is that one, priced by a full run."""
    shipped = load_model_tiers()
    s = on("anthropic:claude-sonnet-5")
    within = brief(s, tiers=shipped, solver=False).features[0].cheaper_tier
    assert within.moves == {} and "cheapest tier" in within.reason  # without prices
    b = cto_brief(
        s,
        lambda v: price_book(v, CATALOG),
        run,
        None,
        shipped,
        list_price=_list_price,
    )
    move = b.features[0].cheaper_tier
    lineup = shipped.lineup("anthropic")
    assert lineup is not None
    # the line-up's model priced next below sonnet-5's $2 + $10, by hand from the catalog
    below = sorted(
        (p, m)
        for m in lineup.models
        if (p := _list_price(f"anthropic:{m}")) is not None
        and p < _list_price("anthropic:claude-sonnet-5")
    )
    assert move.moves == {"anthropic:claude-sonnet-5": f"anthropic:{below[-1][1]}"}
    assert move.across == "line-up"
    haiku = price_book(on(f"anthropic:{below[-1][1]}"), CATALOG)
    rates = next(iter(haiku.values())).rates_at(s.month_dates()[0])
    per_query = 2 * (1000 * rates.input.base + 200 * rates.output.base) / 1e6
    assert move.cost_per_query_usd == pytest.approx(per_query, rel=1e-9)


def test_another_providers_equivalent_is_the_cheapest_at_the_same_place_in_its_line_up():
    shipped = load_model_tiers()
    s = on("anthropic:claude-sonnet-5")
    b = cto_brief(s, lambda v: price_book(v, CATALOG), run, None, shipped, list_price=_list_price)
    other = b.features[0].cheaper_tier.other_provider
    assert other is not None and other.across == "other provider"
    (chosen,) = other.moves.values()
    # haiku-5-5 is the bottom of Anthropic's line-up: the bottoms of the others, cheapest
    bottoms = [
        f"{f.provider}:{f.models[-1]}"
        for f in shipped.families
        if f is shipped.lineup(f.provider) and f.provider != "anthropic"
    ]
    assert chosen == min(bottoms, key=lambda r: _list_price(r) or float("inf"))
    assert other.saving_usd is not None and other.cost_per_query_usd is not None


def test_every_published_latency_is_a_priced_model_with_sources():
    from costline.catalog._data import read_data

    raw = read_data("api_latency.yml")["models"]
    for ref, figures in raw.items():
        CATALOG.resolve(ref)  # a model the price catalog prices
        for name in ("time_to_first_token_s", "output_tokens_per_s"):
            figure = figures[name]
            assert figure["value"] > 0 and figure["source"] and figure["checked"], (ref, name)
    # the current line-ups' models found on 2026-12-03
    assert {"openai:gpt-6-luna", "anthropic:claude-sonnet-4-6", "openai:gpt-5.4"} <= set(raw)


def test_an_embedding_model_shows_its_input_price_not_a_per_request_label():
    got = CliRunner().invoke(app, ["brief", str(EXAMPLES / "meeting-notes.yaml")])
    assert got.exit_code == 0, got.output
    line = next(x for x in got.output.splitlines() if "text-embedding-3-small (100.0%" in x)
    rate = CATALOG.resolve("openai:text-embedding-3-small").rates_at(AS_OF).input
    assert rate is not None
    from costline.report.format import usd

    assert line.endswith(f"{usd(rate.base)} in per 1M tokens")


def test_every_tiered_model_has_a_latency_or_is_named_as_not_found():
    """The vendors' line-ups (model_tiers.yml) are what a founder picks from: each model has
    a published latency, or api_latency.yml's header says it was looked for and not found."""
    import re
    from importlib import resources

    from costline.catalog._data import read_data

    text = resources.files("costline.catalog").joinpath("data", "api_latency.yml").read_text()
    header = text.split("\nmodels:", 1)[0]
    raw = read_data("api_latency.yml")["models"]
    tiers = read_data("model_tiers.yml")
    silent = [
        ref
        for family in tiers["families"]
        for ref in (f"{family['provider']}:{m}" for m in family["models"])
        if ref not in raw and not re.search(re.escape(ref) + r"\b", header)
    ]
    assert silent == []
