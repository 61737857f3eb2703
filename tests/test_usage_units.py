"""Usage besides text tokens (audio minutes and tokens, images, characters, pages, web
searches): every unit a scenario can declare is priced as genai_prices.calc_price prices
it, under the same dated-price, tier and trajectory rules; a model that needs a unit the
feature does not give, or a unit its price does not set, is an error naming it."""

from __future__ import annotations

import datetime as dt
import json
from decimal import Decimal

import genai_prices
import numpy as np
import pytest
import yaml
from genai_prices import data_snapshot
from genai_prices import types as gp
from hypothesis import given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

from costline.catalog.prices import PriceCatalog, context_of
from costline.catalog.units import UNITS, USAGE_UNITS
from costline.cli import app
from costline.engine.per_query import token_cost_usd
from costline.errors import InputError, ScenarioError
from tests.conftest import AS_OF, EXAMPLES, LIBRARY

NOON = dt.time(12, 0, tzinfo=dt.UTC)
TODAY = dt.date(2026, 12, 3)

# One model the catalog prices each unit for (others are found below): what founders use.
PINNED = {
    "input_audio_minutes": "openai:whisper-1",
    "output_audio_minutes": "openai:gpt-realtime-translate",
    "input_audio_tokens": "openai:gpt-4o-transcribe",
    "output_audio_tokens": "openai:gpt-realtime",
    "input_image_tokens": "openai:gpt-image-1.5",
    "output_image_tokens": "google:gemini-3.1-flash-image-preview",
    "input_video_tokens": "google:gemini-live-2.5-flash",
    "output_video_tokens": "google:gemini-omni-flash-preview",
    "reasoning_tokens": "perplexity:sonar-deep-research",
    "citation_tokens": "perplexity:sonar-deep-research",
    "input_characters": "openai:tts-1",
    "text_messages": "x-ai:grok-voice-latest",
    "document_pages": "mistral:mistral-ocr-2512",
    "annotated_document_pages": "mistral:mistral-ocr-2512",
    "web_searches": "anthropic:claude-sonnet-5-5",
    "storage_searches": "openai:gpt-4o",
}


def _genai_usage(text_in: int, text_out: int, units: dict[str, int]) -> genai_prices.Usage:
    """The genai-prices usage of a call: its text tokens plus what each unit adds."""
    counts = {"input_tokens": text_in, "output_tokens": text_out}
    for name, amount in units.items():
        for key, times in UNITS[name].usage:
            counts[key] = counts.get(key, 0) + times * amount
    return genai_prices.Usage(**counts)


def _reference(ref: str, when: dt.date, usage: genai_prices.Usage, tier: str = "default"):
    provider, model = ref.split(":", 1)
    return genai_prices.calc_price(
        usage,
        model,
        provider_id=provider,
        genai_request_timestamp=dt.datetime.combine(when, NOON),
        price_context=context_of(tier),
    ).total_price


def _ours(
    catalog: PriceCatalog,
    ref: str,
    when: dt.date,
    text_in: int,
    text_out: int,
    units: dict[str, int],
    tier: str = "default",
) -> float:
    rates = catalog.resolve(ref, tier).rates_at(when)
    lines = token_cost_usd(
        rates,
        np.array([text_in]),
        np.array([text_out]),
        units={name: np.array([amount]) for name, amount in units.items()},
    )
    return float(sum(line[0] for line in lines.values()))


def test_every_unit_names_genai_prices_own_usage_and_price_keys():
    registry = {u.usage_key: u.price_key for u in genai_prices.units._get_registry().units.values()}
    for unit in USAGE_UNITS:
        for key, _ in unit.usage:
            assert key in registry, (unit.name, key)
        assert unit.own_prices <= set(registry.values()), unit.name
        assert unit.own_prices == {registry[k] for k, _ in unit.usage} - {
            "input_mtok",
            "output_mtok",
        }


def test_every_declarable_unit_has_a_pinned_model_that_prices_it(catalog):
    assert set(PINNED) == set(UNITS)
    for unit, ref in PINNED.items():
        rates = catalog.resolve(ref).rates_at(TODAY)
        assert rates.unit(unit) is not None, (unit, ref)


