"""Vega-Lite specs of a result's charts: one spec each, for the HTML page (rendered in the
browser) and the Markdown report (rendered to PNG by vl-convert)."""

from __future__ import annotations

from typing import Any

from costline.engine.breakeven import Breakeven
from costline.engine.result import Result
from costline.engine.waterfall import Waterfall

SCHEMA = "https://vega.github.io/schema/vega-lite/v6.json"
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
            {
                "mark": {
                    "type": "point",
                    "shape": "diamond",
                    "filled": True,
                    "size": 90,
                    "color": "#2ca02c",
                },
                "encoding": {
                    "x": {"field": "plan", "type": "nominal"},
                    "y": {"field": "price", "type": "quantitative"},
                    "tooltip": [{"field": "price", "title": "plan price", "format": "$.2f"}],
                },
            },
        ],
    )
    specs["cost-per-user"]["title"] = {
        "text": "Inference cost per user a month, by plan",
        "subtitle": "bar: mean user; black tick: median; red tick: p95 user; green diamond: "
        "the plan's price",
    }
    for layer in specs["cost-per-user"]["layer"]:
        layer["encoding"]["x"]["sort"] = [p.name for p in result.plans]
        layer["encoding"]["x"]["axis"] = {"labelAngle": 0}
    specs["scale"] = _spec(
        "The first month at 1x, 10x, 100x the users (USD a month)",
        [
            {"multiple": f"{p.multiple:g}x", "series": series, "usd": value}
            for p in result.scale
            for series, value in (
                ("revenue", p.revenue_usd),
                ("inference", p.inference_cost_usd),
                ("fixed + amortised", p.fixed_and_amortised_usd),
                *(
                    (("per user + revenue share", p.variable_cost_usd),)
                    if p.variable_cost_usd
                    else ()
                ),
            )
        ],
        mark="bar",
        encoding={
            "x": {"field": "multiple", "type": "nominal", "title": None, "sort": None},
            "xOffset": {"field": "series"},
            "y": {"field": "usd", "type": "quantitative", "title": "USD a month"},
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
        # the sweep runs far past the scenario: show up to 3x the larger of its last month
        # and the crossing, where the answer is
        last = max(crossing.timeline_queries or [0.0])
        cross = crossing.crossover_queries_per_month or 0.0
        limit = 3 * max(last, cross) or max(crossing.volumes)
        shown = [i for i, q in enumerate(crossing.volumes) if q <= limit]
        specs["breakeven"] = _spec(
            f"API vs self-hosting {s.model} on {s.tp} x {s.gpu}: monthly cost of "
            f"{', '.join(crossing.features)}'s LLM calls (USD)",
            [
                {"queries": crossing.volumes[i], "series": series, "usd": usd}
                for i in shown
                for series, usd in (
                    ("API", crossing.api_usd[i]),
                    ("self-hosted fleet", crossing.selfhost_usd[i]),
                )
            ],
            layer=[
                {
                    "mark": {"type": "line"},
                    "encoding": {
                        "x": {
                            "field": "queries",
                            "type": "quantitative",
                            "title": "queries a month",
                        },
                        "y": {"field": "usd", "type": "quantitative", "title": "USD a month"},
                        "color": {"field": "series", "type": "nominal", "title": None},
                    },
                },
                *(
                    [
                        {
                            "data": {"values": [{"queries": cross}]},
                            "mark": {"type": "rule", "strokeDash": [4, 4], "color": "#555555"},
                            "encoding": {"x": {"field": "queries", "type": "quantitative"}},
                        }
                    ]
                    if crossing.crossover_queries_per_month
                    else []
                ),
            ],
        )
        if crossing.crossover_queries_per_month:
            specs["breakeven"]["title"] = {
                "text": specs["breakeven"]["title"],
                "subtitle": f"dashed: self-hosting first costs no more at "
                f"{crossing.crossover_queries_per_month:,.0f} queries a month",
            }
    return specs


def chart_png(spec: dict[str, Any]) -> bytes:
    """`spec` rendered to PNG (vl-convert: no browser, no network)."""
    import vl_convert

    return bytes(vl_convert.vegalite_to_png(spec, scale=2))


def title_text(spec: dict[str, Any]) -> str:
    """A spec's title as plain text (a title may carry a subtitle)."""
    title = spec.get("title", "")
    if isinstance(title, dict):
        sub = title.get("subtitle")
        return str(title.get("text", "")) + (f" ({sub})" if sub else "")
    return str(title)
