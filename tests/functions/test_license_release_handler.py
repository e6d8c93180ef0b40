"""license_release through its entry points: what is freed, idempotence, bad input, retryable failures."""

from __future__ import annotations

from typing import Any

import pytest

from functions.license_release.handler import handler
from shared.runtime import RedeliveryRequested
from tests.functions.conftest import Wired, http_body, kafka, machine, user, webhook

PATH = "/hooks/license/release"


def deliver(body: Any) -> dict[str, Any]:
    return handler(webhook(PATH, body), None)


def test_every_seat_of_the_user_is_freed_and_reported(wired: Wired) -> None:
    mine = wired.ide.seed(2, user_id=user(1), machine_code=[machine(1), machine(2)])
    [other] = wired.ide.seed(1, user_id=user(2), machine_code=machine(3))
    response = deliver({"request_id": "off-1", "user_id": user(1)})
    assert response["statusCode"] == 200
    body = http_body(response)
    assert body["status"] == "released" and sorted(body["freed"]) == sorted(mine)
    assert list(wired.bound()) == [other]


def test_redelivery_gets_the_same_report(wired: Wired) -> None:
    wired.ide.seed(1, user_id=user(1), machine_code=machine(1))
    first = deliver({"request_id": "off-1", "user_id": user(1)})
    again = deliver({"request_id": "off-1", "user_id": user(1)})
    assert again["body"] == first["body"] and again["headers"]["Idempotent-Replayed"] == "true"


def test_already_free_is_success(wired: Wired) -> None:
    wired.ide.seed(1)
    response = deliver({"user_id": user(1)})  # no request id: nothing to replay, still idempotent
    assert response["statusCode"] == 200
    assert http_body(response)["status"] == "nothing_bound" and http_body(response)["freed"] == []


def test_machine_only_and_user_on_one_machine(wired: Wired) -> None:
    [a, b] = wired.ide.seed(2, user_id=user(1), machine_code=[machine(1), machine(2)])
    [c] = wired.ide.seed(1, user_id=user(2), machine_code=machine(3))
    assert http_body(deliver({"machine_code": machine(3)}))["freed"] == [c]
    assert http_body(deliver({"user_id": user(1), "machine_code": machine(2)}))["freed"] == [b]
    assert list(wired.bound()) == [a]


@pytest.mark.parametrize(
    ("body", "loc", "message"),
    [
        ({"request_id": "off-1"}, "$", "give user_id, machine_code or both"),
        ({"machine_code": "DESKTOP-7F3K2"}, "machine_code", "only letters and digits"),
        ({"user_id": "alice@example.com"}, "user_id", "IAM user id"),
    ],
)
def test_bad_input_is_a_400(wired: Wired, body: dict[str, Any], loc: str, message: str) -> None:
    response = deliver(body)
    assert response["statusCode"] == 400
    [field] = http_body(response)["fields"]
    assert field["loc"] == loc and message in field["msg"]


def test_unbind_that_keeps_failing_is_a_503_and_the_retry_finishes(wired: Wired) -> None:
    assert wired.emulator.faults is not None
    [seat] = wired.ide.seed(1, user_id=user(1), machine_code=machine(1))
    wired.emulator.faults.add("ide", "UnbindLicenseUser", kind="error", rate=1.0)
    failed = deliver({"request_id": "off-1", "user_id": user(1)})
    assert failed["statusCode"] == 503 and http_body(failed)["retryable"] is True
    wired.emulator.faults.clear()
    done = deliver({"request_id": "off-1", "user_id": user(1)})
    assert done["statusCode"] == 200 and http_body(done)["freed"] == [seat]


def test_kafka_batch_bad_record_fails_alone(wired: Wired) -> None:
    [a] = wired.ide.seed(1, user_id=user(1), machine_code=machine(1))
    event = kafka(
        [{"request_id": "off-1", "user_id": user(1)}, {"request_id": "off-2"}, {"machine_code": machine(9)}],
        topic="license-release-requests",
    )
    out = handler(event, None)
    assert [r["status"] for r in out["results"]] == ["ok", "failed", "ok"]
    assert out["results"][0]["result"]["freed"] == [a]
    assert out["results"][1]["retryable"] is False and out["redeliver"] is False


def test_kafka_batch_with_a_retryable_failure_is_redelivered(wired: Wired) -> None:
    assert wired.emulator.faults is not None
    wired.ide.seed(1, user_id=user(1), machine_code=machine(1))
    wired.emulator.faults.add("ide", "UnbindLicenseUser", kind="throttle", rate=1.0, retry_after=0.0)
    event = kafka([{"request_id": "off-1", "user_id": user(1)}], topic="license-release-requests")
    with pytest.raises(RedeliveryRequested):
        handler(event, None)
    wired.emulator.faults.clear()
    assert handler(event, None)["records_ok"] == 1 and wired.bound() == {}