@settings(max_examples=250, deadline=None)
@given(
    unit=st.sampled_from(sorted(PINNED)),
    amount=st.integers(0, 20_000),
    text_in=st.integers(0, 300_000),
    text_out=st.integers(0, 20_000),
    when=st.dates(dt.date(2025, 6, 1), dt.date(2027, 12, 31)),
)
def test_a_call_with_a_unit_costs_what_calc_price_says(
    catalog, unit, amount, text_in, text_out, when
):
    ref = PINNED[unit]
    rates = catalog.resolve(ref).rates_at(when)
    if rates.unit(unit) is None:
        return  # the model's price on that day did not set the unit yet
    # a model without a text price is priced by its units alone
    text_in = text_in if rates.input is not None else 0
    text_out = text_out if rates.output is not None else 0
    expected = _reference(ref, when, _genai_usage(text_in, text_out, {unit: amount}))
    ours = _ours(catalog, ref, when, text_in, text_out, {unit: amount})
    assert ours == pytest.approx(float(expected), rel=1e-9, abs=1e-12)


def _tiered_audio_catalog() -> tuple[PriceCatalog, gp.ModelPrice]:
    """A catalog of one made-up model with a long-context tier on every token price (no
    shipped model prices audio tokens with tiers): the tier rule is genai-prices'."""
    price = gp.ModelPrice(
        input_mtok=gp.TieredPrices(Decimal("1"), [gp.Tier(100_000, Decimal("2"))]),
        output_mtok=gp.TieredPrices(Decimal("4"), [gp.Tier(100_000, Decimal("8"))]),
        input_audio_mtok=gp.TieredPrices(Decimal("3"), [gp.Tier(100_000, Decimal("7"))]),
    )
    model = gp.ModelInfo(id="tiered-audio", match=gp.ClauseEquals("tiered-audio"), prices=price)
    provider = gp.Provider(id="acme", name="Acme", api_pattern="acme", models=[model])
    snapshot = data_snapshot.DataSnapshot(providers=[provider], from_auto_update=False)
    return PriceCatalog(snapshot), price


@pytest.mark.parametrize("audio", [0, 40_000, 99_000, 100_000, 101_000, 250_000])
def test_audio_tokens_count_toward_the_long_context_tier(audio):
    catalog, price = _tiered_audio_catalog()
    text = 60_000
    units = {"input_audio_tokens": audio}
    expected = price.calc_price(_genai_usage(text, 500, units))["total_price"]
    ours = _ours(catalog, "acme:tiered-audio", TODAY, text, 500, units)
    assert ours == pytest.approx(float(expected), rel=1e-12)
    # by hand: past 100,000 input tokens in all, every token pays the tier's price
    above = text + audio > 100_000
    per_mtok = (2, 8, 7) if above else (1, 4, 3)
    assert ours == pytest.approx(
        (text * per_mtok[0] + 500 * per_mtok[1] + audio * per_mtok[2]) / 1e6, rel=1e-12
    )


def test_a_unit_under_a_batch_tier_is_the_variants_price(catalog):
    ref = "openai:gpt-image-1.5"
    assert catalog.resolve(ref, "batch").rates_at(TODAY).unit("output_image_tokens")
    units = {"output_image_tokens": 4_160, "input_image_tokens": 1_000}
    expected = _reference(ref, TODAY, _genai_usage(200, 0, units), "batch")
    assert _ours(catalog, ref, TODAY, 200, 0, units, "batch") == pytest.approx(
        float(expected), rel=1e-9
    )
    standard = _ours(catalog, ref, TODAY, 200, 0, units)
    assert standard > _ours(catalog, ref, TODAY, 200, 0, units, "batch")


def test_whisper_per_minute_by_hand(catalog):
    # $0.36 an audio hour in the catalog = $0.006 a minute; 30 minutes = $0.18
    rate = catalog.resolve("openai:whisper-1").rates_at(TODAY).unit("input_audio_minutes")
    hourly = _reference("openai:whisper-1", TODAY, genai_prices.Usage(audio_seconds=3600))
    assert rate.base == pytest.approx(float(hourly) / 60, rel=1e-12)
    assert _ours(catalog, "openai:whisper-1", TODAY, 0, 0, {"input_audio_minutes": 30}) == (
        pytest.approx(float(hourly) / 2, rel=1e-12)
    )


# ---- scenarios --------------------------------------------------------------------------


def _scenario(usage: dict, model: str, **feature) -> dict:
    return {
        "name": "units",
        "start": "2026-12",
        "horizon_months": 3,
        "users": {"start": 1000},
        "plans": [{"name": "pro", "price_usd_per_month": 20, "share": 1}],
        "features": [
            {
                "name": "f",
                "trigger": {"queries_per_day": 2, "active_days_per_month": 20},
                "usage": usage,
                "model": model,
                **feature,
            }
        ],
        "price_trajectory": {"annual_change": -0.3},
    }


