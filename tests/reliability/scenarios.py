"""The reliability scenarios, each a function of one sample returning a :class:`Tally`.

The same code runs under pytest (``tests/reliability/test_reliability.py``, CI profile) and under
``python -m tests.reliability.report`` (which writes ``docs/reliability.md``), so the published numbers are
the suite's own. Profiles: ``ci`` (default) and ``long`` (``OPSFN_RELIABILITY_PROFILE=long`` or
``report --long``): more fault seeds and 10,000 fuzz examples per trigger.

* **duplicate** - the same delivery twice (same webhook-id re-signed, same batch, same timer);
* **error / throttle / drop** - cloud faults injected at ``FAULT_RATE`` with fixed seeds, the platform
  redelivering as it would;
* **crash** - the process killed at each mutating cloud call in turn, then redelivered after the timeout;
* **fuzz** - property-based mutations of the envelope and of every payload (hypothesis);
* **webhook** - forged, replayed, oversized and slow webhooks.

A run *survives* when the final answer and the emulator's fingerprint equal the fault-free run's; it is
*lost* when the platform was told "done" but the state differs (work lost or done twice) or a property
broke; *unsettled* when the platform would still be redelivering after ``MAX_ATTEMPTS`` (nothing is lost).
Every log line, answer and exception text a scenario produced is scanned for secrets (``leaks``).
"""

from __future__ import annotations

import contextlib
import copy
import io
import json
import os
import sys
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any
from unittest import mock

from shared.idempotency import IdempotencyStoreError
from shared.idempotency.memory import MemoryStore
from tests.reliability.harness import Harness, Sample, outcome_class, sign_with_id
from tests.reliability.hooks import hooks_for

FAULT_RATE = 0.3
FAULT_KINDS = ("error", "throttle", "drop")
PROFILES = {
    "ci": {"seeds": 6, "fuzz_examples": 40},
    "long": {"seeds": 200, "fuzz_examples": 10_000},
}


def profile() -> dict[str, int]:
    return PROFILES["long" if os.environ.get("OPSFN_RELIABILITY_PROFILE") == "long" else "ci"]


@dataclass
class Tally:
    tried: int = 0
    survived: int = 0
    lost: int = 0
    unsettled: int = 0
    leaks: int = 0
    scanned: int = 0
    """Log lines, answers and exception texts scanned for secrets."""
    notifications_lost: int = 0
    """Runs whose only difference is a missing SMN message (counted as survived: the work is done)."""
    injected: int = 0
    """Faults the emulator injected (or crashes) across the runs."""
    notes: list[str] = field(default_factory=list)

    def add(self, *, settled: bool, same: bool | str, note: str = "") -> None:
        """Count one run; ``same`` is a bool or a :func:`_compare` verdict."""
        if same == "notification":
            self.notifications_lost += 1
        same = same in (True, "same", "notification")
        self.tried += 1
        if not settled:
            self.unsettled += 1
        elif same:
            self.survived += 1
        else:
            self.lost += 1
            self.notes.append(note)

    def merge(self, other: Tally) -> None:
        for name in (
            "tried",
            "survived",
            "lost",
            "unsettled",
            "leaks",
            "scanned",
            "notifications_lost",
            "injected",
        ):
            setattr(self, name, getattr(self, name) + getattr(other, name))
        self.notes += other.notes


# ------------------------------------------------------------------------------------ secrets and logs


def secrets() -> list[str]:
    """Every secret value the suite's environment holds (all must stay out of logs and answers)."""
    import base64

    from devkit.emulator.credentials import DEMO_HUAWEI_SK, DEMO_IAM_PASSWORD, DEMO_TENCENT_SECRET_KEY
    from devkit.invoke import DEV_WEBHOOK_SECRET

    raw_key = base64.b64decode(DEV_WEBHOOK_SECRET.removeprefix("whsec_")).decode()
    webhook = DEV_WEBHOOK_SECRET
    return [
        webhook,
        webhook.removeprefix("whsec_"),
        raw_key,
        DEMO_HUAWEI_SK,
        DEMO_IAM_PASSWORD,
        DEMO_TENCENT_SECRET_KEY,
    ]


class Texts(list[str]):
    """What a scenario produced: answers and exception texts it adds, plus the log lines (live)."""

    def __init__(self, buffer: io.StringIO) -> None:
        super().__init__()
        self.buffer = buffer

    def logged(self) -> list[str]:
        return self.buffer.getvalue().splitlines()


