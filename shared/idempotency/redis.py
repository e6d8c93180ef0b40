"""Redis idempotency store (production: Huawei DCS or any Redis), shared by every function instance.

Atomicity comes from Lua scripts, because the claim condition is more than "key absent": an expired
record or a timed-out ``INPROGRESS`` lock must be replaceable too, which ``SET NX`` alone cannot express.
Each record is one JSON string with a ``PX`` TTL equal to its expiry, so Redis drops dead records itself
(the scripts still compare stored timestamps, like Powertools, since TTL is only a cleanup aid).

redis-py is imported only when this module is used: it is an optional extra, never bundled by default.
"""

from __future__ import annotations

import contextlib
import math
from collections.abc import Callable
from typing import Any

from shared.idempotency.store import IdempotencyRecord, IdempotencyStore, IdempotencyStoreError

__all__ = ["RedisStore"]

# KEYS[1] key; ARGV[1] record JSON, ARGV[2] now (s), ARGV[3] ttl (ms)
_CLAIM = """
local current = redis.call('GET', KEYS[1])
if current then
  local r = cjson.decode(current)
  local now = tonumber(ARGV[2])
  local live = tonumber(r['expiry']) > now
  if live and r['status'] == 'INPROGRESS' and type(r['in_progress_expiry']) == 'number'
     and r['in_progress_expiry'] <= now then
    live = false
  end
  if live then return 0 end
end
redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[3])
return 1
"""
# KEYS[1] key; ARGV[1] token, ARGV[2] record JSON ('' deletes the record), ARGV[3] ttl (ms)
_REPLACE = """
local current = redis.call('GET', KEYS[1])
if not current then return 0 end
if cjson.decode(current)['token'] ~= ARGV[1] then return 0 end
if ARGV[2] == '' then
  redis.call('DEL', KEYS[1])
else
  redis.call('SET', KEYS[1], ARGV[2], 'PX', ARGV[3])
end
return 1
"""


class RedisStore(IdempotencyStore):
    """Records as JSON strings under ``prefix + key``; ``url`` is a redis-py URL (``redis://h:p/db``)."""

    shared = True

    def __init__(self, url: str, *, prefix: str = "opsfn:idem:", client: Any = None) -> None:
        if client is None:
            import redis

            client = redis.Redis.from_url(url, socket_timeout=5.0, socket_connect_timeout=5.0)
        self._client = client
        self._prefix = prefix
        self._claim = client.register_script(_CLAIM)
        self._replace = client.register_script(_REPLACE)

    def _run(self, call: Callable[[], Any]) -> Any:
        try:
            return call()
        except Exception as exc:
            # The URL (with a possible password) is deliberately not part of the message.
            raise IdempotencyStoreError(f"Redis store failed ({type(exc).__name__})") from None

    def _ttl_ms(self, record: IdempotencyRecord, now: float) -> int:
        return max(1, math.ceil((record.expiry - now) * 1000))

    def get(self, key: str) -> IdempotencyRecord | None:
        raw = self._run(lambda: self._client.get(self._prefix + key))
        return None if raw is None else IdempotencyRecord.from_json(raw)

    def put_if_absent(self, record: IdempotencyRecord, now: float) -> bool:
        args = [record.to_json(), repr(now), self._ttl_ms(record, now)]
        return bool(self._run(lambda: self._claim(keys=[self._prefix + record.key], args=args)))

    def update(self, record: IdempotencyRecord, now: float) -> bool:
        args = [record.token, record.to_json(), self._ttl_ms(record, now)]
        return bool(self._run(lambda: self._replace(keys=[self._prefix + record.key], args=args)))

    def delete(self, key: str, token: str) -> bool:
        return bool(self._run(lambda: self._replace(keys=[self._prefix + key], args=[token, "", 0])))

    def close(self) -> None:
        # Closing a connection that already died has nothing useful to report.
        with contextlib.suppress(Exception):
            self._client.close()
