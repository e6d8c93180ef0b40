"""Per-function scenario hooks: the world a function's samples need, and what a repeat may change.

Every function in ``template.yaml`` is covered without an entry here; an entry only makes a scenario
meaningful (seats to release must exist) or states a documented exception, with the reason.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

from tests.reliability.harness import Harness, Sample


@dataclass(frozen=True)
class Hooks:
    setup: Callable[[Harness, Sample], None] = lambda _h, _s: None
    repeats: frozenset[str] = field(default_factory=frozenset)
    """Fingerprint keys a second delivery may change, by design."""
    why: str = ""


def _payloads(value: Any) -> Iterator[dict[str, Any]]:
    """Every JSON object carried as a string inside an event (webhook body, queue messages, timer input)."""
    if isinstance(value, dict):
        for item in value.values():
            yield from _payloads(item)
    elif isinstance(value, list):
        for item in value:
            yield from _payloads(item)
    elif isinstance(value, str) and value.lstrip().startswith("{"):
        try:
            decoded = json.loads(value)
        except ValueError:
            return
        if isinstance(decoded, dict):
            yield decoded
            yield from _payloads(decoded)


def populated_account(h: Harness, sample: Sample) -> None:
    """Seats a real account has: free ones, and one bound seat per user/machine the sample names (so a
    release has something to release and a reconcile something to count)."""
    project = h.runtime._base_env.get("HUAWEICLOUD_SDK_PROJECT_ID") or ""
    ide = h.runtime.emulator.service("ide").backend(project)
    ide.seed(3)
    pairs = {(p["user_id"], p.get("machine_code") or "") for p in _payloads(sample.event()) if "user_id" in p}
    for user, machine in sorted(pairs):
        if isinstance(user, str) and user and sample.function != "license_purchase":
            ide.seed(
                1, user_id=user, machine_code=machine if isinstance(machine, str) and machine else "f" * 64
            )


DEFAULT = Hooks(setup=populated_account)

HOOKS: dict[str, Hooks] = {
    "license_reconcile": Hooks(
        setup=populated_account,
        repeats=frozenset({"smn.messages", "cloud_calls"}),
        why="its timer has no idempotency key: a timer fired twice walks the seats and reports twice (each "
        "SMN summary is a complete snapshot); the seats themselves are unchanged",
    ),
}


def hooks_for(function: str) -> Hooks:
    return HOOKS.get(function, DEFAULT)
