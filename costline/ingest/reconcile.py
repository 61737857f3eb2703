"""Does costline's price match what was billed? Each priced row that carries the cost its
log recorded (OpenRouter's usage.cost, LiteLLM's spend, an OTel cost attribute, a mapped
logged_cost_usd column) beside costline's price, by provider, model and month, with the
rows that differ most and, for a model whose gap is large, the causes costline can check.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from pydantic import BaseModel, ConfigDict

from costline.catalog.prices import PriceCatalog, context_of
from costline.errors import InputError
from costline.ingest.session import connection, sql_text
from costline.ingest.usage import ingested_summary, require_columns

RECONCILE_FLAG_SHARE = 0.10
"""A model-month whose price differs from the logged cost by more than this share of it is
flagged, with its likely causes (issue 17's threshold, costline's own setting)."""


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True)


class ReconciledGroup(_Frozen):
    """One provider, model and month: costline's price beside the logged cost (USD)."""

    provider: str | None
    model: str
    """As the logs name it."""
    priced_as: str
    """The catalog model costline priced it as (provider:model)."""
    month: str
    rows: int
    costline_usd: float
    logged_usd: float
    difference_usd: float
    """costline minus logged."""
    difference_share: float | None
    """The difference as a share of the logged cost (None when that is 0)."""
    flagged: bool
    """The gap is over RECONCILE_FLAG_SHARE of the logged cost."""
    causes: list[str]
    """What costline can check that would explain a flagged gap, most likely first."""


class ReconciledRow(_Frozen):
    """One logged call whose price differs most from its logged cost (USD)."""

    source_file: str
    line: int
    ts: str
    model: str
    costline_usd: float
    logged_usd: float
    difference_usd: float


class Reconciliation(_Frozen):
    """costline's prices against the costs the logs carry, per provider, model and month."""

    source: str
    catalog: str | None
    rows: int
    """Priced rows in the usage file."""
    rows_with_logged_cost: int
    """Those that carry a logged cost: only they are compared."""
    costline_usd: float
    logged_usd: float
    difference_usd: float
    difference_share: float | None
    flag_share: float
    groups: list[ReconciledGroup]
    """Largest absolute difference first."""
    rows_differing_most: list[ReconciledRow]


def reconcile(path: Path, catalog: PriceCatalog | None = None, top: int = 10) -> Reconciliation:
    """Compare each row's price in the usage file `path` (from `ingest`) with the cost its
    log recorded, by provider, model and month; the `top` rows that differ most."""
    stored = ingested_summary(path)
    if stored is None:
        raise InputError(
            f"{path}: not a usage file from costline ingest; ingest the logs first "
            "(costline ingest LOGS --out usage.parquet)"
        )
    require_columns(path, ("input_cost_usd",))  # the uncached input's price
    catalog = catalog or PriceCatalog()
    source = f"read_parquet({sql_text(str(path))})"
    with connection() as con:
        counted = con.execute(
            f"SELECT count(*), count(logged_cost_usd), coalesce(sum(cost_usd) FILTER "
            f"(WHERE logged_cost_usd IS NOT NULL), 0), coalesce(sum(logged_cost_usd), 0) "
            f"FROM {source}"
        ).fetchone()
        assert counted is not None
        rows, with_cost, ours, theirs = counted
        if not with_cost:
            raise InputError(
                f"{path}: no row carries a logged cost to compare with (OpenRouter's "
                "usage.cost, LiteLLM's spend, an OTel gen_ai.usage.cost.amount, or a column "
                "mapped to logged_cost_usd)"
            )
        groups = con.execute(
            f"""SELECT provider, model, catalog_provider, catalog_model,
                 strftime(ts, '%Y-%m') AS month, count(*), sum(cost_usd), sum(logged_cost_usd),
                 sum(input_tokens), sum(cache_read_tokens), sum(cache_write_tokens),
                 list(DISTINCT coalesce(service_tier, '')),
                 sum(input_cost_usd) / nullif(sum(input_tokens - cache_read_tokens
                   - cache_write_tokens), 0) AS per_input_token
               FROM {source} WHERE logged_cost_usd IS NOT NULL
               GROUP BY ALL
               ORDER BY abs(sum(cost_usd) - sum(logged_cost_usd)) DESC, 1, 2, 5"""
        ).fetchall()
        worst = con.execute(
            f"""SELECT source_file, line, ts, model, cost_usd, logged_cost_usd
               FROM {source} WHERE logged_cost_usd IS NOT NULL
               ORDER BY abs(cost_usd - logged_cost_usd) DESC, source_file, line
               LIMIT {int(top)}"""
        ).fetchall()
    standard = set(stored.get("priced_at_standard_tier") or [])
    out = []
    for (
        provider,
        model,
        c_provider,
        c_model,
        month,
        n,
        cost,
        logged,
        inputs,
        read,
        write,
        tiers,
        per_input,
    ) in groups:
        difference = float(cost) - float(logged)
        share = difference / float(logged) if logged else None
        flagged = (share is None and abs(difference) > 0) or (
            share is not None and abs(share) > RECONCILE_FLAG_SHARE
        )
        causes = (
            _causes(
                catalog,
                model,
                c_provider,
                c_model,
                month,
                float(cost),
                float(logged),
                (read or 0) + (write or 0),
                inputs,
                per_input,
                tiers,
                standard,
            )
            if flagged
            else []
        )
        out.append(
            ReconciledGroup(
                provider=provider,
                model=model,
                priced_as=f"{c_provider}:{c_model}",
                month=month,
                rows=int(n),
                costline_usd=float(cost),
                logged_usd=float(logged),
                difference_usd=difference,
                difference_share=share,
                flagged=bool(flagged),
                causes=causes,
            )
        )
    total_difference = float(ours) - float(theirs)
    return Reconciliation(
        source=str(path),
        catalog=stored.get("catalog"),
        rows=int(rows),
        rows_with_logged_cost=int(with_cost),
        costline_usd=float(ours),
        logged_usd=float(theirs),
        difference_usd=total_difference,
        difference_share=total_difference / float(theirs) if theirs else None,
        flag_share=RECONCILE_FLAG_SHARE,
        groups=out,
        rows_differing_most=[
            ReconciledRow(
                source_file=str(f),
                line=int(line),
                ts=ts.isoformat() if ts is not None else "",
                model=str(m),
                costline_usd=float(c),
                logged_usd=float(lc),
                difference_usd=float(c) - float(lc),
            )
            for f, line, ts, m, c, lc in worst
        ],
    )


