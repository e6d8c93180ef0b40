"""Inbound request verification: webhook signatures, APIG backend signatures, replay protection.

Three schemes reach opsfn's functions:

* **Standard Webhooks** (``webhook-id``/``webhook-timestamp``/``webhook-signature``): HMAC-SHA256 over
  ``id.timestamp.body``, ``whsec_`` secrets, several signatures at once during secret rotation.
* **GitHub** (``X-Hub-Signature-256: sha256=<hex>``): HMAC-SHA256 of the raw body; no timestamp is signed,
  so replay protection rests on the delivery GUID alone.
* **Shared tokens** (GitLab ``X-Gitlab-Token``, CodeArts Repo ``X-Devcloud-Token``): the configured secret
  itself travels in a header and is compared in constant time; nothing is signed, so such a sender must be
  reached over HTTPS and the receiver must be idempotent (a replay changes nothing).
* **Huawei APIG backend signatures**: with a ``hmac`` signature key bound to an API, the gateway signs the
  request it forwards with ``SDK-HMAC-SHA256`` using the key's ``sign_key``/``sign_secret`` as AK/SK. The
  check reuses :mod:`shared.auth`'s canonicalisation, so signer, emulator and verifier cannot diverge.

Every check works on the raw body bytes (re-serialised JSON would not match), compares in constant time,
and fails with :class:`WebhookVerificationError` whose reason never contains secret material. A signature is
checked *before* the replay guard records the delivery, so forged requests cannot fill or poison the guard.

Replays and redeliveries are different things. The Standard Webhooks specification makes ``webhook-id`` the
sender's *idempotency key*: a sender that lost our answer re-sends the same id with a fresh timestamp and
signature, and must get the first answer, not a refusal. Replay protection for that scheme is the signature
plus the timestamp tolerance. The verifiers therefore return the delivery id, and the function runtime
(:mod:`shared.runtime.http`) answers a repeated id from the stored first answer - so it passes no
``guard``. A ``guard`` makes a delivery id one-shot (a repeat is refused as a replay); it suits consumers
that keep no answers, and the APIG backend check, where the id is the request's own signature.
"""

from __future__ import annotations

import base64
import binascii
import hmac
import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Mapping, Sequence
from datetime import datetime, timezone
from typing import NamedTuple, Protocol

import httpx

from shared.auth import (
    SignatureFormatError,
    huawei_signature_for_request,
    parse_huawei_authorization,
)
from shared.signing_huawei import utc_now

__all__ = [
    "APIG_MAX_SKEW_SECONDS",
    "DEFAULT_MAX_BODY_BYTES",
    "STANDARD_WEBHOOK_TOLERANCE_SECONDS",
    "CiPush",
    "MemoryReplayGuard",
    "ReplayGuard",
    "WebhookVerificationError",
    "sign_standard_webhook",
    "verify_apig_backend_request",
    "verify_apig_backend_signature",
    "verify_ci_push",
    "verify_github_signature",
    "verify_shared_token",
    "verify_standard_webhook",
]

STANDARD_WEBHOOK_TOLERANCE_SECONDS = 300.0
APIG_MAX_SKEW_SECONDS = 900.0
GITHUB_REPLAY_TTL_SECONDS = 3 * 24 * 3600.0
# FunctionGraph's APIG trigger caps the request at 6 MB; anything larger is not a webhook we expect.
DEFAULT_MAX_BODY_BYTES = 6 * 1024 * 1024

Clock = Callable[[], datetime]


