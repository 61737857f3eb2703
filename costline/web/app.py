"""`costline serve`: the local web page and its JSON API, on the same `Costline` calls as
the CLI. Each endpoint parses its body, makes one library call and renders the result.

Safe on a laptop: it binds to loopback unless told otherwise, refuses requests whose Host
header names another site (DNS rebinding), caps request bodies, answers bad input with a
422 naming the field, and never takes a path from a request: uploads go to a temporary
folder under names of its own."""

from __future__ import annotations

import csv
import tempfile
from collections.abc import Awaitable, Callable, Iterable, MutableMapping
from pathlib import Path
from typing import Annotated, Any, Literal

from fastapi import FastAPI, Query, Request
from fastapi import Path as PathPart
from fastapi.exceptions import RequestValidationError
from fastapi.responses import HTMLResponse, JSONResponse, Response
from fastapi.staticfiles import StaticFiles
from pydantic import BaseModel, ConfigDict, Field

from costline.api import Costline
from costline.engine.breakeven import Breakeven
from costline.engine.brief import Brief
from costline.engine.classify import Agreement, BillSummary, Classification
from costline.engine.diff import Diff
from costline.engine.evaluation import Evaluation
from costline.engine.selfhost import ServingPoint
from costline.engine.training import TrainingEstimate
from costline.engine.waterfall import Waterfall
from costline.errors import InputError, ScenarioError
from costline.ingest.formats import FORMATS
from costline.ingest.reconcile import Reconciliation
from costline.ingest.summaries import IngestSummary, UsageSummary
from costline.scenario.edit import Edit, edit_yaml, rewrite_yaml
from costline.scenario.models import Scenario
from costline.scenario.selfhost import Dtype
from costline.scenario.sliders import Sliders
from costline.settings import MAX_GPUS, MAX_PARAMS, MAX_TRAINING_TOKENS, MAX_USD_PER_GPU_HOUR
from costline.web.store import SavedScenario, SavedVersion, ScenarioStore, default_path

HERE = Path(__file__).parent
EXAMPLES = Path(__file__).resolve().parents[2] / "examples"
"""The shipped example scenarios (a source checkout; an installed wheel has none)."""

BODY_LIMIT_BYTES = 2 * 1024 * 1024
"""Largest JSON body a request may send (a scenario is a few kB)."""
UPLOAD_LIMIT_BYTES = 20 * 1024 * 1024
"""Largest log or bill file the page uploads (the page says so)."""
UPLOAD_PATHS = ("/api/logs", "/api/logs/fit", "/api/classify/csv")
MAX_REJECTS_SHOWN = 50

LOG_KINDS = ("jsonl", "json", "csv", "parquet")
LOG_FORMATS = tuple(FORMATS)
"""The log formats costline reads (`costline ingest --format`)."""


# -- request bodies ------------------------------------------------------------------------


class _Body(BaseModel):
    model_config = ConfigDict(extra="forbid", allow_inf_nan=False)


class ScenarioText(_Body):
    """A scenario as YAML (or JSON) text, as the page's editor holds it."""

    yaml: Annotated[str, Field(max_length=BODY_LIMIT_BYTES)]


class Evaluate(ScenarioText):
    """A scenario, the sliders set over it, and how precise the figures should be."""

    sliders: Sliders = Field(default_factory=Sliders)
    preview: bool = False
    self_host: Annotated[str, Field(max_length=200)] | None = None
    """MODEL@GPU: add the API-vs-self-hosting curves."""
    self_host_tp: Annotated[int, Field(ge=1, le=64)] | None = None
    """GPUs a replica splits over (tensor parallel); the smallest that fits when unset."""
    self_host_dtype: Dtype | None = None
    """Weights' number format (bf16 when unset)."""


class WithSliders(ScenarioText):
    sliders: Sliders = Field(default_factory=Sliders)


class ExportBody(WithSliders):
    """A scenario, its sliders, and for the HTML report the self-hosting option shown."""

    self_host: Annotated[str, Field(max_length=200)] | None = None
    """MODEL@GPU: the report draws the API-vs-self-hosting curves."""
    self_host_tp: Annotated[int, Field(ge=1, le=64)] | None = None
    self_host_dtype: Dtype | None = None


class LeversBody(ScenarioText):
    what_if: dict[str, dict[str, Any]] | None = None
    features: list[str] | None = None


class BreakevenBody(ScenarioText):
    model: Annotated[str, Field(min_length=1, max_length=200)]
    """An open model of `costline models --open`."""
    gpu: Annotated[str, Field(min_length=1, max_length=200)]
    """A GPU of `costline gpus`."""
    features: list[str] | None = None
    tp: Annotated[int, Field(ge=1, le=64)] | None = None
    """GPUs a replica splits over; the smallest that fits when unset."""
    dtype: Dtype | None = None
    """Weights' number format (bf16 when unset)."""


