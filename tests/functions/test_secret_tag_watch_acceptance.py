"""secret_tag_watch at scale against the emulator: the due set of 2,000 secrets with mixed tags, computed
independently here (croniter for cron schedules), paging past 1,000 results, one event -> one secret."""

from __future__ import annotations

import random
import re
import time
from datetime import datetime, timezone
from typing import Any

from croniter import croniter

from functions.secret_tag_watch.handler import handler
from tests.functions.conftest import Wired, timer
from tests.functions.tagwatch_helpers import DAY, Spy, add_secret, csms_backend, cts_event

KINDS = ("apig-signature-key", "apig-app", "tencent-api-key")
SCHEDULES = (
    "30",
    "60",
    "90d",
    "365",
    "7",
    "0_3_?_?_1",
    "30 2 1 ? ?",
    "0_0_1,15_?_?",
    "0 */6 ? ? ?",
    "0 0 1 1 ?",
)
BAD_SCHEDULES = ("abc", "0", "99 1 ? ? ?", "4000")
WINDOWS = ("30m", "2h", "1d", "")
MARGIN = 15 * 60


def _schedule_due(text: str, moved: float, now: float) -> bool | None:
    """The contract's schedule rule, independently: days, or a cron (``_`` for spaces, ``?`` for ``*``)."""
    value = text.lower()
    digits = value[:-1] if value.endswith("d") else value
    if digits.isdigit():
        return moved + int(digits) * DAY <= now if 1 <= int(digits) <= 3650 else None
    expr = value.replace("_", " ").replace("?", "*")
    if len(expr.split()) != 5 or not croniter.is_valid(expr):
        return None
    return float(croniter(expr, datetime.fromtimestamp(moved, timezone.utc)).get_next(float)) <= now


def _expected(tags: dict[str, str], state: str, moved: float, now: float) -> str:
    """'due', 'not_due', 'invalid' or 'out' (not enrolled / not rotatable), straight from the contract."""
    if "rotation" not in tags or tags["rotation"] == "disabled":
        return "out"
    kind, strategy = tags.get("rotation-kind"), tags.get("rotation-strategy")
    due = _schedule_due(tags.get("rotation-schedule") or "30", moved, now)
    valid = (
        tags["rotation"] == "enabled"
        and kind in KINDS
        and (strategy is None or (kind == "apig-app" and strategy in ("alternating", "single")))
        and due is not None
        and re.fullmatch(r"[1-9][0-9]*[mhd]", tags.get("rotation-window") or "1h") is not None
        and bool(tags.get("owner"))
    )
    if not valid:
        return "invalid"
    if state != "ENABLED":
        return "out"
    return "due" if due else "not_due"


def _random_tags(rng: random.Random) -> dict[str, str]:
    tags: dict[str, str] = {}
    roll = rng.random()
    if roll < 0.1:
        return {"owner": "nobody"}
    tags["rotation"] = "enabled" if roll < 0.8 else rng.choice(["disabled", "Enabled", "yes"])
    if rng.random() < 0.95:
        tags["rotation-kind"] = rng.choice(KINDS) if rng.random() < 0.95 else "bogus"
    if rng.random() < 0.1:
        tags["rotation-strategy"] = rng.choice(["alternating", "single", "random"])
    if rng.random() < 0.85:
        tags["rotation-schedule"] = rng.choice(SCHEDULES if rng.random() < 0.93 else BAD_SCHEDULES)
    if rng.random() < 0.5:
        tags["rotation-window"] = rng.choice(WINDOWS) if rng.random() < 0.95 else "forever"
    if rng.random() < 0.93:
        tags["owner"] = rng.choice(["team-a", "team-b", "alice"])
    return {k: v for k, v in tags.items() if v}