def test_a_transcription_feature_costs_its_minutes_at_the_catalog_price(cl):
    result = cl.run(_scenario({"input_audio_minutes": 30}, "openai:whisper-1"))
    f = result.features["f"]
    listed = float(_reference("openai:whisper-1", TODAY, genai_prices.Usage(audio_seconds=1800)))
    # the first month is after the as-of date: the scenario's -30% a year has begun
    per_call = listed * result.timeline[0].price_factor
    assert result.timeline[0].price_factor < 1
    assert f.cost_per_query.mean == pytest.approx(per_call, rel=1e-9)
    assert f.breakdown.other_units_usd == pytest.approx(per_call, rel=1e-9)
    assert f.models[0].unit_prices[0].unit == "input_audio_minutes"
    # 1,000 users x 2 a day x 20 days
    assert f.inference_cost_usd == pytest.approx(40_000 * per_call, rel=1e-9)


def test_units_follow_the_price_trajectory(cl):
    result = cl.run(_scenario({"input_audio_minutes": 30}, "openai:whisper-1"))
    by_month = result.features["f"].cost_per_query_by_month
    # -30% a year from the as-of date: two months later the price is 0.7^(2/12) of it
    months_after = [result.timeline[i].price_factor for i in range(3)]
    assert by_month[2] / by_month[0] == pytest.approx(months_after[2] / months_after[0], rel=1e-9)
    assert by_month[2] < by_month[0]


def test_workbook_terms_rebuild_a_unit_line(cl):
    result = cl.run(
        _scenario(
            {"input_tokens": 2000, "output_tokens": 300, "web_searches": 3},
            "anthropic:claude-sonnet-5-5",
        )
    )
    f = result.features["f"]
    searches = [t for t in f.cost_terms if t.line == "web_searches"]
    assert len(searches) == 1
    term = searches[0]
    assert term.units_per_query == pytest.approx(3)
    assert term.per == 1000
    # three searches at the catalog's fee per 1K searches
    fee = float(
        _reference("anthropic:claude-sonnet-5-5", TODAY, genai_prices.Usage(web_searches=1000))
    )
    assert term.usd_per_mtok_by_month[0] == pytest.approx(fee, rel=1e-12)
    factor = result.timeline[0].price_factor
    assert f.breakdown.other_units_usd == pytest.approx(3 * fee / 1000 * factor, rel=1e-9)


@pytest.mark.parametrize(
    ("model", "usage", "said"),
    [
        # text tokens alone on a speech-to-text model: 2.4x too low, refused
        (
            "openai:gpt-4o-transcribe",
            {"input_tokens": 100, "output_tokens": 500},
            "declare input_audio_tokens",
        ),
        # minutes where the price is set in audio tokens
        (
            "openai:gpt-4o-transcribe",
            {"input_audio_minutes": 30, "output_tokens": 500},
            "it prices input_audio_tokens",
        ),
        ("openai:whisper-1", {"input_tokens": 100, "output_tokens": 500}, "input_audio_minutes"),
        ("openai:tts-1", {"input_tokens": 100}, "input_characters"),
        (
            "openai:gpt-image-1.5",
            {"input_tokens": 100, "output_tokens": 10},
            "declare output_image_tokens",
        ),
        (
            "openai:text-embedding-3-small",
            {"input_tokens": 100, "web_searches": 2},
            "does not price for 'openai:text-embedding-3-small'",
        ),
        ("mistral:mistral-ocr-2512", {"input_tokens": 100}, "document_pages"),
    ],
)
def test_a_unit_the_price_needs_or_lacks_is_a_located_error(cl, model, usage, said):
    with pytest.raises(ScenarioError) as err:
        cl.run(_scenario(usage, model))
    assert said in str(err.value)
    assert "features[0]" in str(err.value)


def test_a_text_model_that_also_prices_audio_takes_text_alone(cl):
    # gemini-2.5-flash prices audio input, but is a chat model: text-only use is fine
    result = cl.run(
        _scenario({"input_tokens": 1000, "output_tokens": 200}, "google:gemini-2.5-flash")
    )
    assert result.features["f"].breakdown.other_units_usd == 0
    assert not [w for w in result.warnings if w.code == "UNITS_NOT_MODELLED"]