class DiffBody(_Body):
    before: Annotated[str, Field(max_length=BODY_LIMIT_BYTES)]
    """The earlier scenario's YAML."""
    after: Annotated[str, Field(max_length=BODY_LIMIT_BYTES)]
    """The later scenario's YAML."""


class TrainBody(_Body):
    params: Annotated[float, Field(gt=0, le=MAX_PARAMS)]
    """Parameters of the model trained (e.g. 8e9)."""
    tokens: Annotated[float, Field(gt=0, le=MAX_TRAINING_TOKENS)]
    """Training tokens (e.g. 1.5e12)."""
    active_params: Annotated[float, Field(gt=0, le=MAX_PARAMS)] | None = None
    gpu: Annotated[str, Field(min_length=1, max_length=200)]
    """A GPU of `costline gpus` (e.g. h100-sxm)."""
    gpus: Annotated[int, Field(ge=1, le=MAX_GPUS)] | None = None
    mfu: Annotated[float, Field(gt=0, le=1)] | None = None
    usd_per_gpu_hour: Annotated[float, Field(ge=0, le=MAX_USD_PER_GPU_HOUR)] | None = None


class SelfhostBody(_Body):
    model: Annotated[str, Field(min_length=1, max_length=200)]
    gpu: Annotated[str, Field(min_length=1, max_length=200)]
    input_tokens: Annotated[float, Field(ge=0, le=10_000_000)] = 1000
    output_tokens: Annotated[float, Field(ge=0, le=10_000_000)] = 250
    tp: Annotated[int, Field(ge=1, le=64)] | None = None
    dtype: Dtype = "bf16"
    utilisation: Annotated[float, Field(gt=0, le=1)] | None = None


class ClassifyBody(_Body):
    lines: Annotated[list[Annotated[str, Field(max_length=2000)]], Field(max_length=20_000)]
    """Cost lines, one description each."""


class EditBody(ScenarioText):
    """A scenario and the changes the form makes to it, applied in order."""

    edits: Annotated[list[Edit], Field(min_length=1, max_length=50)]


class SaveBody(ScenarioText):
    note: Annotated[str, Field(max_length=500)] = ""


# -- response bodies -----------------------------------------------------------------------


class Evaluated(Evaluation):
    """An evaluation with the charts the HTML report draws (Vega-Lite specs, by name)."""

    charts: dict[str, dict[str, Any]]


class Briefed(BaseModel):
    """The CTO brief, and the same as Markdown."""

    brief: Brief
    markdown: str


class Checked(BaseModel):
    """A scenario that passed the CLI's validation."""

    scenario: Scenario
    """With every default filled."""
    document: dict[str, Any]
    """Only what the YAML says, as written (for the form)."""


class Edited(Checked):
    """A scenario after the form's changes, with its YAML (comments and layout kept)."""

    yaml: str


class YamlText(BaseModel):
    yaml: str


class Example(BaseModel):
    name: str
    title: str | None


class SortedLines(BaseModel):
    """Cost lines sorted into training, inference and other."""

    items: list[Classification]
    summary: BillSummary
    agreement: Agreement | None = None
    problems: list[tuple[int, str]] = []


class ExerciseItem(BaseModel):
    description: str
    bucket: Literal["training", "inference", "other"]


class Reject(BaseModel):
    line: str
    reason: str


class PricedLogs(BaseModel):
    """An uploaded log file, priced and summarised by feature."""

    ingest: IngestSummary
    usage: UsageSummary
    rejects: list[Reject]
    """The first rejected rows with their line and reason."""
    reconciliation: Reconciliation | None = None
    """costline's prices beside the costs the logs carry, when they carry some."""


class FittedScenario(BaseModel):
    """A scenario fitted to the latest month of uploaded logs, and how close it comes."""

    yaml: str
    """The scenario as `costline fit` writes it (plans are a placeholder to edit)."""
    observed: dict[str, Any]
    """month, users, calls, cost_usd, fitted_on."""
    modelled_cost_usd: float
    """The fitted scenario's first-month inference cost (USD)."""
    gap: float
    """modelled / observed - 1."""
    warnings: list[str]


class ModelRow(BaseModel):
    """A catalog model as the picker shows it: base prices (USD per 1M tokens) and
    retirement."""

    ref: str
    name: str | None
    input_usd_per_mtok: float | None
    output_usd_per_mtok: float | None
    cached_input_usd_per_mtok: float | None
    unit_prices: list[dict[str, Any]]
    context_window: int | None
    deprecated: bool
    shutdown: str | None
    """The date the vendor shuts the model down, when the catalog knows one."""


