"""Retry behaviour of clients built by ``make_client``: what is retried, how often, how long it waits."""

from __future__ import annotations

import json
from collections.abc import Generator
from datetime import datetime, timedelta, timezone
from email.utils import format_datetime

import httpx
import pytest

from shared.errors import CloudConnectionError, NotFoundError, ServerError, ThrottledError
from shared.http import RETRY_SAFE_EXTENSION, RetryPolicy, make_client, parse_retry_after, request_json
from tests.http.scripted import Script, Sleeps

TENCENT_THROTTLED = {
    "Response": {
        "Error": {"Code": "RequestLimitExceeded", "Message": "too many"},
        "RequestId": "tc-req-1",
    }
}


def client_for(script: Script, policy: RetryPolicy, auth: httpx.Auth | None = None) -> httpx.AsyncClient:
    return make_client(
        "https://svc.example.test", auth, service="apig", retry=policy, transport=script.transport()
    )


@pytest.mark.parametrize("status", [429, 502, 503, 504])
async def test_retryable_status_is_retried_until_success(
    status: int, policy: RetryPolicy, sleeps: Sleeps
) -> None:
    script = Script([httpx.Response(status), httpx.Response(status), httpx.Response(200, json={"ok": True})])
    async with client_for(script, policy) as client:
        assert await request_json(client, "GET", "/v2/things") == {"ok": True}
    assert script.calls == 3
    assert sleeps.delays == [0.2, 0.4]


async def test_gives_up_after_max_attempts_and_raises_typed_error(
    policy: RetryPolicy, sleeps: Sleeps
) -> None:
    script = Script([httpx.Response(503, json={"error_code": "APIG.9999", "error_msg": "down"})])
    async with client_for(script, policy) as client:
        with pytest.raises(ServerError) as info:
            await request_json(client, "GET", "/v2/things")
    assert script.calls == 4
    assert sleeps.delays == [0.2, 0.4, 0.8]
    assert info.value.status == 503
    assert info.value.error_code == "APIG.9999"


async def test_plain_500_is_not_retried(policy: RetryPolicy) -> None:
    script = Script([httpx.Response(500, json={"error_code": "APIG.9999", "error_msg": "internal"})])
    async with client_for(script, policy) as client:
        with pytest.raises(ServerError):
            await request_json(client, "GET", "/v2/things")
    assert script.calls == 1


async def test_non_retryable_client_error_is_not_retried(policy: RetryPolicy) -> None:
    script = Script([httpx.Response(404, json={"error_code": "APIG.3002", "error_msg": "no api"})])
    async with client_for(script, policy) as client:
        with pytest.raises(NotFoundError):
            await request_json(client, "DELETE", "/v2/apis/1")
    assert script.calls == 1


def test_full_jitter_stays_within_exponential_ceiling() -> None:
    policy = RetryPolicy(base_delay=0.5, max_delay=3.0)
    ceilings = {1: 0.5, 2: 1.0, 3: 2.0, 4: 3.0, 10: 3.0}
    for retry_number, ceiling in ceilings.items():
        samples = [policy.backoff(retry_number) for _ in range(300)]
        assert all(0.0 <= s <= ceiling for s in samples)
        # Full jitter, not "ceiling plus a little": the spread covers most of the interval.
        assert min(samples) < ceiling * 0.2
        assert max(samples) > ceiling * 0.8


def test_jitter_source_scales_the_ceiling() -> None:
    assert RetryPolicy(jitter=lambda: 0.0).backoff(3) == 0.0
    assert RetryPolicy(jitter=lambda: 0.5).backoff(3) == pytest.approx(0.4)
    assert RetryPolicy(base_delay=10, max_delay=15, jitter=lambda: 1.0).backoff(3) == 15


def test_policy_rejects_nonsense() -> None:
    with pytest.raises(ValueError):
        RetryPolicy(max_attempts=0)
    with pytest.raises(ValueError):
        RetryPolicy(base_delay=-1)


async def test_retry_after_seconds_replaces_backoff(policy: RetryPolicy, sleeps: Sleeps) -> None:
    script = Script([httpx.Response(429, headers={"Retry-After": "7"}), httpx.Response(204)])
    async with client_for(script, policy) as client:
        assert await request_json(client, "GET", "/x") is None
    assert sleeps.delays == [7.0]


