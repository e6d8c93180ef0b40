"""secret_tag_watch: tag vocabulary, schedules against croniter, events, malformed input, job delivery."""

from __future__ import annotations

import json
import random
import time
from datetime import datetime, timezone
from typing import Any

import httpx
import pytest
from croniter import croniter

from functions.secret_tag_watch import jobs
from functions.secret_tag_watch.handler import handler
from functions.secret_tag_watch.schedule import Cron, ScheduleError, parse_duration, parse_schedule
from functions.secret_tag_watch.tags import read_tags
from shared.clients.csms import CsmsClient
from shared.config import InvalidSettingError, Settings
from shared.errors import BadRequestError
from tests.functions.conftest import Wired, timer
from tests.functions.tagwatch_helpers import (
    DAY,
    Spy,
    add_secret,
    csms_backend,
    cts_event,
    good_tags,
    smn_event,
)

CRONS = [
    "0 3 * * 1",
    "*/15 * * * *",
    "0 0 1 * *",
    "30 2 1,15 * mon",
    "0 0 29 2 *",
    "5 4 * jan-mar sun",
    "0 12 13 * 5",
]


@pytest.mark.parametrize("expr", CRONS)
def test_the_cron_evaluator_agrees_with_croniter(expr: str) -> None:
    rng = random.Random(expr)
    cron = Cron.parse(expr.replace(" ", "_").replace("*", "?"))
    for _ in range(100):
        moment = datetime.fromtimestamp(rng.uniform(1.6e9, 1.95e9), timezone.utc)
        assert cron.next_after(moment) == croniter(expr, moment).get_next(datetime)


@pytest.mark.parametrize(
    ("text", "expected"),
    [("30", 30), ("30d", 30), (" 7 ", 7), ("3650", 3650)],
)
def test_schedules_in_days(text: str, expected: int) -> None:
    assert parse_schedule(text).days == expected


@pytest.mark.parametrize(
    "text", ["0", "3651", "abc", "1 2 3", "61 * * * *", "0 0 31 2 *", "5-1 * * * *", "*/0 * * * *"]
)
def test_bad_schedules_say_what_is_wrong(text: str) -> None:
    with pytest.raises(ScheduleError):
        parse_schedule(text)


def test_durations() -> None:
    assert [parse_duration(t) for t in ("30m", "2h", "1d")] == [1800, 7200, 86400]
    for bad in ("0m", "1w", "1.5h", "", "h"):
        with pytest.raises(ScheduleError):
            parse_duration(bad)


def test_the_tag_vocabulary() -> None:
    ok = read_tags(good_tags(rotation_window="2h"))
    assert ok.enabled and ok.policy is not None and not ok.problems
    assert (ok.policy.kind, ok.policy.strategy, ok.policy.window_seconds) == ("apig-app", "alternating", 7200)
    assert read_tags({"owner": "x"}).enabled is False
    assert read_tags(good_tags(rotation="disabled", rotation_kind="nonsense")).problems == []
    bad = read_tags(
        {"rotation": "yes", "rotation-kind": "x", "rotation-schedule": "soon", "rotation-window": "ages"}
    )
    assert bad.problems == [
        "rotation 'yes' is not enabled or disabled",
        "rotation-kind 'x' is not one of apig-signature-key, apig-app, tencent-api-key",
        "rotation-schedule: 'soon' is neither a number of days nor a 5-field cron",
        "rotation-window: 'ages' is not a duration such as 30m, 2h or 1d",
        "owner is missing (the team or person responsible)",
    ]
    wrong_kind = read_tags(good_tags(rotation_kind="tencent-api-key", rotation_strategy="single"))
    assert wrong_kind.problems == ["rotation-strategy applies to apig-app only, not tencent-api-key"]


async def test_csms_refuses_a_star_in_a_tag_value_so_crons_use_question_marks(wired: Wired) -> None:
    """The contract's example ``0_3_*_*_1`` cannot be stored: seed 001 forbids ``*`` in tag values."""
    secret = add_secret(csms_backend(wired.emulator), "s1", {}, time.time())
    async with CsmsClient.from_settings(Settings.from_env()) as csms:
        with pytest.raises(BadRequestError):
            await csms.create_secret_tag(secret.id, "rotation-schedule", "0_3_*_*_1")
        await csms.create_secret_tag(secret.id, "rotation-schedule", "0_3_?_?_1")
    assert parse_schedule("0_3_?_?_1").cron == parse_schedule("0 3 * * 1").cron


def test_a_manual_new_version_restarts_the_clock(wired: Wired) -> None:
    backend = csms_backend(wired.emulator)
    secret = add_secret(backend, "db-password", good_tags(), time.time() - 40 * DAY)
    assert [j["secret_name"] for j in handler(timer({}), None)["result"]["jobs"]] == ["db-password"]
    backend.add_version(secret, "typed in by hand", None, ["SYSCURRENT"], None)
    assert handler(timer({}), None)["result"]["jobs"] == []


