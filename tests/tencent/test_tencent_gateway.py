"""Calling published APIs on the emulator with key-pair (``hmac``) authentication, end to end."""

from __future__ import annotations

import base64
import hashlib
import hmac
from datetime import datetime, timedelta, timezone
from email.utils import format_datetime

import httpx
import pytest
from tc_helpers import backend_of, mock_api

from devkit.emulator.core import Emulator
from shared.auth import TencentApigwKeyAuth
from shared.clients.tencent_apigw import ApiSpec, RequestConfig, ServiceConfig, TencentApigwClient

BASE = "http://emulator.local"


async def _published(client: TencentApigwClient, *, auth_type: str = "SECRET") -> tuple[str, str, str]:
    """A released service, one mock API, a key bound through a usage plan: (service, key id, secret)."""
    service = await client.create_service("shop")
    await client.create_api(service.service_id, mock_api("/hello", auth_type=auth_type, body='{"hi":1}'))
    await client.release_service(service.service_id, "release", "r1")
    key = await client.create_api_key("caller")
    plan = await client.create_usage_plan("plan", max_request_num_pre_sec=500)
    await client.bind_secret_ids(plan.usage_plan_id, [key.access_key_id])
    await client.bind_environment([plan.usage_plan_id], service.service_id, "release")
    return service.service_id, key.access_key_id, key.access_key_secret.get_secret_value()


def _caller(emulator: Emulator, auth: httpx.Auth | None = None) -> httpx.AsyncClient:
    return httpx.AsyncClient(base_url=BASE, transport=emulator.transport(), auth=auth)


async def test_signed_call_reaches_the_mock_and_rotation_cuts_the_old_secret(
    client: TencentApigwClient, tc_emulator: Emulator
) -> None:
    service_id, key_id, secret = await _published(client)
    url = f"/tencent-apigw/{service_id}/release/hello"
    async with _caller(tc_emulator, TencentApigwKeyAuth(key_id, secret)) as caller:
        ok = await caller.get(url)
    assert ok.status_code == 200 and ok.json() == {"hi": 1}
    assert ok.headers["X-Secret-ID"] == key_id and ok.headers["X-RateLimit-Limit"] == "500"
    assert ok.headers["X-UsagePlan-ID"].startswith("usagePlan-")

    new_secret = (await client.update_api_key(key_id)).access_key_secret.get_secret_value()
    async with _caller(tc_emulator, TencentApigwKeyAuth(key_id, secret)) as caller:
        old = await caller.get(url)
    assert old.status_code == 403 and old.json() == {"message": "HMAC signature does not match"}
    async with _caller(tc_emulator, TencentApigwKeyAuth(key_id, new_secret)) as caller:
        assert (await caller.get(url)).status_code == 200


async def test_unbound_disabled_and_unsigned_callers_are_refused(
    client: TencentApigwClient, tc_emulator: Emulator
) -> None:
    service_id, key_id, secret = await _published(client)
    url = f"/tencent-apigw/{service_id}/release/hello"
    stranger = await client.create_api_key("stranger")
    async with _caller(tc_emulator) as anonymous:
        missing = await anonymous.get(url)
        malformed = await anonymous.get(url, headers={"Authorization": 'hmac id="x", algorithm="hmac-sha1"'})
        basic = await anonymous.get(url, headers={"Authorization": "Basic abc"})
    assert missing.status_code == 401
    assert (
        missing.json()["message"]
        == "HMAC signature cannot be verified, a validate authorization header is required"
    )
    assert (malformed.status_code, malformed.json()["message"]) == (403, "id or signature missing")
    assert (basic.status_code, basic.json()["message"]) == (403, "authorization headers is invalidate")

    unbound_auth = TencentApigwKeyAuth(stranger.access_key_id, stranger.access_key_secret.get_secret_value())
    async with _caller(tc_emulator, unbound_auth) as caller:
        unbound = await caller.get(url)
    assert unbound.status_code == 401 and "not bound" in unbound.json()["message"]

    await client.disable_api_key(key_id)
    async with _caller(tc_emulator, TencentApigwKeyAuth(key_id, secret)) as caller:
        assert (await caller.get(url)).status_code == 401
    await client.enable_api_key(key_id)
    await client.unrelease_service(service_id, "release")
    async with _caller(tc_emulator, TencentApigwKeyAuth(key_id, secret)) as caller:
        assert (await caller.get(url)).status_code == 404


async def test_x_date_is_checked_and_date_is_not(client: TencentApigwClient, tc_emulator: Emulator) -> None:
    service_id, key_id, secret = await _published(client)
    url = f"/tencent-apigw/{service_id}/release/hello"
    stale = datetime.now(timezone.utc) - timedelta(minutes=16)
    async with _caller(tc_emulator, TencentApigwKeyAuth(key_id, secret, clock=lambda: stale)) as caller:
        late = await caller.get(url)
    assert late.status_code == 403 and "out of date" in late.json()["message"]
    old_date = TencentApigwKeyAuth(key_id, secret, clock=lambda: stale, date_header="date")
    async with _caller(tc_emulator, old_date) as caller:
        assert (await caller.get(url)).status_code == 200  # with Date the gateway does not check the time


