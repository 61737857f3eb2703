"""The line-item rules of `catalog/data/classify_rules.yml`, compiled."""

from __future__ import annotations

import re
from functools import cache

from costline.catalog._data import one_line, read_data
from costline.engine.classify import Rule


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
            )
        )
    return tuple(out)