def _causes(
    catalog: PriceCatalog,
    model: str,
    c_provider: str,
    c_model: str,
    month: str,
    cost: float,
    logged: float,
    cached: float,
    inputs: float,
    per_input: float | None,
    tiers: list[str],
    standard: set[str],
) -> list[str]:
    """What costline can check about a model-month whose price is far from its cost."""
    causes = []
    ref = f"{c_provider}:{c_model}"
    unpriced = [t for t in tiers if t and f"{ref} ({t})" in standard]
    if unpriced:
        causes.append(
            f"unpriced tier: the logs say {', '.join(unpriced)}, which the catalog does not "
            "price for this model; costline charged the standard price"
        )
    if cached and per_input:
        # the other convention: cached tokens counted apart from the input, so each is
        # also an uncached input token more (or, the other way, one less)
        other = cost + cached * per_input if cost < logged else cost - cached * per_input
        # named only when it would explain the gap: within the flag share of the log
        if logged and abs(other - logged) <= RECONCILE_FLAG_SHARE * abs(logged):
            causes.append(
                f"cache convention: {cached / inputs:.0%} of the input tokens are cache reads "
                f"or writes; counted the other way (apart from the input, as Anthropic does, "
                f"or inside it, as OpenAI does) this month prices at ${other:,.4f} against "
                f"${logged:,.4f} logged: name the format (--format) or set "
                "input_includes_cache in the mapping"
            )
    change = _price_change_near(catalog, c_provider, c_model, month, tiers)
    if change is not None:
        causes.append(
            f"dated price change: the catalog changes {ref}'s price on {change}, near "
            f"{month}; a bill at the other side's price differs by that change"
        )
    if model.rsplit("/", 1)[-1] != c_model.rsplit("/", 1)[-1]:
        causes.append(
            f"alias: the logs name it {model!r}, which costline priced as {ref}; check it "
            "is the same model and version (a dated snapshot can be priced apart)"
        )
    if not causes:
        causes.append(
            "none costline can check: a discount, a surcharge, credits or a fee the "
            "catalog does not know"
        )
    return causes


def _price_change_near(
    catalog: PriceCatalog, provider: str, model: str, month: str, tiers: list[str]
) -> dt.date | None:
    """A catalog price boundary of the model within a month of `month`, if any."""
    entry = catalog.find(provider, model)
    if entry is None:
        return None
    first = dt.date.fromisoformat(f"{month}-01")
    start, end = first - dt.timedelta(days=31), first + dt.timedelta(days=62)
    for tier in tiers or [""]:
        for cell in catalog.cells(entry, context_of(tier or None)):
            for day in (cell.day_from, cell.day_to):
                if day is not None and start <= day <= end:
                    return day
    return None


