"""The INPROGRESS → COMPLETED state machine against every store (memory, SQLite, Redis)."""

from __future__ import annotations

import asyncio

import pytest

from shared.idempotency import (
    Idempotency,
    IdempotencyInProgress,
    IdempotencyPayloadMismatch,
    StoreReplayGuard,
)


def _idem(store, clock, **kw) -> Idempotency:
    return Idempotency(store, namespace="fn", clock=clock, **kw)


async def test_completed_duplicate_gets_the_stored_response(store, clock):
    idem = _idem(store, clock)
    calls = []

    async def body():
        calls.append(1)
        return {"seat": "L-1"}

    first = await idem.run("order-1", {"n": 1}, body)
    second = await idem.run("order-1", {"n": 1}, body)
    assert first == ({"seat": "L-1"}, False)
    assert second == ({"seat": "L-1"}, True)
    assert len(calls) == 1


async def test_exception_releases_the_lock(store, clock):
    idem = _idem(store, clock)
    attempts = []

    async def flaky():
        attempts.append(1)
        if len(attempts) == 1:
            raise RuntimeError("boom")
        return "done"

    with pytest.raises(RuntimeError):
        await idem.run("k", None, flaky)
    assert await idem.run("k", None, flaky) == ("done", False)
    assert len(attempts) == 2


async def test_expiry_reruns(store, clock):
    idem = _idem(store, clock, expires_after=60)
    calls = []

    async def body():
        calls.append(1)
        return len(calls)

    assert await idem.run("k", None, body) == (1, False)
    clock.advance(59)
    assert await idem.run("k", None, body) == (1, True)
    clock.advance(2)
    assert await idem.run("k", None, body) == (2, False)


async def test_different_payload_is_refused(store, clock):
    idem = _idem(store, clock)

    async def body():
        return "ok"

    await idem.run("order-7", {"amount": 10}, body)
    with pytest.raises(IdempotencyPayloadMismatch):
        await idem.run("order-7", {"amount": 99}, body)
    # Same payload with keys in another order is the same payload.
    assert await idem.run("order-7", {"amount": 10}, body) == ("ok", True)


async def test_in_progress_duplicate_is_refused_then_times_out(store, clock):
    idem = _idem(store, clock)
    first = await idem.claim("k", None, in_progress_timeout=5)
    with pytest.raises(IdempotencyInProgress):
        await idem.claim("k", None)
    clock.advance(6)  # the first invocation's remaining time is over: it was killed
    second = await idem.claim("k", None)
    assert second.owned
    # The timed-out holder can neither store its result nor release the new holder's lock.
    assert idem.complete(first, "late") is False
    assert idem.release(first) is False
    assert idem.complete(second, "fresh") is True
    assert (await idem.claim("k", None)).response == "fresh"


async def test_fifty_concurrent_tasks_run_the_body_once(store):
    idem = Idempotency(store, namespace="fn", wait_seconds=10, poll_interval=0.005)
    calls = []

    async def body():
        calls.append(1)
        await asyncio.sleep(0.1)
        return {"license": "L-42"}

    results = await asyncio.gather(*(idem.run("same", {"u": 1}, body) for _ in range(50)))
    assert len(calls) == 1
    assert {str(r[0]) for r in results} == {str({"license": "L-42"})}
    assert sum(1 for _, replayed in results if not replayed) == 1


def test_replay_guard_on_the_store(store, clock):
    guard = StoreReplayGuard(store, clock=clock)
    assert guard.check_and_remember("msg_1", 600) is True
    assert guard.check_and_remember("msg_1", 600) is False
    assert guard.check_and_remember("msg_2", 600) is True
    assert guard.forget("msg_1") is True
    assert guard.check_and_remember("msg_1", 600) is True
    clock.advance(601)
    assert guard.check_and_remember("msg_2", 600) is True


def test_keys_are_hashed_not_stored_in_clear(store, clock):
    idem = _idem(store, clock)
    key = idem.key_for("alice@example.com")
    assert "alice" not in key
    assert key.startswith("fn#")
