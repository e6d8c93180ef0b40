"""Batch semantics on queue triggers: every record attempted, bad records fail alone, per-record results,
redelivery only for retryable failures, completed records not re-run on redelivery."""

from __future__ import annotations

import json
from typing import Any

import pytest
from pydantic import BaseModel

from shared.errors import NotFoundError, ThrottledError
from shared.runtime import FunctionApp, Invocation, RecordOutcome, RedeliveryRequested
from shared.triggers.local import queue_event


class Release(BaseModel):
    request_id: str
    user: str


def kafka(messages: list[Any]) -> dict[str, Any]:
    """A FunctionGraph DMS/Kafka envelope (the documented shape) carrying ``messages``."""
    return {
        "event_version": "v1.0",
        "event_time": 1576737962,
        "trigger_type": "KAFKA",
        "region": "cn-north-4",
        "instance_id": "inst-1",
        "records": [
            {
                "topic_id": "releases",
                "messages": [m if isinstance(m, str) else json.dumps(m) for m in messages],
            }
        ],
    }


def msg(request_id: str, user: str) -> dict[str, str]:
    return {"request_id": request_id, "user": user}


def release_app() -> tuple[FunctionApp, list[str]]:
    handled: list[str] = []
    app = FunctionApp("license_release")

    @app.batch(model=Release, idempotency_key=lambda m: m.request_id)
    async def on_batch(items: list[Release], inv: Invocation) -> list[RecordOutcome]:
        out = []
        for item in items:
            handled.append(item.request_id)
            if item.user == "flaky":
                out.append(RecordOutcome.failure("seat service busy"))
            elif item.user == "gone":
                out.append(RecordOutcome.failure("user unknown", retryable=False))
            else:
                out.append(RecordOutcome.success({"released": item.user}))
        return out

    return app, handled


def test_one_bad_record_fails_alone():
    app, handled = release_app()
    response = app.invoke_local(kafka([msg("a", "ann"), "not json", {"request_id": "c"}, msg("d", "dan")]))
    assert handled == ["a", "d"]
    statuses = [r["status"] for r in response["results"]]
    assert statuses == ["ok", "failed", "failed", "ok"]
    assert response["results"][1]["error"] == "malformed_json"
    assert response["results"][2]["error"] == "validation"
    assert response["results"][2]["fields"] == [{"loc": "user", "msg": "Field required"}]
    assert response["records_ok"] == 2 and response["records_failed"] == 2
    assert [f["itemIdentifier"] for f in response["batchItemFailures"]] == [
        response["results"][1]["id"],
        response["results"][2]["id"],
    ]
    assert response["redeliver"] is False  # invalid records can never succeed: no redelivery


def test_permanent_failures_do_not_fail_the_platform_invocation():
    app, _ = release_app()
    response = app.functiongraph_handler(kafka([msg("a", "ann"), msg("b", "gone"), "junk"]), None)
    assert response["records_failed"] == 2


def test_retryable_failure_requests_redelivery_and_redelivery_reruns_only_failures():
    app, handled = release_app()
    event = kafka([msg("a", "ann"), msg("b", "flaky"), msg("c", "cat")])
    with pytest.raises(RedeliveryRequested) as info:
        app.functiongraph_handler(event, None)
    assert len(info.value.failed_ids) == 1
    assert "seat service" not in str(info.value)  # ids only, no record content
    assert handled == ["a", "b", "c"]
    with pytest.raises(RedeliveryRequested):
        app.functiongraph_handler(event, None)
    assert handled == ["a", "b", "c", "b"]  # a and c answered from the idempotency store
    local = app.invoke_local(event)
    assert local["redeliver"] is True
    assert [r.get("replayed", False) for r in local["results"]] == [True, False, True]


def test_scf_ckafka_redelivery_signal():
    app, _ = release_app()
    event = {
        "Records": [
            {
                "Ckafka": {
                    "topic": "t",
                    "partition": 0,
                    "offset": 1,
                    "msgKey": "None",
                    "msgBody": json.dumps(msg("x", "flaky")),
                }
            },
            {
                "Ckafka": {
                    "topic": "t",
                    "partition": 0,
                    "offset": 2,
                    "msgKey": "None",
                    "msgBody": json.dumps(msg("y", "yan")),
                }
            },
        ]
    }
    with pytest.raises(RedeliveryRequested) as info:
        app.scf_handler(event, {"request_id": "r"})
    assert info.value.failed_ids == ("t:0:1",)


