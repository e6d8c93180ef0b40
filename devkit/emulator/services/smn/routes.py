"""SMN's route table: method, path as printed in the SMN API v2 reference, operation name, handler."""

from __future__ import annotations

from devkit.emulator.core import Route
from devkit.emulator.services.smn import handlers

ROUTES = (
    Route("POST", "/v2/{project_id}/notifications/topics", "CreateTopic", handlers.create_topic),
    Route("GET", "/v2/{project_id}/notifications/topics", "ListTopics", handlers.list_topics),
    Route(
        "DELETE", "/v2/{project_id}/notifications/topics/{topic_urn}", "DeleteTopic", handlers.delete_topic
    ),
    Route(
        "POST",
        "/v2/{project_id}/notifications/topics/{topic_urn}/publish",
        "PublishMessage",
        handlers.publish,
    ),
)
