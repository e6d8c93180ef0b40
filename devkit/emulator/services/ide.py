"""Fake CodeArts IDE licence ("activation code") API, as seed 000 (API reference 01, 2025-07-22) documents it.

Four operations: buy (``POST /v2/licenses``), list (``GET /v2/licenses``), bind
(``POST /v2/licenses/{id}/bind-user``) and unbind (``DELETE /v2/licenses/{id}/unbind-user``). The paths carry
no project id, so state is isolated per ``X-Project-Id`` header (the core's default isolation key).

Where the document contradicts itself the emulator follows the schema tables, because they are what the
service is specified to do; the examples are illustrations that were evidently edited by hand:

* list fields are spelled as the table spells them (``iterms``, ``iterms_before``, ``total_count`` as a
  string, ``status`` as a string code); ``IdeBackend.list_spelling = "example"`` switches to the example's
  spelling (``items``, ``items_before``, ``total_items_count``, numeric ``status``) so clients can be tested
  against both;
* licence ids are the UUID shape both examples show (``8-4-4-4-12``): 32 letters and digits plus dashes, which
  is how "digits, letters and ``-``, 32 in total" reads without contradicting the examples;
* ``machine_code`` is exactly 64 letters/digits. The bind example's 32-hex value is the ``creater_id`` of the
  list example (same ``0dc311a468024a`` prefix), i.e. a pasted user id, not a machine code.

Behaviour the document implies but does not spell out, chosen to be what a buyer would expect: without
``is_auto_pay`` an order stays unpaid (its licences UNPAID) and every further purchase is refused with
``IDE.00900007`` until the order is paid or cancelled (:meth:`IdeBackend.pay_order`,
:meth:`IdeBackend.cancel_order`); the quota counts every licence that is not DELETED, unpaid ones included; a
bind body may name ``user_id`` (the operation is titled "bind to a specified user" although the table lists
only ``machine_code``), otherwise the calling user is bound.
"""

from __future__ import annotations

import bisect
import re
import secrets
import string
import threading
import uuid
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any, Literal

import httpx

from devkit.emulator.core import ApiError, Call, Emulator, Service, huawei_error, json_response

__all__ = [
    "DEFAULT_QUOTA",
    "KNOWN_SPECS",
    "STATUS_CODES",
    "IdeBackend",
    "IdeService",
    "LicenseRecord",
    "Order",
    "make_service",
    "set_quota",
]

DEFAULT_QUOTA = 100
"""Licences (not DELETED) a project may hold; ``opsfn emulator --ide-quota`` sets it (:func:`set_quota`)."""

KNOWN_SPECS = frozenset({"codeartside.basic"})
"""The SKUs the document names; anything else fails validation like an unknown product would."""

UNPAID, NORMAL, FREEZE, DELETED = -1, 0, 1, 2
STATUS_CODES: dict[str, int] = {"UNPAID": UNPAID, "NORMAL": NORMAL, "FREEZE": FREEZE, "DELETED": DELETED}
"""The list filter takes the words; list items carry the numeric codes."""

VALIDATION = "IDE.00000097"
NOT_FOUND = "IDE.00900001"
UNPAID_ORDER = "IDE.00900007"
QUOTA_EXCEEDED = "IDE.00900008"

_LICENSE_ID = re.compile(r"[0-9A-Za-z-]+")
_ALNUM = re.compile(r"[0-9A-Za-z]+")
_MACHINE_CODE = re.compile(r"[0-9A-Za-z]{64}")
_DEFAULT_CALLER = "0dc311a468024ad5bf18591c8361272a"
_ORDER_ALPHABET = string.ascii_uppercase + string.digits


def _invalid(msg: str) -> ApiError:
    return huawei_error(400, VALIDATION, f"Input parameter verification failed: {msg}")


