"""Happy path per kind and strategy: the gateway holds the new credential, CSMS current = new, previous =
old, pending cleared; the new credential is accepted; the old one during the overlap and not after."""

from __future__ import annotations

from rotation_world import World, call_ok, setup_app, setup_signature_key, setup_tencent

from functions.key_rotation.models import PENDING_STAGE


def _stages(world: World, name: str) -> tuple[dict | None, dict | None, dict | None]:
    return (
        world.stage_value(name, "SYSCURRENT"),
        world.stage_value(name, "SYSPREVIOUS"),
        world.stage_value(name, PENDING_STAGE),
    )


async def test_signature_key_rotation_waits_for_refresh_then_switches(world: World) -> None:
    old = await setup_signature_key(world)
    assert await call_ok(old)
    started = world.clock()
    answer = await world.rotate("sig-secret", "r1")
    assert answer.status == "rotated", answer.message
    current, previous, pending = _stages(world, "sig-secret")
    assert current and previous and pending is None
    assert previous["sign_key"] == old["sign_key"] and current["sign_key"] != old["sign_key"]
    assert world.clock() - started >= 60, "set waited the backends' refresh interval after create"
    assert answer.versions.new == "v2" and answer.versions.previous == "v1"
    assert await call_ok(current), "the backend accepts the gateway's new signature"


async def test_alternating_app_rotation_keeps_the_previous_app_until_the_next_rotation(world: World) -> None:
    a = await setup_app(world)
    b_before = world.stage_value("app-secret", "SYSPREVIOUS")
    assert b_before and await call_ok(a) and await call_ok(b_before)
    answer = await world.rotate("app-secret", "r1")
    assert answer.status == "rotated", answer.message
    current, previous, pending = _stages(world, "app-secret")
    assert current and previous and pending is None
    assert current["app_id"] == b_before["app_id"] and previous == {**a, "rotation_id": "enrol"}
    assert await call_ok(current) and await call_ok(a), "callers on the previous APP keep working"
    assert not await call_ok(b_before), "the idle APP's old secret was renewed"

    early = await world.rotate("app-secret", "r2")
    assert early.status == "skipped" and await call_ok(a), "inside the grace window nothing changes"
    world.clock.now += 3600
    second = await world.rotate("app-secret", "r3")
    assert second.status == "rotated", second.message
    assert not await call_ok(a), "after the next rotation the old credential is refused"
    assert await call_ok(current), "the credential that was current until now stays accepted"


async def test_single_app_rotation_resets_in_place(world: World) -> None:
    old = await setup_app(world, "single-secret", strategy="single")
    answer = await world.rotate("single-secret", "r1")
    assert (answer.status, answer.strategy) == ("rotated", "single"), answer.message
    current, previous, pending = _stages(world, "single-secret")
    assert current and previous and pending is None and current["app_id"] == old["app_id"]
    assert await call_ok(current) and not await call_ok(old), "single: the old secret stops at once"


async def test_tencent_two_key_overlap_then_disable_then_delete(world: World) -> None:
    old = await setup_tencent(world)
    answer = await world.rotate("tc-secret", "r1")
    assert answer.status == "rotated", answer.message
    current, previous, pending = _stages(world, "tc-secret")
    assert current and previous and pending is None
    assert previous["access_key_id"] == "initialkey" and current["access_key_id"] != "initialkey"
    assert await call_ok(current) and await call_ok(old), "both keys work during the overlap"
    world.clock.now += 3600
    again = await world.rotate("tc-secret", "r2")
    assert again.status == "rotated", again.message
    assert not await call_ok(old), "the old key is disabled once the grace period is over"
    assert await call_ok(current), "the key current until this run stays in its overlap"
    keys = world.emulator.service("tencent_apigw").backends()
    assert any("initialkey" in b.api_keys for b in keys.values()), "disabled, deleted only on the next run"
    world.clock.now += 3600
    await world.rotate("tc-secret", "r3")
    assert not any("initialkey" in b.api_keys for b in keys.values()), "unbound and deleted a run later"


async def test_plan_mode_changes_nothing(world: World) -> None:
    await setup_tencent(world)
    before = world.stage_value("tc-secret", "SYSCURRENT")
    answer = await world.rotate_plan("tc-secret")
    assert answer.status == "planned" and "create a new" in answer.message
    assert world.stage_value("tc-secret", "SYSCURRENT") == before
    assert world.stage_value("tc-secret", PENDING_STAGE) is None
