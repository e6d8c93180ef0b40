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

``--packaged`` measures what the platform runs instead: each function is packaged with ``opsfn package``
for the running interpreter's version, and every sample runs in ``python -I -S`` with only the unpacked
package on ``sys.path`` (no site-packages, no editable-install finder, no dev-only packages such as click
that httpx would otherwise pick up). The first invocation calls ``index.handler`` with a FunctionGraph
event and a fake context, against the emulator served on a loopback port (reset and re-seeded before every
run, so each run takes the same path), exactly like a deployed function talking to the cloud.

Usage: ``python bench/cold_start.py [--runs N] [--packaged]`` from the repository root.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import statistics
import subprocess
import sys
import tempfile
import textwrap
from pathlib import Path
from typing import Any

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

_PACKAGED_PROBE = textwrap.dedent(
    """
    import json, sys, time
    sys.path.insert(0, sys.argv[3])
    started = time.perf_counter()
    import index
    imported = time.perf_counter() - started
    sys.path.append(sys.argv[4])  # the fake context is dev tooling: from the checkout, after the timed import
    from devkit.fake_contexts import FakeFunctionGraphContext
    event = json.loads(open(sys.argv[1], encoding="utf-8").read())
    context = FakeFunctionGraphContext(function_name=sys.argv[2], timeout_seconds=60)
    started = time.perf_counter()
    answer = index.handler(event, context)
    invoked = time.perf_counter() - started
    status = answer.get("statusCode") if isinstance(answer, dict) else None
    ok = status is None or int(status) < 400
    print("MARK" + json.dumps({"import": imported, "invoke": invoked, "status": status, "ok": ok}))
    """
).replace("MARK", MARK)

