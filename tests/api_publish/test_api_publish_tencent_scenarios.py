"""The Huawei scenarios on Tencent APIGW: 20 APIs released, re-plan 0, 3 changed, prune, crash/fault runs.

What is checked is the emulator's own state: the API drafts of the service and the version the release
environment serves (ReleaseService freezes every API into it), and the write actions that reached it.

The chaos variant runs ``OPSFN_CHAOS_RUNS_TENCENT`` seeded runs (default 20, about 2 s); the long profile
is ``OPSFN_CHAOS_RUNS_TENCENT=200``.
"""

from __future__ import annotations

import asyncio
import json
import os
import random
from typing import Any

import pytest

from devkit.emulator.faults import FaultInjector
from devkit.emulator.services.tencent_apigw.state import ServiceState
from functions.api_publish.handler import app
from functions.api_publish.journal import Journal
from functions.api_publish.spec import parse_document
from functions.api_publish.tencent import TencentTarget
from shared.clients.tencent_apigw import ApiSpec, RequestConfig, TencentApigwClient
from shared.config import Settings
from shared.http import RetryPolicy, make_client
from shared.idempotency.memory import MemoryStore
from tests.api_publish.conftest import Env, api_doc, crashing_run, github_event, nosleep

WRITES = ("CreateApi", "ModifyApi", "DeleteApi", "ReleaseService", "UpdateService", "UnReleaseService")
RUNS = int(os.environ.get("OPSFN_CHAOS_RUNS_TENCENT", "20"))
STEPS = ("journaled", "deleted", "updated", "created", "published:release")


def invoke(body: dict[str, Any]) -> tuple[int, dict[str, Any]]:
    response = app.invoke_local(github_event(body))
    return int(response["statusCode"]), json.loads(response["body"])


def request(service_id: str, doc: dict[str, Any], commit: str, **extra: Any) -> dict[str, Any]:
    target = {"cloud": "tencent", "service_id": service_id, "environments": ["release"]}
    return {
        "commit": commit,
        "document": {"inline": doc},
        "target": target,
        "scope": {"name_prefix": "shop_"},
        **extra,
    }


async def _new_service(outside: bool = False) -> str:
    async with TencentApigwClient.from_settings(Settings.from_env()) as client:
        service_id = (await client.create_service("shop")).service_id
        if outside:  # an API this pipeline does not own
            spec = ApiSpec(
                request_config=RequestConfig(path="/other", method="GET"),
                service_type="MOCK",
                api_name="other_api",
                service_mock_return_message="{}",
            )
            await client.create_api(service_id, spec)
        return service_id


def service(env: Env, service_id: str) -> ServiceState:
    for backend in env.emulator.service("tencent_apigw").backends().values():
        found = backend.services.get(service_id)
        if found is not None:
            return found
    raise AssertionError(service_id)


def released(env: Env, service_id: str) -> dict[str, str]:
    """API name -> mock answer in the version the release environment serves."""
    svc = service(env, service_id)
    environment = svc.environments["release"]
    if not environment.released:
        return {}
    version = svc.versions[environment.version_name]
    return {a.name: str(a.info.get("ServiceMockReturnMessage")) for a in version.apis.values()}


def drafts(env: Env, service_id: str) -> dict[str, str]:
    return {
        a.name: str(a.info.get("ServiceMockReturnMessage")) for a in service(env, service_id).apis.values()
    }


@pytest.fixture
def writes(env: Env) -> list[str]:
    """Write actions that reached the service (Tencent routes every action through ``/``: X-TC-Action)."""
    log: list[str] = []

    def count(call: Any) -> None:
        action = call.request.headers.get("x-tc-action", "")
        if call.service == "tencent_apigw" and action in WRITES:
            log.append(action)

    env.emulator.before_dispatch.append(count)
    return log


