"""What changed between two results, line by line: the first month's money and margins,
each feature's cost per query, each model's prices, each plan's price. Features and
models are matched by name; one only on one side is added or removed."""

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
    models: list[Change]
    """First-month USD per 1M tokens of each model's input and output."""
    plans: list[Change]
    """Each plan's price (USD a month) and share of users."""
    notes: list[str] = []
    warnings: list[CostWarning] = []
    """Models shut down before or during the horizon, in either result."""
    """What the comparison cannot say (a price the catalog has no record of then)."""


def _by_name(
    before: dict[str, float | None], after: dict[str, float | None], kind: str
) -> list[Change]:
    names = list(dict.fromkeys([*before, *after]))
    return [Change(name=n, before=before.get(n), after=after.get(n), kind=kind) for n in names]


def _prices(result: Result) -> dict[str, float | None]:
    """Each model's catalog (list) prices in the first month: the scenario's assumed
    trajectory is not a vendor's price change."""
    out: dict[str, float | None] = {}
    for feature in result.features:
        for m in feature.models:
            label = f"{m.ref} ({m.service_tier})" if m.service_tier != "default" else m.ref
            out[f"{label} input"] = m.list_input_usd_per_mtok
            out[f"{label} output"] = m.list_output_usd_per_mtok
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
        notes=notes or [],
        warnings=retirement_notices(before, after),
    )


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
