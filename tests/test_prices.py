"""The genai-prices adapter: rates and per-call cost agree with genai_prices.calc_price."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import genai_prices
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from costline.catalog.prices import PriceCatalog, context_of
from costline.engine.per_query import token_cost_usd
from costline.errors import UnknownModelError

NOON = dt.time(12, 0, tzinfo=dt.UTC)

# Models with cache prices, tiered (cliff) prices, dated price changes, and none of these.
MODELS = [
    "openai:gpt-4o",
    "openai:gpt-4o-mini",
    "anthropic:claude-sonnet-4-5",  # tiers at 200k input tokens, cache read and write
    "anthropic:claude-opus-4-6",  # a dated change on 2026-03-13 that drops the tiers
    "google:gemini-3-pro-preview",
    "deepseek:deepseek-v4-flash",  # dated changes on 2026-08-17 and 2026-09-10
    "mistral:mistral-large-latest",
    "openai:text-embedding-3-small",
]


def _reference(ref: str, when: dt.date, **usage: int) -> Decimal:
    provider, model = ref.split(":", 1)
    calc = genai_prices.calc_price(
        genai_prices.Usage(**usage),
        model,
        provider_id=provider,
        genai_request_timestamp=dt.datetime.combine(when, NOON),
    )
    return calc.total_price


def _ours(catalog: PriceCatalog, ref: str, when: dt.date, **usage: int) -> float:
    rates = catalog.resolve(ref).rates_at(when)
    lines = token_cost_usd(
        rates,
        np.array([usage.get("input_tokens", 0)]),
        np.array([usage.get("output_tokens", 0)]),
        np.array([usage.get("cache_read_tokens", 0)]),
        np.array([usage.get("cache_write_tokens", 0)]),
    )
    return float(sum(line[0] for line in lines.values()))


@settings(max_examples=300, deadline=None)
@given(
    ref=st.sampled_from(MODELS),
    input_tokens=st.integers(0, 400_000),
    cached=st.floats(0, 1),
    written=st.floats(0, 1),
    output_tokens=st.integers(0, 50_000),
    when=st.dates(dt.date(2024, 1, 1), dt.date(2028, 12, 31)),
)
def test_per_call_cost_agrees_with_genai_prices_to_1e_9(
    catalog, ref, input_tokens, cached, written, output_tokens, when
):
    cache_read = int(input_tokens * cached)
    cache_write = int((input_tokens - cache_read) * written)
    usage = dict(
        input_tokens=input_tokens,
        cache_read_tokens=cache_read,
        cache_write_tokens=cache_write,
        output_tokens=output_tokens,
    )
    expected = float(_reference(ref, when, **usage))
    assert _ours(catalog, ref, when, **usage) == pytest.approx(expected, rel=1e-9, abs=1e-15)


@pytest.mark.parametrize("input_tokens", [199_999, 200_000, 200_001])
def test_a_tier_is_a_cliff_on_total_input_tokens(catalog, input_tokens):
    when = dt.date(2026, 11, 1)
    ref = "anthropic:claude-sonnet-4-5"
    usage = dict(input_tokens=input_tokens, output_tokens=1000)
    expected = float(_reference(ref, when, **usage))
    assert _ours(catalog, ref, when, **usage) == pytest.approx(expected, rel=1e-12)


def test_dated_price_changes_apply_on_their_start_date(catalog):
    pricing = catalog.resolve("deepseek:deepseek-v4-flash")
    assert dt.date(2026, 8, 17) in pricing.price_changes
    for day in (dt.date(2026, 8, 16), dt.date(2026, 8, 17), dt.date(2026, 9, 10)):
        per_mtok = float(_reference(pricing.ref, day, input_tokens=1_000_000))
        assert pricing.rates_at(day).input.base == pytest.approx(per_mtok, rel=1e-12)
    assert pricing.rates_at(dt.date(2026, 8, 16)) != pricing.rates_at(dt.date(2026, 8, 17))


def test_batch_tier_is_priced_from_the_catalog_variant(catalog):
    when = dt.date(2026, 11, 1)
    batch = catalog.resolve("openai:gpt-4o", "batch").rates_at(when)
    calc = genai_prices.calc_price(
        genai_prices.Usage(input_tokens=1_000_000, output_tokens=1_000_000),
        "gpt-4o",
        provider_id="openai",
        genai_request_timestamp=dt.datetime.combine(when, NOON),
        price_context={"processing": "batch"},
    )
    assert batch.input.base + batch.output.base == pytest.approx(float(calc.total_price))
    standard = catalog.resolve("openai:gpt-4o").rates_at(when)
    assert batch.input.base < standard.input.base


def test_a_tier_the_model_does_not_offer_is_an_error(catalog):
    with pytest.raises(UnknownModelError, match="no 'flex' service-tier price"):
        catalog.resolve("openai:text-embedding-3-small", "flex")


def test_an_unknown_model_lists_the_closest_matches(catalog):
    with pytest.raises(UnknownModelError) as info:
        catalog.resolve("openai:gpt-4o-mnii")
    assert "openai:gpt-4o-mini" in info.value.suggestions


def test_an_unknown_provider_is_an_error_not_a_zero_price(catalog):
    with pytest.raises(UnknownModelError):
        catalog.resolve("nosuchvendor:gpt-4o-mini")


def test_model_ids_containing_a_colon_resolve(catalog):
    found = catalog.search("claude", dt.date(2026, 11, 1), limit=500)
    colon_refs = [m.ref for m in found if m.ref.count(":") > 1]
    for ref in colon_refs[:3]:
        assert catalog.resolve(ref).ref == ref


def test_search_shows_the_prices_in_force_on_the_date(catalog):
    when = dt.date(2026, 11, 1)
    found = {m.ref: m for m in catalog.search("gpt-4o-mini", when)}
    rates = found["openai:gpt-4o-mini"].rates
    per_mtok = float(_reference("openai:gpt-4o-mini", when, output_tokens=1_000_000))
    assert rates.output.base == pytest.approx(per_mtok)


def test_a_tier_is_refused_for_a_model_borrowed_from_another_provider(catalog):
    # azure serves OpenAI's models through a fallback; genai-prices would price its batch
    # tier at the standard price, so costline refuses rather than mislabel it.
    with pytest.raises(UnknownModelError, match="no 'batch' service-tier price"):
        catalog.resolve("azure:gpt-4o", "batch")


def test_a_dated_tier_records_when_the_catalog_starts_pricing_it(catalog):
    pricing = catalog.resolve("openai:gpt-4o", "batch")
    assert pricing.tier_since == dt.date(2026, 10, 14)
    assert catalog.resolve("openai:gpt-4o").tier_since is None


def test_the_trajectory_starts_after_the_last_known_catalog_price(catalog):
    as_of = dt.date(2026, 6, 1)
    pricing = catalog.resolve("google:gemini-3.6-flash")  # a change dated 2027-01-01
    assert pricing.trajectory_start(as_of) == dt.date(2027, 1, 1)
    assert catalog.resolve("openai:gpt-4o-mini").trajectory_start(as_of) >= as_of


def test_another_tiers_start_date_is_not_a_price_change(catalog):
    """gpt-4o's batch and priority variants start on 2026-10-12 and 2026-10-14; its default
    price never changes, so its trajectory starts at the as-of date, not in October."""
    model = catalog.find("openai", "gpt-4o").model
    variant_starts = sorted(
        {
            v.constraint.start_date
            for v in model.price_variants
            if hasattr(v.constraint, "start_date")
        }
    )
    assert variant_starts == [dt.date(2026, 10, 12), dt.date(2026, 10, 14)]
    pricing = catalog.resolve("openai:gpt-4o")
    assert pricing.price_changes == ()
    assert pricing.trajectory_start(dt.date(2026, 6, 1)) == dt.date(2026, 6, 1)


def test_the_first_trajectory_month_bills_the_as_of_dates_factor():
    """As of 2026-06-01 with prices falling 30% a year, a scenario starting 2026-07 on
    gpt-4o pays (0.7)^(1/12) of the catalog price in its first month, and the timeline's
    price_factor says so (by hand: 1000 users x 10 queries x (1000 x $2.50 + 100 x $10)
    / 1M = $35.00 at catalog prices)."""
    import yaml

    from .conftest import LIBRARY

    text = """