def test_the_rotation_id_is_stable_until_the_secret_rotates(wired: Wired) -> None:
    backend = csms_backend(wired.emulator)
    secret = add_secret(backend, "k", good_tags(), time.time() - 40 * DAY)
    first = handler(timer({"mode": "plan"}), None)["result"]["jobs"]
    again = handler(timer({"mode": "plan"}), None)["result"]["jobs"]
    assert first == again and first[0]["mode"] == "plan"
    backend.add_version(secret, "new", None, ["SYSCURRENT"], None)
    secret.stages["SYSCURRENT"] = (secret.versions[-1].id, int(time.time() - 40 * DAY))
    assert handler(timer({}), None)["result"]["jobs"][0]["rotation_id"] != first[0]["rotation_id"]


def test_a_sweep_can_be_narrowed_by_kind_and_name(wired: Wired) -> None:
    backend = csms_backend(wired.emulator)
    old = time.time() - 400 * DAY
    add_secret(backend, "prod-a", good_tags(rotation_kind="apig-app"), old)
    add_secret(backend, "prod-b", good_tags(rotation_kind="tencent-api-key"), old)
    add_secret(backend, "prod-c", good_tags(rotation_kind="apig-signature-key"), old)
    add_secret(backend, "test-d", good_tags(rotation_kind="apig-app"), old)
    spy = Spy(wired.emulator)
    out = handler(timer({"kinds": ["apig-app", "tencent-api-key"], "name_contains": "prod-"}), None)
    assert [j["secret_name"] for j in out["result"]["jobs"]] == ["prod-a", "prod-b"]
    [(_, body)] = spy.of("ListResourceInstances")
    assert body["tags"] == [
        {"key": "rotation", "values": []},
        {"key": "rotation-kind", "values": ["apig-app", "tencent-api-key"]},
    ]
    assert body["matches"] == [{"key": "resource_name", "value": "prod-"}]


@pytest.mark.parametrize(
    "event",
    [
        {"mode": "rotate-everything"},
        {"kinds": ["made-up"]},
        {"name_contains": ""},
        {"secret_name": "x" * 65},
        {"mod": "plan"},
    ],
)
def test_malformed_timer_input_is_refused_with_field_errors(wired: Wired, event: Any) -> None:
    out = handler(timer(event), None)
    assert out["ok"] is False and out["status"] == 400 and "Traceback" not in json.dumps(out)


def test_malformed_tag_values_are_reported_never_a_traceback(
    wired: Wired, caplog: pytest.LogCaptureFixture
) -> None:
    backend = csms_backend(wired.emulator)
    hostile = {"rotation": "enabled", "rotation-kind": "ap\u00efg-app", "rotation-schedule": "0_0_?_?_?_?_?",
               "rotation-window": "9999999999d", "owner": "  "}  # fmt: skip
    add_secret(backend, "hostile", hostile, time.time() - 99 * DAY)
    add_secret(backend, "fine", good_tags(), time.time() - 99 * DAY)
    out = handler(timer({}), None)
    answer = out["result"]
    assert [j["secret_name"] for j in answer["jobs"]] == ["fine"]
    [item] = answer["invalid"]
    assert item["secret_name"] == "hostile" and len(item["problems"]) == 4
    [note] = wired.notifications()
    assert "- hostile: rotation-kind" in note.message and "owner is missing" in note.message
    assert "Traceback" not in caplog.text


def test_a_plain_text_timer_message_is_a_full_sweep(wired: Wired) -> None:
    add_secret(csms_backend(wired.emulator), "k", good_tags(), time.time() - 99 * DAY)
    assert [j["secret_name"] for j in handler(timer("Hello world"), None)["result"]["jobs"]] == ["k"]


def test_an_smn_event_about_an_expired_version_rotates_at_once(wired: Wired) -> None:
    backend = csms_backend(wired.emulator)
    add_secret(backend, "fresh", good_tags(), time.time() - DAY)
    add_secret(backend, "other", good_tags(), time.time() - 99 * DAY)
    message = {"event_name": "e", "trigger_event_type": "SECRET_VERSION_EXPIRED", "secret_name": "fresh"}
    [result] = handler(smn_event(message), None)["results"]
    assert [(j["secret_name"], j["reason"]) for j in result["result"]["jobs"]] == [("fresh", "event")]
    created = {**message, "trigger_event_type": "SECRET_VERSION_CREATED"}
    [result] = handler(smn_event(created), None)["results"]
    assert result["result"]["jobs"] == [] and result["result"]["skipped"]["not_due"] == 1


