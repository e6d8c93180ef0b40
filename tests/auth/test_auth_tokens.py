"""IAM token and Astro Zero OAuth2 auth: caching, single fetch under concurrency, refresh, 401 retry."""

from __future__ import annotations

import asyncio
import json
import threading
import time
from collections.abc import AsyncIterator, Callable
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime, timedelta, timezone
from typing import Any
from urllib.parse import parse_qs

import httpx
import pytest

from shared.auth import IamTokenAuth, OAuth2ClientCredentialsAuth
from shared.errors import AuthError, ServerError

IAM = "https://iam.example.com"
API = "https://apig.example.com/v2/p/apigw/instances"
START = datetime(2024, 1, 1, tzinfo=timezone.utc)


class MutableClock:
    """A clock the test moves forward by hand."""

    def __init__(self) -> None:
        self.now = START

    def __call__(self) -> datetime:
        return self.now


class FakeCloud:
    """IAM and an API that accepts only the tokens IAM issued and has not revoked."""

    def __init__(self, clock: MutableClock, *, lifetime: timedelta = timedelta(hours=24), delay: float = 0.0):
        self.clock = clock
        self.lifetime = lifetime
        self.delay = delay
        self.token_requests: list[dict[str, Any]] = []
        self.token_headers: list[httpx.Headers] = []
        self.api_calls: list[tuple[str | None, bytes]] = []
        self.valid: set[str] = set()
        self.fail_tokens_with: int | None = None
        self._lock = threading.Lock()

    def _issue(self, request: httpx.Request) -> httpx.Response:
        with self._lock:
            self.token_requests.append(json.loads(request.content))
            self.token_headers.append(request.headers)
            if self.fail_tokens_with:
                body = {
                    "error": {"code": self.fail_tokens_with, "message": "The username or password is wrong."}
                }
                return httpx.Response(self.fail_tokens_with, json=body)
            value = f"tok-{len(self.token_requests)}"
            self.valid.add(value)
        expires = (self.clock() + self.lifetime).strftime("%Y-%m-%dT%H:%M:%S.%fZ")
        return httpx.Response(
            201, headers={"X-Subject-Token": value}, json={"token": {"expires_at": expires}}
        )

    def _api(self, request: httpx.Request) -> httpx.Response:
        token = request.headers.get("x-auth-token")
        self.api_calls.append((token, request.content))
        return httpx.Response(200 if token in self.valid else 401, json={})

    def handle(self, request: httpx.Request) -> httpx.Response:
        if request.url.path == "/v3/auth/tokens":
            if self.delay:
                time.sleep(self.delay)
            return self._issue(request)
        return self._api(request)

    async def ahandle(self, request: httpx.Request) -> httpx.Response:
        if request.url.path == "/v3/auth/tokens" and self.delay:
            await asyncio.sleep(self.delay)
            return self._issue(request)
        return self.handle(request)


def _password_auth(clock: Callable[[], datetime], transport: httpx.MockTransport) -> IamTokenAuth:
    return IamTokenAuth(
        IAM,
        username="alice",
        password="pa55-w0rd",
        domain_name="acme",
        project_id="proj-1",
        clock=clock,
        transport=transport,
    )


def test_password_token_body_and_single_fetch_for_many_calls() -> None:
    clock = MutableClock()
    cloud = FakeCloud(clock)
    transport = httpx.MockTransport(cloud.handle)
    auth = _password_auth(clock, transport)
    with httpx.Client(transport=transport, auth=auth) as client:
        for _ in range(5):
            assert client.get(API).status_code == 200
    assert len(cloud.token_requests) == 1
    assert cloud.token_requests == [
        {
            "auth": {
                "identity": {
                    "methods": ["password"],
                    "password": {
                        "user": {"name": "alice", "password": "pa55-w0rd", "domain": {"name": "acme"}}
                    },
                },
                "scope": {"project": {"id": "proj-1"}},
            }
        }
    ]
    assert {token for token, _ in cloud.api_calls} == {"tok-1"}