async def test_retry_after_http_date_is_honoured_and_capped(sleeps: Sleeps) -> None:
    policy = RetryPolicy(sleep=sleeps, max_delay=20.0, jitter=lambda: 1.0)
    soon = format_datetime(datetime.now(timezone.utc) + timedelta(seconds=12), usegmt=True)
    late = format_datetime(datetime.now(timezone.utc) + timedelta(hours=2), usegmt=True)
    script = Script(
        [
            httpx.Response(503, headers={"Retry-After": soon}),
            httpx.Response(503, headers={"Retry-After": late}),
            httpx.Response(503, headers={"Retry-After": "3600"}),
            httpx.Response(200, json=[]),
        ]
    )
    async with client_for(script, policy) as client:
        assert await request_json(client, "GET", "/x") == []
    first, second, third = sleeps.delays
    assert 10.0 <= first <= 12.0
    assert second == 20.0
    assert third == 20.0


def test_parse_retry_after_forms() -> None:
    now = datetime(2026, 1, 1, tzinfo=timezone.utc).timestamp()
    assert parse_retry_after("5", now=now) == 5.0
    assert parse_retry_after("1.5", now=now) == 1.5
    assert parse_retry_after("-3", now=now) == 0.0
    assert parse_retry_after("Thu, 01 Jan 2026 00:00:30 GMT", now=now) == 30.0
    assert parse_retry_after("Wed, 31 Dec 2025 23:00:00 GMT", now=now) == 0.0
    assert parse_retry_after("soon", now=now) is None
    assert parse_retry_after("", now=now) is None
    assert parse_retry_after(None) is None


async def test_post_is_not_retried_by_default(policy: RetryPolicy) -> None:
    script = Script([httpx.Response(503)])
    async with client_for(script, policy) as client:
        with pytest.raises(ServerError):
            await request_json(client, "POST", "/v2/licenses", json={"count": 1})
    assert script.calls == 1


async def test_post_marked_safe_is_retried(policy: RetryPolicy) -> None:
    script = Script([httpx.Response(503), httpx.Response(201, json={"id": "1"})])
    async with client_for(script, policy) as client:
        result = await request_json(client, "POST", "/v2/keys", json={"name": "k"}, retry_safe=True)
    assert result == {"id": "1"}
    assert script.calls == 2
    assert [json.loads(r.content) for r in script.requests] == [{"name": "k"}, {"name": "k"}]


async def test_extension_marks_post_safe_on_plain_client_calls(policy: RetryPolicy) -> None:
    script = Script([httpx.Response(502), httpx.Response(200)])
    async with client_for(script, policy) as client:
        response = await client.post("/x", json={}, extensions={RETRY_SAFE_EXTENSION: True})
    assert response.status_code == 200
    assert script.calls == 2


async def test_idempotent_method_can_opt_out(policy: RetryPolicy) -> None:
    script = Script([httpx.Response(503)])
    async with client_for(script, policy) as client:
        with pytest.raises(ServerError):
            await request_json(client, "PUT", "/x", json={}, retry_safe=False)
    assert script.calls == 1


async def test_apig_throttling_on_http_500_is_retried(policy: RetryPolicy, sleeps: Sleeps) -> None:
    throttled = httpx.Response(500, json={"error_code": "APIG.9008", "error_msg": "Too many requests"})
    script = Script([throttled, throttled, httpx.Response(200, json={"total": 0})])
    async with client_for(script, policy) as client:
        assert await request_json(client, "GET", "/v2/p/apigw/instances") == {"total": 0}
    assert script.calls == 3
    assert len(sleeps.delays) == 2


async def test_apig_throttling_exhausted_raises_throttled_error(policy: RetryPolicy) -> None:
    throttled = httpx.Response(
        500,
        json={"error_code": "APIG.9008", "error_msg": "Too many requests", "request_id": "hw-1"},
    )
    script = Script([throttled])
    async with client_for(script, policy) as client:
        with pytest.raises(ThrottledError) as info:
            await request_json(client, "GET", "/v2/p/apigw/instances")
    assert script.calls == 4
    assert (info.value.status, info.value.error_code, info.value.request_id) == (500, "APIG.9008", "hw-1")


@pytest.mark.parametrize("code", ["RequestLimitExceeded", "RequestLimitExceeded.UinLimitExceeded"])
async def test_tencent_throttling_in_http_200_is_retried(code: str, policy: RetryPolicy) -> None:
    body = {"Response": {"Error": {"Code": code, "Message": "slow down"}, "RequestId": "r"}}
    ok = {"Response": {"Result": {"TotalCount": 0}, "RequestId": "r2"}}
    script = Script([httpx.Response(200, json=body), httpx.Response(200, json=ok)])
    async with client_for(script, policy) as client:
        result = await request_json(client, "POST", "/", json={}, retry_safe=True)
    assert result == ok
    assert script.calls == 2


async def test_tencent_throttling_exhausted_raises_throttled_error(policy: RetryPolicy) -> None:
    script = Script([httpx.Response(200, json=TENCENT_THROTTLED)])
    async with client_for(script, policy) as client:
        with pytest.raises(ThrottledError) as info:
            await request_json(client, "POST", "/", json={}, retry_safe=True)
    assert script.calls == 4
    assert info.value.status == 200
    assert info.value.request_id == "tc-req-1"


