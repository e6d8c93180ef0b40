"""Huawei SDK-HMAC-SHA256: the platform.md §4 vector, canonical-form rules, parsing, the auth flow."""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from datetime import datetime, timedelta, timezone

import httpx
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from shared.auth import (
    EMPTY_SHA256,
    HuaweiAKSKAuth,
    SignatureFormatError,
    huawei_canonical_request,
    huawei_request_parts,
    huawei_signature,
    huawei_signature_for_request,
    parse_huawei_authorization,
)
from shared.signing_huawei import _canonical_query, _canonical_query_raw, _parse_query

VECTOR_URL = "https://csms.example.com/v1/proj123/csms/abc/tags/action?b=2&a=x y&flag=true"
VECTOR_BODY = b'{"action":"create","tags":[{"key":"k","value":"v"}]}'
VECTOR_HEADERS = {
    "Content-Type": "application/json;charset=UTF-8",
    "User-Agent": "huaweicloud-usdk-python/3.0",
    "X-Sdk-Date": "20240101T000000Z",
    "X-Project-Id": "proj123",
    "X-Security-Token": "TOKEN",
    "Host": "csms.example.com",
}
VECTOR_SIGNED = ("content-type", "host", "user-agent", "x-project-id", "x-sdk-date", "x-security-token")
VECTOR_CANONICAL = (
    "POST\n/v1/proj123/csms/abc/tags/action/\na=x%20y&b=2&flag=true\n"
    "content-type:application/json;charset=UTF-8\nhost:csms.example.com\n"
    "user-agent:huaweicloud-usdk-python/3.0\nx-project-id:proj123\nx-sdk-date:20240101T000000Z\n"
    "x-security-token:TOKEN\n\ncontent-type;host;user-agent;x-project-id;x-sdk-date;x-security-token\n"
    "a69b61f7fbce98cbf2197374513e8b7369270f9fe2ecb59b10bc835ab1e1aca1"
)
VECTOR_SIGNATURE = "e02d298c69c9cc299590c2230e56741216455efd9c4e44e7d56abcf09772a1da"


def test_vector_canonical_request_and_signature_are_byte_exact() -> None:
    body_hash = hashlib.sha256(VECTOR_BODY).hexdigest()
    query = [("b", "2"), ("a", "x y"), ("flag", "true")]
    canonical = huawei_canonical_request(
        "post", "/v1/proj123/csms/abc/tags/action", query, VECTOR_HEADERS, VECTOR_SIGNED, body_hash
    )
    assert canonical == VECTOR_CANONICAL
    assert huawei_signature("SKEXAMPLE", "20240101T000000Z", canonical) == VECTOR_SIGNATURE


def test_vector_through_the_auth_flow(fixed_clock: Callable[[], datetime]) -> None:
    """The auth adds X-Sdk-Date, X-Project-Id and X-Security-Token *before* signing, so all are signed."""
    request = httpx.Request(
        "POST",
        VECTOR_URL,
        headers={"Content-Type": VECTOR_HEADERS["Content-Type"], "User-Agent": VECTOR_HEADERS["User-Agent"]},
        content=VECTOR_BODY,
    )
    auth = HuaweiAKSKAuth(
        "AKEXAMPLE", "SKEXAMPLE", security_token="TOKEN", clock=fixed_clock, project_id="proj123"
    )
    flow = auth.sync_auth_flow(request)
    sent = next(flow)
    assert sent.headers["X-Sdk-Date"] == "20240101T000000Z"
    assert sent.headers["Authorization"] == (
        "SDK-HMAC-SHA256 Access=AKEXAMPLE, SignedHeaders="
        + ";".join(VECTOR_SIGNED)
        + f", Signature={VECTOR_SIGNATURE}"
    )
    # Content-Length is sent but, as with the official signers, not signed.
    assert "content-length" in sent.headers
    assert huawei_signature_for_request(sent, "SKEXAMPLE", VECTOR_SIGNED) == VECTOR_SIGNATURE


