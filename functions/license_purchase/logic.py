"""license_purchase's business steps over the IDE and SMN clients, independent of any trigger.

A seat is money, so the order of preference is fixed: the seat the user already has on this machine, then a
seat reserved for the user (auto-bound, no machine yet), then any free NORMAL seat, and only then a
purchase - grouped across the whole batch into orders of at most 10 (the API's limit per order).

Failure handling follows from what a failure can mean:

* a refused purchase (``IDE.00900007`` unpaid order pending, ``IDE.00900008`` quota) will be refused again,
  so the request fails *not retryable*, every later order in the batch is skipped rather than attempted,
  and the topic is told - never a retry loop that orders again;
* a purchase whose answer was lost (5xx, timeout) fails *retryable*. Redelivery is safe: if the order did go
  through (and was paid), its seats are free NORMAL seats by then and the free-seat step hands them out
  before anything is bought;
* a bind that loses a race (another run took the seat) tries the next free seat.
"""

from __future__ import annotations

from collections import Counter, deque
from collections.abc import Sequence

from functions.license_purchase.models import (
    PurchaseOptions,
    PurchaseOutcome,
    PurchaseRequest,
    PurchaseStatus,
)
from shared.clients.ide import MAX_PER_ORDER, IdeClient, LicenseStatus
from shared.clients.smn import SmnClient
from shared.errors import CloudError, ConflictError, NotFoundError
from shared.http import bounded_gather
from shared.log import get_logger

__all__ = [
    "PurchaseOptions",
    "PurchaseOutcome",
    "PurchaseRequest",
    "PurchaseStatus",
    "purchase",
]

BLOCKING_CODES = frozenset({"IDE.00900007", "IDE.00900008"})
"""Purchase refusals that no retry can fix: an unpaid order is pending, or the quota is used up."""

_MAX_NOTIFIED_LINES = 50

SeatKey = tuple[str, str]


async def purchase(
    requests: Sequence[PurchaseRequest],
    ide: IdeClient,
    smn: SmnClient | None,
    topic_urn: str | None,
    *,
    concurrency: int = 8,
) -> list[PurchaseOutcome]:
    """Give every request a bound seat; one outcome per request, in order.

    Requests for the same user and machine (duplicates within the batch) share one seat. Binds run with
    bounded concurrency; purchases run one order at a time, because the service refuses every purchase
    while an earlier order is unpaid.
    """
    log = get_logger("license_purchase")
    primaries: dict[SeatKey, PurchaseRequest] = {}
    for request in requests:
        primaries.setdefault(request.seat_key, request)
    run = _Run(ide, concurrency)

    needing = await run.use_held_seats(list(primaries.values()))
    needing = await run.use_free_seats(needing)
    await run.buy(needing)

    outcomes = [_for_request(run.results[r.seat_key], r) for r in requests]
    log.info(
        "license_purchase.done",
        requests=len(requests),
        **Counter(o.status.value for o in outcomes),
        orders=run.orders,
    )
    await _notify(smn, topic_urn, [run.results[key] for key in primaries])
    return outcomes