def test_handler_exception_fails_every_item_without_raising_it():
    app = FunctionApp("fn")

    @app.batch(model=Release)
    def on_batch(items: list[Release], inv: Invocation) -> list[RecordOutcome]:
        raise NotFoundError("no such license", status=404, error_code="IDE.00900001")

    response = app.invoke_local(queue_event([json.dumps(msg("a", "ann")), json.dumps(msg("b", "bob"))]))
    assert [r["status"] for r in response["results"]] == ["failed", "failed"]
    assert response["results"][0]["retryable"] is False
    assert response["redeliver"] is False


def test_throttled_handler_marks_items_retryable():
    app = FunctionApp("fn")

    @app.batch(model=Release)
    def on_batch(items: list[Release], inv: Invocation) -> list[RecordOutcome]:
        raise ThrottledError("slow down", error_code="APIG.9008", status=500)

    response = app.invoke_local(queue_event([json.dumps(msg("a", "ann"))]))
    assert response["results"][0]["retryable"] is True
    assert response["redeliver"] is True


def test_wrong_number_of_outcomes_is_reported():
    app = FunctionApp("fn")

    @app.batch(model=Release)
    def on_batch(items: list[Release], inv: Invocation) -> list[RecordOutcome]:
        return []

    response = app.invoke_local(queue_event([json.dumps(msg("a", "ann"))]))
    assert response["results"][0]["status"] == "failed"
    assert response["results"][0]["error"] == "internal"


def test_record_ids_are_the_default_idempotency_key():
    calls = []
    app = FunctionApp("fn")

    @app.batch(model=Release)
    def on_batch(items: list[Release], inv: Invocation) -> list[RecordOutcome]:
        calls.extend(i.request_id for i in items)
        return [RecordOutcome.success() for _ in items]

    event = kafka([msg("a", "ann")])
    app.invoke_local(event)
    app.invoke_local(event)
    assert calls == ["a"]


def test_smn_notifications_go_to_the_batch_handler():
    app, handled = release_app()
    event = {
        "record": [
            {
                "event_version": "1.0",
                "event_source": "smn",
                "smn": {"message_id": "m1", "message": json.dumps(msg("s", "sue"))},
            }
        ],
        "requestId": "req",
    }
    response = app.functiongraph_handler(event, None)
    assert handled == ["s"]
    assert response["results"] == [{"id": "m1", "status": "ok", "result": {"released": "sue"}}]


def test_cmq_batch():
    app, handled = release_app()
    event = {
        "Records": [
            {"CMQ": {"type": "topic", "msgId": "c1", "msgBody": json.dumps(msg("q", "quinn")), "msgTag": ""}}
        ]
    }
    assert app.scf_handler(event, None)["records_ok"] == 1
    assert handled == ["q"]


def test_queue_event_without_batch_handler_is_rejected_not_raised():
    app = FunctionApp("fn")
    response = app.invoke_local(queue_event(["x"]))
    assert response["status"] == 400
    assert response["error"] == "no_handler"


def test_duplicates_within_one_batch_share_one_execution():
    """With a wait configured, claiming a duplicate of a record of the *same* batch would wait on the
    batch's own lock; duplicates are therefore grouped before the handler runs."""
    calls: list[str] = []
    app = FunctionApp("fn", idempotency_wait=30)

    @app.batch(model=Release, idempotency_key=lambda m: m.request_id)
    def on_batch(items: list[Release], inv: Invocation) -> list[RecordOutcome]:
        calls.extend(i.request_id for i in items)
        return [RecordOutcome.success(i.user) for i in items]

    import time

    started = time.monotonic()
    response = app.invoke_local(kafka([msg("a", "ann"), msg("b", "bob"), msg("a", "ann"), msg("a", "eve")]))
    assert time.monotonic() - started < 5
    assert calls == ["a", "b"]
    results = response["results"]
    assert [r["status"] for r in results] == ["ok", "ok", "ok", "failed"]
    assert results[2] == {"id": results[2]["id"], "status": "ok", "result": "ann", "replayed": True}
    assert results[3]["error"] == "idempotency_payload_mismatch"
    assert results[3]["retryable"] is False
