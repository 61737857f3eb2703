"""The shareable reports: one HTML page that renders every chart offline in a real browser
(Debian's Chromium driven by Playwright), and Markdown with the charts as PNG files."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from costline.cli import app

from .conftest import EXAMPLES

ARGS = ["--samples", "2000", "--users", "500", "--as-of", "2026-11-26"]


@pytest.mark.parametrize(
    "example, extra, last",
    [
        ("margin-levers.yaml", [], "chart-levers"),
        ("support-copilot.yaml", ["--self-host", "llama-3.1-70b@h100-sxm"], "chart-breakeven"),
    ],
)
def test_the_html_report_renders_every_chart_offline(chromium, tmp_path, example, extra, last):
    from playwright.sync_api import sync_playwright

    out = tmp_path / "report.html"
    result = CliRunner().invoke(
        app, ["report", str(EXAMPLES / example), "-o", str(out), *extra, *ARGS]
    )
    assert result.exit_code == 0, result.output
    requested: list[str] = []
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=chromium, args=["--no-sandbox"])
        page = browser.new_page(viewport={"width": 1100, "height": 900})
        page.on("request", lambda r: requested.append(r.url))
        page.goto(out.as_uri())
        charts = page.locator("div.chart")
        keys = [charts.nth(i).get_attribute("id") for i in range(charts.count())]
        assert keys == [
            "chart-revenue-vs-cogs",
            "chart-gross-margin",
            "chart-cost-per-user",
            "chart-scale",
            last,
        ]
        for key in keys:
            page.wait_for_selector(f"#{key} svg .mark-line, #{key} svg .mark-rect", timeout=20_000)
            marks = page.locator(f"#{key} svg path").count()
            assert marks > 3, key  # axes, grid and the marks themselves
        headings = page.locator("h2").all_inner_texts()
        assert ("Cases" in headings) == (example == "margin-levers.yaml")  # it has cases:
        page.screenshot(path=str(tmp_path / "report.png"), full_page=True)
        browser.close()
    # it opens offline: nothing but the file itself was fetched
    assert requested == [out.as_uri()]
    assert (tmp_path / "report.png").stat().st_size > 10_000


def test_the_markdown_report_has_its_charts_as_png_beside_it(tmp_path):
    out = tmp_path / "report.md"
    result = CliRunner().invoke(
        app, ["report", str(EXAMPLES / "support-copilot.yaml"), "-o", str(out), *ARGS]
    )
    assert result.exit_code == 0, result.output
    text = out.read_text()
    pngs = sorted((tmp_path / "report.charts").glob("*.png"))
    assert [p.name for p in pngs] == [
        "cost-per-user.png",
        "gross-margin.png",
        "revenue-vs-cogs.png",
        "scale.png",
    ]
    for png in pngs:
        assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and png.stat().st_size > 5_000
        assert f"(report.charts/{png.name})" in text


def test_report_refuses_a_bad_target(tmp_path):
    runner = CliRunner()
    path = str(EXAMPLES / "support-copilot.yaml")
    wrong = runner.invoke(app, ["report", path, "-o", str(tmp_path / "r.pdf"), *ARGS])
    assert wrong.exit_code == 2 and ".html or .md" in wrong.output
    missing = runner.invoke(app, ["report", path, "-o", str(tmp_path / "no" / "r.html"), *ARGS])
    assert missing.exit_code == 2 and "does not exist" in missing.output
    existing = tmp_path / "r.html"
    existing.write_text("mine")
    refused = runner.invoke(app, ["report", path, "-o", str(existing), *ARGS])
    assert refused.exit_code == 2 and existing.read_text() == "mine"
    assert not list(Path(tmp_path).glob(".*tmp"))


def test_the_html_report_shows_the_cases_and_the_retirement_warning(tmp_path):
    import html

    for example in ("margin-levers.yaml", "consumer-chat.yaml"):
        out = tmp_path / f"{example}.html"
        done = CliRunner().invoke(app, ["report", str(EXAMPLES / example), "-o", str(out), *ARGS])
        assert done.exit_code == 0, done.output
        page = html.unescape(out.read_text())
        if example == "margin-levers.yaml":
            cases = page.split("<h2>Cases</h2>")[1].split("</table>")[0]
            assert all(f"<th>{name}</th>" in cases for name in ("base", "low", "high"))
        else:
            assert "<b>MODEL_RETIRING</b> openai:gpt-4o-mini (chat-free)" in page
