"""Issue 6 acceptance for license_reconcile: 5,000 seats through the timer entry point.

The seats: 4,000 NORMAL and bound (400 of them to users missing from the roster), 500 NORMAL and free,
300 UNPAID (one unpaid order) and 200 frozen. A dry run must report all of that and change nothing; the
real run must unbind exactly the 400 leavers' seats and nothing else.
"""

from __future__ import annotations

import json
from pathlib import Path

from functions.license_reconcile.handler import handler
from tests.functions.conftest import Wired, machine, timer, user

BOUND, LEAVERS, FREE, UNPAID, FROZEN = 4000, 400, 500, 300, 200


def test_reconcile_5000_seats(wired: Wired, tmp_path: Path) -> None:
    ide = wired.ide
    bound_ids = ide.seed(
        BOUND, user_id=[user(n) for n in range(BOUND)], machine_code=map(machine, range(BOUND))
    )
    ide.seed(FREE)
    unpaid = ide.seed(UNPAID, status="UNPAID")
    frozen = ide.seed(FROZEN, status="FREEZE")
    leavers = set(range(0, BOUND, BOUND // LEAVERS))  # every 10th user left
    roster = tmp_path / "staff.json"
    roster.write_text(json.dumps({"users": [{"id": user(n)} for n in range(BOUND) if n not in leavers]}))
    expected_departed = {bound_ids[n] for n in leavers}
    before = wired.bound()

    dry = handler(timer({"dry_run": True, "roster": f"file://{roster}"}), None)["result"]
    assert dry["total"] == BOUND + FREE + UNPAID + FROZEN == 5000
    assert dry["by_status"] == {"UNPAID": UNPAID, "NORMAL": BOUND + FREE, "FREEZE": FROZEN, "DELETED": 0}
    assert (dry["bound"], dry["free"]) == (BOUND, FREE)
    assert dry["unpaid"] == unpaid and dry["frozen"] == frozen
    assert {d["license_id"] for d in dry["departed"]} == expected_departed
    assert dry["unbound"] == 0 and not any(d["unbound"] for d in dry["departed"])
    assert wired.bound() == before  # the dry run changed nothing

    applied = handler(timer({"dry_run": False, "roster": f"file://{roster}"}), None)["result"]
    assert applied["unbound"] == LEAVERS and applied["failed"] == 0
    after = wired.bound()
    assert set(before) - set(after) == expected_departed
    assert {lid: before[lid] for lid in after} == after  # every other binding untouched
    assert ide.licenses[bound_ids[0]].user_id == ""  # unbinding frees the user too, not only the machine

    dry_note, applied_note = wired.notifications()
    assert "would unbind 400" in dry_note.message and "unbound 400" in applied_note.message
    assert "5000 total, 4000 bound, 500 free" in dry_note.message
