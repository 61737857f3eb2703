"""The SQL that prices a log row: the catalog's price cells (`costline.catalog.prices`, the
same adapter the engine reads) of its model and tier, compiled into one CASE expression that
picks the cell of its UTC day, time of day and input tokens; the cell's prices are then
joined to the row by its number and multiplied by its token counts."""

from __future__ import annotations

from dataclasses import dataclass

import duckdb

from costline.catalog.prices import (
    NO_LIMIT,
    SECONDS_PER_DAY,
    CatalogEntry,
    PriceCatalog,
    PriceCell,
    context_of,
)
from costline.ingest.session import sql_text
from costline.scenario.common import PriceOverride


@dataclass(frozen=True)
class Pricing:
    """How the logged models were priced: the SQL of a row's model key and of its price
    cell's number (see `_case_sql`), and the models worth a note."""

    key_sql: str
    cell_sql: str
    standard_tier: tuple[str, ...]
    """provider:model (tier) of models without a price for the logged tier."""
    overridden: tuple[str, ...]
    """Models priced by an override row."""
    unresolved: tuple[str, ...]
    """provider:model of models the catalog does not know."""


@dataclass(frozen=True)
class PriceTable:
    """The small dated price table of the models a set of logs names, resolved locally and
    shipped to whichever engine prices the rows (see DESIGN.md, "Scale beyond one machine").
    `models`: provider, model -> (model_key, catalog provider, catalog model); `cells`: rows
    of CELL_COLUMNS, each a price cell of one model and logged tier (`*`: any tier) with its
    validity (UTC days, seconds of the day, input tokens) and its prices (USD per token,
    request or web search)."""

    models: dict[tuple[str | None, str], tuple[int, str, str]]
    cells: list[tuple]
    standard_tier: tuple[str, ...]
    overridden: tuple[str, ...]
    unresolved: tuple[str, ...]


CELL_COLUMNS = (
    ("cell_id", "INTEGER"),
    ("model_key", "INTEGER"),
    ("tier", "VARCHAR"),
    ("day_from", "DATE"),
    ("day_to", "DATE"),
    ("second_from", "DOUBLE"),
    ("second_to", "DOUBLE"),
    ("input_above", "BIGINT"),
    ("input_upto", "BIGINT"),
    ("a_input", "DOUBLE"),
    ("a_read", "DOUBLE"),
    ("a_write", "DOUBLE"),
    ("a_output", "DOUBLE"),
    ("a_request", "DOUBLE"),
    ("a_search", "DOUBLE"),
)
"""The columns of a price table's cells and their SQL types."""


def resolve_prices(
    pairs: list[tuple[str | None, str | None, str | None]],
    overrides: dict[str, PriceOverride],
    catalog: PriceCatalog | None = None,
) -> PriceTable:
    """The price table of the logged (provider, model, tier) `pairs`: each model resolved in
    `catalog` (the shipped one when None) or priced by an override row."""
    catalog = catalog or PriceCatalog()
    pairs = [(p, m, t) for p, m, t in pairs if m]
    models: dict[tuple[str | None, str], tuple[int, str, str]] = {}
    cells: list[tuple] = []
    standard_tier: set[str] = set()
    overridden: set[str] = set()
    done: set[tuple[int, str]] = set()
    found_by_key: dict[int, CatalogEntry] = {}
    for provider, model, tier in pairs:
        assert model is not None
        key = (provider, model)
        if key not in models:
            override = overrides.get(model) or overrides.get(f"{provider}:{model}")
            if override is not None:
                models[key] = (len(models), "override", model)
                overridden.add(model)
                cells.append(_override_cell(len(cells), models[key][0], override))
                continue
            found = catalog.find(provider, model)
            if found is None and provider and "/" not in model:
                found = catalog.find("litellm", f"{provider}/{model}")
            if found is None:
                continue
            models[key] = (len(models), found.provider_id, found.model_id)
            found_by_key[models[key][0]] = found
        index, provider_id, _ = models[key]
        if provider_id == "override" or (index, tier or "") in done:
            continue
        done.add((index, tier or ""))
        found = found_by_key[index]
        context = context_of(tier)
        if not found.has_tier(context):
            standard_tier.add(f"{found.provider_id}:{found.model_id} ({tier})")
        for cell in catalog.cells(found, context):
            cells.append(_cell_row(len(cells), index, tier or "", cell))
    return PriceTable(
        models=models,
        cells=cells,
        standard_tier=tuple(sorted(standard_tier)),
        overridden=tuple(sorted(overridden)),
        unresolved=tuple(sorted({f"{p}:{m}" for p, m, _ in pairs if (p, m) not in models})),
    )