class _Run:
    """State of one batch: outcomes by seat key and the orders placed."""

    def __init__(self, ide: IdeClient, concurrency: int) -> None:
        self.ide = ide
        self.concurrency = concurrency
        self.results: dict[SeatKey, PurchaseOutcome] = {}
        self.orders: list[str] = []

    def _done(self, outcome: PurchaseOutcome) -> None:
        self.results[(outcome.user_id, outcome.machine_code)] = outcome

    async def use_held_seats(self, requests: list[PurchaseRequest]) -> list[PurchaseRequest]:
        """Settle requests whose user already holds a seat on this machine, or one reserved for them."""
        answers = await bounded_gather((self._held(r) for r in requests), self.concurrency)
        for outcome in answers:
            if outcome is not None:
                self._done(outcome)
        return [r for r, outcome in zip(requests, answers, strict=True) if outcome is None]

    async def _held(self, request: PurchaseRequest) -> PurchaseOutcome | None:
        try:
            seats = [s async for s in self.ide.iter_licenses(user_id=request.user_id)]
        except CloudError as exc:
            return PurchaseOutcome.failed(request, "could not list the user's seats", error=exc)
        usable = [s for s in seats if s.status is LicenseStatus.NORMAL and s.spec_code == request.spec_code]
        for seat in usable:
            if seat.machine_code == request.machine_code:
                return _seat(request, PurchaseStatus.ALREADY_BOUND, seat.id, seat.order_id)
        for seat in usable:
            if not seat.machine_code:
                outcome = await self._bind(request, seat.id, PurchaseStatus.REUSED, seat.order_id)
                if outcome is not None:
                    return outcome
        return None

    async def use_free_seats(self, requests: list[PurchaseRequest]) -> list[PurchaseRequest]:
        """Hand out free NORMAL seats of the right spec; returns the requests still without a seat."""
        if not requests:
            return []
        # Twice as many candidates as needed, so a seat lost to a concurrent run falls back to another
        # free seat instead of to a purchase.
        wanted = Counter({spec: 2 * n for spec, n in Counter(r.spec_code for r in requests).items()})
        pools: dict[str, deque[tuple[str, str]]] = {spec: deque() for spec in wanted}
        missing = sum(wanted.values())
        try:
            async for seat in self.ide.iter_licenses(status=LicenseStatus.NORMAL):
                pool = pools.get(seat.spec_code)
                if seat.is_free and pool is not None and len(pool) < wanted[seat.spec_code]:
                    pool.append((seat.id, seat.order_id))
                    missing -= 1
                    if missing == 0:
                        break
        except CloudError as exc:
            # Without knowing the free seats, buying could waste money: fail for redelivery instead.
            for request in requests:
                self._done(PurchaseOutcome.failed(request, "could not list free seats", error=exc))
            return []

        async def take(request: PurchaseRequest) -> PurchaseOutcome | None:
            pool = pools[request.spec_code]
            while pool:
                license_id, order_id = pool.popleft()
                outcome = await self._bind(request, license_id, PurchaseStatus.REUSED, order_id)
                if outcome is not None:
                    return outcome
            return None

        answers = await bounded_gather((take(r) for r in requests), self.concurrency)
        for outcome in answers:
            if outcome is not None:
                self._done(outcome)
        return [r for r, outcome in zip(requests, answers, strict=True) if outcome is None]

    async def _bind(
        self, request: PurchaseRequest, license_id: str, status: PurchaseStatus, order_id: str
    ) -> PurchaseOutcome | None:
        """Bind; ``None`` when the seat turned out to be taken or gone (the caller tries another)."""
        try:
            await self.ide.bind_license(license_id, request.machine_code, user_id=request.user_id)
        except NotFoundError:
            return None
        except ConflictError as exc:
            if exc.error_code:
                return PurchaseOutcome.failed(request, "bind refused", error=exc, license_id=license_id)
            return None
        except CloudError as exc:
            return PurchaseOutcome.failed(
                request, "bind failed", error=exc, license_id=license_id, order_id=order_id or None
            )
        return _seat(request, status, license_id, order_id)

    async def buy(self, requests: list[PurchaseRequest]) -> None:
        """Buy for the remaining requests: orders of at most 10, grouped by spec and payment options."""
        groups: dict[tuple[str, PurchaseOptions], list[PurchaseRequest]] = {}
        for request in requests:
            groups.setdefault((request.spec_code, request.options), []).append(request)
        blocked: CloudError | None = None
        for (spec, options), group in groups.items():
            for start in range(0, len(group), MAX_PER_ORDER):
                chunk = group[start : start + MAX_PER_ORDER]
                if blocked is not None:
                    for request in chunk:
                        self._done(_refused(request, blocked))
                    continue
                try:
                    bought = await self.ide.buy_licenses(
                        len(chunk), spec_code=spec, auto_pay=options.auto_pay, auto_renew=options.auto_renew
                    )
                except CloudError as exc:
                    if exc.error_code in BLOCKING_CODES:
                        blocked = exc
                        for request in chunk:
                            self._done(_refused(request, exc))
                    else:
                        for request in chunk:
                            self._done(PurchaseOutcome.failed(request, "purchase not confirmed", error=exc))
                    continue
                self.orders.append(bought.order_id)
                await self._hand_out(chunk, bought.order_id, bought.license_ids, options)

    async def _hand_out(
        self, chunk: list[PurchaseRequest], order_id: str, license_ids: list[str], options: PurchaseOptions
    ) -> None:
        pairs = list(zip(chunk, license_ids, strict=False))  # a short order is reported below
        for request in chunk[len(license_ids) :]:
            self._done(PurchaseOutcome.failed(request, f"order {order_id} returned too few seats"))
        if not options.auto_pay:
            for request, license_id in pairs:
                self._done(_seat(request, PurchaseStatus.AWAITING_PAYMENT, license_id, order_id))
            return

        async def bind(request: PurchaseRequest, license_id: str) -> PurchaseOutcome:
            outcome = await self._bind(request, license_id, PurchaseStatus.PURCHASED, order_id)
            if outcome is None:
                return PurchaseOutcome.failed(
                    request, "new seat could not be bound", license_id=license_id, order_id=order_id
                )
            return outcome

        for outcome in await bounded_gather((bind(r, lid) for r, lid in pairs), self.concurrency):
            self._done(outcome)


