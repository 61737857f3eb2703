"""Vega-Lite specs of a result's charts: one spec each, for the HTML page (rendered in the
browser) and the Markdown report (rendered to PNG by vl-convert)."""

from __future__ import annotations

from typing import Any

from costline.engine.breakeven import Breakeven
from costline.engine.result import Result
from costline.engine.waterfall import Waterfall

SCHEMA = "https://vega.github.io/schema/vega-lite/v5.json"
WIDTH = 560
HEIGHT = 260


def _spec(title: str, values: list[dict[str, Any]], **body: Any) -> dict[str, Any]:
    return {
        "$schema": SCHEMA,
        "title": title,
        "width": WIDTH,
        "height": HEIGHT,
        "data": {"values": values},
        **body,
    }


def chart_specs(
    result: Result, waterfall: Waterfall | None = None, crossing: Breakeven | None = None
) -> dict[str, dict[str, Any]]:
    """The charts of `result` by name, in the order a report shows them; the levers
    waterfall and the API-vs-self-hosting curves when given."""
    specs: dict[str, dict[str, Any]] = {}
    months = result.timeline
    specs["revenue-vs-cogs"] = _spec(
        "Monthly revenue vs COGS (USD)",
        [
            {"month": m.month, "series": series, "usd": value}
            for m in months
            for series, value in (("revenue", m.revenue_usd), ("COGS", m.cogs_usd))
        ],
        mark={"type": "line", "point": True},
        encoding={
            "x": {"field": "month", "type": "temporal", "timeUnit": "yearmonth", "title": None},
            "y": {"field": "usd", "type": "quantitative", "title": "USD a month"},
            "color": {"field": "series", "type": "nominal", "title": None},
        },
    )
    specs["gross-margin"] = _spec(
        "Gross margin over time",
        [
            {"month": m.month, "margin": m.gross_margin}
            for m in months
            if m.gross_margin is not None
        ],
        mark={"type": "line", "point": True},
        encoding={
            "x": {"field": "month", "type": "temporal", "timeUnit": "yearmonth", "title": None},
            "y": {
                "field": "margin",
                "type": "quantitative",
                "title": "gross margin",
                "axis": {"format": "%"},
            },
        },
    )
    specs["cost-per-user"] = _spec(
        "Inference cost per user a month, by plan: mean bar, median and p95 user",
        [
            {
                "plan": p.name,
                "mean": p.cost_per_user.mean,
                "median": p.cost_per_user.median,
                "p95": p.cost_per_user.p95,
                "price": p.price_usd_per_month,
            }
            for p in result.plans
        ],
        layer=[
            {
                "mark": "bar",
                "encoding": {
                    "x": {"field": "plan", "type": "nominal", "title": None},
                    "y": {"field": "mean", "type": "quantitative", "title": "USD a user a month"},
                },
            },
            {
                "mark": {"type": "tick", "thickness": 3, "color": "#d62728"},
                "encoding": {
                    "x": {"field": "plan", "type": "nominal"},
                    "y": {"field": "p95", "type": "quantitative"},
                },
            },
            {
                "mark": {"type": "tick", "thickness": 2, "color": "#333333"},
                "encoding": {
                    "x": {"field": "plan", "type": "nominal"},
                    "y": {"field": "median", "type": "quantitative"},
                },
            },
        ],
    )
    specs["scale"] = _spec(
        "The first month at 1x, 10x, 100x the users (USD a month)",
        [
            {"multiple": f"{p.multiple:g}x", "series": series, "usd": value}
            for p in result.scale
            for series, value in (
                ("revenue", p.revenue_usd),
                ("inference", p.inference_cost_usd),
                ("fixed + amortised", p.fixed_cost_usd + p.amortised_one_time_usd),
            )
        ],
        mark="bar",
        encoding={
            "x": {"field": "multiple", "type": "nominal", "title": None, "sort": None},
            "xOffset": {"field": "series"},
            "y": {
                "field": "usd",
                "type": "quantitative",
                "title": "USD",
                "scale": {"type": "symlog"},
            },
            "color": {"field": "series", "type": "nominal", "title": None},
        },
    )
    if waterfall is not None and waterfall.steps:
        rows = [{"step": "baseline", "order": 0, "usd": waterfall.baseline.monthly_cost_usd}]
        rows += [
            {"step": f"+ {s.lever}", "order": i + 1, "usd": s.monthly_cost_usd}
            for i, s in enumerate(waterfall.steps)
        ]
        specs["levers"] = _spec(
            "Monthly COGS as each lever is added (USD)",
            rows,
            mark="bar",
            encoding={
                "x": {
                    "field": "step",
                    "type": "nominal",
                    "sort": {"field": "order"},
                    "title": None,
                },
                "y": {"field": "usd", "type": "quantitative", "title": "COGS a month"},
            },
        )
    if crossing is not None:
        s = crossing.serving
        specs["breakeven"] = _spec(
            f"API vs self-hosting {s.model} on {s.tp} x {s.gpu}: monthly cost of "
            f"{', '.join(crossing.features)}'s LLM calls (USD)",
            [
                {"queries": q, "series": series, "usd": usd}
                for q, api, own in zip(
                    crossing.volumes, crossing.api_usd, crossing.selfhost_usd, strict=True
                )
                for series, usd in (("API", api), ("self-hosted fleet", own))
            ],
            mark={"type": "line"},
            encoding={
                "x": {"field": "queries", "type": "quantitative", "title": "queries a month"},
                "y": {"field": "usd", "type": "quantitative", "title": "USD a month"},
                "color": {"field": "series", "type": "nominal", "title": None},
            },
        )
    return specs


def chart_png(spec: dict[str, Any]) -> bytes:
    """`spec` rendered to PNG (vl-convert: no browser, no network)."""
    import vl_convert

    return bytes(vl_convert.vegalite_to_png(spec, scale=2))
