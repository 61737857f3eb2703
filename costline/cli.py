"""The `costline` command line: parse input, call the engine, hand the Result to a view."""

from __future__ import annotations

import datetime as dt
import json
import sys
from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

from costline.catalog.prices import PriceCatalog, price_book
from costline.engine.run import DEFAULT_QUERY_SAMPLES, DEFAULT_USERS_SIMULATED, run_scenario
from costline.errors import InputError
from costline.report.format import usd
from costline.report.json_report import render_json
from costline.report.markdown import render_markdown
from costline.report.terminal import render_terminal
from costline.scenario.load import load_scenario
from costline.scenario.models import Scenario

app = typer.Typer(
    help="costline: the unit economics of an AI product's inference and training cost lines.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
models_app = typer.Typer(
    help="Look up models and their prices in the catalog.", no_args_is_help=True
)
app.add_typer(models_app, name="models")


class Format(StrEnum):
    terminal = "terminal"
    json = "json"
    markdown = "markdown"


def _fail(err: InputError) -> typer.Exit:
    Console(stderr=True, highlight=False, soft_wrap=True).print(
        f"[bold red]error:[/] {err}", markup=True
    )
    return typer.Exit(err.exit_code)


def _console() -> Console:
    # Piped output has no terminal width; wide tables beat truncated figures.
    console = Console(highlight=False)
    if not console.is_terminal:
        console = Console(highlight=False, width=120)
    return console


def _parse_date(text: str | None, option: str) -> dt.date:
    if text is None:
        return dt.date.today()
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        raise InputError(f"{option}: expected a date as YYYY-MM-DD, got {text!r}") from None


@app.command()
def run(
    scenario: Annotated[Path, typer.Argument(help="Scenario file (.yaml, .toml or .json).")],
    format: Annotated[Format, typer.Option("--format", "-f", help="Output format.")] = (
        Format.terminal
    ),
    seed: Annotated[
        int, typer.Option(min=0, help="Seed of the Monte Carlo; same seed, same figures.")
    ] = 0,
    samples: Annotated[
        int, typer.Option(min=100, help="Simulated queries per feature.")
    ] = DEFAULT_QUERY_SAMPLES,
    users: Annotated[
        int, typer.Option(min=10, help="Simulated users for per-user distributions.")
    ] = DEFAULT_USERS_SIMULATED,
    as_of: Annotated[
        str | None,
        typer.Option(
            help="Date treated as today (YYYY-MM-DD): catalog prices up to it, the "
            "price trajectory after it. Default: today."
        ),
    ] = None,
) -> None:
    """Cost per query, cost per user, margins, scale and timeline of a scenario.

    Example:

        costline run examples/support-copilot.yaml
        costline run examples/support-copilot.yaml --format json > result.json
    """
    try:
        when = _parse_date(as_of, "--as-of")
        loaded = load_scenario(scenario)
        catalog = PriceCatalog()
        book = price_book(loaded, catalog, str(scenario))
    except InputError as err:
        raise _fail(err) from None
    result = run_scenario(
        loaded, book, catalog.info(when), seed=seed, query_samples=samples, users_simulated=users
    )
    if format is Format.json:
        sys.stdout.write(render_json(result) + "\n")
    elif format is Format.markdown:
        sys.stdout.write(render_markdown(result) + "\n")
    else:
        render_terminal(result, _console())


@app.command()
def schema() -> None:
    """Print the JSON Schema of scenario files, for editors and validators.

    Example:

        costline schema > scenario.schema.json
    """
    sys.stdout.write(json.dumps(Scenario.model_json_schema(), indent=2) + "\n")


@models_app.command("search")
def models_search(
    words: Annotated[list[str], typer.Argument(help="Words to find in a model reference or name.")],
    limit: Annotated[int, typer.Option(min=1, help="Most models to list.")] = 20,
    at: Annotated[
        str | None, typer.Option(help="Show prices in force on this date (YYYY-MM-DD).")
    ] = None,
    format: Annotated[Format, typer.Option("--format", "-f", help="Output format.")] = (
        Format.terminal
    ),
) -> None:
    """Find models in the price catalog and show their prices per 1M tokens.

    Example:

        costline models search "gpt-4o"
        costline models search claude sonnet --at 2025-06-01
    """
    try:
        when = _parse_date(at, "--at")
    except InputError as err:
        raise _fail(err) from None
    query = " ".join(words)
    catalog = PriceCatalog()
    found = catalog.search(query, when, limit)
    if format is Format.json:
        rows = [
            {
                "ref": m.ref,
                "name": m.name,
                "input_usd_per_mtok": m.rates.input.base if m.rates.input else None,
                "output_usd_per_mtok": m.rates.output.base if m.rates.output else None,
                "cached_input_usd_per_mtok": (
                    m.rates.cache_read.base if m.rates.cache_read else None
                ),
                "context_window": m.context_window,
                "deprecated": m.deprecated,
                "service_tiers": list(m.tiers),
            }
            for m in found
        ]
        sys.stdout.write(json.dumps(rows, indent=2) + "\n")
        return
    console = _console()
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
    console.print(f"[dim]{catalog.info(when).source}; tiered prices show the base tier.[/]")


if __name__ == "__main__":
    app()
