"""Typed client for CodeArts IDE licences ("activation codes"): buy, list, bind, unbind (seed 000).

No official SDK module covers these operations, so this is the only typed access opsfn has. The list answer
is spelled two ways in the document (table: ``iterms``/``iterms_before``/``total_count`` as a string;
example: ``items``/``items_before``/``total_items_count``) and item ``status`` arrives as a numeric code, as
a number or a string; the models accept every variant so a change on the service side cannot silently turn
a page into an empty one.

Buying is a POST that costs money: it is never retried automatically unless the caller says it is safe.
"""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from datetime import datetime
from enum import Enum
from typing import Any, ClassVar

from pydantic import AliasChoices, BaseModel, ConfigDict, Field, field_validator

from shared.clients.base import ServiceClient
from shared.errors import CloudError, ConflictError
from shared.http import paginate

__all__ = [
    "DEFAULT_SPEC",
    "KNOWN_SPECS",
    "MACHINE_CODE_PATTERN",
    "MAX_PER_ORDER",
    "USER_ID_PATTERN",
    "BuyResult",
    "IdeClient",
    "License",
    "LicensePage",
    "LicenseStatus",
    "check_machine_code",
    "check_user_id",
    "flatten_user",
]

DEFAULT_SPEC = "codeartside.basic"
KNOWN_SPECS = frozenset({DEFAULT_SPEC})
"""The SKUs seed 000 documents; validating early turns a typo into a 400 instead of a failed order."""
MACHINE_CODE_PATTERN = re.compile(r"[0-9A-Za-z]{64}")
"""Bind's ``machine_code``: letters and digits, 64 in total (seed 000, table 4-11)."""
USER_ID_PATTERN = re.compile(r"[0-9A-Za-z]{1,64}")
"""An IAM user id as the list filter accepts it: letters and digits."""


def check_machine_code(value: str) -> str:
    """Return ``value`` if it is a valid machine code, else raise ``ValueError`` saying exactly what is wrong.

    Input models of several functions use this so that a bad request is refused before any cloud call,
    with a message precise enough for the person who typed it.
    """
    if not value:
        raise ValueError("machine_code is empty; expected 64 letters and digits")
    bad = sorted({ch for ch in value if not ch.isascii() or not ch.isalnum()})
    if bad:
        raise ValueError(f"machine_code may contain only letters and digits, found {''.join(bad)[:10]!r}")
    if len(value) != 64:
        raise ValueError(f"machine_code must be 64 characters long, got {len(value)}")
    return value


def check_user_id(value: str) -> str:
    """Return ``value`` if it is a valid IAM user id (1-64 letters and digits), else raise ``ValueError``."""
    if not USER_ID_PATTERN.fullmatch(value):
        raise ValueError("user_id must be 1-64 letters and digits (the IAM user id, not the display name)")
    return value


def flatten_user(data: Any) -> Any:
    """A request naming the user as an object (``{"user": {"id", "name"}}``, the onboarding portal's
    shape) as the flat ``user_id`` / ``user_name`` fields; any other input is returned unchanged.

    Every function taking a user accepts the same shapes, so a portal can send one payload to all.
    """
    if isinstance(data, dict) and isinstance(data.get("user"), dict):
        user = data["user"]
        data = {k: v for k, v in data.items() if k != "user"}
        data.setdefault("user_id", user.get("id", user.get("user_id")))
        data.setdefault("user_name", user.get("name", user.get("display_name", "")))
    return data


MAX_PER_ORDER = 10
_MAX_PAGE = 100


class LicenseStatus(str, Enum):
    """A licence's state. Values are the words the list filter takes; :attr:`code` is the item's number."""

    UNPAID = "UNPAID"
    NORMAL = "NORMAL"
    FREEZE = "FREEZE"
    DELETED = "DELETED"

    @property
    def code(self) -> int:
        return _CODES[self]

    @classmethod
    def parse(cls, value: Any) -> LicenseStatus:
        """Accept the numeric code (``0`` or ``"0"``), the word, or a member."""
        if isinstance(value, LicenseStatus):
            return value
        if isinstance(value, bool):
            raise ValueError(f"not a licence status: {value!r}")
        if isinstance(value, int) or (isinstance(value, str) and value.lstrip("-").isdigit()):
            try:
                return _BY_CODE[int(value)]
            except KeyError:
                raise ValueError(f"unknown licence status code {value!r}") from None
        if isinstance(value, str) and value.upper() in cls.__members__:
            return cls[value.upper()]
        raise ValueError(f"not a licence status: {value!r}")


_CODES = {
    LicenseStatus.UNPAID: -1,
    LicenseStatus.NORMAL: 0,
    LicenseStatus.FREEZE: 1,
    LicenseStatus.DELETED: 2,
}
_BY_CODE = {code: status for status, code in _CODES.items()}


class License(BaseModel):
    """One ``LicenseV2Vo``. ``creater_id`` keeps the service's spelling; empty strings mean "not bound"."""

    model_config = ConfigDict(defer_build=True, extra="ignore", frozen=True)

    id: str
    order_id: str = ""
    creater_id: str = ""
    spec_code: str = ""
    user_id: str = ""
    machine_code: str = ""
    status: LicenseStatus
    charging_mode: str = ""
    created_time: datetime | None = None

    @field_validator("status", mode="before")
    @classmethod
    def _status(cls, value: Any) -> LicenseStatus:
        return LicenseStatus.parse(value)

    @field_validator("user_id", "machine_code", "order_id", "creater_id", mode="before")
    @classmethod
    def _none_is_empty(cls, value: Any) -> Any:
        return "" if value is None else value

    @property
    def is_bound(self) -> bool:
        """Bound to a user or a machine: not free for someone else."""
        return bool(self.user_id or self.machine_code)

    @property
    def is_free(self) -> bool:
        """Paid, usable and bound to nobody: a seat that can be handed out without buying."""
        return self.status is LicenseStatus.NORMAL and not self.is_bound


