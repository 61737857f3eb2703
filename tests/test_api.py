"""The library face: every command's JSON is what `Costline` returns, the exported surface,
and what `costline --help` costs to import."""

from __future__ import annotations

import ast
import contextlib
import json
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

import costline
from costline.api import Costline
from costline.cli import app
from costline.cli.app import flag
from costline.errors import InputError

from .conftest import AS_OF, EXAMPLES, ROOT

SCENARIOS = sorted(EXAMPLES.glob("*.yaml"))
AT = ["--as-of", AS_OF.isoformat()]
FEW = 2_000  # parity holds at any sample size; a small one keeps the suite quick


def both(args: list[str], call: Callable[[], Any]) -> tuple[str, str]:
    """The CLI's output for `args` and the library's JSON for `call`; an error either way
    must be the same error the other way."""
    out = CliRunner().invoke(app, args, catch_exceptions=False)
    try:
        expected = costline.to_json(call()) + "\n"
    except InputError as err:
        assert out.exit_code == 2, out.output
        # the same message, with its inputs spelt as options
        assert err.render(flag) in out.stderr, (out.stderr, str(err))
        return "error", "error"
    assert out.exit_code == 0, out.output
    return out.stdout, expected


SCENARIO_COMMANDS: dict[str, tuple[list[str], Callable[[Costline, str], Any]]] = {
    "run": (
        ["run", "{}", "-f", "json", "--samples", str(FEW), "--users", "1000"],
        lambda cl, f: cl.run(f, samples=FEW, users=1000),
    ),
    "brief": (
        ["brief", "{}", "-f", "json", "--no-solve", "--samples", str(FEW)],
        lambda cl, f: cl.brief(f, samples=FEW, solve=False),
    ),
    "levers": (["levers", "{}", "-f", "json"], lambda cl, f: cl.levers(f)),
    "levers-what-if": (
        ["levers", "{}", "-f", "json", "--cache-hit-rate", "0.2", "--compress", "0.1"],
        lambda cl, f: cl.levers(
            f,
            what_if={"response_cache": {"hit_rate": 0.2}, "compression": {"input_reduction": 0.1}},
        ),
    ),
    "diff-prices-at": (
        ["diff", "{}", "--prices-at", "2025-06-01", "-f", "json", "--samples", str(FEW)],
        lambda cl, f: cl.diff(f, prices_at="2025-06-01", samples=FEW),
    ),
    "breakeven": (
        ["breakeven", "{}", "--self-host", "llama-3.1-70b@h100-sxm", "-f", "json"],
        lambda cl, f: cl.breakeven(f, "llama-3.1-70b@h100-sxm"),
    ),
}


@pytest.mark.parametrize("command", SCENARIO_COMMANDS)
@pytest.mark.parametrize("example", SCENARIOS, ids=lambda p: p.stem)
def test_every_example_gives_the_same_json_from_the_cli_and_the_library(cl, example, command):
    args, call = SCENARIO_COMMANDS[command]
    path = str(example.relative_to(ROOT))
    given = [a.replace("{}", path) for a in args] + AT
    with contextlib.chdir(ROOT):
        printed, returned = both(given, lambda: call(cl, path))
    assert printed == returned


def test_solve_diff_and_the_rest_give_the_same_json_both_ways(cl, tmp_path):
    margin = "examples/margin-levers.yaml"
    cases = [
        (
            ["solve", margin, "--target", "cogs-share=0.30", "-f", "json", "--samples", "500"],
            lambda: cl.solve(margin, "cogs-share", 0.30, samples=500),
        ),
        (
            ["diff", "examples/diff/old.yaml", "examples/diff/new.yaml", "-f", "json"],
            lambda: cl.diff("examples/diff/old.yaml", "examples/diff/new.yaml"),
        ),
        (
            ["train", "--params", "70e9", "--tokens", "2e12", "--gpu", "a100-80gb", "-f", "json"],
            lambda: cl.train(params=70e9, tokens=2e12, gpu="a100-80gb"),
        ),
        (
            ["selfhost", "--model", "llama-3.1-8b", "--gpu", "l4", "-f", "json"],
            lambda: cl.selfhost("llama-3.1-8b", "l4"),
        ),
        (["gpus", "-f", "json"], lambda: cl.gpus()),
        (["models", "search", "claude", "haiku", "-f", "json"], lambda: cl.models("claude haiku")),
        (
            ["classify", "examples/bills/ledger.csv", "--labels", "bucket", "-f", "json"],
            lambda: cl.classify("examples/bills/ledger.csv", labels="bucket"),
        ),
        (
            ["usage", "examples/logs/openai.jsonl", "--by", "model", "-f", "json"],
            lambda: cl.usage("examples/logs/openai.jsonl", by="model"),
        ),
    ]
    with contextlib.chdir(ROOT):
        for args, call in cases:
            extra = AT if args[0] in {"solve", "diff"} else []
            printed, returned = both(args + extra, call)
            if args[0] == "usage":
                # DuckDB sums in parallel, so a mean may differ in its last bit between
                # two runs of the same logs
                assert _close(json.loads(printed), json.loads(returned)), args
            else:
                assert printed == returned, args


