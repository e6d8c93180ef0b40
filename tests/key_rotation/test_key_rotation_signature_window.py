"""Signature keys: the backend (reading CSMS current + pending, as the README tells backends to) accepts the
gateway's old signature through the whole rotation window and refuses it once the rotation has finished."""

from __future__ import annotations

from typing import Any

import httpx
from rotation_world import PROJECT, World, setup_signature_key

from functions.key_rotation.models import PENDING_STAGE
from shared.auth import HuaweiAKSKAuth


def _backend_accepts(world: World, value: dict[str, Any]) -> bool:
    """Send the backend a call signed the way APIG signs backend calls, with ``value``'s key pair."""
    request = httpx.Request("GET", "https://backend.example/svc")
    signed = next(HuaweiAKSKAuth(value["sign_key"], value["sign_secret"]).auth_flow(request))
    backend = world.emulator.service("apig").backend(PROJECT).http_backend
    return bool(backend(signed).status_code == 200)


async def test_the_old_signature_is_accepted_through_the_window_and_refused_after(world: World) -> None:
    """The window runs from *create* (the new pair becomes pending, so backends accept it before the
    gateway signs with it at *set*) to *finish* (current moves to the new pair): until then the old pair
    stays current and accepted; from the finish on only the new one is."""
    old = await setup_signature_key(world)
    seen: list[tuple[str, bool, bool]] = []

    async def observe(step: str) -> None:
        pending = world.stage_value("sig-secret", PENDING_STAGE) or world.stage_value(
            "sig-secret", "SYSCURRENT"
        )
        assert pending is not None
        seen.append((step, _backend_accepts(world, old), _backend_accepts(world, pending)))

    answer = await world.rotate("sig-secret", "r1", on_step=observe)
    assert answer.status == "rotated", answer.message
    steps = [step for step, _, _ in seen]
    assert {"create", "set", "test"} <= set(steps), steps
    window = seen[: steps.index("test") + 1]
    assert all(old_ok and new_ok for _, old_ok, new_ok in window), f"refused inside the window: {seen}"
    new = world.stage_value("sig-secret", "SYSCURRENT")
    assert new is not None and new["sign_key"] != old["sign_key"]
    assert _backend_accepts(world, new), "the new signature is accepted"
    assert not _backend_accepts(world, old), "after finish the old signature is refused"
