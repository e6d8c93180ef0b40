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

import contextlib
import json
from typing import Any

from shared.runtime.responses import HttpResponse, RecordOutcome

__all__ = [
    "as_http_response",
    "as_record_outcome",
    "failure_record",
    "is_stored_http",
    "shared_key",
    "stored_failure",
]

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


def as_http_response(stored: Any) -> HttpResponse:
    """A stored answer as an HTTP response: the webhook pipeline's own response, a queue record's
    permanent failure (409: the request was refused and a retry cannot change that), or a queue record's
    result (only successes are stored as results, hence 200)."""
    if is_stored_http(stored):
        return HttpResponse.from_stored(stored)
    error = stored_failure(stored)
    if error is not None:
        return HttpResponse(409, {"error": "request_failed", "message": error})
    return HttpResponse(200, stored)


def as_record_outcome(stored: Any) -> RecordOutcome:
    """A stored answer as a record outcome. The stored value may be the webhook pipeline's HTTP answer: a
    2xx/3xx is the record's success (its JSON body as the result), anything else a final failure - the
    request was already answered and redelivering the record cannot change that. A stored permanent
    failure of a record is that failure again."""
    error = stored_failure(stored)
    if error is not None:
        return RecordOutcome.failure(error, retryable=False)
    if not is_stored_http(stored):
        return RecordOutcome.success(stored)
    response = HttpResponse.from_stored(stored)
    body: Any = response.body
    if isinstance(body, str):
        with contextlib.suppress(ValueError):  # a plain-text answer stays text
            body = json.loads(body)
    if response.status < 400:
        return RecordOutcome.success(body)
    error = body.get("error") if isinstance(body, dict) else None
    return RecordOutcome.failure(
        f"already answered {response.status} by another trigger" + (f": {error}" if error else ""),
        retryable=False,
    )
