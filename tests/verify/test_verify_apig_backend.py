"""Verification of requests Huawei APIG signs towards a backend with a bound ``hmac`` signature key.

The gateway signs with SDK-HMAC-SHA256 using the key's ``sign_key``/``sign_secret`` as AK/SK, so the requests
here are produced by our own :class:`HuaweiAKSKAuth` (itself proven byte-equal to the official signer in
``tests/auth``) and checked by ``shared.verify`` through the very same canonicalisation.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta, timezone

import httpx
import pytest

from shared.auth import HuaweiAKSKAuth
from shared.verify import (
    MemoryReplayGuard,
    WebhookVerificationError,
    verify_apig_backend_request,
    verify_apig_backend_signature,
)

NOW = datetime(2024, 5, 1, 12, 0, 0, tzinfo=timezone.utc)
CURRENT = ("a071a20d460a4f639a636c3d7e3d8163", "dc02fc5f30714d6bb21888389419e2b3")
PENDING = ("a071a20d460a4f639a636c3d7e3d8163", "9ce16b029034464898ee33540c42e16a")
OTHER_KEY = ("ca50c5b670044c83b5b890a9a68a30d5", "signsecretsignsecretsignsecret")
BACKEND = "http://backend.internal:8080/hooks/license?user=u%201&tag=b&tag=a&empty="
BODY = b'{"user_id":"u 1","machine_code":"' + b"f" * 64 + b'"}'


def _clock(moment: datetime = NOW) -> Callable[[], datetime]:
    return lambda: moment


def _gateway_request(
    key: tuple[str, str] = CURRENT, *, at: datetime = NOW, body: bytes = BODY
) -> httpx.Request:
    request = httpx.Request(
        "POST",
        BACKEND,
        headers={"Content-Type": "application/json", "X-Request-Id": "req-1", "User-Agent": "APIGateway"},
        content=body,
    )
    HuaweiAKSKAuth(*key, clock=_clock(at)).sign(request)
    return request


def test_valid_request_returns_the_sign_key() -> None:
    assert verify_apig_backend_request(_gateway_request(), [CURRENT], clock=_clock()) == CURRENT[0]


def test_rotation_accepts_current_and_pending_secret() -> None:
    keys = [CURRENT, PENDING, OTHER_KEY]
    assert verify_apig_backend_request(_gateway_request(CURRENT), keys, clock=_clock()) == CURRENT[0]
    assert verify_apig_backend_request(_gateway_request(PENDING), keys, clock=_clock()) == PENDING[0]
    assert verify_apig_backend_request(_gateway_request(OTHER_KEY), keys, clock=_clock()) == OTHER_KEY[0]
    with pytest.raises(WebhookVerificationError, match="does not match"):
        verify_apig_backend_request(_gateway_request(PENDING), [CURRENT], clock=_clock())


def test_unknown_key_and_forged_signature() -> None:
    with pytest.raises(WebhookVerificationError, match="unknown signature key"):
        verify_apig_backend_request(_gateway_request(OTHER_KEY), [CURRENT], clock=_clock())
    request = _gateway_request()
    request.headers["Authorization"] = request.headers["Authorization"][:-4] + "0000"
    with pytest.raises(WebhookVerificationError, match="does not match"):
        verify_apig_backend_request(request, [CURRENT], clock=_clock())


def test_tampered_body_query_and_header() -> None:
    signed = _gateway_request()
    mutations: list[Callable[[httpx.Request], httpx.Request]] = [
        lambda r: httpx.Request(r.method, r.url, headers=r.headers, content=BODY.replace(b"u 1", b"u 2")),
        lambda r: httpx.Request(
            r.method, r.url.copy_add_param("extra", "1"), headers=r.headers, content=BODY
        ),
        lambda r: httpx.Request(
            r.method, r.url, headers={**dict(r.headers), "x-request-id": "req-2"}, content=BODY
        ),
    ]
    for mutate in mutations:
        tampered = mutate(signed)
        tampered.headers["content-length"] = str(len(tampered.content))
        with pytest.raises(WebhookVerificationError, match="does not match"):
            verify_apig_backend_request(tampered, [CURRENT], clock=_clock())


@pytest.mark.parametrize("offset", [timedelta(minutes=-16), timedelta(minutes=16)])
def test_stale_or_future_date(offset: timedelta) -> None:
    request = _gateway_request(at=NOW + offset)
    with pytest.raises(WebhookVerificationError, match="clock skew"):
        verify_apig_backend_request(request, [CURRENT], clock=_clock())


def test_date_within_fifteen_minutes_is_accepted() -> None:
    request = _gateway_request(at=NOW - timedelta(minutes=14, seconds=59))
    assert verify_apig_backend_request(request, [CURRENT], clock=_clock()) == CURRENT[0]


def test_replay_of_the_same_signed_request(guard: MemoryReplayGuard) -> None:
    request = _gateway_request()
    verify_apig_backend_request(request, [CURRENT], clock=_clock(), guard=guard)
    with pytest.raises(WebhookVerificationError, match="replay"):
        verify_apig_backend_request(request, [CURRENT], clock=_clock(), guard=guard)


@pytest.mark.parametrize(
    ("authorization", "reason"),
    [
        (None, "missing Authorization"),
        ("Basic dXNlcjpwYXNz", "malformed Authorization"),
        ("SDK-HMAC-SHA256 Access=k, SignedHeaders=host, Signature=00", "X-Sdk-Date is not signed"),
        ("SDK-HMAC-SHA256 Access=k, SignedHeaders=host;x-sdk-date;x-missing, Signature=00", "missing"),
    ],
)
def test_malformed_authorization(authorization: str | None, reason: str) -> None:
    request = _gateway_request()
    del request.headers["Authorization"]
    if authorization:
        request.headers["Authorization"] = authorization.replace("Access=k", f"Access={CURRENT[0]}")
    with pytest.raises(WebhookVerificationError, match=reason):
        verify_apig_backend_request(request, [CURRENT], clock=_clock())


def test_malformed_sdk_date() -> None:
    request = _gateway_request()
    request.headers["X-Sdk-Date"] = "2024-05-01T12:00:00Z"
    with pytest.raises(WebhookVerificationError, match="X-Sdk-Date"):
        verify_apig_backend_request(request, [CURRENT], clock=_clock())


def test_huge_body_rejected() -> None:
    body = b"{" + b" " * 4096 + b"}"
    with pytest.raises(WebhookVerificationError, match="size limit"):
        verify_apig_backend_request(
            _gateway_request(body=body), [CURRENT], clock=_clock(), max_body_bytes=1024
        )


def test_no_keys_is_a_configuration_error() -> None:
    with pytest.raises(ValueError, match="sign_key"):
        verify_apig_backend_request(_gateway_request(), [], clock=_clock())


def test_parts_form_for_a_functiongraph_apig_event() -> None:
    """A FunctionGraph APIG trigger hands the function the path, header map, decoded query and body."""
    sent = _gateway_request()
    headers = dict(sent.headers)
    query = {"user": "u 1", "tag": ["b", "a"], "empty": ""}
    result = verify_apig_backend_signature(
        "POST", "/hooks/license", headers, BODY, [CURRENT], query=query, clock=_clock()
    )
    assert result == CURRENT[0]
    pairs = [("tag", "a"), ("empty", ""), ("user", "u 1"), ("tag", "b")]  # order does not matter
    assert verify_apig_backend_signature(
        "POST", "/hooks/license", headers, BODY, [CURRENT], query=pairs, clock=_clock()
    )
    with pytest.raises(WebhookVerificationError, match="does not match"):
        verify_apig_backend_signature(
            "POST", "/hooks/license", headers, BODY, [CURRENT], query={"user": "u 2"}, clock=_clock()
        )
    without_host = {k: v for k, v in headers.items() if k != "host"}
    with pytest.raises(WebhookVerificationError, match="Host"):
        verify_apig_backend_signature("POST", "/hooks/license", without_host, BODY, [CURRENT], clock=_clock())
