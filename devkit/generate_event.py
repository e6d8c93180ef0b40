"""``opsfn generate-event``: a platform envelope around a body, like ``sam local generate-event``.

Why: trying a function on a trigger means writing the platform's envelope by hand (base64 bodies on the
FunctionGraph gateway, JSON-in-a-string timer inputs, CKafka records...), and a hand-written envelope that
differs from the platform's is a test that proves nothing. The shapes here are the documented samples of
``events/_platform`` (checked by the tests: every generated event parses with ``shared.triggers`` as the
trigger kind it claims), with the caller's body in the place the platform puts it.
"""

from __future__ import annotations

import base64
import json
import time
import uuid
from collections.abc import Callable
from datetime import datetime, timezone
from typing import Any

__all__ = ["EVENT_KINDS", "GenerateError", "generate_event", "messages_of"]


class GenerateError(ValueError):
    """The platform/trigger pair is unknown or the body does not fit the trigger."""


def _now() -> datetime:
    return datetime.now(timezone.utc).replace(microsecond=0)


def messages_of(body: bytes) -> list[str]:
    """Queue messages from a body: each item of a JSON array (objects re-encoded), else the body itself."""
    text = body.decode("utf-8")
    try:
        data = json.loads(text)
    except ValueError:
        return [text]
    if isinstance(data, list):
        return [item if isinstance(item, str) else json.dumps(item, ensure_ascii=False) for item in data]
    return [text]


def _json_object(body: bytes, what: str) -> dict[str, Any]:
    try:
        data = json.loads(body or b"{}")
    except ValueError as exc:
        raise GenerateError(f"{what}: the body must be a JSON object: {exc}") from None
    if not isinstance(data, dict):
        raise GenerateError(f"{what}: the body must be a JSON object, not {type(data).__name__}")
    return data


def _fg_apig(body: bytes, path: str, method: str, topic: str) -> dict[str, Any]:
    return {
        "body": base64.b64encode(body).decode("ascii"),
        "isBase64Encoded": True,
        "httpMethod": method,
        "path": path,
        "headers": {"content-type": "application/json", "x-forwarded-proto": "https"},
        "queryStringParameters": {},
        "pathParameters": {},
        "requestContext": {"apiId": uuid.uuid4().hex, "requestId": uuid.uuid4().hex, "stage": "RELEASE"},
    }


def _fg_timer(body: bytes, path: str, method: str, topic: str) -> dict[str, Any]:
    return {
        "version": "v1.0",
        "time": _now().isoformat(),
        "trigger_type": "TIMER",
        "trigger_name": topic or "opsfn_timer",
        "user_event": body.decode("utf-8"),
    }


def _fg_kafka(body: bytes, path: str, method: str, topic: str) -> dict[str, Any]:
    return {
        "event_version": "v1.0",
        "event_time": int(time.time()),
        "trigger_type": "KAFKA",
        "region": "cn-north-4",
        "instance_id": str(uuid.uuid4()),
        "records": [{"messages": messages_of(body), "topic_id": topic or "opsfn-topic"}],
    }


def _fg_smn(body: bytes, path: str, method: str, topic: str) -> dict[str, Any]:
    urn = topic if topic.startswith("urn:smn:") else f"urn:smn:cn-north-4:0000000000000000:{topic or 'opsfn'}"
    stamp = _now()
    return {
        "record": [
            {
                "event_version": "1.0",
                "smn": {
                    "topic_urn": urn,
                    "timestamp": stamp.strftime("%Y-%m-%dT%H:%M:%SZ"),
                    "message_attributes": None,
                    "message": body.decode("utf-8"),
                    "type": "notification",
                    "message_id": uuid.uuid4().hex,
                    "subject": "opsfn generated event",
                },
                "event_subscription_urn": "functionUrn",
                "event_source": "smn",
            }
        ],
        "functionname": "opsfn",
        "requestId": str(uuid.uuid4()),
        "timestamp": stamp.isoformat(),
    }


def _fg_cts(body: bytes, path: str, method: str, topic: str) -> dict[str, Any]:
    """The body is the trace's fields (``service_type``, ``trace_name``, ``resource_*``...) over defaults."""
    now = int(time.time())
    trace: dict[str, Any] = {
        "time": now,
        "user": {
            "name": "opsfn-user",
            "id": uuid.uuid4().hex,
            "domain": {"name": "opsfn", "id": uuid.uuid4().hex},
        },
        "request": {},
        "response": {},
        "code": 200,
        "service_type": "APIG",
        "resource_type": "api",
        "resource_name": "opsfn-api",
        "resource_id": uuid.uuid4().hex,
        "trace_name": "publishApi",
        "trace_type": "ApiCall",
        "record_time": now,
        "trace_id": str(uuid.uuid4()),
        "trace_status": "normal",
    }
    trace.update(_json_object(body, "cts"))
    return {"cts": trace}


