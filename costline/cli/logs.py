"""Commands on the logs a product already writes: ingest (price them), usage (summarise),
fit (a scenario from them); and classify (sort a bill's lines)."""

import sys
from pathlib import Path
from typing import Annotated

import typer

from costline.cli.app import (
    AsOfOption,
    Format,
    FormatOption,
    app,
    console,
    emit,
    fail,
    handled,
    library,
    progress_bar,
)
from costline.errors import InputError

_LOG_OPTIONS_HELP = {
    "map": "Where a field is: FIELD=COLUMN for CSV/Parquet, FIELD=$.json.path for JSON lines "
    "(fields: timestamp, user, feature, provider, model, input_tokens, output_tokens, "
    "cache_read_tokens, cache_write_tokens, web_searches, service_tier, logged_cost_usd). "
    "Repeat.",
    "mapping": "A YAML mapping file: fields: {FIELD: COLUMN, ...}, input_includes_cache: true.",
    "prices": "A YAML file pricing models the catalog does not know: models: {NAME: "
    "{input_usd_per_mtok: ..., output_usd_per_mtok: ..., cached_input_usd_per_mtok: ...}}.",
}
MemoryLimitOption = Annotated[
    str | None,
    typer.Option(
        help="The most memory to use, such as 2GB (DuckDB spills to disk past it; 80% of "
        "the machine's when unset)."
    ),
]
MapOption = Annotated[list[str] | None, typer.Option("--map", help=_LOG_OPTIONS_HELP["map"])]
MappingOption = Annotated[Path | None, typer.Option(help=_LOG_OPTIONS_HELP["mapping"])]
PricesOption = Annotated[Path | None, typer.Option(help=_LOG_OPTIONS_HELP["prices"])]


def _fields(maps: list[str] | None) -> dict[str, list[str]] | None:
    """--map FIELD=PLACE options as the library's field mapping."""
    if not maps:
        return None
    fields: dict[str, list[str]] = {}
    for item in maps:
        name, sep, place = item.partition("=")
        if not sep or not place:
            raise InputError(f"expected FIELD=COLUMN_OR_PATH, got {item!r}", field="map")
        fields.setdefault(name.strip(), []).append(place.strip())
    return fields


@app.command(short_help="Price request logs (JSONL, CSV, Parquet) into a usage file.")
@handled()
def ingest(
    files: Annotated[
        list[str], typer.Argument(help="Log files or globs (JSONL, CSV, Parquet; .gz).")
    ],
    out: Annotated[Path, typer.Option("--out", "-o", help="The priced usage file (.parquet).")],
    log_format: Annotated[
        str | None,
        typer.Option(
            "--format",
            help="openai-chat, openrouter, openai-responses, anthropic, otel, otlp, litellm, "
            "litellm-csv; "
            "detected from the first record when unset.",
        ),
    ] = None,
    map_: MapOption = None,
    mapping: MappingOption = None,
    prices: PricesOption = None,
    json_out: Annotated[bool, typer.Option("--json", help="Print the summary as JSON.")] = False,
    force: Annotated[bool, typer.Option(help="Replace OUT if it exists.")] = False,
    memory_limit: MemoryLimitOption = None,
) -> None:
    """Normalise and price request logs: every row at the price in force on its date (and
    hour, and service tier), written to a Parquet file with the catalog it was priced with;
    rows that cannot be priced go to OUT.rejects.csv with their file, line and reason.

    Example:

        costline ingest examples/logs/*.jsonl --out usage.parquet
        costline ingest examples/logs/openai.jsonl -o limited-usage.parquet --memory-limit 1GB
        costline ingest examples/logs/export.csv -o export-usage.parquet --map timestamp=ts \\
            --map model=model --map input_tokens=prompt --map output_tokens=completion
    """
    from costline.report.usage import render_ingest_terminal

    cl = library()
    with progress_bar("pricing") as tick:
        summary = cl.ingest(
            files,
            out,
            format=log_format,
            fields=_fields(map_),
            mapping=mapping,
            prices=prices,
            force=force,
            progress=tick,
            memory_limit=memory_limit,
        )
    emit(summary, Format.json if json_out else Format.terminal, render_ingest_terminal)
    if summary.rows_priced == 0:
        raise fail(
            InputError(
                f"no row of the logs could be priced ({summary.rows_rejected} rejected, "
                f"reasons above; each with its line in {summary.rejects}); check --format "
                "or the --map mapping"
            )
        )


