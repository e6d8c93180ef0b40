"""Throughput of ``opsfn serve``: signed Standard Webhooks per second, end to end, with p50/p99 latency.

What runs: the real ``opsfn serve`` command (``devkit.cli``) in its own interpreter, on a free loopback port,
with the embedded emulator - exactly what a developer starts. A bounded load generator in this process
(an ``httpx.AsyncClient``, ``CONCURRENCY`` senders, at most ``count`` requests and at most ``seconds`` of
wall time) posts ``license_release`` webhooks, each signed with the local development secret and a fresh
``webhook-id`` and ``request_id`` (so idempotency never short-cuts one), and checks every answer is 200.
Each webhook is verified, claimed in the idempotency store, parsed and answered by the function after one
``ListLicenses`` call to the emulator. The first ``WARMUP`` requests (handler import, first client) are
sent first and left out of the figures.

Both sides share the machine's cores (on the 2-core reference machine the generator costs a fair part of
one), so the figure is a floor for what ``serve`` sustains alone.
"""

from __future__ import annotations

import asyncio
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from bench.core import ROOT, Figure

TITLE = "`opsfn serve` throughput: signed webhooks end to end"
ORDER = 40
SECTION = "serve"
CONCURRENCY = 8
WARMUP = 10
ROUTE = "/hooks/license/release"
NOTES = __doc__.split("\n\n", 1)[1].strip() if __doc__ else ""

_SERVE = "from devkit.cli import main; main()"


@contextmanager
def serving(timeout: float = 60.0) -> Iterator[str]:
    """``opsfn serve --port 0`` in a fresh interpreter; yields its webhook URL, stops it on exit."""
    folder = Path(tempfile.mkdtemp(prefix="opsfn-bench-serve-"))
    out, err = folder / "stdout", folder / "stderr"
    env = {**os.environ, "PYTHONPATH": str(ROOT), "OPSFN_IDEMPOTENCY_STORE": "memory://"}
    env.pop("OPSFN_WEBHOOK_SECRET", None)  # the documented local development secret, as `opsfn send` uses
    args = ["serve", "--port", "0", "--emulator-port", "0", "--duration", str(timeout)]
    with out.open("wb") as stdout, err.open("wb") as stderr:
        process = subprocess.Popen(
            [sys.executable, "-c", _SERVE, *args], cwd=ROOT, env=env, stdout=stdout, stderr=stderr
        )
    try:
        deadline = time.monotonic() + 30
        while True:
            for line in out.read_text(errors="replace").splitlines():
                if line.startswith("webhooks on "):
                    yield line.split()[2].rstrip(";")
                    return
            if process.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"opsfn serve did not start: {err.read_text(errors='replace')[-2000:]}")
            time.sleep(0.05)
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        for path in (out, err):
            path.unlink(missing_ok=True)
        folder.rmdir()


async def _load(url: str, count: int, seconds: float, concurrency: int) -> tuple[list[float], float, int]:
    """Send up to ``count`` signed webhooks in ``seconds``; latencies (s), wall time, non-200 answers."""
    import httpx

    from devkit.invoke import DEV_WEBHOOK_SECRET
    from shared.verify import sign_standard_webhook

    target = url.rstrip("/") + ROUTE
    latencies: list[float] = []
    failures = 0
    sent = 0
    deadline = time.perf_counter() + seconds

    async def sender(client: httpx.AsyncClient) -> None:
        nonlocal sent, failures
        while sent < count and time.perf_counter() < deadline:
            sent += 1
            key = uuid.uuid4().hex
            body = json.dumps({"request_id": f"bench-{key}", "user_id": key}).encode()
            headers = sign_standard_webhook(DEV_WEBHOOK_SECRET, f"msg_{key}", int(time.time()), body)
            headers["content-type"] = "application/json"
            started = time.perf_counter()
            answer = await client.post(target, content=body, headers=headers)
            latencies.append(time.perf_counter() - started)
            failures += answer.status_code != 200

    limits = httpx.Limits(max_connections=concurrency, max_keepalive_connections=concurrency)
    async with httpx.AsyncClient(limits=limits, timeout=30.0) as client:
        started = time.perf_counter()
        await asyncio.gather(*(sender(client) for _ in range(concurrency)))
        wall = time.perf_counter() - started
    return latencies, wall, failures


def _percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(fraction * (len(ordered) - 1)))]


def run(quick: bool) -> list[Figure]:
    count, seconds = (500, 8.0) if quick else (3000, 40.0)
    with serving(timeout=seconds + 60) as url:
        asyncio.run(_load(url, WARMUP, 30.0, 1))
        latencies, wall, failures = asyncio.run(_load(url, count, seconds, CONCURRENCY))
    if failures:
        raise RuntimeError(f"opsfn serve answered {failures} of {len(latencies)} webhooks with non-200")
    done = f"{len(latencies)} webhooks, {CONCURRENCY} concurrent senders, {wall:.1f} s"
    return [
        Figure(
            SECTION,
            "license_release webhooks through `opsfn serve`",
            len(latencies) / wall,
            "webhooks/s",
            note=done,
        ),
        Figure(SECTION, "latency p50", statistics.median(latencies) * 1000, "ms"),
        Figure(SECTION, "latency p99", _percentile(latencies, 0.99) * 1000, "ms"),
    ]
