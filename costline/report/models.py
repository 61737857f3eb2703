"""`costline models search` and `costline models --open` on the terminal and as Markdown."""

from __future__ import annotations

import datetime as dt

from rich.console import Console
from rich.table import Table
from rich.text import Text

from costline.catalog.open_models import OpenModel
from costline.catalog.prices import CatalogModel, PriceCatalog
from costline.catalog.units import UNITS
from costline.report.format import usd

_TOOL_UNITS = ("web_searches", "storage_searches")
"""Search-tool fees, which most chat models have: left out of the listing's "other usage"."""


def other_usage(m: CatalogModel) -> str:
    """The model's prices besides text tokens and search tools, as a reader says them."""
    units = dict(m.rates.units)
    said = []
    for name, rate in units.items():
        if name in _TOOL_UNITS:
            continue
        short = UNITS[name].short
        # a model billed by audio time alone prices both directions at one rate
        both = units.get("input_audio_minutes") == units.get("output_audio_minutes")
        if name.endswith("audio_minutes") and both:
            if name.startswith("output"):
                continue
            short = "audio min"
        said.append(f"{usd(rate.base)}/{short}")
    return "; ".join(said)


def status(m: CatalogModel, when: dt.date) -> str:
    """ " (retired DATE)", " (shuts down DATE)" or " (deprecated)" after a reference."""
    if m.shutdown is not None:
        return f" (retired {m.shutdown})" if m.shutdown <= when else f" (shuts down {m.shutdown})"
    return " (deprecated)" if m.deprecated else ""


def _cells(m: CatalogModel, when: dt.date) -> list[str]:
    rates = m.rates
    return [
        m.ref + status(m, when),
        m.name,
        usd(rates.input.base) if rates.input else "-",
        usd(rates.cache_read.base) if rates.cache_read else "-",
        usd(rates.output.base) if rates.output else "-",
        f"{m.context_window:,}" if m.context_window else "-",
        ", ".join(m.tiers),
    ]


def _title(query: str, unit: str | None) -> str:
    return " and ".join(
        part
        for part in (f"matching {query!r}" if query else "", f"pricing {unit}" if unit else "")
        if part
    )


def render_models_markdown(
    found: list[CatalogModel], query: str, when: dt.date, catalog: PriceCatalog, unit: str | None
) -> str:
    """The models matching `query` as a Markdown table (USD per 1M tokens on `when`)."""
    what = _title(query, unit)
    if not found:
        return f"No model {what}.\n"
    others = [other_usage(m) for m in found]
    header = ["reference", "name", "input", "cached input", "output", "context", "tiers"]
    header += ["other usage"] if any(others) else []
    lines = [
        f"## Models {what}, prices on {when} (USD per 1M tokens)",
        "",
        "| " + " | ".join(header) + " |",
        "|" + "|".join("---" for _ in header) + "|",
    ]
    for m, other in zip(found, others, strict=True):
        cells = _cells(m, when) + ([other] if any(others) else [])
        lines.append("| " + " | ".join(c.replace("|", "\\|") for c in cells) + " |")
    lines += ["", f"{catalog.info(when).source}; tiered prices show the base tier."]
    return "\n".join(lines) + "\n"


def render_models_terminal(
    found: list[CatalogModel],
    query: str,
    when: dt.date,
    catalog: PriceCatalog,
    console: Console,
    unit: str | None = None,
) -> None:
    """The models matching `query` (and pricing `unit`) with their prices on `when` (USD per
    1M tokens), or the closest references when none matches."""
    what = _title(query, unit)
    if not found:
        suggestions = catalog.suggest(query) if query and not unit else []
        hint = f" Closest: {', '.join(suggestions)}" if suggestions else ""
        console.print(f"No model {what}.{hint}")
        return
    table = Table(
        title=f"Models {what}, prices on {when} (USD per 1M tokens)",
        title_justify="left",
    )
    others = [other_usage(m) for m in found]
    columns = ["reference", "name", "input", "cached input", "output", "context", "tiers"]
    if any(others):
        columns.append("other usage")
    for column in columns:
        is_text = column in {"reference", "name", "other usage"}
        # a reference must stay whole: users copy it into their scenario
        table.add_column(
            column,
            justify="left" if is_text else "right",
            no_wrap=column == "reference",
            overflow="fold" if column in {"name", "other usage"} else "ellipsis",
        )
    for m, other in zip(found, others, strict=True):
        table.add_row(*_cells(m, when), *([other] if any(others) else []))
    console.print(table)
    console.print(
        Text(f"{catalog.info(when).source}; tiered prices show the base tier.", style="dim")
    )


def _open_rows(models: list[OpenModel]) -> list[list[str]]:
    return [
        [
            m.id,
            m.name,
            f"{m.params / 1e9:,.1f}B",
            f"{m.active_params / 1e9:,.1f}B" if m.active_params < m.params else "dense",
            "MLA" if m.latent_attention else f"{m.attention_heads}/{m.kv_heads} heads",
            f"{m.context_length:,}" if m.context_length else "",
            m.default_dtype,
        ]
        for m in models
    ]


OPEN_HEADER = ["id", "name", "params", "active", "attention (q/kv)", "context", "weights"]


def render_open_models_terminal(models: list[OpenModel], console: Console) -> None:
    """The open models costline can self-host, largest first."""
    table = Table(title="Open models for costline selfhost and breakeven", title_justify="left")
    for name in OPEN_HEADER:
        table.add_column(name, justify="left" if name in ("id", "name") else "right")
    for row in _open_rows(models):
        table.add_row(*row)
    console.print(table)
    console.print(
        Text(
            "Shapes from each model's config.json and card (catalog/data/open_models.yml has "
            "the sources; --format json prints them). Example: costline selfhost --model "
            "qwen3-32b --gpu h100-sxm",
            style="dim",
        )
    )


def render_open_models_markdown(models: list[OpenModel]) -> str:
    """The open models as a Markdown table."""
    out = ["## Open models", "", "| " + " | ".join(OPEN_HEADER) + " |"]
    out.append("|" + " --- |" * len(OPEN_HEADER))
    out += ["| " + " | ".join(row) + " |" for row in _open_rows(models)]
    return "\n".join(out) + "\n"