def test_refresh_five_minutes_before_expiry() -> None:
    clock = MutableClock()
    cloud = FakeCloud(clock, lifetime=timedelta(hours=1))
    transport = httpx.MockTransport(cloud.handle)
    auth = _password_auth(clock, transport)
    with httpx.Client(transport=transport, auth=auth) as client:
        client.get(API)
        clock.now = START + timedelta(minutes=54, seconds=59)
        client.get(API)
        assert len(cloud.token_requests) == 1
        clock.now = START + timedelta(minutes=55)
        client.get(API)
    assert len(cloud.token_requests) == 2
    assert [token for token, _ in cloud.api_calls] == ["tok-1", "tok-1", "tok-2"]


def test_one_transparent_refresh_and_resend_on_401() -> None:
    clock = MutableClock()
    cloud = FakeCloud(clock)
    transport = httpx.MockTransport(cloud.handle)
    auth = _password_auth(clock, transport)
    with httpx.Client(transport=transport, auth=auth) as client:
        client.get(API)
        cloud.valid.clear()  # IAM revoked the token early
        response = client.post(API, json={"name": "x"})
    assert response.status_code == 200
    assert len(cloud.token_requests) == 2
    assert cloud.api_calls[-2:] == [("tok-1", b'{"name":"x"}'), ("tok-2", b'{"name":"x"}')]


def test_persistent_401_is_returned_after_a_single_retry() -> None:
    clock = MutableClock()
    token_posts: list[httpx.Request] = []

    def answer(request: httpx.Request) -> httpx.Response:
        if request.url.path == "/v3/auth/tokens":
            token_posts.append(request)
            return httpx.Response(201, headers={"X-Subject-Token": "t"}, json={})
        return httpx.Response(401, json={"error_code": "APIG.1002", "error_msg": "Incorrect token"})

    transport = httpx.MockTransport(answer)
    auth = _password_auth(clock, transport)
    calls: list[httpx.Request] = []
    with httpx.Client(transport=transport, auth=auth, event_hooks={"request": [calls.append]}) as client:
        response = client.get(API)
    assert response.status_code == 401
    assert len(calls) == 2  # the original and exactly one resend (the token client is separate)
    # The token answer had no expiry: it is cached for an hour, and the 401 forced exactly one re-fetch.
    assert len(token_posts) == 2


def test_concurrent_threads_share_one_fetch() -> None:
    clock = MutableClock()
    cloud = FakeCloud(clock, delay=0.05)
    transport = httpx.MockTransport(cloud.handle)
    auth = _password_auth(clock, transport)
    with httpx.Client(transport=transport, auth=auth) as client, ThreadPoolExecutor(8) as pool:
        statuses = list(pool.map(lambda _: client.get(API).status_code, range(16)))
    assert statuses == [200] * 16
    assert len(cloud.token_requests) == 1


async def test_concurrent_tasks_share_one_fetch() -> None:
    clock = MutableClock()
    cloud = FakeCloud(clock, delay=0.02)
    transport = httpx.MockTransport(cloud.ahandle)
    auth = _password_auth(clock, transport)
    async with httpx.AsyncClient(transport=transport, auth=auth) as client:
        responses = await asyncio.gather(*(client.get(API) for _ in range(20)))
        assert [r.status_code for r in responses] == [200] * 20
        cloud.valid.clear()
        responses = await asyncio.gather(*(client.get(API) for _ in range(10)))
    assert [r.status_code for r in responses] == [200] * 10
    # One initial fetch and one refresh shared by the ten tasks that all saw the revoked token.
    assert len(cloud.token_requests) == 2


def test_agency_token_uses_a_base_password_token() -> None:
    clock = MutableClock()
    cloud = FakeCloud(clock)
    transport = httpx.MockTransport(cloud.handle)
    auth = IamTokenAuth(
        IAM,
        username="alice",
        password="pw",
        domain_name="acme",
        project_id="proj-9",
        agency=("partner", "opsfn_agency"),
        clock=clock,
        transport=transport,
    )
    with httpx.Client(transport=transport, auth=auth) as client:
        assert client.get(API).status_code == 200
    base, assume = cloud.token_requests
    assert base["auth"]["scope"] == {"domain": {"name": "acme"}}
    assert assume == {
        "auth": {
            "identity": {
                "methods": ["assume_role"],
                "assume_role": {"domain_name": "partner", "agency_name": "opsfn_agency"},
            },
            "scope": {"project": {"id": "proj-9"}},
        }
    }
    assert cloud.token_headers[1]["x-auth-token"] == "tok-1"
    assert cloud.api_calls[0][0] == "tok-2"


