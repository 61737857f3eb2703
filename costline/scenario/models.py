"""Pydantic models of a scenario file: users and growth, plans, AI features, cost rows.

Every model forbids unknown keys, so a typo fails with its field path. Field docstrings
become descriptions in the JSON Schema (`costline schema`) and in error messages.
Money is USD; shares are fractions between 0 and 1; token counts are per LLM call.
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any, Literal

from pydantic import (
    Field,
    GetJsonSchemaHandler,
    ValidationError,
    ValidationInfo,
    field_validator,
    model_validator,
)
from pydantic.json_schema import JsonSchemaValue
from pydantic_core import PydanticCustomError, core_schema

from costline.catalog.units import USAGE_UNIT_NAMES
from costline.scenario.common import (
    DAYS_IN_MONTH,
    SHARE_SUM_TOLERANCE,
    ModelRef,
    NonNegative,
    Positive,
    PriceOverride,
    ServiceTier,
    Share,
    StrictModel,
    YearMonth,
    add_months,
    parse_year_month,
    reads_as_number,
    yaml_float,
)
from costline.scenario.levers import Levers
from costline.scenario.selfhost import SelfHostedDeployment
from costline.settings import (
    MAX_GPUS,
    MAX_PARAMS,
    MAX_QUERIES_PER_USER_DAY,
    MAX_TRAINING_TOKENS,
    MAX_USD_PER_GPU_HOUR,
    MAX_USERS,
)

_Model = StrictModel
SELF_HOSTED_LEVERS = ("response_cache", "compression", "caps")
"""Levers that change what a self-hosted feature's own fleet serves."""
__all__ = ["PriceOverride", "add_months", "parse_year_month"]


class Quantity(_Model):
    """A non-negative amount: a constant (a bare number), a lognormal given by its median
    and p95, or explicit samples drawn with replacement."""

    value: NonNegative | None = None
    """A constant amount."""
    median: NonNegative | None = None
    """Median of a lognormal distribution (needs `p95`)."""
    p95: NonNegative | None = None
    """95th percentile of the lognormal; at least the median."""
    samples: Annotated[list[NonNegative], Field(min_length=1)] | None = None
    """Observed values, e.g. from pilot logs; drawn with replacement."""

    @model_validator(mode="before")
    @classmethod
    def _bare_number(cls, data: Any) -> Any:
        if isinstance(data, int | float) and not isinstance(data, bool):
            return {"value": data}
        if isinstance(data, str) and reads_as_number(data):
            # YAML 1.1 reads 1e12 (no dot, no sign in the exponent) as text
            raise PydanticCustomError(
                "quantity_form",
                f"got the text {data!r}, which YAML does not read as a number; write "
                f"{yaml_float(data)} (or the number in full)",
                {},
            )
        if not isinstance(data, dict):
            raise PydanticCustomError(
                "quantity_form",
                f"expected a number, {{median, p95}} or {{samples: [...]}}; got {data!r}",
                {},
            )
        return data

    @field_validator("p95")
    @classmethod
    def _p95_not_below_median(cls, p95: float | None, info: ValidationInfo) -> float | None:
        median = info.data.get("median")
        if p95 is not None and median is not None and p95 < median:
            raise PydanticCustomError(
                "p95_below_median",
                "p95 ({p95}) must be at least the median ({median})",
                {"p95": p95, "median": median},
            )
        return p95

    @model_validator(mode="after")
    def _one_form(self) -> Quantity:
        forms = [
            name
            for name, present in (
                ("value", self.value is not None),
                ("median/p95", self.median is not None or self.p95 is not None),
                ("samples", self.samples is not None),
            )
            if present
        ]
        if len(forms) != 1:
            raise PydanticCustomError(
                "quantity_form",
                "expected a number, {median, p95} or {samples: [...]}; got "
                + (" and ".join(forms) if forms else "none of them"),
                {},
            )
        if forms[0] == "median/p95" and (self.median is None or self.p95 is None):
            raise PydanticCustomError(
                "quantity_form", "a distribution needs both median and p95", {}
            )
        if self.median == 0 and self.p95:
            raise PydanticCustomError(
                "quantity_form", "a lognormal needs a median above 0 when p95 is above 0", {}
            )
        return self

    @classmethod
    def __get_pydantic_json_schema__(
        cls, schema: core_schema.CoreSchema, handler: GetJsonSchemaHandler
    ) -> JsonSchemaValue:
        return {"anyOf": [{"type": "number", "minimum": 0}, handler(schema)]}

    @property
    def is_zero(self) -> bool:
        """True when every draw is 0."""
        if self.value is not None:
            return self.value == 0
        if self.samples is not None:
            return max(self.samples) == 0
        return self.p95 == 0

    @property
    def is_constant(self) -> bool:
        """True when every draw gives the same amount."""
        if self.value is not None:
            return True
        if self.samples is not None:
            return min(self.samples) == max(self.samples)
        return self.median == self.p95


