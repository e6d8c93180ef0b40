"""Demo data the local runtime puts in a fresh embedded emulator, so a first run shows something real.

Why: ``opsfn invoke license_reconcile`` on an empty emulator reports zero seats, which proves nothing and
teaches nothing. With a few seats in the states the reconciler tells apart - bound to a user who is still in
IAM, bound to one who left, free, frozen - its report shows drift and (with ``dry_run: false``) the unbind.
No UNPAID seat is seeded: an unpaid order blocks every purchase, which would make the purchase demo refuse.
"""

from __future__ import annotations

from typing import Any

__all__ = ["DEPARTED_USER", "seed_demo_seats"]

DEPARTED_USER = "0departed0user0not0in0iam00000"
"""A user id bound to a seat but absent from the emulator's IAM users: what reconcile reports as departed."""


def seed_demo_seats(emulator: Any, project: str) -> str:
    """Seats in ``project`` of the emulator's IDE service; returns the line the runtime prints."""
    from devkit.emulator.services.ide.state import FREEZE

    backend = emulator.service("ide").backend(project)
    present = [u.id for u in emulator.credentials.users()][:1] or ["0present0user"]
    machines = [f"{i:064d}" for i in range(1, 4)]
    backend.seed(2, user_id=present[0], machine_code=machines[:2])
    backend.seed(1, user_id=DEPARTED_USER, machine_code=machines[2])
    backend.seed(2)
    backend.seed(1, status=FREEZE)
    return "6 CodeArts IDE seats (2 bound to an IAM user, 1 to a departed user, 2 free, 1 frozen)"
