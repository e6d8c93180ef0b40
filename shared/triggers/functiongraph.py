"""FunctionGraph envelopes: APIG, timer, SMN, DMS/Kafka, CTS and EventGrid (CloudEvents 1.0).

Formats follow the documented samples (``reference/platform.md`` §2, copies in ``events/_platform/``).
Points where the documents are loose, and what this module does about them:

* APIG ``isBase64Encoded`` defaults to **true** in the event (FAQ functiongraph_03_0290), so a missing flag
  means "decode"; a body that is not valid base64 is a 400, never silently passed on.
* Kafka ``messages`` are bare strings without key/partition/offset, so record ids are content hashes
  (``topic:hash``, ``#n`` suffixes for repeats in one batch): a redelivered message keeps its id, which
  makes per-record idempotency work even though the platform gives no id.
* CTS ``time``/``record_time`` are seconds in one sample and milliseconds in the live capture; both are
  normalised to milliseconds.
* EventGrid delivers CloudEvents; the documented example wraps them in ``{"events": [...]}`` and
  pass-through mode may deliver a bare event, so both are accepted.
"""

from __future__ import annotations

from typing import Any, Final

from shared.triggers._fields import (
    as_dict,
    as_list,
    decode_body,
    epoch_ms,
    epoch_to_datetime,
    header_map,
    json_bytes,
    opt_str,
    parse_time,
    short_hash,
    str_map,
    text_bytes,
    timer_event,
)
from shared.triggers.models import EventParseError, Record, TriggerEvent

__all__ = [
    "is_apig",
    "is_cloudevents",
    "is_cts",
    "is_kafka",
    "is_smn",
    "is_timer",
    "parse_apig",
    "parse_cloudevents",
    "parse_cts",
    "parse_kafka",
    "parse_smn",
    "parse_timer",
]

_PLATFORM: Final = "functiongraph"


# ---------------------------------------------------------------------------------------------------------
# Detection: cheap structural tests, most specific first (see shared.triggers.parse_event)


def is_cts(event: dict[str, Any]) -> bool:
    return "cts" in event


def is_cloudevents(event: dict[str, Any]) -> bool:
    return "specversion" in event or isinstance(event.get("events"), list)


def is_smn(event: dict[str, Any]) -> bool:
    return "record" in event


def is_kafka(event: dict[str, Any]) -> bool:
    trigger = str(event.get("trigger_type", "")).upper()
    return trigger in ("KAFKA", "DMS", "OPENSOURCEKAFKA") or (
        "records" in event and "user_event" not in event
    )


def is_timer(event: dict[str, Any]) -> bool:
    return str(event.get("trigger_type", "")).upper() == "TIMER" or "user_event" in event


def is_apig(event: dict[str, Any]) -> bool:
    return "httpMethod" in event


# ---------------------------------------------------------------------------------------------------------
# Parsers


def parse_apig(event: dict[str, Any]) -> TriggerEvent:
    """APIG (dedicated gateway) trigger → ``http`` event."""
    method = opt_str(event.get("httpMethod"), "httpMethod").upper()
    if not method:
        raise EventParseError("httpMethod must be a non-empty string")
    flag = event.get("isBase64Encoded", True)
    if not isinstance(flag, bool):
        raise EventParseError("isBase64Encoded must be a boolean")
    headers = header_map(event.get("headers"))
    context = as_dict(event.get("requestContext") or {}, "requestContext")
    request_id = opt_str(context.get("requestId"), "requestContext.requestId")
    request_id = request_id or headers.get("x-request-id", "")
    return TriggerEvent(
        kind="http",
        platform=_PLATFORM,
        source="apig",
        event_id=request_id,
        method=method,
        path=opt_str(event.get("path"), "path", "/") or "/",
        headers=headers,
        query=str_map(event.get("queryStringParameters"), "queryStringParameters"),
        path_params=str_map(event.get("pathParameters"), "pathParameters"),
        body=decode_body(event.get("body"), flag),
        raw=event,
    )


def parse_timer(event: dict[str, Any]) -> TriggerEvent:
    """Timer trigger → ``timer`` event; the body is ``user_event`` (always a string: JSON or plain text).

    The event id is ``trigger_name@time``: unique per scheduled firing and identical if the platform
    retries that firing, which is what an idempotency key for a scheduled run needs.
    """
    user_event = event.get("user_event", "")
    if user_event is None:
        user_event = ""
    if isinstance(user_event, (dict, list)):
        body = json_bytes(user_event)
    elif isinstance(user_event, str):
        body = user_event.encode("utf-8", "surrogatepass")
    else:
        raise EventParseError("user_event must be a string")
    name = opt_str(event.get("trigger_name"), "trigger_name")
    when = opt_str(event.get("time"), "time")
    return timer_event(_PLATFORM, "timer", event, body, name, when)


def _smn_record(index: int, item: Any) -> Record:
    try:
        entry = as_dict(item, f"record[{index}]")
        smn = as_dict(entry.get("smn"), f"record[{index}].smn")
        body = text_bytes(smn.get("message"), "message")
        message_id = opt_str(smn.get("message_id"), "message_id") or short_hash(body)
        return Record(
            id=message_id,
            body=body,
            attributes={
                "topic_urn": opt_str(smn.get("topic_urn"), "topic_urn"),
                "subject": opt_str(smn.get("subject"), "subject"),
                "type": opt_str(smn.get("type"), "type"),
                "timestamp": opt_str(smn.get("timestamp"), "timestamp"),
                "message_attributes": smn.get("message_attributes"),
            },
        )
    except EventParseError as exc:
        return Record(id=f"record[{index}]", error=str(exc))