def _quantity(value: float) -> Any:
    return Field(default_factory=lambda: Quantity(value=value))


class Trigger(_Model):
    """What makes a call happen and how often, per monthly active user of a plan."""

    user_share: Share = 1.0
    """Share of the plan's monthly active users who use the feature in a month."""
    queries_per_day: Quantity | None = None
    """Queries per active user per active day; a median + p95 makes heavy users exist."""
    queries_per_month: Quantity | None = None
    """Queries per active user per month (instead of `queries_per_day`)."""
    active_days_per_month: Quantity = _quantity(20)
    """Days a month on which an active user uses the feature (0 to 31)."""

    @field_validator("queries_per_day", "queries_per_month")
    @classmethod
    def _plausible_rate(cls, rate: Quantity | None, info: ValidationInfo) -> Quantity | None:
        days = 1 if info.field_name == "queries_per_day" else DAYS_IN_MONTH
        limit = MAX_QUERIES_PER_USER_DAY * days
        if rate is not None and _largest(rate) > limit:
            raise PydanticCustomError(
                "too_many",
                f"at most {limit:,} queries per active user "
                f"{'per day' if days == 1 else 'per month'} (more than one a second, all day); "
                f"got {_largest(rate):g}",
            )
        return rate

    @field_validator("active_days_per_month")
    @classmethod
    def _days_in_a_month(cls, days: Quantity) -> Quantity:
        typical = days.value if days.value is not None else days.median
        if (typical is not None and typical > DAYS_IN_MONTH) or (
            days.samples is not None and max(days.samples) > DAYS_IN_MONTH
        ):
            raise PydanticCustomError(
                "days_in_month", "a month has at most 31 active days (a p95 above is capped)"
            )
        return days

    @model_validator(mode="after")
    def _one_rate(self) -> Trigger:
        if (self.queries_per_day is None) == (self.queries_per_month is None):
            raise PydanticCustomError(
                "trigger_rate", "give exactly one of queries_per_day or queries_per_month", {}
            )
        if self.queries_per_month is not None and "active_days_per_month" in self.model_fields_set:
            raise PydanticCustomError(
                "trigger_rate",
                "active_days_per_month only applies with queries_per_day",
                {},
            )
        return self


class TriggerOverride(_Model):
    """Trigger fields that differ on one plan; unset fields keep the feature's trigger."""

    user_share: Share | None = None
    """Share of this plan's users who use the feature."""
    queries_per_day: Quantity | None = None
    """Queries per active user per active day on this plan."""
    queries_per_month: Quantity | None = None
    """Queries per active user per month on this plan."""
    active_days_per_month: Quantity | None = None
    """Active days per month on this plan."""


