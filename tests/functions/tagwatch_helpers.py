"""Seeding CSMS secrets with tags and a chosen last-rotation time, and events about them."""

from __future__ import annotations

import json
import uuid
from collections.abc import Mapping
from typing import Any

from devkit.emulator.core import Call, Emulator
from devkit.emulator.services.csms import CsmsBackend, Secret
from tests.functions.conftest import PROJECT

DAY = 86400


def csms_backend(emulator: Emulator) -> CsmsBackend:
    backend: CsmsBackend = emulator.service("csms").backend(PROJECT)
    return backend


def add_secret(
    backend: CsmsBackend, name: str, tags: Mapping[str, str], moved_at: float, *, state: str = "ENABLED"
) -> Secret:
    """A secret whose SYSCURRENT stage last moved at ``moved_at`` (epoch seconds), tagged as given."""
    secret = Secret(
        id=str(uuid.uuid4()), name=name, kms_key_id="k", description=None, secret_type="COMMON",
        create_time=0, update_time=0, state=state,
    )  # fmt: skip
    backend.add_secret(secret)
    backend.add_version(secret, json.dumps({"kind": "test"}), None, ["SYSCURRENT"], None)
    secret.stages["SYSCURRENT"] = (secret.versions[-1].id, int(moved_at))
    for key, value in tags.items():
        backend.tag(secret, key, value)
    return secret


def good_tags(**overrides: str) -> dict[str, str]:
    tags = {"rotation": "enabled", "rotation-kind": "apig-app", "rotation-schedule": "30", "owner": "team-a"}
    tags.update({k.replace("_", "-"): v for k, v in overrides.items()})
    return tags


class Spy:
    """Records the operation and JSON body of every call the emulator serves."""

    def __init__(self, emulator: Emulator) -> None:
        self.calls: list[tuple[str, dict[str, str], Any]] = []
        emulator.before_dispatch.append(self)

    def __call__(self, call: Call) -> None:
        body = call.json() if call.method == "POST" and call.service == "csms" else None
        self.calls.append((call.operation, dict(call.path_params), body))

    def of(self, operation: str) -> list[tuple[dict[str, str], Any]]:
        return [(params, body) for op, params, body in self.calls if op == operation]


def cts_event(secret_name: str, trace_name: str = "batchCreateOrDeleteTags", **fields: Any) -> dict[str, Any]:
    """A FunctionGraph CTS trigger event for a tag operation on ``secret_name``."""
    trace = {
        "time": 1765788999507,
        "user": {"name": "alice", "id": "u1", "domain": {"name": "d", "id": "d1"}},
        "request": {},
        "response": {},
        "code": 200,
        "service_type": "CSMS",
        "resource_type": "secret",
        "resource_name": secret_name,
        "resource_id": "id-" + secret_name,
        "trace_name": trace_name,
        "trace_type": "ApiCall",
        "record_time": 1765788999507,
        "trace_id": str(uuid.uuid4()),
        "trace_status": "normal",
    }
    trace.update(fields)
    return {"cts": trace}


def smn_event(message: Any, topic: str = "urn:smn:cn-north-4:p:csms-events") -> dict[str, Any]:
    """A FunctionGraph SMN trigger event carrying ``message`` (JSON-encoded unless a string)."""
    text = message if isinstance(message, str) else json.dumps(message)
    return {
        "record": [
            {
                "event_version": "1.0",
                "smn": {
                    "topic_urn": topic,
                    "timestamp": "2026-11-23T07:11:40Z",
                    "message_attributes": None,
                    "message": text,
                    "type": "notification",
                    "message_id": uuid.uuid4().hex,
                    "subject": "CSMS event",
                },
                "event_subscription_urn": "urn:fss:cn-north-4:p:function:default:secret_tag_watch:latest",
                "event_source": "smn",
            }
        ],
        "functionname": "secret_tag_watch",
        "requestId": str(uuid.uuid4()),
        "timestamp": "Tue Nov 23 2026 15:11:40 GMT+0800 (CST)",
    }
