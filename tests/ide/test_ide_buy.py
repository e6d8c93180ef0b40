"""Buying licences: validation (table 4-1), unpaid orders, quota, auto-bind, and no automatic retries."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from devkit.emulator.core import Emulator
from devkit.emulator.services.ide import IdeBackend, set_quota
from shared.clients.ide import IdeClient, LicenseStatus
from shared.errors import ConflictError, QuotaExceededError, ServerError

VALID: dict[str, Any] = {
    "spec_code": "codeartside.basic",
    "charging_mode": "prePaid",
    "period_type": "month",
    "period_num": 1,
    "is_auto_renew": False,
    "is_auto_pay": False,
    "count": 1,
    "is_auto_bind": False,
}


async def test_paid_purchase_returns_order_and_normal_licences(ide: IdeClient, backend: IdeBackend) -> None:
    result = await ide.buy_licenses(3, auto_pay=True)
    assert len(result.license_ids) == 3 and len(set(result.license_ids)) == 3
    assert result.order_id.startswith("CS") and len(result.order_id) == len("CS24012510353I6V5")
    listed = [lic async for lic in ide.iter_licenses()]
    assert {lic.id for lic in listed} == set(result.license_ids)
    assert all(lic.status is LicenseStatus.NORMAL and lic.is_free for lic in listed)
    assert all(lic.order_id == result.order_id and lic.charging_mode == "prePaid" for lic in listed)
    assert backend.pending_orders() == []


async def test_seed_request_example_is_accepted_and_answers_like_the_example(raw: httpx.AsyncClient) -> None:
    """The request example of 4.1.1 is valid and the answer has exactly the documented shape."""
    response = await raw.post("/v2/licenses", json=VALID)
    assert response.status_code == 200
    body = response.json()
    assert set(body) == {"result", "status"} and body["status"] == "success"
    assert set(body["result"]) == {"order_id", "license_ids"}


async def test_only_required_fields_use_documented_defaults(
    raw: httpx.AsyncClient, backend: IdeBackend
) -> None:
    """spec_code, period_num and count are required; the rest default (not auto-paid → UNPAID)."""
    response = await raw.post(
        "/v2/licenses", json={"spec_code": "codeartside.basic", "period_num": 1, "count": 2}
    )
    assert response.status_code == 200
    ids = response.json()["result"]["license_ids"]
    assert [backend.licenses[i].status for i in ids] == [-1, -1]
    assert [backend.licenses[i].user_id for i in ids] == ["", ""]


@pytest.mark.parametrize(
    "change",
    [
        {"count": 0},
        {"count": 11},
        {"count": "2"},
        {"count": True},
        {"count": None},
        {"period_num": 2},
        {"period_num": None},
        {"spec_code": "codeartside.pro"},
        {"spec_code": ""},
        {"spec_code": None},
        {"charging_mode": "postPaid"},
        {"period_type": "year"},
        {"is_auto_pay": "true"},
        {"is_auto_bind": 1},
        {"is_auto_renew": "yes"},
    ],
)
async def test_invalid_purchase_is_ide_00000097(
    raw: httpx.AsyncClient, backend: IdeBackend, change: dict[str, Any]
) -> None:
    body = {**VALID, **change}
    body = {k: v for k, v in body.items() if v is not None}
    response = await raw.post("/v2/licenses", json=body)
    assert response.status_code == 400
    assert response.json()["error_code"] == "IDE.00000097"
    assert backend.licenses == {}


async def test_malformed_json_is_a_validation_error(raw: httpx.AsyncClient) -> None:
    response = await raw.post(
        "/v2/licenses", content=b"{not json", headers={"Content-Type": "application/json"}
    )
    assert response.status_code == 400
    assert response.json()["error_code"] == "IDE.00000097"


async def test_client_refuses_counts_outside_1_to_10_before_sending(
    ide: IdeClient, backend: IdeBackend
) -> None:
    for count in (0, 11):
        with pytest.raises(ValueError, match="between 1 and 10"):
            await ide.buy_licenses(count)
    assert backend.orders == {}


async def test_unpaid_order_blocks_further_purchases_until_paid(ide: IdeClient, backend: IdeBackend) -> None:
    first = await ide.buy_licenses(2)  # is_auto_pay defaults to false
    page = await ide.list_licenses(status=LicenseStatus.UNPAID)
    assert {lic.id for lic in page.items} == set(first.license_ids)

    with pytest.raises(ConflictError) as caught:
        await ide.buy_licenses(1, auto_pay=True)
    assert caught.value.status == 406 and caught.value.error_code == "IDE.00900007"
    assert len(backend.orders) == 1

    assert backend.pay_order(first.order_id) == [first.order_id]
    normal = await ide.list_licenses(status="NORMAL")
    assert {lic.id for lic in normal.items} == set(first.license_ids)
    await ide.buy_licenses(1, auto_pay=True)
    assert len(backend.orders) == 2


async def test_cancelled_order_deletes_its_licences_and_unblocks(ide: IdeClient, backend: IdeBackend) -> None:
    first = await ide.buy_licenses(2)
    assert backend.cancel_order() == [first.order_id]
    deleted = await ide.list_licenses(status=LicenseStatus.DELETED)
    assert {lic.id for lic in deleted.items} == set(first.license_ids)
    await ide.buy_licenses(1, auto_pay=True)
    with pytest.raises(KeyError):
        backend.pay_order(first.order_id)  # no longer pending


async def test_quota_counts_unpaid_but_not_deleted_licences(
    ide: IdeClient, backend: IdeBackend, emulator: Emulator
) -> None:
    set_quota(emulator, 5)
    backend.seed(3)
    await ide.buy_licenses(2)  # unpaid: counts against the quota
    backend.pay_order()
    with pytest.raises(QuotaExceededError) as caught:
        await ide.buy_licenses(1, auto_pay=True)
    assert caught.value.status == 406 and caught.value.error_code == "IDE.00900008"

    backend.set_status(backend.seed(1, status="NORMAL")[0], "DELETED")  # deleted seats do not count
    ids = [lic.id async for lic in ide.iter_licenses(status="NORMAL")]
    backend.set_status(ids[0], "DELETED")
    await ide.buy_licenses(1, auto_pay=True)


async def test_purchase_over_quota_buys_nothing(ide: IdeClient, backend: IdeBackend) -> None:
    backend.quota = 4  # per-project override
    with pytest.raises(QuotaExceededError):
        await ide.buy_licenses(5, auto_pay=True)
    assert backend.licenses == {}
    await ide.buy_licenses(4, auto_pay=True)


async def test_quota_from_emulator_option() -> None:
    from devkit.emulator.registry import build_emulator

    emulator = build_emulator(ide_quota=2)
    backend: IdeBackend = emulator.service("ide").backend("p")
    assert backend.effective_quota() == 2
    set_quota(emulator, 7)
    assert backend.effective_quota() == 7
    with pytest.raises(ValueError):
        set_quota(emulator, -1)


async def test_unpaid_check_comes_before_quota(ide: IdeClient, backend: IdeBackend) -> None:
    """With both conditions true the buyer is told to settle the order first (the cause they can act on)."""
    backend.quota = 1
    await ide.buy_licenses(1)
    with pytest.raises(ConflictError) as caught:
        await ide.buy_licenses(1)
    assert caught.value.error_code == "IDE.00900007"


async def test_auto_bind_binds_the_calling_iam_user(ide: IdeClient, emulator: Emulator) -> None:
    assert emulator.credentials is not None
    me = emulator.credentials.default_user.id
    bought = await ide.buy_licenses(2, auto_pay=True, auto_bind=True)
    mine = await ide.list_licenses(user_id=me)
    assert {lic.id for lic in mine.items} == set(bought.license_ids)
    assert all(lic.creater_id == me and lic.machine_code == "" and not lic.is_free for lic in mine.items)


async def test_buy_is_not_retried_after_a_server_error(ide: IdeClient, emulator: Emulator) -> None:
    """A lost or failed purchase answer may still have bought: the client surfaces it instead of re-buying."""
    assert emulator.faults is not None
    emulator.faults.add("ide", "CreateLicenses", kind="error", rate=1.0)
    with pytest.raises(ServerError):
        await ide.buy_licenses(1, auto_pay=True)
    assert emulator.faults.total() == 1


async def test_buy_marked_retry_safe_is_retried(
    ide: IdeClient, emulator: Emulator, backend: IdeBackend
) -> None:
    assert emulator.faults is not None
    emulator.faults.reseed(1)
    emulator.faults.add("ide", "CreateLicenses", kind="throttle", rate=0.3, retry_after=0)
    results = [await ide.buy_licenses(1, auto_pay=True, retry_safe=True) for _ in range(6)]
    assert emulator.faults.total() > 0
    assert len(backend.orders) == len(results) == 6


async def test_projects_are_isolated(ide: IdeClient, emulator: Emulator) -> None:
    await ide.buy_licenses(1, auto_pay=True)
    other: IdeBackend = emulator.service("ide").backend("another-project")
    assert other.licenses == {}
    other.seed(2)
    assert (await ide.list_licenses()).total == 1


async def test_token_caller_is_the_tokens_iam_user(emulator: Emulator) -> None:
    """With ``X-Auth-Token`` the buyer (``creater_id``) and the auto-bound user are the token's IAM user."""
    creds = emulator.credentials
    assert creds is not None
    dev = creds.add_user(creds.default_user.domain_name, "dev-bot", "Dev-Bot@2024")
    token = creds.issue_token(dev, ("password",))
    async with httpx.AsyncClient(transport=emulator.transport(), base_url="https://ide.example") as http:
        response = await http.post(
            "/v2/licenses",
            json={**VALID, "is_auto_pay": True, "is_auto_bind": True},
            headers={"X-Auth-Token": token.value, "X-Project-Id": "tokproject"},
        )
        assert response.status_code == 200, response.text
        refused = await http.get("/v2/licenses", headers={"X-Auth-Token": "forged"})
        assert refused.status_code == 401
    [lid] = response.json()["result"]["license_ids"]
    record = emulator.service("ide").backend("tokproject").licenses[lid]
    assert record.creater_id == record.user_id == dev.id != creds.default_user.id
