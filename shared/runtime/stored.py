"""What the pipelines keep under one idempotency key, and how each trigger reads the others' records.

One business request may reach a function by several triggers (license_purchase: the onboarding portal's
webhook and the ordering system's Kafka), possibly at the same moment. All pipelines therefore claim the
same key (:func:`shared_key`) - two different locks would let both runs find no seat and both buy - and each
must be able to answer from whatever the other stored:

* the webhook pipeline stores its rendered HTTP response (:func:`is_stored_http`), 4xx included;
* the batch/event pipelines store a record's result, or - for a permanent (non-retryable) failure - a
  :func:`failure_record`. Storing permanent failures matters because no platform here redelivers part of
  a batch: without it every redelivery caused by *another* record would run a refused purchase again
  (one more purchase attempt, one more notification each time).
"""

from __future__ import annotations

from typing import Any

__all__ = ["failure_record", "is_stored_http", "shared_key", "stored_failure"]

_HTTP_KEYS = frozenset({"statusCode", "headers", "body", "isBase64Encoded"})
_FAILED = "opsfn_failed"


def shared_key(raw_key: Any) -> str:
    """The idempotency key of a business key, identical for the webhook, batch and timer pipelines."""
    return f"key:{raw_key}"


def is_stored_http(stored: Any) -> bool:
    """Whether ``stored`` is ``HttpResponse.to_stored()`` output (the webhook pipeline's record)."""
    return isinstance(stored, dict) and set(stored) == _HTTP_KEYS


def failure_record(error: str) -> dict[str, str]:
    """The stored form of a record's permanent failure."""
    return {_FAILED: error}


def stored_failure(stored: Any) -> str | None:
    """The error of a stored permanent failure, or ``None`` when ``stored`` is something else."""
    if isinstance(stored, dict) and set(stored) == {_FAILED}:
        return str(stored[_FAILED])
    return None
