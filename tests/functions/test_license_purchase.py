"""license_purchase logic against the in-process emulator: seat reuse first, grouped orders, refusals."""

from __future__ import annotations

from typing import Any

import pytest
from pydantic import ValidationError

from devkit.emulator.core import Emulator
from devkit.emulator.services.ide import IdeBackend, set_quota
from devkit.emulator.services.smn import PublishedMessage, SmnService
from functions.license_purchase.logic import PurchaseRequest, PurchaseStatus, purchase
from shared.clients.ide import IdeClient
from shared.clients.smn import SmnClient
from shared.config import Settings
from tests.functions.conftest import machine

PROJECT = "9f8e7d6c5b4a39281706f5e4d3c2b1a0"


def request(n: int, **extra: Any) -> PurchaseRequest:
    return PurchaseRequest.model_validate(
        {"request_id": f"req-{n}", "user_id": f"user{n:04d}", "machine_code": machine(n), **extra}
    )


def notifications(emulator: Emulator, topic: str) -> list[PublishedMessage]:
    smn = emulator.service("smn")
    assert isinstance(smn, SmnService)
    return smn.messages(topic)


def bound(backend: IdeBackend) -> dict[str, tuple[str, str]]:
    """licence id -> (user, machine) for every bound licence."""
    return {lid: (rec.user_id, rec.machine_code) for lid, rec in backend.licenses.items() if rec.machine_code}


# -- input validation --------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"machine_code": None}, "machine_code"),
        ({"machine_code": "abc"}, "must be 64 characters long, got 3"),
        ({"machine_code": "0dc311a468024ad5bf18591c8361272a"}, "got 32"),
        ({"machine_code": "z" * 63 + "-"}, "only letters and digits, found '-'"),
        ({"spec_code": "codeartside.pro"}, "unknown spec_code 'codeartside.pro'"),
        ({"user_id": "alice smith"}, "IAM user id"),
        ({"request_id": ""}, "request_id"),
        ({"options": {"auto_pay": True, "surprise": 1}}, "surprise"),
    ],
)
def test_bad_input_is_refused_with_a_precise_message(change: dict[str, Any], message: str) -> None:
    data = {"request_id": "r1", "user_id": "u1", "machine_code": machine(1), **change}
    data = {k: v for k, v in data.items() if v is not None}
    with pytest.raises(ValidationError) as caught:
        PurchaseRequest.model_validate(data)
    assert message in str(caught.value)


def test_portal_shape_with_nested_user_and_defaults() -> None:
    req = PurchaseRequest.model_validate(
        {"request_id": "r1", "user": {"id": "u1", "name": "Alice"}, "machine_code": machine(1)}
    )
    assert (req.user_id, req.user_name, req.spec_code) == ("u1", "Alice", "codeartside.basic")
    assert req.options.auto_pay is True and req.options.auto_renew is False


# -- reuse before buying -----------------------------------------------------------------------------------


async def test_seat_already_bound_to_this_machine_is_reported(
    clients: tuple[IdeClient, SmnClient, str], backend: IdeBackend
) -> None:
    ide, smn, topic = clients
    [lid] = backend.seed(1, user_id="user0001", machine_code=machine(1))
    [outcome] = await purchase([request(1)], ide, smn, topic)
    assert outcome.status is PurchaseStatus.ALREADY_BOUND and outcome.license_id == lid and outcome.ok
    assert len(backend.orders) == 1  # only the seeding order


async def test_seat_reserved_for_the_user_is_bound_to_the_machine(
    clients: tuple[IdeClient, SmnClient, str], backend: IdeBackend
) -> None:
    ide, smn, topic = clients
    [free] = backend.seed(1)
    [reserved] = backend.seed(1, user_id="user0001")  # auto-bound, no machine yet
    [outcome] = await purchase([request(1)], ide, smn, topic)
    assert outcome.status is PurchaseStatus.REUSED and outcome.license_id == reserved
    assert backend.licenses[free].machine_code == ""


async def test_free_seat_is_reused_before_anything_is_bought(
    clients: tuple[IdeClient, SmnClient, str], backend: IdeBackend
) -> None:
    ide, smn, topic = clients
    backend.seed(
        3, user_id=[f"other{i}" for i in range(3)], machine_code=[machine(900 + i) for i in range(3)]
    )
    backend.seed(2, status="FREEZE")  # frozen seats are not handed out
    [free] = backend.seed(1)
    orders_before = set(backend.orders)
    [outcome] = await purchase([request(1)], ide, smn, topic)
    assert outcome.status is PurchaseStatus.REUSED and outcome.license_id == free
    assert set(backend.orders) == orders_before
    assert backend.licenses[free].user_id == "user0001" and backend.licenses[free].machine_code == machine(1)


