"""Secrets: create, show, list with marker paging, update, delete, scheduled deletion and restore."""

from __future__ import annotations

import base64
from typing import Any

import httpx
import pytest
from pydantic import SecretStr

from devkit.emulator.core import Emulator
from devkit.emulator.services.csms import CsmsBackend
from shared.clients.csms import CsmsClient
from shared.errors import BadRequestError, CloudError
from shared.http import request_json


async def _names(csms: CsmsClient, **kwargs: object) -> list[str]:
    return [s.name async for s in csms.iter_secrets(**kwargs)]  # type: ignore[arg-type]


async def test_create_show_and_read_the_first_version(csms: CsmsClient) -> None:
    created = await csms.create_secret("db-password", secret_string="hunter2", description="primary db")
    assert created.state == "ENABLED" and created.secret_type == "COMMON"
    assert created.kms_key_id and created.scheduled_delete_time is None
    shown = await csms.show_secret("db-password")
    assert shown == created
    version = await csms.show_secret_version("db-password")
    assert version.version_metadata.id == "v1"
    assert version.version_metadata.version_stages == ["SYSCURRENT"]
    assert version.secret_string is not None and version.secret_string.get_secret_value() == "hunter2"


async def test_secret_values_never_print(csms: CsmsClient) -> None:
    await csms.create_secret("api-token", secret_string=SecretStr("s3cr3t-value"))
    version = await csms.show_secret_version("api-token", "v1")
    assert "s3cr3t-value" not in repr(version) and "s3cr3t-value" not in str(version)
    assert "s3cr3t-value" not in version.model_dump_json()


async def test_binary_secret_round_trips_base64(csms: CsmsClient, raw: httpx.AsyncClient) -> None:
    await csms.create_secret("cert-key", secret_binary=b"\x00\x01binary\xff")
    version = await csms.show_secret_version("cert-key")
    assert version.binary() == b"\x00\x01binary\xff" and version.secret_string is None
    with pytest.raises(BadRequestError) as err:
        await request_json(
            raw, "POST", f"/v1/{csms.project_id}/secrets", json={"name": "b", "secret_binary": "!!"}
        )
    assert err.value.error_code == "CSMS.0002"


@pytest.mark.parametrize(
    "body",
    [
        {"name": "bad name", "secret_string": "x"},
        {"name": "x" * 65, "secret_string": "x"},
        {"name": "both", "secret_string": "x", "secret_binary": "eA=="},
        {"name": "neither"},
        {"name": "huge", "secret_string": "x" * (32 * 1024 + 1)},
        {"name": "kind", "secret_string": "x", "secret_type": "RDS"},
        {"name": "rds", "secret_string": "x", "secret_type": "RDS-FG"},
        {"name": "rot", "secret_string": "x", "auto_rotation": True},
        {"name": "rot2", "secret_string": "x", "auto_rotation": True, "rotation_period": "5h"},
        {"name": "rot3", "secret_string": "x", "rotation_period": "8761h"},
        {"name": "rot4", "secret_string": "x", "rotation_period": "1w"},
        {"name": "desc", "secret_string": "x", "description": "d" * 2049},
        {"name": "subs", "secret_string": "x", "event_subscriptions": ["a", "b"]},
    ],
)
async def test_create_validation_answers_csms_0002(raw: httpx.AsyncClient, body: dict[str, object]) -> None:
    response = await raw.post("/v1/p/secrets", json=body)
    assert response.status_code == 400
    assert response.json()["error"]["error_code"] == "CSMS.0002"


