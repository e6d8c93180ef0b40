"""Which secret an event is about: a CTS trace of a tag operation, or a CSMS event notification via SMN.

CTS: ``service_type`` must be ``CSMS`` and ``trace_name`` one of the configured tag operations
(``OPSFN_TAGWATCH_TRACE_NAMES``, compared case-insensitively). CSMS's own trace names for secret tag
operations are not in the documents opsfn is built from, so the default list covers the names of the CSMS
API operations (``createSecretTag``, ``deleteSecretTag``, ``batchCreateOrDeleteTags``) and the names other
Huawei services' tag operations are traced under (``createResourceTag``, ``deleteResourceTag``,
``batchCreateResourceTags``, ``batchDeleteResourceTags``, ``dealUnifiedTags``); check a real trace in the CTS
console and set the variable if they differ. A failed operation (``trace_status`` other than ``normal``) or
a trace without a ``resource_name`` changes nothing and is ignored.

SMN: CSMS publishes a JSON message per event (``SECRET_VERSION_CREATED``, ``SECRET_VERSION_EXPIRED``,
``SECRET_ROTATED``...); its layout is not documented either, so ``secret_name`` is read from the top level
or from ``secret``/``data`` objects. An expired version is rotated at once, whatever the schedule says.
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict

__all__ = ["DEFAULT_TRACE_NAMES", "FORCING_EVENTS", "WatchEvent", "cts_secret", "smn_secret"]

DEFAULT_TRACE_NAMES = (
    "createSecretTag",
    "deleteSecretTag",
    "batchCreateOrDeleteTags",
    "createResourceTag",
    "deleteResourceTag",
    "batchCreateResourceTags",
    "batchDeleteResourceTags",
    "dealUnifiedTags",
)
FORCING_EVENTS = frozenset({"SECRET_VERSION_EXPIRED"})
_NAME_MAX = 64


class WatchEvent(BaseModel):
    """A CTS trace or a CSMS notification; only the fields used here are typed, the rest is kept."""

    model_config = ConfigDict(extra="allow", frozen=True)

    service_type: str = ""
    trace_name: str = ""
    trace_status: str = ""
    resource_name: str = ""
    secret_name: str = ""
    trigger_event_type: str = ""
    secret: Any = None
    data: Any = None


def _usable(name: Any) -> str | None:
    return name if isinstance(name, str) and 0 < len(name) <= _NAME_MAX else None


def cts_secret(event: WatchEvent, trace_names: tuple[str, ...]) -> tuple[str | None, str]:
    """``(secret name, "")`` for a trace to act on, else ``(None, why it is ignored)``."""
    if event.service_type.upper() != "CSMS":
        return None, f"service_type {event.service_type!r} is not CSMS"
    wanted = {n.lower() for n in (trace_names or DEFAULT_TRACE_NAMES)}
    if event.trace_name.lower() not in wanted:
        return None, f"trace {event.trace_name!r} is not a configured tag operation"
    if event.trace_status and event.trace_status.lower() != "normal":
        return None, f"the traced operation did not succeed (trace_status {event.trace_status!r})"
    name = _usable(event.resource_name)
    return (name, "") if name else (None, "the trace names no secret (resource_name)")


def smn_secret(event: WatchEvent) -> tuple[str | None, str]:
    """``(secret name, "")`` from a CSMS notification, else ``(None, why it is ignored)``."""
    for source in (event.secret_name, event.secret, event.data):
        found = source.get("secret_name") or source.get("name") if isinstance(source, dict) else source
        name = _usable(found)
        if name:
            return name, ""
    return None, "the notification names no secret (secret_name)"
