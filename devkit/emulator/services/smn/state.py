"""SMN's state: one backend per project holding its topics, message templates and published messages."""

from __future__ import annotations

import re
import uuid
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any

__all__ = ["MAX_MESSAGE_BYTES", "URN", "PublishedMessage", "SmnBackend", "Topic", "TopicNotFound"]

MAX_MESSAGE_BYTES = 256 * 1024
URN = re.compile(r"^urn:smn:(?P<region>[^:]+):(?P<project>[^:]+):(?P<name>[^:]+)$")


class TopicNotFound(LookupError):
    """Raised by the in-process publish entry point for a URN no project has created."""


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

    def urn(self, name: str) -> str:
        return f"urn:smn:{self.region}:{self.project_id}:{name}"

    def create_topic(self, name: str, display_name: str = "") -> tuple[Topic, bool]:
        """Create ``name`` or return the existing topic; the flag says whether it was created."""
        if name in self.topics:
            return self.topics[name], False
        topic = Topic(
            name=name, topic_urn=self.urn(name), topic_id=uuid.uuid4().hex, display_name=display_name
        )
        self.topics[name] = topic
        return topic, True

    def topics_newest_first(self) -> list[Topic]:
        return sorted(self.topics.values(), key=lambda t: t.created_at, reverse=True)

    def topic_by_urn(self, urn: str) -> Topic | None:
        return next((t for t in self.topics.values() if t.topic_urn == urn), None)

    def delete_topic(self, urn: str) -> bool:
        """Remove the topic; its published messages stay readable (they were delivered before)."""
        topic = self.topic_by_urn(urn)
        if topic is None:
            return False
        del self.topics[topic.name]
        return True

    def record(self, message: PublishedMessage) -> str:
        self.messages.append(message)
        return message.message_id

    def messages_for(self, topic_urn: str | None = None) -> list[PublishedMessage]:
        return [m for m in self.messages if topic_urn is None or m.topic_urn == topic_urn]
