"""`costline serve`: the local web page."""

from __future__ import annotations

import contextlib
import sys
from pathlib import Path
from typing import Annotated

import typer

from costline.cli.app import AsOfOption, app, handled, library
from costline.errors import InputError

LOOPBACK = ("127.0.0.1", "localhost", "::1", "[::1]")


@app.command(short_help="The local web page: edit a scenario, move sliders, sort cost lines.")
@handled()
def serve(
    scenario: Annotated[
        Path | None, typer.Argument(help="A scenario file the page opens with.")
    ] = None,
    host: Annotated[
        str,
        typer.Option(help="Address to listen on; anything but loopback is reachable by others."),
    ] = "127.0.0.1",
    port: Annotated[int, typer.Option(min=0, max=65535, help="Port; 0 picks a free one.")] = 8000,
    open_: Annotated[bool, typer.Option("--open", help="Open the page in a browser.")] = False,
    db: Annotated[
        Path | None,
        typer.Option(help="SQLite file of saved scenarios (default: the user's data folder)."),
    ] = None,
    allow_host: Annotated[
        list[str] | None,
        typer.Option(help="Another Host header name to answer (with --host: the name you use)."),
    ] = None,
    as_of: AsOfOption = None,
) -> None:
    """Serve costline's page on this computer: the scenario as a form and as YAML, sliders
    that move the margin, the CTO brief, training and self-hosting calculators, pilot logs,
    the cost-line sorting exercise, saved scenarios with history, and downloads. The
    page works offline; it binds to loopback unless --host says otherwise.

    Example:

        costline serve examples/support-copilot.yaml --port 0
    """
    import socket
    import threading
    import webbrowser

    import uvicorn

    from costline.web.app import create_app
    from costline.web.store import ScenarioStore, default_path

    cl = library(as_of)
    text = None
    if scenario is not None:
        cl.load(scenario)  # the CLI's own message when it does not validate
        text = scenario.read_text(encoding="utf-8")
    family = socket.AF_INET6 if ":" in host.strip("[]") else socket.AF_INET
    try:
        sock = socket.create_server((host.strip("[]"), port), family=family)
    except OSError as exc:
        raise InputError(
            f"cannot listen on {host}:{port} ({exc.strerror or exc}); try --port 0 for a free port",
            field="port",
        ) from None
    bound = sock.getsockname()[1]
    hosts = {*LOOPBACK, host.lower(), *(h.lower() for h in allow_host or [])}
    if host not in LOOPBACK:
        sys.stderr.write(
            f"warning: listening on {host}, not loopback: anyone who can reach this address can "
            "use the page and its saved scenarios; it answers Host headers "
            f"{', '.join(sorted(hosts))} (add more with --allow-host)\n"
        )
    store = ScenarioStore(db or default_path())
    web = create_app(cl, store=store, hosts=hosts, scenario=text)
    shown = f"[{host.strip('[]')}]" if family == socket.AF_INET6 else host
    url = f"http://{shown}:{bound}/"
    sys.stdout.write(f"costline serves {url} (saved scenarios: {store.path}; Ctrl+C stops)\n")
    sys.stdout.flush()
    if open_:
        threading.Timer(0.5, webbrowser.open, [url]).start()
    server = uvicorn.Server(uvicorn.Config(web, log_level="warning", lifespan="off"))
    with contextlib.suppress(KeyboardInterrupt):
        server.run(sockets=[sock])
