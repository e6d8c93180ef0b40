"""license_release takes a user in the same shapes as license_purchase, so a portal sends one payload."""

from __future__ import annotations

from typing import Any

import pytest
from pydantic import ValidationError

from functions.license_purchase.models import PurchaseRequest
from functions.license_release.logic import ReleaseRequest

MACHINE = "7d3f1c2b9a8e4f6d5c0b1a2e3f4d5c6b7a8e9f0d1c2b3a4e5f6d7c8b9a0e1f2d"


@pytest.mark.parametrize(
    "user",
    [
        {"user_id": "1f0c3a9e"},
        {"user": {"id": "1f0c3a9e", "name": "Li Wei"}},
        {"user": {"user_id": "1f0c3a9e", "display_name": "Li Wei"}},
    ],
)
def test_every_purchase_user_shape_is_a_release_user(user: dict[str, Any]) -> None:
    data = {"request_id": "r-1", "machine_code": MACHINE, **user}
    assert PurchaseRequest.model_validate(data).user_id == "1f0c3a9e"
    assert ReleaseRequest.model_validate(data).user_id == "1f0c3a9e"


def test_a_bad_nested_user_is_refused_on_its_field() -> None:
    with pytest.raises(ValidationError, match="user_id"):
        ReleaseRequest.model_validate({"user": {"id": "has space"}})
