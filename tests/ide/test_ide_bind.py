"""Binding and unbinding: machine code and id validation (tables 4-10, 4-11, 4-14), states, not-found."""

from __future__ import annotations

import httpx
import pytest

from devkit.emulator.core import Emulator
from devkit.emulator.services.ide import IdeBackend, valid_license_id
from shared.clients.ide import MACHINE_CODE_PATTERN, IdeClient, LicenseStatus
from shared.errors import BadRequestError, ConflictError, NotFoundError

MACHINE = "7f3a" * 16  # 64 hex characters, the length of a VS Code-family machine id
OTHER_MACHINE = "b" * 64
MISSING = "00000000-0000-0000-0000-000000000000"


async def test_bind_then_unbind(ide: IdeClient, backend: IdeBackend) -> None:
    [lid] = backend.seed(1)
    await ide.bind_license(lid, MACHINE, user_id="alice01")
    bound = await ide.get_license(lid)
    assert bound is not None and bound.machine_code == MACHINE and bound.user_id == "alice01"
    assert not bound.is_free
    assert [lic.id for lic in (await ide.list_licenses(user_id="alice01")).items] == [lid]

    await ide.unbind_license(lid)
    freed = await ide.get_license(lid)
    assert freed is not None and freed.is_free and freed.user_id == "" and freed.machine_code == ""
    assert (await ide.list_licenses(user_id="alice01")).total == 0


async def test_bind_answers_exactly_the_documented_body(raw: httpx.AsyncClient, backend: IdeBackend) -> None:
    [lid] = backend.seed(1)
    response = await raw.post(f"/v2/licenses/{lid}/bind-user", json={"machine_code": MACHINE})
    assert response.status_code == 200 and response.json() == {"result": True, "status": "success"}
    response = await raw.delete(f"/v2/licenses/{lid}/unbind-user")
    assert response.status_code == 200 and response.json() == {"result": True, "status": "success"}


async def test_bind_without_user_binds_the_caller(
    ide: IdeClient, backend: IdeBackend, emulator: Emulator
) -> None:
    assert emulator.credentials is not None
    [lid] = backend.seed(1)
    await ide.bind_license(lid, MACHINE)
    assert backend.licenses[lid].user_id == emulator.credentials.default_user.id


async def test_rebinding_the_same_machine_and_user_is_idempotent(ide: IdeClient, backend: IdeBackend) -> None:
    [lid] = backend.seed(1)
    await ide.bind_license(lid, MACHINE, user_id="alice01")
    await ide.bind_license(lid, MACHINE, user_id="alice01")
    assert backend.licenses[lid].machine_code == MACHINE


@pytest.mark.parametrize(("machine", "user"), [(OTHER_MACHINE, "alice01"), (MACHINE, "bob02")])
async def test_seat_bound_elsewhere_is_refused(
    ide: IdeClient, backend: IdeBackend, machine: str, user: str
) -> None:
    [lid] = backend.seed(1, user_id="alice01", machine_code=MACHINE)
    with pytest.raises(ConflictError, match="could not be bound"):
        await ide.bind_license(lid, machine, user_id=user)
    assert (backend.licenses[lid].user_id, backend.licenses[lid].machine_code) == ("alice01", MACHINE)


async def test_auto_bound_seat_cannot_be_taken_by_another_user(ide: IdeClient, backend: IdeBackend) -> None:
    [lid] = backend.seed(1, user_id="alice01")  # auto-bound: user but no machine yet
    with pytest.raises(ConflictError):
        await ide.bind_license(lid, MACHINE, user_id="bob02")
    await ide.bind_license(lid, MACHINE, user_id="alice01")


