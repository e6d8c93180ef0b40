"""One rotation per secret at a time: an expiring lock record in the idempotency store.

The store's atomic ``put_if_absent`` is the lock; the record expires after ``ttl`` so a run that died
holding it (a crashed function instance) blocks the secret only until then. Release is conditional on the
holder's token, so a run whose lock already expired cannot release its successor's.
"""

from __future__ import annotations

import secrets
from collections.abc import Callable

from shared.idempotency import INPROGRESS, IdempotencyRecord, IdempotencyStore

__all__ = ["SecretLock"]


class SecretLock:
    def __init__(self, store: IdempotencyStore, secret_name: str, *, ttl: float, clock: Callable[[], float]):
        self.store = store
        self.key = f"key_rotation:lock:{secret_name}"
        self.ttl = ttl
        self.clock = clock
        self.token = secrets.token_hex(16)

    def acquire(self) -> bool:
        now = self.clock()
        record = IdempotencyRecord(
            key=self.key,
            status=INPROGRESS,
            expiry=now + self.ttl,
            token=self.token,
            in_progress_expiry=now + self.ttl,
        )
        return self.store.put_if_absent(record, now)

    def release(self) -> None:
        self.store.delete(self.key, self.token)
