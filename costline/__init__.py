"""costline: the unit economics of an AI product's training and inference cost lines.

    >>> import costline
    >>> cl = costline.Costline()
    >>> result = cl.run("examples/support-copilot.yaml")

`Costline` answers every question the command line does, with typed results; see
`help(costline.Costline)`. Names are imported on first use, so `import costline` is quick.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

from costline._version import __version__

if TYPE_CHECKING:
    from costline.api import Classified, Costline, Fitted, Written
    from costline.engine.result import Result
    from costline.engine.run import run_scenario
    from costline.errors import CostlineError, InputError, ScenarioError
    from costline.report.json_report import to_json
    from costline.scenario.load import load_scenario, parse_scenario
    from costline.scenario.models import Scenario

_EXPORTS = {
    "Costline": "costline.api",
    "Classified": "costline.api",
    "Fitted": "costline.api",
    "Written": "costline.api",
    "Result": "costline.engine.result",
    "Scenario": "costline.scenario.models",
    "load_scenario": "costline.scenario.load",
    "parse_scenario": "costline.scenario.load",
    "run_scenario": "costline.engine.run",
    "to_json": "costline.report.json_report",
    "CostlineError": "costline.errors",
    "InputError": "costline.errors",
    "ScenarioError": "costline.errors",
}

__all__ = [
    "Classified",
    "Costline",
    "CostlineError",
    "Fitted",
    "InputError",
    "Result",
    "Scenario",
    "ScenarioError",
    "Written",
    "__version__",
    "load_scenario",
    "parse_scenario",
    "run_scenario",
    "to_json",
]


def __getattr__(name: str) -> Any:
    # PEP 562: the engine (numpy, pydantic models) loads only when a name is first used
    if name in _EXPORTS:
        value = getattr(importlib.import_module(_EXPORTS[name]), name)
        globals()[name] = value
        return value
    raise AttributeError(f"module 'costline' has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted(__all__)
