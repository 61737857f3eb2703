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

import itertools
import re
from dataclasses import dataclass

import numpy as np
from pydantic import BaseModel, ConfigDict

from costline.catalog.types import BUCKETS, Rule

LOW_CONFIDENCE = 0.6
"""Below this a classification is flagged: the reason says what would decide it."""
LEARNED_MIN = 0.6
"""The learned backup overrides unsure rules only when it is at least this sure."""


class Classification(BaseModel):
    """One line's bucket, how sure, and why."""

    model_config = ConfigDict(frozen=True, defer_build=True)

    description: str
    amount: float | None = None
    bucket: str
    confidence: float
    """0 to 1: the winning bucket's share of the weight (lower when only hints matched)."""
    reason: str
    rules: list[str] = []
    """Ids of the rules that matched."""


def classify(
    description: str,
    rules: tuple[Rule, ...],
    amount: float | None = None,
    model: TextModel | None = None,
) -> Classification:
    """`description`'s bucket, confidence and reason under `rules`; where no rule matches,
    the learned `model` decides if it is at least LEARNED_MIN sure."""
    ruled = _by_rules(description, rules, amount)
    # the learned backup speaks only where no rule does: an ambiguity a rule explains keeps
    # its explained default (naive Bayes is overconfident on a two-word line)
    if model is None or ruled.rules:
        return ruled
    p = model.probabilities(description)
    best = int(p.argmax())
    if p[best] < LEARNED_MIN or p[best] <= ruled.confidence:
        return ruled
    learned = BUCKETS[best]
    # a guess from resemblance is always flagged for review (below LOW_CONFIDENCE)
    return ruled.model_copy(
        update={
            "bucket": learned,
            "confidence": round(float(min(p[best], 0.9)) * 0.6, 3),
            "reason": f"no rule matches; it reads most like the {learned} lines of costline's "
            f"{model.examples} labelled examples (a guess: say what the spend runs, a training "
            "job, a product feature or the office, to settle it)",
            "rules": ["learned"],
        }
    )