def test_agency_with_given_base_token_and_domain_id() -> None:
    clock = MutableClock()
    cloud = FakeCloud(clock)
    transport = httpx.MockTransport(cloud.handle)
    domain_id = "0123456789abcdef0123456789abcdef"
    auth = IamTokenAuth(
        IAM, agency=(domain_id, "ag"), base_token="ctx-token", clock=clock, transport=transport
    )
    with httpx.Client(transport=transport, auth=auth) as client:
        client.get(API)
    (assume,) = cloud.token_requests
    assert assume["auth"]["identity"]["assume_role"] == {"domain_id": domain_id, "agency_name": "ag"}
    assert assume["auth"]["scope"] == {"domain": {"id": domain_id}}
    assert cloud.token_headers[0]["x-auth-token"] == "ctx-token"


def test_token_failure_raises_typed_error_without_the_password() -> None:
    clock = MutableClock()
    cloud = FakeCloud(clock)
    cloud.fail_tokens_with = 401
    transport = httpx.MockTransport(cloud.handle)
    auth = _password_auth(clock, transport)
    with httpx.Client(transport=transport, auth=auth) as client, pytest.raises(AuthError) as caught:
        client.get(API)
    assert "pa55-w0rd" not in str(caught.value)
    assert "pa55-w0rd" not in repr(auth)
    cloud.fail_tokens_with = None
    with httpx.Client(transport=transport, auth=auth) as client:
        assert client.get(API).status_code == 200  # nothing bad was cached


def test_token_endpoint_server_error_is_a_server_error() -> None:
    transport = httpx.MockTransport(
        lambda r: httpx.Response(503, json={"error_code": "X", "error_msg": "busy"})
    )
    auth = _password_auth(MutableClock(), transport)
    with pytest.raises(ServerError):
        auth.sync_token()


def test_missing_subject_token_header() -> None:
    transport = httpx.MockTransport(lambda r: httpx.Response(201, json={"token": {}}))
    with pytest.raises(AuthError, match="X-Subject-Token"):
        _password_auth(MutableClock(), transport).sync_token()


def test_incomplete_configuration_is_rejected() -> None:
    with pytest.raises(ValueError, match="username"):
        IamTokenAuth(IAM, username="a", password="b")


def test_sync_flow_needs_a_sync_transport() -> None:
    class AsyncOnly(httpx.AsyncBaseTransport):
        async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
            return httpx.Response(500)

    auth = _password_auth(MutableClock(), AsyncOnly())  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="synchronous"):
        auth.sync_token()


# ------------------------------------------------------------------------------------------- OAuth2

TOKEN_URL = "https://appcube.example.com/baas/auth/v1.0/oauth2/token"


class FakeAstro:
    def __init__(self, clock: MutableClock, expires_in: int | None = 3600) -> None:
        self.clock = clock
        self.expires_in = expires_in
        self.forms: list[dict[str, list[str]]] = []
        self.content_types: list[str] = []
        self.calls: list[httpx.Headers] = []

    def handle(self, request: httpx.Request) -> httpx.Response:
        if request.url.path == "/baas/auth/v1.0/oauth2/token":
            self.forms.append(parse_qs(request.content.decode()))
            self.content_types.append(request.headers["content-type"])
            body: dict[str, Any] = {"access_token": f"at-{len(self.forms)}", "token_type": "Bearer"}
            if self.expires_in is not None:
                body["expires_in"] = self.expires_in
            return httpx.Response(200, json=body)
        self.calls.append(request.headers)
        return httpx.Response(200, json={"resCode": "0"})


