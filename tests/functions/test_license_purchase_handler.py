"""license_purchase through its entry points: what each caller is told, and what is (not) bought."""

from __future__ import annotations

import base64
import copy
import io
import json
from typing import Any

import pytest

from devkit.emulator.credentials import DEMO_HUAWEI_SK
from devkit.emulator.services.ide import set_quota
from functions.license_purchase.handler import handler, main_handler
from shared.log import configure_logging
from shared.runtime import RedeliveryRequested
from tests.functions.conftest import (
    WEBHOOK_SECRET,
    Wired,
    http_body,
    kafka,
    machine,
    purchase_body,
    user,
    webhook,
)

PATH = "/hooks/license/purchase"


def deliver(body: Any, **sign_args: Any) -> dict[str, Any]:
    return handler(webhook(PATH, body, **sign_args), None)


# -- the happy paths ---------------------------------------------------------------------------------------


def test_webhook_buys_binds_and_answers_seat_order_and_machine(wired: Wired) -> None:
    response = deliver(purchase_body(1))
    assert response["statusCode"] == 200
    body = http_body(response)
    assert body["status"] == "purchased" and body["machine_code"] == machine(1)
    assert wired.bound() == {body["license_id"]: (user(1), machine(1))}
    assert body["order_id"] in wired.ide.orders
    assert wired.notifications() == []  # nothing needs a person


def test_free_seat_is_reused_and_nothing_is_bought(wired: Wired) -> None:
    [free] = wired.ide.seed(1)
    body = http_body(deliver(purchase_body(1)))
    assert (body["status"], body["license_id"]) == ("reused", free)
    assert len(wired.ide.orders) == 1  # the seeding order only


def test_duplicate_delivery_replays_the_stored_answer(wired: Wired) -> None:
    first = deliver(purchase_body(1))
    again = deliver(purchase_body(1))
    assert again["statusCode"] == 200 and again["body"] == first["body"]
    assert again["headers"]["Idempotent-Replayed"] == "true"
    assert len(wired.ide.orders) == 1 and len(wired.bound()) == 1


def test_same_request_id_with_other_data_is_refused(wired: Wired) -> None:
    deliver(purchase_body(1))
    response = deliver(purchase_body(1, machine_code=machine(2)))
    assert response["statusCode"] == 409
    assert http_body(response)["error"] == "idempotency_payload_mismatch"
    assert len(wired.bound()) == 1


# -- bad input: 400/401 before any cloud call --------------------------------------------------------------


@pytest.mark.parametrize(
    ("change", "loc", "message"),
    [
        ({"machine_code": None}, "machine_code", "Field required"),
        ({"machine_code": "DESKTOP-7F3K2"}, "machine_code", "only letters and digits, found '-'"),
        ({"machine_code": "ab" * 16}, "machine_code", "must be 64 characters long, got 32"),
        ({"spec_code": "codeartside.pro"}, "spec_code", "unknown spec_code 'codeartside.pro'"),
        ({"user_id": "Li Wei"}, "user_id", "IAM user id"),
        ({"request_id": None}, "request_id", "Field required"),
    ],
)
def test_bad_input_is_a_400_naming_the_field(
    wired: Wired, change: dict[str, Any], loc: str, message: str
) -> None:
    body = {k: v for k, v in {**purchase_body(1), **change}.items() if v is not None}
    response = deliver(body)
    assert response["statusCode"] == 400
    answer = http_body(response)
    assert answer["error"] == "validation"
    [field] = [f for f in answer["fields"] if f["loc"] == loc]
    assert message in field["msg"]
    assert wired.ide.licenses == {} and wired.ide.orders == {}


def test_body_that_is_not_json_is_a_400(wired: Wired) -> None:
    response = deliver("request_id=req-1&user_id=user1")
    assert response["statusCode"] == 400
    assert http_body(response)["error"] == "malformed_json"