def test_a_routing_lever_target_must_price_the_unit(cl):
    scenario = _scenario(
        {"input_audio_minutes": 20},
        "openai:whisper-1",
        levers={"routing": {"model": "openai:gpt-4o-transcribe", "share": 0.5}},
    )
    with pytest.raises(ScenarioError) as err:
        cl.run(scenario)
    assert "features[0].usage" in str(err.value)
    assert "gpt-4o-transcribe" in str(err.value)


def test_a_self_hosted_feature_cannot_declare_units(cl):
    scenario = _scenario({"input_tokens": 100, "output_tokens": 100, "web_searches": 1}, "x")
    feature = scenario["features"][0]
    del feature["model"]
    feature["deployment"] = {"kind": "self_hosted", "model": "llama-3.3-70b", "gpu": "h100-sxm"}
    with pytest.raises(ScenarioError) as err:
        cl.run(scenario)
    assert "web_searches" in str(err.value)


def test_empty_usage_is_an_error(cl):
    with pytest.raises(ScenarioError) as err:
        cl.run(_scenario({"cached_input_share": 0.2}, "anthropic:claude-sonnet-5-5"))
    assert "features[0].usage" in str(err.value)
    assert "input_audio_minutes" in str(err.value)


def test_the_meeting_notes_example_prices_a_meeting_across_features():
    got = CliRunner().invoke(
        app,
        ["run", str(EXAMPLES / "meeting-notes.yaml"), "--format", "json", "--as-of", str(AS_OF)],
    )
    assert got.exit_code == 0, got.output
    printed = json.loads(got.output)
    result = LIBRARY.run(yaml.safe_load((EXAMPLES / "meeting-notes.yaml").read_text()))
    meeting = result.actions[0]
    parts = {f.name: f.cost_per_query.mean for f in result.features}
    assert meeting.cost_per_action.mean == pytest.approx(
        parts["transcription"] + parts["summary"] + parts["indexing"], rel=1e-9
    )
    transcription = result.features["transcription"]
    # the transcription is billed by the minute: its cost is all "other units"
    assert transcription.breakdown.other_units_usd == pytest.approx(
        transcription.cost_per_query.mean, rel=1e-9
    )
    shown = printed["features"][0]
    assert shown["breakdown"]["other_units_usd"] == pytest.approx(
        transcription.breakdown.other_units_usd, rel=1e-9
    )
    assert shown["models"][0]["unit_prices"][0]["label"] == "USD per input audio minute"


def test_a_breakeven_leaves_unit_billed_and_embedding_features_on_the_api(cl):
    outcome = cl.breakeven(EXAMPLES / "meeting-notes.yaml", "llama-3.3-70b@h100-sxm")
    assert set(outcome.left_out) == {"transcription", "indexing", "follow-up research"}
    assert "searches" in outcome.left_out["follow-up research"]
    assert "embedding" in outcome.left_out["indexing"]


def test_a_breakeven_refuses_a_named_feature_billed_by_units():
    got = CliRunner().invoke(
        app,
        [
            "breakeven",
            str(EXAMPLES / "meeting-notes.yaml"),
            "--self-host",
            "llama-3.3-70b@h100-sxm",
            "--feature",
            "follow-up research",
        ],
    )
    assert got.exit_code == 2
    assert "follow-up research" in got.output and "Traceback" not in got.output


@pytest.mark.parametrize(
    ("model", "part", "what"),
    [
        ("openai:gpt-image-1", "output", "images"),
        ("openai:gpt-image-2", "output", "images"),
        ("openai:gpt-4o-mini-tts", "output", "speech"),
        ("google:gemini-2.5-flash-tts", "output", "speech"),
        ("zai:GLM-OCR", "input", "page"),
    ],
)
def test_a_model_that_bills_its_product_as_text_tokens_needs_those_tokens(cl, model, part, what):
    # gpt-image-1 has no image-output price: its output tokens are the image. Given a prompt
    # alone it would cost almost nothing, a price in disguise.
    other = "input" if part == "output" else "output"
    with pytest.raises(ScenarioError) as err:
        cl.run(_scenario({f"{other}_tokens": 200}, model))
    assert f"features[0].usage.{part}_tokens" in str(err.value)
    assert what in str(err.value)
    assert f"as {part} tokens" in str(err.value)


def test_an_image_unit_on_a_model_that_bills_images_as_output_tokens_says_where_they_go(cl):
    with pytest.raises(ScenarioError) as err:
        cl.run(_scenario({"input_tokens": 200, "output_image_tokens": 4160}, "openai:gpt-image-1"))
    assert "count them in output_tokens" in str(err.value)


