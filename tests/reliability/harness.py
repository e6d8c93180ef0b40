"""The reliability harness: every function of ``template.yaml`` with its sample events, run as a platform
would run it - with redeliveries, injected cloud faults and crashes - against a fresh emulator.

What the platform does is modelled on the documented behaviour: a webhook sender re-sends the same
``webhook-id`` (re-signed) while the answer is 5xx or a retryable 409; a queue platform redelivers the batch
while the invocation fails (``redeliver``); a timer that answered is not retried. A *crash* is the function
process dying at a chosen cloud call: the exception unwinds nothing (the store updates the dying process
would have made are dropped), and the platform redelivers after the function's timeout (a fake clock jumps
past it, so nothing sleeps).

The outcome of a scenario is compared with the same delivery on a fault-free emulator, through a
*fingerprint* of the emulator's state (counts of every collection of every service, plus the bound seats):
equal means nothing was lost and nothing was done twice.
"""

from __future__ import annotations

import asyncio
import contextlib
import copy
import json
import time
import uuid
from collections import Counter
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from unittest import mock

import httpx

from devkit.emulator.faults import FaultInjector
from devkit.invoke import LocalRuntime, to_platform
from devkit.template import FunctionSpec, Template, load_template
from shared.idempotency import IdempotencyRecord, IdempotencyStore
from shared.idempotency.memory import MemoryStore

REPO = Path(__file__).resolve().parents[2]
TEMPLATE: Template = load_template(REPO / "template.yaml")
MAX_ATTEMPTS = 12


class Crash(BaseException):
    """The function process died (not an ``Exception``: nothing in the runtime may handle it)."""


class FakeClock:
    def __init__(self) -> None:
        self.now = time.time()

    def __call__(self) -> float:
        return self.now


AUDIT_TRAILS = frozenset({"traces"})
"""Backend attributes that log calls (APIG's CTS traces) rather than hold state."""


class CrashableStore(IdempotencyStore):
    """A memory store whose updates stop once the process has "crashed" (they would never be sent)."""

    shared = True

    def __init__(self) -> None:
        self.inner = MemoryStore()
        self.crashed = False

    def get(self, key: str) -> IdempotencyRecord | None:
        return self.inner.get(key)

    def put_if_absent(self, record: IdempotencyRecord, now: float) -> bool:
        return False if self.crashed else self.inner.put_if_absent(record, now)

    def update(self, record: IdempotencyRecord, now: float) -> bool:
        return False if self.crashed else self.inner.update(record, now)

    def delete(self, key: str, token: str) -> bool:
        return False if self.crashed else self.inner.delete(key, token)

    def close(self) -> None:
        self.inner.close()


@dataclass(frozen=True)
class Sample:
    function: str
    path: Path

    @property
    def id(self) -> str:
        return f"{self.function}/{self.path.stem}"

    def event(self) -> dict[str, Any]:
        data: dict[str, Any] = json.loads(self.path.read_text(encoding="utf-8"))
        return data


def samples(template: Template = TEMPLATE) -> list[Sample]:
    """Every sample event of every function in the template (new functions are picked up here)."""
    return [
        Sample(name, path)
        for name in template.functions
        for path in sorted((REPO / "events" / name).glob("*.json"))
    ]


@dataclass
class Settled:
    """What the platform saw over the attempts of one delivery."""

    answers: list[Any] = field(default_factory=list)
    crashes: int = 0
    settled: bool = False

    @property
    def final(self) -> Any:
        return self.answers[-1] if self.answers else None


def retry_wanted(answer: Any) -> bool:
    """Whether the platform (or a webhook sender) delivers again after this answer."""
    if not isinstance(answer, dict):
        return True
    if "statusCode" in answer:
        status = int(answer["statusCode"])
        body = answer.get("body") or ""
        return status >= 500 or (status == 409 and '"in_progress"' in str(body))
    return bool(answer.get("redeliver"))


def outcome_class(answer: Any) -> Any:
    """The part of an answer that must match the fault-free run (ids and timings differ by design)."""
    if not isinstance(answer, dict):
        return repr(answer)
    if "statusCode" in answer:
        return ("http", answer["statusCode"])
    if "results" in answer:
        return ("batch", answer["records_ok"], answer["records_failed"])
    return ("result", answer.get("ok"), answer.get("status"))