@contextmanager
def captured(tally: Tally) -> Iterator[Texts]:
    """Capture the functions' log lines; on exit count every text that contains a secret."""
    from shared.log import configure_logging

    texts = Texts(io.StringIO())
    configure_logging("DEBUG", stream=texts.buffer)
    try:
        yield texts
    except Exception as exc:
        texts.append(repr(exc))
        raise
    finally:
        configure_logging("INFO")
        everything = [*texts, *texts.logged()]
        tally.scanned += len(everything)
        values = secrets()
        tally.leaks += sum(1 for text in everything if any(s in text for s in values))


NOTIFICATIONS = "smn.messages"


def _compare(h: Harness, final: Any, baseline: tuple[Any, Counter[str]], repeats: frozenset[str]) -> str:
    """``same``; ``notification`` when only SMN messages are missing (publishing is at most once by
    design: a retried publish after a lost answer would notify twice); else ``different``."""
    fingerprint = h.fingerprint()
    expected = Counter(baseline[1])
    for key in repeats:
        fingerprint.pop(key, None)
        expected.pop(key, None)
    if outcome_class(final) != baseline[0]:
        return "different"
    if fingerprint == expected:
        return "same"
    missing = fingerprint[NOTIFICATIONS] < expected[NOTIFICATIONS]
    fingerprint.pop(NOTIFICATIONS, None)
    expected.pop(NOTIFICATIONS, None)
    return "notification" if missing and fingerprint == expected else "different"


def _same(h: Harness, final: Any, baseline: tuple[Any, Counter[str]], repeats: frozenset[str]) -> bool:
    return _compare(h, final, baseline, repeats) == "same"


def baseline(sample: Sample, tally: Tally) -> tuple[tuple[Any, Counter[str]], int]:
    """The fault-free outcome, fingerprint and number of mutating cloud calls of one delivery."""
    with captured(tally), Harness() as h:
        hooks_for(sample).setup(h, sample)
        before = h.mutating_calls
        run = h.deliver(sample)
        assert run.settled, f"{sample.id}: the fault-free delivery did not settle: {run.final}"
        return (outcome_class(run.final), h.fingerprint()), h.mutating_calls - before


# ------------------------------------------------------------------------------------------ scenarios


def duplicate(sample: Sample) -> Tally:
    tally = Tally()
    hooks = hooks_for(sample)
    with captured(tally) as texts, Harness() as h:
        hooks.setup(h, sample)
        first = h.deliver(sample, msg_id="msg_duplicate")
        expected = (outcome_class(first.final), h.fingerprint())
        calls = h.calls
        second = h.deliver(sample, msg_id="msg_duplicate")
        texts.extend(json.dumps(a, default=str) for a in first.answers + second.answers)
        # Answered from the store: not one cloud call (unless the function repeats by design).
        executed_once = h.calls == calls or "cloud_calls" in hooks.repeats
        same = executed_once and _same(h, second.final, expected, hooks.repeats)
        tally.add(settled=first.settled and second.settled, same=same, note=f"{sample.id}: {second.final}")
    return tally


def faults(sample: Sample, kind: str, seeds: int | None = None) -> Tally:
    tally = Tally()
    expected, _ = baseline(sample, tally)
    hooks = hooks_for(sample)
    for seed in range(seeds or profile()["seeds"]):
        with captured(tally) as texts, Harness(seed=seed, faults={kind: FAULT_RATE}) as h:
            hooks.setup(h, sample)
            h.attempts = hooks.attempts
            run = h.deliver(sample)
            texts.extend(json.dumps(a, default=str) for a in run.answers)
            same = _compare(h, run.final, expected, frozenset())
            tally.injected += h.injector.total()
            tally.add(settled=run.settled, same=same, note=f"{sample.id} {kind} seed {seed}: {run.final}")
    return tally


def crash(sample: Sample) -> Tally:
    tally = Tally()
    expected, calls = baseline(sample, tally)
    hooks = hooks_for(sample)
    for point in range(1, calls + 1):
        with captured(tally) as texts, Harness() as h:
            hooks.setup(h, sample)
            h.crash_at = h.mutating_calls + point
            run = h.deliver(sample)
            texts.extend(json.dumps(a, default=str) for a in run.answers)
            same = _compare(h, run.final, expected, frozenset()) if run.crashes == 1 else "different"
            tally.injected += run.crashes
            tally.add(settled=run.settled, same=same, note=f"{sample.id} crash at call {point}: {run.final}")
    return tally