def _close(a: Any, b: Any) -> bool:
    """Equal, floats within 1e-12 of each other, at any depth."""
    if isinstance(a, dict) and isinstance(b, dict):
        return a.keys() == b.keys() and all(_close(a[k], b[k]) for k in a)
    if isinstance(a, list) and isinstance(b, list):
        return len(a) == len(b) and all(_close(x, y) for x, y in zip(a, b, strict=True))
    if isinstance(a, float) and isinstance(b, float):
        return a == pytest.approx(b, rel=1e-12)
    return a == b


def test_a_scenario_as_a_path_a_dict_or_a_scenario_gives_the_same_result(cl):
    path = EXAMPLES / "consumer-chat.yaml"
    loaded = cl.load(path)
    as_dict = loaded.model_dump(mode="json", exclude_unset=True)
    results = [cl.run(s, samples=FEW, users=1000) for s in (path, as_dict, loaded)]
    dumps = [r.model_dump(exclude={"scenario"}) for r in results]
    assert dumps[0] == dumps[1] == dumps[2]
    # the figure the issue found missing from the old library path: a latency from the
    # catalog's api_latency.yml (gpt-4o-mini is in it)
    assert results[0].features[0].latency.p95_s is not None


def test_bad_input_to_the_library_names_the_field():
    cl = Costline(as_of=AS_OF)
    with pytest.raises(InputError) as err:
        cl.train(params=70e9, tokens=2e12, gpu="a100-80gb", mfu=1.5)
    assert err.value.field == "mfu"
    with pytest.raises(InputError) as err:
        cl.levers(
            "examples/margin-levers.yaml",
            what_if={"routing": {"model": "openai:gpt-4.1-nano", "share": 2}},
        )
    assert err.value.field == "routing.share"
    with pytest.raises(InputError) as err:
        Costline(as_of="26 November")
    assert err.value.field == "as_of"


def test_the_timeline_is_a_dataframe(cl):
    pandas = pytest.importorskip("pandas")
    result = cl.run(EXAMPLES / "support-copilot.yaml", samples=FEW, users=1000)
    frame = result.timeline.to_pandas()
    assert isinstance(frame, pandas.DataFrame)
    assert len(frame) == len(result.timeline) == 36
    assert frame["inference_cost_usd"].tolist() == [m.inference_cost_usd for m in result.timeline]
    features = result.features.to_pandas()
    assert features["cost_per_query.p95"].tolist() == [
        f.cost_per_query.p95 for f in result.features
    ]


def test_the_exported_surface():
    assert sorted(costline.__all__) == sorted(
        [
            "Classified",
            "Costline",
            "CostlineError",
            "Fitted",
            "InputError",
            "Result",
            "Scenario",
            "ScenarioError",
            "Written",
            "__version__",
            "load_scenario",
            "parse_scenario",
            "run_scenario",
            "to_json",
        ]
    )
    for name in costline.__all__:
        assert getattr(costline, name) is not None, name
    with pytest.raises(AttributeError):
        costline.no_such_name  # noqa: B018
    public = [n for n in dir(Costline) if not n.startswith("_")]
    for name in public:
        doc = getattr(Costline, name).__doc__
        assert doc and doc.strip(), f"Costline.{name} has no docstring"


