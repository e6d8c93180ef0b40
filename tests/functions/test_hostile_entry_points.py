"""Hostile events through the real function entry points, not a test app.

Every hostile event below goes to ``handler(event, context)`` (FunctionGraph) and ``main_handler``
(SCF) of license_purchase, license_release and license_reconcile. Each must end in a platform-correct
answer - an HTTP 4xx, a timer ``ok: false`` 4xx, or a batch whose bad records are reported as failed and
not redelivered - never an exception escaping, never a traceback or a secret in the answer or the log_buffer.
Hypothesis then mutates the documented business bodies inside correctly signed envelopes.
"""

from __future__ import annotations

import base64
import copy
import io
import json
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from devkit.emulator.credentials import DEMO_HUAWEI_SK
from functions.license_purchase import handler as purchase
from functions.license_reconcile import handler as reconcile
from functions.license_release import handler as release
from shared.runtime import RedeliveryRequested
from tests.functions import conftest as functions_conftest
from tests.functions.conftest import WEBHOOK_SECRET, Wired, kafka, timer, webhook

wired = functions_conftest.wired  # the fixture (not the name) is what pytest registers in this module

EVENTS = Path(__file__).resolve().parents[2] / "events"
SECRETS = (WEBHOOK_SECRET, WEBHOOK_SECRET.removeprefix("whsec_"), DEMO_HUAWEI_SK)
ENTRIES: dict[str, Callable[..., dict[str, Any]]] = {
    "purchase.handler": purchase.handler,
    "purchase.main_handler": purchase.main_handler,
    "release.handler": release.handler,
    "release.main_handler": release.main_handler,
    "reconcile.handler": reconcile.handler,
    "reconcile.main_handler": reconcile.main_handler,
}
MACHINE = "a" * 64


def _apig(body: Any, *, b64: Any = False, headers: Any = None) -> dict[str, Any]:
    """A FunctionGraph APIG event (``body`` is put in as given, hostile types included)."""
    return {
        "httpMethod": "POST",
        "path": "/hooks/license/purchase",
        "headers": {"content-type": "application/json"} if headers is None else headers,
        "queryStringParameters": {},
        "pathParameters": {},
        "requestContext": {"requestId": "r1", "apiId": "a1", "stage": "RELEASE"},
        "body": body,
        "isBase64Encoded": b64,
    }


def _deep(depth: int) -> Any:
    value: Any = 1
    for _ in range(depth):
        value = {"a": value}
    return value


def _hostile_events() -> dict[str, Any]:
    good = {"request_id": "h-1", "user_id": "u" * 32, "machine_code": MACHINE}
    return {
        "none": None,
        "list": [1, 2],
        "string": "not an event",
        "int": 42,
        "float_nan": float("nan"),
        "bytes": b"\x00\xff",
        "empty_dict": {},
        "unknown_dict": {"hello": "world"},
        "nested_junk": {"records": [[[[[]]]]]},
        "apig_body_int": _apig(12345),
        "apig_body_dict": _apig({"a": 1}),
        "apig_base64_garbage": _apig("%%%not-base64%%%", b64=True),
        "apig_base64_flag_string": _apig(base64.b64encode(b"{}").decode(), b64="yes"),
        "apig_headers_list": _apig("{}", headers=["content-type"]),
        "apig_header_values_int": _apig("{}", headers={"webhook-id": 1, "webhook-signature": None}),
        "apig_unicode_body": _apig('{"request_id": "ü\\ud800", "machine_code": "\u202e"}'),
        "apig_huge_body": _apig("x" * (4 * 1024 * 1024 + 1)),
        "apig_unsigned_valid_body": _apig(json.dumps(good)),
        "kafka_records_string": {**kafka([]), "records": "x"},
        "kafka_messages_junk": {
            **kafka([]),
            "records": [{"messages": [123, None, "", "{", "\udcff", [], {}]}],
        },
        "kafka_record_none": {**kafka([]), "records": [None, {"messages": None}]},
        "kafka_bad_fields": kafka(
            [
                {**good, "machine_code": "short"},
                {**good, "machine_code": None},
                {**good, "spec_code": "codeartside.gold"},
                {**good, "user_id": {"id": []}},
                {**good, "request_id": "x" * 10_000},
                {**good, "options": "auto"},
                {"request_id": []},
                "[]",
                "null",
                "9" * 5000,
                '{"a":' * 5000,
            ]
        ),
        "kafka_huge_batch": kafka(
            [{**good, "request_id": f"h-{n}", "machine_code": "bad"} for n in range(2000)]
        ),
        "kafka_deep_record": kafka(
            ["[" * 50_000, '{"a":' * 5000 + "1" + "}" * 5000, {**good, "machine_code": "x"}]
        ),
        "string_deep": "[" * 50_000,
        "timer_deep_user_event": lambda: {**timer("{}"), "user_event": _deep(5000)},
        "apig_deep_body": _apig("[" * 50_000),
        "timer_wrong_types": timer({"dry_run": "perhaps", "max_unbind_fraction": "lots"}),
        "scf_apigw_junk": {"httpMethod": "POST", "headers": 5, "body": [], "requestContext": "x"},
        "scf_ckafka_junk": {"Records": [{"Ckafka": "x"}, {"Ckafka": {"msgBody": 7}}, None]},
        "scf_cmq_junk": {"Records": [{"CMQ": {"type": "topic", "msgBody": None}}]},
        "scf_timer_junk": {"Type": "Timer", "TriggerName": None, "Time": 5, "Message": [1, 2]},
    }


HOSTILE = _hostile_events()


