"""`Costline`: the one face of costline's library, used by the CLI and by anyone in Python.

It builds the catalogs costline ships once (each on first use) and answers each question
with a typed result: `run` a scenario, `brief` it, its `levers`, `solve` for a target,
`diff` two scenarios or two dates' prices, `train`, `selfhost`, `breakeven`, price logs
(`ingest`, `usage`, `fit`), `classify` bill lines, `export` a workbook, `report` a page.

    >>> import costline
    >>> cl = costline.Costline(as_of="2026-11-26")
    >>> r = cl.run("examples/support-copilot.yaml")
    >>> r.features[0].name
    'draft-reply'

Imports are lazy: `import costline` costs little, and each method loads only what its
question needs.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
import os
import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeAlias

from costline.errors import InputError, ScenarioError, option
from costline.settings import (
    DEFAULT_QUERY_SAMPLES,
    DEFAULT_USERS_SIMULATED,
    PREVIEW_QUERY_SAMPLES,
    PREVIEW_USERS_SIMULATED,
    SOLVE_QUERY_SAMPLES,
    SOLVE_USERS_SIMULATED,
)

if TYPE_CHECKING:
    from costline.catalog.gpus import HardwareCatalog
    from costline.catalog.levers import LeverDefaults
    from costline.catalog.open_models import OpenModel, OpenModelCatalog
    from costline.catalog.prices import CatalogModel, PriceCatalog
    from costline.catalog.retirements import Retirements
    from costline.catalog.tiers import ModelTiers
    from costline.catalog.types import ModelPricing, PublishedLatency, Rule
    from costline.engine.breakeven import Breakeven
    from costline.engine.brief import Brief, ObservedUsage
    from costline.engine.classify import Agreement, BillSummary, Classification, TextModel
    from costline.engine.diff import Diff
    from costline.engine.evaluation import Evaluation
    from costline.engine.result import CaseSummary, Result
    from costline.engine.selfhost import ServingPoint
    from costline.engine.solve import Solved
    from costline.engine.training import TrainingEstimate
    from costline.engine.waterfall import Waterfall
    from costline.ingest.reconcile import BillReconciliation, Reconciliation
    from costline.ingest.reprice import Repriced
    from costline.ingest.summaries import IngestSummary, UsageSummary
    from costline.scenario.models import Scenario
    from costline.scenario.sliders import Sliders

    Book = dict[str, ModelPricing]

ScenarioInput: TypeAlias = "str | os.PathLike[str] | Mapping[str, Any] | Scenario"
"""What a method takes as a scenario: a file path (YAML or JSON), its content as a dict,
or a `Scenario` (`costline.load_scenario`)."""
Progress = Callable[[], None]
"""Called once per engine run, for a spinner."""
Share = Callable[[float], None]
"""Called with the share of the work done, for a progress bar."""


class Catalogs:
    """Every catalog costline ships, each loaded on first use and kept: LLM API prices,
    GPUs, open models, lever defaults, API latency, model tiers, the bill classifier's
    rules and its learned text model."""

    def __init__(self, prices: PriceCatalog | None = None) -> None:
        if prices is not None:
            self.__dict__["prices"] = prices

    @cached_property
    def prices(self) -> PriceCatalog:
        from costline.catalog.prices import PriceCatalog

        return PriceCatalog()

    @cached_property
    def hardware(self) -> HardwareCatalog:
        from costline.catalog.gpus import load_hardware

        return load_hardware()

    @cached_property
    def open_models(self) -> OpenModelCatalog:
        from costline.catalog.open_models import load_open_models

        return load_open_models()

    @cached_property
    def lever_defaults(self) -> LeverDefaults:
        from costline.catalog.levers import load_lever_defaults

        return load_lever_defaults()

    @cached_property
    def api_latency(self) -> dict[str, PublishedLatency]:
        from costline.catalog.latency import load_api_latency

        return load_api_latency()

    @cached_property
    def retirements(self) -> Retirements:
        from costline.catalog.retirements import load_retirements

        return load_retirements()

    @cached_property
    def model_tiers(self) -> ModelTiers:
        from costline.catalog.tiers import load_model_tiers

        return load_model_tiers()

    @cached_property
    def line_rules(self) -> tuple[Rule, ...]:
        from costline.catalog.rules import load_rules

        return load_rules()

    @cached_property
    def line_model(self) -> TextModel:
        """The classifier's learned backup, trained on every labelled line costline ships
        (kept in the user's cache: training it takes longer than reading it)."""
        from costline.cache import cached_bytes, entry
        from costline.catalog.rules import labelled_lines
        from costline.engine.classify import (
            text_model_bytes,
            text_model_from_bytes,
            train_text_model,
        )

        lines = list(labelled_lines())
        path = entry("text-model.npz", repr(lines))
        return text_model_from_bytes(
            cached_bytes(path, lambda: text_model_bytes(train_text_model(lines)))
        )


class _Dumps:
    """`model_dump()`, as the pydantic results have it."""

    def model_dump(self) -> dict[str, Any]:
        """The fields as JSON-ready data (paths as text; a `result` left out: it has its
        own `model_dump`)."""
        from costline.report.json_report import json_ready

        data: dict[str, Any] = json_ready(self)
        return data


@dataclass(frozen=True)
class Fitted(_Dumps):
    """A scenario fitted to a month of real usage, and how close it comes."""

    scenario: Scenario
    text: str
    """The scenario file as written (YAML, with a header naming its source)."""
    observed: dict[str, Any]
    """month, users, calls, cost_usd, fitted_on."""
    modelled_cost_usd: float
    """The fitted scenario's inference cost in its first month at 1x (USD)."""
    gap: float
    """modelled / observed - 1 (0 when nothing was observed)."""
    placeholder_plans: bool
    path: Path | None = None
    """Where it was written, if it was."""
    warnings: list[str] = field(default_factory=list)
    """Why the month may not stand for the product: a partial month, a small sample."""


@dataclass(frozen=True)
class Classified(_Dumps):
    """Bill lines sorted into training, inference and other."""

    lines: list[int]
    """Each item's line number in its file (1-based; the header is line 1 of a CSV)."""
    items: list[Classification]
    summary: BillSummary
    agreement: Agreement | None = None
    """How often costline agrees with the labels, when labels were given."""
    problems: list[tuple[int, str]] = field(default_factory=list)
    """Rows that could not be read: (line, what)."""


@dataclass(frozen=True)
class Written(_Dumps):
    """A file costline wrote: a workbook or a report."""

    path: Path
    result: Result
    charts: list[str] = field(default_factory=list)
    """The charts it holds, by name (reports)."""
    files: list[Path] = field(default_factory=list)
    """Files written beside it (a Markdown report's PNG charts)."""


CHART_FILES = ("revenue-vs-cogs", "gross-margin", "cost-per-user", "scale", "levers", "breakeven")
"""Every chart a report can hold (a Markdown report's PNG names)."""


def parse_date(text: str | dt.date | None, field_name: str = "as_of") -> dt.date:
    """A YYYY-MM-DD date (a date passes through); today when None."""
    if text is None:
        return dt.date.today()
    if isinstance(text, dt.datetime):
        return text.date()
    if isinstance(text, dt.date):
        return text
    if not isinstance(text, str):
        raise InputError(f"expected a date as YYYY-MM-DD, got {text!r}", field=field_name)
    if not re.fullmatch(r"\d{4}-\d{2}-\d{2}", str(text).strip()):
        raise InputError(f"expected a date as YYYY-MM-DD, got {text!r}", field=field_name)
    try:
        return dt.date.fromisoformat(str(text).strip())
    except ValueError:
        raise InputError(f"{text!r} is not a date of the calendar", field=field_name) from None


class Costline:
    """costline's questions, answered with every shipped catalog.

    `as_of` is the date treated as today (catalog prices up to it, the price trajectory
    after it; default: today); `prices` replaces the shipped LLM price catalog. Every
    method raises `InputError` (or its `ScenarioError`) with one message on bad input."""

    def __init__(
        self, *, as_of: str | dt.date | None = None, prices: PriceCatalog | None = None
    ) -> None:
        self.as_of = parse_date(as_of)
        self.catalogs = Catalogs(prices)

    # -- scenarios ---------------------------------------------------------------------

    def load(self, scenario: ScenarioInput) -> Scenario:
        """A validated Scenario from a path (.yaml, .toml, .json), a dict or a Scenario."""
        from costline.scenario.models import Scenario

        if isinstance(scenario, Scenario):
            return scenario
        if isinstance(scenario, Mapping):
            from costline.scenario.load import parse_scenario

            return parse_scenario(json.dumps(scenario, default=str), "json", "<dict>")
        if isinstance(scenario, str) and "\n" in scenario:
            raise InputError(
                "expected a scenario path, dict or Scenario, got text: for YAML text use "
                "costline.parse_scenario(text, 'yaml')",
                field="scenario",
            )
        if isinstance(scenario, str | os.PathLike):
            from costline.scenario.load import load_scenario

            return load_scenario(os.fspath(scenario))
        raise InputError(
            f"expected a scenario path, dict or Scenario, got {type(scenario).__name__}",
            field="scenario",
        )

    @staticmethod
    def _label(scenario: ScenarioInput) -> str:
        """How errors name the scenario: its path, or <dict> / <scenario>."""
        if isinstance(scenario, str | os.PathLike):
            return str(scenario)
        return "<dict>" if isinstance(scenario, Mapping) else "<scenario>"

    def price_book(self, scenario: ScenarioInput) -> Book:
        """Every model the scenario names, priced from the catalog (or its own prices)."""
        from costline.scenario.prices import price_book

        return price_book(
            self.load(scenario),
            self.catalogs.prices,
            self._label(scenario),
            self.catalogs.lever_defaults,
        )

    def _engine(
        self,
        label: str,
        seed: int,
        samples: int = DEFAULT_QUERY_SAMPLES,
        users: int = DEFAULT_USERS_SIMULATED,
        progress: Progress | None = None,
    ) -> Callable[..., Result]:
        """One engine run of a scenario with every catalog, priced from the catalog unless
        a price book is given."""
        from costline.engine.run import run_scenario
        from costline.scenario.prices import price_book

        _check_simulation(seed, samples, users)
        c = self.catalogs
        info = c.prices.info(self.as_of)

        def run_one(variant: Scenario, book: Book | None = None) -> Result:
            if progress is not None:
                progress()
            try:
                return run_scenario(
                    variant,
                    book
                    if book is not None
                    else price_book(variant, c.prices, label, self.catalogs.lever_defaults),
                    info,
                    seed=seed,
                    query_samples=samples,
                    users_simulated=users,
                    hardware=c.hardware,
                    open_models=c.open_models,
                    lever_defaults=c.lever_defaults,
                    api_latency=c.api_latency,
                    line_rules=c.line_rules,
                    line_model=c.line_model,
                    retirements=c.retirements,
                )
            except ScenarioError:
                raise
            except InputError as err:
                # the engine names the field (one_time[0].training.gpu); the file is ours
                raise ScenarioError(label, None, str(err)) from None

        return run_one

    def run(
        self,
        scenario: ScenarioInput,
        *,
        seed: int = 0,
        samples: int = DEFAULT_QUERY_SAMPLES,
        users: int = DEFAULT_USERS_SIMULATED,
        book: Book | None = None,
    ) -> Result:
        """Cost per query, cost per user, margins, scale and timeline of `scenario` (USD,
        per month), with the headline of each of its cases. `book` prices the scenario
        instead of the catalog (keys as `price_book` makes them); cases are priced from
        the catalog."""
        loaded, label = self.load(scenario), self._label(scenario)
        run_one = self._engine(label, seed, samples, users)
        result = run_one(loaded, book)
        result = self._with_cases(loaded, label, result, run_one)
        return result

    def with_sliders(
        self, scenario: ScenarioInput, sliders: Sliders | Mapping[str, Any] | None = None
    ) -> Scenario:
        """`scenario` as `evaluate` runs it with `sliders` set: the scenario-field sliders
        written in, and the cache and routing sliders applied as their levers, so a brief,
        a report or a spreadsheet of it shows the figures the sliders show."""
        from costline.scenario.sliders import Sliders, with_sliders
        from costline.scenario.what_if import what_if_levers, with_what_ifs

        if not isinstance(sliders, Sliders):
            from pydantic import ValidationError

            from costline.scenario.what_if import validation_error

            if sliders is not None and not isinstance(sliders, Mapping):
                raise InputError("expected sliders by name, e.g. {'users_start': 5000}", "sliders")
            try:
                sliders = Sliders.model_validate(dict(sliders or {}))
            except ValidationError as err:
                raise validation_error(err, prefix="sliders.") from None
        loaded, label = self.load(scenario), self._label(scenario)
        loaded = with_sliders(loaded, sliders, label)
        given = what_if_levers(sliders.what_if())
        if "routing" in given:
            from costline.errors import UnknownModelError

            try:
                self.catalogs.prices.resolve(str(sliders.route_to))
            except UnknownModelError as err:
                raise InputError(str(err), field="sliders.route_to") from None
        return with_what_ifs(loaded, given, None) if given else loaded

    def evaluate(
        self,
        scenario: ScenarioInput,
        sliders: Sliders | Mapping[str, Any] | None = None,
        *,
        preview: bool = False,
        self_host: str | None = None,
        self_host_options: Mapping[str, Any] | None = None,
        seed: int = 0,
    ) -> Evaluation:
        """`scenario` with `sliders` set (users, growth, queries, output tokens, plan price,
        cache hit rate, routing share, price change; see `Sliders`), run as `run` does, with
        its cases, its levers waterfall when it has levers and the API-vs-self-hosting
        crossing when `self_host` (MODEL@GPU) is given (`self_host_options`: the fleet's
        `tp`, `dtype` and other `breakeven` options). USD per month. A `preview` is the
        headline alone (no cases, no waterfall) on fewer samples, for a slider that moves."""
        from costline.engine.evaluation import Evaluation
        from costline.engine.waterfall import lever_waterfall
        from costline.scenario.prices import price_book

        label = self._label(scenario)
        loaded = self.with_sliders(scenario, sliders)
        samples, users = (
            (PREVIEW_QUERY_SAMPLES, PREVIEW_USERS_SIMULATED)
            if preview
            else (DEFAULT_QUERY_SAMPLES, DEFAULT_USERS_SIMULATED)
        )
        run_one = self._engine(label, seed, samples, users)
        book = price_book(loaded, self.catalogs.prices, label, self.catalogs.lever_defaults)
        result = run_one(loaded, book)
        waterfall = None
        if not preview:  # a preview is the headline while a slider moves; cases can wait
            result = self._with_cases(loaded, label, result, run_one)
            if any(f.levers for f in loaded.features):
                waterfall = lever_waterfall(loaded, lambda v: run_one(v, book))
        crossing = None
        if self_host is not None:
            try:
                options = {k: v for k, v in (self_host_options or {}).items() if v is not None}
                crossing = self._breakeven_of(result, self_host, None, **options)
            except InputError as err:
                # the scenario ran: what failed is the self-hosting option, so say so
                raise InputError(err.template, field="self_host") from None
        return Evaluation(
            precision="preview" if preview else "full",
            result=result,
            waterfall=waterfall,
            crossing=crossing,
        )

    def _with_cases(
        self, loaded: Scenario, label: str, result: Result, run_one: Callable[..., Result]
    ) -> Result:
        """`result` with the headline of each of the scenario's cases (as `run` has it)."""
        from costline.engine.table import Rows

        if not loaded.cases:
            return result
        cases = self._case_summaries(loaded, label, result, run_one)
        return result.model_copy(update={"cases": Rows(cases)})

    def cases(self, scenario: ScenarioInput, *, seed: int = 0) -> list[CaseSummary]:
        """The headline of each case beside the scenario as written (`base`); empty when
        the scenario has no cases."""
        return self.run(scenario, seed=seed).cases

    def _case_summaries(
        self, loaded: Scenario, label: str, result: Result, run_one: Callable[..., Result]
    ) -> list[CaseSummary]:
        from costline.engine.result import case_summary
        from costline.scenario.cases import BASE_CASE, case_scenarios, in_case

        if not loaded.cases:
            return []
        summaries = [case_summary(BASE_CASE, result)]
        for name, variant in list(case_scenarios(loaded, label).items())[1:]:
            with in_case(name):
                summaries.append(case_summary(name, run_one(variant)))
        return summaries

    def brief(
        self,
        scenario: ScenarioInput,
        *,
        seed: int = 0,
        samples: int = DEFAULT_QUERY_SAMPLES,
        solve: bool = True,
        usage: str | os.PathLike[str] | None = None,
        usage_month: str | None = None,
        progress: Progress | None = None,
    ) -> Brief:
        """The CTO brief: each feature's all-in cost per query, latency, tier and triggers,
        the 10x projection and the verdict against the thresholds, with what closes the gap
        (goal-seeking each missed threshold unless `solve=False`). `usage` is a priced
        usage file from `ingest`, shown beside the scenario."""
        from costline.engine.brief import cto_brief
        from costline.engine.solve import solve as solve_for
        from costline.scenario.prices import price_book

        observed = self.observed(usage, usage_month) if usage is not None else None
        loaded, label = self.load(scenario), self._label(scenario)
        run_one = self._engine(label, seed, samples, progress=progress)
        solve_run = self._engine(
            label, seed, SOLVE_QUERY_SAMPLES, SOLVE_USERS_SIMULATED, progress=progress
        )

        def price(variant: Scenario) -> Book:
            return price_book(variant, self.catalogs.prices, label, self.catalogs.lever_defaults)

        reference: list[Result] = []

        def solver(target: str, goal: float) -> Solved:
            book = price(loaded)
            if not reference:  # the brief's own figures are the "now" of each answer
                reference.append(run_one(loaded, book))
            return solve_for(loaded, book, solve_run, target, goal, reference[0])

        outcome = cto_brief(
            loaded,
            price,
            run_one,
            solver if solve else None,
            self.catalogs.model_tiers,
            seed=seed,
            observed=observed,
            list_price=self._list_price,
        )
        quiet = self._engine(label, seed, samples, progress=progress)
        cases = self._case_summaries(loaded, label, outcome.result, quiet)
        return outcome.model_copy(update={"cases": cases})

    def _list_price(self, ref: str) -> float | None:
        """`ref`'s catalog price on the as-of date, USD per 1M input plus 1M output tokens
        (None when the catalog cannot price both)."""
        from costline.errors import UnknownModelError

        try:
            rates = self.catalogs.prices.resolve(ref).rates_at(self.as_of)
        except UnknownModelError:
            return None
        if rates.input is None or rates.output is None:
            return None
        return rates.input.base + rates.output.base

    def observed(self, usage: str | os.PathLike[str], month: str | None = None) -> ObservedUsage:
        """Each feature of a usage file from `ingest` in `month` (YYYY-MM; the latest when
        None): cost per call, lines, model mix, calls per user."""
        from costline.ingest.observed import observed_usage

        return observed_usage(Path(usage), month)

    def levers(
        self,
        scenario: ScenarioInput,
        *,
        what_if: Mapping[str, Mapping[str, Any]] | None = None,
        features: list[str] | None = None,
        seed: int = 0,
    ) -> Waterfall:
        """Which levers fix the margin: monthly COGS without levers, each lever's saving on
        top of the ones before it, and the new gross margin (USD, first month).

        `what_if` adds levers by kind, e.g. `{"response_cache": {"hit_rate": 0.2}}`, to
        `features` (every API feature when None)."""
        from costline.scenario.cases import BASE_CASE, case_scenarios, in_case
        from costline.scenario.prices import price_book
        from costline.scenario.what_if import what_if_levers, what_if_notes, with_what_ifs

        label = self._label(scenario)
        if what_if is not None and (
            not isinstance(what_if, Mapping)
            or not all(isinstance(v, Mapping) for v in what_if.values())
        ):
            raise InputError(
                "expected levers by kind, each a mapping of its fields, e.g. "
                '{"response_cache": {"hit_rate": 0.2}}',
                field="what_if",
            )
        features = _names(features)
        given = what_if_levers({k: dict(v) for k, v in (what_if or {}).items()})
        route_to = getattr(given.get("routing"), "model", None)
        if isinstance(route_to, str):
            # the what-if's model, not the scenario's, is what is unknown
            from costline.errors import UnknownModelError

            try:
                self.catalogs.prices.resolve(route_to)
            except UnknownModelError as err:
                raise InputError(str(err), field="routing.model") from None
        loaded = with_what_ifs(self.load(scenario), given, features)
        if given and not features and all(f.deployment for f in loaded.features):
            raise InputError(
                "every feature is self-hosted and what-ifs apply to API features unless "
                "named: name the feature (a self-hosted feature takes the response cache, "
                "compression and cap what-ifs)",
                field="features",
            )
        if not any(f.levers for f in loaded.features):
            raise InputError(
                f"{label}: no feature has levers; add a `levers:` block to a feature or give "
                "a what-if: "
                + option(
                    "what_if",
                    'what_if={"response_cache": {"hit_rate": 0.2}}',
                    "costline levers --cache-hit-rate 0.2 (see costline levers --help)",
                )
            )
        prices = self.catalogs.prices
        book = price_book(loaded, prices, label, self.catalogs.lever_defaults)
        run_one = self._engine(label, seed)
        outcome = self._waterfall(loaded, run_one, book)
        notes = what_if_notes(loaded, given, features)
        if notes:
            from costline.engine.result import CostWarning

            added = [CostWarning(code=c, subject=subj, message=m) for c, subj, m in notes]
            outcome = outcome.model_copy(update={"warnings": [*outcome.warnings, *added]})
        if loaded.cases:
            cases = [outcome.as_case(BASE_CASE)]
            for name, variant in list(case_scenarios(loaded, label).items())[1:]:
                with in_case(name):
                    priced = price_book(variant, prices, label, self.catalogs.lever_defaults)
                    cases.append(self._waterfall(variant, run_one, priced).as_case(name))
            outcome = outcome.model_copy(update={"cases": cases})
        return outcome

    @staticmethod
    def _waterfall(scenario: Scenario, run_one: Callable[..., Result], book: Book) -> Waterfall:
        from costline.engine.waterfall import lever_waterfall

        # every step prices with the full book: a step only turns levers off
        return lever_waterfall(scenario, lambda variant: run_one(variant, book))

    def solve(
        self,
        scenario: ScenarioInput,
        target: str,
        goal: float,
        *,
        seed: int = 0,
        samples: int = SOLVE_QUERY_SAMPLES,
        progress: Progress | None = None,
    ) -> Solved:
        """What it takes to meet a first-month `target` ("cogs-share" or "gross-margin",
        a share `goal` in (0, 1)), one input at a time, the rest held fixed."""
        from costline.engine.solve import TARGETS
        from costline.engine.solve import solve as solve_for
        from costline.scenario.prices import price_book

        if target not in TARGETS:
            raise InputError(
                f"expected one of {', '.join(TARGETS)}, got {target!r}", field="target"
            )
        if isinstance(goal, bool) or not isinstance(goal, int | float) or not 0 < goal < 1:
            raise InputError(f"{goal!r} is not a share between 0 and 1 (e.g. 0.30)", field="target")
        loaded, label = self.load(scenario), self._label(scenario)
        book = price_book(loaded, self.catalogs.prices, label, self.catalogs.lever_defaults)
        run_one = self._engine(label, seed, samples, SOLVE_USERS_SIMULATED, progress)
        # "now" is the figure `run` prints, not the quicker search runs' own
        reference = self._engine(label, seed)(loaded, book)
        return solve_for(loaded, book, run_one, target, goal, reference)

    def diff(
        self,
        before: Any,
        after: Any = None,
        *,
        prices_at: str | dt.date | None = None,
        seed: int = 0,
        samples: int = DEFAULT_QUERY_SAMPLES,
    ) -> Diff:
        """What changed in cost per query, monthly COGS and margin between two scenarios,
        or (with `prices_at`) between the catalog's prices on that date and today's."""
        from costline.catalog.prices import prices_as_of
        from costline.engine.diff import diff as compare
        from costline.engine.diff import lever_changes
        from costline.scenario.prices import price_book

        if (after is None) == (prices_at is None):
            raise InputError("give a second scenario or a prices-at date, not both or neither")
        notes: list[str] = []
        old, before_label = self.load(before), self._label(before)
        old_run = self._engine(before_label, seed, samples, SOLVE_USERS_SIMULATED)
        if after is not None:
            new, after_label = self.load(after), self._label(after)
            new_run = self._engine(after_label, seed, samples, SOLVE_USERS_SIMULATED)
            old_result, new_result = old_run(old), new_run(new)
            labels = (before_label, after_label)
            notes += lever_changes(old, new)
        else:
            day = parse_date(prices_at, "prices_at")
            if day > self.as_of:
                raise InputError(f"{day} is after today ({self.as_of})", field="prices_at")
            book = price_book(old, self.catalogs.prices, before_label, self.catalogs.lever_defaults)
            then: Book = {}
            for key, pricing in book.items():
                if pricing.tier_since is not None and day < pricing.tier_since:
                    # no record of that tier's price then: today's stands in, no invented move
                    then[key] = pricing
                    notes.append(
                        f"the catalog prices {pricing.ref} ({pricing.service_tier}) only from "
                        f"{pricing.tier_since}: shown at today's price on both sides"
                    )
                else:
                    then[key] = prices_as_of(pricing, day)
            undated = sorted(
                {p.ref for p in book.values() if not p.is_override and not p.price_changes}
            )
            if undated:
                notes.append(
                    f"the catalog records a single price, with no dated change, for "
                    f"{', '.join(undated)}: its history does not reach {day}, so they show no "
                    "change; that is not evidence their prices held"
                )
            dated = [d for p in book.values() if not p.is_override for d in p.price_changes]
            if dated and day < min(dated):
                notes.append(
                    f"the catalog's price history for these models starts {min(dated)}: before "
                    "it, each model's earliest recorded price stands in (vendors' older prices "
                    "and cuts are not in it)"
                )
            old_result, new_result = old_run(old, then), old_run(old, book)
            labels = (f"{before_label} at {day} prices", f"{before_label} at {self.as_of} prices")
        return compare(old_result, new_result, *labels, notes=notes)

    # -- training and serving ------------------------------------------------------------

    def train(
        self,
        *,
        params: float | None = None,
        tokens: float | None = None,
        active_params: float | None = None,
        gpu: str | None = None,
        gpus: int | None = None,
        mfu: float | None = None,
        fp8: bool = False,
        goodput: float | None = None,
        usd_per_gpu_hour: float | None = None,
        failure_probability: float | None = None,
        failure_lost_share: float | None = None,
        seq_len: int | None = None,
        layers: int | None = None,
        d_model: int | None = None,
        data_usd: float = 0.0,
        eval_usd: float = 0.0,
        staff_usd: float = 0.0,
        finetune: bool = False,
        lora: bool = False,
        epochs: float = 1.0,
        provider: str | None = None,
        model: str | None = None,
        usd_per_1m_training_tokens: float | None = None,
        at: str | dt.date | None = None,
        api_spend_per_month: float | None = None,
    ) -> TrainingEstimate:
        """A pre-training or fine-tuning run on rented GPUs (FLOPs = 6 x active params x
        tokens; GPU-hours, days, USD), or a provider's fine-tuning job (`provider` and
        `model`, with `finetune=True`). `api_spend_per_month` (USD) adds the payback
        against the API bill the model would replace. Unset figures take the catalog's
        sourced defaults."""
        from costline.engine.training import (
            compare_with_api,
            estimate_provider_finetune,
            estimate_training,
        )
        from costline.scenario.models import ProviderFineTune, TrainingSpec

        hardware = self.catalogs.hardware
        if provider is not None or model is not None:
            if not finetune:
                raise InputError(
                    "a provider and model price a provider fine-tune: set finetune too",
                    field="finetune",
                )
            self_run = {
                "params": params,
                "active_params": active_params,
                "gpu": gpu,
                "gpus": gpus,
                "mfu": mfu,
                "goodput": goodput,
                "usd_per_gpu_hour": usd_per_gpu_hour,
                "seq_len": seq_len,
                "layers": layers,
                "d_model": d_model,
            }
            given = [name for name, value in self_run.items() if value is not None]
            given += [name for name, flag in (("lora", lora), ("precision", fp8)) if flag]
            if given:
                raise InputError(
                    "describe a run on rented GPUs, not a provider job (provider/model); "
                    "drop one or the other",
                    field=",".join(given),
                )
            job = _validated(
                ProviderFineTune,
                provider=provider,
                model=model,
                tokens=tokens,
                epochs=epochs,
                usd_per_1m_training_tokens=usd_per_1m_training_tokens,
                failure_probability=failure_probability,
                failure_lost_share=failure_lost_share,
            )
            estimate = estimate_provider_finetune(
                job, hardware, self.as_of if at is None else parse_date(at, "at")
            )
        else:
            spec = _validated(
                TrainingSpec,
                params=params,
                active_params=active_params,
                tokens=tokens,
                epochs=epochs,
                method="lora" if lora else "full",
                gpu=gpu,
                gpus=gpus,
                precision="fp8" if fp8 else "bf16",
                mfu=mfu,
                goodput=goodput,
                usd_per_gpu_hour=usd_per_gpu_hour,
                failure_probability=failure_probability,
                failure_lost_share=failure_lost_share,
                seq_len=seq_len,
                layers=layers,
                d_model=d_model,
                data_usd=data_usd,
                eval_usd=eval_usd,
                staff_usd=staff_usd,
            )
            kind = "fine_tune" if finetune or lora else "pretraining"
            estimate = estimate_training(spec, hardware, kind)
        if api_spend_per_month is not None:
            if api_spend_per_month < 0:
                raise InputError(
                    f"expected a monthly bill >= 0 USD, got {api_spend_per_month:g}",
                    field="api_spend_per_month",
                )
            estimate = compare_with_api(estimate, api_spend_per_month)
        return estimate

    def selfhost(
        self,
        model: str,
        gpu: str,
        *,
        tp: int | None = None,
        dtype: str = "bf16",
        kv_dtype: str = "bf16",
        input_tokens: float = 1000,
        output_tokens: float = 250,
        context: int | None = None,
        batch: int | None = None,
        utilisation: float | None = None,
        tp_efficiency: float | None = None,
        usd_per_gpu_hour: float | None = None,
        price: str = "on-demand",
    ) -> ServingPoint:
        """Throughput, latency and USD per 1M tokens of an open `model` on rented `gpu`s
        (a roofline: prefill compute-bound, decode bandwidth-bound until the batch makes
        it compute-bound, the batch limited by the KV cache)."""
        from costline.engine.selfhost import serve
        from costline.scenario.selfhost import SelfHostSpec

        models = self.catalogs.open_models
        spec = _validated(
            SelfHostSpec,
            model=model,
            gpu=gpu,
            tp=tp,
            dtype=dtype,
            kv_dtype=kv_dtype,
            input_tokens=input_tokens,
            output_tokens=output_tokens,
            context=context,
            batch=batch,
            utilisation=utilisation,
            tp_efficiency=tp_efficiency,
            usd_per_gpu_hour=usd_per_gpu_hour,
            price=price,
        )
        return serve(spec, models.model(model), self.catalogs.hardware.gpu(gpu), models.defaults)

    def breakeven(
        self,
        scenario: ScenarioInput,
        self_host: str,
        *,
        features: list[str] | None = None,
        seed: int = 0,
        tp: int | None = None,
        dtype: str | None = None,
        kv_dtype: str | None = None,
        batch: int | None = None,
        peak_to_average: float | None = None,
        utilisation: float | None = None,
        min_replicas: int | None = None,
        staff_usd_per_month: float | None = None,
        usd_per_gpu_hour: float | None = None,
        price: str | None = None,
    ) -> Breakeven:
        """When self-hosting `self_host` (MODEL@GPU) beats the API for `features` (every
        API feature when None): both monthly costs of their LLM calls (USD), where they
        cross and the month on the scenario's growth curve.

        The fleet's options are a scenario's `deployment:` fields (None: its default):
        `utilisation` is the busiest hour's target (`--utilisation-target` on the command
        line), `usd_per_gpu_hour` a rental price of your own (`--price-per-gpu-hour`),
        `price` the catalog's rental price to use (on-demand, ...)."""
        from costline.scenario.what_if import check_features

        fleet = {
            k: v
            for k, v in dict(
                tp=tp,
                dtype=dtype,
                kv_dtype=kv_dtype,
                batch=batch,
                peak_to_average=peak_to_average,
                utilisation=utilisation,
                min_replicas=min_replicas,
                staff_usd_per_month=staff_usd_per_month,
                usd_per_gpu_hour=usd_per_gpu_hour,
                price=price,
            ).items()
            if v is not None
        }
        features = _names(features)
        loaded, label = self.load(scenario), self._label(scenario)
        check_features(loaded, features)
        result = self._engine(label, seed)(loaded)
        return self._breakeven_of(result, self_host, features, **fleet)

    def _breakeven_of(
        self, result: Result, self_host: str, features: list[str] | None, **fleet_options: Any
    ) -> Breakeven:
        from costline.engine.breakeven import api_features, default_features, query_tokens
        from costline.engine.breakeven import breakeven as crossing
        from costline.engine.selfhost import serve
        from costline.scenario.selfhost import SelfHostedDeployment

        models, hardware = self.catalogs.open_models, self.catalogs.hardware
        model_id, sep, gpu_id = self_host.partition("@")
        if not sep or not model_id or not gpu_id:
            raise InputError(f"expected MODEL@GPU, got {self_host!r}", field="self_host")
        d = models.defaults
        notes = []
        if "min_replicas" not in fleet_options:
            fleet_options["min_replicas"] = int(d.breakeven_min_replicas.value)
            notes.append(
                f"{fleet_options['min_replicas']} replicas at least: "
                f"{d.breakeven_min_replicas.source}"
            )
        if "staff_usd_per_month" not in fleet_options:
            fleet_options["staff_usd_per_month"] = d.breakeven_staff_usd_per_month.value
            notes.append(
                f"ML-ops staff ${fleet_options['staff_usd_per_month']:,.0f} a month: "
                f"{d.breakeven_staff_usd_per_month.source}"
            )
        fleet = _validated(SelfHostedDeployment, model=model_id, gpu=gpu_id, **fleet_options)
        left_out: dict[str, str] = {}
        if features:
            moved = api_features(result, features)
        else:
            api_features(result, None)  # refuses a scenario with no API feature
            moved, left_out = default_features(
                result,
                models.model(model_id).params,
                self._tier_place,
                d.stand_in_small_params.value,
                d.stand_in_frontier_params.value,
            )
            if not moved:
                why = "; ".join(f"{name}: {reason}" for name, reason in left_out.items())
                raise InputError(
                    f"no feature is moved by default ({why}); name the ones to compare",
                    field="features",
                )
        notes.append(
            "Quality is not compared: the open model is assumed to answer as well as the "
            "API model it replaces; check that on your own evals"
            + (
                f" (features left on the API: {', '.join(left_out)}; the open model is "
                "matched to a vendor's tier by size only, a costline assumption)"
                if left_out
                else ""
            )
        )
        peak = fleet.peak_to_average or models.defaults.peak_to_average.value
        target = fleet.utilisation or models.defaults.utilisation_target.value
        _, input_tokens, output_tokens = query_tokens(result, moved)
        # the serving point's token prices at the fleet's average load
        spec = fleet.serving_spec(input_tokens, output_tokens, utilisation=target / peak)
        serving = serve(spec, models.model(model_id), hardware.gpu(gpu_id), models.defaults)
        outcome = crossing(
            result,
            serving,
            moved,
            peak_to_average=peak,
            utilisation_target=target,
            min_replicas=fleet.min_replicas,
            staff_usd_per_month=fleet.staff_usd_per_month,
        )
        return outcome.model_copy(update={"left_out": left_out, "notes": notes})

    def _tier_place(self, ref: str) -> float | None:
        """Where `ref` sits in its vendor's current line-up (else its family): 0 = the top
        tier, 1 = the bottom; None when costline knows no tiers for it."""
        tiers = self.catalogs.model_tiers
        provider, _, model = ref.partition(":")
        lineup = tiers.lineup(provider)
        if lineup is not None and model in lineup.models:
            return lineup.models.index(model) / max(len(lineup.models) - 1, 1)
        placed = tiers.place(ref)
        if placed is None:
            return None
        family, index = placed
        return index / max(len(family.models) - 1, 1)

    def gpus(self) -> HardwareCatalog:
        """The GPU catalog: peak dense FLOP/s, memory, bandwidth, rental prices, sources."""
        return self.catalogs.hardware

    def models(
        self,
        query: str = "",
        *,
        at: str | dt.date | None = None,
        limit: int = 20,
        unit: str | None = None,
    ) -> list[CatalogModel]:
        """Models of the price catalog whose reference or name has the words of `query`,
        with their prices in force on `at` (default: as_of); with `unit` (a usage field such
        as `input_audio_minutes`), only those that price it."""
        from costline.catalog.units import UNITS

        if not isinstance(query, str) or not (query.strip() or unit):
            raise InputError(
                f"expected words to search for (or a unit), got {query!r}", field="query"
            )
        if unit is not None and unit not in UNITS:
            raise InputError(
                f"unknown usage unit {unit!r}; expected one of {', '.join(UNITS)}", field="unit"
            )
        if isinstance(limit, bool) or not isinstance(limit, int) or limit < 1:
            raise InputError(f"expected a whole number >= 1, got {limit!r}", field="limit")
        when = self.as_of if at is None else parse_date(at, "at")
        found = self.catalogs.prices.search(query, when, limit, unit=unit)
        gone = self.catalogs.retirements
        return [
            dataclasses.replace(m, shutdown=r.shutdown) if (r := gone.of(m.ref)) else m
            for m in found
        ]

    def open_models(self) -> list[OpenModel]:
        """The open-weight models costline can self-host (`selfhost`, `breakeven`), largest
        first: parameters, attention, context and the sources of their shapes."""
        return sorted(self.catalogs.open_models.models.values(), key=lambda m: -m.params)

    @staticmethod
    def schema() -> dict[str, Any]:
        """The JSON Schema of scenario files."""
        from costline.scenario.models import Scenario

        return Scenario.model_json_schema()

    # -- logs and bills ------------------------------------------------------------------

    def ingest(
        self,
        files: str | Iterable[str],
        out: str | os.PathLike[str],
        *,
        format: str | None = None,
        fields: Mapping[str, str | list[str]] | None = None,
        mapping: str | os.PathLike[str] | None = None,
        prices: str | os.PathLike[str] | None = None,
        force: bool = False,
        progress: Share | None = None,
        memory_limit: str | None = None,
    ) -> IngestSummary:
        """Normalise and price request logs (JSONL, CSV, Parquet; globs) into the Parquet
        file `out`, each row at the price in force on its date; unpriceable rows go to
        OUT.rejects.csv. `fields` maps costline's fields to columns or JSON paths;
        `mapping` and `prices` are YAML files (see `costline ingest --help`);
        `memory_limit` ("2GB") bounds the memory used, spilling to disk past it."""
        from costline.ingest.discovery import expand
        from costline.ingest.pipeline import ingest as price_logs

        target = Path(out)
        check_out(target, (".parquet",), force)
        columns, includes = self._log_mapping(fields, mapping)
        overrides = self._log_prices(prices)
        paths = expand(_paths(files))
        return price_logs(
            paths,
            target,
            format,
            columns,
            overrides,
            includes,
            progress,
            force=force,
            catalog=self.catalogs.prices,
            memory_limit=memory_limit,
        )

    def usage(
        self,
        files: str | Iterable[str],
        *,
        by: str = "feature",
        format: str | None = None,
        fields: Mapping[str, str | list[str]] | None = None,
        mapping: str | os.PathLike[str] | None = None,
        prices: str | os.PathLike[str] | None = None,
        progress: Share | None = None,
        memory_limit: str | None = None,
        engine: str = "duckdb",
        master: str | None = None,
        remote: str | None = None,
    ) -> UsageSummary:
        """Real cost per query (median, p95) and per user, by feature, model, user, day or
        month, of a usage file from `ingest` or of logs priced on the fly (USD);
        `memory_limit` ("2GB") bounds the memory used, spilling to disk past it. `engine`
        "spark" prices Parquet logs on Spark instead of DuckDB (the same figures): a
        `master` (local[*] by default) or a Spark Connect `remote` (sc://host:15002)."""
        from costline.ingest.discovery import expand
        from costline.ingest.usage import usage_report

        columns, includes = self._log_mapping(fields, mapping)
        overrides = self._log_prices(prices)
        named = _paths(files)
        # a path with a scheme (s3a://, gs://, abfss://, file://) is Spark's to read as it is
        paths = (
            [p for part in named for p in ([part] if "://" in part else expand([part]))]
            if engine == "spark"
            else expand(named)
        )
        if engine not in ("duckdb", "spark"):
            raise InputError(f"expected duckdb or spark, got {engine!r}", field="engine")
        if engine == "duckdb" and (master or remote):
            raise InputError("a Spark master or remote needs engine spark", field="engine")
        if engine == "spark" and memory_limit:
            raise InputError(
                "the memory limit bounds DuckDB; Spark's memory is its own settings "
                "(spark.driver.memory, spark.executor.memory)",
                field="memory_limit",
            )
        if engine == "spark":
            from costline.ingest.spark import usage_on_spark

            return usage_on_spark(
                paths,
                by,
                format,
                columns,
                overrides,
                includes,
                self.catalogs.prices,
                master=master,
                remote=remote,
            )
        return usage_report(
            paths,
            by,
            format,
            columns,
            overrides,
            includes,
            progress,
            self.catalogs.prices,
            memory_limit,
        )

    @staticmethod
    def _log_mapping(
        fields: Mapping[str, str | list[str]] | None, mapping: str | os.PathLike[str] | None
    ) -> tuple[dict[str, list[str]] | None, bool]:
        from costline.ingest.options import mapping_from

        pairs = None
        if fields:
            pairs = [
                f"{name}={column}"
                for name, columns in fields.items()
                for column in ([columns] if isinstance(columns, str) else columns)
            ]
        return mapping_from(pairs, Path(mapping) if mapping is not None else None)

    @staticmethod
    def _log_prices(prices: str | os.PathLike[str] | None) -> Any:
        from costline.ingest.options import prices_from

        return prices_from(Path(prices) if prices is not None else None)

    def reconcile(self, usage: str | os.PathLike[str], *, top: int = 10) -> Reconciliation:
        """costline's price of each row of a usage file (from `ingest`) beside the cost its
        log recorded (USD), by provider, model and month; a model-month more than 10% off
        is flagged with the causes costline can check; the `top` rows that differ most."""
        from costline.ingest.reconcile import reconcile

        if not 1 <= top <= 10_000:
            raise InputError(f"expected a top between 1 and 10000, got {top}", field="top")
        return reconcile(Path(usage), self.catalogs.prices, top)

    def reprice(
        self,
        usage: str | os.PathLike[str],
        *,
        at: str | dt.date | None = None,
        models: Mapping[str, str] | None = None,
        tier: str | None = None,
        tokenizer_ratio: float | None = None,
    ) -> Repriced:
        """The calls of a usage file (from `ingest`) priced again, beside what they cost
        (USD): at the prices of `at` (YYYY-MM-DD), with `models` swapped (logged or catalog
        model -> provider:model), on service `tier` (batch, flex, priority, default). A
        swapped call's tokens are scaled by `tokenizer_ratio` (the levers catalog's default
        when None)."""
        from costline.ingest.reprice import reprice

        day = None
        if isinstance(at, dt.date):
            day = at
        elif at is not None:
            try:
                day = dt.date.fromisoformat(str(at))
            except ValueError:
                raise InputError(f"expected a date as YYYY-MM-DD, got {at!r}", "at") from None
        ratio = (
            self.catalogs.lever_defaults.tokenizer_ratio.value
            if tokenizer_ratio is None
            else tokenizer_ratio
        )
        return reprice(
            Path(usage),
            self.catalogs.prices,
            at=day,
            models=dict(models or {}),
            tier=tier,
            tokenizer_ratio=ratio,
        )

    def reconcile_bill(
        self, usage: str | os.PathLike[str], bill: str | os.PathLike[str]
    ) -> BillReconciliation:
        """A usage file (from `ingest`) priced per model and month beside a provider's bill
        or cost export (FOCUS CSV, OpenAI's Costs export, Anthropic's cost report), USD;
        a model-month more than 10% off, or on one side only, is flagged."""
        from costline.ingest.reconcile import reconcile_bill

        return reconcile_bill(Path(usage), Path(bill), self.catalogs.prices)

    def fit(
        self,
        usage: str | os.PathLike[str],
        out: str | os.PathLike[str] | None = None,
        *,
        plans: str | os.PathLike[str] | None = None,
        month: str | None = None,
        force: bool = False,
    ) -> Fitted:
        """A scenario fitted to a month of a usage file from `ingest` (users, each
        feature's share of users, calls per user, token quantiles, model mix), run to check
        it reproduces the observed cost; written to `out` (.yaml) when given. `plans` is a
        YAML file with what logs cannot tell (plans, growth, fixed costs)."""
        import yaml

        from costline.ingest.fit import fit as fit_usage
        from costline.ingest.usage import ingested_summary
        from costline.scenario.load import parse_scenario

        target = Path(out) if out is not None else None
        if target is not None:
            check_out(target, (".yaml", ".yml"), force)
        source = Path(usage)
        if not source.is_file():
            raise InputError(f"{source}: no such file")
        if ingested_summary(source) is None:
            raise InputError(
                f"{source}: not a usage file from costline ingest (ingest the logs first: "
                + option(
                    "ingest",
                    "Costline().ingest(LOGS, 'usage.parquet')",
                    "costline ingest LOGS --out usage.parquet",
                )
                + ")"
            )
        fitted = fit_usage(str(source), month, self.catalogs.prices)
        data = fitted["scenario"]
        extra = plans_file(Path(plans)) if plans is not None else None
        if extra is None:
            data["plans"] = [{"name": "all users", "price_usd_per_month": 0, "share": 1}]
        else:
            users = {**extra.pop("users", {}), "start": data["users"]["start"]}
            data = {**data, **extra, "users": users}
        text = yaml.safe_dump(data, sort_keys=False, default_flow_style=None, width=100)
        # an error in the merged scenario comes from the plans file: the rest is fitted
        label = str(plans) if plans is not None else str(target or "<fitted>")
        scenario = parse_scenario(text, "yaml", label)
        observed = fitted["observed"]
        header = (
            f"# Fitted by costline fit from {source} on {observed['fitted_on']}: "
            f"{observed['month']}, {observed['users']:,} users, {observed['calls']:,} calls, "
            f"${observed['cost_usd']:,.2f} observed.\n"
            "# Token and call distributions are empirical quantiles; edit plans and growth"
            + (" (the plans are a placeholder: give a plans file)" if extra is None else "")
            + ".\n"
            + "".join(f"# Warning: {w}.\n" for w in observed["warnings"])
        )
        modelled = self._engine(label, 0)(scenario).timeline[0].inference_cost_usd
        cost = observed["cost_usd"]
        if target is not None:
            write_atomic(target, header + text)
        return Fitted(
            scenario=scenario,
            text=header + text,
            observed=observed,
            modelled_cost_usd=modelled,
            gap=modelled / cost - 1 if cost else 0.0,
            placeholder_plans=extra is None,
            path=target,
            warnings=list(observed["warnings"]),
        )

    def classify(
        self,
        lines: str | os.PathLike[str] | Iterable[str],
        *,
        columns: list[str] | None = None,
        amount_column: str | None = None,
        labels: str | None = None,
        progress: Share | None = None,
    ) -> Classified:
        """Sort cost lines into training (one-time, CapEx-like), inference (recurring
        COGS) or other, each with its reason and a confidence. `lines` is a CSV file (or
        "-" for standard input) or the lines themselves; `labels` names a CSV column with
        the bucket expected, to score costline against."""
        from costline.engine.classify import agreement, summarise_bill
        from costline.engine.classify import classify as bucket_of
        from costline.ingest.bills import BillLine, read_lines

        problems: list[tuple[int, str]] = []
        if isinstance(lines, str | os.PathLike):
            rows, problems = read_lines(
                str(lines), columns or ["description"], amount_column, labels
            )
        else:
            if labels is not None:
                raise InputError("labels name a CSV column: give a CSV file", field="labels")
            given = list(lines)
            if not all(isinstance(t, str) for t in given):
                raise InputError("expected a CSV path or a list of lines (text)", field="lines")
            rows = [BillLine(n, text.strip(), None) for n, text in enumerate(given, 1)]
            rows = [r for r in rows if r.text]
            if not rows:
                raise InputError("no line to classify", field="lines")
        rules, model = self.catalogs.line_rules, self.catalogs.line_model
        # a cloud bill repeats its SKUs: each distinct line is classified once
        distinct = list(dict.fromkeys(r.text for r in rows))
        seen = {}
        for n, text in enumerate(distinct, 1):
            seen[text] = bucket_of(text, rules, None, model)
            if progress is not None and n % 200 == 0:
                progress(n / len(distinct))
        items = [seen[r.text].model_copy(update={"amount": r.amount}) for r in rows]
        scored = None
        if labels is not None:
            scored = agreement(
                [(r.line, i, r.label) for r, i in zip(rows, items, strict=True) if r.label],
                unscored=sum(1 for r in rows if not r.label),
            )
        return Classified(
            lines=[r.line for r in rows],
            items=items,
            summary=summarise_bill(items),
            agreement=scored,
            problems=problems,
        )

    # -- files to share ------------------------------------------------------------------

    def export(
        self,
        scenario: ScenarioInput,
        out: str | os.PathLike[str],
        *,
        force: bool = False,
        seed: int = 0,
        samples: int = DEFAULT_QUERY_SAMPLES,
        users: int = DEFAULT_USERS_SIMULATED,
    ) -> Written:
        """The founder's spreadsheet (.xlsx): every assumption a labelled cell, every
        figure a live formula."""
        import xlsxwriter.exceptions

        from costline.report.xlsx import write_workbook

        target = Path(out)
        check_out(target, (".xlsx",), force)
        loaded, label = self.load(scenario), self._label(scenario)
        run_one = self._engine(label, seed, samples, users)
        result = self._with_cases(loaded, label, run_one(loaded), run_one)
        # written beside the target and renamed: an interrupted export leaves no half file
        tmp = target.with_name(f".{target.name}.tmp.xlsx")
        try:
            write_workbook(str(tmp), loaded, result)
            os.replace(tmp, target)
        except (OSError, xlsxwriter.exceptions.XlsxWriterException) as exc:
            raise InputError(f"{target} cannot be written ({exc})", field="out") from None
        finally:
            tmp.unlink(missing_ok=True)
        return Written(path=target, result=result)

    def report(
        self,
        scenario: ScenarioInput,
        out: str | os.PathLike[str],
        *,
        self_host: str | None = None,
        self_host_options: Mapping[str, Any] | None = None,
        force: bool = False,
        seed: int = 0,
        samples: int = DEFAULT_QUERY_SAMPLES,
        users: int = DEFAULT_USERS_SIMULATED,
    ) -> Written:
        """A report to share: one self-contained HTML page (`out` .html, opens offline) or
        Markdown with PNG charts in a folder beside it (`out` .md). `self_host` (MODEL@GPU)
        adds the API-vs-self-hosting curves (`self_host_options`: the fleet's `tp`, `dtype`
        and other `breakeven` options)."""
        from costline.engine.waterfall import lever_waterfall
        from costline.report.charts import chart_png, chart_specs, title_text
        from costline.report.html import render_html, vega_bundle
        from costline.report.markdown import render_markdown
        from costline.scenario.prices import price_book

        target = Path(out)
        check_out(target, (".html", ".md"), force)
        loaded, label = self.load(scenario), self._label(scenario)
        run_one = self._engine(label, seed, samples, users)
        result = self._with_cases(loaded, label, run_one(loaded), run_one)
        waterfall = None
        if any(f.levers for f in loaded.features):
            book = price_book(loaded, self.catalogs.prices, label, self.catalogs.lever_defaults)
            waterfall = lever_waterfall(loaded, lambda v: run_one(v, book))
        crossing = None
        if self_host is not None:
            options = {k: v for k, v in (self_host_options or {}).items() if v is not None}
            crossing = self._breakeven_of(result, self_host, None, **options)
        specs = chart_specs(result, waterfall, crossing)
        written: list[Path] = []
        if target.suffix.lower() == ".html":
            write_atomic(target, render_html(result, specs, vega_bundle()))
        else:
            folder = target.with_name(f"{target.stem}.charts")
            if folder.exists() and not folder.is_dir():
                raise InputError(f"{folder}: is a file; the charts go in a folder of that name")
            if folder.exists() and not force:
                raise InputError(
                    f"{folder}: exists; add {option('force', 'force=True')} to replace it"
                )
            links = []
            try:
                folder.mkdir(exist_ok=True)
                for stale in CHART_FILES:  # charts of an earlier report that this one lacks
                    (folder / f"{stale}.png").unlink(missing_ok=True)
                for key, spec in specs.items():
                    png = folder / f"{key}.png"
                    png.write_bytes(chart_png(spec))
                    written.append(png)
                    links.append(f"![{title_text(spec)}]({folder.name}/{key}.png)")
            except OSError as exc:
                raise InputError(
                    f"{folder} cannot be written ({exc.strerror})", field="out"
                ) from None
            write_atomic(
                target, render_markdown(result) + "\n\n## Charts\n\n" + "\n\n".join(links) + "\n"
            )
        return Written(path=target, result=result, charts=list(specs), files=written)


def _names(names: str | list[str] | None) -> list[str] | None:
    """Feature names: one name may come as a string."""
    if names is None or isinstance(names, str):
        return None if names is None else [names]
    if not all(isinstance(n, str) for n in names):
        raise InputError(f"expected feature names, got {names!r}", field="features")
    return list(names)


def _paths(files: object) -> list[str]:
    """Log files or globs: one as a string or path, or several."""
    if isinstance(files, str | os.PathLike):
        return [os.fspath(files)]
    if isinstance(files, Iterable) and not isinstance(files, bytes):
        given = list(files)
        if given and all(isinstance(f, str | os.PathLike) for f in given):
            return [os.fspath(f) for f in given]
    raise InputError(f"expected log files or globs, got {files!r}", field="files")


SIMULATION_FLOORS = {"seed": 0, "samples": 100, "users": 10}
"""The least of each simulation size a run takes (the CLI's options say the same)."""


def _check_simulation(seed: object, samples: object, users: object) -> None:
    for name, value in (("seed", seed), ("samples", samples), ("users", users)):
        least = SIMULATION_FLOORS[name]
        if isinstance(value, bool) or not isinstance(value, int) or value < least:
            raise InputError(f"expected a whole number >= {least}, got {value!r}", field=name)


def _validated(model_type: Any, **values: object) -> Any:
    """`model_type` from the values given (None means unset); the first problem becomes
    an InputError whose field is the input's name."""
    from pydantic import ValidationError

    from costline.scenario.what_if import validation_error

    given = {k: v for k, v in values.items() if v is not None}
    try:
        return model_type.model_validate(given)
    except ValidationError as err:
        raise validation_error(err) from None


def check_out(out: Path, suffixes: tuple[str, ...], force: bool) -> None:
    """Refuse an output path costline cannot or should not write."""
    if out.suffix.lower() not in suffixes:
        raise InputError(f"{out} should be a {' or '.join(suffixes)} file", field="out")
    if out.is_dir():
        raise InputError(f"{out} is a folder; name a file", field="out")
    if not out.parent.is_dir():
        raise InputError(f"folder {out.parent} does not exist", field="out")
    if not os.access(out.parent, os.W_OK):
        raise InputError(f"folder {out.parent} is not writable", field="out")
    if out.exists() and not force:
        raise InputError(
            f"{out}: exists; choose another {option('out', 'out path')} or add "
            f"{option('force', 'force=True')} to replace it"
        )


def write_atomic(path: Path, text: str) -> None:
    """`text` to `path` through a temporary file beside it, so no half-written file stays."""
    tmp = path.with_name(f".{path.name}.tmp")
    try:
        tmp.write_text(text, encoding="utf-8")
        os.replace(tmp, path)
    except OSError as exc:
        raise InputError(f"{path} cannot be written ({exc.strerror})", field="out") from None
    finally:
        tmp.unlink(missing_ok=True)


PLANS_FILE_KEYS = (
    "plans",
    "users",
    "horizon_months",
    "monthly",
    "one_time",
    "name",
    "thresholds",
    "price_trajectory",
    "scale_multiples",
    "cases",
    "description",
)
"""What a plans file given to `fit` may set: the parts of a scenario logs cannot tell."""


def plans_file(path: Path) -> dict[str, Any]:
    """The parts of a scenario that a `fit` plans file sets, checked."""
    import yaml

    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise InputError(f"{path}: no such file") from None
    except yaml.YAMLError as err:
        raise InputError(f"{path}: not valid YAML: {str(err).splitlines()[0]}") from None
    if not isinstance(data, dict) or "plans" not in data:
        raise InputError(f"{path}: expected a mapping with `plans:` (a list of plans)")
    unknown = sorted(set(data) - set(PLANS_FILE_KEYS))
    if unknown:
        raise InputError(
            f"{path}: {unknown[0]}: not something a plans file sets; it may set "
            + ", ".join(sorted(PLANS_FILE_KEYS))
        )
    users = data.get("users", {})
    if not isinstance(users, dict) or "start" in users:
        raise InputError(f"{path}: users: only growth belongs here (start comes from the logs)")
    return data