def test_costline_help_imports_none_of_the_engine():
    code = (
        "import sys\n"
        "from costline.cli import app\n"
        "sys.argv = ['costline', '--help']\n"
        "try:\n    app()\nexcept SystemExit:\n    pass\n"
        "heavy = ('numpy', 'duckdb', 'genai_prices', 'pydantic', 'yaml')\n"
        "print('heavy:' + ','.join(m for m in heavy if m in sys.modules))\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=ROOT
    )
    assert "Usage" in out.stdout
    assert out.stdout.strip().splitlines()[-1] == "heavy:"


def _imports(path: Path) -> set[str]:
    """Every costline module `path` imports (at any depth of the file)."""
    tree = ast.parse(path.read_text())
    found = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module:
            found.add(node.module)
        elif isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
    return {m for m in found if m.startswith("costline")}


LAYERS = {
    # package: packages it must not import
    "catalog": ("costline.scenario", "costline.engine", "costline.ingest", "costline.report"),
    "scenario": ("costline.engine", "costline.ingest", "costline.report", "costline.cli"),
    "engine": ("costline.ingest", "costline.report", "costline.cli", "costline.api"),
    "ingest": ("costline.engine", "costline.report", "costline.cli"),
    "report": ("costline.cli",),
    "cli": ("costline.engine", "costline.catalog", "costline.ingest", "costline.scenario"),
}


@pytest.mark.parametrize("package", LAYERS)
def test_no_module_imports_a_layer_above_it(package):
    bad = []
    for path in sorted((ROOT / "costline" / package).rglob("*.py")):
        for module in _imports(path):
            if module.startswith(LAYERS[package]):
                bad.append(f"{path.relative_to(ROOT)} imports {module}")
    assert bad == []


def test_the_cached_text_model_is_the_one_training_gives(tmp_path, monkeypatch):
    import numpy as np

    from costline.api import Catalogs
    from costline.catalog.rules import labelled_lines
    from costline.engine.classify import train_text_model

    monkeypatch.setenv("COSTLINE_CACHE_DIR", str(tmp_path / "cache"))
    trained = train_text_model(list(labelled_lines()))
    built = Catalogs().line_model  # trains and stores
    assert len(list((tmp_path / "cache").glob("text-model-*.npz"))) == 1
    read = Catalogs().line_model  # reads what was stored
    for model in (built, read):
        assert model.vocabulary == trained.vocabulary
        assert model.examples == trained.examples
        assert np.array_equal(model.log_prior, trained.log_prior)
        assert np.array_equal(model.log_likelihood, trained.log_likelihood)


def test_an_unwritable_cache_folder_costs_time_not_an_error(tmp_path, monkeypatch):
    from costline.api import Catalogs

    blocker = tmp_path / "a-file"
    blocker.write_text("not a folder")
    monkeypatch.setenv("COSTLINE_CACHE_DIR", str(blocker / "cache"))
    assert Catalogs().line_model.examples > 0


def test_the_cached_vega_bundle_is_the_one_vl_convert_builds(tmp_path, monkeypatch):
    from costline.report import html

    monkeypatch.setenv("COSTLINE_CACHE_DIR", str(tmp_path))
    html.vega_bundle.cache_clear()
    try:
        stored = html.vega_bundle()
        assert [p.name.startswith("vega-bundle-") for p in tmp_path.iterdir()] == [True]
        html.vega_bundle.cache_clear()
        assert html.vega_bundle() == stored == html._build_vega_bundle()
        assert "</script" not in stored
    finally:
        html.vega_bundle.cache_clear()


@pytest.mark.parametrize(
    "call, field",
    [
        (lambda cl: cl.run(42), "scenario"),
        (lambda cl: cl.run("examples/support-copilot.yaml", samples=-1), "samples"),
        (lambda cl: cl.run("examples/support-copilot.yaml", seed=-1), "seed"),
        (lambda cl: cl.run("examples/support-copilot.yaml", users=True), "users"),
        (lambda cl: cl.models(1), "query"),
        (lambda cl: cl.models("gpt", limit=0), "limit"),
        (lambda cl: cl.selfhost("llama-3.1-8b", "l4", tp=0), "tp"),
        (lambda cl: cl.solve("examples/margin-levers.yaml", "margin", 0.3), "target"),
        (lambda cl: cl.classify([]), "lines"),
        (lambda cl: cl.export("examples/support-copilot.yaml", "x.txt"), "out"),
        (
            lambda cl: cl.levers(
                "examples/support-copilot.yaml",
                what_if={"routing": {"model": "nope:x", "share": 0.3}},
            ),
            "routing.model",
        ),
        (
            lambda cl: cl.levers(
                "examples/support-copilot.yaml", what_if={"response_cache": {"hit_rat": 0.2}}
            ),
            "response_cache.hit_rat",
        ),
    ],
)
def test_a_wrong_argument_to_the_library_is_an_input_error_naming_it(cl, call, field):
    with contextlib.chdir(ROOT), pytest.raises(InputError) as err:
        call(cl)
    assert err.value.field == field
    assert "Field required" not in str(err.value)