def test_forged_signature_is_a_401_and_buys_nothing(wired: Wired) -> None:
    forged = "whsec_" + "QUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUE="
    assert forged != WEBHOOK_SECRET
    response = deliver(purchase_body(1), secret=forged)
    assert response["statusCode"] == 401
    assert http_body(response)["message"] == "webhook signature does not match"
    assert wired.ide.orders == {}


def test_unsigned_delivery_is_a_401(wired: Wired) -> None:
    event = webhook(PATH, purchase_body(1))
    event["headers"] = {"Content-Type": "application/json"}
    response = handler(event, None)
    assert response["statusCode"] == 401
    assert "missing webhook-id" in http_body(response)["message"]


def test_replayed_signature_gets_the_stored_answer(wired: Wired) -> None:
    """A captured delivery re-sent as is (same webhook-id, timestamp and signature) cannot run again: it is
    answered from the first delivery's stored answer (replay protection is the signature plus the
    timestamp tolerance; the id is the sender's idempotency key)."""
    event = webhook(PATH, purchase_body(1), msg_id="msg_captured")
    first = handler(copy.deepcopy(event), None)
    assert first["statusCode"] == 200
    replay = handler(copy.deepcopy(event), None)
    assert replay["statusCode"] == 200 and http_body(replay) == http_body(first)
    assert replay["headers"]["Idempotent-Replayed"] == "true"
    assert len(wired.ide.orders) <= 1


def test_stale_signature_is_a_401(wired: Wired) -> None:
    response = deliver(purchase_body(1), timestamp=1_600_000_000)
    assert response["statusCode"] == 401
    assert http_body(response)["message"] == "webhook timestamp is too old"


# -- refusals become a clear failed result and one SMN notification, never a retry loop --------------------


def test_quota_exhausted_is_a_stored_409_and_one_notification(wired: Wired) -> None:
    set_quota(wired.emulator, 0)
    first = deliver(purchase_body(1))
    assert first["statusCode"] == 409
    body = http_body(first)
    assert body["status"] == "failed" and body["error_code"] == "IDE.00900008"
    assert "quota is used up" in body["reason"] and body["retryable"] is False
    again = deliver(purchase_body(1))
    assert again["statusCode"] == 409 and again["headers"]["Idempotent-Replayed"] == "true"
    [note] = wired.notifications()
    assert "req-1" in note.message and "IDE.00900008" in note.message
    assert wired.ide.orders == {}


def test_unpaid_order_pending_is_refused_not_retried(wired: Wired) -> None:
    wired.ide.seed(1, status="UNPAID")
    response = deliver(purchase_body(1))
    assert response["statusCode"] == 409
    assert http_body(response)["error_code"] == "IDE.00900007"
    assert len(wired.ide.orders) == 1 and len(wired.notifications()) == 1


def test_order_without_auto_pay_is_202_awaiting_payment(wired: Wired) -> None:
    response = deliver(purchase_body(1, options={"auto_pay": False}))
    assert response["statusCode"] == 202
    body = http_body(response)
    assert body["status"] == "awaiting_payment" and body["order_id"] in wired.ide.orders
    assert wired.bound() == {}
    [note] = wired.notifications()
    assert body["order_id"] in note.message


def test_lost_purchase_is_a_503_not_stored_and_the_retry_completes(wired: Wired) -> None:
    assert wired.emulator.faults is not None
    wired.emulator.faults.add("ide", "CreateLicenses", kind="error", rate=1.0)
    failed = deliver(purchase_body(1))
    assert failed["statusCode"] == 503 and failed["headers"]["Retry-After"] == "5"
    assert http_body(failed)["retryable"] is True
    wired.emulator.faults.clear()
    retried = deliver(purchase_body(1))
    assert retried["statusCode"] == 200 and http_body(retried)["status"] == "purchased"
    assert len(wired.ide.orders) == 1


# -- Kafka batches -----------------------------------------------------------------------------------------


