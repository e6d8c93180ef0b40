"""Typed results → what each platform expects back.

HTTP (FunctionGraph APIG, SCF API gateway integration response, local webhook) all take the same object,
``{statusCode, headers, body, isBase64Encoded}``: FunctionGraph answers anything else with HTTP 500 and SCF
with ``Invalid scf response``, so :meth:`HttpResponse.render` always produces exactly that, with a string
body (binary bodies base64-encoded).

Batches are harder, because **no trigger opsfn uses has a partial-batch response**: FunctionGraph
DMS/Kafka and SMN triggers are asynchronous and retry the *whole* event when the invocation fails; SCF
CKafka/CMQ retry the whole batch on an execution error (CKafka up to 10 000 times by default). There is no
``batchItemFailures`` contract as on AWS. What opsfn does instead (see :func:`needs_redelivery`):

* every record is attempted and gets its own :class:`BatchItemResult`;
* records that can never succeed (malformed, failed validation, ``retryable=False``) are reported and
  logged, and do **not** cause a redelivery - retrying them would block the partition forever;
* if any record failed *retryably*, the platform entry point raises
  :class:`~shared.runtime.RedeliveryRequested` after the summary log, so the platform redelivers the
  batch. Records that succeeded are not re-executed on redelivery: the runtime's per-record idempotency
  (keyed on the model's key or the stable record id) answers them from the store.

The returned body still carries an AWS-style ``batchItemFailures`` list (plus per-record results), so
local callers (``opsfn serve``, tests) and any future platform that does honour partial responses see
exactly which ids failed.
"""

from __future__ import annotations

import base64
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

__all__ = [
    "BatchItemResult",
    "HttpResponse",
    "RecordOutcome",
    "batch_response",
    "needs_redelivery",
    "to_json_data",
]

_JSON = "application/json"


def to_json_data(value: Any) -> Any:
    """A handler result as plain JSON data: pydantic models dumped in JSON mode, at any depth.

    Duck-typed on ``model_dump`` so plain dict results never import pydantic here.
    """
    dump = getattr(value, "model_dump", None)
    if callable(dump):
        return dump(mode="json")
    if isinstance(value, (list, tuple)):
        return [to_json_data(item) for item in value]
    if isinstance(value, Mapping):
        return {str(k): to_json_data(v) for k, v in value.items()}
    return value


@dataclass(frozen=True)
class HttpResponse:
    """An HTTP answer. ``body`` may be JSON data (dict, list, pydantic model...), ``str`` or ``bytes``."""

    status: int = 200
    body: Any = None
    headers: Mapping[str, str] = field(default_factory=dict)

    def encoded(self) -> tuple[str, bool, dict[str, str]]:
        """``(body_text, is_base64, headers)`` with a Content-Type chosen for the body's type."""
        headers = dict(self.headers)
        has_type = any(k.lower() == "content-type" for k in headers)
        if isinstance(self.body, bytes):
            if not has_type:
                headers["Content-Type"] = "application/octet-stream"
            return base64.b64encode(self.body).decode("ascii"), True, headers
        if isinstance(self.body, str):
            if not has_type:
                headers["Content-Type"] = "text/plain; charset=utf-8"
            return self.body, False, headers
        if self.body is None:
            return "", False, headers
        if not has_type:
            headers["Content-Type"] = _JSON
        return json.dumps(to_json_data(self.body), ensure_ascii=False, separators=(",", ":")), False, headers

    def render(self) -> dict[str, Any]:
        """The platform response object (identical for FunctionGraph, SCF and local)."""
        body, is_b64, headers = self.encoded()
        return {"statusCode": self.status, "headers": headers, "body": body, "isBase64Encoded": is_b64}

    def to_stored(self) -> dict[str, Any]:
        """JSON form kept by the idempotency store, so a duplicate gets byte-identical output."""
        return self.render()

    @classmethod
    def from_stored(cls, data: Mapping[str, Any]) -> HttpResponse:
        """Rebuild a stored response (see :meth:`to_stored`)."""
        raw = str(data.get("body", ""))
        body: Any = base64.b64decode(raw) if data.get("isBase64Encoded") else raw
        headers = {str(k): str(v) for k, v in dict(data.get("headers") or {}).items()}
        return cls(status=int(data.get("statusCode", 200)), body=body, headers=headers)


@dataclass(frozen=True)
class RecordOutcome:
    """What a batch handler says about one item, in the order the items were given.

    ``retryable=False`` marks a permanent failure: it is reported but never causes a redelivery.
    """

    ok: bool
    result: Any = None
    error: str | None = None
    retryable: bool = True

    @classmethod
    def success(cls, result: Any = None) -> RecordOutcome:
        return cls(ok=True, result=result)

    @classmethod
    def failure(cls, error: str, *, retryable: bool = True) -> RecordOutcome:
        return cls(ok=False, error=error, retryable=retryable)


@dataclass(frozen=True)
class BatchItemResult:
    """The final result of one record: its id plus the outcome (and field errors for invalid records)."""

    id: str
    outcome: RecordOutcome
    fields: Sequence[Mapping[str, str]] = ()
    replayed: bool = False

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {"id": self.id, "status": "ok" if self.outcome.ok else "failed"}
        if self.outcome.ok:
            if self.outcome.result is not None:
                out["result"] = to_json_data(self.outcome.result)
            if self.replayed:
                out["replayed"] = True
        else:
            out["error"] = self.outcome.error or "failed"
            out["retryable"] = self.outcome.retryable
            if self.replayed:
                out["replayed"] = True
            if self.fields:
                out["fields"] = [dict(f) for f in self.fields]
        return out


def needs_redelivery(results: Sequence[BatchItemResult]) -> bool:
    """Whether the platform must redeliver the batch: some record failed and a retry may help."""
    return any(not r.outcome.ok and r.outcome.retryable for r in results)


def batch_response(results: Sequence[BatchItemResult]) -> dict[str, Any]:
    """The batch result object: ``batchItemFailures`` (AWS-style ids), counts and per-record results."""
    failed = [r for r in results if not r.outcome.ok]
    return {
        "batchItemFailures": [{"itemIdentifier": r.id} for r in failed],
        "records_ok": len(results) - len(failed),
        "records_failed": len(failed),
        "redeliver": needs_redelivery(results),
        "results": [r.to_dict() for r in results],
    }