class Usage(_Model):
    """What one LLM call uses: text tokens, and any audio, images, characters, pages or
    searches its model bills (each per call, priced from the catalog)."""

    input_tokens: Quantity = _quantity(0)
    """Text prompt tokens per call: system prompt, history, retrieved context and the
    question (audio, image and video input tokens are declared apart)."""
    output_tokens: Quantity = _quantity(0)
    """Text completion tokens per call (reasoning tokens included, except for a model that
    prices them apart: see reasoning_tokens)."""
    cached_input_share: Share = 0.0
    """Share of text input tokens read from the provider's prompt cache at the cache-read
    price."""
    input_audio_minutes: Quantity | None = None
    """Minutes of audio the model hears per call (speech-to-text such as
    openai:whisper-1), for a model that prices audio by the minute or hour."""
    output_audio_minutes: Quantity | None = None
    """Minutes of audio the model speaks per call, for a model priced by audio time."""
    input_audio_tokens: Quantity | None = None
    """Audio input tokens per call, on top of input_tokens (openai:gpt-4o-transcribe,
    realtime models)."""
    output_audio_tokens: Quantity | None = None
    """Audio output tokens per call, on top of output_tokens (speech generation)."""
    input_image_tokens: Quantity | None = None
    """Image input tokens per call, on top of input_tokens, for a model that prices them
    apart (image editing)."""
    output_image_tokens: Quantity | None = None
    """Image output tokens per call, on top of output_tokens (image generation; the
    vendor's page gives the tokens of an image at each size and quality)."""
    input_video_tokens: Quantity | None = None
    """Video input tokens per call, on top of input_tokens."""
    output_video_tokens: Quantity | None = None
    """Video output tokens per call, on top of output_tokens."""
    reasoning_tokens: Quantity | None = None
    """Reasoning tokens per call, on top of output_tokens, for a model that prices them
    apart (Perplexity Sonar Deep Research)."""
    citation_tokens: Quantity | None = None
    """Citation tokens per call, on top of output_tokens, where a model prices them."""
    input_characters: Quantity | None = None
    """Characters of text per call, for a model priced per character (openai:tts-1)."""
    text_messages: Quantity | None = None
    """Text messages per call, for a voice model priced per message."""
    document_pages: Quantity | None = None
    """Plain document pages read per call (OCR such as Mistral OCR), not counting the
    annotated ones."""
    annotated_document_pages: Quantity | None = None
    """Document pages read with annotations per call, on top of document_pages and priced
    instead of them: 10 pages of which 4 annotated is document_pages: 6,
    annotated_document_pages: 4."""
    web_searches: Quantity | None = None
    """Web searches the provider's own search tool runs per call, at its catalog fee."""
    storage_searches: Quantity | None = None
    """File-search (vector store) tool calls per call, at the provider's catalog fee."""

    @model_validator(mode="after")
    def _something_used(self) -> Usage:
        if not ({"input_tokens", "output_tokens"} & self.model_fields_set) and not self.units():
            raise PydanticCustomError(
                "usage_empty",
                "give input_tokens and output_tokens (text tokens per call), or the other "
                "usage the call's model bills (input_audio_minutes, input_characters, "
                "output_image_tokens, web_searches, ...)",
                {},
            )
        return self

    def units(self) -> dict[str, Quantity]:
        """The usage besides text tokens this call declares, by field name."""
        return {
            name: value for name in USAGE_UNIT_NAMES if (value := getattr(self, name)) is not None
        }


class Route(_Model):
    """One branch of a routing split."""

    model: ModelRef | PriceOverride
    """The model this share of queries goes to."""
    share: Share
    """Share of the feature's queries sent to this model."""


class Retrieval(_Model):
    """Embedding tokens spent per query (the query embedding, re-ranking inputs)."""

    model: ModelRef | PriceOverride
    """The embedding model, priced on input tokens."""
    tokens_per_query: Quantity
    """Tokens embedded per user query."""


class ToolCalls(_Model):
    """Tool or API calls a query makes at a fixed price each (search API, code sandbox)."""

    per_query: Quantity
    """Tool calls per user query."""
    usd_per_call: NonNegative
    """USD per tool call."""


class Extras(_Model):
    """Costs around the LLM call."""

    llm_calls_per_query: Quantity = _quantity(1)
    """LLM calls per user query; agents call several times. Non-integers round stochastically."""
    retrieval: Retrieval | None = None
    """Retrieval / embedding spend per query."""
    tool_calls: ToolCalls | None = None
    """Tool calls at a fixed cost each."""
    infra_usd_per_query: NonNegative = 0.0
    """Per-query infrastructure: vector DB reads, moderation, logging (USD)."""
    orchestration_overhead: NonNegative = 0.0
    """Fraction added on top of the LLM and embedding cost for retries, guardrails and
    orchestration prompts, e.g. 0.1 = +10%."""