def _fg_eventgrid(body: bytes, path: str, method: str, topic: str) -> dict[str, Any]:
    return {
        "id": str(uuid.uuid4()),
        "specversion": "1.0",
        "source": topic or "HC.CSMS",
        "type": "CSMS:CloudTrace:ApiCall",
        "datacontenttype": "application/json",
        "subject": "opsfn",
        "time": _now().strftime("%Y-%m-%dT%H:%M:%SZ"),
        "data": _json_object(body, "eventgrid"),
    }


def _scf_apigw(body: bytes, path: str, method: str, topic: str) -> dict[str, Any]:
    return {
        "requestContext": {
            "serviceId": "service-opsfn000",
            "path": path,
            "httpMethod": method,
            "requestId": str(uuid.uuid4()),
            "sourceIp": "10.0.0.1",
            "stage": "release",
        },
        "headers": {"content-type": "application/json"},
        "body": body.decode("utf-8"),
        "pathParameters": {},
        "queryStringParameters": {},
        "headerParameters": {},
        "path": path,
        "queryString": {},
        "httpMethod": method,
    }


def _scf_timer(body: bytes, path: str, method: str, topic: str) -> dict[str, Any]:
    return {
        "Type": "Timer",
        "TriggerName": topic or "opsfn_timer",
        "Time": _now().strftime("%Y-%m-%dT%H:%M:%SZ"),
        "Message": body.decode("utf-8"),
    }


def _scf_ckafka(body: bytes, path: str, method: str, topic: str) -> dict[str, Any]:
    return {
        "Records": [
            {
                "Ckafka": {
                    "topic": topic or "opsfn-topic",
                    "partition": 0,
                    "offset": i,
                    "msgKey": "None",
                    "msgBody": m,
                }
            }
            for i, m in enumerate(messages_of(body))
        ]
    }


def _scf_cmq(body: bytes, path: str, method: str, topic: str) -> dict[str, Any]:
    return {
        "Records": [
            {
                "CMQ": {
                    "type": "topic",
                    "topicOwner": 1200000000,
                    "topicName": topic or "opsfn-topic",
                    "subscriptionName": "opsfn",
                    "publishTime": _now().strftime("%Y-%m-%dT%H:%M:%S.000Z"),
                    "msgId": uuid.uuid4().hex,
                    "requestId": uuid.uuid4().hex,
                    "msgBody": m,
                    "msgTag": "",
                }
            }
            for m in messages_of(body)
        ]
    }


Builder = Callable[[bytes, str, str, str], dict[str, Any]]
EVENT_KINDS: dict[str, dict[str, Builder]] = {
    "functiongraph": {
        "apig": _fg_apig,
        "timer": _fg_timer,
        "kafka": _fg_kafka,
        "smn": _fg_smn,
        "cts": _fg_cts,
        "eventgrid": _fg_eventgrid,
    },
    "scf": {"apigw": _scf_apigw, "timer": _scf_timer, "ckafka": _scf_ckafka, "cmq": _scf_cmq},
}
_HTTP = {"apig", "apigw"}


def generate_event(
    platform: str,
    trigger: str,
    body: bytes,
    *,
    path: str = "/",
    method: str = "POST",
    topic: str = "",
    sign_secret: str | None = None,
) -> dict[str, Any]:
    """The ``platform`` envelope of ``trigger`` around ``body``; webhooks signed when ``sign_secret``."""
    builders = EVENT_KINDS.get(platform)
    if builders is None:
        raise GenerateError(f"unknown platform {platform!r}; expected one of {', '.join(EVENT_KINDS)}")
    build = builders.get(trigger)
    if build is None:
        raise GenerateError(f"{platform} has no trigger {trigger!r}; expected one of {', '.join(builders)}")
    if sign_secret is not None and trigger not in _HTTP:
        raise GenerateError(f"--sign applies to webhooks ({' / '.join(sorted(_HTTP))}), not to {trigger}")
    try:
        event = build(body, path, method.upper(), topic)
    except UnicodeDecodeError:
        raise GenerateError(f"{trigger}: the body must be UTF-8 text") from None
    if sign_secret is not None:
        from devkit.invoke import sign_event

        event = sign_event(event, sign_secret)
    return event