class BuyResult(BaseModel):
    """What a purchase returns: the order and the new licence ids (UNPAID until the order is paid)."""

    model_config = ConfigDict(defer_build=True, extra="ignore", frozen=True)

    order_id: str
    license_ids: list[str]


class LicensePage(BaseModel):
    """One page of the list answer, whichever spelling the service used."""

    model_config = ConfigDict(defer_build=True, extra="ignore", frozen=True)

    items: list[License] = Field(default_factory=list, validation_alias=AliasChoices("iterms", "items"))
    offset: int = Field(default=0, validation_alias=AliasChoices("iterms_before", "items_before"))
    total: int | None = Field(default=None, validation_alias=AliasChoices("total_count", "total_items_count"))
    size: int | None = None

    @field_validator("items", mode="before")
    @classmethod
    def _null_items(cls, value: Any) -> Any:
        return [] if value is None else value


class IdeClient(ServiceClient):
    """Async client for the four licence operations; one instance per function invocation or process."""

    service: ClassVar[str] = "ide"

    async def buy_licenses(
        self,
        count: int,
        *,
        spec_code: str = DEFAULT_SPEC,
        auto_pay: bool = False,
        auto_renew: bool = False,
        auto_bind: bool = False,
        retry_safe: bool = False,
    ) -> BuyResult:
        """Place one order for ``count`` (1-10) monthly prepaid licences.

        ``auto_pay=False`` (the service's default) leaves the order unpaid: its licences stay UNPAID and the
        service refuses further purchases (``IDE.00900007`` → :class:`~shared.errors.ConflictError`) until
        someone pays or cancels it. Not retried unless ``retry_safe``: a lost answer may still have bought.
        """
        if not 1 <= count <= MAX_PER_ORDER:
            raise ValueError(f"count must be between 1 and {MAX_PER_ORDER}, got {count}")
        body = {
            "spec_code": spec_code,
            "charging_mode": "prePaid",
            "period_type": "month",
            "period_num": 1,
            "is_auto_renew": auto_renew,
            "is_auto_pay": auto_pay,
            "count": count,
            "is_auto_bind": auto_bind,
        }
        data = await self._request("POST", "/v2/licenses", json=body, retry_safe=retry_safe)
        return BuyResult.model_validate(_result(data))

    async def list_licenses(
        self,
        *,
        license_id: str | None = None,
        user_id: str | None = None,
        status: LicenseStatus | str | None = None,
        limit: int = 15,
        offset: int = 0,
    ) -> LicensePage:
        """One page of licences, optionally filtered by id, bound user and status."""
        params = {
            "id": license_id,
            "user_id": user_id,
            "status": None if status is None else LicenseStatus.parse(status).value,
            "limit": limit,
            "offset": offset,
        }
        data = await self._request("GET", "/v2/licenses", params=params)
        return LicensePage.model_validate(_result(data))

    def iter_licenses(
        self,
        *,
        user_id: str | None = None,
        status: LicenseStatus | str | None = None,
        page_size: int = _MAX_PAGE,
    ) -> AsyncIterator[License]:
        """Every matching licence, fetched one page (at most 100) at a time."""

        async def fetch(offset: int, limit: int) -> tuple[list[License], int | None]:
            page = await self.list_licenses(user_id=user_id, status=status, limit=limit, offset=offset)
            return page.items, page.total

        return paginate(fetch, limit=page_size)

    async def get_license(self, license_id: str) -> License | None:
        """The licence with this id, or ``None`` when the service does not list it."""
        page = await self.list_licenses(license_id=license_id, limit=1)
        return next((item for item in page.items if item.id == license_id), None)

    async def bind_license(self, license_id: str, machine_code: str, *, user_id: str | None = None) -> None:
        """Bind a licence to a machine (and user); raises :class:`ConflictError` when the service says no.

        ``user_id`` names the user to bind (the operation is "bind to a specified user"); without it the
        service binds the calling identity. Binding is idempotent for the same machine and user, so retries
        of this POST are safe.
        """
        body: dict[str, str] = {"machine_code": machine_code}
        if user_id is not None:
            body["user_id"] = user_id
        path = "/v2/licenses/{license_id}/bind-user"
        data = await self._request("POST", path, {"license_id": license_id}, json=body, retry_safe=True)
        if not _ok(data):
            raise ConflictError(
                f"license {license_id} could not be bound (not NORMAL or bound elsewhere)", service="ide"
            )

    async def unbind_license(self, license_id: str) -> None:
        """Free a licence; freeing an already free one succeeds."""
        data = await self._request(
            "DELETE", "/v2/licenses/{license_id}/unbind-user", {"license_id": license_id}
        )
        if not _ok(data):
            raise ConflictError(f"license {license_id} could not be unbound", service="ide")


def _result(data: Any) -> Any:
    if isinstance(data, dict) and "result" in data:
        return data["result"]
    raise CloudError("answer has no 'result' object", service="ide")


def _ok(data: Any) -> bool:
    return (
        isinstance(data, dict) and data.get("result") is True and data.get("status", "success") == "success"
    )
