"""Typed client for Huawei CSMS (Cloud Secret Management Service, API v1).

Paths and fields follow ``huaweicloudsdkcsms`` 3.1.219 (the official SDK is a test oracle, never a runtime
dependency); ListResourceInstances follows its Chinese reference (seed 001): ``limit``/``offset`` travel as
*strings*, tag keys are AND-ed and the values of one key OR-ed, and ``action=count`` answers only
``total_count``.

Secret material never leaves this module in a printable form: values read back are :class:`pydantic.SecretStr`
(``repr`` and ``str`` show ``**********``) and nothing here logs a request or response body. Which POSTs are
retried is decided per operation: a query or a tag write can be repeated without effect; creating a version,
rotating or scheduling a deletion cannot, so those are never retried automatically.
"""

from __future__ import annotations

import base64
from collections.abc import AsyncIterator, Iterable, Mapping, Sequence
from typing import Any, ClassVar, Literal

from pydantic import BaseModel, ConfigDict, Field, SecretStr

from shared.clients.base import ServiceClient, without_none
from shared.http import paginate, paginate_markers

__all__ = [
    "EVENT_TYPES",
    "SYSCURRENT",
    "SYSPREVIOUS",
    "CsmsClient",
    "NotificationRecord",
    "NotificationTarget",
    "PageInfo",
    "ProjectTag",
    "ResourceInstance",
    "ResourceInstancePage",
    "RotationResult",
    "Secret",
    "SecretEvent",
    "SecretEventPage",
    "SecretPage",
    "SecretTags",
    "SecretVersion",
    "Stage",
    "Tag",
    "VersionMetadata",
    "VersionPage",
]

SYSCURRENT = "SYSCURRENT"
SYSPREVIOUS = "SYSPREVIOUS"
EVENT_TYPES = (
    "SECRET_VERSION_CREATED",
    "SECRET_VERSION_EXPIRED",
    "SECRET_ROTATED",
    "SECRET_DELETED",
    "SECRET_ROTATED_FAILED",
)
RESOURCE_PAGE_MAX = 1000
"""ListResourceInstances accepts ``limit`` "1"-"1000" (seed 001)."""


class _Model(BaseModel):
    # A validation error must not quote the answer it failed on: that answer may hold a secret value.
    model_config = ConfigDict(defer_build=True, extra="ignore", frozen=True, hide_input_in_errors=True)


class Secret(_Model):
    """A secret's metadata (never its value). ListResourceInstances fills only the first eight fields."""

    id: str
    name: str
    state: str | None = None
    kms_key_id: str | None = None
    description: str | None = None
    create_time: int | None = None
    update_time: int | None = None
    scheduled_delete_time: int | None = None
    secret_type: str | None = None
    auto_rotation: bool | None = None
    rotation_period: str | None = None
    rotation_config: str | None = None
    rotation_time: int | None = None
    next_rotation_time: int | None = None
    event_subscriptions: list[str] = Field(default_factory=list)
    enterprise_project_id: str | None = None
    rotation_func_urn: str | None = None


class PageInfo(_Model):
    next_marker: str | None = None
    previous_marker: str | None = None
    current_count: int | None = None


class SecretPage(_Model):
    secrets: list[Secret] = Field(default_factory=list)
    page_info: PageInfo = Field(default_factory=PageInfo)


class VersionMetadata(_Model):
    id: str
    create_time: int | None = None
    expire_time: int | None = None
    kms_key_id: str | None = None
    secret_name: str | None = None
    version_stages: list[str] = Field(default_factory=list)


class SecretVersion(_Model):
    """A version with its value; the value prints as ``**********`` until asked for explicitly."""

    version_metadata: VersionMetadata
    secret_string: SecretStr | None = None
    secret_binary: SecretStr | None = None

    def binary(self) -> bytes | None:
        """The decoded ``secret_binary`` (it travels base64-encoded)."""
        if self.secret_binary is None:
            return None
        return base64.b64decode(self.secret_binary.get_secret_value())


class VersionPage(_Model):
    version_metadatas: list[VersionMetadata] = Field(default_factory=list)
    page_info: PageInfo = Field(default_factory=PageInfo)