def test_bad_record_fails_alone_and_duplicates_share_one_seat(wired: Wired) -> None:
    bad = purchase_body(9, machine_code="not-a-machine")
    event = kafka([purchase_body(1), purchase_body(2), purchase_body(1), bad])
    out = handler(event, None)
    assert (out["records_ok"], out["records_failed"], out["redeliver"]) == (3, 1, False)
    results = out["results"]
    assert [r["status"] for r in results] == ["ok", "ok", "ok", "failed"]
    assert results[0]["result"]["license_id"] == results[2]["result"]["license_id"]
    assert results[3]["retryable"] is False
    assert results[3]["fields"][0]["loc"] == "machine_code"
    assert len(wired.bound()) == 2 and len(wired.ide.orders) == 1


def test_retryable_failure_asks_the_platform_to_redeliver_and_redelivery_finishes(wired: Wired) -> None:
    assert wired.emulator.faults is not None
    wired.emulator.faults.add("ide", "CreateLicenses", kind="throttle", rate=1.0, retry_after=0.0)
    wired.ide.seed(1)  # one free seat: the first request is served, the second must buy
    event = kafka([purchase_body(1), purchase_body(2)])
    with pytest.raises(RedeliveryRequested) as caught:
        handler(event, None)
    assert len(caught.value.failed_ids) == 1
    wired.emulator.faults.clear()
    out = handler(event, None)
    assert [r.get("replayed", False) for r in out["results"]] == [True, False]
    assert out["records_ok"] == 2 and len(wired.bound()) == 2


def test_awaiting_payment_record_is_reported_not_redelivered(wired: Wired) -> None:
    out = handler(kafka([purchase_body(1, options={"auto_pay": False})]), None)
    [result] = out["results"]
    assert result["status"] == "failed" and result["retryable"] is False
    assert result["error"].startswith("awaiting_payment: order CS")


def test_scf_ckafka_entry_point(wired: Wired) -> None:
    event = {
        "Records": [
            {
                "Ckafka": {
                    "topic": "license-purchase-requests",
                    "partition": 0,
                    "offset": n,
                    "msgKey": f"req-{n}",
                    "msgBody": json.dumps(purchase_body(n)),
                }
            }
            for n in (1, 2)
        ]
    }
    out = main_handler(event, None)
    assert out["records_ok"] == 2 and len(wired.bound()) == 2


# -- secrets -----------------------------------------------------------------------------------------------


def test_no_secret_reaches_logs_or_answers(wired: Wired) -> None:
    buffer = io.StringIO()
    configure_logging("DEBUG", stream=buffer)
    try:
        answers = [
            deliver(purchase_body(1)),
            deliver(purchase_body(2), secret="whsec_" + base64.b64encode(b"a guessed key").decode()),
            handler(kafka([purchase_body(3), purchase_body(4, machine_code="x")]), None),
        ]
    finally:
        configure_logging("INFO")
    text = buffer.getvalue() + json.dumps(answers)
    assert '"event": "invocation"' in text and "license_purchase.done" in text  # the logs were captured
    for secret in (WEBHOOK_SECRET, WEBHOOK_SECRET.removeprefix("whsec_"), DEMO_HUAWEI_SK):
        assert secret not in text


def test_quota_running_out_mid_batch_fails_the_rest_once_without_redelivery(wired: Wired) -> None:
    """Quota 15, 25 requests: the first order (10) goes through, the second is refused and the third is
    not even attempted; the 15 refused records are reported, not redelivered, and one message is sent."""
    set_quota(wired.emulator, 15)
    out = handler(kafka([purchase_body(n) for n in range(25)]), None)
    assert (out["records_ok"], out["records_failed"], out["redeliver"]) == (10, 15, False)
    refused = [r for r in out["results"] if r["status"] == "failed"]
    assert all(r["retryable"] is False and "IDE.00900008" in r["error"] for r in refused)
    assert [len(o.license_ids) for o in wired.ide.orders.values()] == [10]
    [note] = wired.notifications()
    assert note.subject == "CodeArts IDE seats: 15 request(s) need attention"