@pytest.mark.parametrize(
    ("content", "code"),
    [
        (b"{not json", "CSMS.0004"),
        (b"[1, 2]", "CSMS.0004"),
        (b'{"name": "n", "secret_string": 5}', "CSMS.0004"),
    ],
)
async def test_body_of_the_wrong_shape_is_csms_0004(
    raw: httpx.AsyncClient, content: bytes, code: str
) -> None:
    response = await raw.post("/v1/p/secrets", content=content, headers={"Content-Type": "application/json"})
    assert response.status_code == 400
    assert set(response.json()) == {"error"} and set(response.json()["error"]) == {"error_code", "error_msg"}
    assert response.json()["error"]["error_code"] == "CSMS.0004"


async def test_duplicate_name_and_unknown_name(csms: CsmsClient) -> None:
    """The CSMS error table has no "name already exists" row, so a duplicate is CSMS.0002 (not confirmed)."""
    await csms.create_secret("dup", secret_string="a")
    with pytest.raises(BadRequestError) as err:
        await csms.create_secret("dup", secret_string="b")
    assert err.value.error_code == "CSMS.0002"
    with pytest.raises(CloudError) as missing:
        await csms.show_secret("nope")
    assert (missing.value.status, missing.value.error_code) == (400, "CSMS.0106")
    assert missing.value.service == "csms"


async def test_rotation_settings_and_update(csms: CsmsClient, backend: CsmsBackend) -> None:
    secret = await csms.create_secret("rot", secret_string="a", auto_rotation=True, rotation_period="30d")
    assert secret.next_rotation_time == backend.now() + 30 * 86400
    updated = await csms.update_secret("rot", description="new", rotation_period="24h")
    assert updated.description == "new" and updated.rotation_period == "24h"
    assert updated.next_rotation_time == backend.now() + 86400
    off = await csms.update_secret("rot", auto_rotation=False)
    assert off.auto_rotation is False and off.next_rotation_time is None
    assert (await csms.show_secret("rot")).description == "new"


async def test_list_paging_edges(csms: CsmsClient) -> None:
    empty = await csms.list_secrets()
    assert empty.secrets == [] and empty.page_info.current_count == 0 and empty.page_info.next_marker is None
    for i in range(7):
        await csms.create_secret(f"s{i}", secret_string="v")
    exact = await csms.list_secrets(limit=7)
    assert [s.name for s in exact.secrets] == [f"s{i}" for i in range(7)]
    assert exact.page_info.next_marker is None
    first = await csms.list_secrets(limit=3)
    assert [s.name for s in first.secrets] == ["s0", "s1", "s2"] and first.page_info.next_marker == "s2"
    last = await csms.list_secrets(limit=3, marker="s5")
    assert [s.name for s in last.secrets] == ["s6"] and last.page_info.next_marker is None
    assert last.page_info.previous_marker == "s5"
    beyond = await csms.list_secrets(limit=3, marker="zzz")
    assert beyond.secrets == []
    assert await _names(csms, limit=3) == [f"s{i}" for i in range(7)]
    assert await _names(csms, limit=7) == [f"s{i}" for i in range(7)]


async def test_list_limit_must_be_positive(raw: httpx.AsyncClient) -> None:
    for limit in ("0", "-1", "ten"):
        response = await raw.get("/v1/p/secrets", params={"limit": limit})
        assert response.json()["error"]["error_code"] == "CSMS.0002"


async def test_delete_removes_secret_and_its_tags(csms: CsmsClient, backend: CsmsBackend) -> None:
    secret = await csms.create_secret("gone", secret_string="v")
    await csms.create_secret_tag(secret.id, "team", "ops")
    await csms.delete_secret("gone")
    with pytest.raises(CloudError) as err:
        await csms.show_secret("gone")
    assert err.value.error_code == "CSMS.0106"
    assert await csms.list_project_secrets_tags() == [] and backend.tag_index == {}
    await csms.create_secret("gone", secret_string="again")