class BilledGroup(_Frozen):
    """One model and month: costline's price of the usage beside the bill's charge (USD)."""

    model: str
    """provider:model as the catalog names it (the bill's name when the catalog has none)."""
    month: str
    costline_usd: float | None
    """None: the usage file has no call of it that month."""
    billed_usd: float | None
    """None: the bill has no charge for it that month."""
    difference_usd: float | None
    """costline minus billed, where both have it."""
    difference_share: float | None
    flagged: bool
    """More than RECONCILE_FLAG_SHARE off, or on one side only."""


class UncomparedCharge(_Frozen):
    """Charges of the bill that name no model costline prices (tools, storage, fees)."""

    description: str
    month: str
    usd: float
    lines: int


class BillReconciliation(_Frozen):
    """costline's priced usage beside a provider's bill, per model and month (USD)."""

    usage: str
    bill: str
    bill_format: str
    """focus, openai-costs or anthropic-cost-report."""
    costline_usd: float
    """Usage of the models and months the bill covers."""
    billed_usd: float
    """The bill's charges for models."""
    difference_usd: float
    difference_share: float | None
    flag_share: float
    groups: list[BilledGroup]
    """Largest absolute difference first; one-sided ones after."""
    not_compared: list[UncomparedCharge]


def reconcile_bill(
    usage: Path, bill: Path, catalog: PriceCatalog | None = None
) -> BillReconciliation:
    """The usage file `usage` (from `ingest`), priced per catalog model and month, beside
    the charges of the provider's bill or cost export `bill` (see `costline.ingest.invoice`)."""
    from costline.ingest.invoice import read_bill

    if ingested_summary(usage) is None:
        raise InputError(
            f"{usage}: not a usage file from costline ingest; ingest the logs first "
            "(costline ingest LOGS --out usage.parquet)"
        )
    require_columns(usage)
    catalog = catalog or PriceCatalog()
    shape, lines = read_bill(bill)
    if not lines:
        raise InputError(f"{bill}: has no charges")
    billed: dict[tuple[str, str], float] = {}
    loose: dict[tuple[str, str], list[float]] = {}
    for line in lines:
        entry = catalog.find(line.provider, line.model) if line.model else None
        if entry is None and line.model:
            entry = catalog.find(None, line.model)
        if entry is None:
            what = line.description or line.model or "(no description)"
            loose.setdefault((what, line.month), []).append(line.usd)
            continue
        key = (f"{entry.provider_id}:{entry.model_id}", line.month)
        billed[key] = billed.get(key, 0.0) + line.usd
    months = sorted({m for _, m in billed} | {m for _, m in loose})
    with connection() as con:
        priced = con.execute(
            f"""SELECT catalog_provider || ':' || catalog_model, strftime(ts, '%Y-%m'),
                   sum(cost_usd)
                FROM read_parquet({sql_text(str(usage))}) GROUP BY ALL"""
        ).fetchall()
    ours = {(ref, month): float(cost) for ref, month, cost in priced if month in months}
    groups = []
    for key in sorted(set(ours) | set(billed)):
        cost, charge = ours.get(key), billed.get(key)
        both = cost is not None and charge is not None
        difference = cost - charge if cost is not None and charge is not None else None
        share = difference / charge if difference is not None and charge else None
        groups.append(
            BilledGroup(
                model=key[0],
                month=key[1],
                costline_usd=cost,
                billed_usd=charge,
                difference_usd=difference,
                difference_share=share,
                flagged=not both or (share is not None and abs(share) > RECONCILE_FLAG_SHARE),
            )
        )
    groups.sort(
        key=lambda g: (g.difference_usd is None, -abs(g.difference_usd or 0), g.model, g.month)
    )
    compared = [g for g in groups if g.difference_usd is not None]
    total_ours = sum(g.costline_usd or 0.0 for g in compared)
    total_billed = sum(g.billed_usd or 0.0 for g in compared)
    return BillReconciliation(
        usage=str(usage),
        bill=str(bill),
        bill_format=shape,
        costline_usd=total_ours,
        billed_usd=total_billed,
        difference_usd=total_ours - total_billed,
        difference_share=(total_ours - total_billed) / total_billed if total_billed else None,
        flag_share=RECONCILE_FLAG_SHARE,
        groups=groups,
        not_compared=[
            UncomparedCharge(description=what, month=month, usd=sum(v), lines=len(v))
            for (what, month), v in sorted(loose.items())
        ],
    )