def parse_smn(event: dict[str, Any]) -> TriggerEvent:
    """SMN trigger → ``notification`` event, one record per ``record[]`` entry (id = ``message_id``)."""
    items = as_list(event.get("record"), "record")
    return TriggerEvent(
        kind="notification",
        platform=_PLATFORM,
        source="smn",
        event_id=opt_str(event.get("requestId"), "requestId"),
        records=[_smn_record(i, item) for i, item in enumerate(items)],
        raw=event,
    )


def parse_kafka(event: dict[str, Any]) -> TriggerEvent:
    """DMS for Kafka / open-source Kafka trigger → ``queue`` event, one record per message."""
    groups = as_list(event.get("records"), "records")
    records: list[Record] = []
    seen: dict[str, int] = {}
    for g, group in enumerate(groups):
        if not isinstance(group, dict):
            records.append(Record(id=f"records[{g}]", error=f"records[{g}] must be an object"))
            continue
        topic = group.get("topic_id")
        messages = group.get("messages")
        if not isinstance(messages, list) or not isinstance(topic, (str, type(None))):
            records.append(Record(id=f"records[{g}]", error=f"records[{g}] needs messages[] and topic_id"))
            continue
        for m, message in enumerate(messages):
            if isinstance(message, str):
                body = message.encode("utf-8", "surrogatepass")
            elif message is None:
                records.append(Record(id=f"records[{g}].messages[{m}]", error="message is null"))
                continue
            else:
                body = json_bytes(message)
            base = f"{topic or ''}:{short_hash(body)}"
            count = seen.get(base, 0)
            seen[base] = count + 1
            records.append(
                Record(
                    id=base if count == 0 else f"{base}#{count}",
                    body=body,
                    attributes={"topic": topic or "", "group": g, "index": m},
                )
            )
    when = epoch_ms(event.get("event_time"), "event_time")
    return TriggerEvent(
        kind="queue",
        platform=_PLATFORM,
        source="kafka",
        event_id=opt_str(event.get("instance_id"), "instance_id") + (f"@{when}" if when is not None else ""),
        time=epoch_to_datetime(when),
        records=records,
        raw=event,
    )


def parse_cts(event: dict[str, Any]) -> TriggerEvent:
    """CTS trigger → ``audit`` event with one record: the trace (timestamps normalised to ms)."""
    trace = as_dict(event.get("cts"), "cts")
    for name in ("time", "record_time"):
        if name in trace:
            trace[name] = epoch_ms(trace[name], f"cts.{name}")
    trace_id = opt_str(trace.get("trace_id"), "cts.trace_id")
    body = json_bytes(trace)
    record_id = trace_id or short_hash(body)
    return TriggerEvent(
        kind="audit",
        platform=_PLATFORM,
        source="cts",
        event_id=record_id,
        time=epoch_to_datetime(trace.get("time")),
        records=[
            Record(
                id=record_id,
                body=body,
                attributes={
                    "service_type": opt_str(trace.get("service_type"), "cts.service_type"),
                    "resource_type": opt_str(trace.get("resource_type"), "cts.resource_type"),
                    "trace_name": opt_str(trace.get("trace_name"), "cts.trace_name"),
                },
            )
        ],
        raw=event,
    )


_CE_REQUIRED = ("id", "source", "specversion", "type")


def cloudevent_record(index: int, item: Any) -> Record:
    """One CloudEvents 1.0 envelope → record (id = ``id``, dedupe key = ``source`` + ``id``)."""
    if not isinstance(item, dict):
        return Record(id=f"events[{index}]", error=f"events[{index}] must be an object")
    missing = [name for name in _CE_REQUIRED if not isinstance(item.get(name), str) or not item.get(name)]
    if missing:
        event_id = item.get("id")
        label = event_id if isinstance(event_id, str) and event_id else f"events[{index}]"
        return Record(id=label, error="missing CloudEvents attribute(s): " + ", ".join(missing))
    if item["specversion"] != "1.0":
        return Record(id=item["id"], error="unsupported CloudEvents specversion")
    try:
        body = json_bytes(item)
    except (TypeError, ValueError):
        return Record(id=item["id"], error="event is not JSON-serialisable")
    return Record(
        id=item["id"],
        key=f"{item['source']}#{item['id']}",
        body=body,
        attributes={
            "source": item["source"],
            "type": item["type"],
            "subject": item.get("subject") if isinstance(item.get("subject"), str) else None,
            "time": item.get("time") if isinstance(item.get("time"), str) else None,
        },
    )


def parse_cloudevents(event: dict[str, Any]) -> TriggerEvent:
    """EventGrid → ``cloudevent`` event; ``{"events": [...]}`` or a single bare CloudEvent."""
    items = as_list(event["events"], "events") if "events" in event else [event]
    records = [cloudevent_record(i, item) for i, item in enumerate(items)]
    first = records[0] if len(records) == 1 else None
    return TriggerEvent(
        kind="cloudevent",
        platform=_PLATFORM,
        source="eventgrid",
        event_id=first.id if first is not None and first.error is None else "",
        time=parse_time(first.attributes.get("time")) if first is not None else None,
        records=records,
        raw=event,
    )
