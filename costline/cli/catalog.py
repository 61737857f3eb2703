"""Commands that read the catalogs: models search, schema."""

import json
import sys
from typing import Annotated, Any

import typer

from costline.cli.app import Format, FormatOption, app, emit, handled, library, models_app


@models_app.callback(invoke_without_command=True)
@handled()
def models(
    ctx: typer.Context,
    open_: Annotated[
        bool,
        typer.Option("--open", help="List the open models costline can self-host."),
    ] = False,
    format: FormatOption = Format.terminal,
) -> None:
    """Look up models: the price catalog (`models search WORDS`), or with --open the open
    models costline can self-host, with their shapes' sources.

    Example:

        costline models search "claude sonnet"
        costline models --open
    """
    if ctx.invoked_subcommand is not None:
        return
    if not open_:
        typer.echo(ctx.get_help())
        raise typer.Exit()
    emit(
        library().open_models(),
        format,
        "models:render_open_models_terminal",
        "models:render_open_models_markdown",
    )


@models_app.command("search", short_help="Find models in the price catalog, with their prices.")
@handled()
def models_search(
    words: Annotated[
        list[str] | None,
        typer.Argument(help="Words to find in a model reference or name (optional with --unit)."),
    ] = None,
    unit: Annotated[
        str | None,
        typer.Option(
            help="Only models that price this usage unit (input_audio_minutes, "
            "output_image_tokens, web_searches, ...; see the README's units table)."
        ),
    ] = None,
    limit: Annotated[int, typer.Option(min=1, help="Most models to list.")] = 20,
    at: Annotated[
        str | None, typer.Option(help="Show prices in force on this date (YYYY-MM-DD).")
    ] = None,
    format: FormatOption = Format.terminal,
) -> None:
    """Find models in the price catalog and show their prices per 1M tokens.

    Example:

        costline models search "claude sonnet"
        costline models search claude sonnet --at 2025-06-01
        costline models search openai --unit input_audio_minutes
    """
    from costline.api import parse_date
    from costline.report.models import render_models_markdown, render_models_terminal

    when = parse_date(at, "at")
    query = " ".join(words or [])
    cl = library(when.isoformat())
    found = cl.models(query, limit=limit, unit=unit)

    def terminal(models: Any, out: Any) -> None:
        render_models_terminal(models, query, when, cl.catalogs.prices, out, unit)

    def markdown(models: Any) -> str:
        return render_models_markdown(models, query, when, cl.catalogs.prices, unit)

    emit(found, format, terminal, markdown)


@app.command(short_help="The JSON Schema of scenario files.")
def schema() -> None:
    """Print the JSON Schema of scenario files, for editors and validators.

    Example:

        costline schema > scenario.schema.json
    """
    from costline.api import Costline

    sys.stdout.write(json.dumps(Costline.schema(), indent=2) + "\n")
