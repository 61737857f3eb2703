"""The `Result` of a run: every figure every view shows, computed once.

Money is USD (per month unless a key says otherwise); shares and margins are fractions
(0.42, not 42%). A margin or share is None where revenue is zero.
"""

from __future__ import annotations

import datetime as dt

from pydantic import BaseModel, ConfigDict

from costline.engine.table import Rows
from costline.engine.terms import CostTerm
from costline.engine.training import TrainingEstimate
from costline.stats import Stats


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, use_attribute_docstrings=True, defer_build=True)


class UnitPrice(_Frozen):
    """The price of one usage unit a feature declares (audio minutes, web searches), in
    the start month after the scenario's trajectory."""

    unit: str
    """The usage field (`input_audio_minutes`, `web_searches`, ...)."""
    usd: float
    """USD per `per` units."""
    per: int
    label: str
    """How the price reads: `USD per input audio minute`, `USD per 1K web searches`."""
    list_usd: float | None = None
    """The catalog's own price in the start month, before the scenario's trajectory."""


class ModelUse(_Frozen):
    """A model serving a share of a feature's queries, with its prices at the start month."""

    ref: str
    provider: str
    model_id: str
    share: float
    service_tier: str
    input_usd_per_mtok: float | None
    output_usd_per_mtok: float | None
    cached_input_usd_per_mtok: float | None
    is_override: bool
    source: str
    list_input_usd_per_mtok: float | None = None
    """The catalog's own price in the start month, before the scenario's trajectory."""
    list_output_usd_per_mtok: float | None = None
    catalog_since: str | None = None
    """First day the catalog prices this model's service tier (None: no start recorded)."""
    unit_prices: list[UnitPrice] = []
    """Prices of the usage besides text tokens the feature declares."""
    product_tokens: str | None = None
    """"input" or "output" when the model bills its product (images, speech, pages) as
    those text tokens, having no price of its own for it."""
    product_what: str = ""
    """What those tokens are ("the images it makes")."""


class CostBreakdown(_Frozen):
    """Mean USD per query by line; the lines sum to the mean cost per query."""

    input_usd: float
    cached_input_usd: float
    output_usd: float
    request_fees_usd: float
    other_units_usd: float = 0.0
    """Usage besides text tokens: audio minutes or tokens, images, characters, pages, the
    provider's own search and code tools."""
    retrieval_usd: float
    tools_usd: float
    infra_usd: float
    lever_costs_usd: float = 0.0
    """What the levers themselves cost: cache lookups, the router, the compressor."""
    overhead_usd: float


class Latency(_Frozen):
    """Seconds a user waits for a query: its LLM calls one after another, each its time to
    first token plus its output at the model's pace; queries sent as batch jobs excluded."""

    median_s: float | None = None
    p95_s: float | None = None
    """None when a model the feature calls has no latency figure (see missing_models) or
    every query goes through a batch API."""
    sources: list[str] = []
    """What each model's call latency comes from (roofline, catalog, scenario)."""
    missing_models: list[str] = []
    """Models with no latency figure: set one in the scenario's `latency:`."""
    batch_share: float = 0.0
    """Share of queries answered through a batch API (within its window, not seconds)."""


class FleetSize(_Frozen):
    """How a self-hosted feature's fleet grows: replicas = max(minimum, ceil(queries a
    month / capacity)), each costing `replica_usd_per_month` (overhead included)."""

    capacity_queries_per_month: float
    """Queries a replica carries in a month with the busiest hour at the target."""
    replica_usd_per_month: float
    min_replicas: int


