"""The CLI on the real app: every example runs in every format; JSON carries the
documented keys; schema and models search work."""

from __future__ import annotations

import json

import pytest
from typer.testing import CliRunner

from costline.cli import app

from .conftest import AS_OF, EXAMPLES

runner = CliRunner()
EXAMPLE_FILES = sorted(EXAMPLES.glob("*.yaml"))


def invoke(*args: str):
    return runner.invoke(app, list(args), catch_exceptions=False)


def test_there_are_at_least_three_examples():
    assert len(EXAMPLE_FILES) >= 3


@pytest.mark.parametrize("path", EXAMPLE_FILES, ids=lambda p: p.name)
@pytest.mark.parametrize("fmt", ["terminal", "json", "markdown"])
def test_every_example_runs_in_every_format(path, fmt):
    result = invoke("run", str(path), "--format", fmt, "--as-of", AS_OF.isoformat())
    assert result.exit_code == 0, result.output
    assert result.output.strip()


@pytest.mark.parametrize("path", EXAMPLE_FILES, ids=lambda p: p.name)
def test_json_has_the_documented_keys(path):
    result = invoke("run", str(path), "--format", "json", "--as-of", AS_OF.isoformat())
    doc = json.loads(result.output)
    for key in ("features", "plans", "blended", "scale", "timeline", "warnings", "catalog"):
        assert key in doc
    for feature in doc["features"]:
        assert {"name", "cost_per_query", "queries_per_month"} <= feature.keys()
        assert {"mean", "median", "p95"} <= feature["cost_per_query"].keys()
    for plan in doc["plans"]:
        assert {"name", "cost_per_user", "gross_margin"} <= plan.keys()
        assert {"mean", "median", "p95"} <= plan["cost_per_user"].keys()
    assert {"revenue_usd", "inference_cost_usd", "gross_margin", "cogs_share_of_arpu"} <= doc[
        "blended"
    ].keys()
    assert [s["multiple"] for s in doc["scale"]] == [1, 10, 100]
    for point in doc["scale"]:
        assert {"users", "inference_cost_usd", "revenue_usd", "gross_margin"} <= point.keys()
    month = doc["timeline"][0]
    assert {
        "month",
        "users",
        "queries",
        "inference_cost_usd",
        "revenue_usd",
        "gross_margin",
    } <= month.keys()
    for warning in doc["warnings"]:
        assert {"code", "message"} <= warning.keys()
    assert doc["catalog"]["source"].startswith("genai-prices")
    assert doc["catalog"]["as_of"] == AS_OF.isoformat()


def test_the_same_seed_gives_the_same_figures_and_another_seed_does_not():
    path = str(EXAMPLES / "consumer-chat.yaml")
    runs = [
        json.loads(
            invoke("run", path, "-f", "json", "--seed", seed, "--as-of", "2026-11-26").output
        )
        for seed in ("7", "7", "8")
    ]
    assert runs[0] == runs[1]
    assert (
        runs[0]["plans"][1]["cost_per_user"]["p95"] != runs[2]["plans"][1]["cost_per_user"]["p95"]
    )


def test_schema_is_json_schema_with_field_descriptions():
    result = invoke("schema")
    schema = json.loads(result.output)
    assert schema["title"] == "Scenario"
    assert "features" in schema["properties"]
    usage = schema["$defs"]["Usage"]["properties"]
    assert "prompt cache" in usage["cached_input_share"]["description"]


def test_models_search_finds_gpt_4o_with_prices():
    result = invoke("models", "search", "gpt-4o", "--format", "json", "--at", "2026-11-01")
    rows = json.loads(result.output)
    refs = [row["ref"] for row in rows]
    assert "openai:gpt-4o" in refs
    gpt4o = rows[refs.index("openai:gpt-4o")]
    assert gpt4o["input_usd_per_mtok"] > 0 and gpt4o["output_usd_per_mtok"] > 0
    assert "batch" in gpt4o["service_tiers"]


def test_models_search_with_no_match_suggests():
    result = invoke("models", "search", "gpt-4o-mnii")
    assert result.exit_code == 0
    assert "gpt-4o-mini" in result.output