async def test_tencent_other_error_in_200_is_not_retried(policy: RetryPolicy) -> None:
    body = {"Response": {"Error": {"Code": "ResourceNotFound.ServiceId", "Message": "x"}, "RequestId": "r"}}
    script = Script([httpx.Response(200, json=body)])
    async with client_for(script, policy) as client:
        with pytest.raises(NotFoundError):
            await request_json(client, "POST", "/", json={}, retry_safe=True)
    assert script.calls == 1


@pytest.mark.parametrize(
    "failure",
    [
        httpx.ConnectError("connection refused"),
        httpx.ConnectTimeout("connect timed out"),
        httpx.ReadTimeout("read timed out"),
        httpx.RemoteProtocolError("server disconnected"),
    ],
    ids=lambda e: type(e).__name__,
)
async def test_transport_failures_retried_then_connection_error(
    failure: Exception, policy: RetryPolicy, sleeps: Sleeps
) -> None:
    script = Script([failure])
    async with client_for(script, policy) as client:
        with pytest.raises(CloudConnectionError) as info:
            await request_json(client, "GET", "/v2/things", params={"Signature": "query-secret-value"})
    assert script.calls == 4
    assert sleeps.delays == [0.2, 0.4, 0.8]
    assert info.value.service == "apig"
    assert type(failure).__name__ in str(info.value)
    assert "query-secret-value" not in str(info.value)


async def test_transport_failure_then_recovery(policy: RetryPolicy) -> None:
    script = Script([httpx.ReadTimeout("slow"), httpx.Response(200, json={"v": 1})])
    async with client_for(script, policy) as client:
        assert await request_json(client, "GET", "/x") == {"v": 1}
    assert script.calls == 2


async def test_post_transport_failure_not_retried(policy: RetryPolicy) -> None:
    script = Script([httpx.ConnectError("refused")])
    async with client_for(script, policy) as client:
        with pytest.raises(CloudConnectionError):
            await request_json(client, "POST", "/v2/licenses", json={})
    assert script.calls == 1


class StampingAuth(httpx.Auth):
    """Signs with a ticking clock, and - like a careless signer - never overwrites a header already set.

    If retries resent the already-signed request, every attempt would carry the first stamp.
    """

    def __init__(self) -> None:
        self.tick = 0

    def auth_flow(self, request: httpx.Request) -> Generator[httpx.Request, httpx.Response, None]:
        self.tick += 1
        request.headers.setdefault("X-Sdk-Date", f"20260101T00000{self.tick}Z")
        request.headers.setdefault("Authorization", f"SDK-HMAC-SHA256 sig-{self.tick}-{request.content!r}")
        yield request


async def test_every_attempt_is_signed_afresh_with_the_same_body(policy: RetryPolicy) -> None:
    script = Script([httpx.Response(503), httpx.Response(503), httpx.Response(200, json={})])
    async with client_for(script, policy, auth=StampingAuth()) as client:
        await request_json(client, "PUT", "/v2/x", json={"a": 1}, headers={"X-Custom": "kept"})
    dates = [r.headers["X-Sdk-Date"] for r in script.requests]
    signatures = [r.headers["Authorization"] for r in script.requests]
    assert len(set(dates)) == 3
    assert len(set(signatures)) == 3
    assert all(r.content == b'{"a":1}' or json.loads(r.content) == {"a": 1} for r in script.requests)
    assert all(r.headers["X-Custom"] == "kept" for r in script.requests)


async def test_streamed_request_body_is_not_replayed(policy: RetryPolicy) -> None:
    async def body() -> object:
        yield b"chunk"

    script = Script([httpx.Response(503)])
    async with client_for(script, policy) as client:
        response = await client.put("/x", content=body())  # type: ignore[arg-type]
    assert response.status_code == 503
    assert script.calls == 1


async def test_single_attempt_policy_never_sleeps(sleeps: Sleeps) -> None:
    script = Script([httpx.Response(503)])
    async with client_for(script, RetryPolicy(max_attempts=1, sleep=sleeps)) as client:
        response = await client.get("/x")
    assert response.status_code == 503
    assert script.calls == 1
    assert sleeps.delays == []


async def test_permanent_transport_errors_are_not_retried(policy: RetryPolicy) -> None:
    script = Script([httpx.UnsupportedProtocol("ftp is not supported")])
    async with client_for(script, policy) as client:
        with pytest.raises(CloudConnectionError, match="UnsupportedProtocol"):
            await request_json(client, "GET", "/x")
    assert script.calls == 1
