"""Batch and event pipelines.

Batch semantics (queue and notification triggers): every record is attempted; a record that is malformed
or fails validation fails alone (``retryable=False``); valid records are claimed individually in the
idempotency store (key = the handler's ``idempotency_key`` or the record's stable id), so a redelivered
batch re-runs only what did not complete; the handler gets all claimable items at once and answers one
:class:`RecordOutcome` per item. How failures reach the platform is described in
:mod:`shared.runtime.responses` (no platform here has partial batch responses, so retryable failures
request a redelivery of the batch). A failure that concerns every record - the store, the configuration,
an import (:mod:`shared.runtime.unavailable`) - releases the claims and fails the whole invocation instead.

Event handlers (CTS, EventGrid) reuse the same bookkeeping but are called once per event.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from pydantic import BaseModel

from shared.idempotency import IdempotencyPayloadMismatch, payload_hash
from shared.runtime.context import Invocation
from shared.runtime.errors import answer_for
from shared.runtime.idempotent import IdempotentCalls, Lock
from shared.runtime.inputs import BadInput, decode_json, validate_model
from shared.runtime.responses import BatchItemResult, RecordOutcome, to_json_data
from shared.runtime.specs import BatchSpec, EventSpec
from shared.runtime.stored import as_record_outcome, failure_record
from shared.runtime.unavailable import diagnose
from shared.triggers.models import CloudEvent, Record

__all__ = ["BatchSpec", "EventSpec", "run_batch", "run_events"]


@dataclass
class _Pending:
    index: int
    record: Record
    item: BaseModel
    lock: Lock
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


def _record_item(record: Record, model: type[BaseModel], inv: Invocation) -> BaseModel:
    """The record's validated item; :class:`BadInput` when it is not JSON or fails validation."""
    data = decode_json(record.body)
    # CloudEvents: handlers want the event's data unless their model is a CloudEvent envelope.
    if inv.trigger.kind == "cloudevent" and not issubclass(model, CloudEvent):
        data = data.get("data") if isinstance(data, dict) else data
    return validate_model(model, data)


async def _prepare(
    batch: _Batch,
    model: type[BaseModel],
    key_fn: Callable[[Any], Any] | None,
    calls: IdempotentCalls,
    inv: Invocation,
) -> list[_Pending]:
    """Validate and claim every record; failures and replays are settled in ``batch.results``."""
    pending: list[_Pending] = []
    leaders: dict[str, _Pending] = {}
    for index, record in enumerate(batch.records):
        if record.error is not None:
            batch.fail(index, f"malformed record: {record.error}", retryable=False)
            continue
        try:
            item = _record_item(record, model, inv)
        except BadInput as exc:
            batch.fail(index, exc.error, retryable=False, fields=exc.fields)
            continue
        try:
            key = calls.key(key_fn, item) or f"record:{record.dedupe_key}"
            leader = leaders.get(key)
            if leader is not None:
                _follow(leader, index, item)
                continue
            lock = await calls.claim(inv, key, item)
        except Exception as exc:
            _raise_if_unavailable(exc, pending)
            answer = answer_for(exc)
            if answer.log_traceback:
                inv.log.exception("idempotency key or claim failed", record_id=record.id)
            batch.fail(index, str(answer.body.get("error")), retryable=answer.retryable)
            continue
        if lock.replayed:
            batch.results[index] = BatchItemResult(record.id, as_record_outcome(lock.stored), replayed=True)
            continue
        leaders[key] = entry = _Pending(index, record, item, lock)
        pending.append(entry)
    return pending


def _raise_if_unavailable(exc: BaseException, pending: Sequence[_Pending]) -> None:
    """A failure of the store, the configuration or an import concerns every record, not one: release
    the claims taken so far and fail the whole invocation, so the platform redelivers the batch."""
    problem = diagnose(exc)
    if problem is None:
        return
    for entry in pending:
        entry.lock.finish_quietly(record_id=entry.record.id)
    raise problem from None


def _follow(leader: _Pending, index: int, item: BaseModel) -> None:
    """Attach a later record with the leader's key; the same key with another payload is refused."""
    if leader.lock.payload_hash != payload_hash(item.model_dump(mode="json")):
        raise IdempotencyPayloadMismatch("same key, different payload within one batch")
    leader.followers.append(index)


def _settle(batch: _Batch, entry: _Pending, outcome: RecordOutcome, inv: Invocation) -> None:
    """Record the outcome and finish the record's lock: store a success or a permanent failure (a
    redelivery caused by another record must not run it again), release a retryable failure."""
    if outcome.ok:
        outcome = RecordOutcome.success(to_json_data(outcome.result))
    batch.results[entry.index] = BatchItemResult(entry.record.id, outcome)
    for index in entry.followers:
        batch.results[index] = BatchItemResult(batch.records[index].id, outcome, replayed=outcome.ok)
    if outcome.ok:
        entry.lock.keep(outcome.result)
    elif not outcome.retryable:
        entry.lock.keep(failure_record(outcome.error or "failed"))
    entry.lock.finish_quietly(record_id=entry.record.id)


def _failure_outcome(exc: BaseException, inv: Invocation, what: str) -> RecordOutcome:
    answer = answer_for(exc)
    if answer.log_traceback:
        inv.log.exception(what)
    else:
        inv.log.warning(what, error=answer.body.get("error"), status=answer.status)
    return RecordOutcome.failure(str(answer.body.get("error")), retryable=answer.retryable)


async def run_batch(spec: BatchSpec, inv: Invocation, calls: IdempotentCalls) -> list[BatchItemResult]:
    """All valid, unclaimed records go to the handler at once; it returns one outcome per item."""
    batch = _Batch(inv.trigger.records)
    pending = await _prepare(batch, spec.model, spec.idempotency_key, calls, inv)
    if pending:
        try:
            outcomes = await calls.call(inv, spec.handler, [p.item for p in pending], inv)
            if not isinstance(outcomes, list) or len(outcomes) != len(pending):
                raise TypeError("batch handler must return one RecordOutcome per item")
            if not all(isinstance(o, RecordOutcome) for o in outcomes):
                raise TypeError("batch handler must return RecordOutcome objects")
        except Exception as exc:
            _raise_if_unavailable(exc, pending)
            failure = _failure_outcome(exc, inv, "batch handler failed")
            outcomes = [failure] * len(pending)
        for entry, outcome in zip(pending, outcomes, strict=True):
            _settle(batch, entry, outcome, inv)
    return batch.ordered()


async def run_events(spec: EventSpec, inv: Invocation, calls: IdempotentCalls) -> list[BatchItemResult]:
    """One handler call per event (CTS trace or CloudEvent); outcomes as for batches."""
    batch = _Batch(inv.trigger.records)
    pending = await _prepare(batch, spec.model, spec.idempotency_key, calls, inv)
    for entry in pending:
        scoped = inv.for_record(entry.record)
        try:
            result = await calls.call(scoped, spec.handler, entry.item, scoped)
            outcome = result if isinstance(result, RecordOutcome) else RecordOutcome.success(result)
        except Exception as exc:
            _raise_if_unavailable(exc, pending[pending.index(entry) :])
            outcome = _failure_outcome(exc, scoped, "event handler failed")
        _settle(batch, entry, outcome, scoped)
    return batch.ordered()
