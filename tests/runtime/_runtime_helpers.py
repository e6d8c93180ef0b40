"""Helpers for the runtime tests: a webhook secret, signed local webhook events, response bodies."""

from __future__ import annotations

import base64
import json
import time
from typing import Any

from shared.triggers.local import webhook_event
from shared.verify import sign_standard_webhook

WEBHOOK_SECRET = "whsec_" + base64.b64encode(b"opsfn-test-webhook-key-0123456789").decode()
ROTATED_SECRET = "whsec_" + base64.b64encode(b"opsfn-test-webhook-key-rotated-99").decode()


def signed(
    body: bytes, msg_id: str = "msg_1", *, secret: str = WEBHOOK_SECRET, ts: int | None = None
) -> dict[str, Any]:
    """A local webhook event signed the Standard Webhooks way."""
    headers = sign_standard_webhook(secret, msg_id, int(time.time()) if ts is None else ts, body)
    headers["Content-Type"] = "application/json"
    return webhook_event("POST", "/hook", headers, body)


def body_of(response: dict[str, Any]) -> Any:
    raw = response["body"]
    if response.get("isBase64Encoded"):
        raw = base64.b64decode(raw).decode()
    return json.loads(raw) if raw else None