@app.command(short_help="Real cost per query and per user from priced logs, by feature, model...")
@handled({"format": "--log-format"})
def usage(
    files: Annotated[
        list[str],
        typer.Argument(help="A usage file from costline ingest, or log files priced on the fly."),
    ],
    by: Annotated[str, typer.Option(help="feature, model, user, day or month.")] = "feature",
    format: FormatOption = Format.terminal,
    log_format: Annotated[
        str | None, typer.Option("--log-format", help="Format of raw logs (as ingest --format).")
    ] = None,
    map_: MapOption = None,
    mapping: MappingOption = None,
    prices: PricesOption = None,
    reconcile: Annotated[
        bool,
        typer.Option(
            "--reconcile",
            help="Compare costline's price of each row with the cost its log recorded, by "
            "provider, model and month (a usage file from ingest).",
        ),
    ] = False,
    top: Annotated[
        int, typer.Option(help="With --reconcile: the rows that differ most to list.")
    ] = 10,
    reprice: Annotated[
        bool,
        typer.Option(
            "--reprice",
            help="Price the same calls again (with --at, --model, --tier) beside what they "
            "cost (a usage file from ingest).",
        ),
    ] = False,
    at: Annotated[
        str | None, typer.Option(help="With --reprice: the prices of this date (YYYY-MM-DD).")
    ] = None,
    model: Annotated[
        list[str] | None,
        typer.Option(
            "--model",
            help="With --reprice: FROM=TO, a logged or catalog model and the provider:model "
            "its calls move to. Repeat.",
        ),
    ] = None,
    tier: Annotated[
        str | None,
        typer.Option(help="With --reprice: batch, flex, priority or default for every call."),
    ] = None,
    tokenizer_ratio: Annotated[
        float | None,
        typer.Option(
            help="With --reprice --model: tokens the new model's tokenizer counts per token "
            "of the old one (1.0 unless you measured it)."
        ),
    ] = None,
    memory_limit: MemoryLimitOption = None,
    engine: Annotated[
        str,
        typer.Option(
            help="duckdb (on this machine), or spark: Parquet logs priced on Spark, the "
            "same figures (pip install 'costline\\[spark]')."
        ),
    ] = "duckdb",
    master: Annotated[
        str | None,
        typer.Option(help="With --engine spark: the master, such as local[*] (the default)."),
    ] = None,
    remote: Annotated[
        str | None,
        typer.Option(help="With --engine spark: a Spark Connect server, sc://host:15002."),
    ] = None,
) -> None:
    """Real cost per query (median, p95) and per user, by feature, model, user or day.

    Example:

        costline usage usage.parquet
        costline usage usage.parquet --by model --format json
        costline ingest examples/logs/openrouter.jsonl -o openrouter-usage.parquet
        costline usage openrouter-usage.parquet --reconcile
        costline usage usage.parquet --reprice --model gpt-4.1=openai:gpt-6-luna --format markdown
        costline usage usage.parquet --reprice --tier batch
    """
    cl = library()
    if reconcile and (reprice or at or model or tier):
        raise InputError("choose one of --reconcile and --reprice: each is its own report")
    if reprice or at or model or tier:
        if len(files) != 1:
            raise InputError("--reprice prices one usage file from costline ingest again")
        swaps = {}
        for item in model or []:
            source, sep, target = item.partition("=")
            if not sep or not source.strip() or not target.strip():
                raise InputError(
                    f"expected FROM=TO (gpt-4.1=openai:gpt-6-luna), got {item!r}", "model"
                )
            swaps[source.strip()] = target.strip()
        emit(
            cl.reprice(files[0], at=at, models=swaps, tier=tier, tokenizer_ratio=tokenizer_ratio),
            format,
            "reprice:render_reprice_terminal",
            "reprice:render_reprice_markdown",
        )
        return
    if reconcile:
        if len(files) != 1:
            raise InputError("--reconcile compares one usage file from costline ingest")
        emit(
            cl.reconcile(files[0], top=top),
            format,
            "reconcile:render_reconcile_terminal",
            "reconcile:render_reconcile_markdown",
        )
        return
    with progress_bar("pricing") as tick:
        summary = cl.usage(
            files,
            by=by,
            format=log_format,
            fields=_fields(map_),
            mapping=mapping,
            prices=prices,
            progress=tick,
            memory_limit=memory_limit,
            engine=engine,
            master=master,
            remote=remote,
        )
    emit(summary, format, "usage:render_usage_terminal", "usage:render_usage_markdown")


