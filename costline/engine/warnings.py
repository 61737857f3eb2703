"""Warnings an investor would raise, each with a stable code.

COGS_SHARE_HIGH          blended inference COGS above the threshold share of ARPU (30%)
GROSS_MARGIN_LOW         blended gross margin below the threshold (50%)
PLAN_NEGATIVE_MARGIN     a paid plan whose mean user costs more than the plan price
                         (inference, and the monthly rows that grow with each user)
HEAVY_USER_UNPROFITABLE  a paid plan whose p95 user costs more than the plan price
OUTPUT_DOMINATES         output tokens are most of a feature's cost per query (not for a model
                         whose output tokens are the images or speech it makes)
PRODUCT_AS_TOKENS        a model bills its product (images, speech, pages) as text tokens: the
                         feature's token counts must count that product
MARGIN_FALLS_BELOW       a later month's gross margin drops below the threshold
"""

from __future__ import annotations

from costline.engine.result import Blended, CostWarning, FeatureResult, Month, PlanResult
from costline.scenario.models import Thresholds


def _pct(share: float) -> str:
    return f"{share * 100:.1f}%"


def find_warnings(
    thresholds: Thresholds,
    features: list[FeatureResult],
    plans: list[PlanResult],
    blended: Blended,
    timeline: list[Month],
) -> list[CostWarning]:
    """Every warning that applies, in a stable order."""
    out: list[CostWarning] = []
    if blended.arpu_usd <= 0:
        out.append(
            CostWarning(
                code="NO_REVENUE",
                subject="blended",
                message=f"No plan charges anything: inference alone costs "
                f"${blended.inference_cost_usd:,.2f} a month with no revenue to set it against.",
            )
        )
    share = blended.cogs_share_of_arpu
    if share is not None and share > thresholds.cogs_share_max:
        out.append(
            CostWarning(
                code="COGS_SHARE_HIGH",
                subject="blended",
                message=f"Inference COGS is {_pct(share)} of ARPU "
                f"(${blended.inference_cost_per_user_usd:.2f} of ${blended.arpu_usd:.2f}); "
                f"investors look for under {_pct(thresholds.cogs_share_max)}.",
            )
        )
    margin = blended.gross_margin
    if margin is not None and margin < thresholds.gross_margin_min:
        out.append(
            CostWarning(
                code="GROSS_MARGIN_LOW",
                subject="blended",
                message=f"Blended gross margin is {_pct(margin)}, below "
                f"{_pct(thresholds.gross_margin_min)}.",
            )
        )
    for plan in plans:
        if plan.price_usd_per_month <= 0:
            continue
        other = plan.variable_cost_per_user_usd
        plan_margin = plan.contribution_margin if other else plan.gross_margin
        if plan_margin is not None and plan_margin < 0:
            plus = f" plus ${other:.2f} of per-user and revenue-share rows" if other else ""
            out.append(
                CostWarning(
                    code="PLAN_NEGATIVE_MARGIN",
                    subject=plan.name,
                    message=f"Plan {plan.name!r}: the average user costs "
                    f"${plan.cost_per_user.mean:.2f} a month in inference{plus} against a "
                    f"price of ${plan.price_usd_per_month:.2f}.",
                )
            )
        if plan.cost_per_user.p95 > plan.price_usd_per_month:
            out.append(
                CostWarning(
                    code="HEAVY_USER_UNPROFITABLE",
                    subject=plan.name,
                    message=f"Plan {plan.name!r}: the p95 user costs "
                    f"${plan.cost_per_user.p95:.2f} a month against a price of "
                    f"${plan.price_usd_per_month:.2f}; "
                    f"{_pct(plan.share_of_users_costing_more_than_price or 0.0)} of its users cost "
                    "more than they pay. Consider a quota or usage-based pricing.",
                )
            )
    for feature in features:
        made = [m for m in feature.models if m.product_tokens]
        for model in made:
            part = model.product_tokens
            per_call = (
                feature.output_tokens_per_call
                if part == "output"
                else feature.input_tokens_per_call
            )
            out.append(
                CostWarning(
                    code="PRODUCT_AS_TOKENS",
                    subject=feature.name,
                    message=f"Feature {feature.name!r}: {model.ref!r} bills {model.product_what} "
                    f"as {part} tokens, so {part}_tokens ({per_call:,.0f} a call) must count "
                    "those tokens as the vendor's page gives them, not text.",
                )
            )
        output_is_product = made and all(m.product_tokens == "output" for m in feature.models)
        if feature.output_share > thresholds.output_share_max and not output_is_product:
            out.append(
                CostWarning(
                    code="OUTPUT_DOMINATES",
                    subject=feature.name,
                    message=f"Feature {feature.name!r}: output tokens are "
                    f"{_pct(feature.output_share)} of the cost per query "
                    f"({feature.output_tokens_per_call:,.0f} tokens a call). Output length is "
                    "a COGS policy: a cap or a terser prompt cuts cost almost one for one.",
                )
            )
    for feature in features:
        for model in feature.models:
            canonical = f"{model.provider}:{model.model_id}"
            if not model.is_override and model.ref.lower() != canonical.lower():
                out.append(
                    CostWarning(
                        code="MODEL_MATCHED_AS",
                        subject=feature.name,
                        message=f"Feature {feature.name!r}: {model.ref!r} is priced as the "
                        f"catalog's {canonical!r}; write that reference if it is the model "
                        "you mean (a typo would otherwise go unnoticed).",
                    )
                )
    below = [
        m
        for m in timeline[1:]
        if m.gross_margin is not None and m.gross_margin < thresholds.gross_margin_min
    ]
    if below and (margin is None or margin >= thresholds.gross_margin_min):
        first = below[0]
        assert first.gross_margin is not None
        out.append(
            CostWarning(
                code="MARGIN_FALLS_BELOW",
                subject="timeline",
                message=f"Gross margin falls to {_pct(first.gross_margin)} in {first.month}, "
                f"below {_pct(thresholds.gross_margin_min)}.",
            )
        )
    return out