class Harness:
    """One fresh emulator, store and clock for a scenario; the template's functions wired to them."""

    def __init__(self, *, seed: int | None = None, faults: Mapping[str, float] | None = None) -> None:
        self.runtime = LocalRuntime(TEMPLATE, REPO, target="emulator")
        self.store = CrashableStore()
        self.clock = FakeClock()
        self.injector = FaultInjector(seed, sleep=lambda _s: None)
        for kind, rate in (faults or {}).items():
            self.injector.add(kind=kind, rate=rate, retry_after=0.0)
        self.calls = 0
        self.paths: list[str] = []
        self.mutating_calls = 0
        self.crash_at: int | None = None
        self.attempts = MAX_ATTEMPTS
        self.context_fields: dict[str, Any] = {}
        self.slow_seconds = 0.0
        self._stack = contextlib.ExitStack()

    def __enter__(self) -> Harness:
        from shared.http import RetryPolicy, use_transport

        stack = self._stack
        stack.enter_context(self.runtime.running())
        self.runtime.emulator.faults = self.injector
        stack.enter_context(use_transport(httpx.MockTransport(self._handle)))
        # The clients' retry waits: the schedule is tested in tests/http; here only what is retried matters.
        stack.enter_context(mock.patch.object(RetryPolicy, "delay", lambda _self, _n, _ra: 0.0))
        for name in TEMPLATE.functions:
            app = self.runtime.app(name)
            for attr, value in (("_store", self.store), ("_clock", self.clock)):
                stack.enter_context(mock.patch.object(app, attr, value))
        return self

    def __exit__(self, *exc: object) -> None:
        self._stack.close()

    async def _handle(self, request: httpx.Request) -> httpx.Response:
        if self.slow_seconds:
            await asyncio.sleep(self.slow_seconds)  # a slow cloud: cancellable, as real network I/O is
        self.calls += 1
        self.paths.append(f"{request.method} {request.url.path}")
        if request.method != "GET":
            self.mutating_calls += 1
            if self.crash_at is not None and self.mutating_calls == self.crash_at:
                self.store.crashed = True
                raise Crash(f"killed at mutating call {self.crash_at}")
        response: httpx.Response = self.runtime.emulator.handle(request)
        return response

    def function(self, name: str) -> FunctionSpec:
        return TEMPLATE.functions[name]

    def prepare(self, sample: Sample, msg_id: str | None = None) -> dict[str, Any]:
        """The sample as its platform delivers it; webhooks signed now with ``msg_id`` (one per delivery,
        repeated on redelivery)."""
        event = sample.event()
        scheme = self.runtime.needs_signature(sample.function, event)
        if scheme:
            event = sign_with_id(event, self.runtime.secret(), msg_id or f"msg_{uuid.uuid4().hex}", scheme)
        return event

    def prepare_event(self, sample: Sample, event: dict[str, Any]) -> dict[str, Any]:
        """Any (possibly mutated) event of the sample's function, signed when its route verifies."""
        try:
            scheme = self.runtime.needs_signature(sample.function, event)
        except Exception:  # an envelope too broken to read is delivered as it is
            scheme = ""
        return (
            sign_with_id(event, self.runtime.secret(), f"msg_{uuid.uuid4().hex}", scheme) if scheme else event
        )

    def deliver_once(self, sample: Sample, event: dict[str, Any]) -> Any:
        """One attempt; a crash is re-raised after the platform notices (the process is gone)."""
        self.store.crashed = False
        try:
            invoked = self.runtime.invoke(
                sample.function, copy.deepcopy(event), sign=False, context_fields=self.context_fields
            )
            return invoked.response
        finally:
            if self.store.crashed:
                # The platform kills the invocation at its timeout; the lock it left expires with it.
                self.clock.now += TEMPLATE.timeout(self.function(sample.function)) + 1
                self.crash_at = None

    def deliver(self, sample: Sample, msg_id: str | None = None) -> Settled:
        """Deliver until the platform would stop: a final answer, or ``self.attempts`` (default
        :data:`MAX_ATTEMPTS`)."""
        out = Settled()
        msg_id = msg_id or f"msg_{uuid.uuid4().hex}"
        for _ in range(self.attempts):
            event = self.prepare(sample, msg_id)  # re-signed per attempt, as senders do
            try:
                answer = self.deliver_once(sample, event)
            except Crash:
                out.crashes += 1
                continue
            out.answers.append(answer)
            if not retry_wanted(answer) or _is_timer(answer):
                out.settled = True
                break
        return out

    def fingerprint(self) -> Counter[str]:
        """Counts of every collection held by every emulated service (and the bound seats).

        Audit trails (:data:`AUDIT_TRAILS`, the CTS-shaped call records) are left out: they count calls,
        not state, and a run recovered after a crash rightly makes more calls to reach the same state.
        """
        counts: Counter[str] = Counter()
        for service in self.runtime.emulator.services:
            for backend in service.backends().values():
                for attr, value in vars(backend).items():
                    if attr in AUDIT_TRAILS:
                        continue
                    if not attr.startswith("_") and isinstance(value, (dict, list, set)):
                        counts[f"{service.name}.{attr}"] += len(value)
                for record in getattr(backend, "licenses", {}).values():
                    if getattr(record, "machine_code", ""):
                        counts[f"ide.bound:{record.user_id}:{record.machine_code[:8]}"] += 1
        return +counts


def _is_timer(answer: Any) -> bool:
    """Timers answered with a result are not retried by the platform (only a raised error is)."""
    return isinstance(answer, dict) and "statusCode" not in answer and "results" not in answer


def sign_with_id(event: dict[str, Any], secret: str, msg_id: str, scheme: str = "") -> dict[str, Any]:
    """The event signed for its exact body with a chosen delivery id, by the route's scheme (Standard
    Webhooks ``webhook-id``, or GitHub's ``X-GitHub-Delivery``)."""
    from devkit.invoke import sign_event

    return sign_event(event, secret, scheme="github" if scheme == "github" else "", msg_id=msg_id)


@contextlib.contextmanager
def harness(**kwargs: Any) -> Iterator[Harness]:
    with Harness(**kwargs) as h:
        yield h


__all__ = [
    "MAX_ATTEMPTS",
    "TEMPLATE",
    "Crash",
    "Harness",
    "Sample",
    "Settled",
    "harness",
    "outcome_class",
    "retry_wanted",
    "samples",
    "sign_with_id",
    "to_platform",
]
