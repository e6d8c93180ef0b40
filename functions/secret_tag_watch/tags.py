"""The secret tag vocabulary that enrols a CSMS secret in rotation, read into a policy or a list of problems.

==================  ==========================================================  =========================
tag                 values                                                      default
==================  ==========================================================  =========================
rotation            ``enabled`` | ``disabled``                                  (required)
rotation-kind       ``apig-signature-key`` | ``apig-app`` | ``tencent-api-key``  (required when enabled)
rotation-strategy   ``alternating`` | ``single`` (``apig-app`` only)            ``alternating``
rotation-schedule   days (``30``) or a 5-field UTC cron, ``_`` for spaces       ``30`` days
rotation-window     ``30m``, ``2h``, ``1d`` (grace/overlap for key_rotation)     ``1h``
owner               a team or a person                                          (required)
==================  ==========================================================  =========================

Values are compared exactly (CSMS tags are case-sensitive) after trimming spaces. A secret whose tags do not
make sense is never rotated; its problems are reported, one readable sentence per tag.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import TypeVar

from functions.secret_tag_watch.schedule import Schedule, ScheduleError, parse_duration, parse_schedule

__all__ = ["KINDS", "ROTATION", "Enrolment", "RotationPolicy", "read_tags"]

ROTATION = "rotation"
KINDS = ("apig-signature-key", "apig-app", "tencent-api-key")
STRATEGIES = ("alternating", "single")
DEFAULT_SCHEDULE = "30"
DEFAULT_WINDOW = "1h"
T = TypeVar("T")


@dataclass(frozen=True)
class RotationPolicy:
    kind: str
    strategy: str | None
    schedule: Schedule
    window_seconds: int
    owner: str


@dataclass(frozen=True)
class Enrolment:
    """What the tags say: ``enabled`` with a policy, or ``problems`` (then never rotated)."""

    enabled: bool
    policy: RotationPolicy | None = None
    problems: list[str] = field(default_factory=list)


def _kind(tags: Mapping[str, str], problems: list[str]) -> str:
    kind = tags.get("rotation-kind", "").strip()
    if not kind:
        problems.append("rotation-kind is missing (one of " + ", ".join(KINDS) + ")")
    elif kind not in KINDS:
        problems.append(f"rotation-kind {kind!r} is not one of " + ", ".join(KINDS))
    return kind


def _strategy(tags: Mapping[str, str], kind: str, problems: list[str]) -> str | None:
    strategy = tags.get("rotation-strategy", "").strip()
    if not strategy:
        return "alternating" if kind == "apig-app" else None
    if kind != "apig-app":
        problems.append(f"rotation-strategy applies to apig-app only, not {kind or 'an unknown kind'}")
    elif strategy not in STRATEGIES:
        problems.append(f"rotation-strategy {strategy!r} is not alternating or single")
    return strategy


def _parsed(
    tags: Mapping[str, str], key: str, default: str, problems: list[str], parse: Callable[[str], T]
) -> T | None:
    raw = tags.get(key, "").strip() or default
    try:
        return parse(raw)
    except ScheduleError as exc:
        problems.append(f"{key}: {exc}")
        return None


def read_tags(tags: Mapping[str, str]) -> Enrolment:
    """Read one secret's tags (``{key: value}``)."""
    switch = tags.get(ROTATION, "").strip()
    if switch == "disabled" or ROTATION not in tags:
        return Enrolment(enabled=False)
    problems: list[str] = []
    if switch != "enabled":
        problems.append(f"rotation {switch!r} is not enabled or disabled")
    kind = _kind(tags, problems)
    strategy = _strategy(tags, kind, problems)
    schedule = _parsed(tags, "rotation-schedule", DEFAULT_SCHEDULE, problems, parse_schedule)
    window = _parsed(tags, "rotation-window", DEFAULT_WINDOW, problems, parse_duration)
    owner = tags.get("owner", "").strip()
    if not owner:
        problems.append("owner is missing (the team or person responsible)")
    if problems or schedule is None or window is None:
        return Enrolment(enabled=switch == "enabled", problems=problems)
    return Enrolment(True, RotationPolicy(kind, strategy, schedule, window, owner))
