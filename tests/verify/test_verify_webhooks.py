"""Standard Webhooks and GitHub signature verification, replay protection and the memory replay guard."""

from __future__ import annotations

import base64
import hashlib
import hmac
from collections.abc import Callable
from datetime import datetime, timedelta, timezone

import pytest

from shared.verify import (
    DEFAULT_MAX_BODY_BYTES,
    MemoryReplayGuard,
    ReplayGuard,
    WebhookVerificationError,
    sign_standard_webhook,
    verify_github_signature,
    verify_standard_webhook,
)

NOW = datetime(2024, 5, 1, 12, 0, 0, tzinfo=timezone.utc)
SECRET = "whsec_" + base64.b64encode(b"0123456789abcdef0123456789abcdef").decode()
OLD_SECRET = "whsec_" + base64.b64encode(b"fedcba9876543210fedcba9876543210").decode()
BODY = b'{"type":"license.requested","data":{"user":"u1"}}'
TS = int(NOW.timestamp())


@pytest.fixture
def now() -> Callable[[], datetime]:
    return lambda: NOW


def _headers(secret: str = SECRET, msg_id: str = "msg_1", ts: int = TS, body: bytes = BODY) -> dict[str, str]:
    return sign_standard_webhook(secret, msg_id, ts, body)


# ------------------------------------------------------------------------------------- Standard Webhooks


def test_signature_matches_the_spec_construction() -> None:
    """Signed content is ``id.timestamp.body``, keyed by the base64-decoded ``whsec_`` secret (spec)."""
    key = base64.b64decode(SECRET.removeprefix("whsec_"))
    want = base64.b64encode(hmac.digest(key, f"msg_1.{TS}.".encode() + BODY, "sha256")).decode()
    assert _headers() == {
        "webhook-id": "msg_1",
        "webhook-timestamp": str(TS),
        "webhook-signature": f"v1,{want}",
    }
    assert sign_standard_webhook(SECRET, "msg_1", NOW, BODY) == _headers()


def test_valid_delivery(now: Callable[[], datetime]) -> None:
    assert verify_standard_webhook(BODY, _headers(), SECRET, clock=now) == "msg_1"


def test_header_names_are_case_insensitive(now: Callable[[], datetime]) -> None:
    headers = {k.title(): v for k, v in _headers().items()}
    assert verify_standard_webhook(BODY, headers, [SECRET], clock=now) == "msg_1"


@pytest.mark.parametrize(
    "tamper",
    [
        lambda h, b: (h, b + b" "),  # body changed (even whitespace: the raw bytes are signed)
        lambda h, b: ({**h, "webhook-id": "msg_2"}, b),
        lambda h, b: ({**h, "webhook-timestamp": str(TS + 1)}, b),
        lambda h, b: ({**h, "webhook-signature": "v1," + base64.b64encode(b"x" * 32).decode()}, b),
    ],
)
def test_forged_deliveries_are_rejected(now: Callable[[], datetime], tamper: Callable) -> None:  # type: ignore[type-arg]
    headers, body = tamper(_headers(), BODY)
    with pytest.raises(WebhookVerificationError, match="does not match"):
        verify_standard_webhook(body, headers, SECRET, clock=now)


def test_wrong_secret_is_rejected(now: Callable[[], datetime]) -> None:
    with pytest.raises(WebhookVerificationError, match="does not match") as caught:
        verify_standard_webhook(BODY, _headers(OLD_SECRET), SECRET, clock=now)
    assert SECRET not in str(caught.value) and OLD_SECRET not in str(caught.value)


@pytest.mark.parametrize(("offset", "reason"), [(-301, "too old"), (301, "future")])
def test_stale_and_future_timestamps(now: Callable[[], datetime], offset: int, reason: str) -> None:
    headers = _headers(ts=TS + offset)
    with pytest.raises(WebhookVerificationError, match=reason):
        verify_standard_webhook(BODY, headers, SECRET, clock=now)


@pytest.mark.parametrize("offset", [-300, 300])
def test_tolerance_edges_are_accepted(now: Callable[[], datetime], offset: int) -> None:
    assert verify_standard_webhook(BODY, _headers(ts=TS + offset), SECRET, clock=now) == "msg_1"


def test_replayed_delivery_is_rejected(now: Callable[[], datetime], guard: MemoryReplayGuard) -> None:
    headers = _headers()
    verify_standard_webhook(BODY, headers, SECRET, clock=now, guard=guard)
    with pytest.raises(WebhookVerificationError, match="replay"):
        verify_standard_webhook(BODY, headers, SECRET, clock=now, guard=guard)


