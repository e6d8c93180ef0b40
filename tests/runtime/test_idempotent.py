"""The one claim → call → complete-or-release helper every pipeline goes through."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
from pydantic import BaseModel

from shared.idempotency import Idempotency
from shared.idempotency.memory import MemoryStore
from shared.runtime.idempotent import IdempotentCalls, outcome_label


class Item(BaseModel):
    name: str


class _Log:
    def __init__(self) -> None:
        self.warnings: list[str] = []

    def warning(self, event: str, **_: Any) -> None:
        self.warnings.append(event)


class _Inv:
    def __init__(self, remaining: float | None) -> None:
        self.log = _Log()
        self._remaining = remaining

    def remaining_seconds(self) -> float | None:
        return self._remaining


def _calls(store: MemoryStore, margin: float = 0.5) -> IdempotentCalls:
    return IdempotentCalls(lambda: Idempotency(store, namespace="fn"), timeout_margin=margin)


def test_key_rule_and_budget_and_labels() -> None:
    calls = _calls(MemoryStore())
    assert calls.key(None, Item(name="a")) is None
    assert calls.key(lambda item: "", Item(name="a")) is None
    assert calls.key(lambda item: None, Item(name="a")) is None
    assert calls.key(lambda item: item.name, Item(name="a")) == "key:a"
    assert calls.budget(_Inv(None)) is None  # type: ignore[arg-type]
    assert calls.budget(_Inv(3.0)) == pytest.approx(2.5)  # type: ignore[arg-type]
    assert [outcome_label(s) for s in (200, 302, 404, 409, 500, 504)] == [
        "ok",
        "ok",
        "rejected",
        "rejected",
        "error",
        "error",
    ]


def test_kept_value_is_replayed_and_an_exception_releases() -> None:
    store = MemoryStore()
    calls = _calls(store)
    inv: Any = _Inv(None)

    async def scenario() -> None:
        with pytest.raises(RuntimeError):
            async with await calls.claim(inv, "key:a", Item(name="a")):
                raise RuntimeError("handler failed")
        async with await calls.claim(inv, "key:a", Item(name="a")) as lock:  # released: claimable again
            assert not lock.replayed
            lock.keep({"done": 1})
        async with await calls.claim(inv, "key:a", Item(name="a")) as again:
            assert again.replayed and again.stored == {"done": 1}
        async with await calls.claim(inv, None, Item(name="a")) as none:  # no key: nothing is stored
            assert not none.replayed

    asyncio.run(scenario())


def test_a_failed_complete_releases_and_raises() -> None:
    class FailingUpdate(MemoryStore):
        def update(self, record: Any, now: float) -> bool:
            raise OSError("store down")

    store = FailingUpdate()
    calls = _calls(store)
    inv: Any = _Inv(None)

    async def scenario() -> None:
        with pytest.raises(OSError):
            async with await calls.claim(inv, "key:b", Item(name="b")) as lock:
                lock.keep({"done": 1})
        async with await calls.claim(inv, "key:b", Item(name="b")) as lock:  # the lock was released
            assert not lock.replayed

    asyncio.run(scenario())
