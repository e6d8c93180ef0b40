"""The HTTP pipeline: verification, validation, idempotency, error mapping, responses per platform."""

from __future__ import annotations

import base64
import json
import time
from typing import Any

import pytest
from _runtime_helpers import ROTATED_SECRET, WEBHOOK_SECRET, body_of, signed
from pydantic import BaseModel, Field

from shared.errors import (
    AuthError,
    BadRequestError,
    CloudConnectionError,
    CloudError,
    ConflictError,
    NotFoundError,
    QuotaExceededError,
    ServerError,
    ThrottledError,
)
from shared.runtime import FunctionApp, HttpError, HttpResponse, Invocation
from shared.triggers.local import webhook_event


class Purchase(BaseModel):
    request_id: str = Field(min_length=1)
    user: str
    count: int = Field(default=1, ge=1, le=10)


def purchase_app(**kw: Any) -> tuple[FunctionApp, list[Purchase]]:
    seen: list[Purchase] = []
    app = FunctionApp("license_purchase", **kw)

    @app.http(model=Purchase, verify="standard_webhooks", idempotency_key=lambda m: m.request_id)
    async def on_request(req: Purchase, inv: Invocation) -> dict[str, Any]:
        seen.append(req)
        if req.user == "http-error":
            raise HttpError(403, "user may not buy seats", code="forbidden")
        if req.user == "crash":
            raise RuntimeError("database password is hunter2-secret")
        return {"license": f"L-{req.user}", "count": req.count}

    return app, seen


BODY = b'{"request_id": "r-1", "user": "ann"}'


# ------------------------------------------------------------------------------ verification


def test_valid_signature_runs_the_handler(webhook_secret):
    app, seen = purchase_app()
    response = app.invoke_local(signed(BODY))
    assert response["statusCode"] == 200
    assert body_of(response) == {"license": "L-ann", "count": 1}
    assert [p.user for p in seen] == ["ann"]


def test_forged_signature_is_401(webhook_secret):
    app, seen = purchase_app()
    forged = signed(BODY, secret="whsec_" + base64.b64encode(b"attacker-key-000000000000").decode())
    response = app.invoke_local(forged)
    assert response["statusCode"] == 401
    assert body_of(response)["error"] == "unauthorized"
    assert seen == []


def test_tampered_body_is_401(webhook_secret):
    app, seen = purchase_app()
    event = signed(BODY)
    event["body"] = base64.b64encode(BODY.replace(b"ann", b"bob")).decode()
    assert app.invoke_local(event)["statusCode"] == 401
    assert seen == []


def test_redelivered_delivery_id_gets_the_stored_answer(webhook_secret):
    app, seen = purchase_app()
    first = app.invoke_local(signed(BODY, "msg_7"))
    again = app.invoke_local(signed(BODY, "msg_7"))
    assert first["statusCode"] == again["statusCode"] == 200
    assert body_of(again) == body_of(first) and again["headers"]["Idempotent-Replayed"] == "true"
    assert len(seen) == 1


def test_stale_timestamp_is_401(webhook_secret):
    app, _ = purchase_app()
    response = app.invoke_local(signed(BODY, ts=int(time.time()) - 3600))
    assert response["statusCode"] == 401


def test_rotation_accepts_old_and_new_secret(monkeypatch):
    monkeypatch.setenv("OPSFN_WEBHOOK_SECRET", f"{WEBHOOK_SECRET},{ROTATED_SECRET}")
    app, _ = purchase_app()
    assert app.invoke_local(signed(BODY, "m1"))["statusCode"] == 200
    other = BODY.replace(b"r-1", b"r-2")
    assert app.invoke_local(signed(other, "m2", secret=ROTATED_SECRET))["statusCode"] == 200


def test_missing_secret_fails_closed():
    app, seen = purchase_app()
    response = app.invoke_local(signed(BODY))
    assert response["statusCode"] == 500
    assert body_of(response)["error"] == "configuration"
    assert seen == []