def webhook(sample: Sample) -> Tally:
    """Forged, replayed, oversized and slow deliveries of a webhook sample; skipped for other triggers."""
    tally = Tally()
    hooks = hooks_for(sample)
    expected, _ = baseline(sample, tally)
    checks: list[Callable[[Harness, Sample, Any], tuple[bool, bool, str]]] = [
        _forged,
        _replayed,
        _oversized,
        _slow,
    ]
    for check in checks:
        with captured(tally) as texts, Harness() as h:
            hooks.setup(h, sample)
            if not h.runtime.needs_signature(sample.function, sample.event()):
                return Tally()
            settled, ok, note = check(h, sample, expected)
            texts.append(note)
            tally.add(settled=settled, same=ok, note=f"{sample.id} {check.__name__}: {note}")
    return tally


def _forged(h: Harness, sample: Sample, expected: Any) -> tuple[bool, bool, str]:
    import base64

    before = h.fingerprint()
    attacker = "whsec_" + base64.b64encode(b"an-attacker-key-00000000").decode()
    event = sign_with_id(
        sample.event(), attacker, "m1", h.runtime.needs_signature(sample.function, sample.event())
    )
    answer = h.deliver_once(sample, event)
    return True, answer["statusCode"] == 401 and h.fingerprint() == before, json.dumps(answer)


def _replayed(h: Harness, sample: Sample, expected: Any) -> tuple[bool, bool, str]:
    event = h.prepare(sample, "msg_captured")
    first = h.deliver_once(sample, event)
    after = h.fingerprint()
    again = h.deliver_once(sample, event)  # the captured request re-sent byte for byte
    same = again["statusCode"] == first["statusCode"] and again["body"] == first["body"]
    replayed = again["headers"].get("Idempotent-Replayed") == "true"
    return True, same and replayed and h.fingerprint() == after, json.dumps(again)


def _oversized(h: Harness, sample: Sample, expected: Any) -> tuple[bool, bool, str]:
    before = h.fingerprint()
    event = sample.event()
    event["body"] = json.dumps({"pad": "x" * (4 * 1024 * 1024 + 1)})
    event["isBase64Encoded"] = False
    scheme = h.runtime.needs_signature(sample.function, sample.event())
    answer = h.deliver_once(sample, sign_with_id(event, h.runtime.secret(), "msg_oversized", scheme))
    return True, answer["statusCode"] == 413 and h.fingerprint() == before, str(answer["statusCode"])


def _slow(h: Harness, sample: Sample, expected: Any) -> tuple[bool, bool, str]:
    """The cloud answers slower than the function's remaining time: 504 (retryable, lock released), then
    the sender's redelivery is processed once."""
    h.context_fields = {"timeout_seconds": 0.8}  # with the 0.5 s margin: 0.3 s for the handler
    h.slow_seconds = 0.35
    first = h.deliver_once(sample, h.prepare(sample, "msg_slow"))
    h.context_fields, h.slow_seconds = {}, 0.0
    run = h.deliver(sample, msg_id="msg_slow")
    ok = first["statusCode"] == 504 and _same(h, run.final, expected, frozenset())
    return run.settled, ok, f"{first['statusCode']} then {run.final['statusCode'] if run.final else None}"


class _DownStore(MemoryStore):
    """A Redis that stopped answering."""

    def put_if_absent(self, record: Any, now: float) -> bool:
        raise IdempotencyStoreError("Redis store failed (ConnectionError)")

    def get(self, key: str) -> Any:
        raise IdempotencyStoreError("Redis store failed (ConnectionError)")


_REDIS_PASSWORD = "hunter2-not-logged"
_STORE_FAILURES: dict[str, tuple[Any, str]] = {
    "redis client missing": (f"redis://:{_REDIS_PASSWORD}@127.0.0.1:6379/0", "opsfn package --with redis"),
    "store unreachable": (None, "idempotency store unavailable"),
}