@pytest.mark.parametrize(
    ("path", "expected"),
    [
        ("", "/"),
        ("/", "/"),
        ("/a/b", "/a/b/"),
        ("/a/b/", "/a/b/"),
        ("/a b/c", "/a%20b/c/"),
        ("/a%20b/c", "/a%20b/c/"),  # already encoded: unquote then quote gives the same form
        ("/%E4%B8%AD/x", "/%E4%B8%AD/x/"),
        ("/中/x", "/%E4%B8%AD/x/"),
        ("/a~b/c!d", "/a~b/c%21d/"),
        ("/a%2Fb", "/a/b/"),  # an encoded slash is a separator after unquoting, as the gateway sees it
    ],
)
def test_canonical_uri(path: str, expected: str) -> None:
    canonical = huawei_canonical_request("GET", path, [], {}, [], EMPTY_SHA256)
    assert canonical.split("\n")[1] == expected


def test_canonical_query_sorts_repeated_and_empty_parameters() -> None:
    pairs = [("b", "2"), ("a", "z"), ("a", "y"), ("empty", ""), ("sp ace", "a+b c"), ("t", "~")]
    canonical = huawei_canonical_request("GET", "/", pairs, {}, [], EMPTY_SHA256)
    assert canonical.split("\n")[2] == "a=y&a=z&b=2&empty=&sp%20ace=a%2Bb%20c&t=~"


def test_missing_signed_header_is_a_format_error() -> None:
    with pytest.raises(SignatureFormatError, match="x-custom"):
        huawei_canonical_request("GET", "/", [], {"host": "h"}, ["host", "x-custom"], EMPTY_SHA256)


def test_content_sha256_override_replaces_the_body_hash(fixed_clock: Callable[[], datetime]) -> None:
    """``X-Sdk-Content-Sha256: UNSIGNED-PAYLOAD`` is signed literally; the body can then change freely."""
    auth = HuaweiAKSKAuth("AK", "SK", clock=fixed_clock)
    first = httpx.Request(
        "PUT",
        "https://obs.example.com/o",
        headers={"X-Sdk-Content-Sha256": "UNSIGNED-PAYLOAD"},
        content=b"one",
    )
    second = httpx.Request(
        "PUT",
        "https://obs.example.com/o",
        headers={"X-Sdk-Content-Sha256": "UNSIGNED-PAYLOAD"},
        content=b"two",
    )
    auth.sign(first)
    auth.sign(second)
    assert first.headers["Authorization"] == second.headers["Authorization"]
    assert "x-sdk-content-sha256" in parse_huawei_authorization(first.headers["Authorization"]).signed_headers


def test_body_is_signed(fixed_clock: Callable[[], datetime]) -> None:
    auth = HuaweiAKSKAuth("AK", "SK", clock=fixed_clock)
    one = httpx.Request("POST", "https://x.example.com/p", json={"a": 1})
    two = httpx.Request("POST", "https://x.example.com/p", json={"a": 2})
    auth.sign(one)
    auth.sign(two)
    assert one.headers["Authorization"] != two.headers["Authorization"]


def test_underscore_and_hop_by_hop_headers_are_not_signed(fixed_clock: Callable[[], datetime]) -> None:
    request = httpx.Request(
        "GET",
        "https://x.example.com:8443/p",
        headers={"X_Custom": "1", "Connection": "keep-alive", "X-Trace": "t", "Authorization": "stale"},
    )
    HuaweiAKSKAuth("AK", "SK", clock=fixed_clock).sign(request)
    parsed = parse_huawei_authorization(request.headers["Authorization"])
    assert parsed.signed_headers == ("host", "x-sdk-date", "x-trace")
    assert request.headers["host"] == "x.example.com:8443"


def test_resigning_a_retried_request_refreshes_the_date() -> None:
    """http.py may resend the same request object: the stale Authorization is replaced, not signed."""
    moments = iter(
        [datetime(2024, 1, 1, tzinfo=timezone.utc), datetime(2024, 1, 1, 0, 1, tzinfo=timezone.utc)]
    )
    auth = HuaweiAKSKAuth("AK", "SK", clock=lambda: next(moments))
    request = httpx.Request("GET", "https://x.example.com/p")
    auth.sign(request)
    first = request.headers["Authorization"]
    auth.sign(request)
    assert request.headers["X-Sdk-Date"] == "20240101T000100Z"
    assert request.headers["Authorization"] != first
    parsed = parse_huawei_authorization(request.headers["Authorization"])
    assert huawei_signature_for_request(request, "SK", parsed.signed_headers) == parsed.signature


def test_non_utc_clock_is_converted() -> None:
    tz = timezone(timedelta(hours=8))
    auth = HuaweiAKSKAuth("AK", "SK", clock=lambda: datetime(2024, 1, 1, 8, 0, tzinfo=tz))
    request = httpx.Request("GET", "https://x.example.com/")
    auth.sign(request)
    assert request.headers["X-Sdk-Date"] == "20240101T000000Z"


