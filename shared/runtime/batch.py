"""Batch, event and timer pipelines.

Batch semantics (queue and notification triggers): every record is attempted; a record that is malformed
or fails validation fails alone (``retryable=False``); valid records are claimed individually in the
idempotency store (key = the handler's ``idempotency_key`` or the record's stable id), so a redelivered
batch re-runs only what did not complete; the handler gets all claimable items at once and answers one
:class:`RecordOutcome` per item. How failures reach the platform is described in
:mod:`shared.runtime.responses` (no platform here has partial batch responses, so retryable failures
request a redelivery of the batch).

Event handlers (CTS, EventGrid) reuse the same bookkeeping but are called once per event.
"""

from __future__ import annotations

import contextlib
import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from pydantic import BaseModel

from shared.idempotency import Claim, Idempotency, IdempotencyPayloadMismatch, payload_hash
from shared.runtime.context import Invocation
from shared.runtime.errors import answer_for
from shared.runtime.inputs import (
    BadInput,
    Services,
    call_handler,
    decode_json,
    to_json_data,
    validate_model,
)
from shared.runtime.responses import BatchItemResult, HttpResponse, RecordOutcome
from shared.runtime.stored import failure_record, is_stored_http, shared_key, stored_failure
from shared.triggers.models import CloudEvent, Record

__all__ = ["BatchSpec", "EventSpec", "TimerSpec", "run_batch", "run_events", "run_timer"]


@dataclass(frozen=True)
class BatchSpec:
    handler: Callable[..., Any]
    model: type[BaseModel]
    idempotency_key: Callable[[Any], Any] | None = None


@dataclass(frozen=True)
class EventSpec:
    handler: Callable[..., Any]
    model: type[BaseModel]
    sources: tuple[str, ...] = ("cts", "eventgrid")
    idempotency_key: Callable[[Any], Any] | None = None


@dataclass(frozen=True)
class TimerSpec:
    handler: Callable[..., Any]
    model: type[BaseModel]
    idempotency_key: Callable[[Any], Any] | None = None


@dataclass
class _Pending:
    index: int
    record: Record
    item: BaseModel
    claim: Claim | None = None
    followers: list[int] = field(default_factory=list)
    """Later records of the same batch with the same key and payload: they share this outcome, because
    claiming them would find this record's own lock (and, with a wait configured, wait on itself)."""


@dataclass
class _Batch:
    records: Sequence[Record]
    results: dict[int, BatchItemResult] = field(default_factory=dict)

    def fail(self, index: int, error: str, *, retryable: bool, fields: Sequence[Any] = ()) -> None:
        record = self.records[index]
        self.results[index] = BatchItemResult(
            record.id, RecordOutcome.failure(error, retryable=retryable), fields=tuple(fields)
        )

    def ordered(self) -> list[BatchItemResult]:
        return [self.results[i] for i in range(len(self.records))]


def _record_data(record: Record, model: type[BaseModel], cloudevent: bool) -> Any:
    data = decode_json(record.body)
    # CloudEvents: handlers want the event's data unless their model is a CloudEvent envelope.
    if cloudevent and not issubclass(model, CloudEvent):
        return data.get("data") if isinstance(data, dict) else data
    return data


async def _prepare(
    batch: _Batch,
    model: type[BaseModel],
    key_fn: Callable[[Any], Any] | None,
    idem: Idempotency,
    inv: Invocation,
    margin: float,
) -> list[_Pending]:
    """Validate and claim every record; failures and replays are settled in ``batch.results``."""
    pending: list[_Pending] = []
    leaders: dict[str, _Pending] = {}
    remaining = inv.remaining_seconds()
    for index, record in enumerate(batch.records):
        if record.error is not None:
            batch.fail(index, f"malformed record: {record.error}", retryable=False)
            continue
        try:
            data = _record_data(record, model, inv.trigger.kind == "cloudevent")
            item = validate_model(model, data)
        except BadInput as exc:
            batch.fail(index, exc.error, retryable=False, fields=exc.fields)
            continue
        try:
            raw = key_fn(item) if key_fn is not None else None
            raw_key = f"record:{record.dedupe_key}" if raw is None or str(raw) == "" else shared_key(raw)
            payload = item.model_dump(mode="json")
            leader = leaders.get(raw_key)
            if leader is not None:
                if leader.claim is not None and leader.claim.payload_hash != payload_hash(payload):
                    raise IdempotencyPayloadMismatch("same key, different payload within one batch")
                leader.followers.append(index)
                continue
            claim = await idem.claim(
                raw_key,
                payload,
                in_progress_timeout=remaining,
                max_wait=None if remaining is None else remaining - margin,
            )
        except Exception as exc:
            answer = answer_for(exc)
            if answer.log_traceback:
                inv.log.exception("idempotency key or claim failed", record_id=record.id)
            batch.fail(index, str(answer.body.get("error")), retryable=answer.retryable)
            continue
        if claim.replayed:
            batch.results[index] = BatchItemResult(
                record.id, _replayed_outcome(claim.response), replayed=True
            )
            continue
        entry = _Pending(index, record, item, claim)
        leaders[raw_key] = entry
        pending.append(entry)
    return pending


