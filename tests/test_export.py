"""The spreadsheet export, verified for real: LibreOffice (headless) recalculates the
workbook and every formula cell must equal the engine's figure; an assumption changed in
the workbook moves its dependents as the engine moves for the same change."""

from __future__ import annotations

import os
import shutil
import subprocess
import warnings
from pathlib import Path

import openpyxl
import pytest
from typer.testing import CliRunner

from costline.catalog.prices import PriceCatalog
from costline.cli import app
from costline.report.xlsx import write_workbook
from costline.scenario.load import load_scenario, parse_scenario

from .conftest import EXAMPLES, LIBRARY, ROOT

CATALOG = PriceCatalog()
RECALC = """<?xml version="1.0" encoding="UTF-8"?>
<oor:items xmlns:oor="http://openoffice.org/2001/registry"
 xmlns:xs="http://www.w3.org/2001/XMLSchema" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance">
<item oor:path="/org.openoffice.Office.Calc/Formula/Load"><prop oor:name="OOXMLRecalcMode"
 oor:op="fuse"><value>0</value></prop></item>
</oor:items>
"""


@pytest.fixture(scope="module")
def soffice() -> str:
    found = shutil.which("soffice")
    if found is None:
        if os.environ.get("CI"):
            pytest.fail("LibreOffice (soffice) is missing: .ci/run installs libreoffice-calc-nogui")
        pytest.skip("LibreOffice not installed (apt-get install libreoffice-calc-nogui)")
    return found


def recalculate(soffice: str, path: Path, tmp: Path) -> openpyxl.Workbook:
    """The workbook as LibreOffice computes it: recalculated on load (a throw-away profile
    sets OOXMLRecalcMode to always), saved again, read back as values."""
    profile = tmp / "profile"
    (profile / "user").mkdir(parents=True, exist_ok=True)
    (profile / "user" / "registrymodifications.xcu").write_text(RECALC)
    out = tmp / "recalculated"
    subprocess.run(
        [
            soffice,
            f"-env:UserInstallation={profile.as_uri()}",
            "--headless",
            "--convert-to",
            "xlsx",
            "--outdir",
            str(out),
            str(path),
        ],
        check=True,
        capture_output=True,
        timeout=180,
    )
    with warnings.catch_warnings():
        # openpyxl cannot parse the chart LibreOffice writes back; the cells are unaffected
        warnings.filterwarnings("ignore", "Unable to read chart", UserWarning)
        return openpyxl.load_workbook(out / path.name, data_only=True)


def run(scenario):
    return LIBRARY.run(scenario, seed=3, samples=5_000, users=2_000)


def formula_cells(path: Path) -> set[str]:
    book = openpyxl.load_workbook(path)
    return {
        f"{sheet.title}!{cell.coordinate}"
        for sheet in book.worksheets
        for row in sheet.iter_rows()
        for cell in row
        if cell.data_type == "f"
    }


def assert_matches(values: openpyxl.Workbook, expected: dict[str, float]) -> None:
    wrong = []
    for where, figure in expected.items():
        sheet, cell = where.split("!")
        got = values[sheet][cell].value
        if not isinstance(got, int | float) or abs(got - figure) > 1e-6 * max(1.0, abs(figure)):
            wrong.append((where, got, figure))
    assert not wrong, wrong[:10]


@pytest.mark.parametrize(
    "name",
    [
        "support-copilot.yaml",
        "self-hosted-assistant.yaml",
        "margin-levers.yaml",
        "meeting-notes.yaml",  # audio minutes and web searches: rows of their own
    ],
)
def test_every_formula_cell_equals_the_engines_figure(soffice, tmp_path, name):
    scenario = load_scenario(EXAMPLES / name)
    path = tmp_path / "model.xlsx"
    expected, unchecked = write_workbook(str(path), scenario, run(scenario))
    # every formula is checked, but a fleet's cost per query in a month with no query
    assert formula_cells(path) == set(expected) | unchecked
    assert len(expected) > 300
    assert_matches(recalculate(soffice, path, tmp_path), expected)