def store(sample: Sample) -> Tally:
    """A queue delivery with the idempotency store misconfigured or down: every record is left to the
    platform's redelivery (it sees an error), one log line names the cause, nothing runs."""
    tally = Tally()
    if not isinstance(sample.event().get("records", sample.event().get("Records")), list):
        return tally
    for name, (url, cause) in _STORE_FAILURES.items():
        with captured(tally) as texts, Harness() as h, mock.patch.dict(sys.modules, {"redis": None}):
            hooks_for(sample).setup(h, sample)
            app = h.runtime.app(sample.function)
            with mock.patch.object(app, "_store", url if url else _DownStore()):
                calls = h.calls
                answer = h.deliver_once(sample, h.prepare(sample))
            texts.append(json.dumps(answer, default=str))
            failed = answer.get("records_failed") == len(answer.get("results", [])) > 0
            named = [line for line in texts.logged() if '"cause"' in line]
            named = len(named) == 1 and cause in named[0]
            # Nothing ran: the only call allowed is the SMN alarm of a permanent configuration error.
            ran = [path for path in h.paths[calls:] if not path.endswith("/publish")]
            ok = answer.get("redeliver") is True and failed and named and not ran
            tally.add(settled=True, same=ok, note=f"{sample.id} {name}: {json.dumps(answer)[:200]}")
    return tally


def _slots(value: Any, path: tuple[Any, ...] = ()) -> Iterator[tuple[Any, ...]]:
    """Paths to the JSON objects an event carries as strings (webhook body, queue messages, timer input)."""
    if isinstance(value, dict):
        for key, item in value.items():
            yield from _slots(item, (*path, key))
    elif isinstance(value, list):
        for index, item in enumerate(value):
            yield from _slots(item, (*path, index))
    elif isinstance(value, str) and value.lstrip().startswith(("{", "[")):
        with contextlib.suppress(ValueError):
            json.loads(value)
            yield path


def _put(event: Any, path: tuple[Any, ...], value: Any) -> None:
    for step in path[:-1]:
        event = event[step]
    event[path[-1]] = value


def platform_correct(answer: Any) -> bool:
    """An answer the platform accepts, and no unhandled failure (``internal``) inside it."""
    if not isinstance(answer, dict):
        return False
    if "statusCode" in answer:
        body = answer.get("body")
        ok_shape = isinstance(answer["statusCode"], int) and isinstance(body, str)
        return ok_shape and '"internal"' not in body and 100 <= answer["statusCode"] < 600
    if "results" in answer:
        return all(r.get("error") != "internal" for r in answer["results"])
    return "ok" in answer and answer.get("error") != "internal"


def fuzz(sample: Sample, examples: int | None = None) -> Tally:
    """Hypothesis mutates the envelope and the payloads (re-signed, so they reach validation); every
    answer must be platform-correct and free of unhandled failures."""
    from hypothesis import HealthCheck, given, settings
    from hypothesis import strategies as st

    leaf = st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=30)
    value = st.recursive(
        leaf,
        lambda c: st.lists(c, max_size=3) | st.dictionaries(st.text(max_size=8), c, max_size=3),
        max_leaves=8,
    )
    tally = Tally()
    base = sample.event()
    slots = list(_slots(base))
    with captured(tally) as texts, Harness() as h:
        hooks_for(sample).setup(h, sample)

        @settings(
            max_examples=examples or profile()["fuzz_examples"],
            database=None,
            derandomize=True,
            deadline=None,
            suppress_health_check=list(HealthCheck),
        )
        @given(data=st.data())
        def holds(data: Any) -> None:
            event = copy.deepcopy(base)
            if slots and data.draw(st.booleans()):
                slot = data.draw(st.sampled_from(slots))
                payload = json.loads(_get(event, slot))
                if isinstance(payload, dict) and payload and data.draw(st.booleans()):
                    payload[data.draw(st.sampled_from(sorted(payload)))] = data.draw(value)
                else:
                    payload = data.draw(value)
                _put(event, slot, json.dumps(payload))
            else:
                event[data.draw(st.sampled_from(sorted(event)))] = data.draw(value)
            signed = h.prepare_event(sample, event)
            tally.tried += 1
            answer = h.deliver_once(sample, signed)
            assert platform_correct(answer), answer
            tally.survived += 1

        try:
            holds()
        except Exception as exc:  # hypothesis re-raises the shrunk failure: one broken property
            tally.lost += 1
            tally.notes.append(f"{sample.id} fuzz: {type(exc).__name__}: {str(exc)[:300]}")
            texts.append(repr(exc))
    return tally


def _get(event: Any, path: tuple[Any, ...]) -> Any:
    for step in path:
        event = event[step]
    return event


def _faults_of(kind: str) -> Callable[[Sample], Tally]:
    return lambda sample: faults(sample, kind)


SCENARIOS: dict[str, Callable[[Sample], Tally]] = {
    "duplicate": duplicate,
    **{kind: _faults_of(kind) for kind in FAULT_KINDS},
    "crash": crash,
    "store": store,
    "webhook": webhook,
    "fuzz": fuzz,
}
