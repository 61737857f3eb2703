"""What the web page shows for a scenario and its sliders: one result, the levers
waterfall when the scenario has levers, and the API-vs-self-hosting crossing when asked."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict

from costline.engine.breakeven import Breakeven
from costline.engine.result import Result
from costline.engine.waterfall import Waterfall


class Evaluation(BaseModel):
    """A scenario run with its sliders set. `precision` says which figures these are: a
    quick `preview` (fewer Monte Carlo samples, for a slider being moved) or the `full`
    run `costline run` prints."""

    model_config = ConfigDict(frozen=True)

    precision: Literal["preview", "full"]
    result: Result
    waterfall: Waterfall | None = None
    crossing: Breakeven | None = None
