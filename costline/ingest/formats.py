"""Log formats costline reads, each a mapping of the normalised fields to where a record
keeps them, and its convention for cached tokens.

A field is a list of places tried in order (the first present wins). In JSON formats a
place is a JSON path (`$.usage.prompt_tokens`), or `attr:NAME` for an OpenTelemetry span
attribute (flat `attributes: {NAME: value}` or OTLP `attributes: [{key, value}]`), or
`const:VALUE`, or `count:$.PATH[].KEY=VALUE`: how many items of the array at PATH have
KEY equal to VALUE (OpenAI's `web_search_call` output items). In CSV and Parquet a place
is a column name.

Conventions for cached tokens (genai-prices counts cached tokens inside the input):
OpenAI's `prompt_tokens` / `input_tokens` include cached tokens, read and written (writes
are billed from the GPT-5.6 family on); OpenRouter follows OpenAI; Anthropic's
`input_tokens` exclude cache reads and cache writes, so they are added back; the
OpenTelemetry GenAI conventions count cached tokens inside `gen_ai.usage.input_tokens`
(and reasoning tokens inside `gen_ai.usage.output_tokens`, as OpenAI's completion tokens
and Anthropic's output tokens include their thinking: reasoning is never added again);
LiteLLM's `prompt_tokens` follow OpenAI's.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

FIELDS = (
    "timestamp",
    "user",
    "feature",
    "provider",
    "model",
    "input_tokens",
    "output_tokens",
    "cache_read_tokens",
    "cache_write_tokens",
    "web_searches",
    "service_tier",
    "logged_cost_usd",
)
"""The normalised fields, in output order. `web_searches` is a per-request fee: searches
the call made, priced at the catalog's per-search price (issue 17's per-request fees)."""
REQUIRED = ("timestamp", "model", "input_tokens", "output_tokens")


@dataclass(frozen=True)
class LogFormat:
    """Where a format keeps each field and how it counts cached tokens."""

    name: str
    kind: str
    """jsonl, csv or parquet: how the files are read."""
    fields: dict[str, list[str]]
    input_includes_cache: bool = True
    """False where input tokens exclude cache reads and writes (Anthropic)."""
    description: str = ""
    llm_records_only: bool = False
    """True where a file mixes LLM calls with other records (OpenTelemetry spans): records
    with neither a model nor token counts are skipped and counted, not rejected."""
    otlp: bool = False
    """Records are OTLP export requests whose spans are nested in resourceSpans."""


_USER = ["$.user", "$.metadata.user_id", "$.metadata.user", "$.user_id"]
_FEATURE = ["$.metadata.feature", "$.feature"]
_TIME = ["$.timestamp", "$.created_at", "$.created"]
_OTEL = {
    "timestamp": ["$.start_time", "$.startTimeUnixNano", "$.timestamp"],
    "user": ["attr:user.id", "attr:enduser.id", "attr:gen_ai.user.id"],
    "feature": ["attr:feature", "attr:app.feature", "attr:costline.feature"],
    "provider": ["attr:gen_ai.provider.name", "attr:gen_ai.system"],
    "model": ["attr:gen_ai.response.model", "attr:gen_ai.request.model"],
    "input_tokens": ["attr:gen_ai.usage.input_tokens"],
    "output_tokens": ["attr:gen_ai.usage.output_tokens"],
    "cache_read_tokens": [
        "attr:gen_ai.usage.cache_read.input_tokens",
        "attr:gen_ai.usage.cache_read_input_tokens",
    ],
    # renamed from cache_creation (semantic-conventions-genai, changelog 440): read both
    "cache_write_tokens": [
        "attr:gen_ai.usage.cache_write.input_tokens",
        "attr:gen_ai.usage.cache_creation.input_tokens",
        "attr:gen_ai.usage.cache_creation_input_tokens",
    ],
    # openai.response.service_tier now; the gen_ai.openai. name is deprecated
    "service_tier": [
        "attr:openai.response.service_tier",
        "attr:gen_ai.openai.response.service_tier",
    ],
    # proposed (semantic-conventions-genai PR 443): kept as the logged cost, in USD
    "logged_cost_usd": ["attr:gen_ai.usage.cost.amount", "attr:gen_ai.usage.cost"],
}

FORMATS: dict[str, LogFormat] = {
    f.name: f
    for f in (
        LogFormat(
            "openai-chat",
            "jsonl",
            {
                "timestamp": ["$.timestamp", "$.created"],
                "user": _USER,
                "feature": _FEATURE,
                "provider": ["$.provider", "const:openai"],
                "model": ["$.model"],
                "input_tokens": ["$.usage.prompt_tokens"],
                "output_tokens": ["$.usage.completion_tokens"],
                "cache_read_tokens": ["$.usage.prompt_tokens_details.cached_tokens"],
                # billed from the GPT-5.6 family on, inside prompt_tokens (openai-python
                # 2.45.0's CompletionUsage; OpenRouter reports the same field)
                "cache_write_tokens": ["$.usage.prompt_tokens_details.cache_write_tokens"],
                "service_tier": ["$.service_tier"],
                # OpenRouter's usage.cost: "The total amount charged to your account"
                "logged_cost_usd": ["$.cost_usd", "$.usage.cost"],
            },
            description="OpenAI chat-completions responses (and OpenRouter's, which add "
            "usage.cost), one JSON object a line",
        ),
        LogFormat(
            "openrouter",
            "jsonl",
            {
                "timestamp": ["$.timestamp", "$.created"],
                "user": _USER,
                "feature": _FEATURE,
                # OpenRouter's own prices (its `provider` field names the upstream vendor)
                "provider": ["const:openrouter"],
                "model": ["$.model"],
                "input_tokens": ["$.usage.prompt_tokens"],
                "output_tokens": ["$.usage.completion_tokens"],
                "cache_read_tokens": ["$.usage.prompt_tokens_details.cached_tokens"],
                "cache_write_tokens": ["$.usage.prompt_tokens_details.cache_write_tokens"],
                "logged_cost_usd": ["$.usage.cost"],
            },
            description="OpenRouter chat-completions responses with usage accounting "
            "(usage.cost kept as the logged cost), one a line",
        ),
        LogFormat(
            "openai-responses",
            "jsonl",
            {
                "timestamp": ["$.timestamp", "$.created_at"],
                "user": _USER,
                "feature": _FEATURE,
                "provider": ["$.provider", "const:openai"],
                "model": ["$.model"],
                "input_tokens": ["$.usage.input_tokens"],
                "output_tokens": ["$.usage.output_tokens"],
                "cache_read_tokens": ["$.usage.input_tokens_details.cached_tokens"],
                "cache_write_tokens": ["$.usage.input_tokens_details.cache_write_tokens"],
                # one output item per search (openai-python's ResponseFunctionWebSearch)
                "web_searches": ["count:$.output[].type=web_search_call"],
                "service_tier": ["$.service_tier"],
                "logged_cost_usd": ["$.cost_usd"],
            },
            description="OpenAI Responses API responses, one JSON object a line",
        ),
        LogFormat(
            "anthropic",
            "jsonl",
            {
                "timestamp": _TIME,
                "user": _USER,
                "feature": _FEATURE,
                "provider": ["$.provider", "const:anthropic"],
                "model": ["$.model"],
                "input_tokens": ["$.usage.input_tokens"],
                "output_tokens": ["$.usage.output_tokens"],
                "cache_read_tokens": ["$.usage.cache_read_input_tokens"],
                "cache_write_tokens": ["$.usage.cache_creation_input_tokens"],
                "web_searches": ["$.usage.server_tool_use.web_search_requests"],
                "service_tier": ["$.service_tier", "$.usage.service_tier"],
                "logged_cost_usd": ["$.cost_usd"],
            },
            input_includes_cache=False,
            description="Anthropic Messages API responses (with a timestamp), one a line",
        ),
        LogFormat(
            "otel",
            "jsonl",
            _OTEL,
            llm_records_only=True,
            description="OpenTelemetry GenAI spans as JSON: one span a line (attributes as an "
            "object or an OTLP key/value list)",
        ),
        LogFormat(
            "otlp",
            "jsonl",
            _OTEL,
            llm_records_only=True,
            otlp=True,
            description="OTLP JSON export requests (resourceSpans > scopeSpans > spans), one a "
            "line; spans read as `otel`",
        ),
        LogFormat(
            "litellm",
            "jsonl",
            {
                "timestamp": ["$.startTime"],
                "user": ["$.end_user", "$.user"],
                "feature": ["$.metadata.feature", "$.request_tags[0]"],
                "provider": ["$.custom_llm_provider"],
                "model": ["$.model"],
                "input_tokens": ["$.prompt_tokens"],
                "output_tokens": ["$.completion_tokens"],
                "cache_read_tokens": [
                    "$.metadata.usage_object.prompt_tokens_details.cached_tokens",
                    "$.metadata.usage_object.cache_read_input_tokens",
                ],
                "cache_write_tokens": [
                    "$.metadata.usage_object.prompt_tokens_details.cache_creation_tokens",
                    "$.metadata.usage_object.cache_creation_input_tokens",
                ],
                "logged_cost_usd": ["$.spend"],
            },
            description="LiteLLM spend logs (LiteLLM_SpendLogs rows) as JSON lines",
        ),
        LogFormat(
            "litellm-csv",
            "csv",
            {
                "timestamp": ["startTime"],
                "user": ["end_user", "user"],
                "provider": ["custom_llm_provider"],
                "model": ["model"],
                "input_tokens": ["prompt_tokens"],
                "output_tokens": ["completion_tokens"],
                "logged_cost_usd": ["spend"],
            },
            description="LiteLLM spend logs exported as CSV",
        ),
    )
}


def generic(kind: str, fields: dict[str, list[str]], input_includes_cache: bool) -> LogFormat:
    """A format given by a column mapping (CSV, JSON lines or Parquet)."""
    return LogFormat(
        f"mapped-{kind}",
        kind,
        fields,
        input_includes_cache=input_includes_cache,
        description=f"{kind} with a column mapping",
    )


def detect(first_record: dict | None, header: list[str] | None) -> str | None:
    """The format of a file from its first record (JSON) or header (CSV); None if unsure."""
    if header is not None:
        columns = set(header)
        if {"startTime", "model", "prompt_tokens", "completion_tokens", "spend"} <= columns:
            return "litellm-csv"
        return None
    if not isinstance(first_record, dict):
        return None
    found = first_record.get("usage")
    usage: dict[str, Any] = found if isinstance(found, dict) else {}
    if "resourceSpans" in first_record:
        return "otlp"
    attributes = first_record.get("attributes")
    if isinstance(attributes, dict | list) and (
        "gen_ai" in str(attributes) or "traceId" in first_record or "trace_id" in first_record
    ):
        return "otel"
    if {"spend", "prompt_tokens", "startTime"} <= first_record.keys():
        return "litellm"
    if "cost" in usage and "/" in str(first_record.get("model", "")):
        return "openrouter"  # vendor/model names and OpenRouter's usage accounting
    if "prompt_tokens" in usage or first_record.get("object") == "chat.completion":
        return "openai-chat"
    if first_record.get("type") == "message" or "cache_creation_input_tokens" in usage:
        return "anthropic"
    if first_record.get("object") == "response" or "input_tokens_details" in usage:
        return "openai-responses"
    return None
