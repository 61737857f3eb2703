"""The user's own traffic priced again: at another date's prices, on another model, or on
another service tier. A usage file keeps every call's tokens, so history does not move
when a price does, and any "what if" is the same calls priced another way."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from pydantic import BaseModel, ConfigDict

from costline.catalog.prices import PriceCatalog
from costline.errors import InputError
from costline.ingest.price_sql import PRICED_SQL, price_table
from costline.ingest.session import connection, sql_text
from costline.ingest.usage import ingested_summary

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
            "say what to price again: a date (at), a model swap (models) or a tier", "at"
        )
    if tier is not None and tier not in TIERS:
        raise InputError(f"expected a tier of {', '.join(TIERS)}, got {tier!r}", "tier")
    if not 0.1 <= tokenizer_ratio <= 10:
        raise InputError(
            f"expected a tokenizer ratio between 0.1 and 10, got {tokenizer_ratio:g}",
            "tokenizer_ratio",
        )
    catalog = catalog or PriceCatalog()
    swaps = _swaps(catalog, models or {})
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
        priced = PRICED_SQL.format(cost=pricing.cost_sql, key=pricing.key_sql)
        rows = con.execute(
            f"""SELECT p.feature, p.before_model,
                  m.catalog_provider || ':' || m.catalog_model, count(*), sum(p.before_usd),
                  sum(p.cost_usd), count(*) FILTER (WHERE p.model_key IS NULL)
                FROM ({priced}) p LEFT JOIN models m USING (model_key)
                GROUP BY ALL"""
        ).fetchall()
    for model in pricing.standard_tier:
        notes.append(f"{model}: the catalog has no price for that tier; priced at the standard one")
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
                "what it can; give provider:model)",
                "models",
            )
        out[source] = (entry.provider_id, entry.model_id, f"{entry.provider_id}:{entry.model_id}")
    return out


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
