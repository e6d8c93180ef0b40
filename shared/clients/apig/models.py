"""Pydantic models of the APIG (dedicated, V2) resources the functions use.

Only fields a caller acts on are typed; unknown fields are ignored, so a service that adds fields cannot
break a function. Timestamps stay strings: the document's own examples contain unparseable ones
(``22020-08-04T04:02:22Z``, ``...55Z.866474185Z``) and nothing here computes with them. Secrets
(``app_secret``, ``sign_secret``) are :class:`~pydantic.SecretStr`, so printing or logging a model never shows
them; call ``.get_secret_value()`` where the value is really needed.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from pydantic import BaseModel, ConfigDict, Field, SecretStr

__all__ = [
    "RELEASE_ENV_ID",
    "AclBinding",
    "AclOfApi",
    "AclPolicy",
    "Api",
    "ApiGroup",
    "ApiOutline",
    "ApiVersion",
    "App",
    "AppAuth",
    "AppAuthResult",
    "AppCode",
    "BatchFailure",
    "BatchPublishResult",
    "DebugResult",
    "EnvVariable",
    "Environment",
    "Gateway",
    "ImportResult",
    "Page",
    "PublishRecord",
    "SignBinding",
    "SignatureKey",
    "Throttle",
    "ThrottleBinding",
]

T = TypeVar("T")

RELEASE_ENV_ID = "DEFAULT_ENVIRONMENT_RELEASE_ID"


class _Model(BaseModel):
    model_config = ConfigDict(defer_build=True, extra="ignore", populate_by_name=True, frozen=False)


@dataclass
class Page(Generic[T]):
    """One page of a list call: the items and the service's ``total`` of matching records."""

    items: list[T]
    total: int
    offset: int = 0


class Gateway(_Model):
    """A dedicated APIG instance (3.24)."""

    id: str
    instance_name: str = ""
    status: str = ""
    spec: str = ""


class ApiGroup(_Model):
    id: str
    name: str
    status: int = 1
    sl_domain: str = ""
    sl_domains: list[str] = Field(default_factory=list)
    remark: str | None = None
    register_time: str = ""
    update_time: str = ""


class Environment(_Model):
    id: str
    name: str
    remark: str | None = None
    create_time: str = ""


class EnvVariable(_Model):
    id: str
    group_id: str
    env_id: str
    variable_name: str
    variable_value: str


class Api(_Model):
    """An API definition (3.5.5; list items and runtime definitions carry a subset).

    ``definition`` keeps the whole JSON object the service returned, so a function can modify a definition
    and send it back (3.5.2 needs the complete definition) without this model knowing every backend field.
    """

    id: str
    name: str
    group_id: str
    group_name: str = ""
    type: int = 1
    req_protocol: str = "HTTPS"
    req_method: str
    req_uri: str
    auth_type: str
    backend_type: str = ""
    match_mode: str = "NORMAL"
    remark: str | None = None
    version: str | None = None
    tags: list[str] = Field(default_factory=list)
    run_env_id: str = ""
    run_env_name: str = ""
    publish_id: str = ""
    definition: dict[str, Any] = Field(default_factory=dict, exclude=True, repr=False)

    @classmethod
    def from_wire(cls, data: dict[str, Any]) -> Api:
        return cls.model_validate({**data, "definition": data})

    def published_env_ids(self) -> list[str]:
        """Environments the API is published in (the service joins several ids with ``|``)."""
        return [e for e in self.run_env_id.split("|") if e]

    def publish_ids(self) -> dict[str, str]:
        """Publish record id by environment id, from the joined ``run_env_id``/``publish_id`` fields."""
        return dict(zip(self.published_env_ids(), [p for p in self.publish_id.split("|") if p], strict=False))


class PublishRecord(_Model):
    """Answer of publish/offline (3.5.4), each batch success (3.5.8) and switch version (3.5.10)."""

    publish_id: str
    api_id: str
    env_id: str
    version_id: str = ""
    api_name: str = ""
    remark: str | None = None
    publish_time: str = ""


class BatchFailure(_Model):
    api_id: str
    api_name: str = ""
    error_code: str = ""
    error_msg: str = ""


class BatchPublishResult(_Model):
    """3.5.8 answers 200 even when some APIs failed: always look at :attr:`failure`."""

    success: list[PublishRecord] = Field(default_factory=list)
    failure: list[BatchFailure] = Field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.failure


