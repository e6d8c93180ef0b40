"""Idempotency: the INPROGRESS → COMPLETED state machine and its stores.

Configured with ``OPSFN_IDEMPOTENCY_STORE``:

* ``sqlite:///relative/path`` or ``sqlite:////absolute/path`` - embedded, one file per machine; when the
  variable is unset, ``$OPSFN_STATE_DIR/idempotency.db`` or else ``/tmp/opsfn/idempotency.db`` (the only
  writable place in a function);
* ``redis://host:port/db`` (or ``rediss://``) - shared between instances; needs the ``redis`` extra;
* ``memory://`` - one process only (tests).

Stores are cached per URL and process, so warm invocations reuse their connections.
"""

from __future__ import annotations

import os
import threading

from shared.idempotency.core import (
    DEFAULT_EXPIRES_AFTER,
    Claim,
    Idempotency,
    IdempotencyConflict,
    IdempotencyInProgress,
    IdempotencyPayloadMismatch,
    payload_hash,
)
from shared.idempotency.replay import StoreReplayGuard
from shared.idempotency.store import (
    COMPLETED,
    INPROGRESS,
    IdempotencyRecord,
    IdempotencyStore,
    IdempotencyStoreError,
)

__all__ = [
    "COMPLETED",
    "DEFAULT_EXPIRES_AFTER",
    "INPROGRESS",
    "Claim",
    "Idempotency",
    "IdempotencyConflict",
    "IdempotencyInProgress",
    "IdempotencyPayloadMismatch",
    "IdempotencyRecord",
    "IdempotencyStore",
    "IdempotencyStoreError",
    "StoreReplayGuard",
    "is_shared_store_url",
    "open_store",
    "payload_hash",
    "reset_store_cache",
]

_cache: dict[tuple[int, str], IdempotencyStore] = {}
_cache_lock = threading.Lock()


def is_shared_store_url(url: str) -> bool:
    """Whether the store is shared between function instances (only Redis is)."""
    return url.startswith(("redis://", "rediss://"))


def _build(url: str) -> IdempotencyStore:
    if url.startswith("memory://"):
        from shared.idempotency.memory import MemoryStore

        return MemoryStore()
    if url.startswith("sqlite://"):
        from shared.idempotency.sqlite import SqliteStore

        path = url[len("sqlite:///") :] if url.startswith("sqlite:///") else ""
        return SqliteStore(path or None)
    if is_shared_store_url(url):
        from shared.idempotency.redis import RedisStore

        return RedisStore(url)
    raise ValueError("idempotency store URL must be sqlite:///path, redis://host:port/db or memory://")


def open_store(url: str | None = None) -> IdempotencyStore:
    """The (cached) store for ``url``; ``None`` reads ``OPSFN_IDEMPOTENCY_STORE`` (default SQLite)."""
    chosen = (
        url if url is not None else os.environ.get("OPSFN_IDEMPOTENCY_STORE", "")
    ).strip() or "sqlite://"
    cache_key = (os.getpid(), chosen)
    with _cache_lock:
        store = _cache.get(cache_key)
        if store is None:
            store = _build(chosen)
            _cache[cache_key] = store
        return store


def reset_store_cache() -> None:
    """Close and forget every cached store (tests switch store URLs between cases)."""
    with _cache_lock:
        stores = list(_cache.values())
        _cache.clear()
    for store in stores:
        store.close()
