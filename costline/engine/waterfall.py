"""The lever waterfall: the scenario without levers, then with each lever added in order,
priced by the same engine with the same random draws, so each step's saving is that
lever's alone on top of the ones before it.

Figures are for the scenario's first month (USD per month). A step's saving is the
monthly COGS it removes; its share is that saving over the baseline COGS, so the shares
add up to the combined saving (they compound: each is taken on what is left).
"""

from __future__ import annotations

from collections.abc import Callable

from pydantic import BaseModel, ConfigDict

from costline.engine.result import CostWarning, Result, Stats
from costline.engine.retirement import retirement_notices
from costline.scenario.levers import LEVER_ORDER
from costline.scenario.models import Scenario


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, use_attribute_docstrings=True, defer_build=True)


class WaterfallPoint(_Frozen):
    """The scenario's first month with some levers on."""

    cost_per_query_usd: float
    """Inference USD per query, all features."""
    queries: float
    inference_cost_usd: float
    monthly_cost_usd: float
    """COGS: inference + fixed monthly rows + per-user and revenue-linked rows + amortised
    one-time rows."""
    revenue_usd: float
    gross_margin: float | None
    cogs_share_of_arpu: float | None
    """Inference cost over revenue."""


class LeverStep(WaterfallPoint):
    """One lever added on top of the steps before it."""

    lever: str
    features: list[str]
    """Features the lever is set on."""
    saving_usd: float
    """Monthly COGS this step removes (negative when the lever costs more than it saves)."""
    saving_share: float
    """saving_usd over the baseline monthly COGS."""
    payback_month: str | None = None
    """Distillation: the month its cumulative inference savings first cover its one-time
    training cost; None when not within the horizon or no training row is named."""


class CaseLevers(_Frozen):
    """One case's levers: its COGS without them and with all of them."""

    name: str
    baseline: WaterfallPoint
    combined: WaterfallPoint
    saving_usd: float
    saving_share: float


class ActionLevers(_Frozen):
    """A user action spanning features, per action without and with every lever (USD,
    at the start month's prices)."""

    name: str
    features: dict[str, int]
    """Feature -> queries one action makes."""
    baseline: Stats
    combined: Stats


class Waterfall(_Frozen):
    """Baseline, each lever's step, and all levers together."""

    month: str
    baseline: WaterfallPoint
    steps: list[LeverStep]
    combined: WaterfallPoint
    saving_usd: float
    """Monthly COGS all levers together remove."""
    saving_share: float
    """saving_usd over the baseline monthly COGS."""
    result: Result
    """The full result with every lever on (what `costline run` shows)."""
    warnings: list[CostWarning] = []
    """Models shut down before or during the horizon, without or with the levers."""
    cases: list[CaseLevers] = []
    """The scenario's cases, `base` first, each with and without its levers (empty
    without `cases:`)."""
    actions: list[ActionLevers] = []
    """The scenario's user actions, each per action without and with the levers."""

    def as_case(self, name: str) -> CaseLevers:
        """This waterfall's ends as case `name`."""
        return CaseLevers(
            name=name,
            baseline=self.baseline,
            combined=self.combined,
            saving_usd=self.saving_usd,
            saving_share=self.saving_share,
        )


def with_levers(scenario: Scenario, kinds: set[str]) -> Scenario:
    """`scenario` with only the levers of `kinds` on; a distillation's training row counts
    only while its lever is on."""
    features = [
        f.model_copy(update={"levers": f.levers.enabled(kinds) if f.levers else None})
        for f in scenario.features
    ]
    dropped = {
        f.levers.distillation.one_time
        for f in scenario.features
        if f.levers is not None
        and f.levers.distillation is not None
        and f.levers.distillation.one_time is not None
        and "distillation" not in kinds
    }
    one_time = [row for row in scenario.one_time if row.name not in dropped]
    return scenario.model_copy(update={"features": features, "one_time": one_time})


def lever_waterfall(scenario: Scenario, run: Callable[[Scenario], Result]) -> Waterfall:
    """The waterfall of `scenario`'s levers, each step priced with `run`."""
    present = [
        kind
        for kind in LEVER_ORDER
        if any(f.levers is not None and getattr(f.levers, kind) for f in scenario.features)
    ]
    baseline_result = run(with_levers(scenario, set()))
    baseline = _point(baseline_result)
    steps: list[LeverStep] = []
    previous, previous_result = baseline, baseline_result
    for i, kind in enumerate(present):
        result = run(with_levers(scenario, set(present[: i + 1])))
        point = _point(result)
        saving = previous.monthly_cost_usd - point.monthly_cost_usd
        steps.append(
            LeverStep(
                **point.model_dump(),
                lever=kind,
                features=[
                    f.name
                    for f in scenario.features
                    if f.levers is not None and getattr(f.levers, kind)
                ],
                saving_usd=saving,
                saving_share=(
                    saving / baseline.monthly_cost_usd if baseline.monthly_cost_usd else 0.0
                ),
                payback_month=(
                    _payback(scenario, previous_result, result) if kind == "distillation" else None
                ),
            )
        )
        previous, previous_result = point, result
    saved = baseline.monthly_cost_usd - previous.monthly_cost_usd
    return Waterfall(
        month=baseline_result.blended.month,
        baseline=baseline,
        steps=steps,
        combined=previous,
        saving_usd=saved,
        saving_share=saved / baseline.monthly_cost_usd if baseline.monthly_cost_usd else 0.0,
        result=previous_result,
        warnings=retirement_notices(baseline_result, previous_result),
        actions=[
            ActionLevers(
                name=before.name,
                features=before.features,
                baseline=before.cost_per_action,
                combined=previous_result.actions[before.name].cost_per_action,
            )
            for before in baseline_result.actions
        ],
    )


def _point(result: Result) -> WaterfallPoint:
    first = result.timeline[0]
    return WaterfallPoint(
        cost_per_query_usd=first.cost_per_query_usd,
        queries=first.queries,
        inference_cost_usd=first.inference_cost_usd,
        monthly_cost_usd=first.cogs_usd,
        revenue_usd=first.revenue_usd,
        gross_margin=first.gross_margin,
        cogs_share_of_arpu=first.cogs_share_of_arpu,
    )


def _payback(scenario: Scenario, before: Result, after: Result) -> str | None:
    """First month the inference saved since the training row's month covers its cost."""
    names = {
        f.levers.distillation.one_time
        for f in scenario.features
        if f.levers is not None and f.levers.distillation and f.levers.distillation.one_time
    }
    rows = [row for row in after.one_time if row.name in names]
    if not rows:
        return None
    cost = sum(row.amount_usd for row in rows)
    start = min(row.month for row in rows)
    saved = 0.0
    for old, new in zip(before.timeline, after.timeline, strict=True):
        if old.month < start:
            continue
        saved += old.inference_cost_usd - new.inference_cost_usd
        if saved >= cost:
            return new.month
    return None