def _seat(
    request: PurchaseRequest, status: PurchaseStatus, license_id: str, order_id: str
) -> PurchaseOutcome:
    return PurchaseOutcome(
        request_id=request.request_id,
        user_id=request.user_id,
        machine_code=request.machine_code,
        status=status,
        license_id=license_id,
        order_id=order_id or None,
    )


def _refused(request: PurchaseRequest, error: CloudError) -> PurchaseOutcome:
    reason = {
        "IDE.00900007": "an unpaid order is pending; pay or cancel it, then redeliver",
        "IDE.00900008": "the licence quota is used up; release unused seats or raise the quota",
    }.get(error.error_code, "purchase refused")
    outcome = PurchaseOutcome.failed(request, reason, error=error)
    return outcome.model_copy(update={"retryable": False})


def _for_request(outcome: PurchaseOutcome, request: PurchaseRequest) -> PurchaseOutcome:
    """The seat key's outcome, under this request's own id (duplicates in a batch share the seat)."""
    if outcome.request_id == request.request_id:
        return outcome
    return outcome.model_copy(update={"request_id": request.request_id})


async def _notify(smn: SmnClient | None, topic_urn: str | None, outcomes: list[PurchaseOutcome]) -> None:
    """Tell people about what only people can fix: refused purchases and orders awaiting payment.

    A failed notification is logged, never raised: the seats are already decided and the caller must get
    its per-request answer.
    """
    attention = [
        o
        for o in outcomes
        if o.status is PurchaseStatus.AWAITING_PAYMENT
        or (o.status is PurchaseStatus.FAILED and not o.retryable)
    ]
    if not attention:
        return
    log = get_logger("license_purchase")
    if smn is None or not topic_urn:
        log.warning("license_purchase.no_topic", needing_attention=len(attention))
        return
    lines = [
        f"{o.request_id} user {o.user_id}: {o.status.value}"
        + (f" order {o.order_id}" if o.order_id else "")
        + (f" - {o.reason}" if o.reason else "")
        for o in attention[:_MAX_NOTIFIED_LINES]
    ]
    if len(attention) > _MAX_NOTIFIED_LINES:
        lines.append(f"... and {len(attention) - _MAX_NOTIFIED_LINES} more")
    subject = f"CodeArts IDE seats: {len(attention)} request(s) need attention"
    try:
        await smn.publish(topic_urn, "\n".join(lines), subject=subject)
    except CloudError as exc:
        log.warning("license_purchase.notify_failed", error=exc.to_dict())
