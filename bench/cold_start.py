"""Cold start per function: handler import + first invocation, against the SDK's import alone.

Why: a FunctionGraph/SCF cold start pays for importing the handler and for the first invocation (lazy
imports, first client, first signature). Each sample runs in a fresh interpreter:

1. ``import functions.<name>.handler`` is timed first, before anything else is imported;
2. the embedded emulator and the local runtime are then set up (not timed: they are dev tooling);
3. the first invocation of the function's first sample event is timed (webhook samples are signed
   exactly like ``opsfn invoke`` does).

Caveat: modules the emulator set-up imports after step 1 (e.g. parts of ``shared.auth``) are already
loaded when step 3 runs, so a lazy import inside the handler can look slightly cheaper than on the
platform. The anchor is ``import huaweicloudsdkapig.v2`` in a fresh interpreter of the same run (the
import alone, no client, no call). Goal: every function's cold start ≤ 50 % of it. Package sizes from
``dist/`` are printed too (goal: ≤ 5 MB each; run ``opsfn package`` first).

Usage: ``python bench/cold_start.py [--runs N]`` from the repository root.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import textwrap
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
GOAL = 0.50
MARK = "COLDSTART "

_FUNCTION_PROBE = textwrap.dedent(
    """
    import importlib, json, sys, time
    started = time.perf_counter()
    importlib.import_module(sys.argv[2])
    imported = time.perf_counter() - started
    from devkit.invoke import LocalRuntime
    from devkit.template import load_template
    runtime = LocalRuntime(load_template("template.yaml"), __import__("pathlib").Path("."))
    event = json.loads(open(sys.argv[3], encoding="utf-8").read())
    with runtime.running():
        started = time.perf_counter()
        result = runtime.invoke(sys.argv[1], event)
        invoked = time.perf_counter() - started
    out = {"import": imported, "invoke": invoked, "status": result.status, "ok": result.ok}
    print("MARK" + json.dumps(out))
    """
).replace("MARK", MARK)

_SDK_PROBE = textwrap.dedent(
    """
    import json, time
    started = time.perf_counter()
    import huaweicloudsdkapig.v2
    print("MARK" + json.dumps({"import": time.perf_counter() - started}))
    """
).replace("MARK", MARK)


def _probe(args: list[str]) -> dict[str, float]:
    env = {**os.environ, "OPSFN_LOG_LEVEL": "ERROR", "PYTHONDONTWRITEBYTECODE": ""}
    for name in list(env):
        if name.startswith("OPSFN_ENDPOINT_"):
            del env[name]
    done = subprocess.run(
        [sys.executable, *args], cwd=ROOT, capture_output=True, text=True, env=env, timeout=120, check=False
    )
    for line in done.stdout.splitlines():
        if line.startswith(MARK):
            data: dict[str, float] = json.loads(line[len(MARK) :])
            return data
    raise RuntimeError(f"probe failed ({done.returncode}): {done.stderr.strip()[-1500:]}")


def _first_sample(name: str) -> Path:
    samples = sorted(
        (ROOT / "events" / name).glob("*.json"), key=lambda p: (not p.name.startswith("webhook"), p)
    )
    if not samples:
        raise SystemExit(f"no sample events in events/{name}/")
    return samples[0]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5, help="fresh interpreters per measurement")
    args = parser.parse_args()
    sys.path.insert(0, str(ROOT))
    from devkit.template import load_template

    template = load_template(ROOT / "template.yaml")
    _probe(["-c", _SDK_PROBE])  # warm-up: byte-code caches exist for every later run
    sdk = statistics.median(_probe(["-c", _SDK_PROBE])["import"] for _ in range(args.runs))
    print(f"anchor: import huaweicloudsdkapig.v2  median {sdk * 1000:7.1f} ms  ({args.runs} runs)")
    print(f"{'function':<20} {'import':>9} {'1st call':>9} {'total':>9} {'vs SDK':>7}  sample")
    worst = 0.0
    for name, fn in template.functions.items():
        sample = _first_sample(name)
        probe = ["-c", _FUNCTION_PROBE, name, fn.module, str(sample)]
        first = _probe(probe)
        if not first.get("ok"):
            print(f"  warning: {name} answered {first.get('status')} on {sample.name}")
        runs = [_probe(probe) for _ in range(args.runs)]
        imp = statistics.median(r["import"] for r in runs)
        inv = statistics.median(r["invoke"] for r in runs)
        total = statistics.median(r["import"] + r["invoke"] for r in runs)
        ratio = total / sdk
        worst = max(worst, ratio)
        print(
            f"{name:<20} {imp * 1000:7.1f}ms {inv * 1000:7.1f}ms {total * 1000:7.1f}ms {ratio:6.0%}  "
            f"{sample.relative_to(ROOT)}"
        )
    verdict = "meets" if worst <= GOAL else "misses"
    print(f"worst ratio {worst:.0%}: {verdict} the goal of <= {GOAL:.0%} of the SDK import")
    dist = ROOT / "dist"
    zips = sorted(dist.glob("*.zip")) if dist.is_dir() else []
    if not zips:
        print("package sizes: no dist/*.zip (run `opsfn package` first)")
    for path in zips:
        size = path.stat().st_size
        flag = "ok" if size <= 5 * 1024 * 1024 else "over 5 MB"
        print(f"package {path.name:<28} {size / 1024 / 1024:6.2f} MB  {flag}")


if __name__ == "__main__":
    main()
