"""license_reconcile through its timer entry points: roster sources, refusals, the SMN summary."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from functions.license_reconcile.handler import handler, main_handler
from shared.clients.iam import IamClient
from shared.config import Settings
from tests.functions.conftest import Wired, machine, timer, user


def seed_bound(wired: Wired, ns: range) -> list[str]:
    return wired.ide.seed(len(ns), user_id=[user(n) for n in ns], machine_code=[machine(n) for n in ns])


def test_without_a_roster_it_counts_and_posts_a_summary(wired: Wired) -> None:
    seed_bound(wired, range(3))
    wired.ide.seed(2)
    out = handler(timer({"dry_run": True}), None)
    assert out["ok"] is True
    report = out["result"]
    assert (report["total"], report["bound"], report["free"]) == (5, 3, 2)
    assert report["departed"] == [] and report["roster_source"] is None
    [note] = wired.notifications()
    assert note.message.startswith("CodeArts IDE seats: 5 total, 3 bound, 2 free.")


def test_empty_timer_input_is_a_dry_run(wired: Wired, tmp_path: Path) -> None:
    seed_bound(wired, range(4))
    roster = tmp_path / "staff.json"
    roster.write_text(json.dumps([user(n) for n in range(3)]))
    out = handler(timer({"roster": str(roster)}), None)
    assert out["result"]["dry_run"] is True and len(out["result"]["departed"]) == 1
    assert len(wired.bound()) == 4


def test_roster_from_the_environment_as_csv(
    wired: Wired, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    [kept, gone, *_] = seed_bound(wired, range(4))
    roster = tmp_path / "staff.csv"
    roster.write_text("user_id,name,enabled\n" + "".join(f"{user(n)},n{n},true\n" for n in (0, 2, 3)))
    monkeypatch.setenv("OPSFN_ROSTER_URL", f"file://{roster}")
    out = handler(timer({"dry_run": False}), None)
    report = out["result"]
    assert [d["license_id"] for d in report["departed"]] == [gone]
    assert report["unbound"] == 1 and report["roster_size"] == 3
    assert gone not in wired.bound() and kept in wired.bound()


async def test_iam_user_list_as_roster(wired: Wired) -> None:
    async with IamClient.from_settings(Settings.from_env()) as iam:
        staff = [u.id for u in await iam.list_users()]
    assert staff
    [ours] = wired.ide.seed(1, user_id=staff[0], machine_code=machine(1))
    [theirs] = seed_bound(wired, range(7, 8))
    out = main_handler(
        {
            "Type": "Timer",
            "TriggerName": "daily",
            "Time": "2026-11-23T02:30:00Z",
            "Message": '{"roster":"iam"}',
        },
        None,
    )
    report = out["result"]
    assert report["roster_source"] == "IAM user list"
    assert [d["license_id"] for d in report["departed"]] == [theirs]
    assert ours in wired.bound() and theirs in wired.bound()  # dry run


@pytest.mark.parametrize(
    ("content", "message"),
    [(None, "cannot read roster file"), ("[]", "lists no active users"), ("{oops", "is not valid JSON")],
)
def test_unreadable_roster_is_a_422_and_unbinds_nothing(
    wired: Wired, tmp_path: Path, content: str | None, message: str
) -> None:
    seed_bound(wired, range(2))
    path = tmp_path / "staff.json"
    if content is not None:
        path.write_text(content)
    out = handler(timer({"dry_run": False, "roster": str(path)}), None)
    assert out["ok"] is False and out["status"] == 422 and out["error"] == "roster"
    assert message in out["message"]
    assert len(wired.bound()) == 2 and wired.notifications() == []


def test_guard_refuses_to_unbind_most_seats(wired: Wired, tmp_path: Path) -> None:
    seed_bound(wired, range(10))
    roster = tmp_path / "staff.json"
    roster.write_text(json.dumps([user(0)]))
    report = handler(timer({"dry_run": False, "roster": str(roster)}), None)["result"]
    assert report["guard"] is not None and report["unbound"] == 0
    assert len(wired.bound()) == 10
    [note] = wired.notifications()
    assert "Nothing unbound" in note.message


def test_bad_timer_input_is_a_400(wired: Wired) -> None:
    out = handler(timer({"dry_run": "maybe"}), None)
    assert out["ok"] is False and out["status"] == 400
    assert out["fields"][0]["loc"] == "dry_run"