_FLOOR_PROBE = textwrap.dedent(
    """
    import json, sys, time
    sys.path.insert(0, sys.argv[1])
    started = time.perf_counter()
    import asyncio, httpx, pydantic, structlog
    print("MARK" + json.dumps({"import": time.perf_counter() - started}))
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


def _probe(args: list[str], env: dict[str, str] | None = None) -> dict[str, float]:
    if env is None:
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


def _first_sample(name: str, *, functiongraph: bool = False) -> Path:
    """The function's webhook sample if it has one, else its first; FunctionGraph-shaped when asked."""
    found = (ROOT / "events" / name).glob("*.json")
    if functiongraph:
        found = (p for p in found if not p.name.startswith("scf_"))
    samples = sorted(found, key=lambda p: (not p.name.startswith("webhook"), p))
    if not samples:
        raise SystemExit(f"no sample events in events/{name}/")
    return samples[0]


def _venv_runs(name: str, module: str, sample: Path, runs: int) -> list[dict[str, float]]:
    probe = ["-c", _FUNCTION_PROBE, name, module, str(sample)]
    first = _probe(probe)
    if not first.get("ok"):
        print(f"  warning: {name} answered {first.get('status')} on {sample.name}")
    return [_probe(probe) for _ in range(runs)]


class _Packaged:
    """Packages built for this interpreter, an emulator on loopback, and the platform-shaped samples."""

    def __init__(self, template: Any, stack: contextlib.ExitStack) -> None:
        from devkit.emulator.registry import build_emulator
        from devkit.emulator.server import running_server
        from devkit.invoke import LocalRuntime
        from devkit.package import build_package

        self.template = template
        version = f"{sys.version_info.major}.{sys.version_info.minor}"
        out = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="opsfn-cold-")))
        cache = Path.home() / ".cache" / "opsfn" / "wheels"
        for name in template.functions:
            build_package(template, name, ROOT, out, python_version=version, cache=cache)
        self.out = out
        self.emulator = build_emulator()
        url = stack.enter_context(running_server(self.emulator))
        self.local = LocalRuntime(template, ROOT)
        self.local.emulator = self.emulator
        base = self.local._defaults(real=False)
        endpoints = {
            f"OPSFN_ENDPOINT_{s}": url for s in ("IAM", "IDE", "CSMS", "APIG", "SMN", "TENCENT_APIGW")
        }
        self.env = {
            "PATH": os.environ.get("PATH", ""),
            **base,
            **endpoints,
            "OPSFN_LOG_LEVEL": "ERROR",
            "OPSFN_IDEMPOTENCY_STORE": "memory://",
        }
        self.secret = base["OPSFN_WEBHOOK_SECRET"]

    def floor(self, name: str, runs: int) -> float:
        """Median import time of the mandated runtime dependencies alone, from the package."""
        probe = ["-I", "-S", "-c", _FLOOR_PROBE, str(self.out / name)]
        _probe(probe, self.env)
        return statistics.median(_probe(probe, self.env)["import"] for _ in range(runs))

    def runs(self, name: str, sample: Path, runs: int) -> list[dict[str, float]]:
        from devkit.invoke import sign_event, to_platform

        fn = self.template.functions[name]
        env = {**self.env, **self.template.environment(fn)}
        results = []
        for _ in range(runs + 1):  # the first run warms the byte-code cache and is dropped
            self.emulator.reset()
            self.local.seed()
            event = to_platform(json.loads(sample.read_text(encoding="utf-8")), "functiongraph")
            if self.local.needs_signature(name, event):
                event = sign_event(event, self.secret)
            path = self.out / f"{name}.event.json"
            path.write_text(json.dumps(event), encoding="utf-8")
            probe = ["-I", "-S", "-c", _PACKAGED_PROBE, str(path), name, str(self.out / name), str(ROOT)]
            results.append(_probe(probe, env))
        if not results[0].get("ok"):
            print(f"  warning: {name} answered {results[0].get('status')} on {sample.name}")
        return results[1:]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5, help="fresh interpreters per measurement")
    parser.add_argument("--packaged", action="store_true", help="run the deployed packages (see above)")
    args = parser.parse_args()
    sys.path.insert(0, str(ROOT))
    from devkit.template import load_template

    template = load_template(ROOT / "template.yaml")
    _probe(["-c", _SDK_PROBE])  # warm-up: byte-code caches exist for every later run
    sdk = statistics.median(_probe(["-c", _SDK_PROBE])["import"] for _ in range(args.runs))
    print(f"anchor: import huaweicloudsdkapig.v2  median {sdk * 1000:7.1f} ms  ({args.runs} runs)")
    mode = "deployed package, python -I -S, emulator on loopback" if args.packaged else "development venv"
    print(f"mode: {mode}")
    print(f"{'function':<20} {'import':>9} {'1st call':>9} {'total':>9} {'vs SDK':>7}  sample")
    worst = 0.0
    with contextlib.ExitStack() as stack:
        packaged = _Packaged(template, stack) if args.packaged else None
        for name, fn in template.functions.items():
            sample = _first_sample(name, functiongraph=packaged is not None)
            if packaged is not None:
                runs = packaged.runs(name, sample, args.runs)
            else:
                runs = _venv_runs(name, fn.module, sample, args.runs)
            worst = max(worst, _report(name, sample, runs, sdk))
        if packaged is not None:
            first = next(iter(template.functions))
            floor = packaged.floor(first, args.runs)
            print(
                f"floor: import asyncio, httpx, pydantic, structlog alone {floor * 1000:7.1f} ms "
                f"= {floor / sdk:.0%} of the SDK import"
            )
    _sizes(worst)


def _report(name: str, sample: Path, runs: list[dict[str, float]], sdk: float) -> float:
    """Print one function's medians; return its total as a fraction of the SDK import."""
    imp = statistics.median(r["import"] for r in runs)
    inv = statistics.median(r["invoke"] for r in runs)
    total = statistics.median(r["import"] + r["invoke"] for r in runs)
    ratio = total / sdk
    print(
        f"{name:<20} {imp * 1000:7.1f}ms {inv * 1000:7.1f}ms {total * 1000:7.1f}ms {ratio:6.0%}  "
        f"{sample.relative_to(ROOT)}"
    )
    return ratio


def _sizes(worst: float) -> None:
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