def _by_rules(
    description: str, rules: tuple[Rule, ...], amount: float | None = None
) -> Classification:
    """The rules' bucket, confidence and reason for `description`."""
    text = " ".join(description.split())
    # "serving only (excl. training cluster)": the ruled-out words must not vote
    rest = text
    negations = {}
    for rule in rules:
        if rule.negates and (found := rule.match(text)) is not None:
            negations[rule.id] = found
            for start, end in rule.spans(text):
                rest = rest[:start] + " " * (end - start) + rest[end:]
    score = dict.fromkeys(BUCKETS, 0.0)
    evidence: dict[str, list[tuple[float, str]]] = {b: [] for b in BUCKETS}
    ambiguous: list[tuple[str, str]] = []
    matched: list[str] = []
    strong = False
    for rule in rules:
        found = negations.get(rule.id) if rule.negates else rule.match(rest)
        if found is None:
            continue
        matched.append(rule.id)
        why = rule.reason.replace("{match}", f'"{found}"')
        if rule.bucket == "ambiguous":
            ambiguous.append((why, rule.default))
            continue
        score[rule.bucket] += rule.weight
        evidence[rule.bucket].append((rule.weight, why))
        strong = strong or not rule.weak
    total = sum(score.values())
    if total == 0:
        if ambiguous:
            why, default = ambiguous[0]
            counted = (
                "counted as inference until told otherwise (a cost of unknown purpose is safer "
                "in COGS)"
                if default == "inference"
                else f"counted as {default} until told otherwise"
            )
            return Classification(
                description=description,
                amount=amount,
                bucket=default,
                confidence=0.3,
                reason=f"{why}; {counted}",
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
    why = max(evidence[bucket])[1]
    if not strong:
        # hints only (a vendor's name, a class of hardware): flag it, say what would decide
        confidence *= 0.5
        why += (
            f"; but {ambiguous[0][0]}"
            if ambiguous
            else "; what it was used for (product traffic, training or internal use) decides it"
        )
    elif ambiguous and confidence < 1:
        confidence *= 0.9
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

    model_config = ConfigDict(frozen=True, defer_build=True)

    bucket: str
    lines: int
    amount: float
    share_of_amount: float | None
    """Its share of the bill's total amount (None when no line has an amount)."""


class BillSummary(BaseModel):
    """A bill sorted into Training, Inference and other."""

    model_config = ConfigDict(frozen=True, defer_build=True)

    totals: list[BucketTotal]
    lines: int
    amount: float
    """USD, every line's amount: what the buckets' shares are of."""
    low_confidence: int
    """Lines below LOW_CONFIDENCE: check them."""
    without_amount: int = 0
    """Lines with no amount, when others have one: they are in no money total."""
    margin_movers: list[Classification]
    """The largest inference lines, each line's amounts summed: the recurring costs that
    move gross margin most."""


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
    # a bill repeats a line (one a day, one a resource): movers are summed by line
    summed: dict[str, Classification] = {}
    for i in items:
        if i.bucket == "inference" and i.amount:
            was = summed.get(i.description)
            amount = i.amount + (was.amount or 0.0 if was else 0.0)
            summed[i.description] = i.model_copy(update={"amount": amount})
    movers = sorted(
        (i for i in summed.values() if (i.amount or 0.0) > 0), key=lambda i: -(i.amount or 0.0)
    )[:top]
    return BillSummary(
        totals=totals,
        lines=len(items),
        amount=sum(t.amount for t in totals),
        low_confidence=sum(1 for i in items if i.confidence < LOW_CONFIDENCE),
        without_amount=(
            sum(1 for i in items if i.amount is None)
            if any(i.amount is not None for i in items)
            else 0
        ),
        margin_movers=movers,
    )


class Miss(BaseModel):
    """A line where the classifier and the user's label differ."""

    model_config = ConfigDict(frozen=True, defer_build=True)

    line: int
    """The line number in the user's file."""
    description: str
    expected: str
    said: str
    confidence: float
    reason: str


class Agreement(BaseModel):
    """How the classifier's buckets compare with labels the user gave."""

    model_config = ConfigDict(frozen=True, defer_build=True)

    lines: int
    """Lines with a label (lines without one are not scored)."""
    unscored: int = 0
    """Lines without a label, or with one that is not a bucket."""
    agreed: int
    accuracy: float | None
    """agreed / lines (None when no line has a label)."""
    confusion: dict[str, dict[str, int]]
    """confusion[expected][said]: line counts."""
    misses: list[Miss]
    """Every line that differs, the unsure ones (lowest confidence) first."""


def agreement(items: list[tuple[int, Classification, str]], unscored: int = 0) -> Agreement:
    """Compare (line number, classification, expected bucket) triples: accuracy, the
    confusion table and the lines that differ; `unscored` lines had no usable label."""
    confusion = {e: dict.fromkeys(BUCKETS, 0) for e in BUCKETS}
    misses = []
    for line, c, expected in items:
        confusion[expected][c.bucket] += 1
        if c.bucket != expected:
            misses.append(
                Miss(
                    line=line,
                    description=c.description,
                    expected=expected,
                    said=c.bucket,
                    confidence=c.confidence,
                    reason=c.reason,
                )
            )
    agreed = len(items) - len(misses)
    return Agreement(
        lines=len(items),
        unscored=unscored,
        agreed=agreed,
        accuracy=agreed / len(items) if items else None,
        confusion=confusion,
        misses=sorted(misses, key=lambda m: (m.confidence, m.line)),
    )


WORD = re.compile(r"[a-z][a-z0-9]+")


def text_features(text: str) -> list[str]:
    """Words, word pairs and 4-letter pieces of words of a line, lowercased: what the
    learned backup compares (pieces catch 'labelling' and 'labeled', 'p4d.24xlarge')."""
    words = WORD.findall(text.lower())
    pairs = [f"{a}_{b}" for a, b in itertools.pairwise(words)]
    pieces = [f"#{w[i : i + 4]}" for w in words if len(w) > 4 for i in range(len(w) - 3)]
    return words + pairs + pieces


@dataclass(frozen=True)
class TextModel:
    """A multinomial naive Bayes over `text_features`, learned from labelled lines."""

    vocabulary: dict[str, int]
    log_prior: np.ndarray
    log_likelihood: np.ndarray
    """Per bucket (BUCKETS order), per feature."""
    examples: int

    def probabilities(self, text: str) -> np.ndarray:
        """Each bucket's probability for `text` (BUCKETS order)."""
        scores = self.log_prior.copy()
        for f in text_features(text):
            j = self.vocabulary.get(f)
            if j is not None:
                scores += self.log_likelihood[:, j]
        scores -= scores.max()
        p = np.exp(scores)
        return p / p.sum()


def text_model_bytes(model: TextModel) -> bytes:
    """`model` as bytes (an .npz), to keep it between processes."""
    import io
    import json

    out = io.BytesIO()
    np.savez(
        out,
        vocabulary=np.array(json.dumps(model.vocabulary)),
        log_prior=model.log_prior,
        log_likelihood=model.log_likelihood,
        examples=np.array(model.examples),
    )
    return out.getvalue()


def text_model_from_bytes(data: bytes) -> TextModel:
    """The `TextModel` that `text_model_bytes` wrote."""
    import io
    import json

    with np.load(io.BytesIO(data), allow_pickle=False) as f:
        return TextModel(
            vocabulary=json.loads(str(f["vocabulary"])),
            log_prior=f["log_prior"],
            log_likelihood=f["log_likelihood"],
            examples=int(f["examples"]),
        )


def train_text_model(examples: list[tuple[str, str]], alpha: float = 0.3) -> TextModel:
    """The naive Bayes of `examples` ((line, bucket) pairs), Laplace-smoothed by `alpha`."""
    vocabulary: dict[str, int] = {}
    rows = []
    for text, bucket in examples:
        feats = text_features(text)
        for f in feats:
            vocabulary.setdefault(f, len(vocabulary))
        rows.append((BUCKETS.index(bucket), feats))
    counts = np.zeros((len(BUCKETS), len(vocabulary)))
    prior = np.zeros(len(BUCKETS))
    for b, feats in rows:
        prior[b] += 1
        for f in feats:
            counts[b, vocabulary[f]] += 1
    smoothed = counts + alpha
    return TextModel(
        vocabulary=vocabulary,
        log_prior=np.log((prior + 1) / (prior.sum() + len(BUCKETS))),
        log_likelihood=np.log(smoothed / smoothed.sum(axis=1, keepdims=True)),
        examples=len(examples),
    )


def placement_warnings(
    monthly: list[str],
    one_time: list[tuple[str, bool]],
    rules: tuple[Rule, ...],
    model: TextModel | None = None,
) -> list[tuple[str, str, str]]:
    """(code, subject, message) for cost rows the classifier would place elsewhere:
    `monthly` row names, and `one_time` (name, kind given explicitly) rows.

    CAPEX_IN_MONTHLY   a monthly row that reads as training: one-time spend in COGS
    COGS_IN_ONE_TIME   a one-time row without a kind that reads as inference: recurring
                       COGS amortised as CapEx flatters the margin
    UNCLEAR_COST_LINE  a row the classifier is unsure of (the reason says what decides)
    """
    out = []
    for name in monthly:
        c = classify(name, rules, model=model)
        recurring_tool = "training-tooling" in c.rules
        if c.bucket == "training" and c.confidence >= LOW_CONFIDENCE and not recurring_tool:
            out.append(
                (
                    "CAPEX_IN_MONTHLY",
                    name,
                    f"Monthly row {name!r} reads as training ({c.reason}): one-time spend "
                    "belongs in one_time, amortised, not in monthly COGS.",
                )
            )
        elif c.bucket != "other" and c.confidence < LOW_CONFIDENCE:
            out.append(("UNCLEAR_COST_LINE", name, f"Monthly row {name!r}: {c.reason}."))
    for name, explicit in one_time:
        if explicit:
            continue
        c = classify(name, rules, model=model)
        if c.bucket == "inference":
            sure = "" if c.confidence >= LOW_CONFIDENCE else " (not sure: say what it is)"
            out.append(
                (
                    "COGS_IN_ONE_TIME",
                    name,
                    f"One-time row {name!r} reads as inference{sure} ({c.reason}): it is "
                    "amortised as CapEx here, which flatters the gross margin; make it a monthly "
                    "row, or give it a kind if it really is one-time.",
                )
            )
        elif c.confidence < LOW_CONFIDENCE and c.bucket != "other":
            out.append(("UNCLEAR_COST_LINE", name, f"One-time row {name!r}: {c.reason}."))
    return out
