"""In-process idempotency store: a dict behind a lock. For tests and ``opsfn invoke``; it protects only
one process, so it is never a production choice (the runtime warns inside a cloud function)."""

from __future__ import annotations

import threading

from shared.idempotency.store import IdempotencyRecord, IdempotencyStore

__all__ = ["MemoryStore"]


class MemoryStore(IdempotencyStore):
    """A thread-safe dict of records."""

    def __init__(self) -> None:
        self._records: dict[str, IdempotencyRecord] = {}
        self._lock = threading.Lock()

    def get(self, key: str) -> IdempotencyRecord | None:
        with self._lock:
            return self._records.get(key)

    def put_if_absent(self, record: IdempotencyRecord, now: float) -> bool:
        with self._lock:
            current = self._records.get(record.key)
            if current is not None and current.is_live(now):
                return False
            self._records[record.key] = record
            return True

    def update(self, record: IdempotencyRecord, now: float) -> bool:
        with self._lock:
            current = self._records.get(record.key)
            if current is None or current.token != record.token:
                return False
            self._records[record.key] = record
            return True

    def delete(self, key: str, token: str) -> bool:
        with self._lock:
            current = self._records.get(key)
            if current is None or current.token != token:
                return False
            del self._records[key]
            return True
