"""Fake Huawei SMN (Simple Message Notification): topics and message publishing.

opsfn publishes alerts (guardrail findings, rotation failures) to SMN topics, and CSMS publishes secret events
to them, so the emulator keeps every published message for tests to read (``backend.messages``) and offers
:meth:`SmnService.publish` for other emulated services to call in-process.

Operations (SMN API v2, paths as documented):

* ``POST /v2/{project_id}/notifications/topics`` - ``name`` (``^[A-Za-z0-9][A-Za-z0-9_-]{0,254}$``),
  ``display_name`` (< 192 characters). 201 ``{"request_id","topic_urn"}``; creating an existing name is
  idempotent and answers 200 with the same URN, as documented.
* ``GET /v2/{project_id}/notifications/topics`` - ``offset``, ``limit`` (1-100, default 100), ``name``,
  ``fuzzy_name``, ``topic_id``; 200 ``{"request_id","topic_count","topics":[...]}``.
* ``POST /v2/{project_id}/notifications/topics/{topic_urn}/publish`` - ``subject``, and one of
  ``message_structure`` (a JSON *string* with a ``default`` key), ``message_template_name`` (+ ``tags``) or
  ``message``; when several are given the documented priority is message_structure > message_template_name >
  message. 200 ``{"request_id","message_id"}``.

Topic URNs are ``urn:smn:{region}:{project_id}:{name}``. Errors use SMN's own shape
``{"request_id","code","message"}``: 404 ``SMN.0006`` "Topic not found.", 404 ``SMN.0027`` for an unknown
template, 400 ``SMN.0002``/``SMN.0003``/``SMN.0015`` for bad name/display name/paging and ``SMN.0021`` for a
message that is missing, too large (> 256 KB) or a ``message_structure`` that is not a JSON object with
``default`` (the code table has no separate code for a missing message; 0021 is the documented "message is
malformed" code).
"""

from __future__ import annotations

import json
import re
import threading
import uuid
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any

import httpx

from devkit.emulator.core import ApiError, Call, Emulator, Service, json_response, new_request_id

__all__ = [
    "MAX_MESSAGE_BYTES",
    "PublishedMessage",
    "SmnBackend",
    "SmnService",
    "Topic",
    "TopicNotFound",
    "make_service",
    "smn_error",
]

MAX_MESSAGE_BYTES = 256 * 1024
_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_-]{0,254}$")
_URN = re.compile(r"^urn:smn:(?P<region>[^:]+):(?P<project>[^:]+):(?P<name>[^:]+)$")


def smn_error(status: int, code: str, message: str) -> ApiError:
    rid = new_request_id()
    return ApiError(
        json_response(status, {"request_id": rid, "code": code, "message": message}, request_id=rid)
    )


class TopicNotFound(LookupError):
    """Raised by :meth:`SmnService.publish` for a URN no project has created."""


@dataclass
class Topic:
    name: str
    topic_urn: str
    topic_id: str
    display_name: str = ""
    enterprise_project_id: str = "0"
    created_at: datetime = field(default_factory=lambda: datetime.now(timezone.utc))

    def to_api(self) -> dict[str, Any]:
        return {
            "topic_urn": self.topic_urn,
            "name": self.name,
            "display_name": self.display_name,
            "push_policy": 0,
            "enterprise_project_id": self.enterprise_project_id,
            "topic_id": self.topic_id,
        }


@dataclass(frozen=True)
class PublishedMessage:
    """What a subscriber would have received; ``message`` is the resolved default text."""

    message_id: str
    topic_urn: str
    message: str
    subject: str | None = None
    message_structure: dict[str, Any] | None = None
    template_name: str | None = None
    tags: dict[str, str] | None = None
    published_at: datetime = field(default_factory=lambda: datetime.now(timezone.utc))