def price_table(
    con: duckdb.DuckDBPyConnection,
    overrides: dict[str, PriceOverride],
    catalog: PriceCatalog | None = None,
) -> Pricing:
    """Resolve each logged model of `rows` in `catalog` (the shipped one when None) and
    build the `models` and `cells` tables."""
    # every logged model, rejected rows' too: reading three columns beats checking rows
    table = resolve_prices(
        con.execute("SELECT provider, model, tier FROM rows GROUP BY ALL").fetchall(),
        overrides,
        catalog,
    )
    con.execute(
        "CREATE TEMP TABLE models (provider VARCHAR, model VARCHAR, model_key INTEGER, "
        "catalog_provider VARCHAR, catalog_model VARCHAR)"
    )
    if table.models:
        con.executemany(
            "INSERT INTO models VALUES (?, ?, ?, ?, ?)",
            [(p, m, i, cp, cm) for (p, m), (i, cp, cm) in table.models.items()],
        )
    columns = ", ".join(f"{name} {kind}" for name, kind in CELL_COLUMNS)
    con.execute(f"CREATE TEMP TABLE cells ({columns})")
    if table.cells:
        marks = ",".join("?" * len(CELL_COLUMNS))
        con.executemany(f"INSERT INTO cells VALUES ({marks})", table.cells)
    key_sql, cell_sql = _case_sql(table.models, table.cells)
    return Pricing(
        key_sql=key_sql,
        cell_sql=cell_sql,
        standard_tier=table.standard_tier,
        overridden=table.overridden,
        unresolved=table.unresolved,
    )


def _number(x: float | int) -> str:
    return f"CAST('{x!r}' AS DOUBLE)"


LINES = ("input", "cached_input", "output", "request")


"""The parts of a row's cost: uncached input tokens, cache reads and writes, output
tokens and the per-request fees (the call's own and its web searches); they add up to
`cost_usd`."""


# a cache read is priced as an input token plus its own (negative) difference; the terms
# are added in one order everywhere, so a figure is the same whichever query computes it
COST_SQL = {
    "total": "a_input * input_total + a_read * cache_read + a_write * cache_write "
    "+ a_output * output + a_request + a_search * web_searches",
    "input": "a_input * (input_total - cache_read - cache_write)",
    "cached_input": "(a_input + a_read) * cache_read + (a_input + a_write) * cache_write",
    "output": "a_output * output",
    # per-request fees: the call's own and its web searches'
    "request": "a_request + a_search * web_searches",
}
"""The SQL of a row's cost (`total`) and of each of LINES, in USD, from its price cell's
columns (USD per token, request or unit) and its counts."""


