"""Goal-seeking: the value of one input that meets a first-month target, the rest held
fixed, found by bisection on the engine itself (not a closed form that drifts from it).

Targets: `cogs-share` (inference COGS over revenue, at most the target) or `gross-margin`
(blended gross margin, at least the target). Each variable moves the target one way only,
so bisection brackets the boundary value; the value returned is on the side that meets it.

    price_scale          every plan price x the value            the smallest that meets
    max_output_tokens    output per LLM call capped, API features the largest
    quota                queries per user per month, API features the largest
    model_price_scale    every model price x the value           the largest
    cache_hit_rate       an exact-match response cache, API feat. the smallest
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable

from pydantic import BaseModel, ConfigDict

from costline.catalog.types import ModelPricing
from costline.engine.result import Result
from costline.scenario.levers import Caps, Levers, ResponseCache
from costline.scenario.models import Scenario

Runner = Callable[[Scenario, dict[str, ModelPricing]], Result]
TARGETS = ("cogs-share", "gross-margin")
ITERATIONS = 40
MAX_SCALE = 1e4
MAX_TOKENS = 1e6
MAX_QUOTA = 1_000_000


class Solution(BaseModel):
    """One variable's value that meets the target, or why none does."""

    model_config = ConfigDict(frozen=True, use_attribute_docstrings=True, defer_build=True)

    variable: str
    value: float | None
    """None when reachable with no limit at all (already met), or unreachable."""
    reachable: bool
    reason: str
    achieved: float | None = None
    """The target metric with the value put back into the scenario."""


class Solved(BaseModel):
    """Every variable's answer to one target."""

    model_config = ConfigDict(frozen=True, use_attribute_docstrings=True, defer_build=True)

    target: str
    target_value: float
    month: str
    current: float | None
    """The target metric as the scenario stands."""
    solutions: list[Solution]


def metric(result: Result, target: str) -> float | None:
    """The first month's `target` metric (a share; None without revenue)."""
    first = result.timeline[0]
    return first.cogs_share_of_arpu if target == "cogs-share" else first.gross_margin


def meets(value: float | None, target: str, goal: float) -> bool:
    """Whether a metric value meets the goal (relative tolerance 1e-9)."""
    if value is None:
        return False
    if target == "cogs-share":
        return value <= goal * (1 + 1e-9)
    return value >= goal - abs(goal) * 1e-9


def _bisect(ok: Callable[[float], bool], good: float, bad: float, integer: bool) -> float:
    """The point nearest `bad` that is still ok, between `good` (ok) and `bad` (not ok)."""
    for _ in range(ITERATIONS):
        mid = (good + bad) / 2
        if integer:
            mid = float(round(mid))
            if mid in (good, bad):
                break
        if ok(mid):
            good = mid
        else:
            bad = mid
        if not integer and abs(good - bad) <= 1e-4 * max(abs(good), 1e-9):
            break
    return good


def solve(
    scenario: Scenario,
    book: dict[str, ModelPricing],
    run: Runner,
    target: str,
    goal: float,
    reference: Result | None = None,
) -> Solved:
    """The value of each variable that meets `target` at `goal`, the rest held fixed.
    `current` is the metric of `reference` (the scenario's own run, as `costline run`
    prints it) where given: `run` may simulate fewer queries to search quickly."""
    base = run(scenario, book)
    current = metric(reference if reference is not None else base, target)

    def check(s: Scenario, b: dict[str, ModelPricing] | None = None) -> tuple[bool, float | None]:
        value = metric(run(s, b or book), target)
        return meets(value, target, goal), value

    name = "COGS share of ARPU" if target == "cogs-share" else "gross margin"
    goal_text = f"{name} {'<=' if target == 'cogs-share' else '>='} {goal:.1%}"
    solutions = [
        _price(scenario, check, goal_text),
        _limit(
            "max_output_tokens",
            lambda v: _with_lever(scenario, "caps", Caps(max_output_tokens=v)),
            check,
            goal_text,
            lowest=1.0,
            integer=True,
            unit="output tokens per call",
        ),
        _limit(
            "quota",
            lambda v: _with_lever(scenario, "caps", Caps(queries_per_user_per_month=int(v))),
            check,
            goal_text,
            lowest=1.0,
            integer=True,
            unit="queries per user per month",
        ),
        _model_price(scenario, book, check, goal_text),
        _cache(scenario, check, goal_text),
    ]
    return Solved(
        target=target,
        target_value=goal,
        month=base.timeline[0].month,
        current=current,
        solutions=solutions,
    )


Check = Callable[..., tuple[bool, float | None]]


