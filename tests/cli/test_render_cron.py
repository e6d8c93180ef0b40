"""``opsfn render``: cron conversions keep the schedule, proved by fire times.

The renderers turn the template's standard 5-field cron into FunctionGraph's Quartz 6-field form
(``sec min hour dom month dow`` with one ``?``) and SCF's 7-field form (``... dow year``). A fixed table of
examples (tests/cli/test_render.py) can only catch the mistakes someone thought of; here hypothesis builds
expressions field by field and croniter compares the next fire times of the original against the
converted expression read back (seconds field must be ``0``, ``?`` means "any", the year must be ``*``).
The only allowed alternative to an equal schedule is a refusal (:class:`CronError`), never a silent change.
"""

from __future__ import annotations

from datetime import datetime, timezone

import pytest
from croniter import croniter
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from devkit.render import CronError, fg_cron, scf_cron

DAYS = ("SUN", "MON", "TUE", "WED", "THU", "FRI", "SAT")
START = datetime(2026, 1, 1, 0, 0, tzinfo=timezone.utc)
FIRES = 12


def _field(lo: int, hi: int, names: tuple[str, ...] = ()) -> st.SearchStrategy[str]:
    """One cron field: ``*``, a value, a range, a list, or a step - the shapes templates use."""
    value = st.integers(lo, hi)
    # a-b with a < b: croniter 2.x reads a one-value range such as ``1-1`` in day-of-week as "every
    # day" (standard cron and both clouds read Monday), so the oracle cannot judge that spelling.
    ranged = st.tuples(value, value).filter(lambda p: p[0] != p[1]).map(lambda p: f"{min(p)}-{max(p)}")
    step = st.tuples(st.sampled_from(["*", f"{lo}-{hi}"]), st.integers(2, max(2, (hi - lo) // 2 + 1))).map(
        lambda p: f"{p[0]}/{p[1]}"
    )
    single = value.map(str)
    if names:
        single = single | st.sampled_from(names)
    listed = st.lists(value, min_size=2, max_size=4, unique=True).map(lambda v: ",".join(map(str, sorted(v))))
    return st.sampled_from(["*"]) | single | ranged | step | listed


def _exprs() -> st.SearchStrategy[str]:
    """Expressions that restrict at most one of day-of-month / day-of-week (the combinable ones)."""
    minute, hour = _field(0, 59), _field(0, 23)
    dom, month = _field(1, 28), _field(1, 12)
    dow = _field(0, 7, DAYS)
    days = st.one_of(st.tuples(dom, st.just("*")), st.tuples(st.just("*"), dow))
    return st.tuples(minute, hour, days, month).map(lambda t: f"{t[0]} {t[1]} {t[2][0]} {t[3]} {t[2][1]}")


def _fire_times(expr: str) -> list[datetime]:
    it = croniter(expr, START)
    return [it.get_next(datetime) for _ in range(FIRES)]


def _from_quartz(expr: str) -> str:
    fields = expr.split()
    assert len(fields) == 6, expr
    assert fields[0] == "0", expr
    assert (fields[3] == "?") != (fields[5] == "?"), f"Quartz needs exactly one '?': {expr}"
    return " ".join("*" if f == "?" else f for f in fields[1:])


def _from_scf(expr: str) -> str:
    fields = expr.split()
    assert len(fields) == 7, expr
    assert fields[0] == "0" and fields[6] == "*", expr
    assert "?" not in fields, expr
    return " ".join(fields[1:6])


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(_exprs())
def test_functiongraph_cron_fires_at_the_same_times(expr: str) -> None:
    assert croniter.is_valid(expr), expr
    converted = fg_cron(expr)  # one day field restricted: must convert, never refuse
    assert _fire_times(_from_quartz(converted)) == _fire_times(expr), (expr, converted)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(_exprs())
def test_scf_cron_fires_at_the_same_times(expr: str) -> None:
    converted = scf_cron(expr)
    assert _fire_times(_from_scf(converted)) == _fire_times(expr), (expr, converted)


@pytest.mark.parametrize("expr", ["0 3 1 * 1", "0 0 1,15 * MON-FRI", "*/5 * 10-20 * 0"])
def test_both_day_fields_restricted_are_refused_not_changed(expr: str) -> None:
    """Standard cron ORs day-of-month and day-of-week; neither Quartz nor SCF can, so both refuse."""
    with pytest.raises(CronError):
        fg_cron(expr)
    with pytest.raises(CronError):
        scf_cron(expr)


@pytest.mark.parametrize(
    ("expr", "fg", "scf"),
    [
        ("0 9 * * 1-7", "0 0 9 ? * SUN,MON,TUE,WED,THU,FRI,SAT", "0 0 9 * * SUN,MON,TUE,WED,THU,FRI,SAT *"),
        ("0 9 * * SAT-SUN", "0 0 9 ? * SUN,SAT", "0 0 9 * * SUN,SAT *"),
        ("0 9 * * */2", "0 0 9 ? * SUN,TUE,THU,SAT", "0 0 9 * * SUN,TUE,THU,SAT *"),
    ],
)
def test_day_of_week_edge_spellings(expr: str, fg: str, scf: str) -> None:
    """Sunday as 7, wrap-around name ranges and steps over ``*`` all map onto spelled-out days."""
    assert fg_cron(expr) == fg
    assert scf_cron(expr) == scf
    assert _fire_times(_from_quartz(fg)) == _fire_times(expr)
