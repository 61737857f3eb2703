"""One self-contained HTML page of a result: the summary, the warnings and the charts
(Vega-Lite specs rendered by the Vega libraries embedded in the page: it opens offline)."""

from __future__ import annotations

import html
import json
from functools import cache
from typing import Any

from costline.engine.result import Result
from costline.report.cases import case_table
from costline.report.charts import title_text
from costline.report.format import (
    ACTION_HEADER,
    PLAN_FEE_HEADER,
    action_rows,
    catalog_label,
    count,
    pct,
    plan_fee_cells,
    usd,
)

STYLE = """
body { font-family: system-ui, sans-serif; margin: 2rem auto; max-width: 980px; color: #222; }
h1 { font-size: 1.5rem; } h2 { font-size: 1.15rem; margin-top: 2rem; }
table { border-collapse: collapse; margin: 0.5rem 0; }
td, th { border-bottom: 1px solid #ddd; padding: 4px 10px; text-align: right; }
td:first-child, th:first-child { text-align: left; }
.warning { background: #fff4e5; border-left: 4px solid #f0a020; padding: 6px 10px; }
.chart { margin: 1rem 0; min-height: 320px; }
.note { color: #666; font-size: 0.9rem; }
"""


def _table(header: list[str], rows: list[list[str]]) -> str:
    head = "".join(f"<th>{html.escape(h)}</th>" for h in header)
    body = "".join(
        "<tr>" + "".join(f"<td>{html.escape(c)}</td>" for c in row) + "</tr>" for row in rows
    )
    return f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"


@cache
def vega_bundle() -> str:
    """Vega, Vega-Lite and Vega-Embed as one script, from the vl-convert package (offline).

    Building it takes about a second; it is kept in the user's cache folder, keyed by
    costline's and vl-convert's versions."""
    from importlib.metadata import version

    from costline.cache import cached_bytes, entry

    path = entry("vega-bundle.js", version("vl-convert-python"))
    return cached_bytes(path, lambda: _build_vega_bundle().encode("utf-8")).decode("utf-8")


def _build_vega_bundle() -> str:
    import vl_convert

    # the stub marks `snippet` required; at run time it defaults to None (the bundle alone)
    bundle = vl_convert.javascript_bundle()  # type: ignore[call-arg]
    # inside an inline <script>, a closing tag or comment opener would end it early
    return bundle.replace("</script", "<\\/script").replace("<!--", "<\\!--")


def render_html(result: Result, specs: dict[str, dict[str, Any]], vega_bundle: str) -> str:
    """The page: every figure escaped, every chart a div its spec is rendered into."""
    b = result.blended
    name = result.scenario.name or "scenario"
    summary = _table(
        ["first month", b.month],
        [
            ["monthly active users", count(b.users)],
            ["revenue", usd(b.revenue_usd)],
            ["inference cost", usd(b.inference_cost_usd)],
            ["COGS (inference + fixed + fees and seats + amortised)", usd(b.cogs_usd)],
            ["gross margin", pct(b.gross_margin)],
            ["inference COGS / ARPU", pct(b.cogs_share_of_arpu)],
        ],
    )
    features = _table(
        ["feature", "cost per query mean", "median", "p95", "queries a month"],
        [
            [
                f.name,
                usd(f.cost_per_query.mean),
                usd(f.cost_per_query.median),
                usd(f.cost_per_query.p95),
                count(f.queries_per_month),
            ]
            for f in result.features
        ],
    )
    fees = plan_fee_cells(result.plans)
    plans = _table(
        ["plan", "price", "cost per user mean", "p95 user", "COGS / price"]
        + (PLAN_FEE_HEADER if any(fees) else []),
        [
            [
                p.name,
                usd(p.price_usd_per_month),
                usd(p.cost_per_user.mean),
                usd(p.cost_per_user.p95),
                pct(p.cogs_share_of_arpu),
                *fee,
            ]
            for p, fee in zip(result.plans, fees, strict=True)
        ],
    )
    warnings = (
        "".join(
            f'<p class="warning"><b>{html.escape(w.code)}</b> {html.escape(w.message)}</p>'
            for w in result.warnings
        )
        or "<p>None.</p>"
    )
    actions = (
        f"<h2>Cost per action</h2>{_table(ACTION_HEADER, action_rows(result.actions))}"
        if result.actions
        else ""
    )
    header, rows = case_table(result)
    cases = f"<h2>Cases</h2>{_table(header, rows)}" if rows else ""
    charts = "".join(
        f'<h2>{html.escape(title_text(spec))}</h2><div class="chart" id="chart-{key}"></div>'
        for key, spec in specs.items()
    )
    # the page's headings title the charts; `</` cannot close the script from inside JSON
    untitled = {key: {k: v for k, v in spec.items() if k != "title"} for key, spec in specs.items()}
    data = json.dumps(untitled).replace("</", "<\\/")
    return f"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8">
<title>costline: {html.escape(name)}</title>
<style>{STYLE}</style>
<script>{vega_bundle}</script>
</head><body>
<h1>{html.escape(name)}</h1>
<p class="note">Priced with {html.escape(catalog_label(result))}; seed
{result.simulation.seed}, {result.simulation.query_samples:,} simulated queries a feature.</p>
<h2>Summary</h2>{summary}
<h2>Warnings</h2>{warnings}
<h2>Features</h2>{features}
{actions}
<h2>Plans</h2>{plans}
{cases}
{charts}
<script>
const specs = {data};
for (const [key, spec] of Object.entries(specs)) {{
  vegaEmbed("#chart-" + key, spec, {{renderer: "svg", actions: false}})
    .catch(err => {{ document.getElementById("chart-" + key).textContent = String(err); }});
}}
</script>
</body></html>
"""
