"""The client's models accept every shape the document shows for the list answer."""

from __future__ import annotations

from typing import Any

import pytest
from pydantic import ValidationError

from shared.clients.ide import License, LicensePage, LicenseStatus

# The list response example of 4.1.2, verbatim (masked id and truncated creater_id included).
EXAMPLE: dict[str, Any] = {
    "size": 1,
    "total_items_count": 1,
    "items_before": 0,
    "items": [
        {
            "id": "20d*****-****-****-****-*********e4w",
            "order_id": "CS24012510353I6V5",
            "creater_id": "0dc311a468024a...",
            "spec_code": "codeartside.basic",
            "status": 0,
            "charging_mode": "prePaid",
            "created_time": "2024-01-25T01:58:00Z",
        }
    ],
    "empty": False,
}


def test_the_documents_example_parses() -> None:
    page = LicensePage.model_validate(EXAMPLE)
    assert page.total == 1 and page.offset == 0 and page.size == 1
    [lic] = page.items
    assert lic.status is LicenseStatus.NORMAL and lic.is_free
    assert lic.user_id == "" and lic.machine_code == ""  # absent in the example: not bound
    assert lic.created_time is not None and lic.created_time.year == 2024


def test_the_schema_tables_spelling_parses() -> None:
    page = LicensePage.model_validate(
        {
            "size": 1,
            "total_count": "7",
            "iterms_before": 5,
            "iterms": [{"id": "x", "status": "-1", "user_id": None, "machine_code": None}],
        }
    )
    assert page.total == 7 and page.offset == 5
    assert page.items[0].status is LicenseStatus.UNPAID and page.items[0].user_id == ""


def test_missing_or_null_items_is_an_empty_page() -> None:
    assert LicensePage.model_validate({"total_count": "0", "iterms": None}).items == []
    page = LicensePage.model_validate({})
    assert page.items == [] and page.total is None


@pytest.mark.parametrize(
    ("raw", "status"),
    [
        (-1, LicenseStatus.UNPAID),
        ("0", LicenseStatus.NORMAL),
        (1, LicenseStatus.FREEZE),
        ("2", LicenseStatus.DELETED),
        ("FREEZE", LicenseStatus.FREEZE),
        ("normal", LicenseStatus.NORMAL),
    ],
)
def test_status_accepts_codes_and_words(raw: object, status: LicenseStatus) -> None:
    assert LicenseStatus.parse(raw) is status
    assert License.model_validate({"id": "x", "status": raw}).status is status


@pytest.mark.parametrize("raw", [3, "-2", "FROZEN", True, None, 1.5])
def test_unknown_status_is_rejected(raw: object) -> None:
    with pytest.raises(ValueError):
        LicenseStatus.parse(raw)
    with pytest.raises(ValidationError):
        License.model_validate({"id": "x", "status": raw})


def test_bound_and_free() -> None:
    assert not License(id="x", status=LicenseStatus.NORMAL, user_id="u1").is_free
    assert not License(id="x", status=LicenseStatus.NORMAL, machine_code="m" * 64).is_free
    assert not License(id="x", status=LicenseStatus.FREEZE).is_free
    assert License(id="x", status=LicenseStatus.NORMAL).is_free