class Feature(_Model):
    """An AI feature: when it is called, what one call uses, and which model serves it."""

    name: Annotated[str, Field(min_length=1)]
    """Feature name used in reports."""
    description: str | None = None
    """What the feature does, for readers of the report."""
    plans: Annotated[list[str], Field(min_length=1)] | None = None
    """Plans that have the feature; all plans when unset."""
    trigger: Trigger
    """What makes a call happen and how often."""
    trigger_by_plan: dict[str, TriggerOverride] = Field(default_factory=dict)
    """Per-plan differences in the trigger, keyed by plan name."""
    usage: Usage
    """Tokens per LLM call."""
    model: ModelRef | PriceOverride | None = None
    """The model serving every query; or use `routing`."""
    routing: Annotated[list[Route], Field(min_length=1)] | None = None
    """A split of queries over several models; shares sum to 1."""
    service_tier: ServiceTier = "default"
    """Provider service tier, priced through the catalog's price variants."""
    extras: Extras = Field(default_factory=Extras)
    """Retrieval, agent calls, tools, infrastructure and orchestration overhead."""
    deployment: SelfHostedDeployment | None = None
    """Serve the feature on rented GPUs (`kind: self_hosted`) instead of model/routing."""
    levers: Levers | None = None
    """Cost levers (caching, routing, compression, batching, distillation, caps); they apply
    in `costline run`, and `costline levers` shows each one's saving."""

    @model_validator(mode="after")
    def _model_or_routing(self) -> Feature:
        given = [self.model is not None, self.routing is not None, self.deployment is not None]
        if sum(given) != 1:
            raise PydanticCustomError(
                "model_or_routing",
                "give exactly one of model, routing or deployment (self-hosted)",
                {},
            )
        if self.deployment is not None and self.usage.units():
            raise PydanticCustomError(
                "units_self_hosted",
                "a self-hosted feature is modelled as a fleet serving text tokens; its usage "
                "cannot declare {units} (they are billed by an API's catalog price): serve it "
                "from an API model, or fold that work into the fleet's tokens",
                {"units": ", ".join(self.usage.units())},
            )
        if self.levers is not None and self.deployment is not None:
            refused = [k for k in self.levers.kinds() if k not in SELF_HOSTED_LEVERS]
            if refused:
                raise PydanticCustomError(
                    "levers_self_hosted",
                    "a self-hosted feature takes the response_cache, compression and caps "
                    "levers (they shrink what its fleet serves); {kinds} would send its calls to "
                    "a provider's API or cache, which is not modelled for a fleet",
                    {"kinds": ", ".join(refused)},
                )
        if (
            self.levers is not None
            and self.levers.batch is not None
            and (self.service_tier == "batch")
        ):
            raise PydanticCustomError(
                "levers_batch",
                "the feature is on the batch service tier already; drop levers.batch",
                {},
            )
        return self

    @field_validator("routing")
    @classmethod
    def _routing_shares(cls, routes: list[Route] | None) -> list[Route] | None:
        if routes is not None:
            total = sum(route.share for route in routes)
            if abs(total - 1) > SHARE_SUM_TOLERANCE:
                raise PydanticCustomError(
                    "share_sum", f"routing shares sum to {total:.6g}; expected 1", {}
                )
        return routes

    @property
    def routes(self) -> list[Route]:
        """The routing split; a single model, or a self-hosted one, is one route."""
        if self.routing is not None:
            return list(self.routing)
        if self.deployment is not None:
            d = self.deployment
            return [Route(model=f"self-hosted:{d.model}@{d.gpu}", share=1.0)]
        assert self.model is not None
        return [Route(model=self.model, share=1.0)]

    def trigger_for(self, plan: str) -> Trigger:
        """The trigger on `plan`: the feature's trigger with that plan's overrides applied."""
        override = self.trigger_by_plan.get(plan)
        if override is None:
            return self.trigger
        merged = self.trigger.model_dump(exclude_unset=True)
        changes = override.model_dump(exclude_unset=True)
        if "queries_per_day" in changes or "queries_per_month" in changes:
            merged.pop("queries_per_day", None)
            merged.pop("queries_per_month", None)
            if "queries_per_month" in changes:
                merged.pop("active_days_per_month", None)
        merged.update(changes)
        return Trigger.model_validate(merged)


class Plan(_Model):
    """A pricing plan."""

    name: Annotated[str, Field(min_length=1)]
    """Plan name, e.g. free, pro, enterprise."""
    price_usd_per_month: NonNegative
    """Revenue per user per month (USD); 0 for a free plan."""
    share: Share
    """Share of monthly active users on the plan; shares over all plans sum to 1 (a single
    plan may leave it out: it has every user)."""

    @classmethod
    def __get_pydantic_json_schema__(
        cls, schema: core_schema.CoreSchema, handler: GetJsonSchemaHandler
    ) -> JsonSchemaValue:
        # a single plan may leave its share out (see Scenario._single_plan_share)
        out = handler.resolve_ref_schema(handler(schema))
        out["required"] = [name for name in out.get("required", []) if name != "share"]
        return out


def _largest(quantity: Quantity) -> float:
    figures = [quantity.value, quantity.median, quantity.p95, *(quantity.samples or [])]
    return max((f for f in figures if f is not None), default=0.0)


def _too_many_users(users: float | None) -> float | None:
    if users is not None and users > MAX_USERS:
        raise PydanticCustomError(
            "too_many",
            f"at most {MAX_USERS:,} monthly active users (more people than are alive); "
            f"got {users:g}",
        )
    return users


