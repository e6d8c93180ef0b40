"""Audit/cloud-event handlers (CTS, EventGrid) and timer handlers."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from pydantic import BaseModel

from shared.runtime import FunctionApp, Invocation, RecordOutcome
from shared.triggers import CloudEvent, CtsTrace

SAMPLES = Path(__file__).resolve().parents[2] / "events" / "_platform"


def sample(name: str) -> dict[str, Any]:
    data: dict[str, Any] = json.loads((SAMPLES / name).read_text())
    return data


class ObjectPut(BaseModel):
    bucket: str
    object: str


def test_cts_trace_reaches_the_event_handler():
    seen: list[CtsTrace] = []
    app = FunctionApp("publish_guardrail")

    @app.event(model=CtsTrace, sources=("cts",))
    def on_event(trace: CtsTrace, inv: Invocation) -> dict[str, str]:
        seen.append(trace)
        assert inv.event_id == trace.trace_id
        return {"checked": trace.resource_name}

    response = app.functiongraph_handler(sample("fg_cts_create_function.json"), None)
    assert response["records_ok"] == 1
    assert seen[0].trace_name == "createFunction"
    assert seen[0].time == 1765788999507
    assert response["results"][0]["result"] == {"checked": "test4"}


def test_eventgrid_data_and_envelope_models():
    data_seen: list[ObjectPut] = []
    app = FunctionApp("fn")

    @app.event(model=ObjectPut, sources=("eventgrid",))
    def on_data(item: ObjectPut, inv: Invocation) -> None:
        data_seen.append(item)

    app.functiongraph_handler(sample("fg_eventgrid_events.json"), None)
    assert data_seen == [ObjectPut(bucket="example-bucket", object="report.csv")]

    envelopes: list[CloudEvent] = []
    app2 = FunctionApp("fn2")

    @app2.event(model=CloudEvent)
    def on_envelope(event: CloudEvent, inv: Invocation) -> None:
        envelopes.append(event)

    app2.functiongraph_handler(sample("fg_eventgrid_single.json"), None)
    assert envelopes[0].source == "HC.OBS"
    assert envelopes[0].type == "object:put"


def test_each_event_has_its_own_outcome():
    app = FunctionApp("fn")

    @app.event(model=ObjectPut, sources=("eventgrid",))
    def on_data(item: ObjectPut, inv: Invocation) -> RecordOutcome:
        if item.object == "bad":
            return RecordOutcome.failure("cannot fix", retryable=False)
        return RecordOutcome.success("fixed")

    good = sample("fg_eventgrid_single.json")
    bad = json.loads(json.dumps(good))
    bad["id"], bad["data"]["object"] = "e-2", "bad"
    response = app.invoke_local({"events": [good, bad, {"id": "e-3"}]})
    assert [r["status"] for r in response["results"]] == ["ok", "failed", "failed"]
    assert response["redeliver"] is False


def test_event_source_not_subscribed_is_rejected():
    app = FunctionApp("fn")

    @app.event(model=CtsTrace, sources=("cts",))
    def on_event(trace: CtsTrace, inv: Invocation) -> None:
        raise AssertionError("not for eventgrid")

    assert app.invoke_local(sample("fg_eventgrid_single.json"))["error"] == "no_handler"


class Reconcile(BaseModel):
    message: str = ""
    topic: str = "default"
    dry_run: bool = True


def timer_app() -> tuple[FunctionApp, list[Reconcile]]:
    seen: list[Reconcile] = []
    app = FunctionApp("license_reconcile")

    @app.timer(model=Reconcile)
    async def on_timer(cfg: Reconcile, inv: Invocation) -> dict[str, Any]:
        seen.append(cfg)
        return {"dry_run": cfg.dry_run}

    return app, seen


def test_timer_json_user_event():
    app, seen = timer_app()
    assert app.functiongraph_handler(sample("fg_timer.json"), None) == {
        "ok": True,
        "result": {"dry_run": True},
    }
    assert seen[0].topic == "test"


def test_timer_text_user_event_becomes_message():
    app, seen = timer_app()
    app.functiongraph_handler(sample("fg_timer_text.json"), None)
    assert seen[0].message == "Hello world"


def test_timer_empty_user_event_uses_defaults():
    app, seen = timer_app()
    app.scf_handler(
        {"Type": "Timer", "TriggerName": "t", "Time": "2026-01-01T00:00:00Z", "Message": ""}, None
    )
    assert seen == [Reconcile()]


def test_timer_invalid_input_is_400_not_raised():
    app, seen = timer_app()
    event = sample("fg_timer.json")
    event["user_event"] = json.dumps({"dry_run": "maybe"})
    response = app.functiongraph_handler(event, None)
    assert response["ok"] is False and response["status"] == 400
    assert response["fields"][0]["loc"] == "dry_run"
    assert seen == []


def test_timer_with_idempotency_key_runs_once_per_firing():
    calls = []
    app = FunctionApp("fn")

    @app.timer(model=Reconcile, idempotency_key=lambda m: m.topic)
    def on_timer(cfg: Reconcile, inv: Invocation) -> int:
        calls.append(1)
        return len(calls)

    first = app.functiongraph_handler(sample("fg_timer.json"), None)
    second = app.functiongraph_handler(sample("fg_timer.json"), None)
    assert first == {"ok": True, "result": 1}
    assert second == {"ok": True, "result": 1, "replayed": True}
