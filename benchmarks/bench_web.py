"""How long the web page waits for a recompute when a slider moves, beside the library.

For each shipped example, interleaved rounds, medians (ms):

- `POST /api/evaluate` with `preview: true` (what the page asks while a slider moves) and
  with `preview: false` (what it settles on), through the ASGI app in this process, as a
  real server would run it (less the socket);
- the library's own calls doing the same work: `Costline.run` at the preview's sample
  sizes on the scenario without its cases (a preview has none); for the full evaluation,
  `Costline.run` and, when the scenario has levers, `Costline.levers` (the waterfall, and
  each case's: a little more than the page asks). The figures are checked equal first.

- with the API-vs-self-hosting curves on (`self_host`, SELF_HOST below), the preview
  endpoint beside `Costline.evaluate(preview=True, self_host=...)`, the library call it
  makes (the floor adds no chart specs or JSON); an example with nothing on an API has none.

Target (issue 16): a recompute answers in under 100 ms; a preview is allowed if the page
then settles on the full figures.

    .venv/bin/python benchmarks/bench_web.py --rounds 7
"""

from __future__ import annotations

import argparse
import statistics
import time
from pathlib import Path

from fastapi.testclient import TestClient

from costline.api import Costline
from costline.settings import PREVIEW_QUERY_SAMPLES, PREVIEW_USERS_SIMULATED
from costline.web.app import create_app
from costline.web.store import ScenarioStore

ROOT = Path(__file__).resolve().parent.parent
AS_OF = "2026-11-26"
TARGET_MS = 100.0
SELF_HOST = "gpt-oss-120b@h100-sxm"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=7)
    args = parser.parse_args()

    import tempfile

    cl = Costline(as_of=AS_OF)
    store = ScenarioStore(Path(tempfile.mkdtemp()) / "saved.sqlite")
    client = TestClient(create_app(cl, store=store, hosts=["testserver"]))
    examples = sorted((ROOT / "examples").glob("*.yaml"))
    print(
        f"{'example':24} {'preview':>9} {'floor':>9} {'full':>9} {'floor':>9}"
        f" {'+selfhost':>9} {'floor':>9}   (ms, medians)"
    )
    worst = 0.0
    for path in examples:
        text = path.read_text()
        scenario = cl.load(path)

        def preview(text: str = text) -> dict:
            return client.post("/api/evaluate", json={"yaml": text, "preview": True}).json()

        def full(text: str = text) -> dict:
            return client.post("/api/evaluate", json={"yaml": text}).json()

        # a preview has no cases: its floor is the scenario without them
        bare = scenario.model_copy(update={"cases": {}})

        def floor_preview(bare: object = bare) -> object:
            return cl.run(bare, samples=PREVIEW_QUERY_SAMPLES, users=PREVIEW_USERS_SIMULATED)  # type: ignore[arg-type]

        def floor_full(scenario: object = scenario) -> object:
            result = cl.run(scenario)  # type: ignore[arg-type]
            if any(f.levers for f in scenario.features):  # type: ignore[attr-defined]
                cl.levers(scenario)  # type: ignore[arg-type]  # the waterfall (and its cases')
            return result

        # same work: the endpoint's figures are the library's
        assert preview()["result"]["blended"]["cogs_usd"] == floor_preview().blended.cogs_usd  # type: ignore[attr-defined]
        assert full()["result"]["blended"]["cogs_usd"] == floor_full().blended.cogs_usd  # type: ignore[attr-defined]

        def hosted(text: str = text) -> dict:
            body = {"yaml": text, "preview": True, "self_host": SELF_HOST}
            return client.post("/api/evaluate", json=body).json()

        def floor_hosted(scenario: object = scenario) -> object:
            return cl.evaluate(scenario, preview=True, self_host=SELF_HOST)  # type: ignore[arg-type]

        calls = [("p", preview), ("fp", floor_preview), ("f", full), ("ff", floor_full)]
        crossing = hosted().get("crossing")
        if crossing is not None:
            floor_crossing = floor_hosted().crossing  # type: ignore[attr-defined]
            assert crossing["api_usd"] == floor_crossing.api_usd
            calls += [("h", hosted), ("fh", floor_hosted)]
        times: dict[str, list[float]] = {k: [] for k, _ in calls}
        for _ in range(args.rounds):
            for key, call in calls:
                start = time.perf_counter()
                call()
                times[key].append((time.perf_counter() - start) * 1000)
        m = {k: statistics.median(v) for k, v in times.items()}
        worst = max(worst, m["p"], m.get("h", 0.0))
        hosted_ms = f"{m['h']:9.1f} {m['fh']:9.1f}" if "h" in m else f"{'-':>9} {'-':>9}"
        print(
            f"{path.stem:24} {m['p']:9.1f} {m['fp']:9.1f} {m['f']:9.1f} {m['ff']:9.1f} {hosted_ms}"
        )
    verdict = "met" if worst < TARGET_MS else "MISSED"
    print(
        f"slowest preview {worst:.1f} ms, curves or not: target under {TARGET_MS:.0f} ms {verdict}"
    )


if __name__ == "__main__":
    main()
