"""Faults on every call plus a crash between random steps: after redelivery, fully new or fully previous.

Each run: one delivery with 20 % of APIG calls failing (503) and a simulated process death at a random
step; then redeliveries, the first five still under the same fault rate, later ones after the outage ended.
The state of the scope after the final answer must equal the state before the run or the document - never
a mix - and the API outside the scope must be untouched.

CI runs ``OPSFN_CHAOS_RUNS`` (default 40) seeded runs; the long profile is ``OPSFN_CHAOS_RUNS=200``.
"""

from __future__ import annotations

import asyncio
import os
import random
from typing import Any

import pytest

from devkit.emulator.faults import FaultInjector
from functions.api_publish.engine import RunInput, run
from functions.api_publish.huawei import HuaweiTarget, from_huawei
from functions.api_publish.journal import Journal
from functions.api_publish.spec import parse_document
from shared.clients.apig import ApigClient
from shared.config import Settings
from shared.http import RetryPolicy, make_client
from shared.idempotency.memory import MemoryStore
from tests.api_publish.conftest import Env, api_doc, crashing_run, nosleep

RUNS = int(os.environ.get("OPSFN_CHAOS_RUNS", "40"))
STEPS = ("journaled", "deleted", "updated", "created", "published:RELEASE")


def _client(env: Env) -> ApigClient:
    settings = Settings.from_env()
    http = make_client(
        settings.endpoint("apig"),
        settings.huawei_auth(),
        service="apig",
        retry=RetryPolicy(max_attempts=2, sleep=nosleep),
    )
    return ApigClient(http, project_id=settings.project_id, instance_id=settings.apig_instance_id)


def fingerprint(env: Env) -> dict[str, Any]:
    """Every API of the group: its draft spec and the spec in effect in RELEASE (None: offline)."""
    inst = env.instance
    out = {}
    for api in inst.apis:
        record = inst.publishes.get((api["id"], "DEFAULT_ENVIRONMENT_RELEASE_ID"))
        online = from_huawei(inst.definition(record)) if record else None
        out[api["name"]] = (from_huawei(api), online)
    return out


async def _deliver(env: Env, journal: Journal, doc: dict[str, Any], crash_at: str | None) -> dict[str, Any]:
    async with _client(env) as client:
        target = HuaweiTarget(client, env.group_id, ["RELEASE"], prefix="shop_", concurrency=4)
        return await crashing_run(target, doc, journal, crash_at)


def _scenario(env: Env, seed: int) -> None:
    rng = random.Random(seed)
    env.emulator.faults = None
    env.emulator.restore(baseline)
    journal = Journal(MemoryStore())
    previous = fingerprint(env)
    outside = {k: v for k, v in previous.items() if not k.startswith("shop_")}
    doc = api_doc(4, version="v2", start=1)  # item0 pruned, item1-3 updated, item4 created
    env.emulator.faults = FaultInjector(seed=seed)
    env.emulator.faults.add("apig", kind="error", rate=0.2)
    answer = asyncio.run(_deliver(env, journal, doc, rng.choice(STEPS)))
    for attempt in range(8):
        if answer["http_status"] in (200, 422):
            break
        if attempt == 5:
            env.emulator.faults = None  # the outage ends; the sender's retries carry on
        answer = asyncio.run(_deliver(env, journal, doc, None))
    env.emulator.faults = None
    assert answer["http_status"] in (200, 422), answer
    now = fingerprint(env)
    assert {k: v for k, v in now.items() if not k.startswith("shop_")} == outside
    desired = {s.name: (s, s) for s in parse_document(doc)}
    mine = {k: v for k, v in now.items() if k.startswith("shop_")}
    assert mine in ({k: v for k, v in previous.items() if k.startswith("shop_")}, desired), (seed, answer)


baseline: Any = None


@pytest.mark.parametrize("block", range(4))
def test_faults_and_crashes_end_fully_new_or_fully_previous(env: Env, block: int) -> None:
    global baseline
    setup = asyncio.run(_setup(env))
    assert setup
    baseline = env.emulator.snapshot()
    for seed in range(block, RUNS, 4):
        _scenario(env, seed)


async def _setup(env: Env) -> bool:
    journal = Journal(MemoryStore())
    async with _client(env) as client:
        doc = api_doc(4, version="v1")
        target = HuaweiTarget(client, env.group_id, ["RELEASE"], prefix="shop_")
        first = await run(target, RunInput("commit-1", parse_document(doc), doc), journal)
        other = api_doc(1, prefix="other_", start=50)
        target = HuaweiTarget(client, env.group_id, ["RELEASE"], prefix="other_")
        second = await run(target, RunInput("commit-o", parse_document(other), other), journal)
    return bool(first["status"] == "applied" and second["status"] == "applied")
