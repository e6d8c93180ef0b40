"""Serving published APIs on the emulator port: APP authentication, secret rotation, backend signing.

A caller signs with its APP key and secret (``SDK-HMAC-SHA256``, the same signer as AK/SK); the gateway signs
the backend request with the bound signature key, which the backend verifies with the shared verifier. That
closes the loop the key-rotation function needs: rotate, then prove old credentials stop and new ones work.
"""

from __future__ import annotations

from collections.abc import AsyncIterator

import httpx
import pytest
from apig_bodies import http_api, mock_api

from devkit.emulator.core import Emulator, json_response
from devkit.emulator.services.apig.gateway import GATEWAY_PREFIX
from devkit.emulator.services.apig.state import ApigBackend
from shared.auth import HuaweiAKSKAuth, huawei_signature_for_request, parse_huawei_authorization
from shared.clients.apig import ApigClient, App

BASE = "http://gateway.opsfn.local"


@pytest.fixture
async def caller(emulator: Emulator) -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(transport=emulator.transport(), base_url=BASE) as client:
        yield client


async def app_api(apig: ApigClient) -> tuple[str, str, App]:
    group = await apig.create_group("served_group")
    api = await apig.create_api(
        mock_api(
            group.id,
            auth_type="APP",
            uri="/orders/{id}",
            req_params=[{"name": "id", "location": "PATH", "type": "STRING"}],
        )
    )
    await apig.publish_api(api.id)
    app = await apig.create_app("caller_app")
    assert all(r.ok for r in await apig.authorize_apps([api.id], [app.id]))
    return group.id, api.id, app


def app_auth(app: App) -> HuaweiAKSKAuth:
    return HuaweiAKSKAuth(app.app_key, app.app_secret.get_secret_value())


async def test_none_auth_api_is_served_with_its_mock(apig: ApigClient, caller: httpx.AsyncClient) -> None:
    group = await apig.create_group("open_group")
    api = await apig.create_api(mock_api(group.id, match_mode="SWA"))
    assert (await caller.get(f"{GATEWAY_PREFIX}/{group.id}/test/mock/deeper")).status_code == 404
    await apig.publish_api(api.id)
    response = await caller.get(f"{GATEWAY_PREFIX}/{group.id}/test/mock/deeper")
    assert (response.status_code, response.text) == (200, "mock success")
    by_domain = await caller.get(f"{GATEWAY_PREFIX}/{group.id}.apic.opsfn.local/test/mock")
    assert by_domain.status_code == 200
    missing = await caller.get(f"{GATEWAY_PREFIX}/{group.id}/other")
    assert missing.json()["error_code"] == "APIGW.0101"
    staged = await caller.get(f"{GATEWAY_PREFIX}/{group.id}/test/mock", headers={"X-Stage": "DEV"})
    assert staged.status_code == 404, "X-Stage selects another environment, where nothing is published"


async def test_group_sub_domain_in_the_host_header_is_served_like_the_real_gateway(
    apig: ApigClient, emulator: Emulator
) -> None:
    """Calling ``https://{sl_domain}/path`` (the group's own domain, path = the API's req_uri) reaches the
    API; an APP-signed call verifies over the Host it was signed for; unknown sub-domains are 404."""
    group_id, _, app = await app_api(apig)
    group = await apig.get_group(group_id)
    assert group.sl_domain == f"{group_id}.apic.opsfn.local"
    async with httpx.AsyncClient(
        transport=emulator.transport(), base_url=f"https://{group.sl_domain}"
    ) as host:
        assert (await host.get("/orders/7", auth=app_auth(app))).status_code == 200
        unsigned = await host.get("/orders/7")
        assert unsigned.status_code == 401
    async with httpx.AsyncClient(
        transport=emulator.transport(), base_url="https://nope.apic.opsfn.local"
    ) as other:
        gone = await other.get("/orders/7")
    assert (gone.status_code, gone.json()["error_code"]) == (404, "APIGW.0106")


async def test_app_authentication_and_secret_rotation(apig: ApigClient, caller: httpx.AsyncClient) -> None:
    group_id, _, app = await app_api(apig)
    url = f"{GATEWAY_PREFIX}/{group_id}/orders/42"
    assert (await caller.get(url, auth=app_auth(app))).status_code == 200

    unsigned = await caller.get(url)
    assert (unsigned.status_code, unsigned.json()["error_code"]) == (401, "APIGW.0303")
    forged = App.model_validate({**app.model_dump(), "app_secret": "WrongSecret000000"})
    refused = await caller.get(url, auth=app_auth(forged))
    assert (refused.status_code, refused.json()["error_code"]) == (401, "APIGW.0303")
    assert "WrongSecret" not in refused.text

    rotated = await apig.reset_app_secret(app.id)
    assert (await caller.get(url, auth=app_auth(app))).status_code == 401, "the old secret stops at once"
    assert (await caller.get(url, auth=app_auth(rotated))).status_code == 200

    stranger = await apig.create_app("stranger_app")
    denied = await caller.get(url, auth=app_auth(stranger))
    assert (denied.status_code, denied.json()["error_code"]) == (401, "APIGW.0304")
    auth_id = (await apig.list_apis_of_app(app.id)).items[0].id
    await apig.revoke_authorization(auth_id)
    assert (await caller.get(url, auth=app_auth(rotated))).status_code == 401


