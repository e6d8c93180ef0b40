"""key_rotation throughput: 1,000 rotations against the emulator with 50 ms injected on every call.

Why: a sweep rotates many secrets at once (``rotation_sweep`` fans out), so the protocol's many small calls
must overlap instead of adding up. The concurrency-bound ideal is what the latency alone allows: rotations
of one secret are sequential (one at a time, by design), different secrets run in parallel, so the ideal
wall time is ``rotations per secret x calls per rotation x latency``. The goal is a wall time <= 1.5x that.

Setup: ``--secrets`` APIG APP secrets (``single`` strategy, so no grace window skips a rotation) on one
emulator; each secret is rotated ``--rotations / --secrets`` times in a row, all secrets concurrently.
Every rotation must answer ``rotated``. Usage: ``python bench/rotation.py [--rotations N] [--secrets S]``.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import sys
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import httpx
import structlog

from devkit.emulator.credentials import DEMO_HUAWEI_AK, DEMO_HUAWEI_SK, DEMO_REGION
from devkit.emulator.registry import build_emulator
from devkit.emulator.services.apig.gateway import GATEWAY_PREFIX
from devkit.emulator.services.apig.state import DEFAULT_INSTANCE_ID
from functions.key_rotation.engine import Options
from functions.key_rotation.handler import run_job
from functions.key_rotation.models import RotationJob
from shared.clients.apig import ApigClient
from shared.clients.csms import CsmsClient
from shared.config import Settings
from shared.http import use_transport
from shared.idempotency.memory import MemoryStore

PROJECT = "0123456789abcdef0123456789abcdef"
LATENCY = 0.05
GOAL = 1.5


class Latency(httpx.AsyncBaseTransport):
    """Every call waits ``delay`` (the network) before the in-process emulator answers; calls are counted."""

    def __init__(self, inner: httpx.AsyncBaseTransport, delay: float) -> None:
        self.inner, self.delay, self.calls = inner, delay, 0

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        self.calls += 1
        await asyncio.sleep(self.delay)
        return await self.inner.handle_async_request(request)


async def setup(settings: Settings, secrets: int) -> None:
    async with ApigClient.from_settings(settings) as apig, CsmsClient.from_settings(settings) as csms:
        group = await apig.create_group("bench_group")
        api = await apig.create_api(
            {
                "group_id": group.id,
                "name": "bench_api",
                "type": 1,
                "req_protocol": "HTTPS",
                "req_method": "GET",
                "req_uri": "/orders",
                "auth_type": "APP",
                "backend_type": "MOCK",
                "mock_info": {"result_content": "ok"},
            }
        )
        await apig.publish_api(api.id)
        for i in range(secrets):
            app = await apig.create_app(f"bench_app_{i}", app_secret=f"benchsecret{i:05d}")
            await apig.authorize_apps([api.id], [app.id])
            value = {
                "kind": "apig-app",
                "strategy": "single",
                "instance_id": DEFAULT_INSTANCE_ID,
                "app_id": app.id,
                "app_key": app.app_key,
                "app_secret": f"benchsecret{i:05d}",
                "rotation_id": "enrol",
                "test_url": f"http://gw.local{GATEWAY_PREFIX}/{group.id}/orders",
            }
            secret = await csms.create_secret(f"bench-{i}", secret_string=json.dumps(value))
            tags = {"rotation": "enabled", "owner": "bench", "rotation-strategy": "single"}
            await csms.batch_create_or_delete_tags(secret.id, "create", tags)


async def rotate_all(settings: Settings, secrets: int, per_secret: int) -> list[str]:
    store, log = MemoryStore(), structlog.get_logger("bench")

    async def one_secret(i: int) -> list[str]:
        out: list[str] = []
        for n in range(per_secret):
            job = RotationJob(secret_name=f"bench-{i}", rotation_id=f"b{i}-{n}")
            out.append((await run_job(settings, job, Options(), log, store)).status)
        return out

    results = await asyncio.gather(*(one_secret(i) for i in range(secrets)))
    return [s for r in results for s in r]


TITLE = "Bulk: rotate secrets with 50 ms latency per call"


async def measure(rotations: int, secrets: int) -> dict[str, Any]:
    """Rotate ``rotations`` times over ``secrets`` APP secrets on the in-process emulator; the figures."""
    os.environ.update(
        HUAWEICLOUD_SDK_AK=DEMO_HUAWEI_AK,
        HUAWEICLOUD_SDK_SK=DEMO_HUAWEI_SK,
        HUAWEICLOUD_SDK_REGION=DEMO_REGION,
        HUAWEICLOUD_SDK_PROJECT_ID=PROJECT,
        OPSFN_APIG_INSTANCE_ID=DEFAULT_INSTANCE_ID,
        OPSFN_LOG_LEVEL="WARNING",
    )
    from shared.log import configure_logging

    configure_logging("WARNING")
    emulator = build_emulator()
    quotas = emulator.service("apig").backend(PROJECT).instances[DEFAULT_INSTANCE_ID].quotas
    quotas.update(APP_KEY_SECRET_SWITCH=1, APP_NUM_LIMIT=100000)
    settings = Settings.from_env()
    with use_transport(emulator.transport()):
        await setup(settings, secrets)
    per_secret = rotations // secrets
    latency = Latency(emulator.transport(), LATENCY)
    with use_transport(latency):
        started = time.perf_counter()
        statuses = await rotate_all(settings, secrets, per_secret)
        wall = time.perf_counter() - started
    calls_per_rotation = latency.calls / max(len(statuses), 1)
    return {
        "rotations": len(statuses),
        "rotated": statuses.count("rotated"),
        "secrets": secrets,
        "per_secret": per_secret,
        "calls": latency.calls,
        "calls_per_rotation": calls_per_rotation,
        "wall_s": wall,
        "ideal_s": per_secret * calls_per_rotation * LATENCY,
    }


def run(quick: bool) -> list[Any]:
    """``opsfn bench``: 100 rotations over 20 secrets with ``--quick``, else 1,000 over 50."""
    from bench.core import Figure

    got = asyncio.run(measure(100, 20) if quick else measure(1000, 50))
    if got["rotated"] != got["rotations"]:
        raise RuntimeError(f"only {got['rotated']} of {got['rotations']} rotations rotated")
    return [
        Figure(
            TITLE,
            f"{got['rotations']} rotations over {got['secrets']} secrets: "
            "wall time vs the concurrency-bound ideal",
            round(got["wall_s"], 2),
            "s",
            anchor="ideal (rotations per secret x calls x 50 ms)",
            anchor_value=round(got["ideal_s"], 2),
            goal=("<=", GOAL),
            note=f"{got['calls_per_rotation']:.1f} calls per rotation",
        )
    ]


async def main(rotations: int, secrets: int) -> None:
    got = await measure(rotations, secrets)
    done, wall, ideal = got["rotated"], got["wall_s"], got["ideal_s"]
    print(
        f"rotations: {got['rotations']} ({done} rotated) over {secrets} secrets, "
        f"{got['per_secret']} each in sequence"
    )
    print(
        f"calls: {got['calls']} ({got['calls_per_rotation']:.1f} per rotation), {LATENCY * 1000:.0f} ms each"
    )
    ratio = wall / ideal
    print(f"wall {wall:.2f} s, ideal {ideal:.2f} s (concurrency-bound), ratio {ratio:.2f}x (goal <= {GOAL}x)")
    if done != got["rotations"]:
        raise SystemExit("not every rotation rotated")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rotations", type=int, default=1000)
    parser.add_argument("--secrets", type=int, default=50)
    args = parser.parse_args()
    asyncio.run(main(args.rotations, args.secrets))