class Users(_Model):
    """Monthly active users (MAU) and their growth."""

    start: Positive | None = None
    """MAU in the first month."""
    monthly_growth: Annotated[float, Field(ge=-1)] = 0.0
    """Month-over-month MAU growth as a fraction, e.g. 0.08 = +8% a month (at most 1)."""
    cap: Positive | None = None
    """MAU never grows past this."""
    by_month: Annotated[list[NonNegative], Field(min_length=1)] | None = None
    """Explicit MAU per month from the start; the last value holds after the list ends."""

    @model_validator(mode="before")
    @classmethod
    def _bare_number(cls, data: Any) -> Any:
        # `users: 1000` is the first month's users with no growth
        if isinstance(data, int | float) and not isinstance(data, bool):
            return {"start": data}
        return data

    @classmethod
    def __get_pydantic_json_schema__(
        cls, schema: core_schema.CoreSchema, handler: GetJsonSchemaHandler
    ) -> JsonSchemaValue:
        return {"anyOf": [{"type": "number", "exclusiveMinimum": 0}, handler(schema)]}

    @field_validator("start", "cap")
    @classmethod
    def _plausible_users(cls, users: float | None) -> float | None:
        return _too_many_users(users)

    @field_validator("by_month")
    @classmethod
    def _plausible_months(cls, months: list[float] | None) -> list[float] | None:
        for users in months or []:
            _too_many_users(users)
        return months

    @model_validator(mode="after")
    def _start_or_list(self) -> Users:
        if (self.start is None) == (self.by_month is None):
            raise PydanticCustomError("users_form", "give exactly one of start or by_month", {})
        if self.by_month is not None and (
            "monthly_growth" in self.model_fields_set or self.cap is not None
        ):
            raise PydanticCustomError(
                "users_form", "monthly_growth and cap only apply with start", {}
            )
        if self.cap is not None and self.start is not None and self.cap < self.start:
            raise PydanticCustomError(
                "users_form", f"cap ({self.cap:g}) is below start ({self.start:g})"
            )
        return self

    @field_validator("monthly_growth")
    @classmethod
    def _growth_is_a_fraction(cls, growth: float) -> float:
        if growth > 1:
            raise PydanticCustomError(
                "growth_fraction",
                f"monthly_growth {growth:g} means +{growth * 100:g}% a month; growth is a "
                f"fraction: write {growth / 100:g} for {growth:g}% (at most 1, doubling monthly)",
            )
        return growth


class MonthlyRow(_Model):
    """A monthly cost in COGS: fixed (a vector DB cluster, monitoring, an ML-ops seat), per
    user (a per-seat licence, support tooling), per paying user (a card charge's fixed
    fee) or a share of revenue (payment processing, an app store's cut), or any mix."""

    name: Annotated[str, Field(min_length=1)]
    """What the cost is."""
    usd_per_month: NonNegative = 0.0
    """USD per month, whatever the users."""
    usd_per_user: NonNegative = 0.0
    """USD per monthly active user per month."""
    usd_per_paying_user: NonNegative = 0.0
    """USD per month per user on a plan that charges (price above 0)."""
    share_of_revenue: Share = 0.0
    """Fraction of the month's revenue, e.g. 0.029 for a 2.9% card fee."""
    start: YearMonth | None = None
    """First month it is paid; the scenario start when unset."""
    end: YearMonth | None = None
    """Last month it is paid; the horizon when unset."""

    @model_validator(mode="after")
    def _some_amount(self) -> MonthlyRow:
        amounts = {"usd_per_month", "usd_per_user", "usd_per_paying_user", "share_of_revenue"}
        if not amounts & self.model_fields_set:
            raise PydanticCustomError(
                "monthly_amount",
                "give usd_per_month, usd_per_user, usd_per_paying_user or share_of_revenue",
                {},
            )
        return self

    @property
    def varies(self) -> bool:
        """Whether the row grows with users or revenue."""
        return bool(self.usd_per_user or self.usd_per_paying_user or self.share_of_revenue)