async def test_app_code_header(apig: ApigClient, caller: httpx.AsyncClient) -> None:
    group = await apig.create_group("code_group")
    api = await apig.create_api(
        mock_api(group.id, auth_type="APP", auth_opt={"app_code_auth_type": "HEADER"})
    )
    await apig.publish_api(api.id)
    app = await apig.create_app("code_app")
    await apig.authorize_apps([api.id], [app.id])
    code = await apig.create_app_code(app.id)
    url = f"{GATEWAY_PREFIX}/{group.id}/test/mock"
    ok = await caller.get(url, headers={"X-Apig-AppCode": code.app_code.get_secret_value()})
    assert ok.status_code == 200
    await apig.delete_app_code(app.id, code.id)
    assert (
        await caller.get(url, headers={"X-Apig-AppCode": code.app_code.get_secret_value()})
    ).status_code == 401


async def test_backend_is_signed_with_the_bound_key_through_rotation(
    apig: ApigClient, caller: httpx.AsyncClient, backend: ApigBackend
) -> None:
    group = await apig.create_group("signed_group")
    api = await apig.create_api(http_api(group.id))
    record = await apig.publish_api(api.id)
    key = await apig.create_signature_key(
        "backend_key", sign_key="backendkey01", sign_secret="backendsecret0000001"
    )
    await apig.bind_signature_key(key.id, [record.publish_id])
    secrets_by_key = {"backendkey01": "backendsecret0000001"}
    verdicts: list[bool] = []

    def verifying_backend(request: httpx.Request) -> httpx.Response:
        parsed = parse_huawei_authorization(request.headers["authorization"])
        secret = secrets_by_key.get(parsed.access, "")
        valid = huawei_signature_for_request(request, secret, parsed.signed_headers) == parsed.signature
        verdicts.append(valid)
        return json_response(200 if valid else 401, {"valid": valid, "key": parsed.access})

    backend.http_backend = verifying_backend
    url = f"{GATEWAY_PREFIX}/{group.id}/test/http"
    first = await caller.get(url, params={"q": "1"})
    assert (first.status_code, first.json()["key"]) == (200, "backendkey01")

    await apig.update_signature_key(
        key.id, "backend_key", sign_key="backendkey02", sign_secret="backendsecret0000002"
    )
    stale_backend = await caller.get(url)
    assert stale_backend.status_code == 401, (
        "a backend still holding the old secret refuses the new signature"
    )
    secrets_by_key["backendkey02"] = "backendsecret0000002"
    assert (await caller.get(url)).json() == {"valid": True, "key": "backendkey02"}
    assert verdicts == [True, False, True]


async def test_throttling_and_acl_on_served_apis(apig: ApigClient, caller: httpx.AsyncClient) -> None:
    group = await apig.create_group("guarded_group")
    api = await apig.create_api(mock_api(group.id))
    record = await apig.publish_api(api.id)
    policy = await apig.create_throttle(
        "two_per_minute", api_call_limits=2, time_interval=1, time_unit="MINUTE"
    )
    await apig.bind_throttle(policy.id, [record.publish_id])
    url = f"{GATEWAY_PREFIX}/{group.id}/test/mock"
    codes = [(await caller.get(url)).status_code for _ in range(3)]
    assert codes == [200, 200, 429]
    acl = await apig.create_acl("deny_office", acl_type="DENY", entity_type="IP", value="203.0.113.0/24")
    await apig.bind_acl(acl.id, [record.publish_id])
    blocked = await caller.get(url, headers={"X-Forwarded-For": "203.0.113.7"})
    assert (blocked.status_code, blocked.json()["error_code"]) == (403, "APIGW.0401")


async def test_iam_auth_api_uses_the_cloud_credentials(
    apig: ApigClient, caller: httpx.AsyncClient, settings: object
) -> None:
    group = await apig.create_group("iam_group")
    api = await apig.create_api(mock_api(group.id, auth_type="IAM"))
    await apig.publish_api(api.id)
    url = f"{GATEWAY_PREFIX}/{group.id}/test/mock"
    assert (await caller.get(url)).status_code == 401
    from shared.config import Settings

    assert isinstance(settings, Settings)
    assert (await caller.get(url, auth=settings.huawei_auth())).status_code == 200


async def test_prefix_match_forwards_the_rest_of_the_path(
    apig: ApigClient, caller: httpx.AsyncClient, backend: ApigBackend
) -> None:
    group = await apig.create_group("prefix_group")
    api = await apig.create_api(http_api(group.id, match_mode="SWA", req_method="ANY"))
    await apig.publish_api(api.id)
    urls: list[str] = []

    def record(request: httpx.Request) -> httpx.Response:
        urls.append(f"{request.method} {request.url}")
        return json_response(200, {})

    backend.http_backend = record
    await caller.post(f"{GATEWAY_PREFIX}/{group.id}/test/http/orders/7", params={"x": "1"})
    assert urls == ["GET https://backend.example.com:8443/benchmark/orders/7?x=1"]