class Problem(BaseModel):
    """What is wrong with one input."""

    loc: list[str | int]
    """Where, as FastAPI spells it: ["body", "yaml"], ["query", "kind"], ..."""
    field: str | None
    """The field path to show beside its input: a scenario path such as
    features[0].model, or an input's name."""
    msg: str
    type: str | None = None


class Problems(BaseModel):
    """A 422: the request was read but an input is wrong."""

    detail: list[Problem]


class Missing(BaseModel):
    """A 404: no such example or saved scenario."""

    detail: str


_TEXT = {"text/plain": {"schema": {"type": "string"}}}
ERROR_RESPONSES: dict[int | str, dict[str, Any]] = {
    400: {"description": "The Host header is not this server's (DNS rebinding)", "content": _TEXT},
    413: {"description": "The body is over its limit (2 MB; uploads 20 MB)", "content": _TEXT},
    422: {"description": "An input is wrong: where and what", "model": Problems},
}
UPLOAD_BODY = {
    "requestBody": {
        "required": True,
        "content": {"application/octet-stream": {"schema": {"type": "string", "format": "binary"}}},
    }
}
CSV_BODY = {
    "requestBody": {"required": True, "content": {"text/csv": {"schema": {"type": "string"}}}}
}
EXPORTS: dict[int | str, dict[str, Any]] = {
    200: {
        "description": "The file, as an attachment",
        "content": {
            "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet": {
                "schema": {"type": "string", "format": "binary"}
            },
            "text/html": {"schema": {"type": "string"}},
            "text/markdown": {"schema": {"type": "string"}},
        },
    }
}


def _openapi_of(app: FastAPI) -> Callable[[], dict[str, Any]]:
    """The OpenAPI document as the responses are: the waterfall and the brief leave out the
    whole Result they carry for the views (the evaluation has it once), and no endpoint
    answers application/json for a file."""
    from fastapi.openapi.utils import get_openapi

    def build() -> dict[str, Any]:
        if app.openapi_schema is None:
            doc = get_openapi(
                title=app.title,
                version=app.version,
                description=app.description,
                routes=app.routes,
            )
            for name in ("Waterfall", "Brief"):
                schema = doc.get("components", {}).get("schemas", {}).get(name, {})
                schema.get("properties", {}).pop("result", None)
                if "result" in schema.get("required", []):
                    schema["required"].remove("result")
            export = doc["paths"].get("/api/export/{kind}", {}).get("post", {})
            export.get("responses", {}).get("200", {}).get("content", {}).pop(
                "application/json", None
            )
            app.openapi_schema = doc
        return app.openapi_schema

    return build


# -- the app -------------------------------------------------------------------------------


def _problem(err: InputError) -> dict[str, Any]:
    """One 422 detail: where (`field`: a scenario path such as features[0].model, or an
    input's name) and what."""
    if isinstance(err, ScenarioError):
        # the scenario's body field: `yaml`, or `before` / `after` for a diff
        where = err.file if err.file in ("before", "after") else "yaml"
        return {
            "loc": ["body", where],
            "field": err.location,
            "msg": err.message,
            "type": "scenario",
        }
    return {
        "loc": ["body", *(err.field or "").split(".")],
        "field": err.field,
        "msg": str(err),
        "type": "input",
    }


def _examples() -> dict[str, Path]:
    if not EXAMPLES.is_dir():
        return {}
    return {p.stem: p for p in sorted(EXAMPLES.glob("*.yaml"))}


class Guard:
    """ASGI middleware: refuse a Host header that is not this server's (DNS rebinding)
    and bodies over their limit, before the app reads them."""

    def __init__(self, app: Any, hosts: Iterable[str]) -> None:
        self.app = app
        self.hosts = {h.lower() for h in hosts}

    async def __call__(
        self,
        scope: MutableMapping[str, Any],
        receive: Callable[[], Awaitable[MutableMapping[str, Any]]],
        send: Callable[[MutableMapping[str, Any]], Awaitable[None]],
    ) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = dict(scope.get("headers") or [])
        host = headers.get(b"host", b"").decode("latin-1").lower()
        name = host.rsplit(":", 1)[0] if not host.endswith("]") else host
        if name not in self.hosts:
            await _plain(send, 400, f"unexpected Host header {host!r}: costline serves itself")
            return
        limit = UPLOAD_LIMIT_BYTES if scope["path"] in UPLOAD_PATHS else BODY_LIMIT_BYTES
        length = headers.get(b"content-length")
        if length is not None and (not length.isdigit() or int(length) > limit):
            await _plain(send, 413, f"request body over {limit // (1024 * 1024)} MB")
            return
        if length is not None:
            seen = 0

            async def counted() -> MutableMapping[str, Any]:
                nonlocal seen
                message = await receive()
                seen += len(message.get("body", b""))
                if seen > limit:
                    raise _TooLarge()
                return message

            try:
                await self.app(scope, counted, send)
            except _TooLarge:
                await _plain(send, 413, f"request body over {limit // (1024 * 1024)} MB")
            return
        # no length given (a chunked body): read it whole, up to the limit, then hand it on
        chunks, size = [], 0
        while True:
            message = await receive()
            if message["type"] != "http.request":
                return  # the client went away
            chunks.append(message.get("body", b""))
            size += len(chunks[-1])
            if size > limit:
                await _plain(send, 413, f"request body over {limit // (1024 * 1024)} MB")
                return
            if not message.get("more_body"):
                break
        body, given = b"".join(chunks), False

        async def replay() -> MutableMapping[str, Any]:
            nonlocal given
            if given:
                return await receive()
            given = True
            return {"type": "http.request", "body": body, "more_body": False}

        await self.app(scope, replay, send)