def test_twenty_apis_released_then_zero_changes_then_exactly_three(env: Env, writes: list[str]) -> None:
    sid = asyncio.run(_new_service())
    status, answer = invoke(request(sid, api_doc(20), "t1"))
    assert status == 200 and answer["status"] == "applied", answer
    assert len(released(env, sid)) == 20 and writes.count("CreateApi") == 20
    status, plan = invoke(request(sid, api_doc(20), "t1-plan", mode="plan"))
    assert plan["summary"] == {**plan["summary"], "create": 0, "update": 0, "delete": 0, "unchanged": 20}, (
        plan
    )
    before = released(env, sid)
    writes.clear()
    changed = api_doc(20)
    for i in (3, 8, 15):
        changed["paths"][f"/items{i}"] = api_doc(1, version="v2", start=i)["paths"][f"/items{i}"]
    status, answer = invoke(request(sid, changed, "t2"))
    assert status == 200 and answer["summary"]["update"] == 3 and answer["summary"]["unchanged"] == 17, answer
    assert sorted(writes) == ["ModifyApi"] * 3 + ["ReleaseService"]
    after = released(env, sid)
    differ = {n for n in after if after[n] != before[n]}
    assert differ == {"shop_item3", "shop_item8", "shop_item15"}
    assert all('"v2"' in after[n] for n in differ)


def test_prune_false_never_deletes_and_prune_true_only_in_scope(env: Env, writes: list[str]) -> None:
    sid = asyncio.run(_new_service(outside=True))
    assert invoke(request(sid, api_doc(5), "p1"))[0] == 200
    status, answer = invoke(request(sid, api_doc(3), "p2"))
    assert status == 200 and "DeleteApi" not in writes, answer
    assert set(drafts(env, sid)) == {"other_api", *(f"shop_item{i}" for i in range(5))}
    status, answer = invoke(request(sid, api_doc(3), "p3", prune=True))
    assert status == 200 and answer["summary"]["delete"] == 2, answer
    assert writes.count("DeleteApi") == 2
    assert set(drafts(env, sid)) == {"other_api", "shop_item0", "shop_item1", "shop_item2"}
    assert set(released(env, sid)) == set(drafts(env, sid))


# ------------------------------------------------------------------------------------------ chaos


async def _deliver(doc: dict[str, Any], sid: str, journal: Journal, crash_at: str | None) -> dict[str, Any]:
    settings = Settings.from_env()
    retry = RetryPolicy(max_attempts=2, sleep=nosleep)
    auth = TencentApigwClient.auth_for(settings)
    http = make_client(settings.endpoint("tencent_apigw"), auth, service="tencent", retry=retry)
    async with TencentApigwClient(http, region=settings.tencent_region) as client:
        target = TencentTarget(
            client, sid, ["release"], prefix="shop_", concurrency=4, gateway_url="https://x"
        )
        return await crashing_run(target, doc, journal, crash_at)


def test_faults_and_crashes_end_fully_new_or_fully_previous_on_tencent(env: Env) -> None:
    sid = asyncio.run(_new_service(outside=True))
    assert invoke(request(sid, api_doc(4), "base"))[0] == 200
    baseline = env.emulator.snapshot()
    previous = (drafts(env, sid), released(env, sid))
    for seed in range(RUNS):
        env.emulator.faults = None
        env.emulator.restore(baseline)
        assert (drafts(env, sid), released(env, sid)) == previous
        doc = api_doc(4, version="v2", start=1)  # item0 pruned, item1-3 updated, item4 created
        journal = Journal(MemoryStore())
        env.emulator.faults = FaultInjector(seed=seed)
        env.emulator.faults.add("tencent_apigw", kind="error", rate=0.2)
        answer = asyncio.run(_deliver(doc, sid, journal, random.Random(seed).choice(STEPS)))
        for attempt in range(8):
            if answer["http_status"] in (200, 422):
                break
            if attempt == 5:
                env.emulator.faults = None  # the outage ends; the sender's retries carry on
            answer = asyncio.run(_deliver(doc, sid, journal, None))
        env.emulator.faults = None
        assert answer["http_status"] in (200, 422), (seed, answer)
        now = (drafts(env, sid), released(env, sid))
        assert now[0]["other_api"] == previous[0]["other_api"]
        mine = tuple({k: v for k, v in part.items() if k.startswith("shop_")} for part in now)
        new = {s.name: s.mock_body for s in parse_document(doc)}
        old = tuple({k: v for k, v in part.items() if k.startswith("shop_")} for part in previous)
        assert mine in (old, (new, new)), (seed, answer)
