"""`costline models search` on the terminal: the models found and their prices."""

from __future__ import annotations

import datetime as dt

from rich.console import Console
from rich.table import Table
from rich.text import Text

from costline.catalog.prices import CatalogModel, PriceCatalog
from costline.report.format import usd


def render_models_terminal(
    found: list[CatalogModel], query: str, when: dt.date, catalog: PriceCatalog, console: Console
) -> None:
    """The models matching `query` with their prices on `when` (USD per 1M tokens), or the
    closest references when none matches."""
    if not found:
        suggestions = catalog.suggest(query)
        hint = f" Closest: {', '.join(suggestions)}" if suggestions else ""
        console.print(f"No model matches {query!r}.{hint}")
        return
    table = Table(
        title=f"Models matching {query!r}, prices on {when} (USD per 1M tokens)",
        title_justify="left",
    )
    for column in ("reference", "name", "input", "cached input", "output", "context", "tiers"):
        is_text = column in {"reference", "name"}
        # a reference must stay whole: users copy it into their scenario
        table.add_column(
            column,
            justify="left" if is_text else "right",
            no_wrap=column == "reference",
            overflow="fold" if column == "name" else "ellipsis",
        )
    for m in found:
        rates = m.rates
        table.add_row(
            m.ref + (" (deprecated)" if m.deprecated else ""),
            m.name,
            usd(rates.input.base) if rates.input else "-",
            usd(rates.cache_read.base) if rates.cache_read else "-",
            usd(rates.output.base) if rates.output else "-",
            f"{m.context_window:,}" if m.context_window else "-",
            ", ".join(m.tiers),
        )
    console.print(table)
    console.print(
        Text(f"{catalog.info(when).source}; tiered prices show the base tier.", style="dim")
    )