class FeatureResult(_Frozen):
    """One AI feature at the start month's prices."""

    name: str
    models: list[ModelUse]
    cost_per_query: Stats
    """USD per user query (all its LLM calls, retrieval, tools, infra and overhead)."""
    breakdown: CostBreakdown
    line_stats: dict[str, Stats] = {}
    """Each line of the breakdown (keys as in `breakdown`) over the simulated queries: its
    mean, median and p95 USD per query. Lines' medians and p95s do not add up to the
    total's (the dearest queries differ line by line)."""
    output_share: float
    """Share of the mean cost per query paid for output tokens."""
    llm_calls_per_query: float
    input_tokens_per_call: float
    output_tokens_per_call: float
    queries_per_month: float
    """Queries in the start month over all plans."""
    inference_cost_usd: float
    """The feature's inference cost in the start month."""
    queries_by_month: list[float]
    """Queries in each month of the timeline."""
    cost_per_query_by_month: list[float]
    """Mean USD per query in each month (catalog price changes and trajectory applied)."""
    llm_cost_per_query_by_month: list[float]
    """Mean USD per query of its LLM calls alone in each month (tokens and request fees, with
    their orchestration overhead): the part self-hosting replaces."""
    overhead_share: float = 0.0
    """Orchestration overhead on model spend (0.1 = 10%)."""
    deployment: str = "api"
    """api, or self_hosted (billed as a fleet of rented GPUs)."""
    latency: Latency = Latency()
    """Seconds per query: self-hosted from the roofline at the fleet's batch, hosted
    models from their time to first token and output speed (catalog or scenario)."""
    inference_cost_at_scale_usd: dict[str, float] = {}
    """The feature's inference cost in the start month at each scale multiple (keyed like
    `10x`): linear on APIs, a re-sized fleet when self-hosted."""
    cost_terms: list[CostTerm] = []
    """The mean cost per query of its LLM calls and retrieval as units x catalog prices,
    before overhead and the price trajectory (what a spreadsheet rebuilds)."""
    trajectory_start_by_key: dict[str, str | None] = {}
    """Each price-book key's first day of the price trajectory (None: a fixed price)."""
    trajectory_factor_by_key: dict[str, list[float]] = {}
    """Each price-book key's price-trajectory multiplier in each month (1 for a fixed
    price): what its catalog prices are multiplied by."""
    queries_per_user_by_plan: dict[str, float] = {}
    """Expected queries a month of any user of each plan (0 on a plan without the
    feature; quotas applied)."""
    fixed_usd_per_query: float = 0.0
    """Mean USD per query of tools, infrastructure and the levers' own costs."""
    fleet: FleetSize | None = None
    """Self-hosted features: how the fleet is sized and what a replica costs."""


class PlanResult(_Frozen):
    """One plan: the inference cost of its users in the start month."""

    name: str
    price_usd_per_month: float
    share: float
    users: float
    queries_per_user: float
    """Expected queries per user per month, all features."""
    cost_per_user: Stats
    """USD of inference per user per month; mean is the expectation, median and p95 from
    the Monte Carlo over users."""
    cogs_share_of_arpu: float | None
    """Mean inference cost per user over the plan price."""
    gross_margin: float | None
    """1 - cogs_share_of_arpu: the plan's margin on inference alone."""
    share_of_users_costing_more_than_price: float | None
    """Share of simulated users whose inference costs more than the price; None on a free
    plan, where every user who uses anything does."""
    revenue_usd: float
    inference_cost_usd: float
    variable_cost_per_user_usd: float = 0.0
    """USD a month the monthly rows charge per user of this plan: per user, per paying
    user (a priced plan) and the revenue share of its price, in the start month."""
    contribution_margin: float | None = None
    """1 - (mean inference + variable_cost_per_user_usd) / price: what a user of the plan
    leaves after the costs that grow with them (None on a free plan)."""


class Blended(_Frozen):
    """All plans together in the start month."""

    month: str
    users: float
    arpu_usd: float
    revenue_usd: float
    inference_cost_usd: float
    inference_cost_per_user_usd: float
    fixed_cost_usd: float
    amortised_one_time_usd: float
    variable_cost_usd: float = 0.0
    """Monthly rows per user, per paying user and as a share of revenue."""
    paying_share: float = 0.0
    """Share of users on a plan that charges (price above 0)."""
    cogs_usd: float
    """Inference + fixed monthly + amortised one-time."""
    gross_margin: float | None
    """(revenue - cogs) / revenue."""
    inference_gross_margin: float | None
    """(revenue - inference) / revenue: the margin of the AI SKU alone."""
    cogs_share_of_arpu: float | None
    """Inference cost per user over ARPU."""


class ScalePoint(_Frozen):
    """The start month at a multiple of its users, at start-month prices."""

    multiple: float
    users: float
    queries: float
    inference_cost_usd: float
    fixed_cost_usd: float
    amortised_one_time_usd: float
    fixed_and_amortised_usd: float
    """The COGS that does not grow with the users: fixed rows plus amortised one-time rows."""
    variable_cost_usd: float = 0.0
    """Monthly rows per user, per paying user and as a share of revenue: they grow with
    the users."""
    revenue_usd: float
    cost_per_user_usd: float
    gross_margin: float | None
    cogs_share_of_arpu: float | None


