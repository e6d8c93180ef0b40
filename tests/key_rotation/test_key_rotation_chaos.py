"""Rotations under faults and crashes, 20 concurrent triggers, and repair of an earlier run's pending stage.

Faults come from a transport wrapped around the emulator: with probability ``rate`` a call answers 503, times
out before reaching the service, or *reaches it* and then loses the answer; and each run crashes (a
``BaseException`` no handler catches) at a random call, before or after the call reached the service. After
every step and every crash the invariant is checked on the emulator's state directly:

* every credential the gateway accepts for the secret is one CSMS holds as current, pending or previous;
* for the overlap strategies, the credential CSMS called current at the start of the last grace window is
  still accepted.

``OPSFN_CHAOS_ROTATIONS`` sets the number of rotations (CI runs the full 500, about 10 s; raise it for a
longer soak).
"""

from __future__ import annotations

import asyncio
import os
import random
from typing import Any

import pytest
from rotation_world import (
    ChaosTransport,
    Crash,
    World,
    call_ok,
    setup_app,
    setup_signature_key,
    setup_tencent,
)

from functions.key_rotation.models import PENDING_STAGE
from shared.http import use_transport

ROTATIONS = int(os.environ.get("OPSFN_CHAOS_ROTATIONS", "500"))


async def _accepted(world: World, name: str, candidates: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [c for c in candidates if await call_ok(c)]


def _gateway_credentials(world: World, name: str) -> list[dict[str, Any]]:
    """Every credential the gateway could accept for the secret, read from the emulator's state."""
    kind = world.secrets[name]
    first = world.stage_value(name, "SYSCURRENT")
    assert first is not None
    if kind == "apig-signature-key":
        inst = next(iter(world.emulator.service("apig").backend(_project(world)).instances.values()))
        sign = inst.signs.get(first["sign_id"])
        return [{"sign_key": sign["sign_key"], "sign_secret": sign["sign_secret"]}]
    if kind == "apig-app":
        inst = next(iter(world.emulator.service("apig").backend(_project(world)).instances.values()))
        return [
            {"app_key": a["app_key"], "app_secret": a["app_secret"]}
            for a in inst.apps
            if a["id"] in first.get("app_ids", [first["app_id"]])
        ]
    keys = [
        k for b in world.emulator.service("tencent_apigw").backends().values() for k in b.api_keys.values()
    ]
    return [
        {"access_key_id": k.access_key_id, "access_key_secret": k.secret}
        for k in keys
        if k.name == first["key_name"] and k.enabled and k.plan_ids
    ]


def _project(world: World) -> str:
    return world.settings.project_id


def _known(world: World, name: str) -> list[dict[str, Any]]:
    return world.values(name, "SYSCURRENT", "SYSPREVIOUS", PENDING_STAGE)


def check_invariant(world: World, name: str, history: list[tuple[float, dict[str, Any]]]) -> None:
    known = _known(world, name)
    for held in _gateway_credentials(world, name):
        assert any(all(k.get(f) == v for f, v in held.items()) for k in known), (
            f"{name}: the gateway accepts a credential CSMS does not hold"
        )
    if world.secrets[name] == "apig-signature-key":
        return
    window_start = world.clock() - 3600
    recent = [v for t, v in history if t >= window_start] + [history[-1][1]] if history else []
    held_all = _gateway_credentials(world, name)
    for value in recent:
        ident = {
            f: value[f] for f in ("app_key", "app_secret", "access_key_id", "access_key_secret") if f in value
        }
        assert any(all(h.get(f) == v for f, v in ident.items()) for h in held_all), (
            f"{name}: a credential current within the grace window is no longer accepted"
        )


async def _chaos(world: World, rotations: int, rate: float, seed: int) -> dict[str, int]:
    rng = random.Random(seed)
    await setup_signature_key(world, "sig-secret")
    await setup_app(world, "app-secret")
    await setup_tencent(world, "tc-secret")
    names = list(world.secrets)
    histories = {n: [(world.clock(), world.stage_value(n, "SYSCURRENT") or {})] for n in names}
    chaos = ChaosTransport(world.emulator.transport(), rng, rate)
    outcomes: dict[str, int] = {}
    for i in range(rotations):
        name = names[i % len(names)]

        async def step(_: str, name: str = name) -> None:
            check_invariant(world, name, histories[name])

        world.clock.now += 3700  # past every grace window and lock lifetime
        chaos.calls, chaos.crash_at = 0, rng.randint(1, 40)
        with use_transport(chaos):
            try:
                answer = await world.rotate(name, f"rot-{i}", on_step=step)
                outcomes[answer.status] = outcomes.get(answer.status, 0) + 1
            except Crash:
                outcomes["crashed"] = outcomes.get("crashed", 0) + 1
        check_invariant(world, name, histories[name])
        _record(world, name, histories)
        chaos.crash_at = -1
        for _attempt in range(20):  # re-runs until the secret is clean (no pending, gateway = CSMS)
            world.clock.now += 901
            with use_transport(chaos):
                await world.rotate(name, f"rot-{i}", on_step=step)
            check_invariant(world, name, histories[name])
            _record(world, name, histories)
            if world.stage_value(name, PENDING_STAGE) is None:
                break
        else:
            pytest.fail(f"{name} still has a pending stage after 20 re-runs")
    outcomes["faults"] = chaos.faults
    for name in names:
        assert world.stage_value(name, PENDING_STAGE) is None
        assert await call_ok(world.stage_value(name, "SYSCURRENT") or {}), (
            f"{name}: current credential refused"
        )
    return outcomes


def _record(world: World, name: str, histories: dict[str, list[tuple[float, dict[str, Any]]]]) -> None:
    current = world.stage_value(name, "SYSCURRENT") or {}
    if current != histories[name][-1][1]:
        histories[name].append((world.clock(), current))


async def test_chaos_rotations_keep_the_invariant(world: World) -> None:
    outcomes = await _chaos(world, ROTATIONS, rate=0.2, seed=11)
    assert outcomes["faults"] > ROTATIONS, outcomes
    assert outcomes.get("crashed", 0) > 0 and outcomes.get("rotated", 0) > 0, outcomes


async def test_control_run_without_faults_rotates_every_time(world: World) -> None:
    outcomes = await _chaos(world, 9, rate=0.0, seed=3)
    assert outcomes["faults"] == 0


async def test_twenty_concurrent_triggers_rotate_once(world: World) -> None:
    await setup_tencent(world)
    answers = await asyncio.gather(*(world.rotate("tc-secret", f"c{i}") for i in range(20)))
    statuses = [a.status for a in answers]
    assert statuses.count("rotated") == 1, statuses
    assert set(statuses) <= {"rotated", "in_progress", "skipped"}, statuses
    secret = world.csms_state("tc-secret")
    assert len(secret.versions) == 2, "one new version"


async def test_pending_stage_of_a_crashed_run_is_repaired(world: World) -> None:
    await setup_app(world, "app-secret")
    before = world.stage_value("app-secret", "SYSCURRENT")
    chaos = ChaosTransport(world.emulator.transport(), random.Random(1), 0.0)
    chaos.crash_at = 11  # the call after create: the pending version exists, set did not finish
    with use_transport(chaos), pytest.raises(Crash):
        await world.rotate("app-secret", "crashed-run")
    pending = world.stage_value("app-secret", PENDING_STAGE)
    assert pending and pending["rotation_id"] == "crashed-run"
    world.clock.now += 901  # the crashed run's lock expired
    answer = await world.rotate("app-secret", "next-run")
    assert world.stage_value("app-secret", PENDING_STAGE) is None
    assert "earlier rotation" in answer.message, answer.message
    assert answer.status in ("rotated", "skipped"), answer.message
    assert await call_ok(world.stage_value("app-secret", "SYSCURRENT") or {})
    assert before is not None