def test_an_image_billed_as_output_tokens_is_priced_as_calc_price_and_says_so(cl):
    result = cl.run(_scenario({"input_tokens": 200, "output_tokens": 4160}, "openai:gpt-image-1"))
    listed = float(
        _reference(
            "openai:gpt-image-1", TODAY, genai_prices.Usage(input_tokens=200, output_tokens=4160)
        )
    )
    f = result.features["f"]
    assert f.cost_per_query.mean == pytest.approx(listed * result.timeline[0].price_factor)
    codes = {w.code for w in result.warnings}
    # the output is the product, not a text answer to trim
    assert "PRODUCT_AS_TOKENS" in codes
    assert "OUTPUT_DOMINATES" not in codes
    said = next(w.message for w in result.warnings if w.code == "PRODUCT_AS_TOKENS")
    assert "4,160 a call" in said


def test_a_chat_model_still_gets_the_output_length_advice(cl):
    result = cl.run(
        _scenario({"input_tokens": 100, "output_tokens": 4000}, "anthropic:claude-haiku-5-5")
    )
    codes = {w.code for w in result.warnings}
    assert "OUTPUT_DOMINATES" in codes
    assert "PRODUCT_AS_TOKENS" not in codes


def test_a_batch_lever_on_a_unit_billed_model_without_a_batch_price_is_refused(cl):
    # gpt-transcribe has no batch price in the catalog; OpenAI's documented 50% is for text
    scenario = _scenario(
        {"input_audio_minutes": 30}, "openai:gpt-transcribe", levers={"batch": {"share": 1}}
    )
    with pytest.raises(ScenarioError) as err:
        cl.run(scenario)
    assert "features[0].levers.batch.discount" in str(err.value)
    assert "gpt-transcribe" in str(err.value)
    # a discount the user gives is theirs to give
    scenario["features"][0]["levers"]["batch"]["discount"] = 0.5
    given = cl.run(scenario).features["f"].cost_per_query.mean
    plain = cl.run(_scenario({"input_audio_minutes": 30}, "openai:gpt-transcribe"))
    assert given == pytest.approx(plain.features["f"].cost_per_query.mean * 0.5, rel=1e-9)


def test_the_batch_what_if_leaves_unit_billed_features_alone_and_says_so(cl):
    path = EXAMPLES / "meeting-notes.yaml"
    waterfall = cl.levers(path, what_if={"batch": {"share": 0.5}})
    before = cl.run(path).features
    after = waterfall.result.features
    for name in ("transcription", "follow-up research"):
        assert after[name].cost_per_query.mean == pytest.approx(
            before[name].cost_per_query.mean, rel=1e-9
        )
    # the text-only summary is batched at its catalog batch price
    assert after["summary"].cost_per_query.mean < before["summary"].cost_per_query.mean
    note = next(w for w in waterfall.warnings if w.code == "WHAT_IF_LEFT_OFF")
    assert "'transcription'" in note.message and "'follow-up research'" in note.message
    assert "'summary'" not in note.message


def test_an_explicit_price_can_price_usage_units(cl):
    # a transcription contract: $0.004 a minute, fixed, so 30 minutes cost $0.12 by hand
    contract = {
        "name": "stt contract",
        "input_usd_per_mtok": 0,
        "output_usd_per_mtok": 0,
        "usage_prices": {"input_audio_minutes": 0.004},
        "follows_price_trajectory": False,
    }
    result = cl.run(_scenario({"input_audio_minutes": 30}, contract))
    f = result.features["f"]
    assert f.cost_per_query.mean == pytest.approx(0.12, rel=1e-12)
    assert f.models[0].unit_prices[0].usd == pytest.approx(0.004)
    # a unit the explicit price does not give is refused, saying where it goes
    with pytest.raises(ScenarioError) as err:
        cl.run(_scenario({"input_audio_minutes": 30, "web_searches": 1}, contract))
    assert "usage_prices" in str(err.value)


def test_an_explicit_price_for_an_unknown_unit_names_the_known_ones(cl):
    contract = {
        "name": "x",
        "input_usd_per_mtok": 1,
        "output_usd_per_mtok": 1,
        "usage_prices": {"audio_minutes": 0.004},
    }
    with pytest.raises(ScenarioError) as err:
        cl.run(_scenario({"input_tokens": 10}, contract))
    assert "features[0].model.usage_prices" in str(err.value)
    assert "input_audio_minutes" in str(err.value)


