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
* ``DELETE /v2/{project_id}/notifications/topics/{topic_urn}`` - 200 ``{"request_id"}``; 404 ``SMN.0006``
  for a topic that does not exist (the path and answer of the official SDK's ``DeleteTopic``).
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

The package has the shape of every emulated service: ``routes`` (the table), ``handlers`` (one function per
operation), ``state`` (the per-project backend); this module adds the in-process publishing entry point.
"""

from __future__ import annotations

import uuid

from devkit.emulator.core import Emulator, Service
from devkit.emulator.services.smn.handlers import smn_error
from devkit.emulator.services.smn.routes import ROUTES
from devkit.emulator.services.smn.state import (
    MAX_MESSAGE_BYTES,
    URN,
    PublishedMessage,
    SmnBackend,
    Topic,
    TopicNotFound,
)

__all__ = [
    "MAX_MESSAGE_BYTES",
    "ROUTES",
    "PublishedMessage",
    "SmnBackend",
    "SmnService",
    "Topic",
    "TopicNotFound",
    "make_service",
    "smn_error",
]


class SmnService(Service[SmnBackend]):
    """The SMN service plus the in-process publishing entry point other emulated services use."""

    def __init__(self, region: str) -> None:
        super().__init__("smn", lambda project_id: SmnBackend(project_id, region), routes=ROUTES)
        self.region = region

    def backend_for_urn(self, topic_urn: str) -> SmnBackend | None:
        m = URN.match(topic_urn)
        if m is None:
            return None
        return self.backend(m["project"])

    def publish(self, topic_urn: str, message: str, subject: str | None = None) -> str:
        """Publish as a cloud service would (no HTTP, no auth); returns the message id.

        Raises :class:`TopicNotFound` when the topic does not exist, so a caller such as CSMS can record a
        failed notification.
        """
        with self.lock:  # another service's call: take this service's lock like a routed call would
            backend = self.backend_for_urn(topic_urn)
            if backend is None or backend.topic_by_urn(topic_urn) is None:
                raise TopicNotFound(topic_urn)
            message_id = uuid.uuid4().hex
            return backend.record(PublishedMessage(message_id, topic_urn, message, subject=subject))

    def messages(self, topic_urn: str | None = None) -> list[PublishedMessage]:
        """Every message published in any project (optionally to one topic), oldest first."""
        with self.lock:
            found = [m for backend in self._backends.values() for m in backend.messages_for(topic_urn)]
        return sorted(found, key=lambda m: m.published_at)


def make_service(emulator: Emulator) -> SmnService:
    """Build the ``smn`` service (topic URNs use the emulator's region)."""
    return SmnService(emulator.credentials.region if emulator.credentials is not None else "cn-north-4")
