"""api_publish's inputs: the plain JSON request, the push payloads it is derived from, and the drift timer.

A webhook body is one of four forms, told apart by their own markers:

* plain JSON - ``{"commit": ..., "document": ..., "target": ..., ...}`` (:class:`PublishRequest`);
* GitHub ``push`` - ``after`` + ``repository.full_name`` (+ ``head_commit``);
* GitLab push / CodeArts Repo push (GitLab-compatible) - ``object_kind: push`` + ``checkout_sha``/``after``.

A push names only the commit; everything else comes from ``OPSFN_PUBLISH_CONFIG`` (the same fields as the
plain form, JSON), and ``{commit}`` in its ``document.url`` is replaced by the pushed commit. A push that
deletes a branch (``after`` all zeros) publishes nothing.
"""

from __future__ import annotations

import re
from typing import Any, Literal

from pydantic import BaseModel, Field, HttpUrl, model_validator

from functions.api_publish.smoke import SmokeCheck

__all__ = ["Delivery", "DocumentSource", "DriftInput", "PublishRequest", "Scope", "TargetSpec"]

_COMMIT = r"^[A-Za-z0-9._\-]{1,64}$"
_ID = r"^[A-Za-z0-9\-]{1,64}$"
_ZERO = re.compile(r"^0+$")


class DocumentSource(BaseModel):
    inline: dict[str, Any] | None = None
    path: str | None = Field(default=None, max_length=256)
    url: HttpUrl | None = None

    @model_validator(mode="after")
    def _exactly_one(self) -> DocumentSource:
        if sum(v is not None for v in (self.inline, self.path, self.url)) != 1:
            raise ValueError("give exactly one of inline, path or url")
        return self


class TargetSpec(BaseModel):
    cloud: Literal["huawei", "tencent"]
    instance_id: str = Field(default="", pattern=r"^[A-Za-z0-9\-]{0,64}$")
    group_id: str = Field(default="", pattern=r"^[A-Za-z0-9\-]{0,64}$")
    group_name: str = Field(default="", pattern=r"^([A-Za-z\u4e00-\u9fa5][A-Za-z0-9_\u4e00-\u9fa5]{2,63})?$")
    """Huawei: the group by name instead of id; created by the first apply when it does not exist yet."""
    service_id: str = Field(default="", pattern=r"^(service-[a-z0-9]{1,32})?$")
    environments: list[str] = Field(min_length=1, max_length=10)
    gateway_url: str = Field(default="", max_length=256)
    """Base URL the smoke checks call (default: the group's or service's own domain)."""

    @model_validator(mode="after")
    def _scope_id(self) -> TargetSpec:
        if self.cloud == "huawei" and not (self.group_id or self.group_name):
            raise ValueError("group_id or group_name is required for huawei")
        if self.cloud == "tencent" and not self.service_id:
            raise ValueError("service_id is required for tencent")
        for env in self.environments:
            if not re.fullmatch(r"[A-Za-z][A-Za-z0-9_]{2,63}", env):
                raise ValueError(f"environment {env!r}: 3-64 letters, digits or _")
        return self


class Scope(BaseModel):
    """The APIs this pipeline owns inside the group/service: name prefix and (Huawei) tag."""

    name_prefix: str = Field(default="", max_length=32)
    tag: str = Field(default="", pattern=r"^([A-Za-z][A-Za-z0-9_]{0,127})?$")


class PublishRequest(BaseModel):
    commit: str = Field(pattern=_COMMIT)
    document: DocumentSource
    target: TargetSpec
    scope: Scope = Field(default_factory=Scope)
    prune: bool = False
    mode: Literal["plan", "apply"] = "apply"
    smoke: list[SmokeCheck] = Field(default_factory=list, max_length=200)


class Delivery(BaseModel):
    """One webhook body reduced to the commit and the request fields it carries (none for a push)."""

    form: Literal["plain", "github", "gitlab"]
    commit: str = Field(pattern=_COMMIT)
    request: dict[str, Any] = Field(default_factory=dict)

    @model_validator(mode="before")
    @classmethod
    def _detect(cls, data: Any) -> Any:
        if not isinstance(data, dict) or "form" in data:
            return data
        if data.get("object_kind") in ("push", "tag_push"):
            return {"form": "gitlab", "commit": data.get("checkout_sha") or data.get("after") or ""}
        if "after" in data and isinstance(data.get("repository"), dict):
            return {"form": "github", "commit": data.get("after") or ""}
        return {"form": "plain", "commit": data.get("commit", ""), "request": data}

    @property
    def deletes_branch(self) -> bool:
        return self.form != "plain" and bool(_ZERO.fullmatch(self.commit))

    def key(self) -> str:
        """Idempotency key: the commit, plus the target and mode the body names (plain form).

        Computed before the request is validated (the key comes first in the runtime), so a ``target`` of
        the wrong type counts as no target here and is refused with field messages afterwards."""
        raw = self.request.get("target")
        target: dict[str, Any] = raw if isinstance(raw, dict) else {}
        where = (
            f"{target.get('group_id') or target.get('service_id') or ''}:{target.get('environments') or ''}"
        )
        return f"{self.commit}:{self.request.get('mode', 'apply')}:{where}"


class DriftInput(BaseModel):
    """The drift timer's input: the target to check (fields as in a request's ``target``/``scope``)."""

    target: TargetSpec | None = None
    scope: Scope = Field(default_factory=Scope)
