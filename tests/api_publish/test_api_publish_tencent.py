"""api_publish against the emulated Tencent APIGW: release, smoke failure, rollback with UpdateService."""

from __future__ import annotations

import asyncio
import json
from typing import Any

from functions.api_publish.handler import app
from shared.clients.tencent_apigw import TencentApigwClient
from shared.config import Settings
from tests.api_publish.conftest import Env, api_doc, github_event


def invoke(body: dict[str, Any]) -> tuple[int, dict[str, Any]]:
    response = app.invoke_local(github_event(body))
    return int(response["statusCode"]), json.loads(response["body"])


async def _service() -> str:
    async with TencentApigwClient.from_settings(Settings.from_env()) as client:
        return (await client.create_service("shop")).service_id


async def _state(service_id: str) -> tuple[dict[str, str], str]:
    async with TencentApigwClient.from_settings(Settings.from_env()) as client:
        envs = await client.describe_service_environment_list(service_id)
        release = next(e.version_name for e in envs if e.environment_name == "release")
        names = {a.api_name: a.api_id async for a in client.iter_apis(service_id)}
        return names, release


def request(service_id: str, doc: dict[str, Any], commit: str, **extra: Any) -> dict[str, Any]:
    target = {"cloud": "tencent", "service_id": service_id, "environments": ["release"]}
    return {"commit": commit, "document": {"inline": doc}, "target": target, **extra}


def test_tencent_apply_then_smoke_failure_rolls_back_to_the_recorded_release(env: Env) -> None:
    service_id = asyncio.run(_service())
    checks = [{"api": "shop_item0", "json": {"version": "v1"}}]
    status, answer = invoke(request(service_id, api_doc(3), "t1", smoke=checks))
    assert status == 200 and answer["status"] == "applied", answer
    names, first_release = asyncio.run(_state(service_id))
    assert set(names) == {"shop_item0", "shop_item1", "shop_item2"} and first_release
    status, again = invoke(request(service_id, api_doc(3), "t1-plan", mode="plan"))
    assert again["summary"]["unchanged"] == 3 and again["summary"]["update"] == 0, again

    bad = [{"api": "shop_item0", "json": {"version": "v1"}}]  # v2 answers v2: fails
    status, answer = invoke(request(service_id, api_doc(4, version="v2"), "t2", smoke=bad))
    assert status == 422 and answer["status"] == "rolled_back", answer
    names, release = asyncio.run(_state(service_id))
    assert release == first_release
    assert set(names) == {"shop_item0", "shop_item1", "shop_item2"}
    status, plan = invoke(request(service_id, api_doc(3), "t3-plan", mode="plan"))
    assert plan["summary"]["unchanged"] == 3, plan  # drafts are back too
