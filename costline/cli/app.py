"""The Typer application, the options commands share, the one error handler and the one
render step.

A command parses its options, makes one `Costline` call and renders the result. Nothing
heavy is imported here: `costline --help` loads Typer and Rich, not the engine."""

from __future__ import annotations

import contextlib
import functools
import sys
from collections.abc import Callable, Iterator
from enum import StrEnum
from typing import TYPE_CHECKING, Annotated, Any, TypeVar

import typer

from costline.errors import InputError

if TYPE_CHECKING:
    from rich.console import Console

    from costline.api import Costline

app = typer.Typer(
    help="costline: the unit economics of an AI product's inference and training cost lines.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
models_app = typer.Typer(
    help="Look up models: the price catalog (search), and the open models to self-host (--open)."
)
app.add_typer(models_app, name="models")


def _version(value: bool) -> None:
    if value:
        from costline._version import __version__

        sys.stdout.write(f"costline {__version__}\n")
        raise typer.Exit()


@app.callback()
def _root(
    version: Annotated[
        bool,
        typer.Option(
            "--version", callback=_version, is_eager=True, help="Print the version and exit."
        ),
    ] = False,
) -> None:
    """costline: the unit economics of an AI product's inference and training cost lines."""


def main() -> None:
    """The `costline` command: the app, with a usage error (unknown option, missing
    argument, a value of the wrong type) printed as one `error:` line, exit code 2."""
    try:
        code = app(standalone_mode=False, prog_name="costline")
    except typer.TyperException as err:
        ctx = getattr(err, "ctx", None)
        if type(err).__name__ == "NoArgsIsHelpError" and ctx is not None:
            typer.echo(ctx.get_help())  # `costline` alone: the help, as --help prints it
        else:
            hint = f" (see {ctx.command_path} --help)" if ctx is not None else ""
            fail(InputError(f"{err.format_message()}{hint}"))
        sys.exit(err.exit_code)
    except typer.Abort:
        sys.stderr.write("aborted\n")
        sys.exit(130)
    sys.exit(code if isinstance(code, int) else 0)


class Format(StrEnum):
    terminal = "terminal"
    json = "json"
    markdown = "markdown"


FormatOption = Annotated[Format, typer.Option("--format", "-f", help="Output format.")]
SeedOption = Annotated[int, typer.Option(min=0, help="Seed of the Monte Carlo.")]
AsOfOption = Annotated[str | None, typer.Option(help="Date treated as today (YYYY-MM-DD).")]
SamplesOption = Annotated[int, typer.Option(min=100, help="Simulated queries per feature.")]
UsersOption = Annotated[
    int, typer.Option(min=10, help="Simulated users for per-user distributions.")
]

FLAGS = {
    # library field -> the option that sets it, where the two names differ
    "as_of": "--as-of",
    "at": "--at",
    "prices_at": "--prices-at",
    "features": "--feature",
    "self_host": "--self-host",
    "target": "--target",
    "out": "--out",
    "usd_per_gpu_hour": "--price-per-gpu-hour",
    "usd_per_1m_training_tokens": "--price-per-1m-training-tokens",
    "precision": "--fp8",
    "attention_term": "--seq-len/--layers/--d-model",
    "response_cache.hit_rate": "--cache-hit-rate",
    "prompt_cache.prefix_share": "--prompt-cache-prefix-share",
    "routing.model": "--route-to",
    "routing.share": "--route-share",
    "routing.router_usd_per_query": "--router-usd-per-query",
    "routing.fallback_share": "--fallback-share",
    "routing.tokenizer_ratio": "--tokenizer-ratio",
    "compression.input_reduction": "--compress",
    "compression.usd_per_query": "--compressor-usd-per-query",
    "batch.share": "--batch-share",
    "batch.discount": "--batch-discount",
    "caps.max_output_tokens": "--max-output-tokens",
    "caps.queries_per_user_per_month": "--quota",
    "query": "WORDS",
}
"""How an error's field is named on the command line (else --field-with-dashes)."""

F = TypeVar("F", bound=Callable[..., Any])


def flag(field: str, flags: dict[str, str] | None = None) -> str:
    """The option of the library field `field` (fields joined by commas: each one's)."""
    names = {**FLAGS, **(flags or {})}
    return ", ".join(names.get(f, f"--{f.replace('_', '-')}") for f in field.split(","))


def fail(err: InputError, flags: dict[str, str] | None = None) -> typer.Exit:
    """Print `err` as one line on stderr, naming the option its field comes from."""
    from rich.console import Console
    from rich.text import Text

    message = err.render(lambda name: flag(name, flags))
    if err.field is not None:
        message = f"{flag(err.field, flags)}: {message}"
    # markup off: a message quotes user text, and "[...]" in it must print as written
    Console(stderr=True, highlight=False, soft_wrap=True, markup=False).print(
        Text.assemble(("error:", "bold red"), f" {message}")
    )
    return typer.Exit(err.exit_code)


def handled(flags: dict[str, str] | None = None) -> Callable[[F], F]:
    """The one error handler: a command's InputError is printed and exits 2, no traceback."""

    def wrap(command: F) -> F:
        @functools.wraps(command)
        def run(*args: Any, **kwargs: Any) -> Any:
            try:
                return command(*args, **kwargs)
            except InputError as err:
                raise fail(err, flags) from None

        return run  # type: ignore[return-value]

    return wrap


def library(as_of: str | None = None) -> Costline:
    """The library face every command calls."""
    from costline.api import Costline, parse_date

    return Costline(as_of=parse_date(as_of, "as_of"))


def console() -> Console:
    """The console of a command's output: wide when piped, markup off."""
    from rich.console import Console

    # Piped output has no terminal width; wide tables beat truncated figures.
    # markup off: names, sources and notes are data and may contain "[...]"
    out = Console(highlight=False, markup=False)
    if not out.is_terminal:
        out = Console(highlight=False, markup=False, width=120)
    return out


def emit(
    outcome: Any,
    format: Format | str,
    terminal: Callable[[Any, Console], None] | str | None = None,
    markdown: Callable[[Any], str] | str | None = None,
) -> None:
    """The one render step: `outcome` as JSON, Markdown or on the terminal. A view may be
    named as "module:function", imported only when that format is asked for."""
    if format == Format.json:
        from costline.report.json_report import to_json

        sys.stdout.write(to_json(outcome) + "\n")
    elif format == Format.markdown or terminal is None:
        assert markdown is not None
        text = _view(markdown)(outcome)
        sys.stdout.write(text if text.endswith("\n") else text + "\n")
    else:
        _view(terminal)(outcome, console())


def _view(view: Callable[..., Any] | str) -> Callable[..., Any]:
    if not isinstance(view, str):
        return view
    import importlib

    module, _, name = view.partition(":")
    return getattr(importlib.import_module(f"costline.report.{module}"), name)


@contextlib.contextmanager
def spinner(what: str) -> Iterator[Callable[[], None]]:
    """A spinner with a count of engine runs on a terminal's stderr; silent when piped."""
    from rich.console import Console
    from rich.progress import Progress, SpinnerColumn, TextColumn

    err = Console(stderr=True)
    if not err.is_terminal:
        yield lambda: None
        return
    with Progress(
        SpinnerColumn(),
        TextColumn(f"{what}: {{task.completed}} engine runs"),
        console=err,
        transient=True,
    ) as bar:
        task = bar.add_task(what, total=None)
        yield lambda: bar.advance(task)


@contextlib.contextmanager
def progress_bar(what: str) -> Iterator[Callable[[float], None] | None]:
    """A progress bar on a terminal's stderr, fed a share done; None when piped."""
    from rich.console import Console
    from rich.progress import BarColumn, Progress, TaskProgressColumn, TextColumn

    err = Console(stderr=True)
    if not err.is_terminal:
        yield None
        return
    with Progress(
        TextColumn(what), BarColumn(), TaskProgressColumn(), console=err, transient=True
    ) as bar:
        task = bar.add_task(what, total=1.0)
        yield lambda share: bar.update(task, completed=share)
