"""Hostile input to ``shared.verify`` ends in ``WebhookVerificationError``, never another exception.

A verifier sits in front of every webhook function; anything it raises other than
:class:`WebhookVerificationError` escapes as a traceback and a 500 from our own code, and a forged request
must never be able to cause that. Each case below is an input that naive parsing turns into
``ValueError``/``TypeError``/``UnicodeEncodeError``/``InvalidURL``; the hypothesis pass throws arbitrary
header text at all three verifiers.
"""

from __future__ import annotations

from datetime import datetime, timezone
from typing import Any

import httpx
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from shared.auth import HuaweiAKSKAuth
from shared.verify import (
    WebhookVerificationError,
    verify_apig_backend_request,
    verify_apig_backend_signature,
    verify_github_signature,
    verify_standard_webhook,
)

NOW = datetime(2026, 11, 23, 10, 0, 0, tzinfo=timezone.utc)
SDK_DATE = NOW.strftime("%Y%m%dT%H%M%SZ")
SECRET = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
KEYS = [("sign-key", "sign-secret-value")]
AUTH = "SDK-HMAC-SHA256 Access=sign-key, SignedHeaders=host;x-sdk-date, Signature=ab"


def _clock() -> datetime:
    return NOW


def _webhook(headers: dict[str, str]) -> None:
    verify_standard_webhook(b"{}", headers, SECRET, clock=_clock)


def test_timestamp_with_thousands_of_digits_is_malformed_not_a_crash() -> None:
    """``int()`` refuses strings over 4300 digits with ValueError; the verifier must refuse first."""
    with pytest.raises(WebhookVerificationError, match="malformed"):
        _webhook({"webhook-id": "m1", "webhook-timestamp": "9" * 5000, "webhook-signature": "v1,AAAA"})


@pytest.mark.parametrize(
    ("path", "headers", "query"),
    [
        pytest.param("/x", {"x-u": "日本"}, None, id="non-latin header value"),
        pytest.param("/x", {}, {"a": None}, id="null query value from a JSON event"),
        pytest.param("x y%zz", {}, None, id="path without leading slash"),
        pytest.param("/x", {"host": "[zz"}, None, id="unparseable host"),
    ],
)
def test_apig_parts_that_cannot_form_a_request_are_refused(
    path: str, headers: dict[str, str], query: Any
) -> None:
    """Every part comes from a (possibly forged) FunctionGraph event; building the request must not crash."""
    sent = {"host": "backend.example.com", "authorization": AUTH, "x-sdk-date": SDK_DATE, **headers}
    with pytest.raises(WebhookVerificationError):
        verify_apig_backend_signature("GET", path, sent, b"", KEYS, query=query, clock=_clock)


@pytest.mark.parametrize(
    "authorization",
    ["SDK-HMAC-SHA256 Access=ké, SignedHeaders=host;x-sdk-date, Signature=ab", "SDK-HMAC-SHA256 ====,,,"],
)
def test_apig_odd_authorization_is_refused(authorization: str) -> None:
    sent = {"host": "h", "authorization": authorization, "x-sdk-date": SDK_DATE}
    with pytest.raises(WebhookVerificationError):
        verify_apig_backend_signature("GET", "/x", sent, b"", KEYS, clock=_clock)


def test_apig_non_ascii_date_is_refused() -> None:
    sent = {"host": "h", "authorization": AUTH, "x-sdk-date": "２０２６1123T000000Z"}
    with pytest.raises(WebhookVerificationError, match="malformed"):
        verify_apig_backend_signature("GET", "/x", sent, b"", KEYS, clock=_clock)


def test_a_path_without_slash_still_verifies_when_genuinely_signed() -> None:
    """A missing ``/`` is prefixed rather than refused: the gateway signs ``/hook``; an event path ``hook`` is
    the same resource, so a genuine signature must still pass (and a wrong one still fails above)."""
    request = httpx.Request("POST", "https://backend.example.com/hook", content=b'{"a":1}')
    signed = next(HuaweiAKSKAuth("sign-key", "sign-secret-value", clock=_clock).auth_flow(request))
    headers = dict(signed.headers)
    found = verify_apig_backend_signature("POST", "hook", headers, b'{"a":1}', KEYS, clock=_clock)
    assert found == "sign-key"


header_text = st.text(st.characters(blacklist_categories=["Cs"]), max_size=200)


@settings(max_examples=150, deadline=None)
@given(webhook_id=header_text, stamp=header_text, signature=header_text)
def test_standard_webhooks_any_header_text(webhook_id: str, stamp: str, signature: str) -> None:
    headers = {"webhook-id": webhook_id, "webhook-timestamp": stamp, "webhook-signature": signature}
    with pytest.raises(WebhookVerificationError):
        _webhook(headers)


@settings(max_examples=150, deadline=None)
@given(value=header_text, delivery=header_text)
def test_github_any_header_text(value: str, delivery: str) -> None:
    headers = {"x-hub-signature-256": value, "x-github-delivery": delivery}
    with pytest.raises(WebhookVerificationError):
        verify_github_signature(b"{}", headers, "gh-secret")


@settings(max_examples=150, deadline=None)
@given(
    method=st.sampled_from(["GET", "POST", "G ET", ""]),
    path=header_text,
    host=header_text,
    authorization=header_text,
    date=st.one_of(st.just(SDK_DATE), header_text),
    query=st.dictionaries(header_text, st.one_of(header_text, st.none(), st.lists(header_text)), max_size=3),
)
def test_apig_parts_any_text(
    method: str, path: str, host: str, authorization: str, date: str, query: dict[str, Any]
) -> None:
    headers = {"host": host, "authorization": authorization, "x-sdk-date": date}
    with pytest.raises(WebhookVerificationError):
        verify_apig_backend_signature(method, path, headers, b"", KEYS, query=query, clock=_clock)


def test_request_form_with_raw_non_utf8_header_bytes() -> None:
    """An ``httpx.Request`` built by a server from raw bytes may carry any latin-1 byte in a header."""
    request = httpx.Request(
        "GET",
        "https://h/x",
        headers=[
            (b"authorization", AUTH.encode()),
            (b"x-sdk-date", SDK_DATE.encode()),
            (b"x-odd", b"\xff\xfe\x00"),
        ],
    )
    with pytest.raises(WebhookVerificationError):
        verify_apig_backend_request(request, KEYS, clock=_clock)
