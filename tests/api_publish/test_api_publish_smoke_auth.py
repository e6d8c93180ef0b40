"""Smoke checks signed as the API's auth type demands, verified by the emulated gateways.

Huawei ``APP`` APIs: with ``OPSFN_PUBLISH_HUAWEI_APP`` the function grants that APP the APIs (3.10.1) and
signs the call with the APP's key/secret (SDK-HMAC-SHA256) through the group's domain; without it, the debug
API. Tencent ``SECRET`` APIs: signed with the key pair of ``OPSFN_PUBLISH_TENCENT_KEY`` (hmac-sha1 key-pair
auth), which the gateway accepts only when the key is bound through a usage plan to the environment.
"""

from __future__ import annotations

import asyncio
import json
from typing import Any

import pytest

from devkit.emulator.services.apig import DEFAULT_INSTANCE_ID
from functions.api_publish.handler import app
from shared.clients.apig import ApigClient
from shared.clients.tencent_apigw import TencentApigwClient
from shared.config import Settings
from tests.api_publish.conftest import Env, api_doc, github_event


def invoke(body: dict[str, Any]) -> tuple[int, dict[str, Any]]:
    response = app.invoke_local(github_event(body))
    return int(response["statusCode"]), json.loads(response["body"])


def secured(doc: dict[str, Any], scheme: str) -> dict[str, Any]:
    for item in doc["paths"].values():
        item["get"]["security"] = [{scheme: []}]
    return doc


async def _new_app() -> tuple[str, str]:
    settings = Settings.from_env()
    async with ApigClient.from_settings(settings, instance_id=DEFAULT_INSTANCE_ID) as apig:
        made = await apig.create_app("smoke_app")
        return made.app_key, made.app_secret.get_secret_value()


def debug_calls(env: Env) -> list[str]:
    calls: list[str] = []
    env.emulator.before_dispatch.append(
        lambda call: calls.append(call.operation) if call.operation == "DebugApiV2" else None
    )
    return calls


def test_huawei_app_api_is_called_signed_with_the_configured_app(env: Env, monkeypatch: Any) -> None:
    key, secret = asyncio.run(_new_app())
    monkeypatch.setenv("OPSFN_PUBLISH_HUAWEI_APP", f"{key}:{secret}")
    debugs = debug_calls(env)
    checks = [{"api": "shop_item0", "json": {"version": "v1"}}]
    status, answer = invoke(env.request(secured(api_doc(2), "apig-auth-app"), "a1", smoke=checks))
    assert status == 200 and answer["status"] == "applied", answer
    assert debugs == []  # the gateway itself verified the APP signature
    api = env.instance.apis.find(name="shop_item0")
    assert api is not None
    assert env.instance.app_auths.find(api_id=api["id"]) is not None
    assert secret not in json.dumps(answer)


def test_huawei_wrong_app_secret_fails_the_smoke_check_and_rolls_back(env: Env, monkeypatch: Any) -> None:
    key, _ = asyncio.run(_new_app())
    monkeypatch.setenv("OPSFN_PUBLISH_HUAWEI_APP", f"{key}:not-the-secret")
    checks = [{"api": "shop_item0"}]
    status, answer = invoke(env.request(secured(api_doc(2), "apig-auth-app"), "a1", smoke=checks))
    assert status == 422 and answer["status"] == "rolled_back", answer
    assert "status 401" in json.dumps(answer["failures"]) and not env.online()


def test_huawei_app_api_without_a_configured_app_uses_the_debug_api(env: Env) -> None:
    debugs = debug_calls(env)
    checks = [{"api": "shop_item1", "json": {"item": 1}}]
    status, answer = invoke(env.request(secured(api_doc(2), "apig-auth-app"), "a1", smoke=checks))
    assert status == 200 and answer["status"] == "applied", answer
    assert debugs == ["DebugApiV2"]


async def _service_with_key(bound: bool) -> tuple[str, str, str]:
    """A service, and a key pair bound (or not) through a usage plan to its release environment."""
    async with TencentApigwClient.from_settings(Settings.from_env()) as client:
        service_id = (await client.create_service("shop")).service_id
        key = await client.create_api_key("pipeline_smoke")
        plan = await client.create_usage_plan("pipeline", max_request_num_pre_sec=100)
        if bound:
            await client.bind_secret_ids(plan.usage_plan_id, [key.access_key_id])
        await client.bind_environment([plan.usage_plan_id], service_id, "release")
        return service_id, key.access_key_id, key.access_key_secret.get_secret_value()


def tencent_request(service_id: str, doc: dict[str, Any], commit: str, **extra: Any) -> dict[str, Any]:
    target = {"cloud": "tencent", "service_id": service_id, "environments": ["release"]}
    return {"commit": commit, "document": {"inline": doc}, "target": target, **extra}


@pytest.mark.parametrize("bound", [True, False])
def test_tencent_secret_api_is_signed_with_the_pipeline_key_pair(
    env: Env, monkeypatch: Any, bound: bool
) -> None:
    service_id, key_id, secret = asyncio.run(_service_with_key(bound))
    monkeypatch.setenv("OPSFN_PUBLISH_TENCENT_KEY", f"{key_id}:{secret}")
    checks = [{"api": "shop_item0", "json": {"version": "v1"}}]
    doc = secured(api_doc(2), "apig-auth-key")
    status, answer = invoke(tencent_request(service_id, doc, "k1", smoke=checks))
    if bound:
        assert status == 200 and answer["status"] == "applied", answer
    else:  # a key the usage plan does not carry: the gateway answers 401 and the run is rolled back
        assert status == 422 and answer["status"] == "rolled_back", answer
        assert "status 401" in json.dumps(answer["failures"])
    assert secret not in json.dumps(answer)


def test_tencent_secret_api_without_a_key_pair_fails_clearly(env: Env) -> None:
    service_id, _, _ = asyncio.run(_service_with_key(True))
    checks = [{"api": "shop_item0"}]
    doc = secured(api_doc(1), "apig-auth-key")
    status, answer = invoke(tencent_request(service_id, doc, "k1", smoke=checks))
    assert status == 422 and "OPSFN_PUBLISH_TENCENT_KEY" in json.dumps(answer["failures"]), answer
