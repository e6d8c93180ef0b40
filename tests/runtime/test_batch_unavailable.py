"""A batch is never lost when the runtime itself fails: the store cannot be opened or reached, the
configuration is invalid, a module cannot be imported. The invocation fails (the platforms' only
redelivery signal) with one log line naming the cause; a cause no redelivery fixes is logged as an error
on every attempt and sent to SMN once per cold start."""

from __future__ import annotations

import sys
from typing import Any

import pytest
from pydantic import BaseModel

from shared.idempotency import IdempotencyStoreError
from shared.idempotency.memory import MemoryStore
from shared.runtime import FunctionApp, Invocation, RecordOutcome, RedeliveryRequested
from tests.runtime.test_batch import kafka, msg


class Item(BaseModel):
    request_id: str
    user: str


def app_with(store: Any = None) -> tuple[FunctionApp, list[str]]:
    ran: list[str] = []
    app = FunctionApp("queue_fn", store=store)

    @app.batch(model=Item, idempotency_key=lambda m: m.request_id)
    def on_batch(items: list[Item], inv: Invocation) -> list[RecordOutcome]:
        ran.extend(i.request_id for i in items)
        return [RecordOutcome.success() for _ in items]

    return app, ran


EVENT = kafka([msg("r1", "ann"), msg("r2", "bob"), msg("r3", "cy")])


def _causes(logs: Any) -> list[dict[str, Any]]:
    return [line for line in logs.lines() if "cause" in line]


def _assert_redelivered(app: FunctionApp, logs: Any, ran: list[str], needle: str, level: str) -> None:
    with pytest.raises(RedeliveryRequested) as raised:
        app.functiongraph_handler(EVENT, None)
    assert len(raised.value.failed_ids) == 3
    local = app.invoke_local(EVENT)
    assert local["redeliver"] is True and local["records_failed"] == 3 and local["records_ok"] == 0
    causes = _causes(logs)
    assert len(causes) == 2, causes  # one line per attempt, not one per record
    assert all(needle in line["cause"] and line["level"] == level for line in causes)
    assert ran == []


def test_redis_selected_without_the_redis_package(monkeypatch: pytest.MonkeyPatch, logs: Any) -> None:
    monkeypatch.setenv("OPSFN_IDEMPOTENCY_STORE", "redis://:pw-not-logged@127.0.0.1:1/0")
    monkeypatch.setitem(sys.modules, "redis", None)  # `import redis` raises ImportError, as in a bare zip
    app, ran = app_with()
    _assert_redelivered(app, logs, ran, "opsfn package --with redis", "error")
    assert "pw-not-logged" not in logs.text


def test_an_unusable_store_url_names_the_variable(monkeypatch: pytest.MonkeyPatch, logs: Any) -> None:
    monkeypatch.setenv("OPSFN_IDEMPOTENCY_STORE", "postgres://db/opsfn")
    app, ran = app_with()
    _assert_redelivered(app, logs, ran, "OPSFN_IDEMPOTENCY_STORE is invalid", "error")


def test_invalid_configuration_names_the_variable(monkeypatch: pytest.MonkeyPatch, logs: Any) -> None:
    monkeypatch.setenv("OPSFN_HTTP_TIMEOUT", "soon")
    app, ran = app_with()
    _assert_redelivered(app, logs, ran, "OPSFN_HTTP_TIMEOUT", "error")


class FlakyStore(MemoryStore):
    """Takes ``allow`` claims, then fails like an unreachable Redis."""

    def __init__(self, allow: int) -> None:
        super().__init__()
        self.allow = allow

    def put_if_absent(self, record: Any, now: float) -> bool:
        if self.allow <= 0:
            raise IdempotencyStoreError("Redis store failed (ConnectionError)")
        self.allow -= 1
        return super().put_if_absent(record, now)


def test_store_unreachable_mid_batch_releases_the_claims_and_redelivers(logs: Any) -> None:
    store = FlakyStore(allow=1)
    app, ran = app_with(store)
    out = app.invoke_local(EVENT)
    assert out["redeliver"] is True and out["records_failed"] == 3 and ran == []
    (line,) = _causes(logs)
    assert line["cause"] == "idempotency store unavailable: Redis store failed (ConnectionError)"
    assert line["level"] == "warning" and line["permanent"] is False
    store.allow = 10  # the store is back: the redelivery runs every record, the first claim was released
    again = app.invoke_local(EVENT)
    assert again["redeliver"] is False and sorted(ran) == ["r1", "r2", "r3"]


def test_an_import_error_in_the_handler_fails_the_batch_not_the_records(logs: Any) -> None:
    app = FunctionApp("queue_fn", store=MemoryStore())

    @app.batch(model=Item, idempotency_key=lambda m: m.request_id)
    def on_batch(items: list[Item], inv: Invocation) -> list[RecordOutcome]:
        raise ModuleNotFoundError("No module named 'shared.clients.nothere'", name="shared.clients.nothere")

    with pytest.raises(RedeliveryRequested):
        app.functiongraph_handler(EVENT, None)
    (line,) = _causes(logs)
    assert "cannot import 'shared.clients.nothere'" in line["cause"] and line["level"] == "error"
    assert "Traceback" not in logs.text


def test_a_permanent_cause_is_sent_to_smn_once_per_cold_start(
    monkeypatch: pytest.MonkeyPatch, logs: Any
) -> None:
    from devkit.emulator.registry import build_emulator
    from devkit.emulator.services.smn import SmnService
    from shared.http import use_transport

    emulator = build_emulator()
    smn = emulator.service("smn")
    assert isinstance(smn, SmnService)
    project = "0123456789abcdef0123456789abcdef"
    topic, _ = smn.backend(project).create_topic("opsfn-alarms")
    monkeypatch.setenv("HUAWEICLOUD_SDK_PROJECT_ID", project)
    monkeypatch.setenv("OPSFN_SMN_TOPIC_URN", topic.topic_urn)
    monkeypatch.setenv("OPSFN_IDEMPOTENCY_STORE", "redis://127.0.0.1:1/0")
    monkeypatch.setitem(sys.modules, "redis", None)
    with use_transport(emulator.transport()):
        app, _ = app_with()
        for _ in range(3):
            assert app.invoke_local(EVENT)["redeliver"] is True
        assert len(_causes(logs)) == 3  # loud on every attempt
        messages = smn.messages(topic.topic_urn)
        assert len(messages) == 1, messages
        assert "queue_fn" in messages[0].message and "opsfn package --with redis" in messages[0].message
        cold_again, _ = app_with()  # a new instance is a new cold start
        cold_again.invoke_local(EVENT)
        assert len(smn.messages(topic.topic_urn)) == 2
