"""The Result as one JSON document (the same keys as the `Result` model)."""

from __future__ import annotations

from costline.engine.result import Result


def render_json(result: Result) -> str:
    """`result` as indented JSON: USD amounts, fractions for shares, ISO dates."""
    return result.model_dump_json(indent=2)
