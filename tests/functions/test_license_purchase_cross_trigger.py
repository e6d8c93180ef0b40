"""One purchase request arriving by webhook and by Kafka at the same time orders once.

Both pipelines must claim the same key, ``key:<request id>``: if the HTTP pipeline claimed the raw request
id while the batch pipeline claimed ``key:<request id>``, the two deliveries would take two different
locks, both find no seat and both buy. These tests fail on such split keys (two orders, two seats).
"""

from __future__ import annotations

import asyncio
import json
import threading
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import httpx
import pytest

from functions.license_purchase.handler import app, handler
from shared.http import use_transport
from shared.runtime import RedeliveryRequested
from tests.functions import conftest as functions_conftest
from tests.functions.conftest import Wired, kafka, machine, purchase_body, user, webhook

wired = functions_conftest.wired  # the fixture (not the name) is what pytest registers in this module

PATH = "/hooks/license/purchase"


class SlowLookups(httpx.AsyncBaseTransport):
    """Delay every GET so two concurrent runs both pass the 'held/free seat' look-ups before either buys:
    the widest window a real network gives a double purchase."""

    def __init__(self, inner: httpx.AsyncBaseTransport, delay: float) -> None:
        self.inner = inner
        self.delay = delay

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        if request.method == "GET":
            await asyncio.sleep(self.delay)
        return await self.inner.handle_async_request(request)


def _deliver(event: dict[str, Any], start: threading.Barrier) -> Any:
    start.wait()
    try:
        return handler(event, None)
    except RedeliveryRequested as exc:
        return exc


def test_same_request_by_webhook_and_kafka_at_once_orders_once(wired: Wired) -> None:
    body = purchase_body(7)
    events = [webhook(PATH, body), kafka([body]), webhook(PATH, body), kafka([body])]
    start = threading.Barrier(len(events))
    with use_transport(SlowLookups(wired.emulator.transport(), 0.2)), ThreadPoolExecutor(len(events)) as pool:
        answers = list(pool.map(lambda e: _deliver(e, start), events))
    assert len(wired.ide.orders) == 1
    assert list(wired.bound().values()) == [(user(7), machine(7))]
    seat = next(iter(wired.bound()))
    webhook_answers = [a for a in answers if isinstance(a, dict) and "statusCode" in a]
    assert [a["statusCode"] for a in webhook_answers] == [200, 200]
    assert {json.loads(a["body"])["license_id"] for a in webhook_answers} == {seat}
    for answer in answers:
        assert not isinstance(answer, RedeliveryRequested), answer


def test_kafka_redelivery_after_webhook_completed_replays_the_webhook_result(wired: Wired) -> None:
    """The webhook ran first and stored an HTTP answer; the same request then comes by Kafka: the record
    is a success carrying the same seat, and nothing more is bought or bound."""
    body = purchase_body(8)
    first = handler(webhook(PATH, body), None)
    assert first["statusCode"] == 200
    seat = json.loads(first["body"])["license_id"]
    out = app.invoke_local(kafka([body]), None, "functiongraph")
    [result] = out["results"]
    assert result["status"] == "ok" and result["replayed"] is True, result
    assert result["result"]["license_id"] == seat
    assert len(wired.ide.orders) == 1 and list(wired.bound()) == [seat]


def test_webhook_after_kafka_completed_replays_the_record_result(wired: Wired) -> None:
    body = purchase_body(9)
    out = app.invoke_local(kafka([body]), None, "functiongraph")
    [result] = out["results"]
    assert result["status"] == "ok"
    again = handler(webhook(PATH, body), None)
    assert again["statusCode"] == 200
    assert again["headers"]["Idempotent-Replayed"] == "true"
    assert json.loads(again["body"])["license_id"] == result["result"]["license_id"]
    assert len(wired.ide.orders) == 1


@pytest.mark.parametrize("first_kind", ["webhook", "kafka"])
def test_same_request_id_other_payload_across_triggers_is_refused(wired: Wired, first_kind: str) -> None:
    """Same request id, other machine: 409 on the webhook, a non-retryable failed record on Kafka."""
    body, other = purchase_body(10), purchase_body(10, machine_code=machine(11))
    if first_kind == "webhook":
        assert handler(webhook(PATH, body), None)["statusCode"] == 200
        [result] = app.invoke_local(kafka([other]), None, "functiongraph")["results"]
        assert result["status"] == "failed" and result["retryable"] is False
    else:
        app.invoke_local(kafka([body]), None, "functiongraph")
        assert handler(webhook(PATH, other), None)["statusCode"] == 409
    assert len(wired.ide.orders) == 1 and len(wired.bound()) == 1
