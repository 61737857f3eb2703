"""Shared fixtures: the real bundled price catalog (offline) and a fixed as-of date."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from costline.catalog.prices import PriceCatalog

ROOT = Path(__file__).resolve().parent.parent
EXAMPLES = ROOT / "examples"
AS_OF = dt.date(2026, 11, 26)


@pytest.fixture(scope="session")
def catalog() -> PriceCatalog:
    return PriceCatalog()


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption(
        "--update-golden",
        action="store_true",
        help="Rewrite tests/golden/ from the current output; review the diff before committing.",
    )


@pytest.fixture
def update_golden(request: pytest.FixtureRequest) -> bool:
    return bool(request.config.getoption("--update-golden"))
