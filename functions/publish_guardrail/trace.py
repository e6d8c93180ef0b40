"""Which APIs an APIG audit trace says were published, and to which environments.

CTS records APIG publishing under two naming sets (reference ``anchors.md``, CTS traces for APIG): the older
``publishApi`` / ``batchPublishOrOfflineApi`` / ``switchApiVersion`` and the newer
``CreateOrDeletePublishRecordForApi`` / ``BatchPublishOrOfflineApi`` / ``ChangeApiVersion``. Both are matched
case-insensitively, on ``trace_name`` first and then on ``operation_id`` (where SDK operation names such as
``CreateOrDeletePublishRecordForApiV2`` appear). The single and batch calls both publish and take offline;
only publishing is acted on.

What a trace carries is not documented field by field (the EventGrid ``data`` shape was not verified), so
the targets are read from every place the management API puts them, most specific first: the response's
publish records (3.5.4, 3.5.10, each ``success[]`` entry of 3.5.8), then the request (``api_id``,
``apis[]``), then the trace's ``resource_id``. ``request``/``response`` may be objects or JSON text. An
environment that cannot be found leaves the target open: every environment the API is published in is
checked then.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

__all__ = ["MAX_TARGETS", "Ignored", "PublishEvent", "PublishTrace", "Target", "TraceError", "classify"]

MAX_TARGETS = 1000
"""The batch publish limit (3.5.8): a trace naming more APIs is not one APIG wrote."""

_SINGLE = frozenset({"publishapi", "createordeletepublishrecordforapi"})
_BATCH = frozenset({"batchpublishorofflineapi"})
_SWITCH = frozenset({"switchapiversion", "changeapiversion"})
_ID = re.compile(r"[A-Za-z0-9_-]{1,64}")
_INSTANCE = re.compile(r"/apigw/instances/([A-Za-z0-9_-]{1,64})(?:/|$)")
_ACTION = re.compile(r"[?&]action=([A-Za-z]+)")


class TraceError(ValueError):
    """A publish trace whose targets cannot be read safely; the message names the field, not its value."""


class PublishTrace(BaseModel):
    """The trace fields the guardrail reads (CTS ``{"cts": {...}}`` or a CloudEvent's ``data``).

    Timestamps are left out on purpose: the CTS trigger normalises them and EventGrid may not, and the
    idempotency payload of one trace must be the same whichever way it arrives.
    """

    model_config = ConfigDict(extra="ignore", frozen=True)

    trace_id: str = Field("", max_length=128)
    trace_name: str = Field("", max_length=128)
    operation_id: str = Field("", max_length=128)
    service_type: str = Field("", max_length=64)
    resource_type: str = Field("", max_length=64)
    resource_id: str = Field("", max_length=256)
    resource_url: str = Field("", max_length=2048)
    message: str = Field("", max_length=4096)
    code: int | str | None = None
    request: Any = None
    response: Any = None
    user: Any = None

    @property
    def user_name(self) -> str:
        """Who made the call (``user.name``), for the notice; its access key id is not repeated."""
        name = self.user.get("name") if isinstance(self.user, dict) else None
        return name[:64] if isinstance(name, str) else ""


@dataclass(frozen=True)
class Target:
    """One published API; ``env_id`` empty means "every environment it is published in"."""

    api_id: str
    env_id: str = ""


Operation = Literal["publish", "batch_publish", "switch_version"]


@dataclass(frozen=True)
class PublishEvent:
    operation: Operation
    targets: tuple[Target, ...]
    instance_id: str = ""


@dataclass(frozen=True)
class Ignored:
    """A trace the guardrail has nothing to do about, and why (logged and answered, not an error)."""

    reason: str


def _operation(trace: PublishTrace) -> Operation | None:
    for name in (trace.trace_name, trace.operation_id):
        key = name.lower().removesuffix("v2")
        if key in _SINGLE:
            return "publish"
        if key in _BATCH:
            return "batch_publish"
        if key in _SWITCH:
            return "switch_version"
    return None


def _object(value: Any) -> dict[str, Any]:
    """``request``/``response`` as an object: CTS keeps them as objects or as JSON text (or empty)."""
    if isinstance(value, str) and value.strip().startswith("{"):
        try:
            value = json.loads(value)
        except (ValueError, RecursionError):
            return {}
    return value if isinstance(value, dict) else {}


def _id(value: Any, where: str, *, optional: bool = False) -> str:
    if (value is None or value == "") and optional:
        return ""
    if not isinstance(value, str) or not _ID.fullmatch(value):
        raise TraceError(f"{where} must be an APIG id (1-64 letters, digits, '_' or '-')")
    return value


def _action(trace: PublishTrace, request: dict[str, Any]) -> str:
    """``online``/``offline`` from the body (3.5.4) or the query of the recorded URL (3.5.8); ``""``."""
    action = request.get("action")
    if action is None:
        found = _ACTION.search(trace.resource_url) or _ACTION.search(trace.message)
        action = found.group(1) if found else ""
    if not isinstance(action, str) or action.lower() not in ("", "online", "offline"):
        raise TraceError("request.action must be online or offline")
    return action.lower()


def _records(response: dict[str, Any], key: str) -> list[Target]:
    items = response.get(key)
    if items is None:
        return []
    if not isinstance(items, list):
        raise TraceError(f"response.{key} must be a list")
    out = []
    for i, item in enumerate(items[: MAX_TARGETS + 1]):
        if not isinstance(item, dict):
            raise TraceError(f"response.{key}[{i}] must be an object")
        where = f"response.{key}[{i}]"
        out.append(
            Target(
                _id(item.get("api_id"), f"{where}.api_id"),
                _id(item.get("env_id"), f"{where}.env_id", optional=True),
            )
        )
    return out


def _targets(trace: PublishTrace, request: dict[str, Any], response: dict[str, Any]) -> list[Target]:
    targets = _records(response, "success")
    if targets:
        return targets
    env_id = _id(request.get("env_id") or response.get("env_id"), "env_id", optional=True)
    apis = request.get("apis")
    if apis is not None:
        if not isinstance(apis, list):
            raise TraceError("request.apis must be a list")
        targets = [
            Target(_id(a, f"request.apis[{i}]"), env_id) for i, a in enumerate(apis[: MAX_TARGETS + 1])
        ]
        if targets:
            return targets
    api_id = response.get("api_id") or request.get("api_id") or trace.resource_id
    if not api_id:
        raise TraceError("the trace names no API (response.api_id, request.api_id or resource_id)")
    return [Target(_id(api_id, "api_id"), env_id)]


def _instance(trace: PublishTrace) -> str:
    found = _INSTANCE.search(trace.resource_url) or _INSTANCE.search(trace.message)
    return found.group(1) if found else ""


def _failed(code: int | str | None) -> bool:
    text = str(code).strip() if code is not None else ""
    return text.isdigit() and int(text) >= 400


def classify(trace: PublishTrace, configured_instance: str = "") -> PublishEvent | Ignored:
    """The publish this trace records, or why there is nothing to check; :class:`TraceError` when a
    publish trace is malformed."""
    if trace.service_type and trace.service_type.upper() != "APIG":
        return Ignored(f"not an APIG trace (service_type {trace.service_type[:32]!r})")
    operation = _operation(trace)
    if operation is None:
        return Ignored(f"not a publish operation ({trace.trace_name[:64] or trace.operation_id[:64]!r})")
    if _failed(trace.code):
        return Ignored("the recorded call failed; nothing was published")
    request, response = _object(trace.request), _object(trace.response)
    if operation != "switch_version" and _action(trace, request) == "offline":
        return Ignored("an offline action; only publishing is checked")
    instance = _instance(trace)
    if instance and configured_instance and instance != configured_instance:
        return Ignored("the trace is about another APIG instance than OPSFN_APIG_INSTANCE_ID")
    targets = list(dict.fromkeys(_targets(trace, request, response)))
    if len(targets) > MAX_TARGETS:
        raise TraceError(f"the trace names more than {MAX_TARGETS} APIs (the batch publish limit)")
    return PublishEvent(operation, tuple(targets), instance)
