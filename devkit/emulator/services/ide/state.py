"""CodeArts IDE state: one backend per project holding its licences and orders.

Listings must cost O(page) even for thousands of licences: licences are never removed (a cancelled order's
licences become DELETED, as the list's status codes suggest), so ``_ids[seq]`` addresses every licence and
the per-status / per-user indexes are sorted lists of ``seq`` numbers kept with :mod:`bisect`.
"""

from __future__ import annotations

import bisect
import secrets
import string
import uuid
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any, Literal

from devkit.emulator.core import huawei_error

__all__ = [
    "DEFAULT_CALLER",
    "DEFAULT_QUOTA",
    "KNOWN_SPECS",
    "STATUS_CODES",
    "IdeBackend",
    "LicenseRecord",
    "Order",
]

DEFAULT_QUOTA = 100
"""Licences (not DELETED) a project may hold; ``opsfn emulator --ide-quota`` sets it (``set_quota``)."""

KNOWN_SPECS = frozenset({"codeartside.basic"})
"""The SKUs the document names; anything else fails validation like an unknown product would."""

UNPAID, NORMAL, FREEZE, DELETED = -1, 0, 1, 2
STATUS_CODES: dict[str, int] = {"UNPAID": UNPAID, "NORMAL": NORMAL, "FREEZE": FREEZE, "DELETED": DELETED}
"""The list filter takes the words; list items carry the numeric codes."""

NOT_FOUND = "IDE.00900001"
UNPAID_ORDER = "IDE.00900007"
QUOTA_EXCEEDED = "IDE.00900008"

DEFAULT_CALLER = "0dc311a468024ad5bf18591c8361272a"
"""The documentation's example user, who acts when a request carries no resolvable principal."""

_ORDER_ALPHABET = string.ascii_uppercase + string.digits


@dataclass
class LicenseRecord:
    """One licence as the service stores it; ``seq`` orders listings by creation."""

    id: str
    seq: int
    order_id: str
    creater_id: str
    spec_code: str
    status: int
    created_time: str
    charging_mode: str = "prePaid"
    user_id: str = ""
    machine_code: str = ""
    auto_renew: bool = False


@dataclass
class Order:
    """A purchase; unpaid orders block further purchases until paid or cancelled."""

    order_id: str
    license_ids: list[str]
    paid: bool
    cancelled: bool = False

    @property
    def pending(self) -> bool:
        return not self.paid and not self.cancelled


def _default_quota() -> int:
    return DEFAULT_QUOTA


def _default_user(principal: str) -> str:
    return DEFAULT_CALLER


def _utcnow() -> datetime:
    return datetime.now(timezone.utc)