def test_delivery_is_forgotten_after_a_retryable_failure(webhook_secret):
    """Senders resend the same ``webhook-id`` after a failure; that retry must not be refused as a replay."""
    calls = []
    app = FunctionApp("fn")

    @app.http(model=Purchase, verify="standard_webhooks")
    def on_request(req: Purchase, inv: Invocation) -> dict[str, str]:
        calls.append(1)
        if len(calls) == 1:
            raise ThrottledError("slow down", status=429, error_code="APIG.9008")
        return {"ok": "yes"}

    assert app.invoke_local(signed(BODY, "msg_r"))["statusCode"] == 503
    assert app.invoke_local(signed(BODY, "msg_r"))["statusCode"] == 200
    third = app.invoke_local(signed(BODY, "msg_r"))
    assert third["statusCode"] == 200 and third["headers"]["Idempotent-Replayed"] == "true"
    assert len(calls) == 2


# ------------------------------------------------------------------------------ validation


def test_validation_errors_are_400_with_fields(webhook_secret):
    app, seen = purchase_app()
    response = app.invoke_local(signed(b'{"request_id": "", "count": 99, "password": "p4ss-word-x"}'))
    assert response["statusCode"] == 400
    body = body_of(response)
    assert body["error"] == "validation"
    locs = {f["loc"]: f["msg"] for f in body["fields"]}
    assert set(locs) == {"request_id", "user", "count"}
    assert all(isinstance(m, str) and m for m in locs.values())
    assert "p4ss-word-x" not in response["body"]
    assert seen == []


def test_malformed_json_is_400(webhook_secret):
    app, _ = purchase_app()
    response = app.invoke_local(signed(b'{"request_id": '))
    assert response["statusCode"] == 400
    assert body_of(response)["error"] == "malformed_json"


def test_body_too_large_is_413():
    app = FunctionApp("fn")

    @app.http(model=Purchase, max_body_bytes=64)
    def on_request(req: Purchase, inv: Invocation) -> None:
        raise AssertionError("never called")

    event = webhook_event("POST", "/", {}, b'{"user": "' + b"x" * 100 + b'"}')
    assert app.invoke_local(event)["statusCode"] == 413


def test_query_string_is_the_input_without_a_body():
    app = FunctionApp("fn")

    @app.http(model=Purchase)
    def on_request(req: Purchase, inv: Invocation) -> dict[str, str]:
        return {"user": req.user}

    event = webhook_event("GET", "/", {}, b"", query={"request_id": "q", "user": "zoe"})
    assert body_of(app.invoke_local(event)) == {"user": "zoe"}


# ------------------------------------------------------------------------------ idempotency


def test_duplicate_with_new_delivery_id_gets_the_stored_response(webhook_secret):
    app, seen = purchase_app()
    first = app.invoke_local(signed(BODY, "d1"))
    second = app.invoke_local(signed(BODY, "d2"))
    assert second["statusCode"] == 200
    assert second["body"] == first["body"]
    assert second["headers"]["Idempotent-Replayed"] == "true"
    assert len(seen) == 1


def test_same_key_different_payload_is_409(webhook_secret):
    app, seen = purchase_app()
    app.invoke_local(signed(BODY, "d1"))
    response = app.invoke_local(signed(BODY.replace(b"ann", b"bob"), "d2"))
    assert response["statusCode"] == 409
    assert body_of(response)["error"] == "idempotency_payload_mismatch"
    assert len(seen) == 1


async def test_in_progress_duplicate_is_409():
    import asyncio

    started = asyncio.Event()
    release = asyncio.Event()
    app = FunctionApp("fn")

    @app.http(model=Purchase, idempotency_key=lambda m: m.request_id)
    async def slow(req: Purchase, inv: Invocation) -> dict[str, str]:
        started.set()
        await release.wait()
        return {"done": "yes"}

    event = webhook_event("POST", "/", {}, BODY)
    first = asyncio.ensure_future(app.ainvoke(event))
    await started.wait()
    duplicate = await app.ainvoke(event)
    assert duplicate.status == 409
    assert body_of(duplicate.response)["error"] == "in_progress"
    assert duplicate.response["headers"]["Retry-After"]
    release.set()
    assert (await first).status == 200