name: trajectory
start: "2026-07"
horizon_months: 3
users: {start: 1000}
plans: [{name: pro, price_usd_per_month: 20, share: 1}]
price_trajectory: {annual_change: -0.3}
features:
  - name: chat
    model: openai:gpt-4o
    trigger: {queries_per_month: 10}
    usage: {input_tokens: 1000, output_tokens: 100}
"""
    from costline import Costline

    cl = Costline(as_of="2026-06-01", prices=LIBRARY.catalogs.prices)
    timeline = cl.run(yaml.safe_load(text), samples=200, users=100).timeline
    factor = 0.7 ** (1 / 12)
    assert timeline[0].price_factor == pytest.approx(factor, rel=1e-12)
    assert timeline[0].inference_cost_usd == pytest.approx(35.0 * factor, rel=1e-9)
    assert timeline[2].price_factor == pytest.approx(0.7 ** (3 / 12), rel=1e-12)


def test_the_engine_and_the_log_sql_read_one_price_table(tmp_path, catalog):
    """One adapter: a logged call priced by the log SQL costs what the engine's rates for
    the same model, tier and day charge it, line by line (rows in the day-time hours, where
    the engine's noon price is the price in force)."""
    import duckdb

    from costline.ingest.pipeline import ingest
    from costline.ingest.synthetic import GENERIC_MAPPING, write_logs

    log = write_logs(
        tmp_path / "logs.parquet",
        "parquet",
        1500,
        seed=5,
        start="2024-06-01",
        days=900,
        long_context_share=0.15,
    )
    ingest([str(log)], tmp_path / "u.parquet", mapping=GENERIC_MAPPING, catalog=catalog)
    con = duckdb.connect()
    rows = con.execute(
        "SELECT catalog_provider || ':' || catalog_model, coalesce(service_tier, ''), day, "
        "input_tokens, cache_read_tokens, cache_write_tokens, output_tokens, cost_usd, "
        "input_cost_usd, cached_input_cost_usd, output_cost_usd, request_cost_usd "
        f"FROM read_parquet('{tmp_path / 'u.parquet'}') WHERE hour(ts) BETWEEN 1 AND 15"
    ).fetchall()
    assert len(rows) > 500
    assert {r[0].split(":")[0] for r in rows} == {"openai", "anthropic", "google", "deepseek"}
    seen_tiers = set()
    for ref, tier, day, n_in, n_read, n_write, n_out, cost, *sql_lines in rows:
        entry = catalog.find(*ref.split(":", 1))
        tier = tier if tier and entry.has_tier(context_of(tier)) else "default"
        seen_tiers.add(tier)
        lines = token_cost_usd(
            catalog.resolve(ref, tier).rates_at(day),
            np.array([n_in]),
            np.array([n_out]),
            np.array([n_read]),
            np.array([n_write]),
        )
        ours = {k: float(v[0]) for k, v in lines.items()}
        assert sum(ours.values()) == pytest.approx(cost, rel=1e-9, abs=1e-15)
        engine_lines = [
            ours["input"],
            ours["cache_read"] + ours["cache_write"],
            ours["output"],
            ours["requests"],
        ]
        assert engine_lines == pytest.approx(sql_lines, rel=1e-9, abs=1e-15), (ref, day)
    assert seen_tiers >= {"default", "flex"}


def test_only_the_adapter_reads_genai_prices():
    from pathlib import Path

    root = Path(__file__).resolve().parent.parent / "costline"
    readers = sorted(
        str(p.relative_to(root))
        for p in root.rglob("*.py")
        if "import genai_prices" in p.read_text() or "from genai_prices" in p.read_text()
    )
    assert readers == ["catalog/prices.py"]