def _replayed_outcome(stored: Any) -> RecordOutcome:
    """A stored result as a record outcome. The key is shared with the webhook pipeline
    (:func:`shared.runtime.http.shared_key`), so the stored value may be that pipeline's HTTP answer: a
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


def _settle(
    batch: _Batch, entry: _Pending, outcome: RecordOutcome, idem: Idempotency, inv: Invocation
) -> None:
    """Record the outcome and finish the record's lock: store a success or a permanent failure (a
    redelivery caused by another record must not run it again), release a retryable failure."""
    if outcome.ok:
        outcome = RecordOutcome.success(to_json_data(outcome.result))
    batch.results[entry.index] = BatchItemResult(entry.record.id, outcome)
    for index in entry.followers:
        batch.results[index] = BatchItemResult(batch.records[index].id, outcome, replayed=outcome.ok)
    if entry.claim is None:
        return
    try:
        if outcome.ok:
            idem.complete(entry.claim, outcome.result)
        elif not outcome.retryable:
            idem.complete(entry.claim, failure_record(outcome.error or "failed"))
        else:
            idem.release(entry.claim)
    except Exception:
        inv.log.warning("idempotency store update failed", record_id=entry.record.id)


def _failure_outcome(exc: BaseException, inv: Invocation, what: str) -> RecordOutcome:
    answer = answer_for(exc)
    if answer.log_traceback:
        inv.log.exception(what)
    else:
        inv.log.warning(what, error=answer.body.get("error"), status=answer.status)
    return RecordOutcome.failure(str(answer.body.get("error")), retryable=answer.retryable)


async def run_batch(spec: BatchSpec, inv: Invocation, services: Services) -> list[BatchItemResult]:
    """All valid, unclaimed records go to the handler at once; it returns one outcome per item."""
    batch = _Batch(inv.trigger.records)
    idem = services.idempotency()
    pending = await _prepare(batch, spec.model, spec.idempotency_key, idem, inv, services.timeout_margin)
    if pending:
        remaining = inv.remaining_seconds()
        timeout = None if remaining is None else remaining - services.timeout_margin
        try:
            outcomes = await call_handler(spec.handler, [p.item for p in pending], inv, timeout=timeout)
            if not isinstance(outcomes, list) or len(outcomes) != len(pending):
                raise TypeError("batch handler must return one RecordOutcome per item")
            if not all(isinstance(o, RecordOutcome) for o in outcomes):
                raise TypeError("batch handler must return RecordOutcome objects")
        except Exception as exc:
            failure = _failure_outcome(exc, inv, "batch handler failed")
            outcomes = [failure] * len(pending)
        for entry, outcome in zip(pending, outcomes, strict=True):
            _settle(batch, entry, outcome, idem, inv)
    return batch.ordered()


async def run_events(spec: EventSpec, inv: Invocation, services: Services) -> list[BatchItemResult]:
    """One handler call per event (CTS trace or CloudEvent); outcomes as for batches."""
    batch = _Batch(inv.trigger.records)
    idem = services.idempotency()
    pending = await _prepare(batch, spec.model, spec.idempotency_key, idem, inv, services.timeout_margin)
    for entry in pending:
        scoped = inv.for_record(entry.record)
        remaining = scoped.remaining_seconds()
        timeout = None if remaining is None else remaining - services.timeout_margin
        try:
            result = await call_handler(spec.handler, entry.item, scoped, timeout=timeout)
            outcome = result if isinstance(result, RecordOutcome) else RecordOutcome.success(result)
        except Exception as exc:
            outcome = _failure_outcome(exc, scoped, "event handler failed")
        _settle(batch, entry, outcome, idem, scoped)
    return batch.ordered()


def timer_input(body: bytes) -> Any:
    """The timer's user text as model input: ``{}`` when empty, the JSON object when it is one, else
    ``{"message": text}`` - so a model with a ``message`` field accepts plain-text timers
    (``timer_event_txt.json`` sends ``"Hello world"``)."""
    text = body.decode("utf-8", "replace").strip()
    if not text:
        return {}
    try:
        data = decode_json(body)
    except BadInput:
        return {"message": text}
    return data if isinstance(data, dict) else {"message": data}


async def run_timer(spec: TimerSpec, inv: Invocation, services: Services) -> tuple[dict[str, Any], str]:
    """Run the timer handler; ``(response, outcome)``. Timer triggers are synchronous and not retried by
    the platform, so failures are answered (and logged), never raised."""
    idem: Idempotency | None = None
    claim: Claim | None = None
    try:
        item = validate_model(spec.model, timer_input(inv.trigger.body))
        if spec.idempotency_key is not None:
            raw = spec.idempotency_key(item)
            if raw is not None and str(raw) != "":
                idem = services.idempotency()
                claim = await idem.claim(
                    shared_key(raw), item.model_dump(mode="json"), in_progress_timeout=inv.remaining_seconds()
                )
                if claim.replayed:
                    return {"ok": True, "result": claim.response, "replayed": True}, "replayed"
        remaining = inv.remaining_seconds()
        timeout = None if remaining is None else remaining - services.timeout_margin
        result = to_json_data(await call_handler(spec.handler, item, inv, timeout=timeout))
        if claim is not None and idem is not None:
            idem.complete(claim, result)
        return {"ok": True, "result": result}, "ok"
    except BadInput as exc:
        return {"ok": False, "status": 400, **exc.body()}, "rejected"
    except Exception as exc:
        if claim is not None and idem is not None and claim.owned:
            try:
                idem.release(claim)
            except Exception:
                inv.log.warning("could not release idempotency lock")
        answer = answer_for(exc)
        if answer.log_traceback:
            inv.log.exception("timer handler failed")
        return {
            "ok": False,
            "status": answer.status,
            **answer.body,
        }, "rejected" if answer.status < 500 else "error"