def test_every_result_has_json_and_wrong_shapes_are_input_errors(cl, tmp_path):
    import datetime as dt

    with contextlib.chdir(ROOT):
        cases = json.loads(costline.to_json(cl.cases("examples/margin-levers.yaml")))
        assert cases[0]["name"] == "base"
        written = cl.export("examples/support-copilot.yaml", tmp_path / "m.xlsx", samples=500)
        assert json.loads(costline.to_json(written))["path"] == str(tmp_path / "m.xlsx")
        path = "examples/support-copilot.yaml"
        for call, field in (
            (lambda: cl.levers(path, what_if={"response_cache": 0.2}), "what_if"),
            (lambda: cl.solve(path, "gross-margin", "0.5"), "target"),
            (lambda: cl.classify([1, 2]), "lines"),
            (lambda: cl.ingest(42, out=tmp_path / "p.parquet"), "files"),
            (lambda: cl.breakeven(path, "llama-3.1-70b", tp=2), "self_host"),
            (lambda: cl.breakeven(path, "llama-3.1-70b@h100-sxm", min_replicas=0), "min_replicas"),
            (lambda: cl.run((ROOT / path).read_text()), "scenario"),
        ):
            with pytest.raises(InputError) as err:
                call()
            assert err.value.field == field
    # a datetime is taken as its day
    assert Costline(as_of=dt.datetime(2026, 12, 1, 15)).as_of == dt.date(2026, 12, 1)


def test_a_message_names_the_input_as_each_surface_spells_it(cl, tmp_path):
    """The library's message names keywords, the CLI's the options (no `--out` in Python)."""
    out = tmp_path / "u.parquet"
    out.write_bytes(b"mine")
    with pytest.raises(InputError) as err:
        cl.ingest(str(ROOT / "examples/logs/openai.jsonl"), out)
    assert "force=True" in str(err.value) and "--" not in str(err.value)
    done = CliRunner().invoke(
        app, ["ingest", str(ROOT / "examples/logs/openai.jsonl"), "-o", str(out)]
    )
    assert done.exit_code == 2
    assert "choose another --out or add --force to replace it" in done.output
    assert out.read_bytes() == b"mine"
    with pytest.raises(InputError) as err:
        cl.usage(str(ROOT / "examples/logs/export.csv"))
    assert "format=" in str(err.value) and "--" not in str(err.value)
    done = CliRunner().invoke(app, ["usage", str(ROOT / "examples/logs/export.csv")])
    assert "--log-format" in done.output and "--map" in done.output


def test_rows_are_looked_up_by_name_and_every_result_dumps(cl, tmp_path):
    with contextlib.chdir(ROOT):
        r = cl.run("examples/support-copilot.yaml", samples=FEW, users=1000)
        assert r.features["ticket-summary"] is r.features[1]
        assert r.plans[r.plans[0].name] is r.plans[0]
        with pytest.raises(KeyError, match="names are draft-reply, ticket-summary"):
            r.features["nope"]
        written = cl.export("examples/support-copilot.yaml", tmp_path / "m.xlsx", samples=500)
        classified = cl.classify(["vLLM serving on L4", "LoRA run on 8 H100s"])
    assert written.model_dump()["path"] == str(tmp_path / "m.xlsx")
    assert "result" not in written.model_dump()
    dumped = classified.model_dump()
    assert [i["bucket"] for i in dumped["items"]] == [i.bucket for i in classified.items]
    json.dumps(dumped)  # JSON-ready


def test_the_library_signatures_name_their_inputs():
    import inspect

    run = inspect.signature(Costline.run)
    assert run.parameters["scenario"].annotation == "ScenarioInput"
    fleet = set(inspect.signature(Costline.breakeven).parameters)
    assert {"tp", "dtype", "utilisation", "min_replicas", "staff_usd_per_month"} <= fleet
