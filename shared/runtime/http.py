"""The HTTP pipeline (APIG, SCF API gateway, local webhook): size → verify → parse → validate →
idempotency → handler → response.

The order is deliberate: the size check first (cheap, before any hashing); signature verification before
parsing (an unauthenticated body is never interpreted); validation before idempotency (an invalid request
takes no lock); only successful answers (< 500) are stored, so a duplicate of a failed request runs again.
A verified delivery id is claimed like a business key (see :func:`run_http`): signature plus timestamp
tolerance are the replay protection, and a sender's redelivery is answered, never refused.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from pydantic import BaseModel

from shared.runtime.context import Invocation
from shared.runtime.errors import HttpError, answer_for
from shared.runtime.idempotent import IdempotentCalls, outcome_label
from shared.runtime.inputs import BadInput, decode_json, validate_model
from shared.runtime.responses import HttpResponse, to_json_data
from shared.runtime.specs import DEFAULT_MAX_BODY_BYTES, HttpSpec
from shared.runtime.stored import as_http_response

__all__ = ["DEFAULT_MAX_BODY_BYTES", "HttpOutcome", "HttpSpec", "run_http"]


@dataclass(frozen=True)
class HttpOutcome:
    response: HttpResponse
    outcome: str
    """``ok``, ``replayed``, ``rejected`` (4xx) or ``error`` (5xx)."""


def _error(status: int, body: dict[str, Any], inv: Invocation, headers: Any = None) -> HttpResponse:
    out_headers = {"X-Request-Id": inv.request_id, **dict(headers or {})}
    return HttpResponse(status=status, body={**body, "request_id": inv.request_id}, headers=out_headers)


def _verify(spec: HttpSpec, inv: Invocation) -> str | None:
    """The verified delivery id (``scheme:id``), or ``None`` when the scheme carries none; raise
    ``HttpError`` 401/500 unless the request carries a valid, fresh signature.

    No replay guard here: a delivery id seen before is answered from the stored first answer (see
    :func:`run_http`), which is what a sender retrying after a lost answer needs.
    """
    from shared.verify import (
        WebhookVerificationError,
        verify_ci_push,
        verify_github_signature,
        verify_standard_webhook,
    )

    secrets = list(inv.settings.webhook_secrets)
    if not secrets:
        inv.log.error("webhook verification is required but OPSFN_WEBHOOK_SECRET is not set")
        raise HttpError(500, "webhook verification is not configured", code="configuration")
    trigger = inv.trigger
    try:
        if spec.verify == "github":
            delivery = verify_github_signature(
                trigger.body, trigger.headers, secrets, max_body_bytes=spec.max_body_bytes
            )
        elif spec.verify == "ci_push":
            delivery = verify_ci_push(
                trigger.body, trigger.headers, secrets, max_body_bytes=spec.max_body_bytes
            ).delivery
        else:
            delivery = verify_standard_webhook(
                trigger.body, trigger.headers, secrets, max_body_bytes=spec.max_body_bytes
            )
    except WebhookVerificationError as exc:
        inv.log.warning("webhook verification failed", reason=exc.reason)
        raise HttpError(401, exc.reason, code="unauthorized") from None
    except ValueError:
        # A malformed configured secret (e.g. not whsec_+base64): the server's fault, and never echoed.
        inv.log.error("OPSFN_WEBHOOK_SECRET is malformed for the configured verification scheme")
        raise HttpError(500, "webhook verification is misconfigured", code="configuration") from None
    return f"{spec.verify}:{delivery}" if delivery else None


def _input_data(inv: Invocation) -> Any:
    trigger = inv.trigger
    if trigger.body.strip():
        return decode_json(trigger.body)
    # No body (GET/DELETE webhooks): the query string is the input.
    return dict(trigger.query)


def _as_response(result: Any, inv: Invocation) -> HttpResponse:
    if isinstance(result, HttpResponse):
        headers = {"X-Request-Id": inv.request_id, **dict(result.headers)}
        return HttpResponse(status=result.status, body=result.body, headers=headers)
    if result is None:
        return HttpResponse(status=204, headers={"X-Request-Id": inv.request_id})
    return HttpResponse(status=200, body=to_json_data(result), headers={"X-Request-Id": inv.request_id})


async def run_http(spec: HttpSpec, inv: Invocation, calls: IdempotentCalls) -> HttpOutcome:
    """Run the HTTP pipeline; never raises (every failure becomes an answer).

    A verified delivery id is the sender's idempotency key (Standard Webhooks ``webhook-id``, GitHub's
    ``X-GitHub-Delivery``): a redelivery of the same body gets the first answer with
    ``Idempotent-Replayed: true``, one arriving while the first still runs waits or gets 409 with
    ``Retry-After``, and the same id with another body is refused (409). Answers a retry could change
    (5xx, in progress) are not kept, so the sender's retry runs again.
    """
    try:
        if len(inv.trigger.body) > spec.max_body_bytes:
            body = {"error": "payload_too_large", "message": "request body is too large"}
            return HttpOutcome(_error(413, body, inv), "rejected")
        delivery = _verify(spec, inv) if spec.verify else None
        model = validate_model(spec.model, _input_data(inv))
        async with await calls.claim_delivery(inv, delivery, inv.trigger.body) as delivery_lock:
            if delivery_lock.replayed:
                return HttpOutcome(_replayed(delivery_lock.stored, inv), "replayed")
            outcome, retryable = await _answer(spec, inv, calls, model)
            if not retryable:
                delivery_lock.keep(outcome.response.to_stored())
        return outcome
    except Exception as exc:
        return _failed(exc, inv)[0]


async def _answer(
    spec: HttpSpec, inv: Invocation, calls: IdempotentCalls, model: BaseModel
) -> tuple[HttpOutcome, bool]:
    """Claim the business key, run the handler and answer; ``(outcome, retryable)``, never raises."""
    try:
        key = calls.key(spec.idempotency_key, model)
        async with await calls.claim(inv, key, model) as lock:
            if lock.replayed:
                return HttpOutcome(_replayed(lock.stored, inv), "replayed"), False
            response = _as_response(await calls.call(inv, spec.handler, model, inv), inv)
            if response.status < 500:
                lock.keep(response.to_stored())
        return HttpOutcome(response, outcome_label(response.status)), response.status >= 500
    except Exception as exc:
        return _failed(exc, inv)


def _failed(exc: Exception, inv: Invocation) -> tuple[HttpOutcome, bool]:
    """The answer to a failure, and whether a retry could change it."""
    if isinstance(exc, BadInput):
        return HttpOutcome(_error(400, exc.body(), inv), "rejected"), False
    answer = answer_for(exc)
    if answer.log_traceback:
        inv.log.exception("handler failed")
    else:
        inv.log.warning("request failed", status=answer.status, error=answer.body.get("error"))
    response = _error(answer.status, answer.body, inv, answer.headers)
    return HttpOutcome(response, outcome_label(answer.status)), answer.retryable


def _replayed(stored: Any, inv: Invocation) -> HttpResponse:
    response = as_http_response(stored)
    headers = {**dict(response.headers), "X-Request-Id": inv.request_id, "Idempotent-Replayed": "true"}
    return HttpResponse(response.status, response.body, headers)