class Stage(_Model):
    name: str
    version_id: str
    secret_name: str | None = None
    update_time: int | None = None


class Tag(_Model):
    key: str
    value: str = ""


class SecretTags(_Model):
    tags: list[Tag] = Field(default_factory=list)
    sys_tags: list[Tag] = Field(default_factory=list)


class ProjectTag(_Model):
    key: str
    values: list[str] = Field(default_factory=list)


class ResourceInstance(_Model):
    resource_id: str
    resource_name: str = ""
    resource_detail: Secret | None = None
    tags: list[Tag] = Field(default_factory=list)
    sys_tags: list[Tag] = Field(default_factory=list)


class ResourceInstancePage(_Model):
    resources: list[ResourceInstance] = Field(default_factory=list)
    total_count: int = 0


class NotificationTarget(_Model):
    """Where an event notifies: an SMN topic (``target_id`` is the topic URN)."""

    target_id: str
    target_name: str
    target_type: str = "SMN"


class SecretEvent(_Model):
    name: str
    event_id: str | None = None
    event_types: list[str] = Field(default_factory=list)
    state: str | None = None
    create_time: int | None = None
    update_time: int | None = None
    notification: NotificationTarget | None = None


class SecretEventPage(_Model):
    events: list[SecretEvent] = Field(default_factory=list)
    page_info: PageInfo = Field(default_factory=PageInfo)


class NotificationRecord(_Model):
    event_name: str | None = None
    trigger_event_type: str | None = None
    create_time: int | None = None
    secret_name: str | None = None
    secret_type: str | None = None
    notification_target_name: str | None = None
    notification_target_id: str | None = None
    notification_content: str | None = None
    notification_status: str | None = None


class RotationResult(_Model):
    version_id: str | None = None
    secret_name: str | None = None
    rotation_task_id: str | None = None


# Path templates of the operations on one secret (by name), its versions and stages, tags (by secret id) and
# events; see :func:`shared.clients.base.build_path`.
_BY_NAME = "/v1/{project_id}/secrets/{secret_name}"
_VERSION = _BY_NAME + "/versions/{version_id}"
_STAGE = _BY_NAME + "/stages/{stage_name}"
_TAGS = "/v1/{project_id}/csms/{secret_id}/tags"
_EVENT = "/v1/{project_id}/csms/events/{event_name}"

TagFilter = Mapping[str, Sequence[str]]
"""``{key: [values...]}``: keys AND-ed, values OR-ed, an empty list means "has the key"."""


def _plain(value: str | SecretStr | None) -> str | None:
    return value.get_secret_value() if isinstance(value, SecretStr) else value


def _value_fields(secret_string: str | SecretStr | None, secret_binary: bytes | None) -> dict[str, Any]:
    if (secret_string is None) == (secret_binary is None):
        raise ValueError("give exactly one of secret_string and secret_binary")
    return {
        "secret_string": _plain(secret_string),
        "secret_binary": None if secret_binary is None else base64.b64encode(secret_binary).decode(),
    }


def _tag_items(tags: Iterable[Tag | tuple[str, str]] | Mapping[str, str]) -> list[dict[str, str]]:
    if isinstance(tags, Mapping):
        return [{"key": k, "value": v} for k, v in tags.items()]
    out = []
    for tag in tags:
        key, value = (tag.key, tag.value) if isinstance(tag, Tag) else tag
        out.append({"key": key, "value": value})
    return out


def _resource_filter(tags: TagFilter | None, name_contains: str | None) -> dict[str, Any]:
    body: dict[str, Any] = {}
    if tags:
        body["tags"] = [{"key": k, "values": list(v)} for k, v in tags.items()]
    if name_contains is not None:
        body["matches"] = [{"key": "resource_name", "value": name_contains}]
    return body