class Month(_Frozen):
    """One month of the timeline."""

    month: str
    users: float
    queries: float
    price_factor: float
    """The price trajectory's multiplier billed this month: the month's per-token spend
    (LLM calls and retrieval) over the same spend at catalog prices. Each model's
    trajectory starts after the as-of month, or after its last catalog price change when
    that is later; 1 while none has started."""
    inference_cost_usd: float
    fixed_cost_usd: float
    amortised_one_time_usd: float
    one_time_spend_usd: float
    """Cash spent on one-time rows this month (not in COGS; amortised instead)."""
    variable_cost_usd: float = 0.0
    """Monthly rows that grow with the business: per user, per paying user and shares of
    revenue (payment fees, seats), in COGS."""
    cogs_usd: float
    revenue_usd: float
    gross_margin: float | None
    cogs_share_of_arpu: float | None

    @property
    def cost_per_query_usd(self) -> float:
        """Inference cost over queries this month (USD a query; 0 with no query)."""
        return self.inference_cost_usd / self.queries if self.queries else 0.0


class OneTimeResult(_Frozen):
    """A one-time row: its amount, amortisation and what it adds per query."""

    name: str
    kind: str
    kind_source: str = "scenario"
    """scenario (written in it), default (no kind given), or classified (no kind given, and
    the row reads as training)."""
    amount_usd: float
    """The amount amortised: the row's amount, or a training estimate's expected cost."""
    month: str
    amortise_months: int
    usd_per_month: float
    usd_per_query: float | None
    """usd_per_month over the first month's queries: what the row adds to each query."""
    months_of_inference_spend: float | None
    """amount_usd over the first month's inference bill: the API spend it equals."""
    estimate: TrainingEstimate | None
    """The training or fine-tuning estimate behind the amount, when costline made one."""


class CostWarning(_Frozen):
    """Something an investor would raise; `code` is stable across versions."""

    code: str
    subject: str
    message: str


class CatalogUsed(_Frozen):
    """What the figures were priced with."""

    source: str
    version: str
    latest_price_change: dt.date | None
    as_of: dt.date


class Simulation(_Frozen):
    """How the Monte Carlo was run; the same seed gives the same figures."""

    seed: int
    query_samples: int
    users_simulated: int


class ScenarioInfo(_Frozen):
    name: str | None
    start: str
    horizon_months: int
    currency: str


class CaseSummary(_Frozen):
    """One case's headline figures for the first month and the scale table."""

    name: str
    users: float
    queries: float
    inference_cost_usd: float
    cost_per_query_usd: float
    inference_cost_per_user_usd: float
    cogs_usd: float
    revenue_usd: float
    cogs_share_of_arpu: float | None
    gross_margin: float | None
    inference_cost_at_scale_usd: dict[str, float]
    """Inference cost at each scale multiple, keyed like `10x`."""


def case_summary(name: str, result: Result) -> CaseSummary:
    """The headline of `result` as case `name`."""
    first, blended = result.timeline[0], result.blended
    return CaseSummary(
        name=name,
        users=first.users,
        queries=first.queries,
        inference_cost_usd=first.inference_cost_usd,
        cost_per_query_usd=first.cost_per_query_usd,
        inference_cost_per_user_usd=blended.inference_cost_per_user_usd,
        cogs_usd=first.cogs_usd,
        revenue_usd=first.revenue_usd,
        cogs_share_of_arpu=first.cogs_share_of_arpu,
        gross_margin=first.gross_margin,
        inference_cost_at_scale_usd={
            f"{p.multiple:g}x": p.inference_cost_usd for p in result.scale
        },
    )


class ActionResult(_Frozen):
    """A user action that runs several features: its cost, at the start month's prices."""

    name: str
    features: dict[str, int]
    """Feature -> queries one action makes."""
    cost_per_action: Stats
    """USD per action: the sum of its queries' costs (each drawn from its feature's
    simulated queries); the mean is exact (counts x each feature's mean cost per query)."""


class Result(_Frozen):
    """Everything `costline run` reports."""

    costline_version: str
    scenario: ScenarioInfo
    catalog: CatalogUsed
    simulation: Simulation
    features: Rows[FeatureResult]
    plans: Rows[PlanResult]
    blended: Blended
    scale: Rows[ScalePoint]
    timeline: Rows[Month]
    one_time: Rows[OneTimeResult]
    warnings: Rows[CostWarning]
    notes: list[str]
    actions: Rows[ActionResult] = Rows()
    """The scenario's user actions that span features, each priced per action."""
    cases: Rows[CaseSummary] = Rows()
    """The scenario's cases side by side, `base` first (empty without `cases:`)."""
