"""Tencent SCF envelopes: API gateway integration request, timer, CKafka, CMQ (``reference/platform.md`` §3).

Document quirks handled here:

* APIGW sample headers are mixed-case (``accept-Language``, ``user-Agent``): names are lower-cased.
* ``isBase64Encoded`` is absent unless Base64 encoding is enabled on the API, so absent means plain text
  (the opposite default of FunctionGraph).
* The event carries both ``queryStringParameters`` and ``queryString``; the latter is the complete one
  (the sample shows ``bob=alice`` only there), so it wins; repeated keys arrive as lists and are joined.
* CMQ ``msgTag`` is a string in Tencent's page and an array in serverless.com's; both are accepted and
  normalised to a list of tags.
* CKafka ``msgKey`` is the literal string ``"None"`` in the sample for a message without a key (a Python
  ``str(None)`` leaking through); it is normalised to an absent key.
"""

from __future__ import annotations

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
    text_bytes,
    timer_event,
)
from shared.triggers.models import EventParseError, Record, TriggerEvent

__all__ = [
    "is_apigw",
    "is_ckafka_or_cmq",
    "is_timer",
    "parse_apigw",
    "parse_records",
    "parse_timer",
]

_PLATFORM: Final = "scf"


def is_apigw(event: dict[str, Any]) -> bool:
    context = event.get("requestContext")
    return "httpMethod" in event and isinstance(context, dict) and "serviceId" in context


def is_timer(event: dict[str, Any]) -> bool:
    return event.get("Type") == "Timer" or ("TriggerName" in event and "Message" in event)


def is_ckafka_or_cmq(event: dict[str, Any]) -> bool:
    return "Records" in event


def parse_apigw(event: dict[str, Any]) -> TriggerEvent:
    """API gateway integration request → ``http`` event."""
    context = as_dict(event.get("requestContext") or {}, "requestContext")
    method = opt_str(event.get("httpMethod") or context.get("httpMethod"), "httpMethod").upper()
    if not method:
        raise EventParseError("httpMethod must be a non-empty string")
    flag = event.get("isBase64Encoded", False)
    if not isinstance(flag, bool):
        raise EventParseError("isBase64Encoded must be a boolean")
    query = str_map(event.get("queryStringParameters"), "queryStringParameters")
    query.update(str_map(event.get("queryString"), "queryString"))
    return TriggerEvent(
        kind="http",
        platform=_PLATFORM,
        source="scf_apigw",
        event_id=opt_str(context.get("requestId"), "requestContext.requestId"),
        method=method,
        path=opt_str(event.get("path"), "path", "/") or "/",
        headers=header_map(event.get("headers")),
        query=query,
        path_params=str_map(event.get("pathParameters"), "pathParameters"),
        body=decode_body(event.get("body"), flag),
        raw=event,
    )


def parse_timer(event: dict[str, Any]) -> TriggerEvent:
    """Timer → ``timer`` event; ``Message`` is the user-defined body (JSON or plain text)."""
    message = event.get("Message", "")
    body = json_bytes(message) if isinstance(message, (dict, list)) else opt_str(message, "Message").encode()
    name = opt_str(event.get("TriggerName"), "TriggerName")
    when = opt_str(event.get("Time"), "Time")
    return timer_event(_PLATFORM, "scf_timer", event, body, name, when)


def _ckafka(index: int, entry: dict[str, Any]) -> Record:
    msg = as_dict(entry.get("Ckafka"), f"Records[{index}].Ckafka")
    topic = opt_str(msg.get("topic"), "topic")
    partition = opt_str(msg.get("partition"), "partition")
    offset = opt_str(msg.get("offset"), "offset")
    body = text_bytes(msg.get("msgBody"), "msgBody")
    key = opt_str(msg.get("msgKey"), "msgKey")
    record_id = f"{topic}:{partition}:{offset}" if offset else f"{topic}:{short_hash(body)}"
    return Record(
        id=record_id,
        body=body,
        attributes={
            "topic": topic,
            "partition": partition,
            "offset": offset,
            "key": None if key in ("", "None") else key,
        },
    )


def _cmq(index: int, entry: dict[str, Any]) -> Record:
    msg = as_dict(entry.get("CMQ"), f"Records[{index}].CMQ")
    body = text_bytes(msg.get("msgBody"), "msgBody")
    tags = msg.get("msgTag")
    if isinstance(tags, list):
        tag_list = [opt_str(tag, "msgTag") for tag in tags]
    else:
        tag_list = [t.strip() for t in opt_str(tags, "msgTag").split(",") if t.strip()]
    return Record(
        id=opt_str(msg.get("msgId"), "msgId") or short_hash(body),
        body=body,
        attributes={
            "type": opt_str(msg.get("type"), "type"),
            "topic": opt_str(msg.get("topicName"), "topicName"),
            "subscription": opt_str(msg.get("subscriptionName"), "subscriptionName"),
            "publish_time": opt_str(msg.get("publishTime"), "publishTime"),
            "tags": tag_list,
        },
    )


def parse_records(event: dict[str, Any]) -> TriggerEvent:
    """CKafka or CMQ ``Records[]`` → ``queue`` event; a malformed entry becomes a failed record."""
    items = as_list(event.get("Records"), "Records")
    records: list[Record] = []
    sources: set[str] = set()
    for index, item in enumerate(items):
        try:
            entry = as_dict(item, f"Records[{index}]")
            if "Ckafka" in entry:
                sources.add("ckafka")
                records.append(_ckafka(index, entry))
            elif "CMQ" in entry:
                sources.add("cmq")
                records.append(_cmq(index, entry))
            else:
                raise EventParseError(f"Records[{index}] is neither Ckafka nor CMQ")
        except EventParseError as exc:
            records.append(Record(id=f"Records[{index}]", error=str(exc)))
    source = sources.pop() if len(sources) == 1 else "scf_queue"
    return TriggerEvent(kind="queue", platform=_PLATFORM, source=source, records=records, raw=event)
