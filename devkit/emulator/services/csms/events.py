"""CSMS's event operations (SMN notifications of secret changes) and the notification records they leave."""

from __future__ import annotations

import uuid
from typing import Any

import httpx

from devkit.emulator.core import Call
from devkit.emulator.services.csms import rules
from devkit.emulator.services.csms.handlers import DEFAULT_PAGE
from devkit.emulator.services.csms.rules import no_content, ok, request_body
from devkit.emulator.services.csms.state import CsmsBackend, Event, update_fields


def create_event(call: Call, backend: CsmsBackend) -> httpx.Response:
    body = request_body(call)
    now = backend.now()
    event = Event(
        name=rules.check_name(body.get("name")),
        event_id=str(uuid.uuid4()),
        event_types=_event_types(body, True) or [],
        state=_event_state(body, True) or "ENABLED",
        notification=_notification(body, True) or {},
        create_time=now,
        update_time=now,
    )
    backend.add_event(event)
    return ok({"event": event.view()})


def list_events(call: Call, backend: CsmsBackend) -> httpx.Response:
    limit = rules.page_limit(call.query.get("limit"), DEFAULT_PAGE)
    return ok(backend.list_events(limit, call.query.get("marker") or None))


def show_event(call: Call, backend: CsmsBackend) -> httpx.Response:
    return ok({"event": backend.get_event(call.path_params["event_name"]).view()})


def update_event(call: Call, backend: CsmsBackend) -> httpx.Response:
    event = backend.get_event(call.path_params["event_name"])
    body = request_body(call)
    types, state, notification = (
        _event_types(body, False),
        _event_state(body, False),
        _notification(body, False),
    )
    update_fields(event, event_types=types, state=state, notification=notification)
    event.update_time = backend.now()
    return ok({"event": event.view()})


def delete_event(call: Call, backend: CsmsBackend) -> httpx.Response:
    backend.remove_event(call.path_params["event_name"])
    return no_content()


def list_records(call: Call, backend: CsmsBackend) -> httpx.Response:
    records = list(backend.records)
    page = {"next_marker": None, "previous_marker": None, "current_count": len(records)}
    return ok({"records": records, "page_info": page})


def _event_types(body: dict[str, Any], required: bool) -> list[str] | None:
    types = rules.str_list(body, "event_types")
    if types is None:
        if required:
            rules.invalid("event_types is required")
        return None
    if not 1 <= len(types) <= len(rules.EVENT_TYPES):
        rules.invalid("event_types must hold at least one event type")
    if len(set(types)) != len(types) or not set(types) <= rules.EVENT_TYPES:
        rules.invalid("event_types must be distinct, known event types")
    return types


def _event_state(body: dict[str, Any], required: bool) -> str | None:
    state = rules.opt_str(body, "state")
    if state is None and not required:
        return None
    if state not in rules.EVENT_STATES:
        rules.invalid("state must be ENABLED or DISABLED")
    return state


def _notification(body: dict[str, Any], required: bool) -> dict[str, str] | None:
    raw = body.get("notification")
    if raw is None:
        if required:
            rules.invalid("notification is required")
        return None
    if not isinstance(raw, dict):
        rules.bad_body("notification must be an object")
    if raw.get("target_type") != "SMN":
        rules.invalid("notification target_type must be SMN")
    target_id, target_name = raw.get("target_id"), raw.get("target_name")
    if not isinstance(target_id, str) or not target_id or not isinstance(target_name, str) or not target_name:
        rules.invalid("notification needs target_id (the SMN topic URN) and target_name")
    return {"target_type": "SMN", "target_id": target_id, "target_name": target_name}
