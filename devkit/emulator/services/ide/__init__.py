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

The package has the shape of every emulated service: ``routes`` (the table), ``handlers`` (one function per
operation), ``state`` (the per-project backend); this module adds the shared quota.
"""

from __future__ import annotations

from devkit.emulator.core import Emulator, Service
from devkit.emulator.services.ide.handlers import valid_license_id
from devkit.emulator.services.ide.routes import ROUTES
from devkit.emulator.services.ide.state import (
    DEFAULT_CALLER,
    DEFAULT_QUOTA,
    KNOWN_SPECS,
    STATUS_CODES,
    IdeBackend,
    LicenseRecord,
    Order,
)

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
    "valid_license_id",
]


class IdeService(Service[IdeBackend]):
    """The IDE service plus the quota shared by every project that has no quota of its own."""

    def __init__(self, emulator: Emulator, quota: int) -> None:
        super().__init__("ide", self._new_backend, routes=ROUTES, auth="huawei")
        self.emulator = emulator
        self.quota = quota

    def _new_backend(self, project: str) -> IdeBackend:
        # A deep copy (snapshots) copies a bound method's instance but keeps a plain function as it is, so
        # closures keep every restored backend reading this live service's quota and credentials.
        def live_quota() -> int:
            return self.quota

        def user_of(principal: str) -> str:
            """The IAM user id a request acts as (``creater_id``, auto-bind, bind without ``user_id``)."""
            creds = self.emulator.credentials
            user = creds.principal_user(principal) if creds is not None and principal else None
            return user.id if user is not None else DEFAULT_CALLER

        return IdeBackend(project, default_quota=live_quota, user_of=user_of)


def make_service(emulator: Emulator) -> IdeService:
    """Build the ``ide`` service; ``build_emulator(ide_quota=N)`` (``emulator.options``) sets the quota."""
    quota = emulator.options.get("ide_quota")
    return IdeService(emulator, DEFAULT_QUOTA if quota is None else int(str(quota)))


def set_quota(emulator: Emulator, quota: int, *, project: str | None = None) -> None:
    """Change the licence quota for every project (existing and future), or for one project only."""
    if quota < 0:
        raise ValueError("quota must not be negative")
    service = emulator.service("ide")
    if not isinstance(service, IdeService):
        raise TypeError("the emulator's ide service is not devkit.emulator.services.ide")
    with service.lock:
        if project is None:
            service.quota = quota
        else:
            service.backend(project).quota = quota
