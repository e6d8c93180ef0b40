"""license_purchase entry points: the onboarding webhook and the ordering system's Kafka batches.

Thin on purpose: parsing, signature checks, validation and idempotency are the runtime's; the seat
decisions are :mod:`functions.license_purchase.logic`'s. What is decided here is how an outcome is told to
each caller, because that decides whether the caller tries again:

==========================  ===========================  ===================================================
outcome                     webhook answer               Kafka record
==========================  ===========================  ===================================================
seat bound (any way)        200, stored for duplicates   success, stored for redeliveries
order awaiting payment      202, stored                  failed, not retryable (nothing to retry; SMN told)
refused (unpaid, quota)     409, stored: retrying the    failed, not retryable: a redelivery would only be
                            same request cannot help     refused again (SMN told)
failed, retryable           503 + Retry-After, not       failed, retryable: the batch is redelivered and
                            stored: the sender retries   only this record runs again
==========================  ===========================  ===================================================

Idempotency is keyed on ``request_id``: every delivery of one request gets the first delivery's answer.
A duplicate arriving while the first is still running waits for it (up to :data:`DUPLICATE_WAIT` seconds,
capped by the invocation's remaining time) instead of being told "in progress", so concurrent duplicates
normally see the identical answer.
"""

from __future__ import annotations

from collections.abc import Sequence

from functions.license_purchase.logic import PurchaseOutcome, PurchaseRequest, PurchaseStatus, purchase
from shared.runtime import FunctionApp, HttpResponse, Invocation, RecordOutcome

__all__ = ["DUPLICATE_WAIT", "app", "handler", "main_handler"]

DUPLICATE_WAIT = 30.0
"""Seconds a duplicate waits for the original (a purchase with binds takes a few seconds at most)."""

app = FunctionApp("license_purchase", idempotency_wait=DUPLICATE_WAIT)


@app.http(model=PurchaseRequest, verify="standard_webhooks", idempotency_key=lambda r: r.request_id)
async def on_webhook(request: PurchaseRequest, inv: Invocation) -> HttpResponse:
    """One request from the onboarding portal."""
    [outcome] = await _purchase([request], inv)
    body = outcome.model_dump(mode="json")
    if outcome.ok:
        return HttpResponse(200, body)
    if outcome.status is PurchaseStatus.AWAITING_PAYMENT:
        return HttpResponse(202, body)
    if outcome.retryable:
        return HttpResponse(503, body, {"Retry-After": "5"})
    return HttpResponse(409, body)


@app.batch(model=PurchaseRequest, idempotency_key=lambda r: r.request_id)
async def on_batch(requests: list[PurchaseRequest], inv: Invocation) -> list[RecordOutcome]:
    """A Kafka batch: all requests together, so purchases are grouped into orders of at most 10."""
    outcomes = await _purchase(requests, inv)
    return [_record(outcome) for outcome in outcomes]


def _record(outcome: PurchaseOutcome) -> RecordOutcome:
    if outcome.ok:
        return RecordOutcome.success(outcome.model_dump(mode="json"))
    return RecordOutcome.failure(describe(outcome), retryable=outcome.retryable)


def describe(outcome: PurchaseOutcome) -> str:
    """One line saying why a request has no bound seat, with the seat and order when there are any."""
    parts = [outcome.status.value]
    if outcome.status is PurchaseStatus.AWAITING_PAYMENT:
        parts.append(f"order {outcome.order_id} must be paid before seat {outcome.license_id} can be bound")
    elif outcome.reason:
        parts.append(outcome.reason)
    if outcome.status is PurchaseStatus.FAILED:
        if outcome.license_id:
            parts.append(f"seat {outcome.license_id}")
        if outcome.order_id:
            parts.append(f"order {outcome.order_id}")
    return ": ".join(parts[:2]) + "".join(f"; {p}" for p in parts[2:])


async def _purchase(requests: Sequence[PurchaseRequest], inv: Invocation) -> list[PurchaseOutcome]:
    from shared.clients.ide import IdeClient
    from shared.clients.smn import SmnClient

    settings = inv.settings
    topic = settings.smn_topic_urn or None
    async with IdeClient.from_settings(settings) as ide:
        if topic is None:
            return await purchase(requests, ide, None, None, concurrency=settings.max_concurrency)
        async with SmnClient.for_topic(settings, topic) as smn:
            return await purchase(requests, ide, smn, topic, concurrency=settings.max_concurrency)


handler = app.functiongraph_handler
main_handler = app.scf_handler
