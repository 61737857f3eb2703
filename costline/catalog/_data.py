"""Reading the sourced YAML files shipped in `costline/catalog/data/`."""

from __future__ import annotations

from importlib import resources
from typing import Any

import yaml


def read_data(name: str) -> Any:
    """The parsed YAML data file `name` (packaged with costline; no network)."""
    text = resources.files("costline.catalog").joinpath("data", name).read_text("utf-8")
    return yaml.safe_load(text)


def one_line(value: Any) -> str:
    """Folded YAML text (sources, notes) as one line; empty for None."""
    return " ".join(str(value or "").split())