def test_forged_delivery_does_not_burn_the_id(now: Callable[[], datetime], guard: MemoryReplayGuard) -> None:
    """The guard records an id only after the signature checks out, so a forger cannot pre-empt it."""
    forged = {**_headers(), "webhook-signature": "v1," + base64.b64encode(b"y" * 32).decode()}
    with pytest.raises(WebhookVerificationError, match="does not match"):
        verify_standard_webhook(BODY, forged, SECRET, clock=now, guard=guard)
    assert verify_standard_webhook(BODY, _headers(), SECRET, clock=now, guard=guard) == "msg_1"


def test_rotation_several_secrets_and_several_signatures(now: Callable[[], datetime]) -> None:
    old_sig = _headers(OLD_SECRET)["webhook-signature"]
    new_sig = _headers(SECRET)["webhook-signature"]
    # Sender signs with both keys during rotation (space-separated), receiver knows only the new one.
    both = {**_headers(), "webhook-signature": f"{old_sig} {new_sig}"}
    assert verify_standard_webhook(BODY, both, SECRET, clock=now) == "msg_1"
    # Receiver accepts both keys, sender still on the old one.
    assert verify_standard_webhook(BODY, _headers(OLD_SECRET), [SECRET, OLD_SECRET], clock=now) == "msg_1"
    # Unknown versions (v1a, asymmetric) are skipped, not fatal.
    mixed = {**_headers(), "webhook-signature": f"v1a,AAAA {new_sig}"}
    assert verify_standard_webhook(BODY, mixed, SECRET, clock=now) == "msg_1"


@pytest.mark.parametrize(
    ("change", "reason"),
    [
        ({"webhook-signature": None}, "missing"),
        ({"webhook-id": None}, "missing"),
        ({"webhook-timestamp": None}, "missing"),
        ({"webhook-timestamp": "12.5"}, "malformed"),
        ({"webhook-timestamp": "yesterday"}, "malformed"),
        ({"webhook-timestamp": "\u0661\u0667\u0661\u0664"}, "malformed"),  # Arabic-Indic digits
        ({"webhook-id": "msg.1"}, "malformed"),
        ({"webhook-signature": "garbage"}, "malformed"),
        ({"webhook-signature": "v1,not*base64"}, "malformed"),
        ({"webhook-signature": "v2,AAAA"}, "no v1 signature"),
    ],
)
def test_malformed_headers(now: Callable[[], datetime], change: dict[str, str | None], reason: str) -> None:
    headers: dict[str, str] = dict(_headers())
    for name, value in change.items():
        if value is None:
            headers.pop(name)
        else:
            headers[name] = value
    with pytest.raises(WebhookVerificationError, match=reason):
        verify_standard_webhook(BODY, headers, SECRET, clock=now)


def test_huge_body_is_rejected_before_hashing(now: Callable[[], datetime]) -> None:
    body = b"x" * (DEFAULT_MAX_BODY_BYTES + 1)
    with pytest.raises(WebhookVerificationError, match="size limit"):
        verify_standard_webhook(body, _headers(body=body), SECRET, clock=now)
    small = b"y" * 2048
    with pytest.raises(WebhookVerificationError, match="size limit"):
        verify_standard_webhook(small, _headers(body=small), SECRET, clock=now, max_body_bytes=1024)


def test_bad_secret_configuration() -> None:
    with pytest.raises(ValueError, match="whsec_"):
        verify_standard_webhook(BODY, _headers(), "whsec_***not-base64***")
    with pytest.raises(ValueError, match="at least one"):
        verify_standard_webhook(BODY, _headers(), [])
    with pytest.raises(ValueError, match=r"'\.'"):
        sign_standard_webhook(SECRET, "a.b", TS, BODY)


def test_raw_byte_secret_is_accepted(now: Callable[[], datetime]) -> None:
    raw = b"raw-key-material-0123456789"
    assert verify_standard_webhook(BODY, sign_standard_webhook(raw, "m", TS, BODY), raw, clock=now) == "m"


# ------------------------------------------------------------------------------------------------ GitHub

GH_SECRET = "It's a Secret to Everybody"
GH_BODY = b"Hello, World!"