class SmnBackend:
    """One project's topics, templates and published messages."""

    def __init__(self, project_id: str, region: str) -> None:
        self.project_id = project_id
        self.region = region
        self.topics: dict[str, Topic] = {}
        self.templates: dict[str, str] = {}  # name -> default-protocol content with {tag} variables
        self.messages: list[PublishedMessage] = []
        self._lock = threading.RLock()

    def __deepcopy__(self, memo: dict[int, Any]) -> SmnBackend:
        import copy

        clone = SmnBackend(self.project_id, self.region)
        with self._lock:
            clone.topics = copy.deepcopy(self.topics, memo)
            clone.templates = dict(self.templates)
            clone.messages = list(self.messages)
        return clone

    def urn(self, name: str) -> str:
        return f"urn:smn:{self.region}:{self.project_id}:{name}"

    def create_topic(self, name: str, display_name: str = "") -> tuple[Topic, bool]:
        """Create ``name`` or return the existing topic; the flag says whether it was created."""
        with self._lock:
            if name in self.topics:
                return self.topics[name], False
            topic = Topic(
                name=name, topic_urn=self.urn(name), topic_id=uuid.uuid4().hex, display_name=display_name
            )
            self.topics[name] = topic
            return topic, True

    def topics_newest_first(self) -> list[Topic]:
        with self._lock:
            return sorted(self.topics.values(), key=lambda t: t.created_at, reverse=True)

    def topic_by_urn(self, urn: str) -> Topic | None:
        with self._lock:
            return next((t for t in self.topics.values() if t.topic_urn == urn), None)

    def record(self, message: PublishedMessage) -> str:
        with self._lock:
            self.messages.append(message)
        return message.message_id

    def messages_for(self, topic_urn: str | None = None) -> list[PublishedMessage]:
        with self._lock:
            return [m for m in self.messages if topic_urn is None or m.topic_urn == topic_urn]


class SmnService(Service[SmnBackend]):
    """The SMN service plus the in-process publishing entry point other emulated services use."""

    def __init__(self, region: str) -> None:
        super().__init__("smn", lambda project_id: SmnBackend(project_id, region))
        self.region = region

    def backend_for_urn(self, topic_urn: str) -> SmnBackend | None:
        m = _URN.match(topic_urn)
        if m is None:
            return None
        return self.backend(m["project"])

    def publish(self, topic_urn: str, message: str, subject: str | None = None) -> str:
        """Publish as a cloud service would (no HTTP, no auth); returns the message id.

        Raises :class:`TopicNotFound` when the topic does not exist, so a caller such as CSMS can record a
        failed notification.
        """
        backend = self.backend_for_urn(topic_urn)
        if backend is None or backend.topic_by_urn(topic_urn) is None:
            raise TopicNotFound(topic_urn)
        return backend.record(
            PublishedMessage(
                message_id=uuid.uuid4().hex, topic_urn=topic_urn, message=message, subject=subject
            )
        )

    def messages(self, topic_urn: str | None = None) -> list[PublishedMessage]:
        """Every message published in any project (optionally to one topic), oldest first."""
        found = [m for backend in self.backends().values() for m in backend.messages_for(topic_urn)]
        return sorted(found, key=lambda m: m.published_at)


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


def make_service(emulator: Emulator) -> SmnService:
    """Build the ``smn`` service (topic URNs use the emulator's region)."""
    region = emulator.credentials.region if emulator.credentials is not None else "cn-north-4"
    service = SmnService(region)

    @service.route("POST", "/v2/{project_id}/notifications/topics", "CreateTopic")
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

    @service.route("GET", "/v2/{project_id}/notifications/topics", "ListTopics")
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

    @service.route("POST", "/v2/{project_id}/notifications/topics/{topic_urn}/publish", "PublishMessage")
    def publish(call: Call, backend: SmnBackend) -> httpx.Response:
        urn = call.path_params["topic_urn"]
        if _URN.match(urn) is None:
            raise smn_error(400, "SMN.0005", "Parameter: TopicUrn is invalid.")
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

    return service