def valid_license_id(value: str) -> bool:
    """Digits, letters and ``-`` with exactly 32 letters/digits (a UUID, or its 32 hex digits alone)."""
    return bool(_LICENSE_ID.fullmatch(value)) and sum(ch != "-" for ch in value) == 32


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


@dataclass
class IdeBackend:
    """One project's licences, indexed by status and user so a page of thousands costs O(page).

    Licences are never removed (a cancelled order's licences become DELETED, as the list's status codes
    suggest), so ``_ids[seq]`` addresses every licence and the per-status / per-user indexes are sorted lists
    of ``seq`` numbers kept with :mod:`bisect`.
    """

    project: str
    default_quota: Callable[[], int] = lambda: DEFAULT_QUOTA
    quota: int | None = None
    list_spelling: Literal["schema", "example"] = "schema"
    clock: Callable[[], datetime] = lambda: datetime.now(timezone.utc)
    # Large collections stay out of repr: a failing test must not print 5,000 licences.
    licenses: dict[str, LicenseRecord] = field(default_factory=dict, repr=False)
    orders: dict[str, Order] = field(default_factory=dict, repr=False)
    _ids: list[str] = field(default_factory=list, repr=False)
    _by_status: dict[int, list[int]] = field(default_factory=dict, repr=False)
    _by_user: dict[str, list[int]] = field(default_factory=dict, repr=False)
    _lock: threading.RLock = field(default_factory=threading.RLock, repr=False)

    # Locks cannot be deep-copied; Service.snapshot() deep-copies backends.
    def __getstate__(self) -> dict[str, Any]:
        state = dict(self.__dict__)
        del state["_lock"]
        return state

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.__dict__.update(state)
        self._lock = threading.RLock()

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
        with self._lock:
            paid: list[str] = []
            for order in self._pending(order_id):
                order.paid = True
                for lid in order.license_ids:
                    if self.licenses[lid].status == UNPAID:
                        self._set_status(self.licenses[lid], NORMAL)
                paid.append(order.order_id)
            return paid

    def cancel_order(self, order_id: str | None = None) -> list[str]:
        """Cancel one pending order (or all): its licences become DELETED and stop counting to the quota."""
        with self._lock:
            cancelled: list[str] = []
            for order in self._pending(order_id):
                order.cancelled = True
                for lid in order.license_ids:
                    self._set_status(self.licenses[lid], DELETED)
                cancelled.append(order.order_id)
            return cancelled

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
        with self._lock:
            self._set_status(self.licenses[license_id], code)

    def seed(
        self,
        count: int,
        *,
        status: int | str = NORMAL,
        user_id: str | Iterable[str] = "",
        machine_code: str | Iterable[str] = "",
        spec_code: str = "codeartside.basic",
        creater_id: str = _DEFAULT_CALLER,
    ) -> list[str]:
        """Create ``count`` licences in one order without HTTP or quota checks, for large test setups.

        ``user_id`` / ``machine_code`` may be one value for all licences or an iterable with one per licence.
        UNPAID licences form an unpaid order, which blocks purchases exactly like one bought without
        ``is_auto_pay``; any other status forms a paid order.
        """
        code = STATUS_CODES[status] if isinstance(status, str) else status
        users = _per_item(user_id, count)
        machines = _per_item(machine_code, count)
        with self._lock:
            order_id = self._new_order_id()
            ids = [
                self._create(order_id, creater_id, spec_code, code, user=users[i], machine=machines[i]).id
                for i in range(count)
            ]
            self.orders[order_id] = Order(order_id, ids, paid=code != UNPAID)
            return ids

    # -- operations --------------------------------------------------------------------------------------

    def buy(self, body: dict[str, Any], caller: str) -> dict[str, Any]:
        spec, count, auto_pay, auto_renew, auto_bind = _validate_buy(body)
        with self._lock:
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
        with self._lock:
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
        with self._lock:
            rec = self._get(license_id)
            if rec.status != NORMAL:
                return False
            if (rec.machine_code and rec.machine_code != machine_code) or (
                rec.user_id and rec.user_id != user
            ):
                return False
            self._set_user(rec, user)
            rec.machine_code = machine_code
            return True

    def unbind(self, license_id: str) -> bool:
        """Free the licence; unbinding a free licence succeeds (nothing is bound afterwards either way)."""
        with self._lock:
            rec = self._get(license_id)
            self._set_user(rec, "")
            rec.machine_code = ""
            return True

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

    def item(self, rec: LicenseRecord) -> dict[str, Any]:
        """A LicenseV2Vo in the configured spelling (string status per the table, numeric per the example)."""
        status: int | str = rec.status if self.list_spelling == "example" else str(rec.status)
        out: dict[str, Any] = {
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
        return out


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


def _require_bool(body: dict[str, Any], name: str) -> bool:
    value = body.get(name, False)
    if not isinstance(value, bool):
        raise _invalid(f"{name} must be a boolean")
    return value


def _require_int(body: dict[str, Any], name: str) -> int:
    value = body.get(name)
    if value is None:
        raise _invalid(f"{name} is required")
    if isinstance(value, bool) or not isinstance(value, int):
        raise _invalid(f"{name} must be an integer")
    return value


def _validate_buy(body: Any) -> tuple[str, int, bool, bool, bool]:
    """Check a purchase body against table 4-1; returns spec, count, auto_pay, auto_renew, auto_bind."""
    if not isinstance(body, dict):
        raise _invalid("request body must be a JSON object")
    spec = body.get("spec_code")
    if not isinstance(spec, str) or not spec:
        raise _invalid("spec_code is required")
    if spec not in KNOWN_SPECS:
        raise _invalid(f"unknown spec_code {spec[:64]!r}")
    if body.get("charging_mode", "prePaid") != "prePaid":
        raise _invalid("charging_mode only supports prePaid")
    if body.get("period_type", "month") != "month":
        raise _invalid("period_type only supports month")
    if _require_int(body, "period_num") != 1:
        raise _invalid("period_num only supports 1")
    count = _require_int(body, "count")
    if not 1 <= count <= 10:
        raise _invalid("count must be an integer from 1 to 10")
    return (
        spec,
        count,
        _require_bool(body, "is_auto_pay"),
        _require_bool(body, "is_auto_renew"),
        _require_bool(body, "is_auto_bind"),
    )


def _int_param(query: dict[str, str], name: str, default: int, low: int, high: int | None) -> int:
    raw = query.get(name)
    if raw is None or raw == "":
        return default
    try:
        value = int(raw)
    except ValueError:
        raise _invalid(f"{name} must be an integer") from None
    if value < low or (high is not None and value > high):
        raise _invalid(f"{name} must be between {low} and {high}" if high else f"{name} must be >= {low}")
    return value


def _caller(emulator: Emulator, call: Call) -> str:
    """The IAM user id the request acts as (``creater_id``, auto-bind, bind without ``user_id``).

    The verifier reports an access key or ``user@domain`` for a token; both resolve to the owning IAM user
    through the emulator's credentials. With no verification configured, the documentation's example user.
    """
    creds = emulator.credentials
    if creds is None or not call.principal:
        return _DEFAULT_CALLER
    key = creds.huawei_key(call.principal)
    if key is not None:
        return key.user.id
    name, _, domain = call.principal.rpartition("@")
    user = creds.user(domain, name) if name else None
    return user.id if user is not None else _DEFAULT_CALLER


def _success(result: Any) -> httpx.Response:
    return json_response(200, {"result": result, "status": "success"})


class IdeService(Service[IdeBackend]):
    """The route table plus the quota shared by every project that has no quota of its own."""

    def __init__(self, quota: int) -> None:
        super().__init__("ide", self._new_backend, auth="huawei")
        self.quota = quota

    def _new_backend(self, project: str) -> IdeBackend:
        # deepcopy (Service.snapshot) copies a bound method's instance but keeps a plain function as it is,
        # so a closure keeps every restored backend reading this live service's quota.
        def live_quota() -> int:
            return self.quota

        return IdeBackend(project, default_quota=live_quota)


def make_service(emulator: Emulator) -> IdeService:
    """Build the ``ide`` service; ``build_emulator(ide_quota=N)`` (``emulator.options``) sets the quota."""
    quota = emulator.options.get("ide_quota")
    service = IdeService(DEFAULT_QUOTA if quota is None else int(str(quota)))

    @service.route("POST", "/v2/licenses", "CreateLicenses")
    def buy(call: Call, backend: IdeBackend) -> httpx.Response:
        return _success(backend.buy(call.json(error=_invalid), _caller(emulator, call)))

    @service.route("GET", "/v2/licenses", "ListLicenses")
    def list_licenses(call: Call, backend: IdeBackend) -> httpx.Response:
        query = call.query
        license_id = query.get("id") or None
        if license_id is not None and not _LICENSE_ID.fullmatch(license_id):
            raise _invalid("id may contain only letters, digits and '-'")
        user_id = query.get("user_id") or None
        if user_id is not None and not _ALNUM.fullmatch(user_id):
            raise _invalid("user_id may contain only letters and digits")
        status_word = query.get("status") or None
        if status_word is not None and status_word not in STATUS_CODES:
            raise _invalid("status must be one of FREEZE, DELETED, NORMAL, UNPAID")
        status = STATUS_CODES[status_word] if status_word else None
        limit = _int_param(query, "limit", 15, 1, 100)
        offset = _int_param(query, "offset", 0, 0, None)
        page, total = backend.list_page(
            license_id=license_id, user_id=user_id, status=status, limit=limit, offset=offset
        )
        items = [backend.item(rec) for rec in page]
        if backend.list_spelling == "example":
            result: dict[str, Any] = {
                "size": len(items),
                "total_items_count": total,
                "items_before": offset,
                "items": items,
                "empty": not items,
            }
        else:
            result = {
                "size": len(items),
                "total_count": str(total),
                "iterms_before": offset,
                "iterms": items,
                "empty": not items,
            }
        return _success(result)

    @service.route("POST", "/v2/licenses/{id}/bind-user", "BindLicenseUser")
    def bind(call: Call, backend: IdeBackend) -> httpx.Response:
        license_id = _path_id(call)
        body = call.json(error=_invalid)
        if not isinstance(body, dict):
            raise _invalid("request body must be a JSON object")
        machine_code = body.get("machine_code")
        if not isinstance(machine_code, str) or not _MACHINE_CODE.fullmatch(machine_code):
            raise _invalid("machine_code must be 64 letters and digits")
        user = body.get("user_id", _caller(emulator, call))
        if not isinstance(user, str) or not _ALNUM.fullmatch(user):
            raise _invalid("user_id may contain only letters and digits")
        ok = backend.bind(license_id, machine_code, user)
        return json_response(200, {"result": ok, "status": "success" if ok else "error"})

    @service.route("DELETE", "/v2/licenses/{id}/unbind-user", "UnbindLicenseUser")
    def unbind(call: Call, backend: IdeBackend) -> httpx.Response:
        return _success(backend.unbind(_path_id(call)))

    return service


def _path_id(call: Call) -> str:
    license_id = call.path_params["id"]
    if not valid_license_id(license_id):
        raise _invalid("id must be 32 letters and digits, optionally with '-'")
    return license_id


def set_quota(emulator: Emulator, quota: int, *, project: str | None = None) -> None:
    """Change the licence quota for every project (existing and future), or for one project only."""
    if quota < 0:
        raise ValueError("quota must not be negative")
    service = emulator.service("ide")
    if not isinstance(service, IdeService):
        raise TypeError("the emulator's ide service is not devkit.emulator.services.ide")
    if project is None:
        service.quota = quota
    else:
        service.backend(project).quota = quota