async def test_signing_string_rule_wins_over_the_printed_example(
    client: TencentApigwClient, tc_emulator: Emulator
) -> None:
    """The document's rule is ``name: value`` (colon + space); its printed example has ``source:AndriodApp``.

    The example contradicts its own rule and its own preceding ``date: ...`` line; the gateway follows the
    rule, so a signature over the as-printed string (no space after ``source:``) is refused.
    """
    service_id, key_id, secret = await _published(client)
    date = format_datetime(datetime.now(timezone.utc), usegmt=True)
    printed = f"date: {date}\nsource:AndriodApp"
    rule = f"date: {date}\nsource: AndriodApp"

    def sign(text: str) -> str:
        return base64.b64encode(hmac.digest(secret.encode(), text.encode(), hashlib.sha1)).decode()

    async with _caller(tc_emulator) as caller:
        answers = {}
        for name, text in (("printed", printed), ("rule", rule)):
            authorization = (
                f'hmac id="{key_id}", algorithm="hmac-sha1", headers="date source", signature="{sign(text)}"'
            )
            answers[name] = await caller.get(
                f"/tencent-apigw/{service_id}/release/hello",
                headers={"Date": date, "Source": "AndriodApp", "Authorization": authorization},
            )
    assert answers["rule"].status_code == 200
    assert answers["printed"].status_code == 403


async def test_host_addressing_none_auth_and_rollback(
    client: TencentApigwClient, tc_emulator: Emulator
) -> None:
    service = await client.create_service("open")
    api = await client.create_api(service.service_id, mock_api("/v", auth_type="NONE", body="one"))
    first = await client.release_service(service.service_id, "prepub", "one")
    await client.modify_api(service.service_id, api.api_id, mock_api("/v", auth_type="NONE", body="two"))
    async with _caller(tc_emulator) as caller:
        host = {"Host": service.outer_sub_domain}
        assert (await caller.get("/prepub/v", headers=host)).text == "one"  # edits wait for a release
        await client.release_service(service.service_id, "prepub", "two")
        assert (await caller.get("/prepub/v", headers=host)).text == "two"
        await client.update_service(service.service_id, "prepub", first.release_version, "rollback")
        rolled = await caller.get("/prepub/v", headers=host)
        assert rolled.text == "one" and rolled.headers["content-type"].startswith("text/plain")
        assert (await caller.get("/prepub/nothing", headers=host)).status_code == 404
        assert (await caller.post("/prepub/v", headers=host)).status_code == 404  # method must match
        other_host = await caller.get("/prepub/v", headers={"Host": "example.com"})
        assert other_host.status_code == 404 and other_host.json()["error_code"] == "APIGW.0101"


async def test_http_backend_is_pluggable(client: TencentApigwClient, tc_emulator: Emulator) -> None:
    service = await client.create_service("proxy")
    spec = ApiSpec(
        api_name="items",
        request_config=RequestConfig(path="/items", method="GET"),
        service_type="HTTP",
        auth_type="NONE",
        service_config=ServiceConfig(url="http://backend.internal:8080", path="/v1/items", method="GET"),
    )
    await client.create_api(service.service_id, spec)
    await client.release_service(service.service_id, "test", "t")
    url = f"/tencent-apigw/{service.service_id}/test/items/42"
    async with _caller(tc_emulator) as caller:
        assert (await caller.get(url)).status_code == 502  # nothing plugged in
        seen: list[httpx.Request] = []

        def backend(request: httpx.Request) -> httpx.Response:
            seen.append(request)
            return httpx.Response(503, json={"down": True})

        backend_of(tc_emulator).http_backend = backend
        answer = await caller.get(url, params={"q": "x"})
    assert answer.status_code == 503 and answer.json() == {"down": True}
    assert str(seen[0].url) == "http://backend.internal:8080/v1/items/42?q=x"


@pytest.mark.parametrize("auth_type", ["APP", "OAUTH"])
async def test_unemulated_auth_types_say_so(
    client: TencentApigwClient, tc_emulator: Emulator, auth_type: str
) -> None:
    service_id, _, _ = await _published(client, auth_type=auth_type)
    async with _caller(tc_emulator) as caller:
        answer = await caller.get(f"/tencent-apigw/{service_id}/release/hello")
    assert answer.status_code == 403 and "not emulated" in answer.json()["message"]


async def test_the_gateway_shares_the_cloud_lock_and_serves_restored_snapshots(
    client: TencentApigwClient, tc_emulator: Emulator
) -> None:
    """Both planes run under the cloud service's lock; a snapshot (deep copy, clock included) restores what
    the gateway serves."""
    cloud, gateway = tc_emulator.service("tencent_apigw"), tc_emulator.service("tencent_apigw_gateway")
    assert gateway.lock is cloud.lock
    service_id, key_id, secret = await _published(client)
    url = f"/tencent-apigw/{service_id}/release/hello"
    saved = tc_emulator.snapshot()
    await client.unrelease_service(service_id, "release")
    async with _caller(tc_emulator, TencentApigwKeyAuth(key_id, secret)) as caller:
        assert (await caller.get(url)).status_code == 404
        tc_emulator.restore(saved)
        restored = await caller.get(url)
    assert restored.status_code == 200 and restored.json() == {"hi": 1}
