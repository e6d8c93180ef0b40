"""The persistence contract every idempotency store implements, and the record it stores.

Four operations are enough (the Powertools persistence layer has the same four): the whole state machine
lives in :mod:`shared.idempotency.core`, and a store only has to make :meth:`IdempotencyStore.put_if_absent`
atomic. Its condition is the Powertools one: write when there is no record, the record has expired, or it is
an ``INPROGRESS`` lock whose holder ran out of time (``in_progress_expiry`` passed - the invocation that
took it has timed out and will never finish).

``update`` and ``delete`` are conditional on the record's ``token`` (a random value chosen by the lock
holder), so an invocation whose lock already timed out and was taken over cannot overwrite or release
the new holder's lock.
"""

from __future__ import annotations

import json
from abc import ABC, abstractmethod
from dataclasses import asdict, dataclass
from typing import Any, ClassVar, Literal

from shared.errors import OpsfnError

__all__ = [
    "COMPLETED",
    "INPROGRESS",
    "IdempotencyRecord",
    "IdempotencyStore",
    "IdempotencyStoreError",
]

INPROGRESS: Literal["INPROGRESS"] = "INPROGRESS"
COMPLETED: Literal["COMPLETED"] = "COMPLETED"
Status = Literal["INPROGRESS", "COMPLETED"]


class IdempotencyStoreError(OpsfnError):
    """The store could not be reached or answered nonsense (the runtime maps it to a retryable 503)."""


@dataclass(frozen=True)
class IdempotencyRecord:
    """One idempotency entry. Times are epoch seconds (floats) from the caller's clock."""

    key: str
    status: Status
    expiry: float
    token: str
    payload_hash: str = ""
    in_progress_expiry: float | None = None
    response: str | None = None
    """The stored result as JSON text (only for ``COMPLETED``)."""

    def is_live(self, now: float) -> bool:
        """Whether this record still blocks a new claim at ``now`` (the put condition, inverted)."""
        if self.expiry <= now:
            return False
        return not (
            self.status == INPROGRESS
            and self.in_progress_expiry is not None
            and self.in_progress_expiry <= now
        )

    def to_json(self) -> str:
        return json.dumps(asdict(self), separators=(",", ":"))

    @classmethod
    def from_json(cls, text: str | bytes) -> IdempotencyRecord:
        try:
            data: dict[str, Any] = json.loads(text)
            return cls(
                key=str(data["key"]),
                status=INPROGRESS if data["status"] == INPROGRESS else COMPLETED,
                expiry=float(data["expiry"]),
                token=str(data["token"]),
                payload_hash=str(data.get("payload_hash") or ""),
                in_progress_expiry=(
                    None if data.get("in_progress_expiry") is None else float(data["in_progress_expiry"])
                ),
                response=data.get("response"),
            )
        except (ValueError, KeyError, TypeError) as exc:
            raise IdempotencyStoreError(f"corrupt idempotency record ({type(exc).__name__})") from None


class IdempotencyStore(ABC):
    """Where idempotency records live. Implementations must be safe to share between threads."""

    shared: ClassVar[bool] = False
    """Whether every function instance sees the same records (only true for network stores)."""

    @abstractmethod
    def get(self, key: str) -> IdempotencyRecord | None:
        """The record under ``key`` (live or not), or ``None``."""

    @abstractmethod
    def put_if_absent(self, record: IdempotencyRecord, now: float) -> bool:
        """Atomically store ``record`` unless a *live* record (see :meth:`IdempotencyRecord.is_live`)
        exists under its key; ``True`` when written."""

    @abstractmethod
    def update(self, record: IdempotencyRecord, now: float) -> bool:
        """Replace the record under ``record.key`` if its stored token equals ``record.token``
        (``now`` lets stores with native TTLs compute the remaining lifetime on the caller's clock)."""

    @abstractmethod
    def delete(self, key: str, token: str) -> bool:
        """Delete the record under ``key`` if its token is ``token``; ``True`` when deleted."""

    def close(self) -> None:  # noqa: B027 - optional hook; stores without resources need nothing
        """Release connections (stores without resources have nothing to do)."""