class TrainingSpec(_Model):
    """A training or self-run fine-tuning job on rented GPUs, estimated from first principles."""

    params: Annotated[float, Field(gt=0, le=MAX_PARAMS)]
    """Total parameters of the model."""
    active_params: Annotated[float, Field(gt=0, le=MAX_PARAMS)] | None = None
    """Parameters active per token (mixture-of-experts); `params` when unset."""
    tokens: Annotated[float, Field(gt=0, le=MAX_TRAINING_TOKENS)]
    """Training tokens per epoch."""
    epochs: Positive = 1.0
    """Passes over the tokens."""
    method: Literal["full", "lora"] = "full"
    """`full` trains every weight; `lora` trains adapters on frozen weights (fine-tuning)."""
    gpu: Annotated[str, Field(min_length=1)]
    """GPU id from `costline gpus`, e.g. h100-sxm."""
    gpus: Annotated[int, Field(ge=1, le=MAX_GPUS)] | None = None
    """GPUs in the cluster; sets the calendar time."""
    precision: Literal["bf16", "fp8"] = "bf16"
    """Training precision; fp8 only on GPUs with an FP8 peak."""
    mfu: Annotated[float, Field(gt=0, le=1)] | None = None
    """Model FLOPs utilisation; the catalog's sourced default when unset."""
    goodput: Annotated[float, Field(gt=0, le=1)] | None = None
    """Share of paid cluster time that is useful training; the sourced default when unset."""
    usd_per_gpu_hour: Annotated[float, Field(ge=0, le=MAX_USD_PER_GPU_HOUR)] | None = None
    """Rental price; the GPU's default catalog price when unset."""
    failure_probability: Share | None = None
    """Chance the run fails and must be partly redone; a labelled assumption when unset."""
    failure_lost_share: Share | None = None
    """Share of the run's compute lost when it fails; a labelled assumption when unset."""
    seq_len: Annotated[int, Field(ge=1)] | None = None
    """Sequence length, for the attention FLOPs term (needs layers and d_model)."""
    layers: Annotated[int, Field(ge=1)] | None = None
    """Transformer layers, for the attention FLOPs term."""
    d_model: Annotated[int, Field(ge=1)] | None = None
    """Hidden size, for the attention FLOPs term."""
    data_usd: NonNegative = 0.0
    """Data acquisition and labelling (USD)."""
    eval_usd: NonNegative = 0.0
    """Evaluation runs and red-teaming (USD)."""
    staff_usd: NonNegative = 0.0
    """Staff time attributed to the run (USD)."""

    @model_validator(mode="after")
    def _attention_all_or_none(self) -> TrainingSpec:
        given = [self.seq_len is not None, self.layers is not None, self.d_model is not None]
        if any(given) and not all(given):
            raise PydanticCustomError(
                "attention_term", "the attention term needs all of seq_len, layers and d_model"
            )
        if self.active_params is not None and self.active_params > self.params:
            raise PydanticCustomError("active_params", "active_params cannot exceed params")
        return self


class ProviderFineTune(_Model):
    """A fine-tuning job run by an API provider, billed per training token."""

    provider: Annotated[str, Field(min_length=1)]
    """Provider id, e.g. openai."""
    model: Annotated[str, Field(min_length=1)]
    """Base model, e.g. gpt-4o-mini."""
    tokens: Positive
    """Training tokens per epoch."""
    epochs: Positive = 1.0
    """Passes over the tokens."""
    usd_per_1m_training_tokens: NonNegative | None = None
    """Price per 1M training tokens; the sourced catalog price when unset."""
    failure_probability: Share | None = None
    """Chance the job must be run again; a labelled assumption when unset."""
    failure_lost_share: Share | None = None
    """Share of the job's cost lost when it must be run again."""


class OneTimeRow(_Model):
    """A one-time (CapEx-like) cost amortised straight-line: an amount, or a training or
    fine-tuning job that costline estimates."""

    name: Annotated[str, Field(min_length=1)]
    """What the cost is."""
    kind: Literal["other", "training", "fine_tune"] = "other"
    """Training and fine-tuning runs manufacture a model; `other` is anything else."""
    amount_usd: NonNegative | None = None
    """Total USD spent; for training rows, leave it out to have costline estimate it."""
    training: TrainingSpec | None = None
    """Estimate the amount from first principles (kind training, or fine_tune run yourself)."""
    fine_tune: ProviderFineTune | None = None
    """Estimate the amount from a provider's fine-tuning price (kind fine_tune)."""
    month: YearMonth | None = None
    """Month the cost is incurred and amortisation starts; the scenario start when unset."""
    amortise_months: Annotated[int, Field(ge=1)] = 12
    """Months over which the cost is spread straight-line."""

    @model_validator(mode="after")
    def _one_amount(self) -> OneTimeRow:
        given = [
            name
            for name, value in (
                ("amount_usd", self.amount_usd),
                ("training", self.training),
                ("fine_tune", self.fine_tune),
            )
            if value is not None
        ]
        if len(given) != 1:
            raise PydanticCustomError(
                "one_time_amount",
                "give exactly one of amount_usd, training or fine_tune; got "
                + (" and ".join(given) if given else "none"),
            )
        if self.training is not None and self.kind == "other":
            raise PydanticCustomError(
                "one_time_amount", "a row with training: is kind training or fine_tune"
            )
        if self.fine_tune is not None and self.kind != "fine_tune":
            raise PydanticCustomError("one_time_amount", "a row with fine_tune: is kind fine_tune")
        return self


