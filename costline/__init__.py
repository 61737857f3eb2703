"""costline: the unit economics of an AI product's training and inference cost lines."""

from costline._version import __version__
from costline.engine.result import Result
from costline.engine.run import run_scenario
from costline.scenario.load import load_scenario, parse_scenario
from costline.scenario.models import Scenario

__all__ = ["Result", "Scenario", "__version__", "load_scenario", "parse_scenario", "run_scenario"]
