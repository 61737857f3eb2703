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