class ApiVersion(_Model):
    version_id: str
    version_no: str = ""
    api_id: str
    env_id: str
    env_name: str = ""
    remark: str | None = None
    publish_time: str = ""
    status: int = 2

    @property
    def in_effect(self) -> bool:
        return self.status == 1


class SignatureKey(_Model):
    id: str
    name: str
    sign_type: str = "hmac"
    sign_key: str = ""
    sign_secret: SecretStr = SecretStr("")
    sign_algorithm: str | None = None
    create_time: str = ""
    update_time: str = ""
    bind_num: int | None = None


class SignBinding(_Model):
    """A signature key bound to one publish record (3.7.1, 3.7.3, 3.7.5)."""

    id: str
    sign_id: str
    sign_name: str = ""
    publish_id: str = ""
    api_id: str
    api_name: str = ""
    env_id: str
    env_name: str = ""
    binding_time: str = ""
    sign_key: str | None = None
    sign_secret: SecretStr | None = None
    sign_type: str = ""


class ApiOutline(_Model):
    """A published API as the "not bound / not authorized" listings show it (with its ``publish_id``)."""

    id: str
    name: str
    group_id: str = ""
    group_name: str = ""
    run_env_id: str = ""
    run_env_name: str = ""
    publish_id: str = ""
    req_uri: str = ""
    auth_type: str = ""
    signature_name: str | None = None


class Throttle(_Model):
    id: str
    name: str
    api_call_limits: int
    time_interval: int
    time_unit: str
    user_call_limits: int | None = None
    app_call_limits: int | None = None
    ip_call_limits: int | None = None
    type: int = 1
    remark: str | None = None
    bind_num: int | None = None
    env_name: str | None = None
    bind_id: str | None = None


class ThrottleBinding(_Model):
    id: str
    publish_id: str
    strategy_id: str
    apply_time: str = ""


class AclPolicy(_Model):
    id: str
    acl_name: str
    acl_type: str
    entity_type: str
    acl_value: str
    update_time: str = ""


class AclBinding(_Model):
    id: str
    api_id: str
    env_id: str
    acl_id: str
    create_time: str = ""


class AclOfApi(_Model):
    """An ACL policy bound to an API in one environment (3.15.6); ``bind_id`` is the binding's id."""

    acl_id: str
    acl_name: str = ""
    acl_type: str = ""
    entity_type: str = ""
    env_id: str = ""
    env_name: str = ""
    bind_id: str = ""
    bind_time: str = ""


class App(_Model):
    id: str
    name: str
    remark: str | None = None
    app_key: str = ""
    app_secret: SecretStr = SecretStr("")
    creator: str = "USER"
    status: int = 1
    register_time: str = ""
    update_time: str = ""
    bind_num: int | None = None


class AppCode(_Model):
    id: str
    app_id: str
    app_code: SecretStr
    create_time: str = ""


class AuthOutcome(_Model):
    status: str
    error_code: str | None = None
    error_msg: str | None = None


class AppAuthResult(_Model):
    """One (API, APP) pair of a grant (3.10.1): the call is 201 even when this pair FAILED."""

    api_id: str
    app_id: str
    id: str | None = None
    auth_result: AuthOutcome
    auth_time: str = ""

    @property
    def ok(self) -> bool:
        return self.auth_result.status in ("SUCCESS", "SKIPPED")


class AppAuth(_Model):
    """An existing authorization (3.10.3, 3.10.5)."""

    id: str
    api_id: str
    api_name: str = ""
    app_id: str
    app_name: str = ""
    env_id: str
    env_name: str = ""
    publish_id: str = ""
    auth_time: str = ""


class DebugResult(_Model):
    """3.5.7: the raw request and response texts; :attr:`status_code` parses the response's status line."""

    request: str = ""
    response: str = ""
    latency: int = 0
    log: str = ""

    @property
    def status_code(self) -> int:
        first = self.response.split("\r\n", 1)[0].split(" ")
        return int(first[1]) if len(first) > 1 and first[1].isdigit() else 0

    @property
    def body(self) -> str:
        return self.response.split("\r\n\r\n", 1)[1] if "\r\n\r\n" in self.response else ""


class ImportItem(_Model):
    path: str = ""
    method: str = ""
    action: str | None = None
    id: str | None = None
    error_code: str | None = None
    error_msg: str | None = None


class ImportResult(_Model):
    group_id: str = ""
    success: list[ImportItem] = Field(default_factory=list)
    failure: list[ImportItem] = Field(default_factory=list)