def _price(scenario: Scenario, check: Check, goal_text: str) -> Solution:
    if all(p.price_usd_per_month == 0 for p in scenario.plans):
        return Solution(
            variable="price_scale",
            value=None,
            reachable=False,
            reason="every plan is free: no price multiple earns revenue",
        )

    def scaled(k: float) -> Scenario:
        plans = [
            p.model_copy(update={"price_usd_per_month": p.price_usd_per_month * k})
            for p in scenario.plans
        ]
        return scenario.model_copy(update={"plans": plans})

    def ok(k: float) -> bool:
        return check(scaled(k))[0]

    if ok(1.0):
        low = 1.0
        while low > 1e-6 and ok(low / 2):
            low /= 2
        value = _bisect(ok, low, low / 2, integer=False)
    else:
        high = 2.0
        while high <= MAX_SCALE and not ok(high):
            high *= 2
        if high > MAX_SCALE:
            return Solution(
                variable="price_scale",
                value=None,
                reachable=False,
                reason=f"no plan price up to {MAX_SCALE:g}x today's reaches {goal_text}: "
                "fixed costs grow faster than revenue, or a free plan carries the cost",
            )
        value = _bisect(ok, high, high / 2, integer=False)
    prices = ", ".join(f"{p.name} ${p.price_usd_per_month * value:,.2f}" for p in scenario.plans)
    return Solution(
        variable="price_scale",
        value=value,
        reachable=True,
        reason=f"plan prices x{value:.4g} ({prices}) is the least that meets {goal_text}",
        achieved=check(scaled(value))[1],
    )


def _limit(
    variable: str,
    apply: Callable[[float], Scenario],
    check: Check,
    goal_text: str,
    *,
    lowest: float,
    integer: bool,
    unit: str,
) -> Solution:
    """The largest limit (output cap, quota) that meets the goal."""
    if not any(f.deployment is None for f in apply(lowest).features):
        return Solution(
            variable=variable, value=None, reachable=False, reason="no feature is on an API"
        )
    if check(apply(MAX_TOKENS if variable == "max_output_tokens" else MAX_QUOTA))[0]:
        return Solution(
            variable=variable,
            value=None,
            reachable=True,
            reason=f"{goal_text} is met with no limit on {unit}",
        )
    met, value_at_lowest = check(apply(lowest))
    if not met:
        return Solution(
            variable=variable,
            value=None,
            reachable=False,
            reason=f"even {lowest:g} {unit} leaves it at {value_at_lowest:.1%}: "
            "other costs alone miss the target",
        )
    top = MAX_TOKENS if variable == "max_output_tokens" else MAX_QUOTA
    value = _bisect(lambda v: check(apply(v))[0], lowest, top, integer=integer)
    return Solution(
        variable=variable,
        value=value,
        reachable=True,
        reason=f"at most {value:,.0f} {unit} meets {goal_text}",
        achieved=check(apply(value))[1],
    )


def _model_price(
    scenario: Scenario, book: dict[str, ModelPricing], check: Check, goal_text: str
) -> Solution:
    def scaled(f: float) -> dict[str, ModelPricing]:
        return {
            k: dataclasses.replace(
                p, schedule=tuple((start, rates.scaled(f)) for start, rates in p.schedule)
            )
            if p.provider != "self-hosted"
            else p
            for k, p in book.items()
        }

    def ok(f: float) -> bool:
        return check(scenario, scaled(f))[0]

    met, at_zero = check(scenario, scaled(0.0))
    if not met:
        return Solution(
            variable="model_price_scale",
            value=None,
            reachable=False,
            reason=f"even free models leave it at {at_zero:.1%}: tools, infrastructure and "
            "fixed costs alone miss the target"
            if at_zero is not None
            else "there is no revenue",
        )
    if ok(1.0):
        high = 2.0
        while high <= MAX_SCALE and ok(high):
            high *= 2
        if high > MAX_SCALE:
            return Solution(
                variable="model_price_scale",
                value=None,
                reachable=True,
                reason=f"met even at {MAX_SCALE:g}x today's model prices",
            )
        value = _bisect(ok, high / 2, high, integer=False)
    else:
        value = _bisect(ok, 0.0, 1.0, integer=False)
    return Solution(
        variable="model_price_scale",
        value=value,
        reachable=True,
        reason=f"models up to {value:.4g}x today's prices per 1M tokens meet {goal_text}",
        achieved=check(scenario, scaled(value))[1],
    )


def _cache(scenario: Scenario, check: Check, goal_text: str) -> Solution:
    def cached(h: float) -> Scenario:
        return _with_lever(scenario, "response_cache", ResponseCache(hit_rate=h))

    if check(cached(0.0))[0]:
        return Solution(
            variable="cache_hit_rate",
            value=0.0,
            reachable=True,
            reason=f"{goal_text} is met without a response cache",
        )
    met, at_one = check(cached(1.0))
    if not met:
        return Solution(
            variable="cache_hit_rate",
            value=None,
            reachable=False,
            reason=f"even answering every query from the cache leaves it at {at_one:.1%}"
            if at_one is not None
            else "there is no revenue",
        )
    value = _bisect(lambda h: check(cached(h))[0], 1.0, 0.0, integer=False)
    return Solution(
        variable="cache_hit_rate",
        value=value,
        reachable=True,
        reason=f"a response cache answering {value:.1%} of queries meets {goal_text}",
        achieved=check(cached(value))[1],
    )


def _with_lever(scenario: Scenario, kind: str, lever: object) -> Scenario:
    """`scenario` with `lever` as the `kind` lever of every API feature."""
    features = []
    for f in scenario.features:
        if f.deployment is not None:
            features.append(f)
            continue
        current = f.levers.model_dump(exclude_none=True) if f.levers else {}
        current.pop(kind, None)
        levers = Levers.model_validate({**current, kind: lever})
        features.append(f.model_copy(update={"levers": levers}))
    return scenario.model_copy(update={"features": features})
