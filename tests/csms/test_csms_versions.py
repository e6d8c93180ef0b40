"""Versions and stages: SYSCURRENT/SYSPREVIOUS moves, custom stages, limits, paging, expiry, rotation."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from devkit.emulator.services.csms import CsmsBackend
from shared.clients.csms import SYSCURRENT, SYSPREVIOUS, CsmsClient
from shared.errors import BadRequestError


async def _stages(csms: CsmsClient, name: str) -> dict[str, list[str]]:
    return {v.id: v.version_stages async for v in csms.iter_secret_versions(name)}


async def test_new_version_becomes_current_and_old_current_previous(csms: CsmsClient) -> None:
    await csms.create_secret("key", secret_string="one")
    v2 = await csms.create_secret_version("key", secret_string="two")
    assert v2.id == "v2" and v2.version_stages == [SYSCURRENT] and v2.secret_name == "key"
    await csms.create_secret_version("key", secret_string="three")
    assert await _stages(csms, "key") == {"v1": [], "v2": [SYSPREVIOUS], "v3": [SYSCURRENT]}
    latest = await csms.show_secret_version("key", "latest")
    assert latest.version_metadata.id == "v3"
    assert latest.secret_string is not None and latest.secret_string.get_secret_value() == "three"
    old = await csms.show_secret_version("key", "v1")
    assert old.secret_string is not None and old.secret_string.get_secret_value() == "one"


async def test_pending_version_leaves_current_untouched_until_the_stage_moves(csms: CsmsClient) -> None:
    """The rotation protocol: create SYSPENDING, test it, then one atomic move of SYSCURRENT."""
    await csms.create_secret("rot", secret_string="old")
    pending = await csms.create_secret_version("rot", secret_string="new", version_stages=["SYSPENDING"])
    assert (await csms.show_secret_version("rot")).version_metadata.id == "v1"
    assert (await csms.show_secret_stage("rot", "SYSPENDING")).version_id == pending.id
    moved = await csms.update_secret_stage("rot", SYSCURRENT, pending.id)
    assert (moved.name, moved.version_id, moved.secret_name) == (SYSCURRENT, "v2", "rot")
    assert await _stages(csms, "rot") == {"v1": [SYSPREVIOUS], "v2": ["SYSPENDING", SYSCURRENT]}
    await csms.delete_secret_stage("rot", "SYSPENDING")
    assert await _stages(csms, "rot") == {"v1": [SYSPREVIOUS], "v2": [SYSCURRENT]}


async def test_a_stage_label_lives_on_one_version(csms: CsmsClient) -> None:
    await csms.create_secret("s", secret_string="1")
    await csms.create_secret_version("s", secret_string="2", version_stages=["PENDING"])
    await csms.create_secret_version("s", secret_string="3", version_stages=["PENDING", "BLUE"])
    assert await _stages(csms, "s") == {"v1": [SYSCURRENT], "v2": [], "v3": ["PENDING", "BLUE"]}
    await csms.update_secret_stage("s", "BLUE", "v1")
    assert await _stages(csms, "s") == {"v1": [SYSCURRENT, "BLUE"], "v2": [], "v3": ["PENDING"]}
    again = await csms.update_secret_stage("s", "BLUE", "v1")
    assert again.version_id == "v1"


async def test_stage_errors(csms: CsmsClient) -> None:
    await csms.create_secret("s", secret_string="1")
    cases = [
        (csms.delete_secret_stage("s", SYSCURRENT), "CSMS.0105"),
        (csms.delete_secret_stage("s", SYSPREVIOUS), "CSMS.0105"),
        (csms.delete_secret_stage("s", "NOPE"), "CSMS.0005"),
        (csms.show_secret_stage("s", "NOPE"), "CSMS.0005"),
        (csms.update_secret_stage("s", "X", "v9"), "CSMS.0005"),
        (csms.update_secret_stage("s", "bad stage", "v1"), "CSMS.0002"),
        (csms.show_secret_version("s", "v2"), "CSMS.0005"),
        (csms.show_secret_stage("missing", SYSCURRENT), "CSMS.0106"),
    ]
    for call, code in cases:
        with pytest.raises(BadRequestError) as err:
            await call
        assert err.value.error_code == code


async def test_a_secret_holds_at_most_12_stages(csms: CsmsClient) -> None:
    await csms.create_secret("many", secret_string="1")
    await csms.create_secret_version("many", secret_string="2", version_stages=[f"S{i}" for i in range(11)])
    with pytest.raises(BadRequestError) as err:
        await csms.update_secret_stage("many", "S11", "v1")
    assert err.value.error_code == "CSMS.0203"
    with pytest.raises(BadRequestError) as on_create:
        await csms.create_secret_version("many", secret_string="3", version_stages=["EXTRA"])
    assert on_create.value.error_code == "CSMS.0203"
    await csms.update_secret_stage("many", "S0", "v1")  # moving an existing label is always allowed


async def test_syscurrent_move_that_would_add_syspervious_over_the_limit_is_refused(csms: CsmsClient) -> None:
    await csms.create_secret("edge", secret_string="1")
    await csms.create_secret_version("edge", secret_string="2", version_stages=[f"S{i}" for i in range(11)])
    with pytest.raises(BadRequestError) as err:
        await csms.create_secret_version("edge", secret_string="3")
    assert err.value.error_code == "CSMS.0203"
    assert [v.id async for v in csms.iter_secret_versions("edge")] == ["v1", "v2"]


@pytest.mark.parametrize("stages", [[], [f"S{i}" for i in range(13)], ["A", "A"], ["bad stage"], ["x" * 65]])
async def test_version_stages_are_validated(raw: httpx.AsyncClient, csms: CsmsClient, stages: Any) -> None:
    await csms.create_secret("v", secret_string="1")
    body = {"secret_string": "2", "version_stages": stages}
    response = await raw.post(f"/v1/{csms.project_id}/secrets/v/versions", json=body)
    assert response.json()["error"]["error_code"] == "CSMS.0002"
    assert [v.id async for v in csms.iter_secret_versions("v")] == ["v1"]


async def test_version_paging_edges(csms: CsmsClient, raw: httpx.AsyncClient) -> None:
    await csms.create_secret("p", secret_string="0")
    for i in range(5):
        await csms.create_secret_version("p", secret_string=str(i + 1))
    exact = await csms.list_secret_versions("p", limit=6)
    assert len(exact.version_metadatas) == 6 and exact.page_info.next_marker is None
    first = await csms.list_secret_versions("p", limit=4)
    assert [v.id for v in first.version_metadatas] == ["v1", "v2", "v3", "v4"]
    assert first.page_info.next_marker == "v4"
    last = await csms.list_secret_versions("p", limit=4, marker="v4")
    assert [v.id for v in last.version_metadatas] == ["v5", "v6"] and last.page_info.next_marker is None
    beyond = await csms.list_secret_versions("p", limit=4, marker="v40")
    assert beyond.version_metadatas == [] and beyond.page_info.current_count == 0
    assert len([v async for v in csms.iter_secret_versions("p", limit=2)]) == 6
    bad = await raw.get(f"/v1/{csms.project_id}/secrets/p/versions", params={"marker": "x1"})
    assert bad.json()["error"]["error_code"] == "CSMS.0002"


async def test_versions_list_while_pending_delete_but_values_do_not(csms: CsmsClient) -> None:
    await csms.create_secret("pd", secret_string="0")
    await csms.schedule_secret_deletion("pd", 10)
    assert [v.id async for v in csms.iter_secret_versions("pd")] == ["v1"]
    assert (await csms.show_secret_stage("pd", SYSCURRENT)).version_id == "v1"
    with pytest.raises(BadRequestError) as err:
        await csms.show_secret_version("pd", "latest")
    assert err.value.error_code == "CSMS.0103"


async def test_expire_time_is_set_on_create_and_update(csms: CsmsClient, backend: CsmsBackend) -> None:
    await csms.create_secret("e", secret_string="0")
    v2 = await csms.create_secret_version("e", secret_string="1", expire_time=backend.now() + 60)
    assert v2.expire_time == backend.now() + 60
    updated = await csms.update_version("e", "v1", expire_time=backend.now() + 120)
    assert updated.expire_time == backend.now() + 120 and updated.id == "v1"
    latest = await csms.update_version("e", "latest", expire_time=backend.now() + 5)
    assert latest.id == "v2"


async def test_update_version_requires_expire_time(raw: httpx.AsyncClient, csms: CsmsClient) -> None:
    await csms.create_secret("e", secret_string="0")
    for body in ({}, {"expire_time": -1}, {"expire_time": "soon"}):
        response = await raw.put(f"/v1/{csms.project_id}/secrets/e/versions/v1", json=body)
        assert response.status_code == 400
        assert response.json()["error"]["error_code"] in {"CSMS.0002", "CSMS.0004"}


async def test_timestamps_are_seconds_not_milliseconds(csms: CsmsClient, backend: CsmsBackend) -> None:
    """The Stage schema says seconds since the epoch, while the documents' example shows 1581507580000
    (milliseconds). The schema table wins, so every time is in seconds."""
    secret = await csms.create_secret("t", secret_string="0")
    stage = await csms.show_secret_stage("t", SYSCURRENT)
    assert secret.create_time == stage.update_time == backend.now() < 10**10


async def test_rotate_creates_a_generated_current_version(csms: CsmsClient, backend: CsmsBackend) -> None:
    await csms.create_secret("r", secret_string="original", auto_rotation=True, rotation_period="7d")
    result = await csms.rotate_secret("r")
    assert (result.secret_name, result.version_id) == ("r", "v2") and result.rotation_task_id
    current = await csms.show_secret_version("r")
    assert current.version_metadata.version_stages == [SYSCURRENT]
    value = current.secret_string.get_secret_value() if current.secret_string else ""
    assert len(value) >= 24 and value != "original"
    previous = await csms.show_secret_stage("r", SYSPREVIOUS)
    assert previous.version_id == "v1"
    secret = await csms.show_secret("r")
    assert secret.rotation_time == backend.now() and secret.next_rotation_time == backend.now() + 7 * 86400


async def test_rotate_refuses_database_secrets_and_pending_ones(csms: CsmsClient) -> None:
    """Pending deletion is the documented CSMS.0103. The emulator cannot rotate RDS-FG/GaussDB-FG secrets (no
    database); the error table has no row for that, so it answers CSMS.0002 - a code not confirmed for it."""
    config = '{"InstanceId":"i-1","SecretSubType":"SingleUser"}'
    await csms.create_secret("rds", secret_string="{}", secret_type="RDS-FG", rotation_config=config)
    with pytest.raises(BadRequestError) as err:
        await csms.rotate_secret("rds")
    assert err.value.error_code == "CSMS.0002"
    await csms.create_secret("pend", secret_string="x")
    await csms.schedule_secret_deletion("pend", 7)
    with pytest.raises(BadRequestError) as pending:
        await csms.rotate_secret("pend")
    assert pending.value.error_code == "CSMS.0103"


async def test_rotation_is_not_retried_on_server_errors(csms: CsmsClient, emulator: Any) -> None:
    """Rotating twice would burn a version, so a 5xx on ``rotate`` must reach the caller, not be retried."""
    await csms.create_secret("once", secret_string="x")
    calls: list[str] = []

    def fail_rotate(call: Any) -> httpx.Response | None:
        if call.operation == "RotateSecret":
            calls.append(call.operation)
            return httpx.Response(503, json={"error": {"error_code": "CSMS.0500", "error_msg": "busy"}})
        return None

    emulator.before_dispatch.insert(0, fail_rotate)
    with pytest.raises(Exception) as err:
        await csms.rotate_secret("once")
    assert getattr(err.value, "status", None) == 503 and calls == ["RotateSecret"]
