"""How long a user waits for the command line, beside what it cannot beat.

Prints, side by side and measured in the same run (interleaved rounds, medians):

- `python -c pass`: the interpreter's own start, the floor of any Python CLI;
- a bare Typer app with two commands printing its rich `--help`: what Typer itself costs;
- `costline --help`;
- `costline run examples/support-copilot.yaml --format json`;
- the same run in-process: `Costline(...).run(path)` and its JSON in an interpreter that
  has imported costline but loaded no catalog yet (what the CLI does after its imports);
  and again once the catalogs are loaded (a notebook's second call).

The in-process run must print the same JSON as the CLI, or the comparison measures
nothing; the script checks it. Targets (issue 14): `--help` within 6x of bare Python;
`costline run` within 2x of the in-process run.

    .venv/bin/python benchmarks/bench_startup.py --rounds 7
    git worktree add /tmp/before <commit>     # and the same commands of an older costline:
    .venv/bin/python benchmarks/bench_startup.py --before /tmp/before
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SCRIPTS = Path(sys.executable).parent
EXAMPLE = "examples/support-copilot.yaml"
AS_OF = "2026-11-26"

BARE_TYPER = '''
import typer

app = typer.Typer(help="A bare app.")


@app.command()
def run(x: int = 1) -> None:
    """Run it."""


@app.command()
def other(y: int = 2) -> None:
    """Something else."""


app()
'''

IN_PROCESS = f"""
import sys, time
import costline.api, costline.report.json_report  # imports excluded, as the CLI pays them
import costline.engine.run, costline.scenario.load, costline.scenario.prices
t0 = time.perf_counter()
cl = costline.api.Costline(as_of="{AS_OF}")
text = costline.report.json_report.to_json(cl.run("{EXAMPLE}")) + "\\n"
t1 = time.perf_counter()
again = costline.report.json_report.to_json(cl.run("{EXAMPLE}")) + "\\n"
t2 = time.perf_counter()
sys.stdout.write(text)
sys.stderr.write(f"{{t1 - t0}} {{t2 - t1}}\\n")
"""


def _env() -> dict[str, str]:
    env = dict(os.environ)
    # a user's interpreter writes and reads bytecode; this sandbox's default does not
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    return env


PLAIN = "costline --help, plain (TYPER_USE_RICH=0)"
"""Typer's help without Rich: what giving up the boxed help would buy."""


def _wall(cmd: list[str], cwd: Path = ROOT, plain: bool = False) -> tuple[float, str, str]:
    env = _env() | ({"TYPER_USE_RICH": "0"} if plain else {})
    start = time.perf_counter()
    done = subprocess.run(cmd, cwd=cwd, env=env, capture_output=True, text=True)
    took = time.perf_counter() - start
    if done.returncode != 0:
        raise SystemExit(f"{' '.join(cmd)} failed: {done.stderr[-500:]}")
    return took, done.stdout, done.stderr


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rounds", type=int, default=7, help="Interleaved rounds (median).")
    parser.add_argument(
        "--before",
        type=Path,
        help="A checkout of an earlier costline (git worktree): its --help and run are "
        "timed in the same rounds, from that folder (python -m costline.cli).",
    )
    args = parser.parse_args()

    with tempfile.TemporaryDirectory() as tmp:
        bare = Path(tmp) / "bare_typer.py"
        bare.write_text(BARE_TYPER)
        python = [sys.executable]
        costline = [str(SCRIPTS / "costline")]
        runs = {
            "python -c pass": [*python, "-c", "pass"],
            "bare Typer app --help": [*python, str(bare), "--help"],
            "costline --help": [*costline, "--help"],
            PLAIN: [*costline, "--help"],
            f"costline run {EXAMPLE}": [*costline, "run", EXAMPLE, "-f", "json", "--as-of", AS_OF],
        }
        where = {name: ROOT for name in runs}
        if args.before is not None:
            old = [*python, "-m", "costline.cli"]
            for name, tail in (
                ("before: costline --help", ["--help"]),
                (
                    f"before: costline run {EXAMPLE}",
                    ["run", EXAMPLE, "-f", "json", "--as-of", AS_OF],
                ),
            ):
                runs[name] = [*old, *tail]
                where[name] = args.before.resolve()
        times: dict[str, list[float]] = {name: [] for name in runs}
        first: list[float] = []
        warm: list[float] = []
        # one untimed round writes the bytecode and the cache entries
        for name, cmd in runs.items():
            _wall(cmd, where[name], name == PLAIN)
        _wall([*python, "-c", IN_PROCESS])
        cli_json = ""
        for _ in range(args.rounds):
            for name, cmd in runs.items():
                took, out, _ = _wall(cmd, where[name], name == PLAIN)
                times[name].append(took)
                if name.startswith("costline run"):
                    cli_json = out
                elif name.startswith("before: costline run") and out != cli_json:
                    print("note: the earlier costline printed other JSON for the run")
            _, out, err = _wall([*python, "-c", IN_PROCESS])
            a, b = (float(x) for x in err.split())
            first.append(a)
            warm.append(b)
            if out != cli_json:
                raise SystemExit("the in-process run printed other JSON than costline run")

    med = {name: statistics.median(t) for name, t in times.items()}
    in_first, in_warm = statistics.median(first), statistics.median(warm)
    bare_python = med["python -c pass"]
    print(f"median of {args.rounds} interleaved rounds (seconds, wall clock)\n")
    for name, value in med.items():
        print(f"  {name:<52} {value:7.3f}  {value / bare_python:6.1f}x python")
    print(f"  {'in-process run + JSON, catalogs not yet loaded':<52} {in_first:7.3f}")
    print(f"  {'in-process run + JSON, catalogs loaded':<52} {in_warm:7.3f}")
    print("\nthe in-process run printed the same JSON as costline run: checked")
    helped = med["costline --help"] / bare_python
    ran = med[f"costline run {EXAMPLE}"] / in_first
    print(f"\n  costline --help / python -c pass      {helped:5.1f}x  (target <= 6x)")
    print(f"  costline run / in-process run         {ran:5.1f}x  (target <= 2x)")
    typer_alone = med["bare Typer app --help"] / bare_python
    print(f"  bare Typer --help / python -c pass    {typer_alone:5.1f}x  (Typer's rich help alone)")
    plain = med[PLAIN] / bare_python
    print(f"  plain --help / python -c pass         {plain:5.1f}x  (Typer without Rich)")


if __name__ == "__main__":
    main()
