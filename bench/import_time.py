"""Cold-start import cost: opsfn's signing + HTTP core versus the official Huawei APIG SDK.

Why: FunctionGraph/SCF bill and delay every cold start by the time spent importing. Each measurement runs
``python -X importtime -c "import ..."`` in a fresh interpreter (after one warm-up run so ``.pyc`` files
exist), sums the *cumulative* microseconds of the top-level imports that the statement caused (modules the
interpreter imports at start-up anyway are excluded, using a ``-c pass`` baseline), and takes the median of
several runs. The goal is opsfn ≤ 60 % of the SDK.

Usage: ``python bench/import_time.py [--runs N]`` from the repository root.
"""

from __future__ import annotations

import argparse
import re
import statistics
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
OPSFN = "import shared.auth, shared.http"
SDK = "import huaweicloudsdkapig.v2"
GOAL = 0.60

_LINE = re.compile(r"^import time:\s+(\d+)\s+\|\s+(\d+)\s+\|( *)(\S+)")


def _top_level(stderr: str) -> dict[str, int]:
    """Top-level module name → cumulative microseconds, from ``-X importtime`` output."""
    result: dict[str, int] = {}
    for line in stderr.splitlines():
        match = _LINE.match(line)
        if match and len(match.group(3)) <= 1:  # one space after "|" marks a top-level import
            result[match.group(4)] = int(match.group(2))
    return result


def _run(statement: str) -> str:
    done = subprocess.run(
        [sys.executable, "-X", "importtime", "-c", statement],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
    )
    return done.stderr


def measure(statement: str, runs: int) -> float:
    """Median cumulative import time of ``statement`` in milliseconds."""
    baseline = set(_top_level(_run("pass")))
    _run(statement)  # warm-up: compile .pyc files
    samples = []
    for _ in range(runs):
        modules = _top_level(_run(statement))
        samples.append(sum(us for name, us in modules.items() if name not in baseline) / 1000.0)
    return statistics.median(samples)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--runs", type=int, default=7, help="fresh interpreters per statement (median)")
    args = parser.parse_args(argv)
    ours = measure(OPSFN, args.runs)
    theirs = measure(SDK, args.runs)
    ratio = ours / theirs if theirs else float("inf")
    print(f"{OPSFN!r}: {ours:.1f} ms (median of {args.runs})")
    print(f"{SDK!r}: {theirs:.1f} ms (median of {args.runs})")
    print(f"ratio: {ratio:.0%} (goal <= {GOAL:.0%}) -> {'OK' if ratio <= GOAL else 'OVER'}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
