"""SMN's operations, one function each: read the call, answer as the SMN API v2 reference documents."""

from __future__ import annotations

import json
import re
import uuid
from typing import Any

import httpx

from devkit.emulator.core import ApiError, Call, json_response, new_request_id
from devkit.emulator.services.smn.state import MAX_MESSAGE_BYTES, URN, PublishedMessage, SmnBackend

_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_-]{0,254}$")


def smn_error(status: int, code: str, message: str) -> ApiError:
    """SMN's own error shape ``{"request_id","code","message"}``."""
    rid = new_request_id()
    return ApiError(
        json_response(status, {"request_id": rid, "code": code, "message": message}, request_id=rid)
    )


def create_topic(call: Call, backend: SmnBackend) -> httpx.Response:
    data = _body(call)
    name = data.get("name")
    if not isinstance(name, str) or not _NAME.match(name):
        raise smn_error(400, "SMN.0002", "Parameter: Name is invalid.")
    display = data.get("display_name", "")
    if not isinstance(display, str) or len(display) >= 192:
        raise smn_error(400, "SMN.0003", "Parameter: DisplayName is invalid.")
    topic, created = backend.create_topic(name, display)
    rid = new_request_id()
    return json_response(
        201 if created else 200, {"request_id": rid, "topic_urn": topic.topic_urn}, request_id=rid
    )


def list_topics(call: Call, backend: SmnBackend) -> httpx.Response:
    offset = _int_param(call, "offset", 0, 0, 2**31)
    limit = _int_param(call, "limit", 100, 1, 100)
    query = call.query
    topics = backend.topics_newest_first()
    if query.get("name"):
        topics = [t for t in topics if t.name == query["name"]]
    if query.get("fuzzy_name"):
        topics = [t for t in topics if query["fuzzy_name"] in t.name]
    if query.get("topic_id"):
        topics = [t for t in topics if t.topic_id == query["topic_id"]]
    page = topics[offset : offset + limit]
    rid = new_request_id()
    body = {"request_id": rid, "topic_count": len(topics), "topics": [t.to_api() for t in page]}
    return json_response(200, body, request_id=rid)


def publish(call: Call, backend: SmnBackend) -> httpx.Response:
    urn = _topic_urn(call)
    if backend.topic_by_urn(urn) is None:
        raise smn_error(404, "SMN.0006", "Topic not found.")
    data = _body(call)
    subject = _optional_str(data, "subject", "SMN.0021", "Parameter: subject must be a string.")
    if subject is not None and len(subject.encode()) > 512:
        raise smn_error(400, "SMN.0021", "Parameter: subject exceeds 512 bytes.")
    text, structure, template = _resolve_message(data, backend)
    tags = data.get("tags") if template else None
    message = PublishedMessage(
        message_id=uuid.uuid4().hex,
        topic_urn=urn,
        message=text,
        subject=subject,
        message_structure=structure,
        template_name=template,
        tags={str(k): str(v) for k, v in tags.items()} if isinstance(tags, dict) else None,
    )
    rid = new_request_id()
    return json_response(200, {"request_id": rid, "message_id": backend.record(message)}, request_id=rid)


def delete_topic(call: Call, backend: SmnBackend) -> httpx.Response:
    urn = _topic_urn(call)
    if not backend.delete_topic(urn):
        raise smn_error(404, "SMN.0006", "Topic not found.")
    rid = new_request_id()
    return json_response(200, {"request_id": rid}, request_id=rid)


def _topic_urn(call: Call) -> str:
    urn = call.path_params["topic_urn"]
    if URN.match(urn) is None:
        raise smn_error(400, "SMN.0005", "Parameter: TopicUrn is invalid.")
    return urn


def _body(call: Call) -> dict[str, Any]:
    data = call.json(error=lambda msg: smn_error(400, "SMN.0021", msg))
    if not isinstance(data, dict):
        raise smn_error(400, "SMN.0021", "The request body must be a JSON object.")
    return data


def _optional_str(data: dict[str, Any], name: str, code: str, message: str) -> str | None:
    value = data.get(name)
    if value is None:
        return None
    if not isinstance(value, str):
        raise smn_error(400, code, message)
    return value


def _resolve_message(
    data: dict[str, Any], backend: SmnBackend
) -> tuple[str, dict[str, Any] | None, str | None]:
    """Apply the documented priority; returns (default text, structure, template name)."""
    bad = "MessageStructure is invalid."
    structure_text = _optional_str(data, "message_structure", "SMN.0021", bad)
    template = _optional_str(data, "message_template_name", "SMN.0021", bad)
    text = _optional_str(data, "message", "SMN.0021", bad)
    if structure_text is not None:
        if len(structure_text.encode()) > MAX_MESSAGE_BYTES:
            raise smn_error(400, "SMN.0021", "The message exceeds 256 KB.")
        try:
            structure = json.loads(structure_text)
        except (ValueError, RecursionError):
            structure = None
        if not isinstance(structure, dict) or not isinstance(structure.get("default"), str):
            raise smn_error(
                400, "SMN.0021", "MessageStructure is invalid: a JSON object with default is required."
            )
        return structure["default"], structure, None
    if template is not None:
        content = backend.templates.get(template)
        if content is None:
            raise smn_error(404, "SMN.0027", "Template not found.")
        tags = data.get("tags") or {}
        if not isinstance(tags, dict):
            raise smn_error(400, "SMN.0021", "Parameter: tags must be an object.")
        for key, value in tags.items():
            content = content.replace("{" + str(key) + "}", str(value))
        return content, None, template
    if text is None or not text:
        raise smn_error(
            400, "SMN.0021", "One of message, message_structure or message_template_name is required."
        )
    if len(text.encode()) > MAX_MESSAGE_BYTES:
        raise smn_error(400, "SMN.0021", "The message exceeds 256 KB.")
    return text, None, None


def _int_param(call: Call, name: str, default: int, low: int, high: int) -> int:
    raw = call.query.get(name)
    if raw is None or raw == "":
        return default
    try:
        value = int(raw)
    except ValueError:
        raise smn_error(400, "SMN.0015", "Parameter: Offset or limit is invalid.") from None
    if not low <= value <= high:
        raise smn_error(400, "SMN.0015", "Parameter: Offset or limit is invalid.")
    return value