async def test_scheduled_deletion_blocks_reads_until_restored(csms: CsmsClient, backend: CsmsBackend) -> None:
    await csms.create_secret("sched", secret_string="v")
    pending = await csms.schedule_secret_deletion("sched", 7)
    assert pending.state == "PENDING_DELETE"
    assert pending.scheduled_delete_time == backend.now() + 7 * 86400
    for read in (csms.show_secret_version("sched"), csms.create_secret_version("sched", secret_string="n")):
        with pytest.raises(BadRequestError) as err:
            await read
        assert err.value.error_code == "CSMS.0103"
    with pytest.raises(BadRequestError) as again:
        await csms.schedule_secret_deletion("sched", 7)
    assert again.value.error_code == "CSMS.0107"
    assert (await csms.show_secret("sched")).state == "PENDING_DELETE"
    restored = await csms.restore_secret("sched")
    assert restored.state == "ENABLED" and restored.scheduled_delete_time is None
    assert (await csms.show_secret_version("sched")).secret_string is not None
    with pytest.raises(BadRequestError) as not_pending:
        await csms.restore_secret("sched")
    assert not_pending.value.error_code == "CSMS.0108"


async def test_recovery_window_is_7_to_30_days_default_30(csms: CsmsClient, backend: CsmsBackend) -> None:
    await csms.create_secret("w", secret_string="v")
    for days in (6, 31):
        with pytest.raises(BadRequestError):
            await csms.schedule_secret_deletion("w", days)
    data = await csms._request("POST", "/v1/{project_id}/secrets/w/scheduled-deleted-tasks/create", json={})
    assert data["secret"]["scheduled_delete_time"] == backend.now() + 30 * 86400


async def test_secret_is_purged_when_the_window_ends(csms: CsmsClient, clock: Any) -> None:
    await csms.create_secret("purge-me", secret_string="v")
    await csms.create_secret("restored", secret_string="v")
    await csms.schedule_secret_deletion("purge-me", 7)
    await csms.schedule_secret_deletion("restored", 7)
    await csms.restore_secret("restored")
    clock.advance(7 * 86400 - 1)
    assert (await csms.show_secret("purge-me")).state == "PENDING_DELETE"
    clock.advance(1)
    assert [s.name async for s in csms.iter_secrets()] == ["restored"]


async def test_secret_quota_answers_csms_0202(csms: CsmsClient, backend: CsmsBackend) -> None:
    backend.max_secrets = 2
    await csms.create_secret("a", secret_string="v")
    await csms.create_secret("b", secret_string="v")
    with pytest.raises(BadRequestError) as err:
        await csms.create_secret("c", secret_string="v")
    assert err.value.error_code == "CSMS.0202"


def test_client_refuses_ambiguous_values() -> None:
    from shared.clients.csms import _value_fields

    with pytest.raises(ValueError):
        _value_fields(None, None)
    with pytest.raises(ValueError):
        _value_fields("a", b"b")
    assert _value_fields(None, b"hi")["secret_binary"] == base64.b64encode(b"hi").decode()


async def test_snapshot_and_restore_round_trip_the_state(csms: CsmsClient, emulator: Emulator) -> None:
    """``Emulator.snapshot`` deep-copies backends; the CSMS backend's lock must not stop that."""
    secret = await csms.create_secret("kept", secret_string="v")
    await csms.create_secret_tag(secret.id, "env", "prod")
    saved = emulator.snapshot()
    await csms.create_secret("later", secret_string="v")
    await csms.delete_secret_tag(secret.id, "env")
    emulator.restore(saved)
    assert [s.name async for s in csms.iter_secrets()] == ["kept"]
    assert await csms.count_resource_instances(tags={"env": ["prod"]}) == 1
    await csms.create_secret("after-restore", secret_string="v")


def test_a_malformed_answer_does_not_quote_the_value_in_the_error() -> None:
    from pydantic import ValidationError

    from shared.clients.csms import SecretVersion

    with pytest.raises(ValidationError) as err:
        SecretVersion.model_validate({"secret_string": "leaked-value"})
    assert "leaked-value" not in str(err.value) and "leaked-value" not in repr(err.value)