class WebhookVerificationError(Exception):
    """The request is not authentic, not fresh, or already seen. ``reason`` is safe to log and return."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


class ReplayGuard(Protocol):
    """Remembers delivery ids; production uses the idempotency store (Redis ``SET NX EX``)."""

    def check_and_remember(self, delivery_id: str, ttl_seconds: float) -> bool:
        """Atomically record ``delivery_id`` for ``ttl_seconds``; True when it was not seen before."""
        ...


class MemoryReplayGuard:
    """Process-local, bounded, expiring replay guard (tests, single-instance functions).

    When ``max_entries`` is reached the oldest entry is dropped even if it has not expired; size it above the
    number of deliveries expected within one tolerance window.
    """

    def __init__(self, max_entries: int = 100_000, clock: Callable[[], float] = time.monotonic) -> None:
        if max_entries < 1:
            raise ValueError("max_entries must be positive")
        self._max = max_entries
        self._clock = clock
        self._seen: OrderedDict[str, float] = OrderedDict()
        self._lock = threading.Lock()

    def __len__(self) -> int:
        return len(self._seen)

    def check_and_remember(self, delivery_id: str, ttl_seconds: float) -> bool:
        now = self._clock()
        with self._lock:
            while self._seen:
                oldest, expires = next(iter(self._seen.items()))
                if expires > now:
                    break
                del self._seen[oldest]
            previous = self._seen.get(delivery_id)
            if previous is not None and previous > now:
                return False
            self._seen.pop(delivery_id, None)
            self._seen[delivery_id] = now + ttl_seconds
            while len(self._seen) > self._max:
                self._seen.popitem(last=False)
            return True


def _lower_headers(headers: Mapping[str, str]) -> dict[str, str]:
    return {name.lower(): value for name, value in headers.items()}


def _check_size(body: bytes, max_body_bytes: int) -> None:
    if len(body) > max_body_bytes:
        raise WebhookVerificationError("request body exceeds the size limit")


def _remember(guard: ReplayGuard | None, delivery_id: str, ttl_seconds: float) -> None:
    if guard is not None and not guard.check_and_remember(delivery_id, ttl_seconds):
        raise WebhookVerificationError("delivery already processed (replay)")


# ------------------------------------------------------------------------------------- Standard Webhooks


def _webhook_key(secret: str | bytes) -> bytes:
    if isinstance(secret, bytes):
        return secret
    encoded = secret.removeprefix("whsec_")
    try:
        return base64.b64decode(encoded, validate=True)
    except (binascii.Error, ValueError):
        raise ValueError("a Standard Webhooks secret must be 'whsec_' + base64") from None


def _webhook_signature(key: bytes, msg_id: str, timestamp: str, body: bytes) -> bytes:
    return hmac.digest(key, f"{msg_id}.{timestamp}.".encode() + body, "sha256")


def sign_standard_webhook(
    secret: str | bytes, msg_id: str, timestamp: int | datetime, body: bytes
) -> dict[str, str]:
    """The three Standard Webhooks headers for ``body`` (used by ``opsfn invoke`` and tests)."""
    if "." in msg_id:
        raise ValueError("a webhook id must not contain '.'")
    ts = str(int(timestamp.timestamp()) if isinstance(timestamp, datetime) else int(timestamp))
    signature = base64.b64encode(_webhook_signature(_webhook_key(secret), msg_id, ts, body)).decode()
    return {"webhook-id": msg_id, "webhook-timestamp": ts, "webhook-signature": f"v1,{signature}"}


def _v1_signatures(header: str) -> list[bytes]:
    """The ``v1`` signatures of a ``webhook-signature`` header (space-separated ``version,base64``)."""
    candidates: list[bytes] = []
    for entry in header.split():
        version, sep, value = entry.partition(",")
        if not sep:
            raise WebhookVerificationError("malformed webhook-signature header")
        if version != "v1":
            continue  # v1a (asymmetric) and future versions are not configured here
        try:
            candidates.append(base64.b64decode(value, validate=True))
        except (binascii.Error, ValueError):
            raise WebhookVerificationError("malformed webhook-signature header") from None
    if not candidates:
        raise WebhookVerificationError("no v1 signature in webhook-signature header")
    return candidates


def verify_standard_webhook(
    body: bytes,
    headers: Mapping[str, str],
    secrets: str | bytes | Sequence[str | bytes],
    *,
    tolerance_seconds: float = STANDARD_WEBHOOK_TOLERANCE_SECONDS,
    clock: Clock | None = None,
    guard: ReplayGuard | None = None,
    max_body_bytes: int = DEFAULT_MAX_BODY_BYTES,
) -> str:
    """Verify a Standard Webhooks delivery and return its ``webhook-id``.

    ``secrets`` may hold several secrets (old and new during rotation); any ``v1`` signature in the header
    matching any secret passes. The timestamp must be within ``tolerance_seconds`` of now in either
    direction; with a ``guard`` the id is remembered for twice the tolerance, which outlives the window in
    which the same timestamp could be accepted again.
    """
    keys = [_webhook_key(s) for s in ([secrets] if isinstance(secrets, (str, bytes)) else secrets)]
    if not keys:
        raise ValueError("at least one webhook secret is required")
    lowered = _lower_headers(headers)
    msg_id = lowered.get("webhook-id", "")
    raw_ts = lowered.get("webhook-timestamp", "")
    raw_sigs = lowered.get("webhook-signature", "")
    if not msg_id or not raw_ts or not raw_sigs:
        raise WebhookVerificationError("missing webhook-id, webhook-timestamp or webhook-signature header")
    stamp = raw_ts.strip()
    # Ten digits cover every timestamp until the year 2286; a longer one is hostile and would make ``int()``
    # refuse (Python caps integer strings at 4300 digits) with a ValueError instead of this clear reason.
    if "." in msg_id or not (stamp.isascii() and stamp.isdigit() and len(stamp) <= 12):
        raise WebhookVerificationError("malformed webhook-id or webhook-timestamp header")
    _check_size(body, max_body_bytes)
    now = (clock or utc_now)().timestamp()
    sent = int(stamp)
    if sent < now - tolerance_seconds:
        raise WebhookVerificationError("webhook timestamp is too old")
    if sent > now + tolerance_seconds:
        raise WebhookVerificationError("webhook timestamp is too far in the future")
    candidates = _v1_signatures(raw_sigs)
    expected = [_webhook_signature(key, msg_id, stamp, body) for key in keys]
    # Check every pair (no early exit) so timing does not reveal which secret or position matched.
    matched = False
    for want in expected:
        for got in candidates:
            matched |= hmac.compare_digest(want, got)
    if not matched:
        raise WebhookVerificationError("webhook signature does not match")
    _remember(guard, f"standard-webhooks:{msg_id}", 2 * tolerance_seconds)
    return msg_id


# ------------------------------------------------------------------------------------------------ GitHub


def verify_github_signature(
    body: bytes,
    headers: Mapping[str, str],
    secrets: str | Sequence[str],
    *,
    guard: ReplayGuard | None = None,
    replay_ttl_seconds: float = GITHUB_REPLAY_TTL_SECONDS,
    max_body_bytes: int = DEFAULT_MAX_BODY_BYTES,
) -> str:
    """Verify ``X-Hub-Signature-256`` and return the ``X-GitHub-Delivery`` id (``""`` when absent).

    With a ``guard`` the delivery GUID is required and remembered for ``replay_ttl_seconds``: GitHub signs no
    timestamp, so the GUID is the only replay defence.
    """
    keys = [s.encode() for s in ([secrets] if isinstance(secrets, str) else secrets)]
    if not keys or not all(keys):
        raise ValueError("at least one non-empty GitHub webhook secret is required")
    lowered = _lower_headers(headers)
    header = lowered.get("x-hub-signature-256", "").strip()
    if not header:
        raise WebhookVerificationError("missing X-Hub-Signature-256 header")
    prefix, sep, hex_sig = header.partition("=")
    if prefix != "sha256" or not sep:
        raise WebhookVerificationError("malformed X-Hub-Signature-256 header")
    try:
        got = bytes.fromhex(hex_sig)
    except ValueError:
        raise WebhookVerificationError("malformed X-Hub-Signature-256 header") from None
    _check_size(body, max_body_bytes)
    delivery = lowered.get("x-github-delivery", "").strip()
    if guard is not None and not delivery:
        raise WebhookVerificationError("missing X-GitHub-Delivery header")
    matched = False
    for key in keys:
        matched |= hmac.compare_digest(hmac.digest(key, body, "sha256"), got)
    if not matched:
        raise WebhookVerificationError("GitHub signature does not match")
    if delivery:
        _remember(guard, f"github:{delivery}", replay_ttl_seconds)
    return delivery


# --------------------------------------------------------------------------- shared tokens, CI senders

TOKEN_HEADERS = {"x-gitlab-token": "gitlab", "x-devcloud-token": "codearts"}
"""Headers carrying a webhook's shared secret, by sender: GitLab, and CodeArts Repo (formerly CodeHub, whose
user guide names ``X-Devcloud-Token``)."""


def verify_shared_token(
    headers: Mapping[str, str],
    header: str,
    secrets: str | Sequence[str],
    *,
    body: bytes = b"",
    max_body_bytes: int = DEFAULT_MAX_BODY_BYTES,
) -> None:
    """Check that ``header`` holds one of ``secrets``, comparing every secret in constant time."""
    keys = [s.encode() for s in ([secrets] if isinstance(secrets, str) else secrets)]
    if not keys or not all(keys):
        raise ValueError("at least one non-empty webhook token is required")
    _check_size(body, max_body_bytes)
    got = _lower_headers(headers).get(header.lower(), "").strip().encode()
    if not got:
        raise WebhookVerificationError(f"missing {header} header")
    matched = False
    for key in keys:
        matched |= hmac.compare_digest(key, got)
    if not matched:
        raise WebhookVerificationError(f"{header} does not match")


class CiPush(NamedTuple):
    """Who sent a verified CI push, and its delivery id (GitHub's GUID; ``""`` for token senders)."""

    sender: str
    delivery: str


def verify_ci_push(
    body: bytes,
    headers: Mapping[str, str],
    secrets: str | Sequence[str],
    *,
    guard: ReplayGuard | None = None,
    max_body_bytes: int = DEFAULT_MAX_BODY_BYTES,
) -> CiPush:
    """Verify a CI push webhook by its sender's scheme.

    GitHub (``X-Hub-Signature-256``, HMAC of the body; its delivery GUID remembered by ``guard`` when one is
    given), GitLab (``X-Gitlab-Token``) or CodeArts Repo (``X-Devcloud-Token``). A request carrying none of
    them is refused; the scheme is picked by the header present, and a forged value in it is never rescued
    by another header. Token senders sign nothing, so they carry no delivery id.
    """
    lowered = _lower_headers(headers)
    if "x-hub-signature-256" in lowered:
        delivery = verify_github_signature(body, lowered, secrets, guard=guard, max_body_bytes=max_body_bytes)
        return CiPush("github", delivery)
    for header, sender in TOKEN_HEADERS.items():
        if header in lowered:
            verify_shared_token(lowered, header, secrets, body=body, max_body_bytes=max_body_bytes)
            return CiPush(sender, "")
    raise WebhookVerificationError("missing X-Hub-Signature-256, X-Gitlab-Token or X-Devcloud-Token header")


# ------------------------------------------------------------------------- Huawei APIG backend signature


def verify_apig_backend_request(
    request: httpx.Request,
    keys: Sequence[tuple[str, str]],
    *,
    clock: Clock | None = None,
    max_skew_seconds: float = APIG_MAX_SKEW_SECONDS,
    guard: ReplayGuard | None = None,
    max_body_bytes: int = DEFAULT_MAX_BODY_BYTES,
) -> str:
    """Verify the ``SDK-HMAC-SHA256`` signature APIG put on a forwarded request; return the ``sign_key``.

    ``keys`` are ``(sign_key, sign_secret)`` pairs; list the current and the pending pair during rotation
    (a modify may change the key as well as the secret). ``X-Sdk-Date`` must be signed and within
    ``max_skew_seconds``; with a ``guard`` the signature itself is the delivery id (unique per request).
    """
    if not keys:
        raise ValueError("at least one (sign_key, sign_secret) pair is required")
    authorization = request.headers.get("authorization", "")
    if not authorization:
        raise WebhookVerificationError("missing Authorization header")
    try:
        parsed = parse_huawei_authorization(authorization)
    except SignatureFormatError:
        raise WebhookVerificationError("malformed Authorization header") from None
    if "x-sdk-date" not in parsed.signed_headers:
        raise WebhookVerificationError("X-Sdk-Date is not signed")
    raw_date = request.headers.get("x-sdk-date", "").strip()
    try:
        signed_at = datetime.strptime(raw_date, "%Y%m%dT%H%M%SZ").replace(tzinfo=timezone.utc)
    except ValueError:
        raise WebhookVerificationError("missing or malformed X-Sdk-Date header") from None
    skew = abs(((clock or utc_now)() - signed_at).total_seconds())
    if skew > max_skew_seconds:
        raise WebhookVerificationError("X-Sdk-Date is outside the allowed clock skew")
    _check_size(_body(request), max_body_bytes)
    secrets = [secret for key, secret in keys if hmac.compare_digest(key.encode(), parsed.access.encode())]
    if not secrets:
        raise WebhookVerificationError("unknown signature key")
    matched = False
    for secret in secrets:
        try:
            expected = huawei_signature_for_request(request, secret, parsed.signed_headers)
        except SignatureFormatError:
            raise WebhookVerificationError("a signed header is missing from the request") from None
        matched |= hmac.compare_digest(expected.encode(), parsed.signature.encode())
    if not matched:
        raise WebhookVerificationError("APIG backend signature does not match")
    _remember(guard, f"apig:{parsed.signature}", 2 * max_skew_seconds)
    return parsed.access


def _body(request: httpx.Request) -> bytes:
    try:
        return request.content
    except httpx.RequestNotRead:
        return request.read()


def verify_apig_backend_signature(
    method: str,
    path: str,
    headers: Mapping[str, str],
    body: bytes,
    keys: Sequence[tuple[str, str]],
    *,
    query: Sequence[tuple[str, str]] | Mapping[str, str | Sequence[str]] | None = None,
    clock: Clock | None = None,
    max_skew_seconds: float = APIG_MAX_SKEW_SECONDS,
    guard: ReplayGuard | None = None,
    max_body_bytes: int = DEFAULT_MAX_BODY_BYTES,
) -> str:
    """:func:`verify_apig_backend_request` for a request given as parts (e.g. a FunctionGraph APIG event).

    ``path`` is the backend path (without query), ``query`` the decoded parameters, ``headers`` must contain
    ``Host`` and the other signed headers as received.
    """
    _check_size(body, max_body_bytes)
    lowered = _lower_headers(headers)
    host = lowered.get("host")
    if not host:
        raise WebhookVerificationError("missing Host header")
    pairs: list[tuple[str, str | int | float | bool | None]] = []
    try:
        if isinstance(query, Mapping):
            for name, value in query.items():
                values = [value] if isinstance(value, str) else list(value)
                pairs.extend((name, v) for v in values)
        elif query:
            pairs = list(query)
        url = httpx.URL(f"http://{host}").copy_with(path=path if path.startswith("/") else f"/{path}")
        request = httpx.Request(
            method, url, params=pairs or None, headers=list(headers.items()), content=body
        )
    except (httpx.InvalidURL, UnicodeEncodeError, TypeError, ValueError):
        # Caller-supplied parts come straight from an event: a host, header or query value that cannot form
        # an HTTP request was never signed by the gateway, so it is a refusal, not a crash.
        raise WebhookVerificationError("malformed request line, Host or header value") from None
    return verify_apig_backend_request(
        request,
        keys,
        clock=clock,
        max_skew_seconds=max_skew_seconds,
        guard=guard,
        max_body_bytes=max_body_bytes,
    )
