"""SCF envelopes from the Tencent docs (``events/_platform/scf_*.json``; ``reference/platform.md`` §3)."""

from __future__ import annotations

from datetime import datetime, timezone

import pytest

from shared.triggers import EventParseError, parse_event


def test_apigw_sample(sample):
    event = parse_event(sample("scf_apigw.json"))
    assert (event.kind, event.platform, event.source) == ("http", "scf", "scf_apigw")
    assert event.method == "POST"
    assert event.body == b'{"test":"body"}'
    assert event.path == "/test/value"
    assert event.path_params == {"path": "value"}
    assert event.event_id == "c6af9ac6-7b61-11e6-9a41-93e8deadbeef"


def test_apigw_headers_lowercased_and_query_string_complete(sample):
    """The sample mixes header cases (``accept-Language``, ``user-Agent``) and puts ``bob=alice`` only in
    ``queryString``: ``queryStringParameters`` is the incomplete copy, so ``queryString`` wins."""
    event = parse_event(sample("scf_apigw.json"))
    assert event.header("Accept-Language") == "en-US,en,cn"
    assert "user-agent" in event.headers
    assert event.query == {"foo": "bar", "bob": "alice"}


def test_apigw_repeated_query_values_are_joined():
    raw = {
        "requestContext": {"serviceId": "s", "requestId": "r"},
        "httpMethod": "GET",
        "queryString": {"tag": ["a", "b"]},
    }
    assert parse_event(raw, "scf").query == {"tag": "a,b"}


def test_apigw_base64_only_when_flagged():
    raw = {"requestContext": {"serviceId": "s"}, "httpMethod": "POST", "body": "aGk="}
    raw["isBase64Encoded"] = True
    assert parse_event(raw).body == b"hi"
    raw["isBase64Encoded"] = False
    assert parse_event(raw).body == b"aGk="
    del raw["isBase64Encoded"]
    assert parse_event(raw).body == b"aGk="


def test_timer_sample(sample):
    event = parse_event(sample("scf_timer.json"))
    assert (event.kind, event.source) == ("timer", "scf_timer")
    assert event.body == b"user define msg body"
    assert event.event_id == "EveryDay@2019-02-21T11:49:00Z"
    assert event.time == datetime(2019, 2, 21, 11, 49, tzinfo=timezone.utc)


def test_ckafka_sample(sample):
    event = parse_event(sample("scf_ckafka.json"))
    assert (event.kind, event.source) == ("queue", "ckafka")
    assert [r.id for r in event.records] == ["test-topic:1:36", "test-topic:1:37"]
    assert event.records[0].body == b"Hello from Ckafka!"
    assert event.records[0].attributes["key"] is None  # the doc's literal "None"


@pytest.mark.parametrize("name", ["scf_cmq.json", "scf_cmq_tag_array.json"])
def test_cmq_tag_string_and_array_forms(sample, name):
    """Tencent's page gives ``msgTag`` as a comma string, serverless.com as an array; both mean two tags."""
    [record] = parse_event(sample(name)).records
    assert record.attributes["tags"] == ["tag1", "tag2"]
    assert record.body == b"Hello from CMQ!"
    assert record.id.startswith("12334534")


def test_unknown_record_type_fails_alone(sample):
    raw = sample("scf_ckafka.json")
    raw["Records"].insert(0, {"COS": {}})
    event = parse_event(raw)
    assert event.records[0].error is not None
    assert [r.error for r in event.records[1:]] == [None, None]


def test_scf_platform_does_not_accept_functiongraph_envelopes(sample):
    with pytest.raises(EventParseError):
        parse_event(sample("fg_timer.json"), "scf")
