"""license_release entry points: the offboarding webhook and Kafka release requests.

Releasing is idempotent by itself (the seats to free are found by listing), so a redelivery can only free
what is still bound. Idempotency by ``request_id`` (when the sender gives one) is still claimed, so every
delivery of one request reports the same seats as freed rather than "nothing bound" the second time.

A failure a retry can fix (throttling, timeouts, 5xx) answers 503 / a retryable failed record; anything
else answers 409 / a failed record that is not redelivered.
"""

from __future__ import annotations

from collections.abc import Sequence

from functions.license_release.logic import ReleaseOutcome, ReleaseRequest, release
from shared.runtime import FunctionApp, HttpResponse, Invocation, RecordOutcome

__all__ = ["app", "handler", "main_handler"]

app = FunctionApp("license_release", idempotency_wait=30.0)


def _key(request: ReleaseRequest) -> str | None:
    return request.request_id or None


@app.http(model=ReleaseRequest, verify="standard_webhooks", idempotency_key=_key)
async def on_webhook(request: ReleaseRequest, inv: Invocation) -> HttpResponse:
    """One leaver from the offboarding system."""
    [outcome] = await _release([request], inv)
    body = outcome.model_dump(mode="json")
    if outcome.ok:
        return HttpResponse(200, body)
    if outcome.retryable:
        return HttpResponse(503, body, {"Retry-After": "5"})
    return HttpResponse(409, body)


@app.batch(model=ReleaseRequest, idempotency_key=_key)
async def on_batch(requests: list[ReleaseRequest], inv: Invocation) -> list[RecordOutcome]:
    """A Kafka batch; machine-only requests share one walk over the seats."""
    outcomes = await _release(requests, inv)
    return [
        RecordOutcome.success(o.model_dump(mode="json"))
        if o.ok
        else RecordOutcome.failure(
            f"{o.status.value}: {o.reason}" + (f"; freed {', '.join(o.freed)}" if o.freed else ""),
            retryable=o.retryable,
        )
        for o in outcomes
    ]


async def _release(requests: Sequence[ReleaseRequest], inv: Invocation) -> list[ReleaseOutcome]:
    from shared.clients.ide import IdeClient

    async with IdeClient.from_settings(inv.settings) as ide:
        return await release(requests, ide, concurrency=inv.settings.max_concurrency)


handler = app.functiongraph_handler
main_handler = app.scf_handler