def test_csms_event_notifications_reach_the_function_in_the_emulators_own_format(wired: Wired) -> None:
    """The message CSMS (emulated) publishes to SMN is one the function reads."""
    from devkit.emulator.services.csms import CsmsBackend

    backend: CsmsBackend = csms_backend(wired.emulator)
    secret = add_secret(backend, "watched", good_tags(), time.time() - 99 * DAY)
    published: list[str] = []
    backend.notifier = lambda _key, _topic, message, _subject: published.append(message) or "SUCCESS"
    from devkit.emulator.services.csms.state import Event

    backend.add_event(Event("e", "id", ["SECRET_VERSION_CREATED"], "ENABLED", {"target_id": "t"}, 0, 0))
    secret.event_subscriptions = ["e"]
    backend.notify(secret, "SECRET_VERSION_CREATED", version_id="v1")
    [result] = handler(smn_event(published[0]), None)["results"]
    assert [j["secret_name"] for j in result["result"]["jobs"]] == ["watched"]


@pytest.mark.parametrize(
    ("event", "why"),
    [
        (cts_event("s", service_type="KMS"), "is not CSMS"),
        (cts_event("s", trace_name="createSecret"), "is not a configured tag operation"),
        (cts_event("s", trace_status="error"), "did not succeed"),
        (cts_event(""), "names no secret"),
        (smn_event({"trigger_event_type": "SECRET_ROTATED"}), "names no secret"),
    ],
)
def test_events_that_are_not_about_a_tagged_secret_are_ignored(
    wired: Wired, event: dict[str, Any], why: str
) -> None:
    spy = Spy(wired.emulator)
    [result] = handler(event, None)["results"]
    assert result["status"] == "ok" and why in result["result"]["ignored"]
    assert spy.calls == []


def test_trace_names_are_configurable(wired: Wired, monkeypatch: pytest.MonkeyPatch) -> None:
    add_secret(csms_backend(wired.emulator), "s", good_tags(), time.time() - 99 * DAY)
    monkeypatch.setenv("OPSFN_TAGWATCH_TRACE_NAMES", "tagSecret, untagSecret")
    [ignored] = handler(cts_event("s"), None)["results"]
    [acted] = handler(cts_event("s", trace_name="TAGSECRET"), None)["results"]
    assert "ignored" in ignored["result"] and [j["secret_name"] for j in acted["result"]["jobs"]] == ["s"]


def test_an_smn_message_that_is_not_json_fails_alone_without_a_traceback(wired: Wired) -> None:
    [result] = handler(smn_event("plain text, not JSON"), None)["results"]
    assert result["status"] == "failed" and result["retryable"] is False


def test_jobs_go_to_kafka_through_the_rest_proxy(wired: Wired, monkeypatch: pytest.MonkeyPatch) -> None:
    add_secret(csms_backend(wired.emulator), "k1", good_tags(), time.time() - 99 * DAY)
    received: list[httpx.Request] = []

    def proxy(request: httpx.Request) -> httpx.Response:
        received.append(request)
        return httpx.Response(200, json={"offsets": [{"partition": 0, "offset": 1}]})

    from shared.http import use_transport

    monkeypatch.setenv("OPSFN_ROTATION_JOBS_URL", "https://kafka-rest.internal:8082/topics/rotation-jobs")
    emulator = wired.emulator.transport()

    def route(request: httpx.Request) -> httpx.Response:
        return (
            proxy(request) if request.url.host == "kafka-rest.internal" else emulator.handle_request(request)
        )

    with use_transport(httpx.MockTransport(route)):
        out = handler(timer({}), None)
    assert out["result"]["delivered_to"] == "kafka-rest"
    [request] = received
    assert request.url.path == "/topics/rotation-jobs"
    assert request.headers["content-type"] == jobs.KAFKA_REST_CONTENT_TYPE
    [record] = json.loads(request.content)["records"]
    assert record["key"] == "k1" and record["value"] == out["result"]["jobs"][0]


def test_a_registered_producer_replaces_the_built_in_choice(wired: Wired) -> None:
    add_secret(csms_backend(wired.emulator), "k1", good_tags(), time.time() - 99 * DAY)
    sent: list[dict[str, Any]] = []

    class Collect:
        name = "custom"

        async def send(self, batch: Any) -> None:
            sent.extend(batch)

    jobs.register_producer(lambda _settings: Collect())
    try:
        out = handler(timer({}), None)
    finally:
        jobs.register_producer(None)
    assert out["result"]["delivered_to"] == "custom" and sent == out["result"]["jobs"]


def test_a_jobs_url_that_is_not_a_kafka_topic_is_a_configuration_error() -> None:
    with pytest.raises(InvalidSettingError, match="OPSFN_ROTATION_JOBS_URL"):
        jobs.KafkaRestProducer("ftp://x/rotation")
