"""Local envelopes produced by ``opsfn serve`` / ``opsfn invoke``: a plain webhook and a queue feed.

Why a separate shape instead of faking an APIG event: a local HTTP server has the exact raw bytes and the
real header names, and Standard Webhooks signatures cover the raw body; carrying it base64-encoded keeps it
byte-exact through JSON. The ``"opsfn"`` marker key cannot collide with any platform envelope.

Build them with :func:`webhook_event` and :func:`queue_event` rather than by hand.
"""

from __future__ import annotations

import base64
from collections.abc import Iterable, Mapping
from typing import Any, Final

from shared.triggers._fields import (
    as_dict,
    as_list,
    decode_body,
    header_map,
    json_bytes,
    opt_str,
    short_hash,
    str_map,
)
from shared.triggers.models import EventParseError, Record, TriggerEvent

__all__ = ["MARKER", "is_local", "parse_local", "queue_event", "webhook_event"]

MARKER = "opsfn"
_PLATFORM: Final = "local"


def webhook_event(
    method: str,
    path: str,
    headers: Mapping[str, str],
    body: bytes,
    query: Mapping[str, str] | None = None,
    request_id: str = "",
) -> dict[str, Any]:
    """The local webhook envelope for one HTTP request (body kept byte-exact as base64)."""
    return {
        MARKER: "webhook",
        "requestId": request_id,
        "method": method.upper(),
        "path": path,
        "headers": dict(headers),
        "query": dict(query or {}),
        "body": base64.b64encode(body).decode("ascii"),
        "isBase64Encoded": True,
    }


def queue_event(messages: Iterable[Any], topic: str = "local") -> dict[str, Any]:
    """The local queue envelope: each message a string/bytes body or ``{"id", "body"}``.

    Any other item (a number, ``None``, a list) is kept as it is, so parsing reports it as one failed
    record of the batch instead of the whole delivery failing on it.
    """
    out: list[Any] = []
    for message in messages:
        if isinstance(message, bytes):
            out.append(message.decode("utf-8", "replace"))
        elif isinstance(message, Mapping):
            out.append(dict(message))
        else:
            out.append(message)
    return {MARKER: "queue", "topic": topic, "messages": out}


def is_local(event: dict[str, Any]) -> bool:
    return MARKER in event


def _queue_record(index: int, topic: str, message: Any) -> Record:
    if isinstance(message, str):
        # Content-hash ids like FunctionGraph Kafka (see there); repeats get "#n" in parse_local.
        body = message.encode("utf-8", "surrogatepass")
        return Record(id=f"{topic}:{short_hash(body)}", body=body, attributes={"topic": topic})
    if isinstance(message, dict) and "body" in message:
        raw = message["body"]
        body = raw.encode("utf-8", "surrogatepass") if isinstance(raw, str) else json_bytes(raw)
        try:
            record_id = opt_str(message.get("id"), f"messages[{index}].id") or short_hash(body)
        except EventParseError as exc:
            return Record(id=f"messages[{index}]", error=str(exc))
        return Record(id=record_id, body=body, attributes={"topic": topic})
    return Record(id=f"messages[{index}]", error=f"messages[{index}] must be a string or {{id, body}}")


def parse_local(event: dict[str, Any]) -> TriggerEvent:
    """Parse a local envelope; the marker's value picks the shape."""
    kind = event.get(MARKER)
    if kind == "webhook":
        flag = event.get("isBase64Encoded", False)
        if not isinstance(flag, bool):
            raise EventParseError("isBase64Encoded must be a boolean")
        method = opt_str(event.get("method"), "method", "POST").upper() or "POST"
        return TriggerEvent(
            kind="http",
            platform=_PLATFORM,
            source="webhook",
            event_id=opt_str(event.get("requestId"), "requestId"),
            method=method,
            path=opt_str(event.get("path"), "path", "/") or "/",
            headers=header_map(event.get("headers")),
            query=str_map(event.get("query"), "query"),
            body=decode_body(event.get("body"), flag),
            raw=event,
        )
    if kind == "queue":
        topic = opt_str(event.get("topic"), "topic", "local") or "local"
        messages = as_list(event.get("messages"), "messages")
        records: list[Record] = []
        seen: dict[str, int] = {}
        for index, message in enumerate(messages):
            record = _queue_record(index, topic, message)
            count = seen.get(record.id, 0)
            seen[record.id] = count + 1
            records.append(record if count == 0 else record.model_copy(update={"id": f"{record.id}#{count}"}))
        return TriggerEvent(
            kind="queue",
            platform=_PLATFORM,
            source="local_queue",
            records=records,
            raw=as_dict(event, "event"),
        )
    raise EventParseError(f"{MARKER} must be 'webhook' or 'queue'")