class PriceTrajectory(_Model):
    """Expected change of model prices beyond today's catalog price."""

    annual_change: Annotated[float, Field(ge=-1)] = 0.0
    """Yearly change of every model price, e.g. -0.3 = 30% cheaper each year, compounded
    monthly from the as-of date on; the catalog's own dated price changes apply first."""


class Thresholds(_Model):
    """Where warnings fire."""

    cogs_share_max: Share = 0.30
    """Inference COGS as a share of ARPU above which costline warns."""
    gross_margin_min: Annotated[float, Field(le=1)] = 0.50
    """Blended gross margin below which costline warns."""
    output_share_max: Share = 0.50
    """Share of a feature's cost per query from output tokens above which costline warns."""


class ApiLatency(_Model):
    """How fast a hosted model answers one call: latency = time to first token + output
    tokens / output speed. Published figures are medians under the publisher's own test
    conditions (prompt length, region, load): set your own when you have measured them."""

    time_to_first_token_s: NonNegative
    """Seconds from sending a call to its first output token."""
    output_tokens_per_s: Positive
    """Output tokens streamed per second after the first."""
    source: str | None = None
    """Where the figures come from (your measurement, a benchmark and its date)."""


class Action(_Model):
    """Something a user does that runs several features: "a meeting" is one transcription,
    one summary and three index writes; "a ticket" is a classification, a draft and a
    retrieval. Reported as cost per action beside cost per query."""

    name: Annotated[str, Field(min_length=1)]
    """What the user does, e.g. `meeting`."""
    features: Annotated[dict[str, Annotated[int, Field(ge=1, le=1_000)]], Field(min_length=1)]
    """Feature name -> how many of its queries one action makes."""


class Scenario(_Model):
    """An AI product: its users, plans, AI features and cost rows."""

    name: str | None = None
    """Scenario name for reports."""
    description: str | None = None
    """What the product is."""
    start: YearMonth
    """First month modelled (YYYY-MM)."""
    horizon_months: Annotated[int, Field(ge=1, le=240)] = 36
    """Months in the timeline."""
    currency: Literal["USD"] = "USD"
    """Currency of every amount; only USD for now."""
    users: Users
    """Monthly active users and their growth."""
    plans: Annotated[list[Plan], Field(min_length=1)]
    """Pricing plans; their shares sum to 1."""
    features: Annotated[list[Feature], Field(min_length=1)]
    """AI features."""
    monthly: list[MonthlyRow] = Field(default_factory=list)
    """Fixed monthly costs."""
    one_time: list[OneTimeRow] = Field(default_factory=list)
    """One-time costs, amortised."""
    price_trajectory: PriceTrajectory = Field(default_factory=PriceTrajectory)
    """Expected change of model prices."""
    scale_multiples: Annotated[list[Positive], Field(min_length=1)] = Field(
        default_factory=lambda: [1.0, 10.0, 100.0]
    )
    """Multiples of the starting users in the scale table."""
    thresholds: Thresholds = Field(default_factory=Thresholds)
    """Where warnings fire."""
    cases: dict[Annotated[str, Field(min_length=1)], dict[str, Any]] = Field(default_factory=dict)
    """Named cases (e.g. low, high), each a mapping of field paths to the values that
    replace them: `users.start: 5000`, `features.chat.usage.output_tokens: 600`. Reports
    show every case beside the scenario as written (`base`)."""
    latency: dict[Annotated[str, Field(min_length=1)], ApiLatency] = Field(default_factory=dict)
    """Latency of hosted models, keyed by model reference (`openai:gpt-4o`) or by a
    price override's name; it replaces costline's catalog figure (api_latency.yml) for
    that model. `costline brief` reports each feature's p95 latency from it."""
    allow_extreme: bool = False
    """Accept values that are almost always a percentage written where a fraction goes (an
    annual price rise above 100%, an orchestration overhead above 100%)."""
    actions: list[Action] = Field(default_factory=list)
    """User actions that span features, each priced per action (median, p95)."""

    @model_validator(mode="before")
    @classmethod
    def _single_plan_share(cls, data: Any) -> Any:
        # one plan has every user: its share can go unsaid
        plans = data.get("plans") if isinstance(data, dict) else None
        if isinstance(plans, list) and len(plans) == 1:
            only = plans[0]
            if isinstance(only, dict) and "share" not in only:
                return {**data, "plans": [{**only, "share": 1}]}
        return data

    @field_validator("plans")
    @classmethod
    def _plan_shares(cls, plans: list[Plan]) -> list[Plan]:
        total = sum(plan.share for plan in plans)
        if abs(total - 1) > SHARE_SUM_TOLERANCE:
            raise PydanticCustomError(
                "share_sum", f"plan shares sum to {total:.6g}; expected 1", {}
            )
        return plans

    @model_validator(mode="after")
    def _references(self) -> Scenario:
        problems = list(_reference_problems(self))
        if problems:
            # The message carries its own field path: a model validator has no location.
            raise PydanticCustomError("reference", "{problem}", {"problem": problems[0]})
        return self

    @property
    def start_date(self) -> dt.date:
        """First day of the first month."""
        return parse_year_month(self.start)

    def month_dates(self) -> list[dt.date]:
        """First day of each month in the horizon."""
        return [add_months(self.start_date, i) for i in range(self.horizon_months)]

    def plans_of(self, feature: Feature) -> list[Plan]:
        """The plans that have `feature`."""
        if feature.plans is None:
            return list(self.plans)
        return [plan for plan in self.plans if plan.name in feature.plans]