def test_handler_error_releases_the_lock(webhook_secret):
    app, seen = purchase_app()
    crash = BODY.replace(b"ann", b"crash")
    assert app.invoke_local(signed(crash, "c1"))["statusCode"] == 500
    assert app.invoke_local(signed(crash, "c2"))["statusCode"] == 500
    assert len(seen) == 2  # not answered from the store: the failure was not remembered


# ------------------------------------------------------------------------------ errors


def test_http_error_sets_the_status(webhook_secret):
    app, _ = purchase_app()
    response = app.invoke_local(signed(BODY.replace(b"ann", b"http-error")))
    assert response["statusCode"] == 403
    assert body_of(response) == {
        "error": "forbidden",
        "message": "user may not buy seats",
        "request_id": response["headers"]["X-Request-Id"],
    }


def test_no_traceback_or_exception_text_reaches_the_caller(webhook_secret, logs):
    app, _ = purchase_app()
    response = app.invoke_local(signed(BODY.replace(b"ann", b"crash")))
    assert response["statusCode"] == 500
    assert body_of(response)["error"] == "internal"
    assert "Traceback" not in response["body"]
    assert "hunter2" not in response["body"]
    assert "RuntimeError" not in response["body"]
    assert "Traceback" in logs.text  # the operator still gets it, in the log


@pytest.mark.parametrize(
    ("exc", "status", "retry_after"),
    [
        (ThrottledError("slow", status=500, error_code="APIG.9008", retry_after=7), 503, "7"),
        (ServerError("down", status=500), 502, "5"),
        (CloudConnectionError("no answer"), 504, "5"),
        (QuotaExceededError("no seats", error_code="IDE.00900008"), 409, None),
        (ConflictError("exists", status=409), 409, None),
        (NotFoundError("no such api", status=404), 404, None),
        (BadRequestError("bad", status=400), 422, None),
        (AuthError("denied", status=403), 502, None),
        (CloudError("odd", status=418), 502, "5"),
    ],
)
def test_cloud_error_mapping(exc, status, retry_after):
    app = FunctionApp("fn")

    @app.http(model=Purchase)
    def on_request(req: Purchase, inv: Invocation) -> None:
        raise exc

    response = app.invoke_local(webhook_event("POST", "/", {}, BODY))
    assert response["statusCode"] == status
    assert response["headers"].get("Retry-After") == retry_after
    body = body_of(response)
    assert body["error"] == "cloud_error"
    assert body["type"] == type(exc).__name__
    assert body["error_code"] == exc.error_code


def test_handler_may_return_a_full_response():
    app = FunctionApp("fn")

    @app.http(model=Purchase)
    def on_request(req: Purchase, inv: Invocation) -> HttpResponse:
        return HttpResponse(202, "queued", {"X-Custom": "1"})

    response = app.invoke_local(webhook_event("POST", "/", {}, BODY))
    assert response == {
        "statusCode": 202,
        "headers": {
            "X-Request-Id": response["headers"]["X-Request-Id"],
            "X-Custom": "1",
            "Content-Type": "text/plain; charset=utf-8",
        },
        "body": "queued",
        "isBase64Encoded": False,
    }


def test_pydantic_result_and_none():
    app = FunctionApp("fn")

    @app.http(model=Purchase)
    def on_request(req: Purchase, inv: Invocation) -> Purchase | None:
        return None if req.user == "none" else req

    assert body_of(app.invoke_local(webhook_event("POST", "/", {}, BODY)))["user"] == "ann"
    empty = app.invoke_local(webhook_event("POST", "/", {}, BODY.replace(b"ann", b"none")))
    assert empty["statusCode"] == 204


# ------------------------------------------------------------------------------ platforms


def test_functiongraph_apig_event_and_response(webhook_secret):
    app, _ = purchase_app()
    local = signed(BODY, "fg1")
    apig = {
        "httpMethod": "POST",
        "path": "/hook",
        "headers": {k.lower(): v for k, v in local["headers"].items()},
        "body": local["body"],
        "isBase64Encoded": True,
        "requestContext": {"requestId": "apig-req-1", "apiId": "a", "stage": "RELEASE"},
    }
    response = app.functiongraph_handler(apig, None)
    assert set(response) == {"statusCode", "headers", "body", "isBase64Encoded"}
    assert response["statusCode"] == 200
    assert response["headers"]["X-Request-Id"] == "apig-req-1"


