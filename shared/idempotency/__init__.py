"""Idempotency: the INPROGRESS → COMPLETED state machine and its stores.

Chosen by a store URL (``OPSFN_IDEMPOTENCY_STORE``, read by :class:`shared.config.Settings`):

* ``sqlite:///relative/path`` or ``sqlite:////absolute/path`` - embedded, one file per machine; unset or
  bare ``sqlite://`` means ``idempotency.db`` in the state folder (``$OPSFN_STATE_DIR``, default
  ``/tmp/opsfn``, the only writable place in a function);
* ``redis://host:port/db`` (or ``rediss://``) - shared between instances; needs the ``redis`` extra;
* ``memory://`` - one process only (tests).

Stores are cached per URL and process, so warm invocations reuse their connections.
"""

from __future__ import annotations

import os
import threading
from typing import TYPE_CHECKING

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

if TYPE_CHECKING:
    from shared.config import Settings

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

_DEFAULT_SQLITE = ("", "sqlite://", "sqlite:///")
_cache: dict[tuple[int, str], IdempotencyStore] = {}
_cache_lock = threading.Lock()


def is_shared_store_url(url: str) -> bool:
    """Whether the store is shared between function instances (only Redis is)."""
    return url.startswith(("redis://", "rediss://"))


def _build(url: str) -> IdempotencyStore:
    if url.startswith("memory://"):
        from shared.idempotency.memory import MemoryStore

        return MemoryStore()
    if url.startswith("sqlite:///"):
        from shared.idempotency.sqlite import SqliteStore

        return SqliteStore(url[len("sqlite:///") :])
    if is_shared_store_url(url):
        from shared.idempotency.redis import RedisStore

        return RedisStore(url)
    raise ValueError("idempotency store URL must be sqlite:///path, redis://host:port/db or memory://")


def open_store(url: str | None = None, *, settings: Settings | None = None) -> IdempotencyStore:
    """The (cached) store for ``url``; ``None`` means the configured store (``settings``, else the
    environment's), and an empty or bare ``sqlite://`` URL the SQLite file in the state folder."""
    chosen = "" if url is None else url.strip()
    if chosen in _DEFAULT_SQLITE:
        from shared.config import Settings

        current = settings if settings is not None else Settings.from_env()
        chosen = (current if url is None else current.replace(idempotency_store="")).store_url
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