class _TooLarge(Exception):
    pass


async def _plain(
    send: Callable[[MutableMapping[str, Any]], Awaitable[None]], status: int, text: str
) -> None:
    body = text.encode()
    await send(
        {
            "type": "http.response.start",
            "status": status,
            "headers": [(b"content-type", b"text/plain; charset=utf-8")],
        }
    )
    await send({"type": "http.response.body", "body": body})


def create_app(
    costline: Costline | None = None,
    *,
    store: ScenarioStore | None = None,
    hosts: Iterable[str] = ("127.0.0.1", "localhost", "[::1]"),
    scenario: str | None = None,
) -> FastAPI:
    """The web app. `hosts` are the Host header names it answers (the bound address and
    loopback names); `scenario` is YAML the page opens with."""
    from costline import parse_scenario
    from costline._version import __version__
    from costline.scenario.load import format_path, parse_document

    cl = costline or Costline()
    saved = store or ScenarioStore(default_path())
    app = FastAPI(
        title="costline",
        version=__version__,
        description="Unit economics of an AI product: the page's JSON API.",
        responses=ERROR_RESPONSES,
        # FastAPI's /docs and /redoc load their scripts from a CDN: the page works offline,
        # so /docs is costline's own (below), from the same OpenAPI document
        docs_url=None,
        redoc_url=None,
    )
    app.openapi = _openapi_of(app)  # type: ignore[method-assign]

    app.add_middleware(Guard, hosts=hosts)

    def load(text: str) -> Scenario:
        return parse_scenario(text, "yaml", "scenario")

    def priced(text: str) -> Scenario:
        # valid, and every model it names has a price (an unknown model is refused here)
        scenario_ = load(text)
        cl.price_book(scenario_)
        return scenario_

    def document(text: str) -> dict[str, Any]:
        return parse_document(text, "yaml", "scenario")

    @app.exception_handler(InputError)
    async def bad_input(request: Request, err: InputError) -> JSONResponse:
        return JSONResponse({"detail": [_problem(err)]}, status_code=422)

    @app.exception_handler(RequestValidationError)
    async def bad_request(request: Request, err: RequestValidationError) -> JSONResponse:
        # FastAPI's own 422s, with the field path the page puts beside its input
        detail: list[dict[str, Any]] = []
        for e in err.errors():
            loc = [str(x) if not isinstance(x, int) else x for x in e.get("loc", ())]
            inner = loc[1:] if loc and loc[0] in ("body", "query", "path") else loc
            if e.get("type") == "json_invalid":  # loc holds the character offset
                where = f" at character {inner[0]}" if inner else ""
                detail.append(
                    {
                        "loc": ["body"],
                        "field": None,
                        "msg": f"malformed JSON{where}",
                        "type": "json_invalid",
                    }
                )
                continue
            detail.append(
                {
                    "loc": loc,
                    "field": format_path(tuple(inner)) or None,
                    "msg": str(e.get("msg", "invalid")),
                    "type": e.get("type"),
                }
            )
        return JSONResponse({"detail": detail}, status_code=422)

    @app.exception_handler(LookupError)
    async def missing(request: Request, err: LookupError) -> JSONResponse:
        text = str(err.args[0]) if err.args else str(err)
        return JSONResponse({"detail": text}, status_code=404)

    @app.get("/", response_class=HTMLResponse, include_in_schema=False)
    def page() -> HTMLResponse:
        from jinja2 import Environment, FileSystemLoader, select_autoescape

        env = Environment(
            loader=FileSystemLoader(HERE / "templates"), autoescape=select_autoescape()
        )
        text = env.get_template("index.html").render(
            version=__version__,
            examples=list(_examples()),
            first="support-copilot",
            scenario=scenario or "",
            upload_mb=UPLOAD_LIMIT_BYTES // (1024 * 1024),
            as_of=cl.as_of.isoformat(),
            auto_tp=int(cl.catalogs.open_models.defaults.auto_tp_max_gpus.value),
            memory_share=cl.catalogs.open_models.defaults.gpu_memory_utilization.value,
            log_formats=LOG_FORMATS,
        )
        return HTMLResponse(text)

    @app.get("/docs", response_class=HTMLResponse, include_in_schema=False)
    def docs() -> HTMLResponse:
        """The API, read from the OpenAPI document, with nothing loaded from outside."""
        from jinja2 import Environment, FileSystemLoader, select_autoescape

        env = Environment(
            loader=FileSystemLoader(HERE / "templates"), autoescape=select_autoescape()
        )
        doc = app.openapi()
        operations = [
            {"method": method.upper(), "path": path, **op}
            for path, methods in doc["paths"].items()
            for method, op in methods.items()
        ]
        return HTMLResponse(
            env.get_template("docs.html").render(
                doc=doc, operations=operations, ref=lambda r: r.rsplit("/", 1)[-1]
            )
        )

    @app.get("/favicon.ico", include_in_schema=False)
    def favicon() -> Response:
        return Response(status_code=204)

    @app.get("/vendor/vega.js", include_in_schema=False)
    def vega() -> Response:
        from costline.report.html import vega_bundle

        return Response(vega_bundle(), media_type="text/javascript")

    app.mount("/static", StaticFiles(directory=HERE / "static"), name="static")

    # -- scenarios ---------------------------------------------------------------------

    @app.get("/api/examples")
    def examples() -> list[Example]:
        """The example scenarios costline ships."""
        out = []
        for name, path in _examples().items():
            try:
                title = cl.load(path).name
            except InputError:
                title = None
            out.append(Example(name=name, title=title))
        return out

    @app.get("/api/examples/{name}", responses={404: {"model": Missing}})
    def example(name: str) -> YamlText:
        """One example's YAML, by name (see /api/examples)."""
        path = _examples().get(name)
        if path is None:
            raise LookupError(f"no example {name!r}")
        return YamlText(yaml=path.read_text(encoding="utf-8"))

    @app.post("/api/check")
    def check(body: ScenarioText) -> Checked:
        """Validate a scenario as the CLI does; a 422 names the field."""
        return Checked(scenario=priced(body.yaml), document=document(body.yaml))

    @app.post("/api/edit")
    def edit(body: EditBody) -> Edited:
        """Change fields of the scenario's YAML in place (set, delete, append to a list),
        keeping its comments and layout; a 422 names the field when the result is not a
        valid scenario, and the YAML sent stays as it was."""
        text = edit_yaml(body.yaml, body.edits)
        return Edited(yaml=text, scenario=priced(text), document=document(text))

    @app.post("/api/yaml")
    def to_yaml(body: WithSliders) -> YamlText:
        """The scenario with the sliders written into it, as YAML: the fields they change
        are rewritten, everything else (comments, layout) stays as it was."""
        from costline.scenario.sliders import with_sliders

        slid = with_sliders(load(body.yaml), body.sliders, "scenario")
        return YamlText(yaml=rewrite_yaml(body.yaml, slid))

    @app.post("/api/evaluate", response_model_exclude={"waterfall": {"result"}})
    def evaluate(body: Evaluate) -> Evaluated:
        """Run a scenario with sliders set: headline, plans, timeline, warnings, charts. A
        `preview` is quicker and rougher (no cases, no waterfall); then ask for the full."""
        from costline.report.charts import chart_specs

        outcome = cl.evaluate(
            load(body.yaml),
            body.sliders,
            preview=body.preview,
            self_host=body.self_host,
            self_host_options={"tp": body.self_host_tp, "dtype": body.self_host_dtype},
        )
        charts = chart_specs(outcome.result, outcome.waterfall, outcome.crossing)
        return Evaluated(**dict(outcome), charts=charts)

    @app.post(
        "/api/brief",
        # each carries a whole Result for the views: /api/evaluate returns that one
        response_model_exclude={"brief": {"result": True, "verdict": {"waterfall": {"result"}}}},
    )
    def brief(body: WithSliders) -> Briefed:
        """The CTO brief: the five questions, answered (JSON, and as Markdown)."""
        from costline.report.brief import render_brief_markdown

        outcome = cl.brief(cl.with_sliders(load(body.yaml), body.sliders))
        return Briefed(brief=outcome, markdown=render_brief_markdown(outcome))

    @app.post("/api/levers", response_model_exclude={"result"})
    def levers(body: LeversBody) -> Waterfall:
        """Which levers fix the margin: the waterfall of each lever's saving."""
        try:
            return cl.levers(load(body.yaml), what_if=body.what_if, features=body.features)
        except InputError as err:
            # a what-if's field is named from the body: what_if.response_cache.hit_rate
            field = err.field or ""
            if body.what_if and field.split(".")[0] in body.what_if:
                raise InputError(err.template, f"what_if.{field}") from None
            raise

    @app.post("/api/diff")
    def diff(body: DiffBody) -> Diff:
        """What changed between two scenarios, over the horizon."""
        return cl.diff(
            parse_scenario(body.before, "yaml", "before"),
            parse_scenario(body.after, "yaml", "after"),
        )

    @app.post("/api/breakeven")
    def breakeven(body: BreakevenBody) -> Breakeven:
        """When self-hosting an open model beats the API, month by month."""
        return cl.breakeven(
            load(body.yaml),
            f"{body.model}@{body.gpu}",
            features=body.features,
            tp=body.tp,
            dtype=body.dtype,
        )

    # -- catalogs and calculators ------------------------------------------------------

    @app.get("/api/models")
    def models(
        q: Annotated[str, Query(max_length=200)] = "",
        unit: Annotated[str | None, Query(max_length=60)] = None,
        limit: Annotated[int, Query(ge=1, le=200)] = 30,
    ) -> list[ModelRow]:
        """Catalog models matching `q`, with prices and shutdown dates."""
        from costline.report.json_report import _catalog_model

        return [ModelRow(**_catalog_model(m)) for m in cl.models(q, limit=limit, unit=unit)]

    @app.get("/api/open-models")
    def open_models() -> list[dict[str, Any]]:
        """Open models costline can size for self-hosting."""
        from costline.report.json_report import json_ready

        return [json_ready(m) for m in cl.open_models()]

    @app.get("/api/gpus")
    def gpus() -> list[dict[str, Any]]:
        """GPUs with their specs and rental prices."""
        import dataclasses

        return [
            {
                k: (str(v) if not isinstance(v, int | float | str | None) else v)
                for k, v in row.items()
            }
            for row in (dataclasses.asdict(g) for g in cl.gpus().gpus.values())
        ]

    @app.post("/api/train")
    def train(body: TrainBody) -> TrainingEstimate:
        """GPU-hours and cost of a training run."""
        return cl.train(**body.model_dump(exclude_none=True))

    @app.post("/api/selfhost")
    def selfhost(body: SelfhostBody) -> ServingPoint:
        """Throughput and cost per query of an open model on a GPU."""
        return cl.selfhost(**body.model_dump(exclude_none=True))

    # -- bills and logs ----------------------------------------------------------------

    def sorted_lines(found: Any) -> SortedLines:
        return SortedLines(
            items=found.items,
            summary=found.summary,
            agreement=found.agreement,
            problems=found.problems,
        )

    @app.get("/api/exercise")
    def exercise() -> list[ExerciseItem]:
        """The sorting exercise's line items, each with the bucket it belongs in."""
        import yaml

        data = yaml.safe_load((HERE / "exercise.yml").read_text(encoding="utf-8"))
        return [ExerciseItem(**item) for item in data["items"]]

    @app.post("/api/classify")
    def classify(body: ClassifyBody) -> SortedLines:
        """Sort cost lines into Training (CapEx), Inference (OpEx) or Other."""
        return sorted_lines(cl.classify(body.lines))

    @app.post("/api/classify/csv", openapi_extra=CSV_BODY)
    async def classify_csv(
        request: Request,
        column: Annotated[str, Query(max_length=200)] = "description",
        amount: Annotated[str | None, Query(max_length=200)] = None,
    ) -> SortedLines:
        """Sort a bill CSV's lines (the CSV, UTF-8, is the request body); `column` names the
        column with each line's description, `amount` the one with its cost."""
        data = await request.body()
        try:
            text = data.decode("utf-8-sig")
        except UnicodeDecodeError as err:
            raise InputError(
                f"the uploaded CSV is not UTF-8 text (byte {err.start}); save it as UTF-8 CSV",
                "file",
            ) from None
        with tempfile.TemporaryDirectory(prefix="costline-") as folder:
            path = Path(folder) / "bill.csv"
            path.write_text(text, encoding="utf-8")
            try:
                return sorted_lines(cl.classify(path, columns=[column], amount_column=amount))
            except InputError as err:
                raise InputError(
                    str(err).replace(str(path), "the uploaded CSV"), err.field
                ) from None

    @app.post("/api/logs", openapi_extra=UPLOAD_BODY)
    async def logs(
        request: Request,
        kind: Annotated[Literal[LOG_KINDS], Query()] = "jsonl",  # type: ignore[valid-type]
        map: Annotated[list[str] | None, Query(max_length=20)] = None,
        format: Annotated[Literal[LOG_FORMATS] | None, Query()] = None,  # type: ignore[valid-type]
    ) -> PricedLogs:
        """Price an uploaded log file (the request body) and summarise it by feature. `map`
        says where a field is (FIELD=COLUMN, repeated), as `costline ingest --map` does:
        CSV and Parquet files need it unless they are a format costline knows."""
        from starlette.concurrency import run_in_threadpool

        data = await request.body()
        return await run_in_threadpool(_price_logs, cl, data, kind, _log_fields(map), format)

    @app.post("/api/logs/fit", openapi_extra=UPLOAD_BODY)
    async def fit_logs(
        request: Request,
        kind: Annotated[Literal[LOG_KINDS], Query()] = "jsonl",  # type: ignore[valid-type]
        map: Annotated[list[str] | None, Query(max_length=20)] = None,
        format: Annotated[Literal[LOG_FORMATS] | None, Query()] = None,  # type: ignore[valid-type]
    ) -> FittedScenario:
        """Fit a scenario to an uploaded log file's latest complete month (`map` as for
        /api/logs)."""
        from starlette.concurrency import run_in_threadpool

        data = await request.body()
        return await run_in_threadpool(_fit_logs, cl, data, kind, _log_fields(map), format)

    # -- saved scenarios ---------------------------------------------------------------

    @app.get("/api/scenarios")
    def saved_list() -> list[SavedScenario]:
        """Saved scenarios, each with its versions."""
        return saved.list()

    # a name may hold "/" (the path converter keeps it); "." and ".." cannot reach the
    # server (browsers resolve them out of a URL), so they are refused when saved
    @app.post("/api/scenarios/{name:path}")
    def save(
        name: Annotated[str, PathPart(min_length=1, max_length=200)], body: SaveBody
    ) -> SavedVersion:
        """Save the scenario as the next version of `name` (it must validate)."""
        if name.strip() in (".", "..") or not name.strip():
            raise InputError("a name cannot be blank, '.' or '..'", "name")
        if any(not c.isprintable() for c in name):
            raise InputError("a name cannot hold control characters", "name")
        load(body.yaml)
        return saved.save(name, body.yaml, body.note)

    @app.get("/api/scenarios/{name:path}", responses={404: {"model": Missing}})
    def saved_one(
        name: Annotated[str, PathPart(max_length=200)],
        version: Annotated[int | None, Query(ge=1, le=2**31)] = None,
    ) -> SavedVersion:
        """A saved scenario with its YAML: the latest version, or `version`."""
        return saved.get(name, version)

    @app.delete("/api/scenarios/{name:path}")
    def forget(name: Annotated[str, PathPart(max_length=200)]) -> dict[str, int]:
        """Delete a saved scenario and its history."""
        return {"deleted": saved.delete(name)}

    # -- downloads ---------------------------------------------------------------------

    @app.post("/api/export/{kind}", response_class=Response, responses=EXPORTS)
    def export(kind: Literal["xlsx", "html", "md"], body: ExportBody) -> Response:
        """The spreadsheet (.xlsx), the HTML report or the CTO brief (Markdown)."""
        scenario_ = cl.with_sliders(load(body.yaml), body.sliders)
        stem = (scenario_.name or "scenario").strip().replace(" ", "-")
        stem = "".join(c for c in stem if c.isalnum() or c in "-_")[:60] or "scenario"
        if kind == "md":
            from costline.report.brief import render_brief_markdown

            text = render_brief_markdown(cl.brief(scenario_))
            return _download(text.encode(), f"{stem}-brief.md", "text/markdown; charset=utf-8")
        with tempfile.TemporaryDirectory(prefix="costline-") as folder:
            out = Path(folder) / f"{stem}.{kind}"
            if kind == "xlsx":
                cl.export(scenario_, out)
                media = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
            else:
                options = {"tp": body.self_host_tp, "dtype": body.self_host_dtype}
                cl.report(scenario_, out, self_host=body.self_host, self_host_options=options)
                media = "text/html; charset=utf-8"
            return _download(out.read_bytes(), out.name, media)

    return app


