"""Rotation schedules and windows as tag values: a number of days, a 5-field cron (UTC), a duration.

CSMS tag values may not contain every character: seed 001 forbids ``*`` (and ``<``, ``>``, ``\\``, ``=``,
control characters) in tag keys and values, and spaces are awkward in consoles. So in a tag value a cron may
use ``_`` instead of spaces and ``?`` instead of ``*``: ``0_3_?_?_1`` is ``0 3 * * 1``. (``0_3_*_*_1`` is
accepted too, but CSMS refuses to store it.) The cron
dialect is the standard one: numbers, ``*``, ranges ``a-b``, steps ``/n``, lists ``a,b``, month and weekday
names (``jan``, ``mon``), Sunday as 0 or 7; when both day-of-month and day-of-week are restricted a day
matching either fires (Vixie cron and croniter agree). It is evaluated here with the standard library only,
because functions bundle no cron package.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone

__all__ = ["Cron", "Schedule", "ScheduleError", "parse_duration", "parse_schedule"]

_DAY = 86400
_MAX_DAYS = 3650
_SEARCH_DAYS = 366 * 8 + 2  # enough to reach any satisfiable date (29 February needs up to 8 years)
_DURATION = re.compile(r"^([1-9][0-9]{0,5})([mhd])$")
_UNIT = {"m": 60, "h": 3600, "d": _DAY}
_MONTHS = {m: i + 1 for i, m in enumerate("jan feb mar apr may jun jul aug sep oct nov dec".split())}
_WEEKDAYS = {d: i for i, d in enumerate("sun mon tue wed thu fri sat".split())}
# (low, high, names) per field: minute, hour, day of month, month, day of week.
_FIELDS: tuple[tuple[int, int, dict[str, int]], ...] = (
    (0, 59, {}),
    (0, 23, {}),
    (1, 31, {}),
    (1, 12, _MONTHS),
    (0, 7, _WEEKDAYS),
)


class ScheduleError(ValueError):
    """A schedule or duration tag value that cannot be understood; the message says what is expected."""


def parse_duration(text: str) -> int:
    """``30m``, ``2h``, ``1d`` -> seconds."""
    m = _DURATION.match(text.strip().lower())
    if m is None:
        raise ScheduleError(f"{text!r} is not a duration such as 30m, 2h or 1d")
    return int(m.group(1)) * _UNIT[m.group(2)]


def _number(token: str, low: int, high: int, names: dict[str, int]) -> int:
    value = names.get(token.lower()) if not token.isdigit() else int(token)
    if value is None or not low <= value <= high:
        raise ScheduleError(f"{token!r} is outside {low}-{high}")
    return value


def _field(text: str, low: int, high: int, names: dict[str, int]) -> frozenset[int]:
    values: set[int] = set()
    for item in text.split(","):
        base, _, step_text = item.partition("/")
        step = int(step_text) if step_text.isdigit() and int(step_text) > 0 else None
        if step_text and step is None:
            raise ScheduleError(f"step {step_text!r} must be a positive number")
        if base == "*":
            start, stop = low, high
        elif "-" in base:
            first, _, last = base.partition("-")
            start, stop = _number(first, low, high, names), _number(last, low, high, names)
        else:
            start = _number(base, low, high, names)
            stop = high if step else start
        if start > stop:
            raise ScheduleError(f"range {base!r} runs backwards")
        values.update(range(start, stop + 1, step or 1))
    return frozenset(values)


@dataclass(frozen=True)
class Cron:
    minutes: frozenset[int]
    hours: frozenset[int]
    days: frozenset[int]
    months: frozenset[int]
    weekdays: frozenset[int]  # 0 = Sunday
    any_day: bool
    any_weekday: bool

    @classmethod
    def parse(cls, text: str) -> Cron:
        parts = text.replace("_", " ").replace("?", "*").split()
        if len(parts) != 5:
            raise ScheduleError(f"{text!r} is neither a number of days nor a 5-field cron")
        sets = [_field(p, lo, hi, names) for p, (lo, hi, names) in zip(parts, _FIELDS, strict=True)]
        weekdays = frozenset(d % 7 for d in sets[4])
        return cls(sets[0], sets[1], sets[2], sets[3], weekdays, parts[2] == "*", parts[4] == "*")

    def _day_matches(self, day: datetime) -> bool:
        in_month = day.day in self.days
        in_week = (day.isoweekday() % 7) in self.weekdays
        if self.any_day or self.any_weekday:
            return in_month and in_week
        return in_month or in_week

    def next_after(self, moment: datetime) -> datetime | None:
        """The first firing strictly after ``moment`` (UTC), or ``None`` when the cron never fires."""
        start = moment.astimezone(timezone.utc).replace(second=0, microsecond=0) + timedelta(minutes=1)
        day = start.replace(hour=0, minute=0)
        for _ in range(_SEARCH_DAYS):
            if day.month in self.months and self._day_matches(day):
                for hour in sorted(self.hours):
                    for minute in sorted(self.minutes):
                        fire = day.replace(hour=hour, minute=minute)
                        if fire >= start:
                            return fire
            day += timedelta(days=1)
        return None


@dataclass(frozen=True)
class Schedule:
    """Every ``days`` days, or at the firings of ``cron``."""

    days: int | None = None
    cron: Cron | None = None

    def due(self, last_rotation: float, now: float) -> bool:
        """Whether a rotation is owed at ``now`` (epoch seconds) after one at ``last_rotation``."""
        if self.days is not None:
            return last_rotation + self.days * _DAY <= now
        assert self.cron is not None
        fire = self.cron.next_after(datetime.fromtimestamp(last_rotation, timezone.utc))
        return fire is not None and fire.timestamp() <= now


def parse_schedule(text: str) -> Schedule:
    """``30`` or ``30d`` (days, 1-3650) or a cron with spaces or ``_``."""
    value = text.strip().lower()
    digits = value[:-1] if value.endswith("d") else value
    if digits.isdigit():
        days = int(digits)
        if not 1 <= days <= _MAX_DAYS:
            raise ScheduleError(f"{text!r}: a number of days must be 1-{_MAX_DAYS}")
        return Schedule(days=days)
    cron = Cron.parse(value)
    if cron.next_after(datetime(2000, 1, 1, tzinfo=timezone.utc)) is None:
        raise ScheduleError(f"{text!r} never fires")
    return Schedule(cron=cron)
