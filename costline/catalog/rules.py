"""The line-item rules of `catalog/data/classify_rules.yml`, compiled."""

from __future__ import annotations

import re
from functools import cache

from costline.catalog._data import one_line, read_data
from costline.catalog.types import Rule


def _compile(patterns: list[str]) -> tuple[re.Pattern[str], ...]:
    return tuple(re.compile(p, re.IGNORECASE) for p in patterns)


@cache
def load_rules() -> tuple[Rule, ...]:
    """Every rule, in file order."""
    out = []
    for row in read_data("classify_rules.yml")["rules"]:
        out.append(
            Rule(
                id=row["id"],
                bucket=row["bucket"],
                weight=float(row.get("weight", 0)),
                patterns=_compile(row["patterns"]),
                reason=one_line(row["reason"]),
                context=_compile(row.get("with", [])) if row.get("context") else (),
                weak=bool(row.get("weak", False)),
                default=row.get("default", "inference"),
                negates=bool(row.get("negates", False)),
            )
        )
    return tuple(out)


HELD_OUT_EVERY = 4
"""Every 4th labelled line (the 1st, 5th, ...) is held out of training, for the tests."""


@cache
def labelled_lines() -> tuple[tuple[str, str], ...]:
    """(description, bucket) of the labelled set `catalog/data/line_items.csv`."""
    import csv
    import io
    from importlib import resources

    text = resources.files("costline.catalog").joinpath("data", "line_items.csv").read_text("utf-8")
    return tuple((r["description"], r["bucket"]) for r in csv.DictReader(io.StringIO(text)))


def split_labelled() -> tuple[list[tuple[str, str]], list[tuple[str, str]]]:
    """(training part, held-out part) of the labelled set."""
    lines = labelled_lines()
    return (
        [x for i, x in enumerate(lines) if i % HELD_OUT_EVERY != 0],
        [x for i, x in enumerate(lines) if i % HELD_OUT_EVERY == 0],
    )
