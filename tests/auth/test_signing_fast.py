"""The fast signing paths equal the plain ones, byte for byte.

``TencentTC3Auth.sign`` builds its canonical request and writes its headers its own way (one pass over
httpx's header list, per-second and per-shape caches, an HMAC keyed once). These tests hold it to the plain
path on generated requests: the headers set one by one through httpx's public API, the signature computed
by :func:`tc3_signature_for_request` (the emulator's verifier, built from the documented pure functions).
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Callable
from datetime import datetime, timedelta, timezone
from typing import Any

import httpx
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from shared import signing_fast
from shared.auth import (
    HuaweiAKSKAuth,
    SignatureFormatError,
    TencentTC3Auth,
    huawei_signature_for_request,
    parse_huawei_authorization,
    tc3_signature_for_request,
)
from shared.signing_fast import HmacSha256, header_entries, header_triple, stamp_headers

FAST_SETTINGS = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
SECRET_ID, SECRET_KEY = "AKIDfastPATH", "fast/path+key"
START = datetime(2024, 3, 9, 23, 59, 58, tzinfo=timezone.utc)  # two seconds before a new UTC day

# Header names that collide with what the signer reads or writes, in several spellings, and others.
_NAMES = st.sampled_from(
    [
        "Content-Type",
        "content-type",
        "Host",
        "X-TC-Content-SHA256",
        "x-tc-region",
        "X-TC-Timestamp",
        "Authorization",
        "X-TC-Token",
        "X-TC-Action",
        "Accept",
        "x-a",
        "X-A",
    ]
)
# Raw values: spaces and tabs around, upper case, UTF-8, and \x1c (whitespace to str.strip, not bytes.strip).
_VALUE = st.one_of(
    st.sampled_from([b"UNSIGNED-PAYLOAD", b" UNSIGNED-PAYLOAD\t", b"unsigned-payload"]),
    st.sampled_from([b"Application/JSON", b" text/plain ", b"\x1cx\x1c", "é".encode(), b"h.example"]),
    st.binary(min_size=0, max_size=6).filter(lambda v: b"\r" not in v and b"\n" not in v),
)
_HEADERS = st.lists(st.tuples(_NAMES, _VALUE), max_size=6)
_BODY = st.one_of(st.just(b""), st.binary(max_size=40), st.just('{"名字": "api 1"}'.encode()))
_QUERY = st.lists(
    st.tuples(st.sampled_from(["Limit", "a b", "é"]), st.text("ab 1%é", max_size=4)), max_size=3
)


def _request(spec: dict[str, Any]) -> httpx.Request:
    return httpx.Request(
        spec["method"],
        f"https://{spec['host']}{spec['path']}",
        params=spec["query"],
        headers=spec["headers"],
        content=spec["body"],
    )


def _reference_sign(auth: TencentTC3Auth, request: httpx.Request, moment: datetime) -> None:
    """What the signer must do, through httpx's public API and the verifier's signature function."""
    timestamp = int(moment.timestamp())
    headers = request.headers
    headers["X-TC-Timestamp"] = str(timestamp)
    if auth.region:
        headers["X-TC-Region"] = auth.region
    if auth._token:
        headers["X-TC-Token"] = auth._token
    if "content-type" not in headers:
        headers["Content-Type"] = (
            "application/x-www-form-urlencoded" if request.method == "GET" else ("application/json")
        )
    signature = tc3_signature_for_request(request, SECRET_KEY, auth.service, auth.signed_headers, timestamp)
    date = moment.astimezone(timezone.utc).strftime("%Y-%m-%d")
    headers["Authorization"] = (
        f"TC3-HMAC-SHA256 Credential={auth.secret_id}/{date}/{auth.service}/tc3_request, "
        f"SignedHeaders={';'.join(auth.signed_headers)}, Signature={signature}"
    )


def _outcome(sign: Callable[[httpx.Request], None], request: httpx.Request) -> object:
    """The header list after signing, or the type of the error signing raised."""
    try:
        sign(request)
    except (SignatureFormatError, UnicodeError) as exc:
        return type(exc)
    return request.headers.raw


@st.composite
def tc3_specs(draw: st.DrawFn) -> dict[str, Any]:
    return {
        "method": draw(st.sampled_from(["GET", "POST", "PUT", "DELETE", "PATCH"])),
        "host": draw(st.sampled_from(["apigateway.tencentcloudapi.com", "H.example:8443"])),
        "path": draw(st.sampled_from(["/", "/v1/a b/é", "/x%2Fy/"])),
        "query": draw(_QUERY),
        "headers": draw(_HEADERS),
        "body": draw(_BODY),
    }


class _Clock:
    def __init__(self) -> None:
        self.now = START

    def __call__(self) -> datetime:
        return self.now


@FAST_SETTINGS
@given(
    specs=st.lists(tc3_specs(), min_size=1, max_size=4),
    steps=st.lists(st.sampled_from([0, 1, 86400]), min_size=4, max_size=4),
    token=st.sampled_from([None, "tok+1"]),
    region=st.sampled_from([None, "ap-guangzhou", "région"]),
    sent=st.booleans(),
)
def test_tc3_fast_path_equals_the_reference_path(
    specs: list[dict[str, Any]], steps: list[int], token: str | None, region: str | None, sent: bool
) -> None:
    """Same headers in the same order, same signature, same errors; one signer across seconds and days.

    ``sent``: the headers were copied first, as ``OpsfnAsyncClient.send`` does, which fixes their encoding
    to ASCII (a non-ASCII region then fails in both paths alike)."""
    clock = _Clock()
    auth = TencentTC3Auth(SECRET_ID, SECRET_KEY, "apigateway", token=token, clock=clock, region=region)
    for spec, step in zip(specs, steps, strict=False):
        clock.now += timedelta(seconds=step)
        ours, theirs = _request(spec), _request(spec)
        if sent:
            ours.headers.copy(), theirs.headers.copy()
        fast = _outcome(auth.sign, ours)
        assert fast == _outcome(lambda r: _reference_sign(auth, r, clock.now), theirs)


@FAST_SETTINGS
@given(spec=tc3_specs())
def test_tc3_fast_path_signs_stamped_headers_when_told_to(spec: dict[str, Any]) -> None:
    """A signer that also signs the headers it stamps reads them from its stamps, as the verifier would."""

    class StampSigning(TencentTC3Auth):
        signed_headers = ("content-type", "host", "x-tc-region", "x-tc-timestamp")

    auth = StampSigning(SECRET_ID, SECRET_KEY, "cvm", clock=lambda: START, region="shjr")
    fast = _outcome(auth.sign, _request(spec))
    assert fast == _outcome(lambda r: _reference_sign(auth, r, START), _request(spec))


@pytest.mark.parametrize(("secret_id", "service"), [("AKIDé", "cvm"), ("AKID", "cvmé"), ("AKID", "cvm")])
def test_tc3_non_ascii_credentials_fail_or_pass_as_the_public_api_does(secret_id: str, service: str) -> None:
    """On headers httpx has fixed to ASCII, a non-ASCII Authorization must fail as ``__setitem__`` fails."""
    auth = TencentTC3Auth(secret_id, SECRET_KEY, service, clock=lambda: START)
    ours = httpx.Request("POST", "https://h.example/", content=b"{}")
    theirs = httpx.Request("POST", "https://h.example/", content=b"{}")
    ours.headers.copy(), theirs.headers.copy()
    expected = _outcome(lambda r: _reference_sign(auth, r, START), theirs)
    assert _outcome(auth.sign, ours) == expected
    assert (expected is UnicodeEncodeError) == (not (secret_id + service).isascii())


def test_tc3_sign_without_host_is_refused_like_the_verifier() -> None:
    request = httpx.Request("POST", "https://h.example/", content=b"{}")
    del request.headers["Host"]
    with pytest.raises(SignatureFormatError, match="host"):
        TencentTC3Auth(SECRET_ID, SECRET_KEY, "cvm", clock=lambda: START).sign(request)


def test_tc3_reused_head_follows_every_change_of_shape() -> None:
    """Requests alternating method, path, query and signed header values: each signs as the verifier says."""
    auth = TencentTC3Auth(SECRET_ID, SECRET_KEY, "cvm", clock=lambda: START)
    shapes = [
        ("GET", "https://h.example/?n=1", {}),
        ("GET", "https://h.example/?n=2", {}),
        ("POST", "https://h.example/?n=2", {}),
        ("POST", "https://h.example/", {}),
        ("POST", "https://h.example/", {"Content-Type": "text/plain"}),
        ("POST", "https://other.example/", {"Content-Type": "text/plain"}),
        ("POST", "https://other.example/a", {"Content-Type": "text/plain"}),
    ]
    for method, url, headers in shapes * 2:
        request = httpx.Request(method, url, headers=headers, content=url.encode())
        auth.sign(request)
        signature = request.headers["Authorization"].rpartition("Signature=")[2]
        assert signature == tc3_signature_for_request(
            request, SECRET_KEY, "cvm", auth.signed_headers, START.timestamp()
        )


def test_tc3_without_the_header_list_layout_uses_the_public_api(monkeypatch: pytest.MonkeyPatch) -> None:
    """Should httpx store headers differently, the signer falls back and still signs the same."""
    auth = TencentTC3Auth(SECRET_ID, SECRET_KEY, "apigateway", clock=lambda: START, region="ap-guangzhou")
    spec = {"method": "POST", "host": "h.example", "path": "/", "query": [], "body": b"{}"}
    spec["headers"] = [("X-TC-Region", b"old"), ("x-tc-region", b"older"), ("Accept", b"*/*")]
    fast = _outcome(auth.sign, _request(spec))
    monkeypatch.setattr(signing_fast, "HEADER_LIST_LAYOUT_OK", False)
    assert _outcome(auth.sign, _request(spec)) == fast
    assert fast == _outcome(lambda r: _reference_sign(auth, r, START), _request(spec))


def test_the_installed_httpx_gets_the_fast_header_path() -> None:
    """The benchmark and the tests above exercise the list writes, not the fallback."""
    assert signing_fast.HEADER_LIST_LAYOUT_OK


_HUAWEI_NAMES = st.sampled_from(
    ["X-Sdk-Date", "x-sdk-date", "X-Project-Id", "X-Security-Token", "Host", "a_b", "X-A"]
)


@FAST_SETTINGS
@given(
    present=st.lists(st.tuples(_HUAWEI_NAMES, _VALUE), max_size=5),
    body=_BODY,
    token=st.sampled_from([None, "tok"]),
    project=st.sampled_from([None, "p1", "projét"]),
    sent=st.booleans(),
)
def test_huawei_header_writes_equal_the_public_api(
    present: list[tuple[str, bytes]], body: bytes, token: str | None, project: str | None, sent: bool
) -> None:
    """HuaweiAKSKAuth writes its headers in one pass; the result (or the error) is what httpx's own
    ``__setitem__`` gives, and the signature is the one the verifier computes."""
    outcomes = []
    for layout_ok in (True, False):
        request = httpx.Request("POST", "https://h.example/v1/x?b=1&a=2", headers=present, content=body)
        if sent:
            request.headers.copy()
        auth = HuaweiAKSKAuth(
            "AKFAST", "sk-fast", security_token=token, clock=lambda: START, project_id=project
        )
        with pytest.MonkeyPatch.context() as patch:
            patch.setattr(signing_fast, "HEADER_LIST_LAYOUT_OK", layout_ok)
            outcomes.append(_outcome(auth.sign, request))
        # A non-ASCII value under headers httpx decoded as Latin-1 goes out in other bytes than were signed
        # (the public API's doing, before and after this path): only ASCII values are held to the verifier.
        if isinstance(outcomes[-1], list) and (project or "").isascii():
            parsed = parse_huawei_authorization(request.headers["Authorization"])
            expected = huawei_signature_for_request(request, "sk-fast", parsed.signed_headers)
            assert parsed.signature == expected
    assert outcomes[0] == outcomes[1]


# ---------------------------------------------------------------------------------------------- helpers


@FAST_SETTINGS
@given(key=st.binary(max_size=150), prefix=st.binary(max_size=80), message=st.binary(max_size=200))
def test_hmac_sha256_equals_the_standard_library(key: bytes, prefix: bytes, message: bytes) -> None:
    mac = HmacSha256(key)
    assert mac.hexdigest(message) == hmac.new(key, message, hashlib.sha256).hexdigest()
    assert mac.after(prefix).hexdigest(message) == hmac.new(key, prefix + message, "sha256").hexdigest()
    assert repr(mac) == "HmacSha256(<keyed>)"


_STAMP_NAMES = st.sampled_from(["X-A", "x-a", "X-B", "Authorization", "new"])
_STAMP_VALUES = st.sampled_from(["1", "v v", "é", ""])


@FAST_SETTINGS
@given(
    present=st.lists(st.tuples(_STAMP_NAMES, st.sampled_from([b"1", b"old", b"x"])), max_size=6),
    stamps=st.lists(st.tuples(_STAMP_NAMES, _STAMP_VALUES), max_size=4),
    read_first=st.booleans(),
    use_index=st.booleans(),
)
def test_stamp_headers_equals_setting_them_one_by_one(
    present: list[tuple[str, bytes]], stamps: list[tuple[str, str]], read_first: bool, use_index: bool
) -> None:
    """Replacement in place, repeats removed, appends in order, and the same error for non-ASCII values
    once httpx has fixed the headers' encoding to ASCII (``read_first``)."""
    ours, theirs = httpx.Headers(present), httpx.Headers(present)
    if read_first:
        ours.get("x"), theirs.get("x")  # any read as text fixes the encoding
    index = header_entries(ours) if use_index else None
    expected: object
    try:
        for name, value in stamps:
            theirs[name] = value
        expected = theirs.raw
    except UnicodeError:
        expected = UnicodeError
    triples = [header_triple(name, value) for name, value in stamps]
    vouched = all(name.isascii() and value.isascii() for name, value in stamps)  # only when it is true
    try:
        stamp_headers(ours, triples, index, vouched)
        got: object = ours.raw
    except UnicodeError:
        got = UnicodeError
    assert got == expected
