"""license_release's business steps: unbind every seat held by a departing user and/or machine.

Releasing is idempotent by construction: the seats to free are found by listing, not remembered, so a
redelivered request finds nothing bound and succeeds with an empty ``freed`` list. The IDE list API filters
by user but not by machine, so requests naming only a machine share one walk over all seats per batch.
"""

from __future__ import annotations

from collections.abc import Sequence
from enum import Enum
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from shared.clients.ide import IdeClient, License, check_machine_code, check_user_id, flatten_user
from shared.errors import CloudError, NotFoundError
from shared.http import bounded_gather
from shared.log import get_logger

__all__ = ["ReleaseOutcome", "ReleaseRequest", "ReleaseStatus", "release"]


class ReleaseRequest(BaseModel):
    """Who is leaving: a user (all their seats), a machine (its seats), or a user on one machine."""

    model_config = ConfigDict(extra="ignore", frozen=True, str_strip_whitespace=True)

    request_id: str = Field(default="", max_length=128, pattern=r"^[A-Za-z0-9._:/-]*$")
    user_id: str | None = None
    machine_code: str | None = None

    @model_validator(mode="before")
    @classmethod
    def _nested_user(cls, data: Any) -> Any:
        """The same user shapes as license_purchase: ``user_id`` or ``user: {id, name}``."""
        return flatten_user(data)

    @field_validator("user_id")
    @classmethod
    def _user_id(cls, value: str | None) -> str | None:
        return None if value is None else check_user_id(value)

    @field_validator("machine_code")
    @classmethod
    def _machine_code(cls, value: str | None) -> str | None:
        return None if value is None else check_machine_code(value)

    @model_validator(mode="after")
    def _something_to_release(self) -> ReleaseRequest:
        if self.user_id is None and self.machine_code is None:
            raise ValueError("give user_id, machine_code or both")
        return self

    def holds(self, seat: License) -> bool:
        """Whether this request releases ``seat``."""
        if not seat.is_bound:
            return False
        if self.user_id is not None and seat.user_id != self.user_id:
            return False
        return self.machine_code is None or seat.machine_code == self.machine_code


class ReleaseStatus(str, Enum):
    RELEASED = "released"
    NOTHING_BOUND = "nothing_bound"
    FAILED = "failed"


class ReleaseOutcome(BaseModel):
    """Per request: the seats freed now; on failure, why and whether a redelivery can finish the job."""

    model_config = ConfigDict(frozen=True)

    request_id: str
    user_id: str | None
    machine_code: str | None
    status: ReleaseStatus
    freed: list[str] = Field(default_factory=list)
    reason: str | None = None
    retryable: bool = False

    @property
    def ok(self) -> bool:
        return self.status is not ReleaseStatus.FAILED


async def release(
    requests: Sequence[ReleaseRequest], ide: IdeClient, *, concurrency: int = 8
) -> list[ReleaseOutcome]:
    """Free every seat each request names; one outcome per request, in order."""
    log = get_logger("license_release")
    found: list[list[License] | CloudError] = [[] for _ in requests]
    await bounded_gather(
        (_by_user(ide, r, found, i) for i, r in enumerate(requests) if r.user_id is not None), concurrency
    )
    machine_only = [i for i, r in enumerate(requests) if r.user_id is None]
    if machine_only:
        await _by_machine(ide, requests, machine_only, found)

    seats = sorted({seat.id for hits in found if isinstance(hits, list) for seat in hits})
    unbound = await bounded_gather((_unbind(ide, sid) for sid in seats), concurrency)
    errors = {sid: err for sid, err in zip(seats, unbound, strict=True) if err is not None}

    outcomes = [_outcome(r, hits, errors) for r, hits in zip(requests, found, strict=True)]
    log.info(
        "license_release.done",
        requests=len(requests),
        freed=len(seats) - len(errors),
        failed=sum(not o.ok for o in outcomes),
    )
    return outcomes


async def _by_user(
    ide: IdeClient, request: ReleaseRequest, found: list[list[License] | CloudError], index: int
) -> None:
    try:
        found[index] = [s async for s in ide.iter_licenses(user_id=request.user_id) if request.holds(s)]
    except CloudError as exc:
        found[index] = exc


async def _by_machine(
    ide: IdeClient,
    requests: Sequence[ReleaseRequest],
    indexes: list[int],
    found: list[list[License] | CloudError],
) -> None:
    """One walk over every seat serves all machine-only requests of the batch."""
    wanted = {requests[i].machine_code: i for i in indexes}
    hits: dict[int, list[License]] = {i: [] for i in indexes}
    try:
        async for seat in ide.iter_licenses():
            index = wanted.get(seat.machine_code)
            if index is not None and seat.machine_code and requests[index].holds(seat):
                hits[index].append(seat)
    except CloudError as exc:
        for i in indexes:
            found[i] = exc
        return
    for i in indexes:
        # Several requests may name the same machine; every one of them reports its seats.
        found[i] = hits[wanted[requests[i].machine_code]]


async def _unbind(ide: IdeClient, license_id: str) -> CloudError | None:
    try:
        await ide.unbind_license(license_id)
    except NotFoundError:
        return None  # gone: nothing is bound to it any more
    except CloudError as exc:
        return exc
    return None


def _outcome(
    request: ReleaseRequest, hits: list[License] | CloudError, errors: dict[str, CloudError]
) -> ReleaseOutcome:
    def answer(status: ReleaseStatus, **rest: Any) -> ReleaseOutcome:
        return ReleaseOutcome(
            request_id=request.request_id,
            user_id=request.user_id,
            machine_code=request.machine_code,
            status=status,
            **rest,
        )

    if isinstance(hits, CloudError):
        return answer(
            ReleaseStatus.FAILED,
            reason=f"could not list seats: {hits.error_code or type(hits).__name__} {hits.error_msg}",
            retryable=hits.retryable,
        )
    freed = [seat.id for seat in hits if seat.id not in errors]
    failed = [errors[seat.id] for seat in hits if seat.id in errors]
    if failed:
        first = failed[0]
        return answer(
            ReleaseStatus.FAILED,
            freed=freed,
            reason=f"{len(failed)} seat(s) could not be unbound: {first.error_code or first.error_msg}",
            retryable=all(err.retryable for err in failed),
        )
    return answer(ReleaseStatus.RELEASED if freed else ReleaseStatus.NOTHING_BOUND, freed=freed)
