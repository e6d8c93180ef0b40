"""``request_json`` error mapping for the three error shapes, body handling and the transport override."""

from __future__ import annotations

import httpx
import pytest

from shared.errors import (
    AuthError,
    BadRequestError,
    CloudError,
    ConflictError,
    NotFoundError,
    QuotaExceededError,
    ThrottledError,
)
from shared.http import (
    DEFAULT_TIMEOUT,
    OpsfnAsyncClient,
    RetryPolicy,
    get_default_transport,
    make_client,
    request_json,
    set_default_transport,
    use_transport,
)
from tests.http.scripted import Script


def client_for(script: Script, service: str = "csms") -> httpx.AsyncClient:
    return make_client(
        "https://svc.example.test",
        None,
        service=service,
        retry=RetryPolicy(max_attempts=1),
        transport=script.transport(),
    )


@pytest.mark.parametrize(
    ("status", "body", "headers", "expected"),
    [
        # Huawei flat shape (APIG, IDE).
        (
            404,
            {"error_code": "APIG.3002", "error_msg": "API 1 does not exist", "request_id": "hw-404"},
            {},
            (NotFoundError, "APIG.3002", "API 1 does not exist", "hw-404"),
        ),
        (
            400,
            {"error_code": "IDE.00900008", "error_msg": "quota", "request_id": "q"},
            {},
            (QuotaExceededError, "IDE.00900008", "quota", "q"),
        ),
        # CSMS/KMS nested shape; request id only in the header.
        (
            400,
            {"error": {"error_code": "CSMS.0401", "error_msg": "bad secret name"}},
            {"X-Request-Id": "csms-hdr-1"},
            (BadRequestError, "CSMS.0401", "bad secret name", "csms-hdr-1"),
        ),
        (
            409,
            {"error": {"error_code": "CSMS.0002", "error_msg": "exists"}, "request_id": "c2"},
            {},
            (ConflictError, "CSMS.0002", "exists", "c2"),
        ),
        # Tencent: errors come with HTTP 200.
        (
            200,
            {
                "Response": {
                    "Error": {"Code": "AuthFailure.SignatureFailure", "Message": "sig"},
                    "RequestId": "t1",
                }
            },
            {},
            (AuthError, "AuthFailure.SignatureFailure", "sig", "t1"),
        ),
        # SMN's flat shape.
        (
            404,
            {"request_id": "s1", "code": "SMN.0006", "message": "Topic not found."},
            {},
            (NotFoundError, "SMN.0006", "Topic not found.", "s1"),
        ),
        # Status only, no body.
        (401, None, {}, (AuthError, "", "HTTP 401", "")),
        (429, None, {"Retry-After": "3"}, (ThrottledError, "", "HTTP 429", "")),
    ],
)
async def test_error_shapes_map_to_typed_errors(
    status: int,
    body: object,
    headers: dict[str, str],
    expected: tuple[type[CloudError], str, str, str],
) -> None:
    response = (
        httpx.Response(status, json=body, headers=headers)
        if body
        else httpx.Response(status, headers=headers)
    )
    async with client_for(Script([response])) as client:
        with pytest.raises(CloudError) as info:
            await request_json(client, "GET", "/v1/p/secrets")
    cls, code, msg, request_id = expected
    error = info.value
    assert type(error) is cls
    assert (error.status, error.error_code, error.error_msg, error.request_id) == (
        status,
        code,
        msg,
        request_id,
    )
    assert error.service == "csms"


async def test_throttled_error_carries_retry_after() -> None:
    async with client_for(Script([httpx.Response(429, headers={"Retry-After": "3"})])) as client:
        with pytest.raises(ThrottledError) as info:
            await request_json(client, "GET", "/x")
    assert info.value.retry_after == 3.0


async def test_success_bodies() -> None:
    script = Script(
        [
            httpx.Response(200, json={"secrets": []}),
            httpx.Response(204),
            httpx.Response(200, text="plain text"),
            httpx.Response(200, json={"Response": {"RequestId": "ok", "Result": 1}}),
            # A success body that happens to look like SMN's error shape is still a success below 400.
            httpx.Response(200, json={"code": "OK", "message": "done"}),
        ]
    )
    async with client_for(script) as client:
        assert await request_json(client, "GET", "/a") == {"secrets": []}
        assert await request_json(client, "DELETE", "/b") is None
        assert await request_json(client, "GET", "/c") == "plain text"
        assert await request_json(client, "POST", "/") == {"Response": {"RequestId": "ok", "Result": 1}}
        assert await request_json(client, "GET", "/d") == {"code": "OK", "message": "done"}


