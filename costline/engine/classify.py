"""Sort a cost line into Training (one-time spend that manufactures a model), Inference
(spend on every user request: COGS) or other, with the reason and a confidence.

Pure: the rules come in (catalog/data/classify_rules.yml, read by catalog/rules.py). Every
matching rule adds its weight to its bucket; a context rule counts only when its `with`
pattern matches too, so "GPU hours" next to "distillation" is training and next to
"endpoint" inference. A line only ambiguous rules match is counted as inference with a low
confidence (a cost of unknown purpose is safer in COGS than out of it), and the reason says
what would decide it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from pydantic import BaseModel, ConfigDict

BUCKETS = ("training", "inference", "other")
LOW_CONFIDENCE = 0.6
"""Below this a classification is flagged: the reason says what would decide it."""


@dataclass(frozen=True)
class Rule:
    """One signal: patterns, the bucket they point to and how strongly."""

    id: str
    bucket: str
    """training, inference, other, or ambiguous (no weight; only a reason)."""
    weight: float
    patterns: tuple[re.Pattern[str], ...]
    reason: str
    context: tuple[re.Pattern[str], ...] = ()
    """When given, the rule counts only if one of these matches too."""
    weak: bool = False
    """A hint, not evidence: a line only weak rules match gets a lower confidence."""

    def match(self, text: str) -> str | None:
        """The words that made the rule match `text`, or None."""
        found = next((m.group(0) for p in self.patterns if (m := p.search(text))), None)
        if found is None:
            return None
        if self.context and not any(p.search(text) for p in self.context):
            return None
        return found


class Classification(BaseModel):
    """One line's bucket, how sure, and why."""

    model_config = ConfigDict(frozen=True)

    description: str
    amount: float | None = None
    bucket: str
    confidence: float
    """0 to 1: the winning bucket's share of the weight (lower when only hints matched)."""
    reason: str
    rules: list[str] = []
    """Ids of the rules that matched."""


def classify(
    description: str, rules: tuple[Rule, ...], amount: float | None = None
) -> Classification:
    """`description`'s bucket, confidence and reason under `rules`."""
    text = " ".join(description.split())
    score = dict.fromkeys(BUCKETS, 0.0)
    evidence: dict[str, list[tuple[float, str]]] = {b: [] for b in BUCKETS}
    ambiguous: list[str] = []
    matched: list[str] = []
    strong = False
    for rule in rules:
        found = rule.match(text)
        if found is None:
            continue
        matched.append(rule.id)
        why = rule.reason.replace("{match}", f'"{found}"')
        if rule.bucket == "ambiguous":
            ambiguous.append(why)
            continue
        score[rule.bucket] += rule.weight
        evidence[rule.bucket].append((rule.weight, why))
        strong = strong or not rule.weak
    total = sum(score.values())
    if total == 0:
        if ambiguous:
            return Classification(
                description=description,
                amount=amount,
                bucket="inference",
                confidence=0.3,
                reason=f"{ambiguous[0]}; counted as inference until told otherwise (a cost of "
                "unknown purpose is safer in COGS)",
                rules=matched,
            )
        return Classification(
            description=description,
            amount=amount,
            bucket="other",
            confidence=0.4,
            reason="no training or inference signal: a cost of running the company (say what it "
            "runs to place it)",
            rules=matched,
        )
    bucket = max(BUCKETS, key=lambda b: (score[b], -BUCKETS.index(b)))
    confidence = score[bucket] / total
    if not strong:
        confidence *= 0.7
    if ambiguous and confidence < 1:
        confidence *= 0.9
    why = max(evidence[bucket])[1]
    rivals = [b for b in BUCKETS if b != bucket and score[b] > 0]
    if rivals:
        rival = max(rivals, key=lambda b: score[b])
        why += f"; it also reads as {rival} ({max(evidence[rival])[1]})"
    return Classification(
        description=description,
        amount=amount,
        bucket=bucket,
        confidence=round(confidence, 3),
        reason=why,
        rules=matched,
    )


class BucketTotal(BaseModel):
    """One bucket's lines and money."""

    model_config = ConfigDict(frozen=True)

    bucket: str
    lines: int
    amount: float
    share_of_amount: float | None
    """Its share of the bill's total amount (None when no line has an amount)."""


class BillSummary(BaseModel):
    """A bill sorted into Training, Inference and other."""

    model_config = ConfigDict(frozen=True)

    totals: list[BucketTotal]
    low_confidence: int
    """Lines below LOW_CONFIDENCE: check them."""
    margin_movers: list[Classification]
    """The largest inference lines: the recurring costs that move gross margin most."""


def summarise_bill(items: list[Classification], top: int = 5) -> BillSummary:
    """Totals by bucket and the inference lines that weigh most on margin."""
    amount = sum(i.amount or 0.0 for i in items)
    totals = [
        BucketTotal(
            bucket=b,
            lines=sum(1 for i in items if i.bucket == b),
            amount=sum(i.amount or 0.0 for i in items if i.bucket == b),
            share_of_amount=(
                sum(i.amount or 0.0 for i in items if i.bucket == b) / amount if amount else None
            ),
        )
        for b in BUCKETS
    ]
    movers = sorted(
        (i for i in items if i.bucket == "inference" and i.amount),
        key=lambda i: -(i.amount or 0.0),
    )[:top]
    return BillSummary(
        totals=totals,
        low_confidence=sum(1 for i in items if i.confidence < LOW_CONFIDENCE),
        margin_movers=movers,
    )
