"""Shared fixtures: the library face the CLI uses (every shipped catalog, offline), the
price catalog, and a fixed as-of date."""

from __future__ import annotations

import datetime as dt
import os
import shutil
from pathlib import Path

import pytest

from costline.api import Costline
from costline.catalog.prices import PriceCatalog

ROOT = Path(__file__).resolve().parent.parent
EXAMPLES = ROOT / "examples"
AS_OF = dt.date(2026, 11, 26)


LIBRARY = Costline(as_of=AS_OF)
"""The same `Costline` every CLI command builds, at the tests' as-of date; test modules'
helpers run scenarios through it (catalogs load once for the session)."""


@pytest.fixture(scope="session")
def cl() -> Costline:
    return LIBRARY


@pytest.fixture(scope="session")
def catalog(cl: Costline) -> PriceCatalog:
    return cl.catalogs.prices


@pytest.fixture(scope="session")
def chromium() -> str:
    """Debian's Chromium, which Playwright drives (it downloads no browser of its own)."""
    found = shutil.which("chromium")
    if found is None:
        if os.environ.get("CI"):
            pytest.fail("Chromium is missing: .ci/run installs Debian's chromium")
        pytest.skip("Chromium not installed (apt-get install chromium)")
    return found


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    # tests that need a program from Debian's packages say so: -m "not libreoffice"
    for item in items:
        fixtures = getattr(item, "fixturenames", ())
        if "soffice" in fixtures:
            item.add_marker(pytest.mark.libreoffice)
        if "chromium" in fixtures:
            item.add_marker(pytest.mark.chromium)


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption(
        "--update-golden",
        action="store_true",
        help="Rewrite tests/golden/ from the current output; review the diff before committing.",
    )


@pytest.fixture
def update_golden(request: pytest.FixtureRequest) -> bool:
    return bool(request.config.getoption("--update-golden"))
