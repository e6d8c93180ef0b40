"""The idempotency state machine: INPROGRESS lock → COMPLETED with the stored response.

Semantics follow Powertools (``reference/anchors.md`` §1), adapted to FunctionGraph/SCF:

* **claim**: conditionally write an ``INPROGRESS`` record (key = namespace + SHA-256 of the caller's key,
  so personal data used as a key never lands in the store in clear). Its ``in_progress_expiry`` is the
  invocation's remaining time: once the platform has killed a timed-out invocation, a retry can take the
  lock instead of waiting for the full expiry.
* a **completed** duplicate gets the stored response (:class:`Claim.replayed`); an **in-progress** one
  waits up to ``wait_seconds`` (polling) and then gets :class:`IdempotencyInProgress` (HTTP 409); the same
  key with a **different payload** gets :class:`IdempotencyPayloadMismatch` (409) - "same order, other
  amount" must never return a stale result.
* **complete** stores the response for ``expires_after`` seconds (default 3600); an **exception releases**
  the lock (token-conditional delete), so the work can be retried.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import time
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from shared.errors import OpsfnError
from shared.idempotency.store import (
    COMPLETED,
    INPROGRESS,
    IdempotencyRecord,
    IdempotencyStore,
    IdempotencyStoreError,
)

__all__ = [
    "DEFAULT_EXPIRES_AFTER",
    "DEFAULT_IN_PROGRESS_TIMEOUT",
    "Claim",
    "Idempotency",
    "IdempotencyConflict",
    "IdempotencyInProgress",
    "IdempotencyPayloadMismatch",
    "payload_hash",
]

DEFAULT_EXPIRES_AFTER = 3600.0
DEFAULT_IN_PROGRESS_TIMEOUT = 900.0
"""Lock lifetime when the remaining invocation time is unknown: FunctionGraph's synchronous maximum."""
_MAX_RACE_RETRIES = 5


class IdempotencyConflict(OpsfnError):
    """Base of the two refusals; both answer HTTP 409."""


class IdempotencyInProgress(IdempotencyConflict):
    """Another invocation holds the lock for this key (retry later)."""


class IdempotencyPayloadMismatch(IdempotencyConflict):
    """The key was used before with a different payload."""


def payload_hash(payload: Any) -> str:
    """SHA-256 of the canonical JSON of ``payload`` (sorted keys, so dict order does not matter)."""
    text = json.dumps(payload, sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=str)
    return hashlib.sha256(text.encode()).hexdigest()


@dataclass(frozen=True)
class Claim:
    """The result of :meth:`Idempotency.claim`: either the lock (``token``) or a stored response."""

    key: str
    token: str = ""
    payload_hash: str = ""
    replayed: bool = False
    response: Any = None

    @property
    def owned(self) -> bool:
        return not self.replayed