@pytest.mark.parametrize("status", ["UNPAID", "FREEZE", "DELETED"])
async def test_only_normal_seats_can_be_bound(
    raw: httpx.AsyncClient, ide: IdeClient, backend: IdeBackend, status: str
) -> None:
    """The schema's ``result: false`` ("binding failed") is the answer for a seat that cannot be used."""
    [lid] = backend.seed(1, status=status)
    response = await raw.post(f"/v2/licenses/{lid}/bind-user", json={"machine_code": MACHINE})
    assert response.status_code == 200 and response.json()["result"] is False
    with pytest.raises(ConflictError):
        await ide.bind_license(lid, MACHINE)
    assert backend.licenses[lid].machine_code == ""


async def test_unbinding_a_free_seat_succeeds(ide: IdeClient, backend: IdeBackend) -> None:
    [lid] = backend.seed(1)
    await ide.unbind_license(lid)
    await ide.unbind_license(lid)
    assert backend.licenses[lid].status == LicenseStatus.NORMAL.code


async def test_unknown_licence_is_ide_00900001(ide: IdeClient) -> None:
    with pytest.raises(NotFoundError) as caught:
        await ide.bind_license(MISSING, MACHINE)
    assert caught.value.status == 404 and caught.value.error_code == "IDE.00900001"
    with pytest.raises(NotFoundError) as caught:
        await ide.unbind_license(MISSING)
    assert caught.value.error_code == "IDE.00900001"


async def test_machine_code_must_be_64_letters_and_digits(ide: IdeClient, backend: IdeBackend) -> None:
    """Table 4-11: "letters and digits, 64 in total". The request example's value
    ``0dc311a468024ad5bf18591c8361272a`` has 32 characters, but it is the ``creater_id`` of the list
    example (``0dc311a468024a...``): an IAM user id pasted into the example, not a machine code. The table
    wins, so the example's value is rejected with the documented validation error.
    """
    [lid] = backend.seed(1)
    example_value = "0dc311a468024ad5bf18591c8361272a"
    for bad in (example_value, MACHINE + "0", MACHINE[:-1] + "-", MACHINE[:-1] + "é", ""):
        assert not MACHINE_CODE_PATTERN.fullmatch(bad)
        with pytest.raises(BadRequestError) as caught:
            await ide.bind_license(lid, bad)
        assert caught.value.status == 400 and caught.value.error_code == "IDE.00000097"
    assert backend.licenses[lid].machine_code == ""


async def test_bind_body_must_be_an_object_with_a_machine_code(
    raw: httpx.AsyncClient, backend: IdeBackend
) -> None:
    [lid] = backend.seed(1)
    for body in ({}, {"machine_code": 7}, [MACHINE], {"machine_code": MACHINE, "user_id": "not valid"}):
        response = await raw.post(f"/v2/licenses/{lid}/bind-user", json=body)
        assert response.status_code == 400 and response.json()["error_code"] == "IDE.00000097"


def test_licence_ids_are_uuid_shaped_with_32_letters_and_digits(backend: IdeBackend) -> None:
    """Tables 4-10/4-14 say "digits, letters and '-', 32 in total", while both response examples show the
    8-4-4-4-12 shape (36 characters). 32 is the number of letters and digits in that shape, which is the
    only reading under which the table and both examples agree; ids are issued in that shape and path ids
    are validated by it.
    """
    ids = backend.seed(5)
    assert all(len(i) == 36 and [len(p) for p in i.split("-")] == [8, 4, 4, 4, 12] for i in ids)
    assert all(valid_license_id(i) for i in ids)
    assert valid_license_id(ids[0].replace("-", ""))
    assert not valid_license_id(ids[0][:-1])
    assert not valid_license_id(ids[0][:-1] + "_")


@pytest.mark.parametrize("bad_id", ["short", "0" * 33, "0000000-0000-0000-0000-000000000000_"])
async def test_malformed_licence_id_is_a_validation_error(ide: IdeClient, bad_id: str) -> None:
    with pytest.raises(BadRequestError):
        await ide.bind_license(bad_id, MACHINE)
    with pytest.raises(BadRequestError):
        await ide.unbind_license(bad_id)