def test_github_documented_example() -> None:
    """GitHub's docs: secret "It's a Secret to Everybody", payload "Hello, World!" gives this signature."""
    expected = "757107ea0eb2509fc211221cce984b8a37570b6d7586c22c46f4379c8b043e17"
    assert hmac.new(GH_SECRET.encode(), GH_BODY, hashlib.sha256).hexdigest() == expected
    headers = {"X-Hub-Signature-256": f"sha256={expected}", "X-GitHub-Delivery": "d-1"}
    assert verify_github_signature(GH_BODY, headers, GH_SECRET) == "d-1"


def _gh(body: bytes = GH_BODY, secret: str = GH_SECRET, delivery: str | None = "d-1") -> dict[str, str]:
    headers = {"X-Hub-Signature-256": "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()}
    if delivery:
        headers["X-GitHub-Delivery"] = delivery
    return headers


def test_github_forged_and_rotated() -> None:
    with pytest.raises(WebhookVerificationError, match="does not match"):
        verify_github_signature(GH_BODY + b"!", _gh(), GH_SECRET)
    with pytest.raises(WebhookVerificationError, match="does not match"):
        verify_github_signature(GH_BODY, _gh(secret="other"), GH_SECRET)
    assert verify_github_signature(GH_BODY, _gh(secret="old"), [GH_SECRET, "old"]) == "d-1"


@pytest.mark.parametrize(
    "value",
    ["", "sha1=abc", "sha256", "sha256=zz", "sha256:" + "0" * 64],
)
def test_github_malformed(value: str) -> None:
    headers = {"X-Hub-Signature-256": value} if value else {}
    with pytest.raises(WebhookVerificationError):
        verify_github_signature(GH_BODY, headers, GH_SECRET)


def test_github_replay_needs_and_remembers_the_delivery(guard: MemoryReplayGuard) -> None:
    assert verify_github_signature(GH_BODY, _gh(), GH_SECRET, guard=guard) == "d-1"
    with pytest.raises(WebhookVerificationError, match="replay"):
        verify_github_signature(GH_BODY, _gh(), GH_SECRET, guard=guard)
    with pytest.raises(WebhookVerificationError, match="X-GitHub-Delivery"):
        verify_github_signature(GH_BODY, _gh(delivery=None), GH_SECRET, guard=guard)


def test_github_huge_body() -> None:
    body = b"z" * 101
    with pytest.raises(WebhookVerificationError, match="size limit"):
        verify_github_signature(body, _gh(body), GH_SECRET, max_body_bytes=100)


def test_github_empty_secret_rejected() -> None:
    with pytest.raises(ValueError, match="non-empty"):
        verify_github_signature(GH_BODY, _gh(), "")


# ------------------------------------------------------------------------------------------- replay guard


class FakeMonotonic:
    def __init__(self) -> None:
        self.value = 1000.0

    def __call__(self) -> float:
        return self.value


def test_memory_guard_expires_entries() -> None:
    clock = FakeMonotonic()
    guard = MemoryReplayGuard(clock=clock)
    assert guard.check_and_remember("a", 10)
    assert not guard.check_and_remember("a", 10)
    clock.value += 10.001
    assert guard.check_and_remember("a", 10)
    assert len(guard) == 1


def test_memory_guard_is_bounded() -> None:
    guard = MemoryReplayGuard(max_entries=3, clock=FakeMonotonic())
    for name in "abcd":
        assert guard.check_and_remember(name, 60)
    assert len(guard) == 3
    assert guard.check_and_remember("a", 60)  # evicted oldest, so accepted again (documented trade-off)
    assert not guard.check_and_remember("d", 60)


def test_memory_guard_satisfies_the_protocol() -> None:
    guard: ReplayGuard = MemoryReplayGuard()
    assert guard.check_and_remember("x", 1)
    with pytest.raises(ValueError, match="positive"):
        MemoryReplayGuard(max_entries=0)


def test_stale_timestamp_reported_before_replay(
    now: Callable[[], datetime], guard: MemoryReplayGuard
) -> None:
    """A delivery replayed after the window fails on its timestamp; the guard's ttl (2 x tolerance) covers
    the whole window in which the timestamp alone would still pass."""
    headers = _headers()
    verify_standard_webhook(BODY, headers, SECRET, clock=now, guard=guard)
    later = NOW + timedelta(seconds=301)
    with pytest.raises(WebhookVerificationError, match="too old"):
        verify_standard_webhook(BODY, headers, SECRET, clock=lambda: later, guard=guard)
