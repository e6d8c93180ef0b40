"""The HTTP pipeline (APIG, SCF API gateway, local webhook): size → verify → parse → validate →
idempotency → handler → response.

The order is deliberate: the size check first (cheap, before any hashing); signature verification before
parsing (an unauthenticated body is never interpreted); validation before idempotency (an invalid request
takes no lock); only successful answers (< 500) are stored, so a duplicate of a failed request runs again.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Literal

from pydantic import BaseModel

from shared.idempotency import StoreReplayGuard
from shared.runtime.context import Invocation
from shared.runtime.errors import HttpError, answer_for
from shared.runtime.idempotent import IdempotentCalls, outcome_label
from shared.runtime.inputs import BadInput, decode_json, validate_model
from shared.runtime.responses import HttpResponse, to_json_data
from shared.runtime.stored import as_http_response

__all__ = ["DEFAULT_MAX_BODY_BYTES", "HttpOutcome", "HttpSpec", "run_http"]

DEFAULT_MAX_BODY_BYTES = 4 * 1024 * 1024
"""FunctionGraph's dedicated APIG trigger accepts at most a 4 MB body (usermanual functiongraph_01_0204)."""

Verification = Literal["standard_webhooks", "github", "ci_push"]
"""``ci_push``: GitHub signature, GitLab or CodeArts Repo token, by the header present (shared.verify)."""


@dataclass(frozen=True)
class HttpSpec:
    handler: Callable[..., Any]
    model: type[BaseModel]
    verify: Verification | None = None
    idempotency_key: Callable[[Any], Any] | None = None
    max_body_bytes: int = DEFAULT_MAX_BODY_BYTES


@dataclass(frozen=True)
class HttpOutcome:
    response: HttpResponse
    outcome: str
    """``ok``, ``replayed``, ``rejected`` (4xx) or ``error`` (5xx)."""


class _TrackingGuard:
    """Remembers which delivery ids it recorded, so a retryable failure can forget them again."""

    def __init__(self, guard: StoreReplayGuard) -> None:
        self._guard = guard
        self.remembered: list[str] = []

    def check_and_remember(self, delivery_id: str, ttl_seconds: float) -> bool:
        fresh = self._guard.check_and_remember(delivery_id, ttl_seconds)
        if fresh:
            self.remembered.append(delivery_id)
        return fresh

    def forget_all(self) -> None:
        for delivery_id in self.remembered:
            self._guard.forget(delivery_id)
        self.remembered.clear()


def _error(status: int, body: dict[str, Any], inv: Invocation, headers: Any = None) -> HttpResponse:
    out_headers = {"X-Request-Id": inv.request_id, **dict(headers or {})}
    return HttpResponse(status=status, body={**body, "request_id": inv.request_id}, headers=out_headers)


def _verify(spec: HttpSpec, inv: Invocation, calls: IdempotentCalls, guard_box: list[_TrackingGuard]) -> None:
    """Raise ``HttpError`` 401/500 unless the request carries a valid, fresh, unseen signature."""
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
    guard = _TrackingGuard(StoreReplayGuard(calls.idempotency().store, namespace=inv.function))
    guard_box.append(guard)
    trigger = inv.trigger
    try:
        if spec.verify == "github":
            verify_github_signature(
                trigger.body, trigger.headers, secrets, guard=guard, max_body_bytes=spec.max_body_bytes
            )
        elif spec.verify == "ci_push":
            verify_ci_push(
                trigger.body, trigger.headers, secrets, guard=guard, max_body_bytes=spec.max_body_bytes
            )
        else:
            verify_standard_webhook(
                trigger.body, trigger.headers, secrets, guard=guard, max_body_bytes=spec.max_body_bytes
            )
    except WebhookVerificationError as exc:
        inv.log.warning("webhook verification failed", reason=exc.reason)
        raise HttpError(401, exc.reason, code="unauthorized") from None
    except ValueError:
        # A malformed configured secret (e.g. not whsec_+base64): the server's fault, and never echoed.
        inv.log.error("OPSFN_WEBHOOK_SECRET is malformed for the configured verification scheme")
        raise HttpError(500, "webhook verification is misconfigured", code="configuration") from None


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
    """Run the HTTP pipeline; never raises (every failure becomes an answer)."""
    guards: list[_TrackingGuard] = []
    try:
        if len(inv.trigger.body) > spec.max_body_bytes:
            body = {"error": "payload_too_large", "message": "request body is too large"}
            return HttpOutcome(_error(413, body, inv), "rejected")
        if spec.verify:
            _verify(spec, inv, calls, guards)
        model = validate_model(spec.model, _input_data(inv))
        key = calls.key(spec.idempotency_key, model)
        async with await calls.claim(inv, key, model) as lock:
            if lock.replayed:
                return HttpOutcome(_replayed(lock.stored, inv), "replayed")
            response = _as_response(await calls.call(inv, spec.handler, model, inv), inv)
            if response.status < 500:
                lock.keep(response.to_stored())
        if response.status >= 500:
            _forget(guards)
        return HttpOutcome(response, outcome_label(response.status))
    except BadInput as exc:
        return HttpOutcome(_error(400, exc.body(), inv), "rejected")
    except Exception as exc:
        answer = answer_for(exc)
        if answer.log_traceback:
            inv.log.exception("handler failed")
        else:
            inv.log.warning("request failed", status=answer.status, error=answer.body.get("error"))
        if answer.retryable:
            _forget(guards)
        return HttpOutcome(
            _error(answer.status, answer.body, inv, answer.headers), outcome_label(answer.status)
        )


def _forget(guards: list[_TrackingGuard]) -> None:
    """Let the sender's retry of a failed delivery through the replay guard."""
    for guard in guards:
        guard.forget_all()


def _replayed(stored: Any, inv: Invocation) -> HttpResponse:
    response = as_http_response(stored)
    headers = {**dict(response.headers), "X-Request-Id": inv.request_id, "Idempotent-Replayed": "true"}
    return HttpResponse(response.status, response.body, headers)