def test_every_command_has_help_with_an_example():
    for command in (["run"], ["schema"], ["models", "search"], ["train"], ["gpus"], ["selfhost"]):
        result = invoke(*command, "--help")
        assert result.exit_code == 0
        assert "Example" in result.output


def test_models_search_takes_several_words():
    result = invoke("models", "search", "claude", "sonnet", "--format", "json")
    rows = json.loads(result.output)
    assert rows and all("sonnet" in row["ref"] or "sonnet" in row["name"].lower() for row in rows)


def test_train_prints_the_issue_keys_as_json():
    result = invoke(
        "train",
        "--params",
        "70e9",
        "--tokens",
        "2e12",
        "--gpu",
        "a100-80gb",
        "--gpus",
        "2048",
        "--format",
        "json",
    )
    doc = json.loads(result.output)
    for key in (
        "flops",
        "gpu_hours",
        "calendar_days",
        "cost_usd",
        "expected_cost_usd",
        "pessimistic_cost_usd",
        "assumptions",
    ):
        assert key in doc
    assert doc["flops"] == pytest.approx(6 * 70e9 * 2e12)


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--params", "0", "--tokens", "2e12", "--gpu", "h100"], "--params"),
        (["--params", "7e9", "--tokens", "-5", "--gpu", "h100"], "--tokens"),
        (["--params", "7e9", "--tokens", "2e12", "--gpu", "h100", "--mfu", "1.2"], "--mfu"),
        (["--params", "7e9", "--tokens", "2e12", "--gpu", "h100", "--mfu", "0"], "--mfu"),
        (["--params", "7e9", "--tokens", "2e12", "--gpu", "h10"], "h100-sxm"),
        (["--params", "7e9", "--tokens", "2e12"], "--gpu"),
    ],
)
def test_train_bad_input_is_a_clear_error(args, message):
    result = invoke("train", *args)
    assert result.exit_code == 2
    assert "Traceback" not in result.output
    assert message in result.output


def test_gpus_lists_the_catalog_with_sources():
    rows = json.loads(invoke("gpus", "--format", "json").output)
    ids = {row["id"] for row in rows}
    assert {"h100-sxm", "a100-80gb", "h800", "mi300x"} <= ids
    assert all(row["source"] for row in rows)


def test_brackets_in_user_text_print_as_written_not_as_markup():
    result = invoke("train", "--params", "7e9", "--tokens", "1e12", "--gpu", "[/b]")
    assert result.exit_code == 2
    assert "Traceback" not in result.output
    assert "[/b]" in result.output


def test_a_provider_job_refuses_self_run_options():
    result = invoke(
        "train",
        "--finetune",
        "--provider",
        "openai",
        "--model",
        "gpt-4o-mini",
        "--tokens",
        "5e6",
        "--gpus",
        "8",
    )
    assert result.exit_code == 2
    assert "--gpus" in result.output


def test_training_data_sources_keep_their_bracketed_tags_in_the_terminal():
    result = invoke("train", "--params", "7e9", "--tokens", "1e12", "--gpu", "h100-sxm")
    assert "[skypilot-lambda]" in result.output


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["run", "--nope", "x"], "error: No such option: --nope (see costline run --help)"),
        (["run"], "error: Missing argument 'scenario'. (see costline run --help)"),
        (["nosuch"], "error: No such command 'nosuch'. (see costline --help)"),
    ],
)
def test_a_usage_error_is_one_line_and_exit_code_2(args, message):
    import subprocess
    import sys

    done = subprocess.run(
        [sys.executable, "-m", "costline.cli", *args], capture_output=True, text=True
    )
    assert (done.returncode, done.stdout, done.stderr) == (2, "", message + "\n")


def test_version():
    import subprocess
    import sys

    from costline import __version__

    done = subprocess.run(
        [sys.executable, "-m", "costline.cli", "--version"], capture_output=True, text=True
    )
    assert (done.returncode, done.stdout) == (0, f"costline {__version__}\n")
