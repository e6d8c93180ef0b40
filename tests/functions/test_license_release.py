"""license_release logic against the in-process emulator: by user, by machine, idempotent, partial failure."""

from __future__ import annotations

from typing import Any

import pytest
from pydantic import ValidationError

from devkit.emulator.core import Emulator
from devkit.emulator.services.ide import IdeBackend
from functions.license_release.logic import ReleaseRequest, ReleaseStatus, release
from shared.clients.ide import IdeClient
from tests.functions.conftest import machine

PROJECT = "1e2d3c4b5a6978877665544332211000"


def req(**data: Any) -> ReleaseRequest:
    return ReleaseRequest.model_validate(data)


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({}, "give user_id, machine_code or both"),
        ({"request_id": "r1"}, "give user_id, machine_code or both"),
        ({"machine_code": "short"}, "must be 64 characters long"),
        ({"user_id": "has space"}, "IAM user id"),
    ],
)
def test_bad_input_is_refused(data: dict[str, Any], message: str) -> None:
    with pytest.raises(ValidationError, match=message):
        ReleaseRequest.model_validate(data)


async def test_releases_every_seat_of_a_user(ide: IdeClient, backend: IdeBackend) -> None:
    alice = backend.seed(3, user_id="alice", machine_code=[machine(1), machine(2), ""])
    bob = backend.seed(1, user_id="bob", machine_code=machine(3))
    [outcome] = await release([req(request_id="off-1", user_id="alice")], ide)
    assert outcome.status is ReleaseStatus.RELEASED and sorted(outcome.freed) == sorted(alice)
    assert all(backend.licenses[i].user_id == "" and backend.licenses[i].machine_code == "" for i in alice)
    assert backend.licenses[bob[0]].user_id == "bob"


async def test_user_on_one_machine_releases_only_that_seat(ide: IdeClient, backend: IdeBackend) -> None:
    keep, drop = backend.seed(2, user_id="alice", machine_code=[machine(1), machine(2)])
    [outcome] = await release([req(user_id="alice", machine_code=machine(2))], ide)
    assert outcome.freed == [drop] and backend.licenses[keep].machine_code == machine(1)


async def test_machine_only_requests_share_one_walk(ide: IdeClient, backend: IdeBackend) -> None:
    backend.seed(230)  # free seats: three pages to walk
    a = backend.seed(1, user_id="alice", machine_code=machine(1))
    b = backend.seed(2, user_id=["bob", "carol"], machine_code=machine(2))  # a shared build machine
    outcomes = await release([req(machine_code=machine(1)), req(machine_code=machine(2))], ide)
    assert [o.freed for o in outcomes] == [a, b]
    assert all(o.status is ReleaseStatus.RELEASED for o in outcomes)


async def test_releasing_twice_succeeds_with_nothing_to_free(ide: IdeClient, backend: IdeBackend) -> None:
    backend.seed(1, user_id="alice", machine_code=machine(1))
    await release([req(user_id="alice")], ide)
    [again] = await release([req(user_id="alice")], ide)
    assert again.status is ReleaseStatus.NOTHING_BOUND and again.ok and again.freed == []
    [unknown] = await release([req(machine_code=machine(9))], ide)
    assert unknown.status is ReleaseStatus.NOTHING_BOUND


async def test_overlapping_requests_in_a_batch_unbind_each_seat_once(
    ide: IdeClient, backend: IdeBackend, emulator: Emulator
) -> None:
    [seat] = backend.seed(1, user_id="alice", machine_code=machine(1))
    calls: list[str] = []
    emulator.before_dispatch.append(lambda call: calls.append(call.operation) or None)  # type: ignore[func-returns-value]
    outcomes = await release([req(user_id="alice"), req(user_id="alice", machine_code=machine(1))], ide)
    assert [o.freed for o in outcomes] == [[seat], [seat]]
    assert calls.count("UnbindLicenseUser") == 1


async def test_failed_unbind_is_reported_retryable_and_redelivery_finishes(
    ide: IdeClient, backend: IdeBackend, emulator: Emulator
) -> None:
    seats = backend.seed(2, user_id="alice", machine_code=[machine(1), machine(2)])
    assert emulator.faults is not None
    emulator.faults.add("ide", "UnbindLicenseUser", kind="error", status=500, rate=1.0)
    [outcome] = await release([req(user_id="alice")], ide)
    assert outcome.status is ReleaseStatus.FAILED and outcome.retryable and not outcome.ok
    assert "could not be unbound" in (outcome.reason or "")

    emulator.faults.clear()
    [done] = await release([req(user_id="alice")], ide)
    assert done.status is ReleaseStatus.RELEASED and sorted(done.freed) == sorted(seats)


async def test_listing_failure_fails_the_request_for_redelivery(ide: IdeClient, emulator: Emulator) -> None:
    assert emulator.faults is not None
    emulator.faults.add("ide", "ListLicenses", kind="error", status=500, rate=1.0)
    [outcome] = await release([req(user_id="alice")], ide)
    assert outcome.status is ReleaseStatus.FAILED and outcome.retryable
    assert "could not list seats" in (outcome.reason or "")