def _download(data: bytes, filename: str, media: str) -> Response:
    return Response(
        data,
        media_type=media,
        headers={"content-disposition": _attachment(filename)},
    )


def _attachment(filename: str) -> str:
    """A Content-Disposition for any file name: headers are Latin-1, so a name in another
    script goes as RFC 6266's UTF-8 `filename*` beside an ASCII stand-in."""
    from urllib.parse import quote

    plain = "".join(
        c if c.isascii() and c.isprintable() and c not in '"\\' else "_" for c in filename
    )
    return f"attachment; filename=\"{plain}\"; filename*=UTF-8''{quote(filename)}"


def _uploaded(data: bytes, kind: str, folder: str) -> Path:
    if not data.strip():
        raise InputError("the uploaded file is empty", field="file")
    log = Path(folder) / f"upload.{kind}"
    log.write_bytes(data)
    return log


PAGE_OPTIONS = {
    "format": "the Log format menu",
    "fields": "the Columns box",
    "mapping": "the Columns box",
}
"""The page's names for the library's options, in the messages it shows."""


def _log_fields(pairs: list[str] | None) -> dict[str, str] | None:
    """`["timestamp=ts", ...]` as a field mapping; a pair without `=` is a 422 naming it."""
    if not pairs:
        return None
    fields: dict[str, str] = {}
    for i, pair in enumerate(pairs):
        name, sep, column = pair.partition("=")
        if not sep or not name.strip() or not column.strip():
            raise InputError(
                f"expected FIELD=COLUMN (e.g. timestamp=ts), got {pair[:80]!r}", f"map[{i}]"
            )
        fields[name.strip()] = column.strip()
    return fields