async def test_25_requests_without_free_seats_make_three_orders_and_25_bindings(
    clients: tuple[IdeClient, SmnClient, str], backend: IdeBackend, emulator: Emulator
) -> None:
    ide, smn, topic = clients
    requests = [request(n) for n in range(25)]
    outcomes = await purchase(requests, ide, smn, topic)
    assert [o.request_id for o in outcomes] == [r.request_id for r in requests]
    assert all(o.status is PurchaseStatus.PURCHASED for o in outcomes)
    assert sorted(len(order.license_ids) for order in backend.orders.values()) == [5, 10, 10]
    assert {o.order_id for o in outcomes} == set(backend.orders)
    assert bound(backend) == {o.license_id: (o.user_id, o.machine_code) for o in outcomes}
    assert len(bound(backend)) == 25
    assert notifications(emulator, topic) == []


async def test_free_seats_first_then_one_order_for_the_rest(
    clients: tuple[IdeClient, SmnClient, str], backend: IdeBackend
) -> None:
    ide, smn, topic = clients
    free = backend.seed(3)
    outcomes = await purchase([request(n) for n in range(5)], ide, smn, topic)
    assert [o.status for o in outcomes].count(PurchaseStatus.REUSED) == 3
    assert {o.license_id for o in outcomes if o.status is PurchaseStatus.REUSED} == set(free)
    new_orders = [o for o in backend.orders.values() if o.license_ids[0] not in free]
    assert [len(o.license_ids) for o in new_orders] == [2]


async def test_duplicates_in_a_batch_share_one_seat(
    clients: tuple[IdeClient, SmnClient, str], backend: IdeBackend
) -> None:
    ide, smn, topic = clients
    first = request(1)
    again = first.model_copy(update={"request_id": "req-1-redelivered"})
    outcomes = await purchase([first, again, request(2)], ide, smn, topic)
    assert [o.request_id for o in outcomes] == ["req-1", "req-1-redelivered", "req-2"]
    assert outcomes[0].license_id == outcomes[1].license_id != outcomes[2].license_id
    assert len(bound(backend)) == 2 and sum(len(o.license_ids) for o in backend.orders.values()) == 2


async def test_running_the_same_batch_twice_buys_nothing_more(
    clients: tuple[IdeClient, SmnClient, str], backend: IdeBackend
) -> None:
    ide, smn, topic = clients
    requests = [request(n) for n in range(12)]
    await purchase(requests, ide, smn, topic)
    again = await purchase(requests, ide, smn, topic)
    assert all(o.status is PurchaseStatus.ALREADY_BOUND for o in again)
    assert len(backend.orders) == 2


async def test_specs_and_payment_options_are_ordered_separately(
    clients: tuple[IdeClient, SmnClient, str], backend: IdeBackend
) -> None:
    ide, smn, topic = clients
    renewing = [request(n, options={"auto_renew": True}) for n in range(3)]
    plain = [request(n) for n in range(3, 7)]
    outcomes = await purchase(renewing + plain, ide, smn, topic)
    assert all(o.status is PurchaseStatus.PURCHASED for o in outcomes)
    renew = {oid: [backend.licenses[lid].auto_renew for lid in order.license_ids]
             for oid, order in backend.orders.items()}  # fmt: skip
    assert sorted(renew.values(), key=len) == [[True] * 3, [False] * 4]


# -- refusals: fail clearly, notify, never loop ------------------------------------------------------------


async def test_unpaid_order_fails_every_request_and_notifies_once(
    clients: tuple[IdeClient, SmnClient, str], backend: IdeBackend, emulator: Emulator
) -> None:
    ide, smn, topic = clients
    backend.seed(1, status="UNPAID")  # an unpaid order is pending
    orders_before = set(backend.orders)
    outcomes = await purchase([request(n) for n in range(12)], ide, smn, topic)
    assert all(o.status is PurchaseStatus.FAILED and not o.retryable for o in outcomes)
    assert outcomes[0].error_code == "IDE.00900007" and "unpaid order" in (outcomes[0].reason or "")
    assert set(backend.orders) == orders_before
    [message] = notifications(emulator, topic)
    assert "12 request(s) need attention" in (message.subject or "")
    assert "req-0 user user0000: failed" in message.message


async def test_quota_stops_buying_after_the_first_refusal(
    clients: tuple[IdeClient, SmnClient, str], backend: IdeBackend, emulator: Emulator
) -> None:
    ide, smn, topic = clients
    set_quota(emulator, 10)
    outcomes = await purchase([request(n) for n in range(25)], ide, smn, topic)
    statuses = [o.status for o in outcomes]
    assert statuses[:10] == [PurchaseStatus.PURCHASED] * 10
    assert statuses[10:] == [PurchaseStatus.FAILED] * 15
    assert {o.error_code for o in outcomes[10:]} == {"IDE.00900008"}
    assert not any(o.retryable for o in outcomes[10:])
    assert len(backend.orders) == 1
    [message] = notifications(emulator, topic)
    assert "quota" in message.message


async def test_without_auto_pay_requests_await_payment(
    clients: tuple[IdeClient, SmnClient, str], backend: IdeBackend, emulator: Emulator
) -> None:
    ide, smn, topic = clients
    requests = [request(n, options={"auto_pay": False}) for n in range(2)]
    outcomes = await purchase(requests, ide, smn, topic)
    assert [o.status for o in outcomes] == [PurchaseStatus.AWAITING_PAYMENT] * 2
    order_id = outcomes[0].order_id
    assert order_id is not None and not outcomes[0].ok and bound(backend) == {}
    assert order_id in notifications(emulator, topic)[0].message

    backend.pay_order(order_id)  # a person pays; redelivery binds the paid seats without buying again
    again = await purchase(requests, ide, smn, topic)
    assert [o.status for o in again] == [PurchaseStatus.REUSED] * 2
    assert len(backend.orders) == 1