def _seed(wired: Wired, count: int, now: float) -> dict[str, str]:
    """``count`` secrets with mixed tags; each one's expected class, stable within ``MARGIN`` of ``now``."""
    rng = random.Random(20261123)
    backend = csms_backend(wired.emulator)
    expected: dict[str, str] = {}
    for i in range(count):
        tags = _random_tags(rng)
        state = "ENABLED" if rng.random() < 0.95 else rng.choice(["DISABLED", "FROZEN"])
        while True:
            moved = now - rng.uniform(0, 100) * DAY
            early, late = (
                _expected(tags, state, moved, now - MARGIN),
                _expected(tags, state, moved, now + MARGIN),
            )
            if early == late:
                break
        name = f"secret-{i:05d}"
        add_secret(backend, name, tags, moved, state=state)
        expected[name] = early
    return expected


def test_a_sweep_of_2000_secrets_emits_exactly_the_due_set(wired: Wired) -> None:
    now = time.time()
    expected = _seed(wired, 2000, now)
    spy = Spy(wired.emulator)
    out = handler(timer({}), None)
    assert out["ok"] is True, out
    answer: dict[str, Any] = out["result"]
    due = sorted(n for n, e in expected.items() if e == "due")
    invalid = sorted(n for n, e in expected.items() if e == "invalid")
    assert len(due) > 200 and len(invalid) > 200 and any(e == "not_due" for e in expected.values())
    assert [j["secret_name"] for j in answer["jobs"]] == due
    assert [i["secret_name"] for i in answer["invalid"]] == invalid
    assert answer["errors"] == [] and answer["delivered_to"] == "answer"
    assert all(
        j["mode"] == "apply" and j["reason"] == "schedule" and j["rotation_id"] for j in answer["jobs"]
    )
    assert len({j["rotation_id"] for j in answer["jobs"]}) == len(due)
    # Paging: more than 1,000 secrets carry the rotation tag; every page was asked for, by offset.
    pages = spy.of("ListResourceInstances")
    carrying = sum("rotation" in t for t in (s.tags for s in csms_backend(wired.emulator).secrets.values()))
    assert carrying > 1000 and answer["examined"] == carrying
    assert [body["offset"] for _, body in pages] == [str(o) for o in range(0, carrying, 1000)]
    assert all(
        body["limit"] == "1000" and body["tags"] == [{"key": "rotation", "values": []}] for _, body in pages
    )
    # Only valid, enabled secrets had their last rotation read.
    reads = {params["secret_name"] for params, _ in spy.of("ShowSecretStage")}
    assert reads == {n for n, e in expected.items() if e in ("due", "not_due")}
    # The invalid ones were reported once, on SMN.
    [note] = wired.notifications()
    assert note.subject == f"opsfn secret_tag_watch: {len(invalid)} secret(s) with invalid rotation tags"
    assert out["result"]["notifications"]["smn"] == "sent"


def test_one_cts_event_examines_only_that_secret(wired: Wired) -> None:
    now = time.time()
    backend = csms_backend(wired.emulator)
    for i in range(300):
        add_secret(backend, f"app-key-{i:03d}", {**_good(), "owner": "t"}, now - 40 * DAY)
    spy = Spy(wired.emulator)
    out = handler(cts_event("app-key-007"), None)
    [result] = out["results"]
    assert result["status"] == "ok", out
    answer = result["result"]
    assert [j["secret_name"] for j in answer["jobs"]] == ["app-key-007"]
    assert answer["jobs"][0]["reason"] == "tag-change" and answer["examined"] == 1
    [(_, body)] = spy.of("ListResourceInstances")
    assert body["matches"] == [{"key": "resource_name", "value": "app-key-007"}]
    assert [params["secret_name"] for params, _ in spy.of("ShowSecretStage")] == ["app-key-007"]
    assert {op for op, _, _ in spy.calls} == {"ListResourceInstances", "ShowSecretStage"}


def _good() -> dict[str, str]:
    return {"rotation": "enabled", "rotation-kind": "apig-signature-key", "rotation-schedule": "30"}
