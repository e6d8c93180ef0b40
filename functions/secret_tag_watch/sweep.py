"""Find the secrets whose tags ask for rotation, decide which are due, and build one job per due secret.

Candidates come from CSMS ListResourceInstances (seed 001) with the tag filter ``rotation`` (any value) -
AND-ed with ``rotation-kind`` in the requested kinds when a sweep is narrowed to some kinds (values OR-ed) -
and ``matches`` on the secret name, walked page by page (1,000 a page) until ``total_count``. Any value of
``rotation`` is fetched so that a misspelt one (``Enabled``, ``yes``) is reported instead of silently
ignored. A filter with an empty ``values`` list selects every secret carrying the key (the tag-filter
convention of Huawei's tag services; seed 001 does not spell it out).

"Due" is measured from the last rotation as CSMS records it: the time the ``SYSCURRENT`` stage last moved
(ShowSecretStage ``update_time``). Any new current version moves it - a rotation by key_rotation, by CSMS,
or a person storing a new value by hand - so a manual rotation restarts the clock, as it should.

One job per due secret, in the format key_rotation consumes. ``rotation_id`` is derived from the secret and
its current version, so sweeping again before key_rotation has finished yields the same id (key_rotation is
idempotent on it) and a finished rotation (a new current version) yields a new one.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from typing import Any

from functions.secret_tag_watch.tags import ROTATION, Enrolment, read_tags
from shared.clients.csms import SYSCURRENT, CsmsClient, ResourceInstance
from shared.errors import CloudError, NotFoundError
from shared.http import bounded_gather

__all__ = ["Candidate", "SweepResult", "last_rotation", "rotation_id", "sweep"]

_MS_THRESHOLD = 100_000_000_000  # epoch values above this are milliseconds (year 5138 in seconds)


@dataclass(frozen=True)
class Candidate:
    name: str
    enrolment: Enrolment


@dataclass
class SweepResult:
    """What one sweep found; :meth:`answer` is the function's JSON answer."""

    mode: str
    reason: str
    scope: str
    examined: int = 0
    enrolled: int = 0
    jobs: list[dict[str, Any]] = field(default_factory=list)
    invalid: list[dict[str, Any]] = field(default_factory=list)
    errors: list[dict[str, str]] = field(default_factory=list)
    skipped: dict[str, int] = field(
        default_factory=lambda: {"disabled": 0, "secret_not_enabled": 0, "not_due": 0, "filtered": 0}
    )

    def answer(self) -> dict[str, Any]:
        return {
            "mode": self.mode,
            "dry_run": self.mode == "plan",
            "reason": self.reason,
            "scope": self.scope,
            "examined": self.examined,
            "enrolled": self.enrolled,
            "due": len(self.jobs),
            "jobs": self.jobs,
            "invalid": self.invalid,
            "errors": self.errors,
            "skipped": self.skipped,
        }


def _epoch_seconds(value: float) -> float:
    return value / 1000 if value > _MS_THRESHOLD else value


def rotation_id(name: str, version_id: str, moved_at: float) -> str:
    digest = hashlib.sha256(f"{name}\n{version_id}\n{moved_at}".encode()).hexdigest()
    return "rot-" + digest[:24]


async def last_rotation(csms: CsmsClient, name: str) -> tuple[str, float] | None:
    """``(current version id, when SYSCURRENT last moved)``; ``None`` without a current version."""
    try:
        stage = await csms.show_secret_stage(name, SYSCURRENT)
    except NotFoundError:
        return None
    return stage.version_id, _epoch_seconds(float(stage.update_time or 0))


def _classify(resource: ResourceInstance, result: SweepResult) -> Candidate | None:
    """Count one listed secret; a candidate when its tags enrol it without problems."""
    result.examined += 1
    tags = {t.key: t.value for t in resource.tags}
    enrolment = read_tags(tags)
    name = resource.resource_name
    if enrolment.problems:
        owner = tags.get("owner", "").strip()
        result.invalid.append({"secret_name": name, "owner": owner, "problems": enrolment.problems})
        return None
    if not enrolment.enabled:
        result.skipped["disabled"] += 1
        return None
    result.enrolled += 1
    state = resource.resource_detail.state if resource.resource_detail is not None else None
    if state not in (None, "ENABLED"):
        result.skipped["secret_not_enabled"] += 1
        return None
    return Candidate(name, enrolment)


async def _decide(
    csms: CsmsClient, candidate: Candidate, result: SweepResult, now: float, force: bool
) -> None:
    policy = candidate.enrolment.policy
    assert policy is not None
    try:
        current = await last_rotation(csms, candidate.name)
    except CloudError as exc:
        result.errors.append({"secret_name": candidate.name, "error": str(exc)})
        return
    if current is None:
        problem = "the secret has no SYSCURRENT version to rotate from"
        result.invalid.append({"secret_name": candidate.name, "owner": policy.owner, "problems": [problem]})
        return
    version_id, moved_at = current
    if not force and not policy.schedule.due(moved_at, now):
        result.skipped["not_due"] += 1
        return
    result.jobs.append(
        {
            "secret_name": candidate.name,
            "rotation_id": rotation_id(candidate.name, version_id, moved_at),
            "mode": result.mode,
            "reason": result.reason,
            "kind": policy.kind,
            "strategy": policy.strategy,
            "window_seconds": policy.window_seconds,
            "owner": policy.owner,
        }
    )


async def sweep(
    csms: CsmsClient,
    *,
    now: float,
    mode: str = "apply",
    reason: str = "schedule",
    only: str | None = None,
    name_contains: str | None = None,
    kinds: tuple[str, ...] = (),
    force: bool = False,
    concurrency: int = 8,
) -> SweepResult:
    """Sweep every enrolled secret, or ``only`` the one named (an event about one secret)."""
    filters: dict[str, list[str]] = {ROTATION: []}
    if kinds:
        filters["rotation-kind"] = list(kinds)
    result = SweepResult(mode=mode, reason=reason, scope=only or "all")
    candidates: list[Candidate] = []
    async for resource in csms.iter_resource_instances(tags=filters, name_contains=only or name_contains):
        if only is not None and resource.resource_name != only:
            result.skipped["filtered"] += 1  # ``matches`` is a fuzzy match: other names containing it
            continue
        candidate = _classify(resource, result)
        if candidate is not None:
            candidates.append(candidate)
    await bounded_gather((_decide(csms, c, result, now, force) for c in candidates), concurrency)
    result.jobs.sort(key=lambda job: str(job["secret_name"]))
    result.invalid.sort(key=lambda item: str(item["secret_name"]))
    return result
