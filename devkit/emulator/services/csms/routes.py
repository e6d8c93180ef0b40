"""CSMS's route table: method, path as the SDK's ``csms_client.py`` sends it, operation name, handler.

Order matters where templates overlap: the ``/csms/events/...`` routes come before the
``/csms/{secret_id}/...`` ones, so ``/csms/events/tags`` is never read as the tags of a secret ``events``.
"""

from __future__ import annotations

from devkit.emulator.core import Route
from devkit.emulator.services.csms import events, handlers, tags

_SECRETS = "/v1/{project_id}/secrets"
_BY_NAME = _SECRETS + "/{secret_name}"
_CSMS = "/v1/{project_id}/csms"
_EVENTS = _CSMS + "/events"
_TAGS = _CSMS + "/{secret_id}/tags"

ROUTES = (
    Route("POST", _SECRETS, "CreateSecret", handlers.create_secret),
    Route("GET", _SECRETS, "ListSecrets", handlers.list_secrets),
    Route("GET", _BY_NAME, "ShowSecret", handlers.show_secret),
    Route("PUT", _BY_NAME, "UpdateSecret", handlers.update_secret),
    Route("DELETE", _BY_NAME, "DeleteSecret", handlers.delete_secret),
    Route(
        "POST",
        _BY_NAME + "/scheduled-deleted-tasks/create",
        "DeleteSecretForSchedule",
        handlers.schedule_deletion,
    ),
    Route("POST", _BY_NAME + "/scheduled-deleted-tasks/cancel", "RestoreSecret", handlers.restore_secret),
    Route("POST", _BY_NAME + "/rotate", "RotateSecret", handlers.rotate_secret),
    Route("POST", _BY_NAME + "/versions", "CreateSecretVersion", handlers.create_version),
    Route("GET", _BY_NAME + "/versions", "ListSecretVersions", handlers.list_versions),
    Route("GET", _BY_NAME + "/versions/{version_id}", "ShowSecretVersion", handlers.show_version),
    Route("PUT", _BY_NAME + "/versions/{version_id}", "UpdateVersion", handlers.update_version),
    Route("GET", _BY_NAME + "/stages/{stage_name}", "ShowSecretStage", handlers.show_stage),
    Route("PUT", _BY_NAME + "/stages/{stage_name}", "UpdateSecretStage", handlers.update_stage),
    Route("DELETE", _BY_NAME + "/stages/{stage_name}", "DeleteSecretStage", handlers.delete_stage),
    Route("POST", _EVENTS, "CreateSecretEvent", events.create_event),
    Route("GET", _EVENTS, "ListSecretEvents", events.list_events),
    Route("GET", _EVENTS + "/{event_name}", "ShowSecretEvent", events.show_event),
    Route("PUT", _EVENTS + "/{event_name}", "UpdateSecretEvent", events.update_event),
    Route("DELETE", _EVENTS + "/{event_name}", "DeleteSecretEvent", events.delete_event),
    Route("GET", _CSMS + "/notification-records", "ListNotificationRecords", events.list_records),
    Route("GET", _CSMS + "/tags", "ListProjectSecretsTags", tags.list_project_tags),
    Route(
        "POST",
        _CSMS + "/{resource_instances}/action",
        "ListResourceInstances",
        tags.list_resource_instances,
    ),
    Route("POST", _TAGS, "CreateSecretTag", tags.create_tag),
    Route("GET", _TAGS, "ListSecretTags", tags.list_tags),
    Route("DELETE", _TAGS + "/{key}", "DeleteSecretTag", tags.delete_tag),
    Route("POST", _TAGS + "/action", "BatchCreateOrDeleteTags", tags.batch_tags),
)