def test_scf_apigw_event_and_response(webhook_secret):
    app, _ = purchase_app()
    local = signed(BODY, "scf1")
    event = {
        "requestContext": {"serviceId": "service-1", "requestId": "scf-req", "httpMethod": "POST"},
        "httpMethod": "POST",
        "path": "/hook",
        "headers": local["headers"],
        "body": BODY.decode(),
    }
    response = app.scf_handler(event, {"request_id": "ctx-req", "time_limit_in_ms": 3000})
    assert response["statusCode"] == 200
    assert response["isBase64Encoded"] is False
    assert json.loads(response["body"])["license"] == "L-ann"
    assert response["headers"]["X-Request-Id"] == "ctx-req"


def test_unknown_http_route_without_handler_is_404():
    app = FunctionApp("fn")
    assert app.invoke_local(webhook_event("GET", "/", {}, b""))["statusCode"] == 404


def test_malformed_http_envelope_is_400():
    app, _ = purchase_app()
    response = app.functiongraph_handler({"httpMethod": "POST", "body": "%%%", "isBase64Encoded": True}, None)
    assert response["statusCode"] == 400
    assert body_of(response)["error"] == "bad_event"


def test_github_signature_verification(monkeypatch):
    import hashlib
    import hmac

    monkeypatch.setenv("OPSFN_WEBHOOK_SECRET", "github-shared-secret")
    app = FunctionApp("api_publish")

    @app.http(model=Purchase, verify="github")
    def on_push(req: Purchase, inv: Invocation) -> dict[str, str]:
        return {"user": req.user}

    digest = hmac.new(b"github-shared-secret", BODY, hashlib.sha256).hexdigest()
    headers = {"X-Hub-Signature-256": f"sha256={digest}", "X-GitHub-Delivery": "guid-1"}
    assert app.invoke_local(webhook_event("POST", "/", headers, BODY))["statusCode"] == 200
    replay = app.invoke_local(webhook_event("POST", "/", headers, BODY))  # a redelivery: the first answer
    assert replay["statusCode"] == 200 and replay["headers"]["Idempotent-Replayed"] == "true"
    headers["X-GitHub-Delivery"] = "guid-2"
    headers["X-Hub-Signature-256"] = "sha256=" + "0" * 64
    assert app.invoke_local(webhook_event("POST", "/", headers, BODY))["statusCode"] == 401


def test_store_outage_is_503_and_nothing_runs():
    from shared.idempotency import IdempotencyStoreError
    from shared.idempotency.memory import MemoryStore

    class DownStore(MemoryStore):
        def put_if_absent(self, record, now):
            raise IdempotencyStoreError("Redis store failed (ConnectionError)")

    calls = []
    app = FunctionApp("fn", store=DownStore())

    @app.http(model=Purchase, idempotency_key=lambda m: m.request_id)
    def on_request(req: Purchase, inv: Invocation) -> None:
        calls.append(1)

    response = app.invoke_local(webhook_event("POST", "/", {}, BODY))
    assert response["statusCode"] == 503
    assert body_of(response)["error"] == "idempotency_unavailable"
    assert response["headers"]["Retry-After"] == "5"
    assert calls == []


def test_an_id_that_cannot_address_one_resource_is_a_400_naming_the_parameter():
    """A hostile id refused by a client's path builder is the caller's error, not a 500."""
    from shared.clients.base import build_path

    app = FunctionApp("fn")
    hostile = "team-secret?x=1"

    @app.http(model=Purchase)
    def on_request(req: Purchase, inv: Invocation) -> None:
        build_path("/v1/{project_id}/secrets/{secret_name}", {"project_id": "p", "secret_name": hostile})

    response = app.invoke_local(webhook_event("POST", "/", {}, BODY))
    assert response["statusCode"] == 400
    body = body_of(response)
    assert body["error"] == "invalid_parameter" and "secret_name" in body["message"]
    assert hostile not in json.dumps(response)
