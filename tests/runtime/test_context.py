"""Invocation context: credentials precedence, clients on the process-wide transport, remaining time and
timeouts, the summary log line, secret redaction and the cold-start store warning."""

from __future__ import annotations

import asyncio
import json
from typing import Any, ClassVar

import httpx
import pytest
from pydantic import BaseModel

from devkit.fake_contexts import FakeFunctionGraphContext, scf_context
from shared.clients.base import ServiceClient
from shared.http import use_transport
from shared.runtime import FunctionApp, Invocation, RecordOutcome
from shared.triggers.local import queue_event, webhook_event


class Ping(BaseModel):
    name: str = "ping"


class Probe(ServiceClient):
    service: ClassVar[str] = "ide"

    async def ping(self) -> Any:
        return await self._request("GET", "/v1/{project_id}/ping")


def capture_app(seen: list[Invocation]) -> FunctionApp:
    app = FunctionApp("fn")

    @app.http(model=Ping)
    async def on_http(req: Ping, inv: Invocation) -> dict[str, Any]:
        seen.append(inv)
        async with inv.client(Probe) as probe:
            return {"upstream": await probe.ping()}

    return app


def recording_transport(headers: list[httpx.Headers]) -> httpx.MockTransport:
    def handle(request: httpx.Request) -> httpx.Response:
        headers.append(request.headers)
        return httpx.Response(200, json={"path": request.url.path})

    return httpx.MockTransport(handle)


EVENT = webhook_event("POST", "/", {}, b"{}")


def test_functiongraph_context_credentials_win_over_the_environment(monkeypatch):
    monkeypatch.setenv("HUAWEICLOUD_SDK_AK", "ENVAK00000000000000")
    seen: list[Invocation] = []
    sent: list[httpx.Headers] = []
    context = FakeFunctionGraphContext(
        security_access_key="CTXAK11111111111111",
        security_secret_key="ctx-secret-key-value",
        security_token="ctx-security-token-value",
        project_id="proj-from-context",
    )
    with use_transport(recording_transport(sent)):
        response = capture_app(seen).functiongraph_handler(EVENT, context)
    assert response["statusCode"] == 200
    assert json.loads(response["body"]) == {"upstream": {"path": "/v1/proj-from-context/ping"}}
    settings = seen[0].settings
    assert (settings.huawei_ak, settings.huawei_sk) == ("CTXAK11111111111111", "ctx-secret-key-value")
    assert "Access=CTXAK11111111111111" in sent[0]["authorization"]
    assert sent[0]["x-security-token"] == "ctx-security-token-value"
    assert seen[0].request_id == context.getRequestID()


def test_environment_is_the_fallback_without_an_agency(monkeypatch):
    monkeypatch.setenv("HUAWEICLOUD_SDK_AK", "ENVAK00000000000000")
    monkeypatch.setenv("HUAWEICLOUD_SDK_PROJECT_ID", "proj-env")
    seen: list[Invocation] = []
    sent: list[httpx.Headers] = []
    with use_transport(recording_transport(sent)):
        capture_app(seen).functiongraph_handler(EVENT, FakeFunctionGraphContext())
    assert seen[0].settings.huawei_ak == "ENVAK00000000000000"
    assert "Access=ENVAK00000000000000" in sent[0]["authorization"]


def test_scf_runtime_credentials_win_over_the_environment(monkeypatch):
    monkeypatch.setenv("TENCENTCLOUD_SECRET_ID", "AKIDENV")
    monkeypatch.setenv("TENCENTCLOUD_SECRETID", "AKIDROLE")
    monkeypatch.setenv("TENCENTCLOUD_SECRETKEY", "role-secret-key")
    monkeypatch.setenv("TENCENTCLOUD_SESSIONTOKEN", "role-session-token")
    seen: list[Invocation] = []
    app = FunctionApp("fn")

    @app.http(model=Ping)
    def on_http(req: Ping, inv: Invocation) -> None:
        seen.append(inv)

    app.scf_handler(EVENT, scf_context(request_id="scf-1"))
    settings = seen[0].settings
    assert (settings.tencent_secret_id, settings.tencent_token) == ("AKIDROLE", "role-session-token")
    assert seen[0].request_id == "scf-1"


def test_remaining_time_and_timeout_answer_504_and_release_the_lock():
    app = FunctionApp("fn", timeout_margin=0.2)
    calls = []

    @app.http(model=Ping, idempotency_key=lambda m: m.name)
    async def slow(req: Ping, inv: Invocation) -> None:
        calls.append(inv.remaining_seconds())
        await asyncio.sleep(5)

    context = FakeFunctionGraphContext(timeout_seconds=0.5)
    response = app.functiongraph_handler(EVENT, context)
    assert response["statusCode"] == 504
    assert calls[0] is not None and 0 < calls[0] <= 0.5
    # The lock was released: a retry runs again instead of waiting for the in-progress timeout.
    app.functiongraph_handler(EVENT, FakeFunctionGraphContext(timeout_seconds=0.5))
    assert len(calls) == 2


