"""One idempotent call for every pipeline: claim → call → complete or release.

The webhook, batch, event and timer pipelines share one key space (:mod:`shared.runtime.stored`) and one
platform deadline, so the rules around the idempotency lock are the same for all of them and live here:

* **key rule** (:meth:`IdempotentCalls.key`): a handler's key function answering ``None`` or ``""`` means
  "no business key"; any other value becomes the key shared by every trigger;
* **budget** (:meth:`IdempotentCalls.budget`): the invocation's remaining time less the margin kept to
  release locks and answer cleanly. It caps both the wait for an in-progress duplicate and the handler's
  run time; the lock itself expires with the remaining time, so a retry after the platform killed the
  invocation can take it over;
* **complete or release** (:class:`Lock`): a kept answer is stored; anything else, an exception included,
  releases the lock so the work can run again;
* **outcome label** (:func:`outcome_label`): what the summary line calls an answered status.
"""

from __future__ import annotations

import asyncio
import hashlib
import inspect
from collections.abc import Callable
from dataclasses import dataclass
from types import TracebackType
from typing import Any

from pydantic import BaseModel

from shared.idempotency import Claim, Idempotency
from shared.runtime.context import Invocation
from shared.runtime.stored import shared_key

__all__ = ["DELIVERY_TTL_SECONDS", "IdempotentCalls", "Lock", "call_handler", "outcome_label"]

DELIVERY_TTL_SECONDS = 3 * 24 * 3600.0
"""How long a webhook delivery's answer is kept: longer than the senders' retry schedules (Standard
Webhooks senders retry for about a day; GitHub redeliveries are manual, within three days)."""


def outcome_label(status: int) -> str:
    """``ok`` below 400, ``rejected`` for 4xx (the caller's fault), ``error`` for 5xx."""
    if status < 400:
        return "ok"
    return "rejected" if status < 500 else "error"


async def call_handler(fn: Callable[..., Any], *args: Any, timeout: float | None = None) -> Any:
    """Call a sync or async handler; with ``timeout``, stop it before the platform kills the function,
    so locks are released and a clean answer goes out (``TimeoutError``)."""

    async def run() -> Any:
        result = fn(*args)
        if inspect.isawaitable(result):
            result = await result
        return result

    if timeout is None:
        return await run()
    return await asyncio.wait_for(run(), timeout=max(0.001, timeout))


class Lock:
    """The claim of one key (or of none, when there is no key): replayed, or held until finished.

    As an ``async with`` block it completes with the value given to :meth:`keep`, releases when nothing
    was kept, and releases when the block raises (a failed release is logged, so the original error is
    what the caller sees).
    """

    def __init__(self, log: Any, idempotency: Idempotency | None = None, claim: Claim | None = None) -> None:
        self._log = log
        self._idempotency = idempotency
        self._claim = claim
        self._kept = False
        self._value: Any = None

    @property
    def replayed(self) -> bool:
        return self._claim is not None and self._claim.replayed

    @property
    def stored(self) -> Any:
        """The answer stored by an earlier run (when :attr:`replayed`)."""
        return None if self._claim is None else self._claim.response

    @property
    def payload_hash(self) -> str:
        return "" if self._claim is None else self._claim.payload_hash

    def keep(self, value: Any) -> None:
        """Store ``value`` as the answer when the lock is finished."""
        self._kept, self._value = True, value

    def finish(self) -> None:
        """Complete with the kept value, else release; store failures raise."""
        idempotency, claim = self._idempotency, self._claim
        if idempotency is None or claim is None or not claim.owned:
            return
        if self._kept:
            idempotency.complete(claim, self._value)
        else:
            idempotency.release(claim)

    def finish_quietly(self, **fields: Any) -> None:
        """:meth:`finish`, logging a store failure instead of raising it: the answer is decided already,
        and a lock left behind only times out (``in_progress_expiry``)."""
        try:
            self.finish()
        except Exception:
            self._log.warning("idempotency store update failed", **fields)

    def _release_quietly(self) -> None:
        self._kept = False
        self.finish_quietly()

    async def __aenter__(self) -> Lock:
        return self

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        if exc is not None:
            self._release_quietly()
            return
        try:
            self.finish()
        except BaseException:
            self._release_quietly()
            raise


@dataclass(frozen=True)
class IdempotentCalls:
    """Claims and handler calls for one invocation (built lazily by :class:`~shared.runtime.FunctionApp`)."""

    idempotency: Callable[[], Idempotency]
    timeout_margin: float

    @staticmethod
    def key(key_fn: Callable[[Any], Any] | None, item: Any) -> str | None:
        """The idempotency key of ``item`` from the handler's key function; ``None`` when there is no
        function or it answers ``None`` or ``""`` (no business key)."""
        raw = key_fn(item) if key_fn is not None else None
        if raw is None or str(raw) == "":
            return None
        return shared_key(raw)

    def budget(self, inv: Invocation) -> float | None:
        """Seconds the handler (or a wait for a duplicate) may take; ``None``: the deadline is unknown."""
        remaining = inv.remaining_seconds()
        return None if remaining is None else remaining - self.timeout_margin

    async def claim(self, inv: Invocation, key: str | None, item: BaseModel) -> Lock:
        """Claim ``key`` for ``item`` (whose JSON form is the payload a duplicate must match); a no-op
        :class:`Lock` for no key. Raises the idempotency refusals and store errors."""
        if key is None:
            return Lock(inv.log)
        idempotency = self.idempotency()
        claim = await idempotency.claim(
            key,
            item.model_dump(mode="json"),
            in_progress_timeout=inv.remaining_seconds(),
            max_wait=self.budget(inv),
        )
        return Lock(inv.log, idempotency, claim)

    async def claim_delivery(self, inv: Invocation, delivery_id: str | None, body: bytes) -> Lock:
        """Claim a verified webhook delivery id (the sender's idempotency key) for ``body``: a redelivery
        of the same body gets the first answer, the same id with another body is refused
        (:class:`~shared.idempotency.IdempotencyPayloadMismatch`). Kept for :data:`DELIVERY_TTL_SECONDS`."""
        if delivery_id is None:
            return Lock(inv.log)
        idempotency = self.idempotency().with_expiry(DELIVERY_TTL_SECONDS)
        claim = await idempotency.claim(
            f"delivery:{delivery_id}",
            {"body_sha256": hashlib.sha256(body).hexdigest()},
            in_progress_timeout=inv.remaining_seconds(),
            max_wait=self.budget(inv),
        )
        return Lock(inv.log, idempotency, claim)

    async def call(self, inv: Invocation, fn: Callable[..., Any], *args: Any) -> Any:
        """Run a handler within :meth:`budget`."""
        return await call_handler(fn, *args, timeout=self.budget(inv))