def _case_sql(
    models: dict[tuple[str | None, str], tuple[int, str, str]],
    cells: list[tuple],
) -> tuple[str, str]:
    """A row's model key and its price cell's number as CASE expressions: the price table's
    conditions compiled into the query (a range join costs more than the pricing); the
    cell's prices are then an equality join on its number."""
    if not models:
        return "CAST(NULL AS INTEGER)", "CAST(NULL AS INTEGER)"
    keys = " ".join(
        f"WHEN model = {sql_text(m)} AND provider "
        + ("IS NULL" if p is None else f"= {sql_text(p)}")
        + f" THEN {i}"
        for (p, m), (i, _, _) in models.items()
    )
    by_model: dict[int, list[str]] = {}
    for cell_id, index, tier, day_from, day_to, s_from, s_to, above, upto, *_ in cells:
        conditions = [] if tier == "*" else [f"coalesce(tier, '') = {sql_text(tier)}"]
        if day_from is not None:
            conditions.append(f"day >= DATE '{day_from.isoformat()}'")
        if day_to is not None:
            conditions.append(f"day < DATE '{day_to.isoformat()}'")
        if s_from > 0:
            conditions.append(f"second_of_day >= {_number(s_from)}")
        if s_to < SECONDS_PER_DAY:
            conditions.append(f"second_of_day < {_number(s_to)}")
        if above >= 0:
            conditions.append(f"input_total > {above}")
        if upto < NO_LIMIT:
            conditions.append(f"input_total <= {upto}")
        by_model.setdefault(index, []).append(
            f"WHEN {' AND '.join(conditions) or 'true'} THEN {cell_id}"
        )
    cell = " ".join(
        f"WHEN {index} THEN CASE {' '.join(whens)} END" for index, whens in by_model.items()
    )
    return f"CASE {keys} END", f"CASE model_key {cell} END"


def _cell_row(cell_id: int, index: int, tier: str, c: PriceCell) -> tuple:
    return (
        cell_id,
        index,
        tier,
        c.day_from,
        c.day_to,
        c.second_from,
        c.second_to,
        c.input_above,
        c.input_upto,
        float(c.usd_per_input),
        float(c.usd_per_cache_read),
        float(c.usd_per_cache_write),
        float(c.usd_per_output),
        float(c.usd_per_request),
        float(dict(c.usd_per_unit).get("web_searches", 0)),
    )


def _override_cell(cell_id: int, index: int, o: PriceOverride) -> tuple:
    per_input = o.input_usd_per_mtok / 1e6
    read = 0.0 if o.cached_input_usd_per_mtok is None else o.cached_input_usd_per_mtok / 1e6
    return (
        cell_id,
        index,
        "*",
        None,
        None,
        0.0,
        SECONDS_PER_DAY,
        -1,
        NO_LIMIT,
        per_input,
        0.0 if o.cached_input_usd_per_mtok is None else read - per_input,
        0.0,
        o.output_usd_per_mtok / 1e6,
        0.0,
        0.0,
    )


def priced_sql(pricing: Pricing, every_row: bool = False, lines: bool = False) -> str:
    """Rows of `rows` with their `model_key` (NULL for a model the catalog cannot price),
    `unknown_model` and `cost_usd` (USD; and each of LINES' as `{line}_cost_usd` with
    `lines`). Only the rows that can be priced, or `every_row` (a rejected or skipped row
    then has no model key and no cost)."""
    key = pricing.key_sql
    keyed = (
        f"SELECT *, CASE WHEN reason IS NULL AND NOT skipped THEN {key} END AS model_key FROM rows"
        if every_row
        else f"SELECT *, {key} AS model_key FROM rows WHERE reason IS NULL AND NOT skipped"
    )
    costs = ", ".join(f"{COST_SQL[part]} AS {part}_cost_usd" for part in (LINES if lines else ()))
    return f"""
SELECT r.*, r.model_key IS NULL AS unknown_model, {COST_SQL["total"]} AS cost_usd
  {", " + costs if costs else ""}
FROM (SELECT *, {pricing.cell_sql} AS cell_id FROM ({keyed})) r
LEFT JOIN (SELECT cell_id, a_input, a_read, a_write, a_output, a_request, a_search FROM cells)
  USING (cell_id)
"""


_TOKEN_SOURCES = {
    "input_tokens": "input_total",
    "cache_read_tokens": "cache_read",
    "cache_write_tokens": "cache_write",
    "output_tokens": "output",
    "web_searches": "web_searches",
}


def token_columns(*names: str) -> str:
    """The SQL selecting the named token counts (all of them by default) from `rows`."""
    return ", ".join(f"CAST({_TOKEN_SOURCES[n]} AS BIGINT) AS {n}" for n in names or _TOKEN_SOURCES)
