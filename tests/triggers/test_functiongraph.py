"""FunctionGraph envelopes parsed from the documented samples (``events/_platform/fg_*.json``).

Provenance: OTC otc-functiongraph-python-runtime sample events as quoted in ``reference/platform.md`` §2;
``fg_apig_with_params.json`` is rebuilt from the description of the captured event, and the EventGrid files
fill in the doc's ``{"events": [...]}`` example (the bare form is pass-through mode).
"""

from __future__ import annotations

import base64
import json
from datetime import datetime, timezone

import pytest

from shared.triggers import EventParseError, parse_event


def test_apig_base64_sample(sample):
    event = parse_event(sample("fg_apig_base64.json"))
    assert (event.kind, event.platform, event.source) == ("http", "functiongraph", "apig")
    assert event.method == "GET"
    assert event.path == "/"
    assert event.body == b'{"name": "OpenTelekomCloud"}'
    assert event.query == {"responseType": "html"}
    assert event.event_id == "11cdcdcf33949dc6d722640a13091c77"
    assert event.header("User-Agent").startswith("Mozilla/5.0")
    assert event.header("X-Real-IP") == "103.218.216.98"


def test_apig_greedy_path_parameter_and_empty_body(sample):
    event = parse_event(sample("fg_apig_with_params.json"))
    assert event.path_params == {"": "helloWorld/Test"}
    assert event.body == b""
    assert event.query == {"name": "2"}
    assert event.header("x-forwarded-host")


def test_apig_missing_base64_flag_means_base64():
    """The FAQ says ``isBase64Encoded`` defaults to true in the event: a missing flag decodes."""
    raw = {"httpMethod": "POST", "body": base64.b64encode(b'{"a":1}').decode(), "headers": {}}
    assert parse_event(raw, "functiongraph").body == b'{"a":1}'


def test_apig_plain_body_when_flag_false():
    raw = {"httpMethod": "POST", "body": '{"a":1}', "isBase64Encoded": False}
    assert parse_event(raw).body == b'{"a":1}'


def test_apig_corrupt_base64_is_a_parse_error():
    with pytest.raises(EventParseError, match="base64"):
        parse_event({"httpMethod": "POST", "body": "not base64!!", "isBase64Encoded": True})


def test_apig_uppercase_headers_are_lowercased():
    event = parse_event({"httpMethod": "get", "headers": {"Webhook-Id": "x"}, "isBase64Encoded": False})
    assert event.method == "GET"
    assert event.headers == {"webhook-id": "x"}


def test_timer_json_user_event(sample):
    event = parse_event(sample("fg_timer.json"))
    assert (event.kind, event.source) == ("timer", "timer")
    assert json.loads(event.body) == {"message": "timer triggered event", "topic": "test"}
    assert event.trigger_name == "Timer_001"
    assert event.event_id == "Timer_001@2023-06-01T08:30:00+08:00"
    assert event.time == datetime(2023, 6, 1, 0, 30, tzinfo=timezone.utc)


def test_timer_text_user_event(sample):
    event = parse_event(sample("fg_timer_text.json"))
    assert event.body == b"Hello world"


def test_smn_sample(sample):
    event = parse_event(sample("fg_smn.json"))
    assert (event.kind, event.source) == ("notification", "smn")
    assert event.event_id == "7c307f6a-cf68-4e65-8be0-4c77405a1b2c"
    [record] = event.records
    assert record.id == "a51671f77d4a479cacb09e2cd591a983"
    assert record.body == b"this is smn message content"
    assert record.attributes["subject"] == "this is smn message subject"
    assert record.error is None


def test_smn_bad_entry_fails_alone(sample):
    raw = sample("fg_smn.json")
    raw["record"].append({"smn": "not an object"})
    event = parse_event(raw)
    assert [r.error is None for r in event.records] == [True, False]


def test_kafka_sample_has_stable_content_ids(sample):
    event = parse_event(sample("fg_dms_kafka.json"))
    assert (event.kind, event.source) == ("queue", "kafka")
    assert [r.body for r in event.records] == [f"kafka message{i}".encode() for i in range(1, 6)]
    assert all(r.id.startswith("topic-test:") for r in event.records)
    assert len({r.id for r in event.records}) == 5
    again = parse_event(sample("fg_dms_kafka.json"))
    assert [r.id for r in again.records] == [r.id for r in event.records]
    assert event.time == datetime.fromtimestamp(1576737962, tz=timezone.utc)


def test_kafka_duplicate_messages_get_distinct_ids(sample):
    raw = sample("fg_dms_kafka.json")
    raw["records"][0]["messages"] = ["same", "same", "same"]
    ids = [r.id for r in parse_event(raw).records]
    assert len(set(ids)) == 3
    assert ids[1] == ids[0] + "#1"


def test_cts_seconds_and_milliseconds_samples_agree_on_units(sample):
    """The two CTS samples disagree on units: the OTC ``cts_event.json`` has ``time: 1529996047`` (seconds,
    2018-06-26) and the live capture ``cts_fg_create.json`` has ``1765788999507`` (milliseconds,
    2025-12-15). Read as milliseconds the first would be 1970-01-18, long before CTS existed, so the live
    capture's milliseconds are right and seconds are normalised up."""
    old = parse_event(sample("fg_cts.json"))
    new = parse_event(sample("fg_cts_create_function.json"))
    assert old.time == datetime(2018, 6, 26, 6, 54, 7, tzinfo=timezone.utc)
    assert new.time is not None and new.time.year == 2025
    trace = json.loads(old.records[0].body)
    assert trace["time"] == 1529996047000
    assert (new.kind, new.source, new.event_id) == ("audit", "cts", "f828ab77-d993-11f0-b09f-35adcfa25f3b")
    assert new.records[0].attributes["trace_name"] == "createFunction"


def test_eventgrid_array_and_single(sample):
    many = parse_event(sample("fg_eventgrid_events.json"))
    one = parse_event(sample("fg_eventgrid_single.json"))
    for event in (many, one):
        assert (event.kind, event.source) == ("cloudevent", "eventgrid")
        [record] = event.records
        assert record.id == "4b8c6b1e-6f0e-4d2c-9a0e-1f2e3d4c5b6a"
        assert record.dedupe_key == "HC.OBS#4b8c6b1e-6f0e-4d2c-9a0e-1f2e3d4c5b6a"
        assert json.loads(record.body)["data"]["bucket"] == "example-bucket"


def test_eventgrid_invalid_event_fails_alone(sample):
    raw = sample("fg_eventgrid_events.json")
    raw["events"].append({"id": "x", "source": "HC.OBS", "specversion": "0.3", "type": "t"})
    raw["events"].append({"id": "y"})
    records = parse_event(raw).records
    assert records[0].error is None
    assert "specversion" in (records[1].error or "")
    assert "source" in (records[2].error or "")


def test_functiongraph_platform_does_not_accept_scf_envelopes(sample):
    with pytest.raises(EventParseError):
        parse_event(sample("scf_ckafka.json"), "functiongraph")
