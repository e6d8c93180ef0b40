"""``ServiceClient`` against the real emulator: settings → endpoint, AK/SK signing, retries, project paths."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from devkit.emulator.core import Emulator
from shared.clients.base import ServiceClient
from shared.config import MissingSettingError, Settings
from shared.errors import AuthError
from shared.http import use_transport


class Ide(ServiceClient):
    service = "ide"


class Anonymous(ServiceClient):
    service = "apig"

    @classmethod
    def auth_for(cls, settings: Settings) -> httpx.Auth | None:
        return None


@pytest.fixture
def settings() -> Settings:
    return Settings.from_env().replace(project_id="0123456789abcdef0123456789abcdef")


async def test_signed_call_through_the_process_wide_transport(emulator: Emulator, settings: Settings) -> None:
    with use_transport(emulator.transport()):
        async with Ide.from_settings(settings) as ide:
            body = await ide._request("GET", "/v2/licenses", params={"limit": 5, "offset": 0, "status": None})
    assert body["status"] == "success"
    assert body["result"]["iterms"] == []
    assert ide.http.is_closed


async def test_wrong_secret_key_is_an_auth_error(emulator: Emulator, settings: Settings) -> None:
    wrong = settings.with_credentials(huawei_sk="not-the-demo-secret-key")
    async with Ide.from_settings(wrong, transport=emulator.transport()) as ide:
        with pytest.raises(AuthError) as info:
            await ide._request("GET", "/v2/licenses")
    assert info.value.status == 401
    assert "not-the-demo-secret-key" not in str(info.value)


async def test_retries_are_re_signed_and_accepted_by_the_emulator(
    emulator: Emulator, settings: Settings
) -> None:
    """Two throttled answers, then the emulator verifies the third attempt's signature over its body."""
    seen: list[httpx.Request] = []

    def flaky(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        if len(seen) < 3:
            return httpx.Response(429, headers={"Retry-After": "0"})
        return emulator.handle(request)

    client = Ide.from_settings(settings, transport=httpx.MockTransport(flaky))
    async with client:
        body = await client._request("GET", "/v2/licenses", params={"limit": 1})
    assert body["status"] == "success"
    assert len(seen) == 3
    assert all(r.headers["authorization"].startswith("SDK-HMAC-SHA256") for r in seen)
    assert all(r.headers["authorization"].count("Signature=") == 1 for r in seen)


async def test_project_placeholder_is_filled(settings: Settings) -> None:
    seen: list[str] = []

    def record(request: httpx.Request) -> httpx.Response:
        seen.append(request.url.path)
        return httpx.Response(200, json={})

    async with Anonymous.from_settings(settings, transport=httpx.MockTransport(record)) as client:
        await client._request("GET", "/v2/{project_id}/apigw/instances")
    assert seen == ["/v2/0123456789abcdef0123456789abcdef/apigw/instances"]


async def test_missing_project_id_names_the_variable() -> None:
    client = Anonymous.from_settings(
        Settings.from_env(), transport=httpx.MockTransport(lambda r: httpx.Response(200))
    )
    async with client:
        with pytest.raises(MissingSettingError, match="HUAWEICLOUD_SDK_PROJECT_ID"):
            await client._request("GET", "/v2/{project_id}/apigw/instances")


async def test_endpoint_override_and_timeout_come_from_settings(settings: Settings) -> None:
    custom = settings.replace(endpoints={"apig": "http://127.0.0.1:8600"}, http_timeout=3.0)
    async with Anonymous.from_settings(custom) as client:
        assert str(client.http.base_url) == "http://127.0.0.1:8600"
        assert client.http.timeout.read == 3.0
        assert client.http.timeout.connect == 3.0
        assert client.project_id == settings.project_id


def test_missing_huawei_keys_fail_before_any_request(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("HUAWEICLOUD_SDK_AK")
    with pytest.raises(MissingSettingError, match="HUAWEICLOUD_SDK_AK"):
        Ide.from_settings(Settings.from_env())


async def test_request_headers_are_passed(settings: Settings) -> None:
    seen: list[httpx.Request] = []

    def record(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return httpx.Response(200, json={"ok": 1})

    async with Anonymous.from_settings(settings, transport=httpx.MockTransport(record)) as client:
        assert await client._request("POST", "/x", json={"a": 1}, headers={"X-Language": "en-us"}) == {
            "ok": 1
        }
    assert seen[0].headers["x-language"] == "en-us"
    assert seen[0].content == b'{"a":1}'


async def test_retries_ride_out_the_emulators_injected_faults(settings: Settings) -> None:
    """Throttles (APIGW.0308 as HTTP 500 and as 429), 503s and dropped connections, all absorbed."""
    from devkit.emulator.faults import FaultInjector
    from devkit.emulator.registry import build_emulator
    from shared.http import RetryPolicy, make_client

    faults = FaultInjector(seed=7)
    faults.add("ide", kind="throttle", rate=0.15, status=500, retry_after=None)
    faults.add("ide", kind="throttle", rate=0.1, retry_after=0.5)
    faults.add("ide", kind="error", rate=0.1)
    faults.add("ide", kind="drop", rate=0.1)
    emulator = build_emulator(faults=faults)
    sleeps: list[float] = []

    async def record(delay: float) -> None:
        sleeps.append(delay)

    http = make_client(
        settings.endpoint("ide"),
        settings.huawei_auth(),
        service="ide",
        retry=RetryPolicy(max_attempts=6, sleep=record),
        transport=emulator.transport(),
    )
    async with Ide(http, project_id=settings.project_id) as ide:
        for _ in range(30):
            body = await ide._request("GET", "/v2/licenses", params={"limit": 1})
            assert body["status"] == "success"
    injected = faults.total()
    assert injected >= 5  # the seed really did inject faults
    assert len(sleeps) == injected  # one wait per injected fault, no more, no less
    assert 0.5 in sleeps  # the 429's Retry-After was honoured


async def test_clients_share_one_tls_context(monkeypatch: pytest.MonkeyPatch) -> None:
    """Loading the CA bundle costs tens of ms: a cold start building several clients pays it once."""
    import ssl

    from shared import http as shared_http

    built: list[ssl.SSLContext] = []
    real = httpx.create_ssl_context

    def counting(*args: Any, **kwargs: Any) -> ssl.SSLContext:
        context = real(*args, **kwargs)
        built.append(context)
        return context

    monkeypatch.setattr(httpx, "create_ssl_context", counting)
    shared_http.shared_ssl_context.cache_clear()
    clients = [shared_http.make_client(f"https://svc{i}.example.com", None, service="x") for i in range(3)]
    for client in clients:
        await client.aclose()
    shared_http.shared_ssl_context.cache_clear()
    assert len(built) == 1