def test_the_route_to_what_if_leaves_unit_billed_features_alone_and_a_named_one_is_checked(cl):
    path = EXAMPLES / "meeting-notes.yaml"
    routed = {"routing": {"model": "anthropic:claude-haiku-5-5", "share": 0.5}}
    waterfall = cl.levers(path, what_if=routed)
    note = next(w for w in waterfall.warnings if w.code == "WHAT_IF_LEFT_OFF")
    assert "route-to" in note.message and "batch" not in note.message
    assert "'transcription'" in note.message
    # named, the route must price the feature's minutes: usage is the feature's, shared
    with pytest.raises(InputError) as err:
        cl.levers(path, what_if=routed, features=["transcription"])
    said = str(err.value)
    assert "input_audio_minutes" in said and "claude-haiku-5-5" in said
    assert "shared by every model its calls go to" in said


def test_annotated_pages_are_counted_apart_from_plain_pages(cl):
    # 10 pages of which 4 annotated: genai-prices nests the annotated pages inside the
    # document pages; a scenario writes each kind once (6 plain + 4 annotated)
    scenario = _scenario(
        {"document_pages": 6, "annotated_document_pages": 4},
        "mistral:mistral-ocr-2512",
    )
    scenario["price_trajectory"] = {"annual_change": 0}
    result = cl.run(scenario)
    listed = float(
        _reference(
            "mistral:mistral-ocr-2512",
            TODAY,
            genai_prices.Usage(input_document_pages=10, input_annotated_document_pages=4),
        )
    )
    assert result.features["f"].cost_per_query.mean == pytest.approx(listed, rel=1e-9)


def test_a_text_only_what_if_on_a_unit_only_feature_says_it_saves_nothing_there(cl):
    path = EXAMPLES / "meeting-notes.yaml"
    waterfall = cl.levers(path, what_if={"compression": {"input_reduction": 0.2}})
    note = next(w for w in waterfall.warnings if w.code == "WHAT_IF_NO_TEXT")
    assert "'transcription'" in note.message and "Compression acts" in note.message
    before = cl.run(path).features["transcription"].cost_per_query.mean
    after = waterfall.result.features["transcription"].cost_per_query.mean
    assert after == pytest.approx(before, rel=1e-12)


@pytest.mark.parametrize("model", ["openai:whisper-1", "openai:gpt-4o-transcribe"])
def test_a_speech_to_text_model_speaks_no_audio(cl, model):
    # whisper-1's generic audio-hour price would price "spoken" minutes too
    usage = {"input_audio_minutes": 10, "output_audio_minutes": 1}
    if model.endswith("transcribe"):
        usage = {"input_audio_tokens": 1000, "output_audio_tokens": 100}
    with pytest.raises(ScenarioError) as err:
        cl.run(_scenario(usage, model))
    assert "features[0].usage.output_audio_" in str(err.value)
    assert "speech-to-text" in str(err.value)


def test_models_search_by_unit_lists_only_models_whose_price_sets_it(cl):
    found = cl.models("openai", unit="input_audio_minutes", limit=100)
    refs = {m.ref for m in found}
    assert {"openai:whisper-1", "openai:gpt-transcribe"} <= refs
    assert "openai:gpt-4o-transcribe" not in refs  # it prices audio tokens, not minutes
    for m in found:
        assert m.rates.unit("input_audio_minutes") is not None
    # the price shown is calc_price's for one minute
    whisper = next(m for m in found if m.ref == "openai:whisper-1")
    listed = float(_reference("openai:whisper-1", AS_OF, genai_prices.Usage(audio_seconds=60)))
    assert whisper.rates.unit("input_audio_minutes").base == pytest.approx(listed, rel=1e-9)
    with pytest.raises(InputError) as err:
        cl.models("openai", unit="minutes")
    assert err.value.field == "unit" and "input_audio_minutes" in str(err.value)
    got = CliRunner().invoke(app, ["models", "search", "--unit", "document_pages"])
    assert got.exit_code == 0, got.output
    assert "pricing document_pages" in got.output and "mistral:mistral-ocr" in got.output


def test_models_search_json_shows_unit_prices_as_a_run_does_and_not_what_a_model_cannot_have():
    got = CliRunner().invoke(app, ["models", "search", "whisper-1", "--format", "json"])
    assert got.exit_code == 0, got.output
    whisper = next(m for m in json.loads(got.output) if m["ref"] == "openai:whisper-1")
    # whisper-1's generic audio-hour price would price output audio; it hears, never speaks
    assert [p["unit"] for p in whisper["unit_prices"]] == ["input_audio_minutes"]
    assert set(whisper["unit_prices"][0]) == {"unit", "usd", "per", "label"}
