"""Per-function scenario hooks: the world a function's samples need, and what a repeat may change.

Every function in ``template.yaml`` is covered without an entry here; an entry (for a whole function, or for
one ``function/sample``) only makes a scenario meaningful (seats to release must exist) or states a
documented exception, with the reason.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

from tests.reliability.harness import MAX_ATTEMPTS, Harness, Sample


@dataclass(frozen=True)
class Hooks:
    setup: Callable[[Harness, Sample], None] = lambda _h, _s: None
    repeats: frozenset[str] = field(default_factory=frozenset)
    """Fingerprint keys a second delivery may change, by design."""
    attempts: int = MAX_ATTEMPTS
    """Deliveries the platform makes before the run counts as unsettled (under injected faults)."""
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
    "api_publish/github_push": Hooks(
        setup=populated_account,
        attempts=40,
        why="one run makes five writes (three creates, a batch publish, the group) that cannot be retried "
        "blindly; at the 30 % fault rate on every call about one attempt in six gets through, and every "
        "failed attempt restores the previous state from its journal, so the sender's redeliveries converge "
        "- they need more attempts than the default",
    ),
    "secret_tag_watch/timer_sweep": Hooks(
        setup=populated_account,
        repeats=frozenset({"cloud_calls"}),
        why="a sweep only reads CSMS and answers the due jobs; a timer fired twice lists the secrets twice "
        "and answers the same jobs (their rotation ids follow the secrets' current versions, so "
        "key_rotation runs each once)",
    ),
    "key_rotation/timer": Hooks(
        setup=populated_account,
        repeats=frozenset({"cloud_calls"}),
        why="the timer sample is a dry run (mode plan): it reads each secret and says what would change; a "
        "timer fired twice reads twice and changes nothing (an applied run is idempotent on its rotation id)",
    ),
    "api_publish/drift_timer": Hooks(
        setup=populated_account,
        repeats=frozenset({"smn.messages", "cloud_calls"}),
        why="the drift check only reads: a timer fired twice reads the gateway twice and reports the same "
        "drift twice; nothing on the gateway changes (its webhook samples keep the strict rule)",
    ),
}


def hooks_for(sample: Sample) -> Hooks:
    """The sample's own entry (``function/sample``), else its function's, else the default."""
    return HOOKS.get(sample.id) or HOOKS.get(sample.function, DEFAULT)
