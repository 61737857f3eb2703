"""What changed between two results, line by line: the first month's money and margins,
each feature's cost per query, each model's prices, each plan's price, and the whole
horizon (its totals, the margin at its end, the month users reach 10x, every month).
Features and models are matched by name, months by month; one only on one side is added
or removed."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict

from costline.engine.result import CostWarning, Result
from costline.engine.retirement import retirement_notices
from costline.scenario.models import Scenario


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, use_attribute_docstrings=True, defer_build=True)


class Change(_Frozen):
    """One figure before and after (None where it does not exist on that side)."""

    name: str
    before: float | None
    after: float | None
    kind: str = "usd"
    """usd, share (a fraction), or count."""

    @property
    def status(self) -> str:
        """added, removed, changed or same."""
        if self.before is None:
            return "added"
        if self.after is None:
            return "removed"
        same = abs(self.after - self.before) <= 1e-12 * max(abs(self.before), 1.0)
        return "same" if same else "changed"

    @property
    def delta(self) -> float | None:
        if self.before is None or self.after is None:
            return None
        return self.after - self.before

    @property
    def relative(self) -> float | None:
        if self.delta is None or not self.before:
            return None
        return self.delta / abs(self.before)


class MonthChange(_Frozen):
    """One month of the two timelines (None where a side has no such month)."""

    month: str
    inference_cost_usd: Change
    cogs_usd: Change
    revenue_usd: Change
    gross_margin: Change


class Diff(_Frozen):
    """Every change between two results."""

    before_label: str
    after_label: str
    month_before: str
    month_after: str
    headline: list[Change]
    features: list[Change]
    """Mean cost per query of each feature (USD)."""
    features_monthly: list[Change] = []
    """Each feature's inference cost in the first month (USD)."""
    actions: list[Change] = []
    """Mean cost of each user action that spans features (USD)."""
    models: list[Change]
    """First-month USD per 1M tokens of each model's input and output."""
    plans: list[Change]
    """Each plan's price (USD a month) and share of users."""
    notes: list[str] = []
    """What the comparison cannot say (a price the catalog has no record of then)."""
    warnings: list[CostWarning] = []
    """Models shut down before or during the horizon, in either result."""
    horizon: list[Change] = []
    """Totals over the horizon (USD), its gross margin, the last month's margin."""
    ten_x_month_before: str | None = None
    """The first month users reach 10x the first month's (None: not within the horizon)."""
    ten_x_month_after: str | None = None
    months: list[MonthChange] = []
    """Every month of either timeline, in order."""


def _by_name(
    before: dict[str, float | None], after: dict[str, float | None], kind: str
) -> list[Change]:
    names = list(dict.fromkeys([*before, *after]))
    return [Change(name=n, before=before.get(n), after=after.get(n), kind=kind) for n in names]


def _prices(result: Result) -> dict[str, float | None]:
    """Each model's catalog (list) prices in the first month, per 1M tokens and per each
    usage unit a feature declares: the scenario's assumed trajectory is not a vendor's
    price change. A price neither side has (a speech model's text output) is left out."""
    out: dict[str, float | None] = {}
    for feature in result.features:
        for m in feature.models:
            label = f"{m.ref} ({m.service_tier})" if m.service_tier != "default" else m.ref
            prices = {
                "input": m.list_input_usd_per_mtok,
                "output": m.list_output_usd_per_mtok,
                **{u.label.removeprefix("USD "): u.list_usd for u in m.unit_prices},
            }
            for part, usd in prices.items():
                if usd is not None:
                    out[f"{label} {part}"] = usd
    return out