def test_local_invocations_have_no_deadline():
    seen: list[Invocation] = []
    app = FunctionApp("fn")

    @app.http(model=Ping)
    def on_http(req: Ping, inv: Invocation) -> None:
        seen.append(inv)

    app.invoke_local(EVENT)
    assert seen[0].remaining_seconds() is None


def test_summary_line_per_invocation(logs):
    app = FunctionApp("license_release")

    @app.batch(model=Ping)
    def on_batch(items: list[Ping], inv: Invocation) -> list[RecordOutcome]:
        inv.log.info("working", items=len(items))
        return [RecordOutcome.success() for _ in items]

    app.invoke_local(queue_event(['{"name": "a"}', "junk"]), FakeFunctionGraphContext(request_id="req-9"))
    [summary] = logs.summaries()
    assert summary["function"] == "license_release"
    assert summary["request_id"] == "req-9"
    assert summary["trigger"] == "local_queue"
    assert summary["outcome"] == "partial"
    assert (summary["records_ok"], summary["records_failed"]) == (1, 1)
    assert isinstance(summary["duration_ms"], float)
    assert summary["cold_start"] is True
    working = next(line for line in logs.lines() if line["event"] == "working")
    assert working["request_id"] == "req-9" and working["function"] == "license_release"
    app.invoke_local(queue_event(['{"name": "b"}']))
    assert logs.summaries()[-1]["cold_start"] is False


def test_context_secrets_never_reach_the_log(logs):
    app = FunctionApp("fn")

    @app.http(model=Ping)
    def on_http(req: Ping, inv: Invocation) -> None:
        inv.log.info("debugging", settings=repr(inv.settings), echo=inv.settings.huawei_sk)
        raise RuntimeError(f"failed with {inv.settings.huawei_sk}")

    context = FakeFunctionGraphContext(
        security_access_key="CTXAK2",
        security_secret_key="very-secret-sk-value",
        security_token="tok-secret-value",
    )
    response = app.functiongraph_handler(EVENT, context)
    assert response["statusCode"] == 500
    assert "very-secret-sk-value" not in logs.text
    assert "very-secret-sk-value" not in response["body"]
    assert "tok-secret-value" not in logs.text


@pytest.mark.parametrize(
    ("env", "store", "warned"),
    [
        ({"RUNTIME_FUNC_NAME": "license_purchase"}, "sqlite:///{tmp}/x.db", True),
        ({"TENCENTCLOUD_RUNENV": "SCF"}, "memory://", True),
        ({"RUNTIME_FUNC_NAME": "license_purchase"}, "redis://127.0.0.1:6379/0", False),
        ({}, "sqlite:///{tmp}/x.db", False),
    ],
)
def test_cold_start_warns_about_a_local_store_in_the_cloud(monkeypatch, tmp_path, logs, env, store, warned):
    for key, value in env.items():
        monkeypatch.setenv(key, value)
    monkeypatch.setenv("OPSFN_IDEMPOTENCY_STORE", store.format(tmp=tmp_path))
    app = FunctionApp("fn")

    @app.timer(model=Ping)
    def on_timer(req: Ping, inv: Invocation) -> None:
        return None

    @app.batch(model=Ping)
    def on_batch(items: list[Ping], inv: Invocation) -> list[RecordOutcome]:
        return [RecordOutcome.success() for _ in items]

    timer = {"trigger_type": "TIMER", "trigger_name": "t", "time": "", "user_event": ""}
    app.invoke_local(timer)
    app.invoke_local(timer)
    warnings = [line for line in logs.lines() if "idempotency store is local" in line["event"]]
    assert len(warnings) == (1 if warned else 0)
    if warned:
        assert warnings[0]["level"] == "warning"


def test_invoke_local_works_inside_a_running_loop():
    async def inner() -> dict[str, Any]:
        app = FunctionApp("fn")

        @app.http(model=Ping)
        def on_http(req: Ping, inv: Invocation) -> dict[str, str]:
            return {"name": req.name}

        return app.invoke_local(EVENT)

    assert asyncio.run(inner())["statusCode"] == 200


def test_invalid_configuration_is_a_clean_500(monkeypatch):
    monkeypatch.setenv("OPSFN_LOG_LEVEL", "CHATTY")
    app = FunctionApp("fn")

    @app.http(model=Ping)
    def on_http(req: Ping, inv: Invocation) -> None:
        raise AssertionError("not reached")

    response = app.invoke_local(EVENT)
    assert response["statusCode"] == 500
    body = json.loads(response["body"])
    assert body["error"] == "configuration"
    assert "OPSFN_LOG_LEVEL" in body["message"]
