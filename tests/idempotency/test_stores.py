"""Store configuration and store-specific behaviour (URLs, SQLite file settings, Redis TTLs, failures)."""

from __future__ import annotations

import sqlite3

import pytest

from shared.idempotency import (
    COMPLETED,
    INPROGRESS,
    IdempotencyRecord,
    IdempotencyStoreError,
    is_shared_store_url,
    open_store,
)
from shared.idempotency.memory import MemoryStore
from shared.idempotency.sqlite import SqliteStore


def _record(key: str = "k", *, status=INPROGRESS, expiry=100.0, token="t", ip=None) -> IdempotencyRecord:  # noqa: S107
    return IdempotencyRecord(key=key, status=status, expiry=expiry, token=token, in_progress_expiry=ip)


def test_open_store_urls(tmp_path, monkeypatch):
    assert isinstance(open_store("memory://"), MemoryStore)
    store = open_store(f"sqlite:///{tmp_path}/a/b.db")
    assert isinstance(store, SqliteStore)
    assert store.path == tmp_path / "a" / "b.db"
    assert open_store(f"sqlite:///{tmp_path}/a/b.db") is store  # cached per URL and process
    with pytest.raises(ValueError):
        open_store("postgres://x")


def test_default_sqlite_path_honours_state_dir(tmp_path, monkeypatch):
    monkeypatch.delenv("OPSFN_IDEMPOTENCY_STORE", raising=False)
    monkeypatch.setenv("OPSFN_STATE_DIR", str(tmp_path / "state"))
    store = open_store()
    assert isinstance(store, SqliteStore)
    assert store.path == tmp_path / "state" / "idempotency.db"


def test_env_selects_the_store(monkeypatch):
    monkeypatch.setenv("OPSFN_IDEMPOTENCY_STORE", "memory://")
    assert isinstance(open_store(), MemoryStore)


def test_only_redis_is_shared():
    assert is_shared_store_url("redis://h:6379/0")
    assert is_shared_store_url("rediss://h:6380/0")
    assert not is_shared_store_url("sqlite:///tmp/x.db")
    assert not is_shared_store_url("memory://")


def test_sqlite_uses_wal_and_survives_reopen(sqlite_path):
    store = SqliteStore(sqlite_path)
    assert store.put_if_absent(_record(status=COMPLETED), now=0)
    store.close()
    mode = sqlite3.connect(sqlite_path).execute("PRAGMA journal_mode").fetchone()[0]
    assert mode == "wal"
    again = SqliteStore(sqlite_path)
    got = again.get("k")
    assert got is not None and got.status == COMPLETED


@pytest.mark.parametrize(
    ("existing", "now", "claimable"),
    [
        (_record(status=COMPLETED, expiry=100), 50, False),
        (_record(status=COMPLETED, expiry=100), 100, True),
        (_record(status=INPROGRESS, expiry=100, ip=60), 50, False),
        (_record(status=INPROGRESS, expiry=100, ip=60), 60, True),
        (_record(status=INPROGRESS, expiry=100, ip=None), 99, False),
    ],
)
def test_claim_condition_is_identical_in_every_store(store, existing, now, claimable):
    """The Powertools condition: absent, expired, or an in-progress lock whose holder timed out."""
    assert store.put_if_absent(existing, now=0)
    fresh = _record(token="new", expiry=now + 100)
    assert store.put_if_absent(fresh, now=now) is claimable
    current = store.get("k")
    assert current is not None
    assert current.token == ("new" if claimable else "t")


def test_update_and_delete_need_the_token(store):
    assert store.put_if_absent(_record(), now=0)
    assert store.update(_record(status=COMPLETED, token="other"), now=0) is False
    assert store.delete("k", "other") is False
    assert store.update(_record(status=COMPLETED), now=0) is True
    assert store.delete("k", "t") is True
    assert store.get("k") is None
    assert store.delete("k", "t") is False


def test_redis_records_carry_a_ttl(redis_url):
    import redis

    from shared.idempotency.redis import RedisStore

    store = RedisStore(redis_url, prefix="ttl-test:")
    assert store.put_if_absent(_record(expiry=1000.0), now=990.0)
    ttl = redis.Redis.from_url(redis_url).pttl("ttl-test:k")
    assert 0 < ttl <= 10_000
    store.delete("k", "t")


def test_unreachable_redis_is_a_store_error_without_the_url():
    from shared.idempotency.redis import RedisStore

    store = RedisStore("redis://:hunter2-password@127.0.0.1:1/0")
    with pytest.raises(IdempotencyStoreError) as info:
        store.get("k")
    assert "hunter2" not in str(info.value)


def test_corrupt_record_is_a_store_error():
    with pytest.raises(IdempotencyStoreError):
        IdempotencyRecord.from_json(b"{not json")
    with pytest.raises(IdempotencyStoreError):
        IdempotencyRecord.from_json(b'{"key": "k"}')
