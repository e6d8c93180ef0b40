"""Secret events and their notifications through the emulator's SMN, plus notification records."""

from __future__ import annotations

import json
from typing import Any

import httpx
import pytest

from devkit.emulator.core import Emulator
from devkit.emulator.services.smn import SmnService
from shared.clients.csms import CsmsClient, NotificationTarget
from shared.errors import BadRequestError

ALL_TYPES = ["SECRET_VERSION_CREATED", "SECRET_ROTATED", "SECRET_DELETED", "SECRET_VERSION_EXPIRED"]


def _topic(emulator: Emulator, project_id: str, name: str = "csms-events") -> NotificationTarget:
    topic, _ = emulator.service("smn").backend(project_id).create_topic(name)
    return NotificationTarget(target_id=topic.topic_urn, target_name=name)


def _smn(emulator: Emulator) -> SmnService:
    smn = emulator.service("smn")
    assert isinstance(smn, SmnService)
    return smn


def _published(emulator: Emulator, target: NotificationTarget) -> list[dict[str, Any]]:
    return [json.loads(m.message) for m in _smn(emulator).messages(target.target_id)]


async def test_event_crud_and_paging(csms: CsmsClient, emulator: Emulator) -> None:
    target = _topic(emulator, csms.project_id)
    created = await csms.create_secret_event("ev-a", ["SECRET_ROTATED"], target)
    assert created.state == "ENABLED" and created.event_id and created.notification == target
    await csms.create_secret_event("ev-b", ["SECRET_DELETED"], target, state="DISABLED")
    await csms.create_secret_event("ev-c", ["SECRET_DELETED"], target)
    assert (await csms.show_secret_event("ev-b")).state == "DISABLED"
    first = await csms.list_secret_events(limit=2)
    assert [e.name for e in first.events] == ["ev-a", "ev-b"] and first.page_info.next_marker == "ev-b"
    assert [e.name async for e in csms.iter_secret_events(limit=2)] == ["ev-a", "ev-b", "ev-c"]
    updated = await csms.update_secret_event("ev-a", state="DISABLED", event_types=["SECRET_DELETED"])
    assert updated.state == "DISABLED" and updated.event_types == ["SECRET_DELETED"]
    await csms.delete_secret_event("ev-c")
    with pytest.raises(BadRequestError) as err:
        await csms.show_secret_event("ev-c")
    assert err.value.error_code == "CSMS.0005"
    with pytest.raises(BadRequestError) as dup:
        await csms.create_secret_event("ev-a", ["SECRET_ROTATED"], target)
    assert dup.value.error_code == "CSMS.0002"


@pytest.mark.parametrize(
    "body",
    [
        {"name": "bad name", "event_types": ["SECRET_ROTATED"], "state": "ENABLED"},
        {"name": "e", "event_types": [], "state": "ENABLED"},
        {"name": "e", "event_types": ["SECRET_TAGGED"], "state": "ENABLED"},
        {"name": "e", "event_types": ["SECRET_ROTATED", "SECRET_ROTATED"], "state": "ENABLED"},
        {"name": "e", "event_types": ["SECRET_ROTATED"], "state": "ON"},
        {"name": "e", "event_types": ["SECRET_ROTATED"], "state": "ENABLED", "notification": None},
        {"name": "e", "event_types": ["SECRET_ROTATED"], "state": "ENABLED",
         "notification": {"target_type": "EMAIL", "target_id": "x", "target_name": "x"}},
        {"name": "e", "event_types": ["SECRET_ROTATED"], "state": "ENABLED",
         "notification": {"target_type": "SMN", "target_id": "", "target_name": "x"}},
    ],
)  # fmt: skip
async def test_event_validation(csms: CsmsClient, raw: httpx.AsyncClient, body: dict[str, Any]) -> None:
    body.setdefault("notification", {"target_type": "SMN", "target_id": "urn:smn:r:p:t", "target_name": "t"})
    response = await raw.post(f"/v1/{csms.project_id}/csms/events", json=body)
    assert (response.status_code, response.json()["error"]["error_code"]) == (400, "CSMS.0002")


async def test_subscription_must_name_an_existing_event(csms: CsmsClient) -> None:
    with pytest.raises(BadRequestError) as err:
        await csms.create_secret("s", secret_string="v", event_subscriptions=["nope"])
    assert err.value.error_code == "CSMS.0005"