def _fit_logs(
    cl: Costline,
    data: bytes,
    kind: str,
    fields: dict[str, str] | None = None,
    format: str | None = None,
) -> FittedScenario:
    """Ingest uploaded log bytes and fit a scenario to them, in a temporary folder."""
    with tempfile.TemporaryDirectory(prefix="costline-") as folder:
        log = _uploaded(data, kind, folder)
        try:
            priced = Path(folder) / "priced.parquet"
            ingested = cl.ingest(str(log), priced, format=format, fields=fields)
            if not ingested.rows_priced:
                raise InputError(
                    "no row could be priced, so there is nothing to fit; upload the logs on "
                    "their own first to see why"
                )
            fitted = cl.fit(priced)
        except InputError as err:
            text = err.spelt(PAGE_OPTIONS).replace(str(log), "the uploaded file")
            raise InputError(text.replace(folder + "/", ""), "file") from None
        return FittedScenario(
            yaml=fitted.text.replace(str(Path(folder) / "priced.parquet"), "the uploaded logs"),
            observed=fitted.observed,
            modelled_cost_usd=fitted.modelled_cost_usd,
            gap=fitted.gap,
            warnings=fitted.warnings,
        )


def _price_logs(
    cl: Costline,
    data: bytes,
    kind: str,
    fields: dict[str, str] | None = None,
    format: str | None = None,
) -> PricedLogs:
    """Price uploaded log bytes in a temporary folder; no name of the user's is used."""
    with tempfile.TemporaryDirectory(prefix="costline-") as folder:
        log = _uploaded(data, kind, folder)
        out = Path(folder) / "priced.parquet"
        try:
            ingested = cl.ingest(str(log), out, format=format, fields=fields)
            if not ingested.rows_priced:
                reasons = ", ".join(f"{n} {why}" for why, n in ingested.rejected_by_reason.items())
                raise InputError(
                    f"no row could be priced ({reasons or 'no rows'}); check the File and Log "
                    "format menus, or name the columns in the Columns box"
                )
            usage = cl.usage(str(out))
            reconciled = cl.reconcile(out) if ingested.rows_with_logged_cost else None
        except InputError as err:
            text = err.spelt(PAGE_OPTIONS).replace(str(log), "the uploaded file")
            raise InputError(text.replace(folder, ""), "file") from None
        if reconciled is not None:
            worst = [
                r.model_copy(update={"source_file": "upload"})
                for r in reconciled.rows_differing_most
            ]
            reconciled = reconciled.model_copy(
                update={"source": "upload", "rows_differing_most": worst}
            )
        rejects = []
        rejects_csv = Path(ingested.rejects)
        if rejects_csv.exists():
            with rejects_csv.open(newline="", encoding="utf-8") as f:
                for n, row in enumerate(csv.DictReader(f)):
                    if n >= MAX_REJECTS_SHOWN:
                        break
                    rejects.append(
                        Reject(line=str(row.get("line", "")), reason=row.get("reason", ""))
                    )
        # the temporary folder is ours: the page's figures name the upload, not it
        formats = {kind_: ["upload"] for kind_ in ingested.formats}
        ingested = ingested.model_copy(update={"output": "", "rejects": "", "formats": formats})
        usage = usage.model_copy(update={"source": "upload"})
        return PricedLogs(ingest=ingested, usage=usage, rejects=rejects, reconciliation=reconciled)