class Idempotency:
    """Claim/complete/release on top of an :class:`IdempotencyStore`.

    ``namespace`` (usually the function name) keeps two functions that use the same business key apart.
    ``clock`` and ``sleep`` are injectable so expiry and waiting are testable without real time passing.
    """

    def __init__(
        self,
        store: IdempotencyStore,
        *,
        namespace: str,
        expires_after: float = DEFAULT_EXPIRES_AFTER,
        wait_seconds: float = 0.0,
        poll_interval: float = 0.02,
        clock: Callable[[], float] = time.time,
        sleep: Callable[[float], Awaitable[Any]] = asyncio.sleep,
    ) -> None:
        if expires_after <= 0:
            raise ValueError("expires_after must be positive")
        self.store = store
        self.namespace = namespace
        self.expires_after = expires_after
        self.wait_seconds = max(0.0, wait_seconds)
        self.poll_interval = max(0.001, poll_interval)
        self._clock = clock
        self._sleep = sleep

    def with_expiry(self, expires_after: float) -> Idempotency:
        """The same store, namespace, wait and clock with another lifetime for completed records (webhook
        delivery ids must outlive the sender's whole retry schedule, longer than a business answer)."""
        return Idempotency(
            self.store,
            namespace=self.namespace,
            expires_after=expires_after,
            wait_seconds=self.wait_seconds,
            poll_interval=self.poll_interval,
            clock=self._clock,
            sleep=self._sleep,
        )

    def key_for(self, raw_key: str) -> str:
        digest = hashlib.sha256(raw_key.encode("utf-8", "surrogatepass")).hexdigest()
        return f"{self.namespace}#{digest}"

    async def claim(
        self,
        raw_key: str,
        payload: Any = None,
        *,
        in_progress_timeout: float | None = None,
        max_wait: float | None = None,
    ) -> Claim:
        """Take the lock for ``raw_key`` or return the stored response of a completed duplicate.

        ``max_wait`` caps this claim's wait for an in-progress original (the runtime passes the time the
        invocation has left, so waiting never outlives the function). Raises
        :class:`IdempotencyInProgress` / :class:`IdempotencyPayloadMismatch` (both 409) and
        :class:`IdempotencyStoreError` when the store fails.
        """
        wait_budget = self.wait_seconds if max_wait is None else max(0.0, min(self.wait_seconds, max_wait))
        key = self.key_for(raw_key)
        digest = payload_hash(payload) if payload is not None else ""
        timeout = in_progress_timeout if in_progress_timeout and in_progress_timeout > 0 else None
        timeout = min(timeout or DEFAULT_IN_PROGRESS_TIMEOUT, self.expires_after)
        waited = 0.0
        races = 0
        delay = self.poll_interval
        while True:
            now = self._clock()
            token = uuid.uuid4().hex
            record = IdempotencyRecord(
                key=key,
                status=INPROGRESS,
                expiry=now + self.expires_after,
                token=token,
                payload_hash=digest,
                in_progress_expiry=now + timeout,
            )
            if self.store.put_if_absent(record, now):
                return Claim(key=key, token=token, payload_hash=digest)
            existing = self.store.get(key)
            if existing is None or not existing.is_live(now):
                # Expired or released between our put and get: try again (bounded, it cannot loop).
                races += 1
                if races > _MAX_RACE_RETRIES:
                    raise IdempotencyStoreError("idempotency store keeps changing under the claim")
                continue
            if digest and existing.payload_hash and existing.payload_hash != digest:
                raise IdempotencyPayloadMismatch(
                    "this idempotency key was already used with a different payload"
                )
            if existing.status == COMPLETED:
                response = None if existing.response is None else json.loads(existing.response)
                return Claim(key=key, payload_hash=digest, replayed=True, response=response)
            if waited >= wait_budget:
                raise IdempotencyInProgress("a request with this idempotency key is already in progress")
            pause = min(delay, wait_budget - waited)
            await self._sleep(pause)
            waited += pause
            delay = min(delay * 2, 0.25)

    def complete(self, claim: Claim, response: Any) -> bool:
        """Store ``response`` (JSON-serialisable) as the result; ``False`` if the lock was lost meanwhile
        (the in-progress timeout passed and another invocation took over - its result will win)."""
        now = self._clock()
        record = IdempotencyRecord(
            key=claim.key,
            status=COMPLETED,
            expiry=now + self.expires_after,
            token=claim.token,
            payload_hash=claim.payload_hash,
            response=json.dumps(response, separators=(",", ":"), ensure_ascii=False, default=str),
        )
        return self.store.update(record, now)

    def release(self, claim: Claim) -> bool:
        """Drop the lock after a failure so a retry can run the work again."""
        return self.store.delete(claim.key, claim.token)

    async def run(
        self,
        raw_key: str,
        payload: Any,
        fn: Callable[[], Awaitable[Any]],
        *,
        in_progress_timeout: float | None = None,
    ) -> tuple[Any, bool]:
        """Run ``fn`` at most once per key: ``(result, replayed)``. ``fn`` must return JSON data (the
        stored form), so a first call and a replay return equal values. An exception releases the lock."""
        claim = await self.claim(raw_key, payload, in_progress_timeout=in_progress_timeout)
        if claim.replayed:
            return claim.response, True
        try:
            result = await fn()
        except BaseException:
            self.release(claim)
            raise
        self.complete(claim, result)
        return result, False