def test_a_changed_assumption_moves_its_dependents_as_the_engine_does(soffice, tmp_path):
    text = (ROOT / "tests" / "data" / "golden-scenario.yaml").read_text()
    scenario = parse_scenario(text, "yaml")
    path = tmp_path / "model.xlsx"
    write_workbook(str(path), scenario, run(scenario))

    # in the workbook: growth 20% -> 35% a month, the pro plan $12 -> $15 and 20% -> 40% of
    # users (free 80% -> 60%: the plan mix moves queries as well as revenue), and the
    # "frontier" model's input price $2.50 -> $4 per 1M tokens in every month
    book = openpyxl.load_workbook(path)
    sheet = book["Assumptions"]
    changed = 0
    for row in sheet.iter_rows():
        label = row[0].value
        if label == "User growth a month":
            row[1].value = 0.35
            changed += 1
        elif label == "pro":
            row[1].value = 15
            row[2].value = 0.4
            changed += 1
        elif label == "free":
            row[2].value = 0.6
            changed += 1
        elif row[1].value == "frontier" and row[2].value == "input":
            for cell in row[7:]:
                if cell.value == 2.5:
                    cell.value = 4.0
            changed += 1
    assert changed == 5  # growth, both plans, and the frontier input rows of both features
    book.save(path)

    # in the engine: the same changes to the scenario
    moved = parse_scenario(
        text.replace("monthly_growth: 0.2", "monthly_growth: 0.35")
        .replace("price_usd_per_month: 12, share: 0.2", "price_usd_per_month: 15, share: 0.4")
        .replace("price_usd_per_month: 0, share: 0.8", "price_usd_per_month: 0, share: 0.6")
        .replace("input_usd_per_mtok: 2.5", "input_usd_per_mtok: 4"),
        "yaml",
    )
    result = run(moved)
    values = recalculate(soffice, path, tmp_path)
    monthly = values["Monthly"]
    for j, month in enumerate(result.timeline):
        r = 3 + j
        assert monthly[f"B{r}"].value == pytest.approx(month.users, rel=1e-9)
        assert monthly[f"D{r}"].value == pytest.approx(month.queries, rel=1e-9)
        assert monthly[f"J{r}"].value == pytest.approx(month.revenue_usd, rel=1e-9)
        assert monthly[f"E{r}"].value == pytest.approx(month.inference_cost_usd, rel=1e-6)
        assert monthly[f"I{r}"].value == pytest.approx(month.cogs_usd, rel=1e-6)


def test_text_a_user_typed_never_becomes_a_formula(tmp_path):
    text = (ROOT / "tests" / "data" / "golden-scenario.yaml").read_text()
    typed = {
        "name: chat": """name: '=HYPERLINK("http://x","y")'""",
        "{name: free,": "{name: '+cmd|calc',",
        "name: tagging": "name: '-2+3'",
        "{name: hosting,": "{name: '@SUM(1)',",
    }
    for plain, hostile in typed.items():
        assert plain in text
        text = text.replace(plain, hostile)
    scenario = parse_scenario(text, "yaml")
    path = tmp_path / "model.xlsx"
    write_workbook(str(path), scenario, run(scenario))
    book = openpyxl.load_workbook(path)
    names = [
        cell
        for sheet in book.worksheets
        for row in sheet.iter_rows()
        for cell in row
        if isinstance(cell.value, str)
        and cell.value.startswith(("=HYPERLINK", "+cmd", "-2+3", "@SUM"))
    ]
    assert {cell.value[:4] for cell in names} == {"=HYP", "+cmd", "-2+3", "@SUM"}
    assert all(cell.data_type == "s" for cell in names)


def test_export_command_refuses_what_it_should_and_writes_atomically(tmp_path):
    runner = CliRunner()
    scenario = str(EXAMPLES / "support-copilot.yaml")
    out = tmp_path / "model.xlsx"
    args = ["export", scenario, "--samples", "1000", "--users", "100", "--as-of", "2026-11-26"]
    ok = runner.invoke(app, [*args, "-o", str(out)])
    assert ok.exit_code == 0, ok.output
    assert out.exists() and not list(tmp_path.glob(".*tmp*"))
    again = runner.invoke(app, [*args, "-o", str(out)])
    assert again.exit_code == 2 and "exists" in again.output
    assert runner.invoke(app, [*args, "-o", str(out), "--force"]).exit_code == 0
    missing = runner.invoke(app, [*args, "-o", str(tmp_path / "nope" / "m.xlsx")])
    assert missing.exit_code == 2 and "does not exist" in missing.output
    wrong = runner.invoke(app, [*args, "-o", str(tmp_path / "m.csv")])
    assert wrong.exit_code == 2 and ".xlsx" in wrong.output


def test_the_assumptions_sheet_says_how_each_feature_is_billed(tmp_path):
    path = tmp_path / "notes.xlsx"
    scenario = load_scenario(str(EXAMPLES / "meeting-notes.yaml"))
    write_workbook(str(path), scenario, LIBRARY.run(scenario))
    sheet = openpyxl.load_workbook(path)["Assumptions"]
    billing: dict[str, object] = {}
    for row in sheet.iter_rows():
        if row[0].value in {f.name for f in scenario.features}:
            billing.setdefault(row[0].value, row[4].value)  # the Features table comes first
    assert billing["transcription"] == "per input audio minute"
    assert billing["summary"] == "per token"
    assert billing["follow-up research"] == "per token + per 1K web searches"
