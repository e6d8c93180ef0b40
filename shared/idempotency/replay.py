"""A webhook :class:`~shared.verify.ReplayGuard` backed by an idempotency store.

Why the store and not :class:`~shared.verify.MemoryReplayGuard`: a replayed delivery may reach another
function instance, so the guard must live where the idempotency records live (Redis in production).
A delivery id is remembered as a ``COMPLETED`` record with a TTL; remembering is the atomic conditional put.

The function runtime does not use it for webhooks: a repeated delivery id there is answered from the
stored first answer (:mod:`shared.runtime.http`). It serves callers that want one-shot ids across
instances; :meth:`StoreReplayGuard.forget` lets a failed delivery's id be accepted again.
"""

from __future__ import annotations

import hashlib
import time
from collections.abc import Callable

from shared.idempotency.store import COMPLETED, IdempotencyRecord, IdempotencyStore

__all__ = ["StoreReplayGuard"]

_TOKEN = "delivery"  # noqa: S105 - a lock-owner marker, not a credential


class StoreReplayGuard:
    """Implements ``check_and_remember(delivery_id, ttl_seconds) -> bool`` (True: first sighting)."""

    def __init__(
        self,
        store: IdempotencyStore,
        *,
        namespace: str = "webhook",
        clock: Callable[[], float] = time.time,
    ) -> None:
        self._store = store
        self._namespace = namespace
        self._clock = clock

    def _key(self, delivery_id: str) -> str:
        digest = hashlib.sha256(delivery_id.encode("utf-8", "surrogatepass")).hexdigest()
        return f"{self._namespace}:delivery#{digest}"

    def check_and_remember(self, delivery_id: str, ttl_seconds: float) -> bool:
        now = self._clock()
        record = IdempotencyRecord(
            key=self._key(delivery_id), status=COMPLETED, expiry=now + max(ttl_seconds, 1.0), token=_TOKEN
        )
        return self._store.put_if_absent(record, now)

    def forget(self, delivery_id: str) -> bool:
        """Allow ``delivery_id`` again (after a failed, retryable invocation)."""
        return self._store.delete(self._key(delivery_id), _TOKEN)