def _reference_problems(scenario: Scenario) -> list[str]:
    plan_names = [plan.name for plan in scenario.plans]
    known = ", ".join(plan_names)
    problems: list[str] = []
    problems += _duplicates("plans", plan_names)
    problems += _duplicates("features", [feature.name for feature in scenario.features])
    for i, feature in enumerate(scenario.features):
        for j, plan in enumerate(feature.plans or []):
            if plan not in plan_names:
                problems.append(
                    f"features[{i}].plans[{j}]: unknown plan {plan!r}; plans are {known}"
                )
        for plan in feature.trigger_by_plan:
            if feature.plans is not None and plan in plan_names and plan not in feature.plans:
                where = f"features[{i}].trigger_by_plan.{plan}"
                problems.append(f"{where}: plan {plan!r} does not have this feature")
            elif plan not in plan_names:
                where = f"features[{i}].trigger_by_plan.{plan}"
                problems.append(f"{where}: unknown plan {plan!r}; plans are {known}")
            else:
                try:
                    feature.trigger_for(plan)
                except ValidationError as err:
                    message = err.errors()[0]["msg"]
                    problems.append(f"features[{i}].trigger_by_plan.{plan}: {message}")
    feature_names = [feature.name for feature in scenario.features]
    problems += _duplicates("actions", [action.name for action in scenario.actions])
    for i, action in enumerate(scenario.actions):
        for name in action.features:
            if name not in feature_names:
                problems.append(
                    f"actions[{i}].features.{name}: unknown feature {name!r}; features are "
                    + ", ".join(feature_names)
                )
    if "base" in scenario.cases:
        problems.append("cases.base: `base` is the scenario as written; name the case otherwise")
    used = {name for feature in scenario.features for name in model_names(feature)}
    for name in scenario.latency:
        if name not in used:
            listed = ", ".join(sorted(used)) or "none"
            problems.append(f"latency.{name}: no feature uses this model; models in use: {listed}")
    one_time_names = [row.name for row in scenario.one_time]
    for i, feature in enumerate(scenario.features):
        distillation = feature.levers.distillation if feature.levers else None
        named = distillation.one_time if distillation is not None else None
        if named is not None and named not in one_time_names:
            listed = ", ".join(one_time_names) or "none"
            problems.append(
                f"features[{i}].levers.distillation.one_time: no one_time row is named "
                f"{named!r}; one_time rows: {listed}"
            )
    for i, row in enumerate(scenario.monthly):
        if row.start is not None and row.end is not None and row.end < row.start:
            problems.append(f"monthly[{i}].end: {row.end} is before its start {row.start}")
        elif row.end is not None and row.end < scenario.start:
            problems.append(
                f"monthly[{i}].end: {row.end} is before the scenario start {scenario.start}"
            )
    return problems


def model_name(model: str | PriceOverride) -> str:
    """The name a scenario knows a model by: its reference, or an override's name."""
    return model.name if isinstance(model, PriceOverride) else model


def hosted_models(feature: Feature) -> list[str | PriceOverride]:
    """The hosted models `feature` can call: its routes and its levers' models (a
    self-hosted feature calls none)."""
    if feature.deployment is not None:
        return []
    models = [route.model for route in feature.routes]
    levers = feature.levers
    if levers is not None:
        models += [lever.model for lever in (levers.routing, levers.distillation) if lever]
    return models


def model_names(feature: Feature) -> list[str]:
    """Names of the hosted models `feature` can call (see `hosted_models`)."""
    return list(dict.fromkeys(model_name(m) for m in hosted_models(feature)))


def _duplicates(section: str, names: list[str]) -> list[str]:
    seen: set[str] = set()
    out = []
    for i, name in enumerate(names):
        if name in seen:
            out.append(f"{section}[{i}].name: {name!r} is used twice; names must be unique")
        seen.add(name)
    return out
