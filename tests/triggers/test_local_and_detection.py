"""Local envelopes (``opsfn serve``/``invoke``), detection order, and response shapes."""

from __future__ import annotations

import base64
import json

import pytest

from shared.runtime.responses import BatchItemResult, HttpResponse, RecordOutcome, batch_response
from shared.triggers import EventParseError, parse_event
from shared.triggers.local import queue_event, webhook_event


def test_webhook_envelope_is_byte_exact():
    body = b'{"z": 1,  "a": "\xc3\xa9"}'  # odd spacing and UTF-8 must survive (signatures cover raw bytes)
    event = parse_event(webhook_event("post", "/hooks/x", {"Webhook-Id": "m1"}, body, {"q": "1"}))
    assert (event.kind, event.platform, event.source) == ("http", "local", "webhook")
    assert event.body == body
    assert event.method == "POST"
    assert event.headers == {"webhook-id": "m1"}
    assert event.query == {"q": "1"}


@pytest.mark.parametrize("platform", [None, "local", "functiongraph", "scf"])
def test_local_envelopes_accepted_on_every_platform(platform):
    assert parse_event(webhook_event("GET", "/", {}, b""), platform).kind == "http"


def test_queue_envelope_ids():
    envelope = queue_event(["a", "a", {"id": "m-3", "body": {"x": 1}}])
    envelope["messages"].append(42)  # not something the builder makes; a hand-written feed might
    event = parse_event(envelope)
    ids = [r.id for r in event.records]
    assert ids[1] == ids[0] + "#1"
    assert ids[2] == "m-3"
    assert event.records[2].body == b'{"x":1}'
    assert event.records[3].error is not None


def test_queue_builder_keeps_odd_items_as_failed_records():
    """A hand-written feed may hold numbers, nulls or lists: each fails alone, the batch still parses."""
    event = parse_event(queue_event(["ok", 7, None, [1, 2], {"id": "m", "body": "x"}]))
    assert [r.error is None for r in event.records] == [True, False, False, False, True]
    assert all("must be a string or {id, body}" in (r.error or "") for r in event.records[1:4])


def test_json_text_event_is_accepted():
    raw = json.dumps({"Type": "Timer", "TriggerName": "t", "Time": "", "Message": ""})
    assert parse_event(raw).kind == "timer"


@pytest.mark.parametrize("bad", [None, 1, "x", "[]", [], {}, {"opsfn": "nope"}, {"cts": []}, {"Records": {}}])
def test_unrecognised_or_malformed(bad):
    with pytest.raises(EventParseError):
        parse_event(bad)


def test_unknown_platform_is_a_programming_error():
    with pytest.raises(ValueError):
        parse_event({}, "aws")


def test_http_response_shape_matches_platform_contract():
    rendered = HttpResponse(201, {"ok": True}, {"X-A": "1"}).render()
    assert set(rendered) == {"statusCode", "headers", "body", "isBase64Encoded"}
    assert rendered["statusCode"] == 201
    assert json.loads(rendered["body"]) == {"ok": True}
    assert rendered["headers"]["Content-Type"] == "application/json"
    binary = HttpResponse(200, b"\x00\x01").render()
    assert binary["isBase64Encoded"] is True
    assert base64.b64decode(binary["body"]) == b"\x00\x01"
    stored = HttpResponse.from_stored(binary)
    assert stored.body == b"\x00\x01"


def test_batch_response_reports_failures_and_redelivery():
    results = [
        BatchItemResult("a", RecordOutcome.success({"n": 1})),
        BatchItemResult("b", RecordOutcome.failure("bad", retryable=False)),
    ]
    body = batch_response(results)
    assert body["batchItemFailures"] == [{"itemIdentifier": "b"}]
    assert body["redeliver"] is False
    results.append(BatchItemResult("c", RecordOutcome.failure("throttled")))
    assert batch_response(results)["redeliver"] is True
