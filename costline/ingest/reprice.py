"""The user's own traffic priced again: at another date's prices, on another model, or on
another service tier. A usage file keeps every call's tokens, so history does not move
when a price does, and any "what if" is the same calls priced another way."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from pydantic import BaseModel, ConfigDict

from costline.catalog.prices import PriceCatalog
from costline.errors import InputError, option
from costline.ingest.price_sql import price_table, priced_sql
from costline.ingest.session import connection, sql_text
from costline.ingest.usage import ingested_summary, require_columns

TIERS = ("default", "batch", "flex", "priority")
"""Service tiers a reprice can move calls to (`default` is the standard price)."""


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True)


class RepricedGroup(_Frozen):
    """One feature and model: what its calls cost as logged, and priced again (USD)."""

    feature: str
    model: str
    """The catalog model the calls were priced as."""
    repriced_as: str | None
    """The catalog model they are priced as now (None: the catalog cannot price it)."""
    calls: int
    before_usd: float
    after_usd: float | None
    change_usd: float | None
    change_share: float | None


class Repriced(_Frozen):
    """The same calls priced another way, beside the original (USD)."""

    usage: str
    what: list[str]
    """What changed: "at 2026-06-01 prices", "openai:gpt-4.1 -> openai:gpt-6-luna", ..."""
    calls: int
    before_usd: float
    after_usd: float
    """Of the calls the new pricing can price."""
    change_usd: float
    change_share: float | None
    unpriced_calls: int
    """Calls whose new model the catalog cannot price (left out of after_usd)."""
    groups: list[RepricedGroup]
    """Largest change first."""
    notes: list[str]


def reprice(
    usage: Path,
    catalog: PriceCatalog | None = None,
    *,
    at: dt.date | None = None,
    models: dict[str, str] | None = None,
    tier: str | None = None,
    tokenizer_ratio: float = 1.0,
) -> Repriced:
    """The calls of the usage file `usage` (from `ingest`) priced again: at the prices in
    force on `at` (each call's own date when None), with `models` (logged or catalog model
    -> provider:model) swapped in, on service `tier`; a swapped call's token counts are
    multiplied by `tokenizer_ratio` (another family's tokenizer counts the same text apart)."""
    if ingested_summary(usage) is None:
        raise InputError(
            f"{usage}: not a usage file from costline ingest; ingest the logs first "
            "(costline ingest LOGS --out usage.parquet)"
        )
    if at is None and not models and tier is None:
        raise InputError(
            f"say what to price again: {option('at', 'at=DATE', '--at DATE')}, "
            f"{option('models', 'models={FROM: TO}', '--model FROM=TO')} or "
            f"{option('tier', 'tier=TIER', '--tier TIER')}"
        )
    if tokenizer_ratio != 1.0 and not models:
        raise InputError(
            f"a tokenizer ratio scales the calls a model swap moves; give "
            f"{option('models', 'models={FROM: TO}', '--model FROM=TO')} too"
        )
    if tier is not None and tier not in TIERS:
        raise InputError(f"expected a tier of {', '.join(TIERS)}, got {tier!r}", "tier")
    if not 0.1 <= tokenizer_ratio <= 10:
        raise InputError(
            f"expected a tokenizer ratio between 0.1 and 10, got {tokenizer_ratio:g}",
            "tokenizer_ratio",
        )
    require_columns(usage)
    catalog = catalog or PriceCatalog()
    swaps = _swaps(catalog, models or {})
    _every_swap_matches(usage, swaps)
    what = []
    if at is not None:
        what.append(f"at {at.isoformat()} prices")
    what += [f"{a} -> {b}" for a, (_, _, b) in swaps.items()]
    if tier is not None:
        what.append(f"on the {tier} tier")
    notes = []
    if swaps:
        notes.append(
            f"a swapped call keeps its tokens x {tokenizer_ratio:g} (the tokenizer ratio: "
            "another family counts the same text apart; measure yours and give it)"
        )
    swapped = _swap_sql(swaps)
    day = "CAST(ts AS DATE)" if at is None else f"DATE '{at.isoformat()}'"
    tier_sql = "service_tier" if tier is None else ("NULL" if tier == "default" else sql_text(tier))
    ratio = f"CASE WHEN {swapped['hit']} THEN {tokenizer_ratio!r} ELSE 1.0 END"
    with connection() as con:
        columns = {
            row[0]
            for row in con.execute(
                f"DESCRIBE SELECT * FROM read_parquet({sql_text(str(usage))})"
            ).fetchall()
        }
        # usage files from before web searches were counted have none
        searches = "web_searches" if "web_searches" in columns else "0"
        con.execute(
            f"""CREATE TEMP TABLE rows AS SELECT feature,
                  catalog_provider || ':' || catalog_model AS before_model, cost_usd AS before_usd,
                  {swapped["provider"]} AS provider, {swapped["model"]} AS model,
                  {tier_sql} AS tier, {day} AS day,
                  epoch(ts) - epoch(date_trunc('day', ts)) AS second_of_day,
                  round(input_tokens * {ratio}) AS input_total,
                  round(cache_read_tokens * {ratio}) AS cache_read,
                  round(cache_write_tokens * {ratio}) AS cache_write,
                  round(output_tokens * {ratio}) AS output,
                  {searches} AS web_searches,
                  CAST(NULL AS VARCHAR) AS reason, false AS skipped
                FROM read_parquet({sql_text(str(usage))})"""
        )
        pricing = price_table(con, {}, catalog)
        priced = priced_sql(pricing)
        rows = con.execute(
            f"""SELECT p.feature, p.before_model,
                  m.catalog_provider || ':' || m.catalog_model, count(*), sum(p.before_usd),
                  sum(p.cost_usd), count(*) FILTER (WHERE p.model_key IS NULL)
                FROM ({priced}) p LEFT JOIN models m USING (model_key)
                GROUP BY ALL"""
        ).fetchall()
    for model in pricing.standard_tier:
        notes.append(f"{model}: the catalog has no price for that tier; priced at the standard one")
    notes += _dated_notes(usage, catalog, at, tier)
    groups = []
    for feature, before_model, after_model, n, before, after, unpriced in rows:
        priceable = after is not None and not unpriced
        groups.append(
            RepricedGroup(
                feature=str(feature),
                model=str(before_model),
                repriced_as=str(after_model) if priceable else None,
                calls=int(n),
                before_usd=float(before),
                after_usd=float(after) if priceable else None,
                change_usd=float(after) - float(before) if priceable else None,
                change_share=(float(after) - float(before)) / float(before)
                if priceable and before
                else None,
            )
        )
    groups.sort(key=lambda g: (g.change_usd is None, -abs(g.change_usd or 0), g.feature, g.model))
    priced_groups = [g for g in groups if g.after_usd is not None]
    before_total = sum(g.before_usd for g in priced_groups)
    after_total = sum(g.after_usd or 0.0 for g in priced_groups)
    unpriced_calls = sum(g.calls for g in groups if g.after_usd is None)
    if unpriced_calls:
        notes.append(
            f"{unpriced_calls} call(s) whose new model the catalog cannot price are left out "
            "of both totals"
        )
    return Repriced(
        usage=str(usage),
        what=what,
        calls=sum(g.calls for g in groups),
        before_usd=before_total,
        after_usd=after_total,
        change_usd=after_total - before_total,
        change_share=(after_total - before_total) / before_total if before_total else None,
        unpriced_calls=unpriced_calls,
        groups=groups,
        notes=notes,
    )


def _swaps(catalog: PriceCatalog, models: dict[str, str]) -> dict[str, tuple[str, str, str]]:
    """Each `from -> to` swap: from (a logged or catalog model) -> (provider, model, ref)."""
    out = {}
    for source, target in models.items():
        provider, sep, model = target.partition(":")
        if not sep:
            provider, model = "", target
        entry = catalog.find(provider or None, model)
        if entry is None:
            raise InputError(
                f"{target!r}: the catalog cannot price it (`costline models search` lists "
                "what it can; give provider:model)"
            )
        noon = dt.datetime.combine(dt.date.today(), dt.time(12), tzinfo=dt.UTC)
        if entry.model.get_prices(noon).output_mtok is None:
            raise InputError(
                f"{target!r} has no output price (an embedding or a per-request model): it "
                "does not answer the calls it would take"
            )
        out[source] = (entry.provider_id, entry.model_id, f"{entry.provider_id}:{entry.model_id}")
    return out


def _every_swap_matches(usage: Path, swaps: dict[str, tuple[str, str, str]]) -> None:
    """A swap whose FROM names no call of the file is a typo, not a saving of 0%."""
    if not swaps:
        return
    with connection() as con:
        found = con.execute(
            f"SELECT DISTINCT model, catalog_model, catalog_provider || ':' || catalog_model "
            f"FROM read_parquet({sql_text(str(usage))})"
        ).fetchall()
    names = {name for row in found for name in row}
    for source in swaps:
        if source not in names:
            known = ", ".join(sorted({row[2] for row in found}))
            raise InputError(
                f"{source!r}: no call of {usage} is of that model; its models: {known}"
            )


def _dated_notes(
    usage: Path, catalog: PriceCatalog, at: dt.date | None, tier: str | None
) -> list[str]:
    """Calls a dated catalog cannot price as asked: a tier priced only from some day on
    (calls before keep the standard price), or a date before a model's first recorded
    price change (its earliest price stands in)."""
    from costline.catalog.prices import PriceCell, context_of

    def price_on(cells: list[PriceCell], day: dt.date, above: int) -> tuple[object, ...]:
        for c in cells:
            within = (c.day_from is None or c.day_from <= day) and (
                c.day_to is None or day < c.day_to
            )
            if within and c.input_above == above:
                return (c.usd_per_input, c.usd_per_output, c.usd_per_cache_read)
        return ()

    with connection() as con:
        found = con.execute(
            f"SELECT catalog_provider, catalog_model, min(CAST(ts AS DATE)) "
            f"FROM read_parquet({sql_text(str(usage))}) GROUP BY ALL"
        ).fetchall()
    notes: list[str] = []
    unchanged: list[str] = []
    for provider, model, first in found:
        entry = catalog.find(provider, model)
        if entry is None:
            continue
        base = catalog.cells(entry, None)
        earliest = at if at is not None else first
        if tier not in (None, "default") and entry.has_tier(context_of(tier)):
            own = catalog.cells(entry, context_of(tier))
            # the first day its tier's price is its own, not the standard one
            starts = sorted(
                c.day_from or dt.date.min
                for c in own
                if price_on(own, c.day_from or dt.date.min, c.input_above)
                != price_on(base, c.day_from or dt.date.min, c.input_above)
            )
            if starts and earliest < starts[0]:
                notes.append(
                    f"{provider}:{model}: the catalog prices its {tier} tier from {starts[0]}; "
                    "calls before then keep the standard price"
                )
        if at is not None:
            changes = sorted(
                c.day_from
                for c in base
                if c.day_from is not None
                and price_on(base, c.day_from, c.input_above)
                != price_on(base, c.day_from - dt.timedelta(days=1), c.input_above)
            )
            if changes and at < changes[0]:
                notes.append(
                    f"{provider}:{model}: {at} is before the catalog's first recorded change "
                    f"of its price ({changes[0]}); its earliest recorded price stands in"
                )
            elif not changes:
                unchanged.append(f"{provider}:{model}")
    if unchanged:
        notes.append(
            f"the catalog records no change of price for {', '.join(sorted(unchanged))}: "
            "priced the same on any date"
        )
    if at is not None and at > dt.date.today():
        notes.append(
            f"{at} is after today: the latest prices the catalog records stand in (a price "
            "cut not yet announced is not in them)"
        )
    return notes


def _swap_sql(swaps: dict[str, tuple[str, str, str]]) -> dict[str, str]:
    """The SQL of a row's provider and model after the swaps, and whether one applies."""
    if not swaps:
        return {"provider": "provider", "model": "model", "hit": "false"}
    tests = {
        source: (
            f"(model = {sql_text(source)} OR catalog_model = {sql_text(source)} OR "
            f"catalog_provider || ':' || catalog_model = {sql_text(source)})"
        )
        for source in swaps
    }
    provider = " ".join(f"WHEN {tests[s]} THEN {sql_text(p)}" for s, (p, _, _) in swaps.items())
    model = " ".join(f"WHEN {tests[s]} THEN {sql_text(m)}" for s, (_, m, _) in swaps.items())
    return {
        "provider": f"CASE {provider} ELSE provider END",
        "model": f"CASE {model} ELSE model END",
        "hit": " OR ".join(tests.values()),
    }
