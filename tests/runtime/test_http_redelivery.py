"""Webhook redelivery: a verified delivery id is the sender's idempotency key.

Standard Webhooks senders that lost our answer re-send the same ``webhook-id`` with a fresh timestamp and
signature; GitHub redelivers the same ``X-GitHub-Delivery`` GUID. Such a redelivery must get the first
delivery's answer (status and body, ``Idempotent-Replayed: true``), one arriving while the first still runs
must wait or get a retryable status, and the same id with another body is refused.
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import threading
import time
from typing import Any

from _runtime_helpers import body_of, signed
from pydantic import BaseModel

from shared.errors import ThrottledError
from shared.runtime import FunctionApp, Invocation
from shared.triggers.local import webhook_event


class Order(BaseModel):
    item: str


BODY = b'{"item": "seat"}'
OTHER = b'{"item": "two seats"}'


def counting_app(**kw: Any) -> tuple[FunctionApp, list[str]]:
    """An app without a business key: only the delivery id can stop a redelivery from running twice."""
    runs: list[str] = []
    app = FunctionApp("orders", **kw)

    @app.http(model=Order, verify="standard_webhooks")
    def on_order(order: Order, inv: Invocation) -> dict[str, Any]:
        runs.append(order.item)
        return {"ordered": order.item, "run": len(runs)}

    return app, runs


def test_redelivery_with_fresh_signature_gets_the_first_answer(webhook_secret: str) -> None:
    app, runs = counting_app()
    first = app.invoke_local(signed(BODY, "msg_lost", ts=int(time.time()) - 60))
    again = app.invoke_local(signed(BODY, "msg_lost"))  # fresh timestamp, so a fresh signature
    assert first["statusCode"] == again["statusCode"] == 200
    assert body_of(again) == body_of(first) == {"ordered": "seat", "run": 1}
    assert again["headers"]["Idempotent-Replayed"] == "true"
    assert "Idempotent-Replayed" not in first["headers"]
    assert runs == ["seat"]


def test_an_exact_resend_within_the_tolerance_is_answered_not_run(webhook_secret: str) -> None:
    app, runs = counting_app()
    event = signed(BODY, "msg_same")
    assert app.invoke_local(dict(event))["statusCode"] == 200
    resent = app.invoke_local(dict(event))
    assert resent["statusCode"] == 200 and resent["headers"]["Idempotent-Replayed"] == "true"
    assert runs == ["seat"]


def test_a_stored_refusal_is_replayed_too(webhook_secret: str) -> None:
    """4xx answers are final: the redelivery gets the same refusal with the same body."""
    app = FunctionApp("orders")

    @app.http(model=Order, verify="standard_webhooks")
    def on_order(order: Order, inv: Invocation) -> Any:
        from shared.runtime import HttpError

        raise HttpError(403, "not allowed", code="forbidden")

    first = app.invoke_local(signed(BODY, "msg_403"))
    again = app.invoke_local(signed(BODY, "msg_403"))
    assert first["statusCode"] == again["statusCode"] == 403
    assert body_of(again) == body_of(first)
    assert again["headers"]["Idempotent-Replayed"] == "true"


def test_the_same_id_with_another_body_is_refused(webhook_secret: str) -> None:
    app, runs = counting_app()
    assert app.invoke_local(signed(BODY, "msg_reused"))["statusCode"] == 200
    reused = app.invoke_local(signed(OTHER, "msg_reused"))
    assert reused["statusCode"] == 409
    assert body_of(reused)["error"] == "idempotency_payload_mismatch"
    assert "Idempotent-Replayed" not in reused["headers"]
    assert runs == ["seat"]


def test_a_retryable_failure_is_not_kept_so_the_redelivery_runs(webhook_secret: str) -> None:
    runs: list[int] = []
    app = FunctionApp("orders")

    @app.http(model=Order, verify="standard_webhooks")
    def on_order(order: Order, inv: Invocation) -> dict[str, int]:
        runs.append(1)
        if len(runs) == 1:
            raise ThrottledError("slow down", status=429, error_code="APIG.9008")
        return {"run": len(runs)}

    assert app.invoke_local(signed(BODY, "msg_503"))["statusCode"] == 503
    second = app.invoke_local(signed(BODY, "msg_503"))
    assert second["statusCode"] == 200 and "Idempotent-Replayed" not in second["headers"]
    third = app.invoke_local(signed(BODY, "msg_503"))
    assert third["statusCode"] == 200 and third["headers"]["Idempotent-Replayed"] == "true"
    assert body_of(third) == {"run": 2} and len(runs) == 2


def test_a_redelivery_while_the_first_runs_gets_a_retryable_409(webhook_secret: str) -> None:
    started, release = threading.Event(), threading.Event()
    app = FunctionApp("orders")

    @app.http(model=Order, verify="standard_webhooks")
    async def on_order(order: Order, inv: Invocation) -> dict[str, str]:
        started.set()
        while not release.is_set():
            await asyncio.sleep(0.005)
        return {"done": order.item}

    answers: list[dict[str, Any]] = []
    first = threading.Thread(target=lambda: answers.append(app.invoke_local(signed(BODY, "msg_slow"))))
    first.start()
    assert started.wait(5)
    during = app.invoke_local(signed(BODY, "msg_slow"))
    release.set()
    first.join(5)
    assert during["statusCode"] == 409 and body_of(during)["error"] == "in_progress"
    assert during["headers"]["Retry-After"]
    assert answers[0]["statusCode"] == 200
    after = app.invoke_local(signed(BODY, "msg_slow"))
    assert after["headers"]["Idempotent-Replayed"] == "true" and body_of(after) == {"done": "seat"}


def test_a_redelivery_while_the_first_runs_waits_when_configured(webhook_secret: str) -> None:
    started = threading.Event()
    app = FunctionApp("orders", idempotency_wait=5.0)
    runs: list[int] = []

    @app.http(model=Order, verify="standard_webhooks")
    async def on_order(order: Order, inv: Invocation) -> dict[str, int]:
        runs.append(1)
        started.set()
        await asyncio.sleep(0.2)
        return {"run": len(runs)}

    answers: list[dict[str, Any]] = []
    first = threading.Thread(target=lambda: answers.append(app.invoke_local(signed(BODY, "msg_wait"))))
    first.start()
    assert started.wait(5)
    waited = app.invoke_local(signed(BODY, "msg_wait"))
    first.join(5)
    assert waited["statusCode"] == 200 and waited["headers"]["Idempotent-Replayed"] == "true"
    assert body_of(waited) == body_of(answers[0]) and runs == [1]


def test_forged_and_stale_redeliveries_are_still_401(webhook_secret: str) -> None:
    import base64

    app, runs = counting_app()
    assert app.invoke_local(signed(BODY, "msg_f"))["statusCode"] == 200
    forged = signed(BODY, "msg_f", secret="whsec_" + base64.b64encode(b"not-the-key-000000000").decode())
    assert app.invoke_local(forged)["statusCode"] == 401
    assert app.invoke_local(signed(BODY, "msg_f", ts=int(time.time()) - 3600))["statusCode"] == 401
    assert runs == ["seat"]


def _github(body: bytes, guid: str, secret: bytes = b"github-shared-secret") -> dict[str, Any]:
    digest = hmac.new(secret, body, hashlib.sha256).hexdigest()
    headers = {"X-Hub-Signature-256": f"sha256={digest}", "X-GitHub-Delivery": guid}
    return webhook_event("POST", "/", headers, body)


def test_github_redelivery_gets_the_first_answer_and_a_reused_guid_is_refused(monkeypatch: Any) -> None:
    monkeypatch.setenv("OPSFN_WEBHOOK_SECRET", "github-shared-secret")
    runs: list[str] = []
    app = FunctionApp("api_publish")

    @app.http(model=Order, verify="github")
    def on_push(order: Order, inv: Invocation) -> dict[str, Any]:
        runs.append(order.item)
        return {"published": order.item}

    first = app.invoke_local(_github(BODY, "guid-1"))
    again = app.invoke_local(_github(BODY, "guid-1"))
    assert first["statusCode"] == again["statusCode"] == 200
    assert again["headers"]["Idempotent-Replayed"] == "true" and body_of(again) == body_of(first)
    assert app.invoke_local(_github(OTHER, "guid-1"))["statusCode"] == 409
    assert app.invoke_local(_github(OTHER, "guid-2"))["statusCode"] == 200
    assert runs == ["seat", "two seats"]