# -- transient failures: retryable, and redelivery never buys twice ----------------------------------------


async def test_failed_purchase_is_retryable_and_redelivery_completes(
    clients: tuple[IdeClient, SmnClient, str], backend: IdeBackend, emulator: Emulator
) -> None:
    ide, smn, topic = clients
    assert emulator.faults is not None
    emulator.faults.add("ide", "CreateLicenses", kind="error", rate=1.0)
    outcomes = await purchase([request(1)], ide, smn, topic)
    assert outcomes[0].status is PurchaseStatus.FAILED and outcomes[0].retryable
    assert backend.orders == {} and notifications(emulator, topic) == []

    emulator.faults.clear()
    [done] = await purchase([request(1)], ide, smn, topic)
    assert done.status is PurchaseStatus.PURCHASED and len(backend.orders) == 1


async def test_bind_failure_after_buying_reuses_the_bought_seat_on_redelivery(
    clients: tuple[IdeClient, SmnClient, str], backend: IdeBackend, emulator: Emulator
) -> None:
    ide, smn, topic = clients
    assert emulator.faults is not None
    emulator.faults.add("ide", "BindLicenseUser", kind="error", status=500, rate=1.0)
    [failed] = await purchase([request(1)], ide, smn, topic)
    assert failed.status is PurchaseStatus.FAILED and failed.retryable
    assert failed.license_id is not None and failed.order_id in backend.orders

    emulator.faults.clear()
    [done] = await purchase([request(1)], ide, smn, topic)
    assert done.status is PurchaseStatus.REUSED and done.license_id == failed.license_id
    assert len(backend.orders) == 1


async def test_seat_taken_by_a_concurrent_run_moves_on_to_the_next(
    clients: tuple[IdeClient, SmnClient, str], backend: IdeBackend
) -> None:
    ide, smn, topic = clients
    first, second = backend.seed(2)

    class RacingIde(IdeClient):
        """Another function instance binds the first free seat just before this run does."""

        async def bind_license(
            self, license_id: str, machine_code: str, *, user_id: str | None = None
        ) -> None:
            if license_id == first and not backend.licenses[first].machine_code:
                backend.bind(first, machine(77), "rival")
            await super().bind_license(license_id, machine_code, user_id=user_id)

    racing = RacingIde(ide.http, project_id=ide.project_id)
    [outcome] = await purchase([request(1)], racing, smn, topic)
    assert outcome.status is PurchaseStatus.REUSED and outcome.license_id == second
    assert backend.licenses[first].user_id == "rival"


async def test_notification_failure_does_not_lose_the_outcomes(
    clients: tuple[IdeClient, SmnClient, str], backend: IdeBackend
) -> None:
    ide, smn, _ = clients
    backend.seed(1, status="UNPAID")
    missing_topic = f"urn:smn:cn-north-4:{PROJECT}:no-such-topic"
    [outcome] = await purchase([request(1)], ide, smn, missing_topic)
    assert outcome.status is PurchaseStatus.FAILED and outcome.error_code == "IDE.00900007"
    [outcome] = await purchase([request(1)], ide, None, None)
    assert outcome.status is PurchaseStatus.FAILED


async def test_200_requests_under_20_percent_faults_end_with_200_seats_and_no_extra_orders(
    settings: Settings, backend: IdeBackend, emulator: Emulator
) -> None:
    """Faults on every IDE operation (5xx, 429, timeouts); each failure is retryable, reruns complete it."""
    from shared.http import RetryPolicy, make_client

    async def no_sleep(_: float) -> None:
        """Back-off must not slow the test down."""

    set_quota(emulator, 1000)
    assert emulator.faults is not None
    emulator.faults.reseed(20)
    for kind in ("error", "throttle", "timeout"):
        emulator.faults.add("ide", "*", kind=kind, rate=0.07)
    http = make_client(
        settings.endpoint("ide"),
        settings.huawei_auth(),
        service="ide",
        retry=RetryPolicy(sleep=no_sleep),
        transport=emulator.transport(),
    )
    pending = [request(n) for n in range(200)]
    async with IdeClient(http, project_id=PROJECT) as ide:
        for _ in range(10):
            outcomes = await purchase(pending, ide, None, None)
            failed = [o for o in outcomes if not o.ok]
            assert all(o.retryable for o in failed), [o.reason for o in failed if not o.retryable][:3]
            pending = [r for r, o in zip(pending, outcomes, strict=True) if not o.ok]
            if not pending:
                break
    assert pending == [] and emulator.faults.total() > 0
    seats = bound(backend)
    assert len(seats) == 200 and set(seats.values()) == {(f"user{n:04d}", machine(n)) for n in range(200)}
    assert sum(len(order.license_ids) for order in backend.orders.values()) == 200