def test_secret_never_in_repr_or_headers(fixed_clock: Callable[[], datetime]) -> None:
    auth = HuaweiAKSKAuth("AKID", "very-secret-sk", security_token="tok", clock=fixed_clock)
    request = httpx.Request("GET", "https://x.example.com/")
    auth.sign(request)
    assert "very-secret-sk" not in repr(auth)
    assert "tok" not in repr(auth)
    assert all("very-secret-sk" not in value for value in request.headers.values())


def test_missing_keys_rejected() -> None:
    with pytest.raises(ValueError, match="required"):
        HuaweiAKSKAuth("", "sk")


def test_parse_authorization() -> None:
    parsed = parse_huawei_authorization(
        "SDK-HMAC-SHA256 Access=AK1, SignedHeaders=host;x-sdk-date, Signature=ab12"
    )
    assert parsed.algorithm == "SDK-HMAC-SHA256"
    assert parsed.access == "AK1"
    assert parsed.signed_headers == ("host", "x-sdk-date")
    assert parsed.signature == "ab12"


@pytest.mark.parametrize(
    "value",
    [
        "",
        "Bearer abc",
        "SDK-HMAC-SHA256",
        "SDK-HMAC-SHA256 Access=AK, SignedHeaders=host",
        "SDK-HMAC-SHA256 Access=AK, SignedHeaders=host, Signature=",
        "SDK-HMAC-SHA256 Access=AK, SignedHeaders=Host, Signature=ab",
        "SDK-HMAC-SHA256 Access=AK, SignedHeaders=host;;x, Signature=ab",
        "SDK-HMAC-SHA256 Access=AK SignedHeaders=host Signature=ab",
        "V11-HMAC-SHA256 Credential=AK/20240101/r/s, SignedHeaders=host, Signature=ab",
    ],
)
def test_parse_authorization_rejects_malformed(value: str) -> None:
    with pytest.raises(SignatureFormatError):
        parse_huawei_authorization(value)


def test_signature_for_request_requires_sdk_date() -> None:
    with pytest.raises(SignatureFormatError, match="X-Sdk-Date"):
        huawei_signature_for_request(httpx.Request("GET", "https://x.example.com/"), "SK", ["host"])


async def test_async_client_sends_a_verifiable_request(fixed_clock: Callable[[], datetime]) -> None:
    """End to end through httpx: the bytes that reach the transport verify with the same secret."""
    seen: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        parsed = parse_huawei_authorization(request.headers["authorization"])
        ok = huawei_signature_for_request(request, "SK", parsed.signed_headers) == parsed.signature
        return httpx.Response(200 if ok else 401)

    auth = HuaweiAKSKAuth("AK", "SK", clock=fixed_clock)
    async with httpx.AsyncClient(transport=httpx.MockTransport(handler), auth=auth) as client:
        response = await client.post("https://x.example.com/v1/p a/?q=1&q=&r=é", json={"name": "中"})
    assert response.status_code == 200
    assert "accept-encoding" in parse_huawei_authorization(seen[0].headers["authorization"]).signed_headers


@settings(max_examples=300, deadline=None)
@given(st.text(st.sampled_from("aZ09-._~=&+%2 é"), max_size=40))
def test_query_fast_path_equals_decode_then_encode(raw_query: str) -> None:
    """The signer's shortcut for plain query strings must agree with the general decode/sort/encode path."""
    assert _canonical_query_raw(raw_query) == _canonical_query(_parse_query(raw_query))


def test_query_fast_path_sorts_pairs_not_strings() -> None:
    assert _canonical_query_raw("a=1&a-b=2&a") == "a=&a=1&a-b=2"


def test_repeated_header_values_are_joined(fixed_clock: Callable[[], datetime]) -> None:
    request = httpx.Request("GET", "https://x.example.com/", headers=[("X-Tag", "a"), ("x-tag", "b")])
    HuaweiAKSKAuth("AK", "SK", clock=fixed_clock).sign(request)
    parsed = parse_huawei_authorization(request.headers["Authorization"])
    assert parsed.signed_headers.count("x-tag") == 1
    _, _, headers, _ = huawei_request_parts(request)
    assert headers["x-tag"] == "a,b"
    assert huawei_signature_for_request(request, "SK", parsed.signed_headers) == parsed.signature
