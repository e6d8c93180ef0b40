"""SQLite idempotency store: the embedded default, one file, safe across threads and processes.

Why SQLite: a function instance has a writable ``/tmp`` and the standard library, and ``opsfn serve`` runs
several workers on one machine - a file with WAL journaling gives them a shared, crash-safe store with no
server. Atomicity comes from one ``INSERT ... ON CONFLICT DO UPDATE ... WHERE <claimable>`` inside
``BEGIN IMMEDIATE`` (which takes the write lock up front, so two processes never both read "free" and
then race to write); ``changes()`` tells whether the claim won. ``busy_timeout`` makes contenders wait
for the lock instead of failing.

It is *per machine*: two FunctionGraph instances have two ``/tmp`` directories, which is why the runtime
warns when a cloud function runs without a shared (Redis) store.
"""

from __future__ import annotations

import os
import sqlite3
import threading
from collections.abc import Callable
from dataclasses import asdict
from pathlib import Path
from typing import TypeVar

from shared.idempotency.store import (
    INPROGRESS,
    IdempotencyRecord,
    IdempotencyStore,
    IdempotencyStoreError,
)

__all__ = ["SqliteStore"]

T = TypeVar("T")

_SCHEMA = """
CREATE TABLE IF NOT EXISTS idempotency (
    key TEXT PRIMARY KEY,
    status TEXT NOT NULL,
    expiry REAL NOT NULL,
    token TEXT NOT NULL,
    payload_hash TEXT NOT NULL DEFAULT '',
    in_progress_expiry REAL,
    response TEXT
)
"""
_CLAIM = """
INSERT INTO idempotency (key, status, expiry, token, payload_hash, in_progress_expiry, response)
VALUES (:key, :status, :expiry, :token, :payload_hash, :in_progress_expiry, :response)
ON CONFLICT(key) DO UPDATE SET
    status = excluded.status, expiry = excluded.expiry, token = excluded.token,
    payload_hash = excluded.payload_hash, in_progress_expiry = excluded.in_progress_expiry,
    response = excluded.response
WHERE idempotency.expiry <= :now
   OR (idempotency.status = 'INPROGRESS' AND idempotency.in_progress_expiry IS NOT NULL
       AND idempotency.in_progress_expiry <= :now)
"""
_UPDATE = """
UPDATE idempotency SET status = :status, expiry = :expiry, payload_hash = :payload_hash,
    in_progress_expiry = :in_progress_expiry, response = :response
WHERE key = :key AND token = :token
"""
_PURGE_EVERY = 256
"""Expired rows are deleted on every n-th claim, so the file cannot grow without bound."""


class SqliteStore(IdempotencyStore):
    """Records in one SQLite file. Connections are per thread and per process (never shared across
    ``fork``), all in autocommit mode with explicit ``BEGIN IMMEDIATE`` for the conditional write."""

    def __init__(self, path: str | os.PathLike[str], *, busy_timeout: float = 30.0) -> None:
        self.path = Path(path)
        self._timeout = busy_timeout
        self._local = threading.local()
        self._opened: list[tuple[int, sqlite3.Connection]] = []
        self._opened_lock = threading.Lock()
        self._claims = 0
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._write(lambda conn: conn.execute(_SCHEMA), "cannot open SQLite store")

    def _conn(self) -> sqlite3.Connection:
        conn: sqlite3.Connection | None = getattr(self._local, "conn", None)
        if conn is not None and getattr(self._local, "pid", None) == os.getpid():
            return conn
        conn = sqlite3.connect(
            str(self.path), timeout=self._timeout, isolation_level=None, check_same_thread=False
        )
        conn.execute(f"PRAGMA busy_timeout={int(self._timeout * 1000)}")
        self._use_wal(conn)
        conn.execute("PRAGMA synchronous=NORMAL")
        self._local.conn = conn
        self._local.pid = os.getpid()
        with self._opened_lock:
            self._opened.append((os.getpid(), conn))
        return conn

    @staticmethod
    def _use_wal(conn: sqlite3.Connection) -> None:
        """Switch the file to WAL unless it already is: the mode is stored in the file, and the switch
        needs an exclusive lock that every later process would otherwise queue for."""
        mode = conn.execute("PRAGMA journal_mode").fetchone()
        if mode is None or str(mode[0]).lower() != "wal":
            conn.execute("PRAGMA journal_mode=WAL")

    def _write(
        self, statement: Callable[[sqlite3.Connection], T], failure: str = "SQLite store write failed"
    ) -> T:
        """Run writing statements in one ``BEGIN IMMEDIATE`` transaction and return ``statement``'s value;
        SQLite errors become :class:`IdempotencyStoreError` (``failure`` and the error's type, no details).

        Why not autocommit: a statement that reads before it writes (``CREATE TABLE IF NOT EXISTS``, an
        ``UPDATE``) starts as a reader and upgrades; in WAL mode an upgrade over a snapshot another process
        has since changed fails at once with "database is locked", without waiting in the busy handler
        (rare 503s when many processes share one file). Taking the write lock first makes SQLite wait.
        """
        try:
            conn = self._conn()
            conn.execute("BEGIN IMMEDIATE")
            try:
                result = statement(conn)
                conn.execute("COMMIT")
            except BaseException:
                conn.execute("ROLLBACK")
                raise
        except sqlite3.Error as exc:
            raise IdempotencyStoreError(f"{failure} ({type(exc).__name__})") from None
        return result

    @staticmethod
    def _row(row: tuple[object, ...] | None) -> IdempotencyRecord | None:
        if row is None:
            return None
        key, status, expiry, token, payload_hash, ip_expiry, response = row
        return IdempotencyRecord(
            key=str(key),
            status=INPROGRESS if status == INPROGRESS else "COMPLETED",
            expiry=float(expiry),  # type: ignore[arg-type]
            token=str(token),
            payload_hash=str(payload_hash or ""),
            in_progress_expiry=None if ip_expiry is None else float(ip_expiry),  # type: ignore[arg-type]
            response=None if response is None else str(response),
        )

    def get(self, key: str) -> IdempotencyRecord | None:
        try:
            cursor = self._conn().execute(
                "SELECT key, status, expiry, token, payload_hash, in_progress_expiry, response"
                " FROM idempotency WHERE key = ?",
                (key,),
            )
            return self._row(cursor.fetchone())
        except sqlite3.Error as exc:
            raise IdempotencyStoreError(f"SQLite store read failed ({type(exc).__name__})") from None

    def put_if_absent(self, record: IdempotencyRecord, now: float) -> bool:
        values = {**asdict(record), "now": now}

        def claim(conn: sqlite3.Connection) -> bool:
            conn.execute(_CLAIM, values)
            won = bool(conn.execute("SELECT changes()").fetchone()[0])
            self._claims += 1
            if self._claims % _PURGE_EVERY == 0:
                conn.execute("DELETE FROM idempotency WHERE expiry <= ?", (now,))
            return won

        return self._write(claim)

    def update(self, record: IdempotencyRecord, now: float) -> bool:
        values = asdict(record)
        return self._write(lambda conn: conn.execute(_UPDATE, values).rowcount == 1)

    def delete(self, key: str, token: str) -> bool:
        statement = "DELETE FROM idempotency WHERE key = ? AND token = ?"
        return self._write(lambda conn: conn.execute(statement, (key, token)).rowcount == 1)

    def close(self) -> None:
        """Close every connection this process opened (a forked child's copies are left alone)."""
        with self._opened_lock:
            mine = [conn for pid, conn in self._opened if pid == os.getpid()]
            self._opened = []
        for conn in mine:
            conn.close()
        self._local = threading.local()