async def test_request_parts_are_sent() -> None:
    script = Script([httpx.Response(200, json={})])
    async with client_for(script) as client:
        await request_json(
            client, "PUT", "/v1/x", params={"limit": 5, "name": "a b"}, json={"k": [1]}, headers={"X-A": "1"}
        )
        await request_json(client, "POST", "/raw", content=b"raw-bytes")
    first, second = script.requests
    assert first.method == "PUT"
    assert first.url.params["limit"] == "5"
    assert first.url.params["name"] == "a b"
    assert first.headers["x-a"] == "1"
    assert first.headers["content-type"] == "application/json"
    assert second.content == b"raw-bytes"


async def test_plain_async_client_works_without_service_name() -> None:
    script = Script([httpx.Response(404, json={"error_code": "X", "error_msg": "m"})])
    async with httpx.AsyncClient(base_url="https://x.test", transport=script.transport()) as client:
        with pytest.raises(NotFoundError) as info:
            await request_json(client, "GET", "/y")
    assert info.value.service == ""


async def test_make_client_defaults() -> None:
    client = make_client("https://apig.cn-north-4.myhuaweicloud.com", None, service="apig")
    try:
        assert isinstance(client, OpsfnAsyncClient)
        assert client.service == "apig"
        assert client.headers["User-Agent"] == "opsfn/0.1.0"
        assert client.timeout == DEFAULT_TIMEOUT
        assert str(client.base_url) == "https://apig.cn-north-4.myhuaweicloud.com"
    finally:
        await client.aclose()


async def test_extra_headers_and_timeout() -> None:
    script = Script([httpx.Response(200)])
    client = make_client(
        "https://x.test",
        None,
        service="s",
        timeout=2.5,
        headers={"X-Language": "en-us"},
        transport=script.transport(),
    )
    async with client:
        await client.get("/")
    assert client.timeout == httpx.Timeout(2.5)
    assert script.requests[0].headers["x-language"] == "en-us"
    assert script.requests[0].headers["user-agent"].startswith("opsfn/")


async def test_use_transport_reaches_clients_built_without_one() -> None:
    outer, inner = Script([httpx.Response(200, json="outer")]), Script([httpx.Response(200, json="inner")])
    assert get_default_transport() is None
    with use_transport(outer.transport()):
        with use_transport(inner.transport()):
            async with make_client("https://x.test", None, service="s") as client:
                assert await request_json(client, "GET", "/") == "inner"
        async with make_client("https://x.test", None, service="s") as client:
            assert await request_json(client, "GET", "/") == "outer"
        explicit = Script([httpx.Response(200, json="explicit")])
        async with make_client("https://x.test", None, service="s", transport=explicit.transport()) as client:
            assert await request_json(client, "GET", "/") == "explicit"
    assert get_default_transport() is None
    assert (outer.calls, inner.calls) == (1, 1)


async def test_set_default_transport_and_reset() -> None:
    script = Script([httpx.Response(200, json=1)])
    set_default_transport(script.transport())
    try:
        async with make_client("https://x.test", None, service="s") as client:
            assert await request_json(client, "GET", "/") == 1
    finally:
        set_default_transport(None)
    assert get_default_transport() is None


def test_user_agent_version_matches_pyproject() -> None:
    """The constant avoids a metadata scan at cold start; this keeps it honest."""
    import re
    from pathlib import Path

    from shared.http import USER_AGENT, VERSION

    text = (Path(__file__).parents[2] / "pyproject.toml").read_text()
    match = re.search(r'^version = "([^"]+)"', text, re.MULTILINE)
    assert match is not None
    assert match.group(1) == VERSION
    assert f"opsfn/{VERSION}" == USER_AGENT


async def test_request_response_returns_headers_and_raises_typed_errors() -> None:
    from shared.errors import CloudConnectionError
    from shared.http import request_response

    script = Script(
        [
            httpx.Response(201, headers={"X-Subject-Token": "tok"}, json={"token": {}}),
            httpx.Response(401, json={"error_code": "APIGW.0301", "error_msg": "bad"}),
            httpx.ConnectError("refused"),
        ]
    )
    async with client_for(script) as client:
        response = await request_response(client, "POST", "/v3/auth/tokens", json={}, retry_safe=True)
        assert response.headers["x-subject-token"] == "tok"
        with pytest.raises(AuthError):
            await request_response(client, "POST", "/v3/auth/tokens", json={})
        with pytest.raises(CloudConnectionError):
            await request_response(client, "GET", "/")