@dataclass
class IdeBackend:
    """One project's licences and orders, indexed by status and user so a page of thousands costs O(page).

    ``default_quota`` and ``user_of`` are plain functions supplied by the service (the live shared quota,
    and the IAM user id a verified principal acts as); a deep copy keeps functions as they are.
    """

    project: str
    default_quota: Callable[[], int] = _default_quota
    user_of: Callable[[str], str] = _default_user
    quota: int | None = None
    list_spelling: Literal["schema", "example"] = "schema"
    clock: Callable[[], datetime] = _utcnow
    # Large collections stay out of repr: a failing test must not print 5,000 licences.
    licenses: dict[str, LicenseRecord] = field(default_factory=dict, repr=False)
    orders: dict[str, Order] = field(default_factory=dict, repr=False)
    _ids: list[str] = field(default_factory=list, repr=False)
    _by_status: dict[int, list[int]] = field(default_factory=dict, repr=False)
    _by_user: dict[str, list[int]] = field(default_factory=dict, repr=False)

    # -- limits and state helpers (also the Python API tests use) ------------------------------------------

    def effective_quota(self) -> int:
        return self.default_quota() if self.quota is None else self.quota

    def active_count(self) -> int:
        """Licences that count against the quota: everything not DELETED."""
        return len(self._ids) - len(self._by_status.get(DELETED, ()))

    def pending_orders(self) -> list[Order]:
        return [order for order in self.orders.values() if order.pending]

    def pay_order(self, order_id: str | None = None) -> list[str]:
        """Pay one pending order (or all of them): its UNPAID licences become NORMAL. Returns order ids."""
        return self._settle(order_id, paid=True)

    def cancel_order(self, order_id: str | None = None) -> list[str]:
        """Cancel one pending order (or all): its licences become DELETED and stop counting to the quota."""
        return self._settle(order_id, paid=False)

    def _settle(self, order_id: str | None, *, paid: bool) -> list[str]:
        settled: list[str] = []
        for order in self._pending(order_id):
            order.paid, order.cancelled = paid, not paid
            for lid in order.license_ids:
                rec = self.licenses[lid]
                if not paid:
                    self._set_status(rec, DELETED)
                elif rec.status == UNPAID:
                    self._set_status(rec, NORMAL)
            settled.append(order.order_id)
        return settled

    def _pending(self, order_id: str | None) -> list[Order]:
        if order_id is None:
            return self.pending_orders()
        order = self.orders.get(order_id)
        if order is None or not order.pending:
            raise KeyError(f"no pending order {order_id}")
        return [order]

    def set_status(self, license_id: str, status: int | str) -> None:
        """Freeze, delete or restore a licence, as billing would (e.g. an expired month freezes it)."""
        code = STATUS_CODES[status] if isinstance(status, str) else status
        if code not in STATUS_CODES.values():
            raise ValueError(f"unknown licence status {status!r}")
        self._set_status(self.licenses[license_id], code)

    def seed(
        self,
        count: int,
        *,
        status: int | str = NORMAL,
        user_id: str | Iterable[str] = "",
        machine_code: str | Iterable[str] = "",
        spec_code: str = "codeartside.basic",
        creater_id: str = DEFAULT_CALLER,
    ) -> list[str]:
        """Create ``count`` licences in one order without HTTP or quota checks, for large test setups.

        ``user_id`` / ``machine_code`` may be one value for all licences or an iterable with one per licence.
        UNPAID licences form an unpaid order, which blocks purchases exactly like one bought without
        ``is_auto_pay``; any other status forms a paid order.
        """
        code = STATUS_CODES[status] if isinstance(status, str) else status
        users = _per_item(user_id, count)
        machines = _per_item(machine_code, count)
        order_id = self._new_order_id()
        ids = [
            self._create(order_id, creater_id, spec_code, code, user=users[i], machine=machines[i]).id
            for i in range(count)
        ]
        self.orders[order_id] = Order(order_id, ids, paid=code != UNPAID)
        return ids

    # -- operations --------------------------------------------------------------------------------------

    def buy(
        self, spec: str, count: int, caller: str, *, auto_pay: bool, auto_renew: bool, auto_bind: bool
    ) -> dict[str, Any]:
        """One order of ``count`` licences; refused while an order is unpaid or beyond the quota."""
        if self.pending_orders():
            raise huawei_error(
                406, UNPAID_ORDER, "An unpaid order exists. Pay or cancel the unpaid order first."
            )
        if self.active_count() + count > self.effective_quota():
            raise huawei_error(406, QUOTA_EXCEEDED, "The number of licenses exceeds the quota.")
        order_id = self._new_order_id()
        status = NORMAL if auto_pay else UNPAID
        ids = [
            self._create(
                order_id, caller, spec, status, user=caller if auto_bind else "", auto_renew=auto_renew
            ).id
            for _ in range(count)
        ]
        self.orders[order_id] = Order(order_id, ids, paid=auto_pay)
        return {"order_id": order_id, "license_ids": ids}

    def list_page(
        self, *, license_id: str | None, user_id: str | None, status: int | None, limit: int, offset: int
    ) -> tuple[list[LicenseRecord], int]:
        """Return one page and the total number of matches."""
        if license_id is not None:
            rec = self.licenses.get(license_id)
            hits = [rec] if rec is not None and _matches(rec, user_id, status) else []
            return hits[offset : offset + limit], len(hits)
        if user_id is None and status is None:
            return [self.licenses[i] for i in self._ids[offset : offset + limit]], len(self._ids)
        by_user = self._by_user.get(user_id, []) if user_id is not None else None
        by_status = self._by_status.get(status, []) if status is not None else None
        if by_user is not None and by_status is not None:
            smaller = by_user if len(by_user) <= len(by_status) else by_status
            seqs = [s for s in smaller if _matches(self.licenses[self._ids[s]], user_id, status)]
        else:
            seqs = by_user if by_user is not None else by_status or []
        return [self.licenses[self._ids[s]] for s in seqs[offset : offset + limit]], len(seqs)

    def bind(self, license_id: str, machine_code: str, user: str) -> bool:
        """Bind a NORMAL licence; ``False`` when it is not usable or already bound to someone else."""
        rec = self._get(license_id)
        if rec.status != NORMAL:
            return False
        if (rec.machine_code and rec.machine_code != machine_code) or (rec.user_id and rec.user_id != user):
            return False
        self._set_user(rec, user)
        rec.machine_code = machine_code
        return True

    def unbind(self, license_id: str) -> bool:
        """Free the licence; unbinding a free licence succeeds (nothing is bound afterwards either way)."""
        rec = self._get(license_id)
        self._set_user(rec, "")
        rec.machine_code = ""
        return True

    def item(self, rec: LicenseRecord) -> dict[str, Any]:
        """A LicenseV2Vo in the configured spelling (string status per the table, numeric per the example)."""
        status: int | str = rec.status if self.list_spelling == "example" else str(rec.status)
        return {
            "id": rec.id,
            "order_id": rec.order_id,
            "creater_id": rec.creater_id,
            "spec_code": rec.spec_code,
            "user_id": rec.user_id,
            "machine_code": rec.machine_code,
            "status": status,
            "charging_mode": rec.charging_mode,
            "created_time": rec.created_time,
        }

    # -- internals ---------------------------------------------------------------------------------------

    def _get(self, license_id: str) -> LicenseRecord:
        rec = self.licenses.get(license_id)
        if rec is None:
            raise huawei_error(404, NOT_FOUND, "The license does not exist.")
        return rec

    def _new_order_id(self) -> str:
        stamp = self.clock().strftime("%y%m%d%H%M%S")
        while True:
            order_id = "CS" + stamp + "".join(secrets.choice(_ORDER_ALPHABET) for _ in range(3))
            if order_id not in self.orders:
                return order_id

    def _create(
        self,
        order_id: str,
        creater_id: str,
        spec: str,
        status: int,
        *,
        user: str = "",
        machine: str = "",
        auto_renew: bool = False,
    ) -> LicenseRecord:
        rec = LicenseRecord(
            id=str(uuid.uuid4()),
            seq=len(self._ids),
            order_id=order_id,
            creater_id=creater_id,
            spec_code=spec,
            status=status,
            created_time=self.clock().strftime("%Y-%m-%dT%H:%M:%SZ"),
            user_id=user,
            machine_code=machine,
            auto_renew=auto_renew,
        )
        self.licenses[rec.id] = rec
        self._ids.append(rec.id)
        bisect.insort(self._by_status.setdefault(status, []), rec.seq)
        if user:
            bisect.insort(self._by_user.setdefault(user, []), rec.seq)
        return rec

    def _set_status(self, rec: LicenseRecord, status: int) -> None:
        if rec.status == status:
            return
        _remove(self._by_status[rec.status], rec.seq)
        bisect.insort(self._by_status.setdefault(status, []), rec.seq)
        rec.status = status

    def _set_user(self, rec: LicenseRecord, user: str) -> None:
        if rec.user_id == user:
            return
        if rec.user_id:
            _remove(self._by_user[rec.user_id], rec.seq)
        if user:
            bisect.insort(self._by_user.setdefault(user, []), rec.seq)
        rec.user_id = user


def _remove(seqs: list[int], seq: int) -> None:
    index = bisect.bisect_left(seqs, seq)
    if index < len(seqs) and seqs[index] == seq:
        del seqs[index]


def _matches(rec: LicenseRecord, user_id: str | None, status: int | None) -> bool:
    return (user_id is None or rec.user_id == user_id) and (status is None or rec.status == status)


def _per_item(value: str | Iterable[str], count: int) -> list[str]:
    if isinstance(value, str):
        return [value] * count
    values = list(value)
    if len(values) != count:
        raise ValueError(f"expected {count} values, got {len(values)}")
    return values