def diff(
    before: Result,
    after: Result,
    before_label: str,
    after_label: str,
    notes: list[str] | None = None,
) -> Diff:
    """The changes from `before` to `after`."""
    b, a = before.timeline[0], after.timeline[0]
    ten_b = next((p for p in before.scale if p.multiple == 10), None)
    ten_a = next((p for p in after.scale if p.multiple == 10), None)
    headline = [
        Change(name="users", before=b.users, after=a.users, kind="count"),
        Change(name="queries", before=b.queries, after=a.queries, kind="count"),
        Change(name="inference cost", before=b.inference_cost_usd, after=a.inference_cost_usd),
        Change(name="COGS", before=b.cogs_usd, after=a.cogs_usd),
        Change(name="revenue", before=b.revenue_usd, after=a.revenue_usd),
        Change(name="gross margin", before=b.gross_margin, after=a.gross_margin, kind="share"),
        Change(
            name="inference COGS / ARPU",
            before=b.cogs_share_of_arpu,
            after=a.cogs_share_of_arpu,
            kind="share",
        ),
        Change(
            name="inference cost at 10x users",
            before=ten_b.inference_cost_usd if ten_b else None,
            after=ten_a.inference_cost_usd if ten_a else None,
        ),
    ]
    return Diff(
        before_label=before_label,
        after_label=after_label,
        month_before=b.month,
        month_after=a.month,
        headline=headline,
        features=_by_name(
            {f.name: f.cost_per_query.mean for f in before.features},
            {f.name: f.cost_per_query.mean for f in after.features},
            "usd",
        ),
        models=_by_name(_prices(before), _prices(after), "usd"),
        plans=[
            *_by_name(
                {p.name: p.price_usd_per_month for p in before.plans},
                {p.name: p.price_usd_per_month for p in after.plans},
                "usd",
            ),
            *_by_name(
                {f"{p.name} share of users": p.share for p in before.plans},
                {f"{p.name} share of users": p.share for p in after.plans},
                "share",
            ),
        ],
        features_monthly=_by_name(
            {f.name: f.inference_cost_usd for f in before.features},
            {f.name: f.inference_cost_usd for f in after.features},
            "usd",
        ),
        actions=_by_name(
            {x.name: x.cost_per_action.mean for x in before.actions},
            {x.name: x.cost_per_action.mean for x in after.actions},
            "usd",
        ),
        notes=notes or [],
        warnings=retirement_notices(before, after),
        horizon=_horizon(before, after),
        ten_x_month_before=_ten_x_month(before),
        ten_x_month_after=_ten_x_month(after),
        months=_months(before, after),
    )


def _margin(revenue: float, cogs: float) -> float | None:
    return (revenue - cogs) / revenue if revenue > 0 else None


def _horizon(before: Result, after: Result) -> list[Change]:
    """The horizon's totals (USD) and margins, before and after."""

    def total(r: Result, field: str) -> float:
        return float(sum(getattr(m, field) for m in r.timeline))

    out = [
        Change(
            name=f"{label} over the horizon",
            before=total(before, field),
            after=total(after, field),
        )
        for label, field in (
            ("revenue", "revenue_usd"),
            ("inference cost", "inference_cost_usd"),
            ("COGS", "cogs_usd"),
        )
    ]
    out.append(
        Change(
            name="gross margin over the horizon",
            before=_margin(total(before, "revenue_usd"), total(before, "cogs_usd")),
            after=_margin(total(after, "revenue_usd"), total(after, "cogs_usd")),
            kind="share",
        )
    )
    last_b, last_a = before.timeline[-1], after.timeline[-1]
    name = (
        f"gross margin in the last month ({last_a.month})"
        if last_b.month == last_a.month
        else f"gross margin in the last month ({last_b.month} / {last_a.month})"
    )
    out.append(
        Change(name=name, before=last_b.gross_margin, after=last_a.gross_margin, kind="share")
    )
    return out


def _ten_x_month(result: Result) -> str | None:
    """The first month whose users are at least 10x the first month's."""
    first = result.timeline[0].users
    return next((m.month for m in result.timeline if first > 0 and m.users >= 10 * first), None)


def _months(before: Result, after: Result) -> list[MonthChange]:
    """Every month of either timeline, matched by month."""
    b = {m.month: m for m in before.timeline}
    a = {m.month: m for m in after.timeline}

    def change(field: str, month: str, kind: str = "usd") -> Change:
        return Change(
            name=field,
            before=getattr(b[month], field) if month in b else None,
            after=getattr(a[month], field) if month in a else None,
            kind=kind,
        )

    return [
        MonthChange(
            month=month,
            inference_cost_usd=change("inference_cost_usd", month),
            cogs_usd=change("cogs_usd", month),
            revenue_usd=change("revenue_usd", month),
            gross_margin=change("gross_margin", month, "share"),
        )
        for month in sorted({*b, *a})
    ]


def lever_changes(before: Scenario, after: Scenario) -> list[str]:
    """A line for each feature whose levers differ between two scenarios (a feature on one
    side only is the features table's business)."""
    out = []
    old = {
        f.name: f.levers.model_dump(exclude_none=True) if f.levers else {} for f in before.features
    }
    for feature in after.features:
        if feature.name not in old:
            continue
        new = feature.levers.model_dump(exclude_none=True) if feature.levers else {}
        if new == old[feature.name]:
            continue
        parts = []
        for kind in dict.fromkeys([*old[feature.name], *new]):
            was, now = old[feature.name].get(kind), new.get(kind)
            if was == now:
                continue
            if was is None:
                parts.append(f"+ {kind} {now}")
            elif now is None:
                parts.append(f"- {kind}")
            else:
                parts.append(f"~ {kind} {was} -> {now}")
        out.append(f"levers of {feature.name}: " + "; ".join(parts))
    return out