def check_answer(answer: Any, text: str) -> None:
    """A platform-correct refusal: 4xx HTTP, a refused timer, or a batch of non-retryable failures."""
    assert isinstance(answer, dict), answer
    if "statusCode" in answer:
        assert 400 <= answer["statusCode"] < 500, answer["statusCode"]
        json.loads(answer["body"])
    elif "results" in answer:
        assert answer["redeliver"] is False and answer["records_failed"] >= 1
        failed = [r for r in answer["results"] if r["status"] == "failed"]
        assert len(failed) == answer["records_failed"] and all(r["retryable"] is False for r in failed)
    else:
        assert answer.get("ok") is False and 400 <= answer["status"] < 500, answer
    assert "Traceback" not in text
    for secret in SECRETS:
        assert secret not in text


@pytest.mark.parametrize("entry", sorted(ENTRIES))
@pytest.mark.parametrize("name", sorted(HOSTILE))
def test_hostile_event_is_refused_cleanly(
    wired: Wired, log_buffer: io.StringIO, entry: str, name: str
) -> None:
    try:
        hostile = HOSTILE[name]
        event = hostile() if callable(hostile) else copy.deepcopy(hostile)  # too deep to deepcopy: built
        answer = ENTRIES[entry](event, None)
    except RedeliveryRequested as exc:  # pragma: no cover - the assertion explains the failure
        pytest.fail(f"hostile input asked for a redelivery: {exc}")
    text = log_buffer.getvalue() + json.dumps(answer, default=str)
    assert (
        '"event": "invocation"' in log_buffer.getvalue()
    )  # the summary line was written, so log_buffer were captured
    if isinstance(answer, dict) and answer.get("ok") is True:
        # A timer text that is not a JSON object fills ``message``, which reconcile ignores: it runs its
        # safe default, a dry run (the daily SMN summary then says so). Nothing else may succeed here.
        assert entry.startswith("reconcile") and answer["result"]["dry_run"] is True, answer
        answer = {"ok": False, "status": 400}
    check_answer(answer, text)
    assert wired.ide.orders == {} and wired.bound() == {}


def test_huge_batch_attempts_and_reports_every_record(wired: Wired, log_buffer: io.StringIO) -> None:
    """2,000 bad records: every one is reported, with its own id, none asks for redelivery."""
    answer = purchase.handler(HOSTILE["kafka_huge_batch"], None)
    assert answer["records_failed"] == 2000 and len({r["id"] for r in answer["results"]}) == 2000
    assert len(answer["batchItemFailures"]) == 2000


@pytest.mark.parametrize("module", [purchase, release], ids=["purchase", "release"])
def test_bad_signatures_are_401_and_replays_get_the_first_answer_without_secrets(
    wired: Wired, log_buffer: io.StringIO, module: Any
) -> None:
    path = "/hooks/license/" + ("purchase" if module is purchase else "release")
    body = {"request_id": "sig-1", "user_id": "u" * 32, "machine_code": MACHINE}
    signed = webhook(path, body, msg_id="msg_replay_1")
    forged = webhook(path, body, secret="whsec_" + base64.b64encode(b"guessed").decode())
    stale = webhook(path, body, timestamp=int(time.time()) - 3600)
    future = webhook(path, body, timestamp=int(time.time()) + 3600)
    stripped = {**signed, "headers": {"Content-Type": "application/json"}}
    tampered = {**signed, "body": json.dumps({**body, "machine_code": "b" * 64})}
    garbage_sig = {**signed, "headers": {**signed["headers"], "webhook-signature": "v1,%%%"}}
    for event in (forged, stale, future, stripped, tampered, garbage_sig):
        answer = module.handler(copy.deepcopy(event), None)
        assert answer["statusCode"] == 401, (answer, event["headers"])
    first = module.handler(copy.deepcopy(signed), None)
    assert first["statusCode"] < 500
    replay = module.handler(copy.deepcopy(signed), None)
    assert replay["statusCode"] == first["statusCode"] and replay["body"] == first["body"]
    assert replay["headers"]["Idempotent-Replayed"] == "true"
    text = log_buffer.getvalue() + json.dumps([first, replay])
    assert "Traceback" not in text and not any(secret in text for secret in SECRETS)


def _sample_body(path: str) -> dict[str, Any]:
    data: dict[str, Any] = json.loads(json.loads((EVENTS / path).read_text())["body"])
    return data


json_leaf = st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=80)
json_values = st.recursive(
    json_leaf,
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=8), inner, max_size=3),
    max_leaves=8,
)


@st.composite
def mutated_bodies(draw: st.DrawFn, sample: str) -> dict[str, Any]:
    """A documented business body with one field replaced by arbitrary JSON, or deleted."""
    body = _sample_body(sample)
    key = draw(st.sampled_from(sorted(body)))
    if draw(st.booleans()):
        del body[key]
    else:
        body[key] = draw(json_values)
    return body


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(body=mutated_bodies("license_purchase/webhook.json"), as_kafka=st.booleans())
def test_mutated_purchase_bodies_signed_correctly_never_break(
    wired: Wired, body: dict[str, Any], as_kafka: bool
) -> None:
    """Correctly signed (or Kafka-delivered) bodies with one hostile field: a 2xx/4xx answer or a reported
    record - and a request that still validates buys at most one seat."""
    event = kafka([body]) if as_kafka else webhook("/hooks/license/purchase", body)
    answer = purchase.handler(event, None)
    if "statusCode" in answer:
        assert answer["statusCode"] < 500, answer
    else:
        assert answer["records_ok"] + answer["records_failed"] == 1
    assert len(wired.ide.orders) <= 1
