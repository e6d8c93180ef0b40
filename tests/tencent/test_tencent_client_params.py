"""The client sends only parameter names the real API defines.

The emulator ignores parameters an action does not read, so a misspelt name in the client would go unnoticed
there while the real API would ignore it too (or answer ``UnknownParameter``). Every request the client makes
in a full scenario is recorded and its parameter names are checked against the official SDK's request model
for that action (``DescribeApiApp`` is documented by TCE but absent from the public SDK: checked against the
document's table).
"""

from __future__ import annotations

import json
from typing import Any

import httpx
import pytest
from tc_helpers import REGION, build_tencent_emulator, mock_api

from shared.clients.tencent_apigw import ApiSpec, RequestConfig, ServiceConfig, TencentApigwClient
from shared.config import Settings

pytestmark = pytest.mark.sdk

_DOCUMENT_ONLY_ACTIONS = {"DescribeApiApp": {"ApiAppId"}}


class _Recorder(httpx.AsyncBaseTransport):
    def __init__(self, inner: httpx.AsyncBaseTransport) -> None:
        self.inner = inner
        self.calls: list[tuple[str, dict[str, Any]]] = []

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        assert request.headers["x-tc-version"] == "2018-08-08" and request.headers["x-tc-region"] == REGION
        self.calls.append((request.headers["x-tc-action"], json.loads(request.content)))
        return await self.inner.handle_async_request(request)


def _sdk_fields(action: str) -> set[str]:
    from tencentcloud.apigateway.v20180808 import models

    if action in _DOCUMENT_ONLY_ACTIONS:
        return _DOCUMENT_ONLY_ACTIONS[action]
    return {name[1:] for name in vars(getattr(models, f"{action}Request")()) if name != "_headers"}


async def _scenario(c: TencentApigwClient) -> None:
    svc = (
        await c.create_service("demo", "http", description="d", net_types=["OUTER"], ip_version="IPv4")
    ).service_id
    await c.modify_service(svc, name="demo2", description="d2", protocol="https", net_types=["OUTER"])
    await c.describe_service(svc)
    await c.describe_services_status(filters={"ServiceName": ["demo"]}, limit=5)
    http_spec = ApiSpec(
        api_name="users",
        api_desc="u",
        request_config=RequestConfig(path="/users", method="GET"),
        service_type="HTTP",
        service_config=ServiceConfig(url="http://b.internal", path="/u", method="GET"),
        enable_cors=True,
        response_type="JSON",
    )
    api = (await c.create_api(svc, http_spec)).api_id
    await c.modify_api(svc, api, http_spec.model_copy(update={"api_desc": "u2"}))
    await c.describe_api(svc, api)
    await c.describe_apis_status(svc, filters={"ApiName": ["users"]})
    other = (await c.create_api(svc, mock_api("/other"))).api_id
    await c.delete_api(svc, other)
    version = (await c.release_service(svc, "test", "t")).release_version
    await c.update_service(svc, "test", version, "again")
    await c.describe_service_environment_list(svc)
    await c.describe_service_release_version(svc)
    await c.describe_service_environment_release_history(svc, "test")

    key = (await c.create_api_key("k")).access_key_id
    await c.create_api_key(
        "m", access_key_type="manual", access_key_id="manual_1", access_key_secret="Secret_12345"
    )
    await c.update_api_key(key)
    await c.describe_api_key(key)
    await c.describe_api_keys_status(filters={"Status": ["1"]})
    plan = (
        await c.create_usage_plan("p", description="d", max_request_num=10, max_request_num_pre_sec=5)
    ).usage_plan_id
    await c.describe_usage_plan(plan)
    await c.describe_usage_plans_status(filters={"UsagePlanName": ["p"]})
    await c.bind_secret_ids(plan, [key])
    await c.describe_usage_plan_secret_ids(plan)
    await c.bind_environment([plan], svc, "test", bind_type="API", api_ids=[api])
    await c.describe_usage_plan_environments(plan, bind_type="API")
    await c.describe_service_usage_plan(svc)
    await c.describe_api_usage_plan(svc)
    await c.unbind_environment([plan], svc, "test", bind_type="API", api_ids=[api])
    await c.unbind_secret_ids(plan, [key])
    await c.delete_usage_plan(plan)
    await c.disable_api_key(key)
    await c.enable_api_key(key)
    await c.disable_api_key(key)
    await c.delete_api_key(key)

    app = await c.create_api_app("a", description="d")
    await c.update_api_app_key(app.api_app_id, app.api_app_key, "NewSecret_123")
    await c.describe_api_app(app.api_app_id)
    await c.describe_api_apps_status(filters={"ApiAppName": ["a"]})
    await c.bind_api_app(app.api_app_id, svc, api, "test")
    await c.describe_api_app_bind_apis_status(app.api_app_id, filters={"Environment": ["test"]})
    await c.unbind_api_app(app.api_app_id, svc, api, "test")
    await c.delete_api_app(app.api_app_id)
    await c.unrelease_service(svc, "test")
    await c.delete_service(svc)


async def test_every_client_request_uses_documented_parameter_names() -> None:
    emulator = build_tencent_emulator()
    recorder = _Recorder(emulator.transport())
    async with TencentApigwClient.from_settings(Settings.from_env(), transport=recorder) as client:
        await _scenario(client)
    actions = {action for action, _ in recorder.calls}
    public = {name for name in vars(TencentApigwClient) if not name.startswith("_") and name != "service"}
    public -= {
        "call",
        "auth_for",
        "from_settings",
        "find_service_by_name",
        "iter_services",
        "iter_apis",
        "iter_api_keys",
        "iter_usage_plans",
    }
    assert len(actions) == len(public), sorted(public)  # one action per client method, all exercised
    for action, body in recorder.calls:
        unknown = set(body) - _sdk_fields(action)
        assert not unknown, f"{action} sends parameters the API does not define: {sorted(unknown)}"
        for nested in ("RequestConfig", "ServiceConfig"):
            if nested in body:
                assert set(body[nested]) <= {"Path", "Method", "Url", "Product", "UniqVpcId", "UpstreamId"}