class CsmsClient(ServiceClient):
    """One async method per CSMS operation used by opsfn; errors arrive as typed ``CloudError``."""

    service: ClassVar[str] = "csms"

    # ------------------------------------------------------------------------------------- secrets
    async def create_secret(
        self,
        name: str,
        *,
        secret_string: str | SecretStr | None = None,
        secret_binary: bytes | None = None,
        kms_key_id: str | None = None,
        description: str | None = None,
        secret_type: str | None = None,
        auto_rotation: bool | None = None,
        rotation_period: str | None = None,
        rotation_config: str | None = None,
        event_subscriptions: Sequence[str] | None = None,
        enterprise_project_id: str | None = None,
        rotation_func_urn: str | None = None,
    ) -> Secret:
        body = without_none(
            {
                "name": name,
                **_value_fields(secret_string, secret_binary),
                "kms_key_id": kms_key_id,
                "description": description,
                "secret_type": secret_type,
                "auto_rotation": auto_rotation,
                "rotation_period": rotation_period,
                "rotation_config": rotation_config,
                "event_subscriptions": None if event_subscriptions is None else list(event_subscriptions),
                "enterprise_project_id": enterprise_project_id,
                "rotation_func_urn": rotation_func_urn,
            }
        )
        data = await self._request("POST", "/v1/{project_id}/secrets", json=body)
        return Secret.model_validate(data["secret"])

    async def show_secret(self, name: str) -> Secret:
        data = await self._request("GET", _BY_NAME, {"secret_name": name})
        return Secret.model_validate(data["secret"])

    async def list_secrets(
        self, *, limit: int | None = None, marker: str | None = None, event_name: str | None = None
    ) -> SecretPage:
        params = {"limit": None if limit is None else str(limit), "marker": marker, "event_name": event_name}
        data = await self._request("GET", "/v1/{project_id}/secrets", params=params)
        return SecretPage.model_validate(data)

    def iter_secrets(self, *, limit: int = 50, event_name: str | None = None) -> AsyncIterator[Secret]:
        """Every secret (optionally only those subscribed to ``event_name``), page by page."""

        async def fetch(marker: str | None) -> tuple[list[Secret], str | None]:
            page = await self.list_secrets(limit=limit, marker=marker, event_name=event_name)
            return page.secrets, page.page_info.next_marker

        return paginate_markers(fetch, limit=limit)

    async def update_secret(
        self,
        name: str,
        *,
        kms_key_id: str | None = None,
        description: str | None = None,
        auto_rotation: bool | None = None,
        rotation_period: str | None = None,
        event_subscriptions: Sequence[str] | None = None,
        rotation_func_urn: str | None = None,
    ) -> Secret:
        body = without_none(
            {
                "kms_key_id": kms_key_id,
                "description": description,
                "auto_rotation": auto_rotation,
                "rotation_period": rotation_period,
                "event_subscriptions": None if event_subscriptions is None else list(event_subscriptions),
                "rotation_func_urn": rotation_func_urn,
            }
        )
        data = await self._request("PUT", _BY_NAME, {"secret_name": name}, json=body)
        return Secret.model_validate(data["secret"])

    async def delete_secret(self, name: str) -> None:
        """Delete at once, with every version (no recovery window; see :meth:`schedule_secret_deletion`)."""
        await self._request("DELETE", _BY_NAME, {"secret_name": name})

    async def schedule_secret_deletion(self, name: str, recovery_window_in_days: int = 30) -> Secret:
        """Mark the secret PENDING_DELETE for 7-30 days; its values cannot be read until restored."""
        data = await self._request(
            "POST",
            _BY_NAME + "/scheduled-deleted-tasks/create",
            {"secret_name": name},
            json={"recovery_window_in_days": recovery_window_in_days},
        )
        return Secret.model_validate(data["secret"])

    async def restore_secret(self, name: str) -> Secret:
        """Cancel a scheduled deletion."""
        path = _BY_NAME + "/scheduled-deleted-tasks/cancel"
        data = await self._request("POST", path, {"secret_name": name}, json={})
        return Secret.model_validate(data["secret"])

    async def rotate_secret(self, name: str) -> RotationResult:
        """Rotate now: CSMS writes a new SYSCURRENT version and moves the old one to SYSPREVIOUS."""
        data = await self._request("POST", _BY_NAME + "/rotate", {"secret_name": name}, json={})
        return RotationResult.model_validate(data or {})

    # ------------------------------------------------------------------------------------- versions
    async def create_secret_version(
        self,
        name: str,
        *,
        secret_string: str | SecretStr | None = None,
        secret_binary: bytes | None = None,
        version_stages: Sequence[str] | None = None,
        expire_time: int | None = None,
    ) -> VersionMetadata:
        """Store a new value; without ``version_stages`` it becomes SYSCURRENT (the old one SYSPREVIOUS)."""
        body = without_none(
            {
                **_value_fields(secret_string, secret_binary),
                "version_stages": None if version_stages is None else list(version_stages),
                "expire_time": expire_time,
            }
        )
        data = await self._request("POST", _BY_NAME + "/versions", {"secret_name": name}, json=body)
        return VersionMetadata.model_validate(data["version_metadata"])

    async def show_secret_version(self, name: str, version_id: str = "latest") -> SecretVersion:
        """A version with its value; ``latest`` is the SYSCURRENT version."""
        data = await self._request("GET", _VERSION, {"secret_name": name, "version_id": version_id})
        return SecretVersion.model_validate(data["version"])

    async def list_secret_versions(
        self, name: str, *, limit: int | None = None, marker: str | None = None
    ) -> VersionPage:
        params = {"limit": limit, "marker": marker}
        path = _BY_NAME + "/versions"
        data = await self._request("GET", path, {"secret_name": name}, params=params)
        return VersionPage.model_validate(data)

    def iter_secret_versions(self, name: str, *, limit: int = 50) -> AsyncIterator[VersionMetadata]:
        async def fetch(marker: str | None) -> tuple[list[VersionMetadata], str | None]:
            page = await self.list_secret_versions(name, limit=limit, marker=marker)
            return page.version_metadatas, page.page_info.next_marker

        return paginate_markers(fetch, limit=limit)

    async def update_version(self, name: str, version_id: str, *, expire_time: int) -> VersionMetadata:
        values = {"secret_name": name, "version_id": version_id}
        data = await self._request("PUT", _VERSION, values, json={"expire_time": expire_time})
        return VersionMetadata.model_validate(data["version_metadata"])

    async def show_secret_stage(self, name: str, stage: str) -> Stage:
        data = await self._request("GET", _STAGE, {"secret_name": name, "stage_name": stage})
        return Stage.model_validate(data["stage"])

    async def update_secret_stage(self, name: str, stage: str, version_id: str) -> Stage:
        """Point ``stage`` at ``version_id`` (the one atomic step that switches what readers get)."""
        values = {"secret_name": name, "stage_name": stage}
        data = await self._request("PUT", _STAGE, values, json={"version_id": version_id})
        return Stage.model_validate(data["stage"])

    async def delete_secret_stage(self, name: str, stage: str) -> None:
        await self._request("DELETE", _STAGE, {"secret_name": name, "stage_name": stage})

    # ------------------------------------------------------------------------------------- tags
    async def create_secret_tag(self, secret_id: str, key: str, value: str = "") -> None:
        """Add or overwrite one tag; addressed by secret **id**, not name."""
        body = {"tag": {"key": key, "value": value}}
        await self._request("POST", _TAGS, {"secret_id": secret_id}, json=body, retry_safe=True)

    async def delete_secret_tag(self, secret_id: str, key: str) -> None:
        await self._request("DELETE", _TAGS + "/{tag_key:text}", {"secret_id": secret_id, "tag_key": key})

    async def list_secret_tags(self, secret_id: str) -> SecretTags:
        data = await self._request("GET", _TAGS, {"secret_id": secret_id})
        return SecretTags.model_validate(data)

    async def batch_create_or_delete_tags(
        self,
        secret_id: str,
        action: Literal["create", "delete"],
        tags: Iterable[Tag | tuple[str, str]] | Mapping[str, str],
        *,
        sequence: str | None = None,
    ) -> None:
        """Create (overwrite) or delete several tags at once; both are safe to repeat."""
        body = without_none({"action": action, "tags": _tag_items(tags), "sequence": sequence})
        await self._request("POST", _TAGS + "/action", {"secret_id": secret_id}, json=body, retry_safe=True)

    async def list_project_secrets_tags(self) -> list[ProjectTag]:
        """Every tag key in the project with the values in use."""
        data = await self._request("GET", "/v1/{project_id}/csms/tags")
        return [ProjectTag.model_validate(t) for t in (data or {}).get("tags", [])]

    # ------------------------------------------------------------------------------------- resource instances
    async def list_resource_instances(
        self,
        *,
        tags: TagFilter | None = None,
        name_contains: str | None = None,
        limit: int = 10,
        offset: int = 0,
        sequence: str | None = None,
    ) -> ResourceInstancePage:
        """One page of secrets matching ``tags`` and the fuzzy ``name_contains`` (``matches``)."""
        body = _resource_filter(tags, name_contains)
        body.update(action="filter", limit=str(limit), offset=str(offset))
        if sequence is not None:
            body["sequence"] = sequence
        data = await self._request(
            "POST", "/v1/{project_id}/csms/resource_instances/action", json=body, retry_safe=True
        )
        return ResourceInstancePage.model_validate(data)

    def iter_resource_instances(
        self,
        *,
        tags: TagFilter | None = None,
        name_contains: str | None = None,
        page_size: int = RESOURCE_PAGE_MAX,
    ) -> AsyncIterator[ResourceInstance]:
        """Every matching secret, walking ``offset`` until a short page or ``total_count``."""

        async def fetch(offset: int, limit: int) -> tuple[list[ResourceInstance], int | None]:
            page = await self.list_resource_instances(
                tags=tags, name_contains=name_contains, limit=limit, offset=offset
            )
            return page.resources, page.total_count

        return paginate(fetch, limit=page_size)

    async def count_resource_instances(
        self, *, tags: TagFilter | None = None, name_contains: str | None = None
    ) -> int:
        body = {"action": "count", **_resource_filter(tags, name_contains)}
        data = await self._request(
            "POST", "/v1/{project_id}/csms/resource_instances/action", json=body, retry_safe=True
        )
        return int(data["total_count"])

    # ------------------------------------------------------------------------------------- events
    async def create_secret_event(
        self,
        name: str,
        event_types: Sequence[str],
        target: NotificationTarget,
        *,
        state: Literal["ENABLED", "DISABLED"] = "ENABLED",
    ) -> SecretEvent:
        body = {
            "name": name,
            "event_types": list(event_types),
            "state": state,
            "notification": target.model_dump(),
        }
        data = await self._request("POST", "/v1/{project_id}/csms/events", json=body)
        return SecretEvent.model_validate(data["event"])

    async def show_secret_event(self, name: str) -> SecretEvent:
        data = await self._request("GET", _EVENT, {"event_name": name})
        return SecretEvent.model_validate(data["event"])

    async def list_secret_events(
        self, *, limit: int | None = None, marker: str | None = None
    ) -> SecretEventPage:
        params = {"limit": None if limit is None else str(limit), "marker": marker}
        data = await self._request("GET", "/v1/{project_id}/csms/events", params=params)
        return SecretEventPage.model_validate(data)

    def iter_secret_events(self, *, limit: int = 50) -> AsyncIterator[SecretEvent]:
        async def fetch(marker: str | None) -> tuple[list[SecretEvent], str | None]:
            page = await self.list_secret_events(limit=limit, marker=marker)
            return page.events, page.page_info.next_marker

        return paginate_markers(fetch, limit=limit)

    async def update_secret_event(
        self,
        name: str,
        *,
        state: Literal["ENABLED", "DISABLED"] | None = None,
        event_types: Sequence[str] | None = None,
        target: NotificationTarget | None = None,
    ) -> SecretEvent:
        body = without_none(
            {
                "state": state,
                "event_types": None if event_types is None else list(event_types),
                "notification": None if target is None else target.model_dump(),
            }
        )
        data = await self._request("PUT", _EVENT, {"event_name": name}, json=body)
        return SecretEvent.model_validate(data["event"])

    async def delete_secret_event(self, name: str) -> None:
        await self._request("DELETE", _EVENT, {"event_name": name})

    async def list_notification_records(self) -> list[NotificationRecord]:
        """What CSMS sent to SMN for this project's events, newest first."""
        data = await self._request("GET", "/v1/{project_id}/csms/notification-records")
        return [NotificationRecord.model_validate(r) for r in (data or {}).get("records", [])]
