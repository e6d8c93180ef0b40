"""Typed client for Huawei SMN (Simple Message Notification, API v2): topics and publishing.

Functions publish alerts - a guardrail fix, a failed rotation - to a topic whose URN comes from
configuration (``OPSFN_SMN_TOPIC_URN``). Publishing is *not* retried automatically: a retry after a lost
answer would notify every subscriber twice. Creating a topic is idempotent on the server (an existing name
returns its URN with 200), so that POST is retry-safe.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Mapping
from typing import TYPE_CHECKING, ClassVar

from pydantic import BaseModel, ConfigDict

from shared.clients.base import ServiceClient, without_none
from shared.http import paginate

if TYPE_CHECKING:
    import httpx

    from shared.config import Settings

__all__ = ["MAX_TOPIC_PAGE", "PublishResult", "SmnClient", "Topic", "TopicPage"]

MAX_TOPIC_PAGE = 100
"""ListTopics accepts ``limit`` 1-100."""


class _Model(BaseModel):
    model_config = ConfigDict(defer_build=True, extra="ignore", frozen=True)


class Topic(_Model):
    topic_urn: str
    name: str
    display_name: str = ""
    push_policy: int = 0
    enterprise_project_id: str | None = None
    topic_id: str | None = None


class TopicPage(_Model):
    topic_count: int
    topics: list[Topic]


class PublishResult(_Model):
    message_id: str
    request_id: str = ""


class SmnClient(ServiceClient):
    """SMN v2 operations for one project; ``async with SmnClient.from_settings(settings) as smn: ...``."""

    service: ClassVar[str] = "smn"

    @classmethod
    def for_topic(
        cls, settings: Settings, topic_urn: str, *, transport: httpx.AsyncBaseTransport | None = None
    ) -> SmnClient:
        """A client for publishing to ``topic_urn``, in the topic's own project when none is configured.

        SMN paths need a project id, and a topic URN (``urn:smn:<region>:<project id>:<name>``) names the
        project it lives in, so a function configured with only the topic still publishes.
        """
        parts = topic_urn.split(":")
        if not settings.project_id and len(parts) == 5 and parts[3]:
            settings = settings.replace(project_id=parts[3])
        return cls.from_settings(settings, transport=transport)

    async def create_topic(self, name: str, *, display_name: str | None = None) -> str:
        """Create ``name`` (or find the existing topic of that name) and return its URN."""
        body = without_none({"name": name, "display_name": display_name})
        data = await self._request(
            "POST", "/v2/{project_id}/notifications/topics", json=body, retry_safe=True
        )
        return str(data["topic_urn"])

    async def list_topics(
        self,
        *,
        offset: int = 0,
        limit: int = MAX_TOPIC_PAGE,
        name: str | None = None,
        fuzzy_name: str | None = None,
    ) -> TopicPage:
        """One page of topics, newest first."""
        params = {"offset": offset, "limit": limit, "name": name, "fuzzy_name": fuzzy_name}
        data = await self._request("GET", "/v2/{project_id}/notifications/topics", params=params)
        return TopicPage.model_validate(data)

    def iter_topics(self, *, fuzzy_name: str | None = None) -> AsyncIterator[Topic]:
        """Every topic, page by page."""

        async def fetch(offset: int, limit: int) -> tuple[list[Topic], int | None]:
            page = await self.list_topics(offset=offset, limit=limit, fuzzy_name=fuzzy_name)
            return page.topics, page.topic_count

        return paginate(fetch, limit=MAX_TOPIC_PAGE)

    async def publish(
        self,
        topic_urn: str,
        message: str | None = None,
        *,
        subject: str | None = None,
        message_structure: Mapping[str, str] | None = None,
        template_name: str | None = None,
        tags: Mapping[str, str] | None = None,
        time_to_live: int | None = None,
    ) -> PublishResult:
        """Publish a text message, a per-protocol ``message_structure`` (must contain ``default``) or a
        template message (``template_name`` + ``tags``). Exactly one form is required."""
        forms = [message is not None, message_structure is not None, template_name is not None]
        if sum(forms) != 1:
            raise ValueError("pass exactly one of message, message_structure or template_name")
        if message_structure is not None and "default" not in message_structure:
            raise ValueError("message_structure needs a 'default' entry")
        body = without_none(
            {
                "subject": subject,
                "message": message,
                "message_structure": None
                if message_structure is None
                else json.dumps(dict(message_structure), ensure_ascii=False),
                "message_template_name": template_name,
                "tags": None if template_name is None else dict(tags or {}),
                "time_to_live": None if time_to_live is None else str(time_to_live),
            }
        )
        path = "/v2/{project_id}/notifications/topics/{topic_urn}/publish"
        data = await self._request("POST", path, {"topic_urn": topic_urn}, json=body)
        return PublishResult.model_validate(data)
