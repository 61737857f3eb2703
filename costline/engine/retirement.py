"""Warnings for models a scenario prices that their vendors shut down.

MODEL_RETIRED   shut down before the scenario's first month (or on its first day): the
                figures price a model that cannot be bought
MODEL_RETIRING  shuts down during the horizon: from that month the figures price a model
                that is no longer sold
UNITS_NOT_MODELLED  a model also priced by a unit no usage field declares: what the
                feature sends in it is not in the figures
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping

from costline.catalog.retirements import Retirement, Retirements
from costline.catalog.types import ModelPricing
from costline.engine.result import CostWarning, FeatureResult, Result

CODES = ("MODEL_RETIRED", "MODEL_RETIRING")


def retirement_notices(*results: Result) -> list[CostWarning]:
    """The retirement warnings of `results`, one per model (the first result's wording
    first): what a view of several results (levers, diff) repeats from them."""
    out: dict[str, CostWarning] = {}
    for result in results:
        for w in result.warnings:
            if w.code in CODES:
                out.setdefault(w.subject, w)
    return list(out.values())


def retirement_warnings(
    features: list[FeatureResult], months: list[dt.date], retirements: Retirements
) -> list[CostWarning]:
    """One warning per retired or retiring model the features send queries to, earliest
    shutdown first; `months` are the first days of the horizon's months."""
    users: dict[str, list[str]] = {}
    found: dict[str, Retirement] = {}
    for feature in features:
        for model in feature.models:
            # a dated snapshot (gpt-4o-mini-2024-07-18) priced as its catalog model shares
            # that model's shutdown: it is what the figures price
            r = retirements.of(model.ref) or retirements.of(f"{model.provider}:{model.model_id}")
            if model.share > 0 and r is not None:
                users.setdefault(model.ref, []).append(feature.name)
                found[model.ref] = r
    first, last = months[0], months[-1]
    out = []
    for ref in sorted(users, key=lambda r: (found[r].shutdown, r)):
        r = found[ref]
        if (r.shutdown.year, r.shutdown.month) > (last.year, last.month):
            continue  # after the horizon
        day = ("by " if r.by else "on ") + r.shutdown.isoformat()
        names = ", ".join(sorted(set(users[ref])))
        successor = (
            f" Its vendor names {r.successor} as the replacement."
            if r.successor
            else " No replacement named by its vendor was found; `costline models search` "
            "lists what can be bought."
        )
        if r.shutdown <= first:
            code = "MODEL_RETIRED"
            said = (
                f"{ref} ({names}) was shut down by its vendor {day}, before the scenario's "
                "first month: these figures price a model that cannot be bought."
            )
        else:
            code = "MODEL_RETIRING"
            said = (
                f"{ref} ({names}) is shut down by its vendor {day}, within the horizon: from "
                f"{r.shutdown:%Y-%m} the figures price a model that is no longer sold."
            )
        out.append(
            CostWarning(code=code, subject=ref, message=f"{said}{successor} Source: {r.source}")
        )
    return out


def unmodelled_unit_warnings(
    features: list[FeatureResult], book: Mapping[str, ModelPricing]
) -> list[CostWarning]:
    """UNITS_NOT_MODELLED: a model the features use that its catalog entry also prices by
    a unit no scenario field declares (none of `costline.catalog.units`): whatever the
    feature sends in that unit is not in the figures."""
    used = {m.ref for f in features for m in f.models if m.share > 0}
    out: dict[str, CostWarning] = {}
    for pricing in book.values():
        if pricing.ref not in used or not pricing.other_units or pricing.ref in out:
            continue
        units = ", ".join(f"{unit} at ${price:g}" for unit, price in pricing.other_units)
        out[pricing.ref] = CostWarning(
            code="UNITS_NOT_MODELLED",
            subject=pricing.ref,
            message=(
                f"{pricing.ref} is also priced by {units} (genai-prices' units), which no "
                "usage field declares: what the feature sends in that unit is not in these "
                "figures. Give an explicit price that folds it in."
            ),
        )
    return list(out.values())
