"""license_reconcile's business steps: one walk over every seat, a report, and unbinding of leavers' seats.

The walk holds one page (at most 100 seats) at a time; only ids of the seats worth reporting are kept, so
thousands of seats cost little memory. Unbinding happens after the walk, because it changes nothing the
walk pages over (the listing is unfiltered, bound or not) and because the safety check needs the totals
first: if more than ``max_unbind_fraction`` of the bound seats look abandoned, the roster is more likely
broken than the company emptied overnight, so nothing is unbound and the topic is told why.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sized

from pydantic import BaseModel, ConfigDict, Field

from functions.license_reconcile.roster import Roster
from shared.clients.ide import IdeClient, LicenseStatus
from shared.clients.smn import SmnClient
from shared.errors import CloudError, NotFoundError
from shared.http import bounded_gather
from shared.log import get_logger

__all__ = ["DepartedSeat", "ReconcileInput", "ReconcileReport", "reconcile"]

_MAX_LISTED = 50


class ReconcileInput(BaseModel):
    """The timer's input. ``dry_run`` defaults to true: fixing is opt-in."""

    model_config = ConfigDict(extra="ignore", frozen=True)

    dry_run: bool = True
    roster: str | None = Field(default=None, description="roster file path or URL; default from settings")
    max_unbind_fraction: float = Field(default=0.5, ge=0.0, le=1.0)


class DepartedSeat(BaseModel):
    """A seat bound to someone not on the roster, and what this run did about it."""

    model_config = ConfigDict(frozen=True)

    license_id: str
    user_id: str
    machine_code: str
    unbound: bool = False
    error: str | None = None


class ReconcileReport(BaseModel):
    """Counts by status, the seats that need a person (unpaid, frozen), and the leavers' seats."""

    dry_run: bool
    total: int = 0
    by_status: dict[str, int] = Field(default_factory=lambda: {s.value: 0 for s in LicenseStatus})
    bound: int = 0
    free: int = 0
    unpaid: list[str] = Field(default_factory=list)
    frozen: list[str] = Field(default_factory=list)
    departed: list[DepartedSeat] = Field(default_factory=list)
    roster_source: str | None = None
    roster_size: int | None = None
    guard: str | None = None

    @property
    def unbound(self) -> int:
        return sum(seat.unbound for seat in self.departed)

    @property
    def failed(self) -> int:
        return sum(seat.error is not None for seat in self.departed)

    def summary(self) -> str:
        """The text posted to SMN: counts first, then capped id lists."""
        lines = [
            f"CodeArts IDE seats: {self.total} total, {self.bound} bound, {self.free} free.",
            "By status: " + ", ".join(f"{k} {v}" for k, v in self.by_status.items()),
        ]
        if self.roster_source is not None:
            action = "would unbind" if self.dry_run else "unbound"
            done = len(self.departed) if self.dry_run else self.unbound
            lines.append(
                f"Roster {self.roster_source} ({self.roster_size} active users): "
                f"{len(self.departed)} seat(s) held by departed users, {action} {done}"
                + (f", {self.failed} failed" if self.failed else "")
                + "."
            )
        if self.guard:
            lines.append(f"Nothing unbound: {self.guard}")
        for title, ids in (("Unpaid", self.unpaid), ("Frozen", self.frozen)):
            if ids:
                lines.append(f"{title} ({len(ids)}): " + ", ".join(ids[:_MAX_LISTED]) + _more(ids))
        if self.departed:
            shown = [f"{s.license_id} ({s.user_id})" for s in self.departed[:_MAX_LISTED]]
            lines.append("Departed users' seats: " + ", ".join(shown) + _more(self.departed))
        return "\n".join(lines)


def _more(items: Sized) -> str:
    return f" ... and {len(items) - _MAX_LISTED} more" if len(items) > _MAX_LISTED else ""


async def reconcile(
    ide: IdeClient,
    smn: SmnClient | None,
    topic_urn: str | None,
    roster: Roster | None,
    *,
    dry_run: bool = True,
    max_unbind_fraction: float = 0.5,
    concurrency: int = 8,
) -> ReconcileReport:
    """Walk every seat, report, and (unless ``dry_run``) unbind seats of users absent from ``roster``.

    Without a roster only the counts and the unpaid/frozen lists are produced. Listing errors propagate
    (a partial walk would report wrong numbers); unbind errors are recorded per seat.
    """
    log = get_logger("license_reconcile")
    report = ReconcileReport(dry_run=dry_run)
    if roster is not None:
        report.roster_source, report.roster_size = roster.source, len(roster)
    statuses: Counter[str] = Counter()
    async for seat in ide.iter_licenses():
        report.total += 1
        statuses[seat.status.value] += 1
        if seat.status is LicenseStatus.UNPAID:
            report.unpaid.append(seat.id)
        elif seat.status is LicenseStatus.FREEZE:
            report.frozen.append(seat.id)
        if seat.is_free:
            report.free += 1
        if not seat.is_bound or seat.status is LicenseStatus.DELETED:
            continue
        report.bound += 1
        if roster is not None and seat.user_id and seat.user_id not in roster:
            report.departed.append(
                DepartedSeat(license_id=seat.id, user_id=seat.user_id, machine_code=seat.machine_code)
            )
    report.by_status.update(statuses)

    if report.departed and report.bound and len(report.departed) > max_unbind_fraction * report.bound:
        report.guard = (
            f"{len(report.departed)} of {report.bound} bound seats belong to users missing from the roster "
            f"(more than {max_unbind_fraction:.0%}); check the roster"
        )
    elif report.departed and not dry_run:
        report.departed = await bounded_gather((_unbind(ide, s) for s in report.departed), concurrency)

    log.info(
        "license_reconcile.done",
        total=report.total,
        departed=len(report.departed),
        unbound=report.unbound,
        failed=report.failed,
        dry_run=dry_run,
        guard=report.guard is not None,
    )
    await _post(smn, topic_urn, report)
    return report


async def _unbind(ide: IdeClient, seat: DepartedSeat) -> DepartedSeat:
    try:
        await ide.unbind_license(seat.license_id)
    except NotFoundError:
        return seat.model_copy(update={"unbound": True})
    except CloudError as exc:
        return seat.model_copy(update={"error": f"{exc.error_code or type(exc).__name__} {exc.error_msg}"})
    return seat.model_copy(update={"unbound": True})


async def _post(smn: SmnClient | None, topic_urn: str | None, report: ReconcileReport) -> None:
    """Post the summary; a failed post is logged, the report is still returned."""
    log = get_logger("license_reconcile")
    if smn is None or not topic_urn:
        log.warning("license_reconcile.no_topic")
        return
    mode = "dry run" if report.dry_run else "applied"
    subject = (
        f"CodeArts IDE seat reconcile ({mode}): {len(report.departed)} departed, {len(report.unpaid)} unpaid"
    )
    try:
        await smn.publish(topic_urn, report.summary(), subject=subject)
    except CloudError as exc:
        log.warning("license_reconcile.notify_failed", error=exc.to_dict())