def test_oauth2_client_credentials_form_header_and_cache() -> None:
    clock = MutableClock()
    astro = FakeAstro(clock)
    transport = httpx.MockTransport(astro.handle)
    auth = OAuth2ClientCredentialsAuth(
        TOKEN_URL, "cid", "csecret", tenant_id="t-1", clock=clock, transport=transport
    )
    with httpx.Client(transport=transport, auth=auth) as client:
        for _ in range(3):
            client.get("https://appcube.example.com/service/x")
        clock.now = START + timedelta(minutes=55)
        client.get("https://appcube.example.com/service/x")
    assert astro.forms[0] == {
        "grant_type": ["client_credentials"],
        "client_id": ["cid"],
        "client_secret": ["csecret"],
    }
    assert astro.content_types[0] == "application/x-www-form-urlencoded"
    assert [h["access-token"] for h in astro.calls] == ["at-1", "at-1", "at-1", "at-2"]
    assert all(h["tenant-id"] == "t-1" for h in astro.calls)
    assert "csecret" not in repr(auth)


async def test_oauth2_async_without_expires_in_uses_a_short_default() -> None:
    clock = MutableClock()
    astro = FakeAstro(clock, expires_in=None)
    transport = httpx.MockTransport(astro.handle)
    auth = OAuth2ClientCredentialsAuth(
        TOKEN_URL, "cid", "csecret", header="X-Token", clock=clock, transport=transport
    )
    async with httpx.AsyncClient(transport=transport, auth=auth) as client:
        await asyncio.gather(*(client.get("https://appcube.example.com/s") for _ in range(5)))
        clock.now = START + timedelta(minutes=4, seconds=59)
        await client.get("https://appcube.example.com/s")
        assert len(astro.forms) == 1
        clock.now = START + timedelta(minutes=5)
        await client.get("https://appcube.example.com/s")
    assert len(astro.forms) == 2
    assert astro.calls[-1]["x-token"] == "at-2"


def test_oauth2_answer_without_access_token() -> None:
    transport = httpx.MockTransport(lambda r: httpx.Response(200, json={"error": "nope"}))
    auth = OAuth2ClientCredentialsAuth(TOKEN_URL, "cid", "csecret", transport=transport)
    with pytest.raises(AuthError, match="access_token"):
        auth.sync_token()


class WireTransport(httpx.BaseTransport, httpx.AsyncBaseTransport):
    """Reads the body straight off ``request.stream`` as a network transport does, without caching it.

    ``httpx.MockTransport`` reads (and so caches) the body before answering, which would hide a body that
    cannot be sent a second time.
    """

    def __init__(self, cloud: FakeCloud) -> None:
        self.cloud = cloud

    def _answer(self, request: httpx.Request, body: bytes) -> httpx.Response:
        sent = httpx.Request(request.method, request.url, headers=request.headers, content=body)
        return self.cloud.handle(sent)

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        assert isinstance(request.stream, httpx.SyncByteStream)
        return self._answer(request, b"".join(request.stream))

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        assert isinstance(request.stream, httpx.AsyncByteStream)
        return self._answer(request, b"".join([chunk async for chunk in request.stream]))


def test_streamed_body_is_replayed_after_the_401_refresh() -> None:
    clock = MutableClock()
    cloud = FakeCloud(clock)
    transport = WireTransport(cloud)
    auth = _password_auth(clock, transport)
    with httpx.Client(transport=transport, auth=auth) as client:
        client.get(API)
        cloud.valid.clear()  # the cached token is revoked: the next call gets a 401 once
        response = client.post(API, content=iter([b'{"name":', b'"x"}']))
    assert response.status_code == 200
    assert len(cloud.token_requests) == 2
    assert cloud.api_calls[-2:] == [("tok-1", b'{"name":"x"}'), ("tok-2", b'{"name":"x"}')]


async def test_async_streamed_body_is_replayed_after_the_401_refresh() -> None:
    clock = MutableClock()
    cloud = FakeCloud(clock)
    transport = WireTransport(cloud)
    auth = _password_auth(clock, transport)

    async def body() -> AsyncIterator[bytes]:
        yield b'{"name":'
        yield b'"x"}'

    async with httpx.AsyncClient(transport=transport, auth=auth) as client:
        await client.get(API)
        cloud.valid.clear()
        response = await client.post(API, content=body())
    assert response.status_code == 200
    assert len(cloud.token_requests) == 2
    assert cloud.api_calls[-2:] == [("tok-1", b'{"name":"x"}'), ("tok-2", b'{"name":"x"}')]