@app.command(
    short_help="Priced usage beside a provider's bill or cost export, per model and month."
)
@handled()
def reconcile(
    usage_file: Annotated[Path, typer.Argument(help="A usage file from costline ingest.")],
    bill: Annotated[
        Path,
        typer.Option(
            help="The bill: a FOCUS CSV, OpenAI's Costs export (CSV) or Anthropic's cost "
            "report (its JSON, or a CSV of its fields)."
        ),
    ],
    format: FormatOption = Format.terminal,
) -> None:
    """costline's price of the usage beside what the provider charged, per model and month;
    more than 10% off, or on one side only, is flagged; charges that name no model are
    listed apart.

    Example:

        costline ingest examples/logs/openai.jsonl -o openai-usage.parquet
        costline reconcile openai-usage.parquet --bill examples/bills/openai-costs.csv
        costline reconcile openai-usage.parquet --bill examples/bills/focus.csv --format markdown
    """
    emit(
        library().reconcile_bill(usage_file, bill),
        format,
        "reconcile:render_bill_terminal",
        "reconcile:render_bill_markdown",
    )


@app.command(short_help="A scenario fitted to a month of real usage, checked against it.")
@handled()
def fit(
    usage_file: Annotated[Path, typer.Argument(help="A usage file from costline ingest.")],
    out: Annotated[Path, typer.Option("--out", "-o", help="The scenario file to write (.yaml).")],
    plans: Annotated[
        Path | None,
        typer.Option(
            help="YAML with the scenario parts logs cannot tell: plans (and optionally "
            "users.monthly_growth, horizon_months, monthly, one_time)."
        ),
    ] = None,
    month: Annotated[
        str | None,
        typer.Option(help="Month to fit (YYYY-MM); the latest complete month if unset."),
    ] = None,
    force: Annotated[bool, typer.Option(help="Replace OUT if it exists.")] = False,
    as_of: AsOfOption = None,
) -> None:
    """A scenario fitted to real usage: users, each feature's share of users, calls per user
    a month, tokens per call (empirical quantiles) and model mix, for one month; then the
    fitted scenario is run to check it reproduces the observed cost.

    Example:

        costline fit usage.parquet --plans examples/logs/plans.yaml -o scenario.yaml
        costline run scenario.yaml
    """
    from costline.report.usage import render_fit_terminal

    fitted = library(as_of).fit(usage_file, out, plans=plans, month=month, force=force)
    render_fit_terminal(fitted, str(out), console())


@app.command(short_help="Sort a bill's lines into training, inference and other.")
@handled({"columns": "--column"})
def classify(
    file: Annotated[
        str, typer.Argument(help="A CSV of cost lines, or - for one line a row on stdin.")
    ],
    column: Annotated[
        list[str] | None,
        typer.Option(help="The column(s) with the line's text; repeat to join several."),
    ] = None,
    amount_column: Annotated[
        str | None,
        typer.Option(
            help="The column with the amount (USD); found by name (amount, cost...) if unset."
        ),
    ] = None,
    labels: Annotated[
        str | None,
        typer.Option(
            help="A column with the bucket you expect (training, inference or other): "
            "scores costline against it and lists the lines that differ."
        ),
    ] = None,
    format: FormatOption = Format.terminal,
) -> None:
    """Sort cost lines into training (one-time, CapEx-like), inference (recurring COGS) or
    other, each with its reason and a confidence; totals by bucket and the inference lines
    that move gross margin most.

    Example:

        costline classify examples/bills/items.csv
        costline classify examples/bills/aws-cur.csv --column line_item_description \\
            --amount-column unblended_cost
        costline classify examples/bills/ledger.csv --labels bucket
        echo "vLLM serving instances on L4 GPUs" | costline classify -
    """
    from rich.console import Console

    from costline.report.classify import render_classify_markdown, render_classify_terminal

    cl = library()
    with progress_bar("Classifying lines") as tick:
        outcome = cl.classify(
            file, columns=column, amount_column=amount_column, labels=labels, progress=tick
        )
    err = Console(stderr=True, highlight=False, markup=False, soft_wrap=True)
    for line, problem in outcome.problems:
        err.print(f"{file}: line {line}: {problem}")

    def terminal(c: object, out: Console) -> None:
        render_classify_terminal(outcome.items, outcome.summary, out, outcome.agreement, labels)

    def markdown(c: object) -> str:
        return render_classify_markdown(outcome.items, outcome.summary, outcome.agreement, labels)

    emit(outcome, format, terminal, markdown)
    sys.stdout.flush()