async def test_version_rotation_and_deletion_are_published_to_smn(
    csms: CsmsClient, emulator: Emulator
) -> None:
    target = _topic(emulator, csms.project_id)
    await csms.create_secret_event("watch", ALL_TYPES, target)
    await csms.create_secret("db", secret_string="super-secret-1", event_subscriptions=["watch"])
    await csms.create_secret_version("db", secret_string="super-secret-2")
    await csms.rotate_secret("db")
    await csms.delete_secret("db")
    messages = _published(emulator, target)
    assert [(m["trigger_event_type"], m["version_id"]) for m in messages] == [
        ("SECRET_VERSION_CREATED", "v2"),
        ("SECRET_ROTATED", "v3"),
        ("SECRET_DELETED", None),
    ]
    assert all(m["secret_name"] == "db" and m["event_name"] == "watch" for m in messages)
    raw_text = "".join(m.message for m in _smn(emulator).messages(target.target_id))
    assert "super-secret" not in raw_text  # notifications never carry the value
    records = await csms.list_notification_records()
    assert [r.trigger_event_type for r in records] == [
        "SECRET_DELETED",
        "SECRET_ROTATED",
        "SECRET_VERSION_CREATED",
    ]
    assert {r.notification_status for r in records} == {"SUCCESS"}
    assert records[0].notification_target_id == target.target_id and records[0].secret_type == "COMMON"
    assert records[0].notification_content == _smn(emulator).messages(target.target_id)[-1].message


async def test_only_enabled_events_with_the_type_and_subscribed_secrets_notify(
    csms: CsmsClient, emulator: Emulator
) -> None:
    target = _topic(emulator, csms.project_id)
    await csms.create_secret_event("rot-only", ["SECRET_ROTATED"], target)
    await csms.create_secret_event("off", ALL_TYPES, target, state="DISABLED")
    await csms.create_secret("a", secret_string="v", event_subscriptions=["rot-only"])
    await csms.create_secret("b", secret_string="v", event_subscriptions=["off"])
    await csms.create_secret("c", secret_string="v")
    for name in ("a", "b", "c"):
        await csms.create_secret_version(name, secret_string="w")
        await csms.rotate_secret(name)
    assert [m["secret_name"] for m in _published(emulator, target)] == ["a"]
    await csms.update_secret_event("off", state="ENABLED")
    await csms.delete_secret("b")
    assert [m["trigger_event_type"] for m in _published(emulator, target)] == [
        "SECRET_ROTATED",
        "SECRET_DELETED",
    ]
    subscribed = [s.name async for s in csms.iter_secrets(event_name="rot-only")]
    assert subscribed == ["a"]


async def test_a_missing_topic_is_recorded_as_invalid(csms: CsmsClient) -> None:
    gone = NotificationTarget(
        target_id=f"urn:smn:cn-north-4:{csms.project_id}:nowhere", target_name="nowhere"
    )
    await csms.create_secret_event("lost", ["SECRET_VERSION_CREATED"], gone)
    await csms.create_secret("s", secret_string="v", event_subscriptions=["lost"])
    await csms.create_secret_version("s", secret_string="w")
    (record,) = await csms.list_notification_records()
    assert record.notification_status == "INVALID" and record.event_name == "lost"


async def test_expired_versions_and_purged_secrets_notify_when_due(
    csms: CsmsClient, emulator: Emulator, clock: Any
) -> None:
    target = _topic(emulator, csms.project_id)
    await csms.create_secret_event("watch", ALL_TYPES, target)
    await csms.create_secret("s", secret_string="v", event_subscriptions=["watch"])
    await csms.update_version("s", "v1", expire_time=int(clock.now) + 3600)
    await csms.schedule_secret_deletion("s", 7)
    clock.advance(3599)
    await csms.list_secrets()
    assert _published(emulator, target) == []
    clock.advance(1)
    await csms.list_secrets()
    assert [m["trigger_event_type"] for m in _published(emulator, target)] == ["SECRET_VERSION_EXPIRED"]
    clock.advance(7 * 86400)
    assert (await csms.list_secrets()).secrets == []
    assert [m["trigger_event_type"] for m in _published(emulator, target)][-1] == "SECRET_DELETED"


async def test_moving_an_expiry_cancels_the_old_one(csms: CsmsClient, emulator: Emulator, clock: Any) -> None:
    target = _topic(emulator, csms.project_id)
    await csms.create_secret_event("watch", ["SECRET_VERSION_EXPIRED"], target)
    await csms.create_secret("s", secret_string="v", event_subscriptions=["watch"])
    await csms.update_version("s", "v1", expire_time=int(clock.now) + 10)
    await csms.update_version("s", "v1", expire_time=int(clock.now) + 100)
    clock.advance(50)
    await csms.list_secrets()
    assert _published(emulator, target) == []
    clock.advance(50)
    await csms.list_secrets()
    assert len(_published(emulator, target)) == 1
