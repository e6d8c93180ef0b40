"""The run journal: the applied plan and the snapshot, kept in the idempotency store under the commit.

The runtime stores a finished answer under the delivery's key; this journal covers what the runtime cannot
see - a run that died half-way. Its phases: ``applying`` (snapshot taken, writes may have happened),
``rolling_back``, and the final ``done`` / ``rolled_back`` with the answer. The next delivery that finds
``applying`` or ``rolling_back`` first restores the snapshot, so every crash converges to the previous
state or, after a successful re-run, to the new one. The last applied document per target and environment is
kept too, for the drift timer.
"""

from __future__ import annotations

import json
import time
from typing import Any

from shared.idempotency import COMPLETED, IdempotencyRecord, IdempotencyStore

__all__ = ["Journal"]

_TOKEN = "api_publish-journal"  # noqa: S105 - a record owner tag, not a credential
_KEEP_SECONDS = 90 * 86400.0


class Journal:
    """Records of one function in one store; ``key`` identifies (commit, target, environments)."""

    def __init__(self, store: IdempotencyStore, namespace: str = "api_publish") -> None:
        self.store = store
        self.namespace = namespace

    def _key(self, kind: str, key: str) -> str:
        return f"{self.namespace}:{kind}:{key}"

    def read(self, kind: str, key: str) -> dict[str, Any] | None:
        record = self.store.get(self._key(kind, key))
        if record is None or record.response is None:
            return None
        value: dict[str, Any] = json.loads(record.response)
        return value

    def write(self, kind: str, key: str, value: dict[str, Any]) -> None:
        now = time.time()
        record = IdempotencyRecord(
            key=self._key(kind, key),
            status=COMPLETED,
            expiry=now + _KEEP_SECONDS,
            token=_TOKEN,
            response=json.dumps(value, separators=(",", ":")),
        )
        if not self.store.update(record, now) and not self.store.put_if_absent(record, now):
            self.store.update(record, now)
