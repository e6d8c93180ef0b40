"""Fault injection: make the emulator fail the way real clouds do, reproducibly.

Retry and back-off code is only trustworthy if it has seen throttling, 5xx answers, dropped connections and
timeouts. Rules pick requests by service and operation and fire with a probability drawn from one seeded
``random.Random`` (guarded by a lock, because the socket server handles requests in worker threads), so a
failing test replays identically with the same seed and the same request order.

Drops and timeouts are raised as subclasses of the httpx exceptions a real network produces, so an
in-process client sees exactly ``httpx.ConnectError`` / ``httpx.ReadTimeout``; the socket server catches the
subclasses and instead closes the connection without an answer, or holds it open past the client's timeout.
"""

from __future__ import annotations

import random
import re
import threading
import time
import uuid
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass

import httpx

from devkit.emulator.core import TENCENT_CONTENT_TYPE, json_response

__all__ = [
    "FAULT_KINDS",
    "DroppedConnection",
    "FaultInjector",
    "FaultRule",
    "SimulatedTimeout",
    "parse_fault_spec",
]

FAULT_KINDS = ("latency", "throttle", "error", "drop", "timeout")

_DEFAULT_STATUS = {"throttle": 429, "error": 503}


class DroppedConnection(httpx.ConnectError):
    """The emulator 'lost' the connection: no response at all."""


class SimulatedTimeout(httpx.ReadTimeout):
    """The emulator never answered in time; ``hold_seconds`` bounds how long the socket server stalls."""

    def __init__(self, message: str, *, request: httpx.Request, hold_seconds: float) -> None:
        super().__init__(message, request=request)
        self.hold_seconds = hold_seconds


@dataclass(frozen=True)
class FaultRule:
    """One injected behaviour.

    ``service`` and ``operation`` are exact names or ``*``. ``status`` overrides the answer for ``throttle``
    (429) and ``error`` (503); ``latency`` is the delay for ``latency`` and the stall for ``timeout``.
    """

    kind: str
    rate: float = 0.2
    service: str = "*"
    operation: str = "*"
    status: int | None = None
    retry_after: float | None = 1.0
    latency: float = 0.05

    def __post_init__(self) -> None:
        if self.kind not in FAULT_KINDS:
            raise ValueError(f"unknown fault kind {self.kind!r}; expected one of {', '.join(FAULT_KINDS)}")
        if not 0.0 <= self.rate <= 1.0:
            raise ValueError(f"fault rate must be between 0 and 1, got {self.rate}")
        if self.latency < 0:
            raise ValueError("fault latency must not be negative")

    def matches(self, service: str, operation: str) -> bool:
        return self.service in ("*", service) and self.operation in ("*", operation)


_SPEC = re.compile(r"^(?P<service>[\w*-]+)(?::(?P<operation>[\w*-]+))?:(?P<faults>.+)$")


def parse_fault_spec(spec: str) -> list[FaultRule]:
    """Parse ``service[:operation]:kind=rate[,kind=rate...]`` as given to ``opsfn emulator --fault``.

    Examples: ``ide:CreateLicenses:error=0.2,throttle=0.1``, ``*:drop=0.05``, ``apig:latency=1``.
    """
    m = _SPEC.match(spec.strip())
    if m is None:
        raise ValueError(f"bad fault spec {spec!r}; expected service[:operation]:kind=rate[,kind=rate]")
    rules = []
    for item in m["faults"].split(","):
        kind, sep, rate = item.partition("=")
        if not sep:
            raise ValueError(f"bad fault {item!r} in {spec!r}; expected kind=rate")
        try:
            value = float(rate)
        except ValueError:
            raise ValueError(f"bad fault rate {rate!r} in {spec!r}") from None
        rules.append(
            FaultRule(kind=kind.strip(), rate=value, service=m["service"], operation=m["operation"] or "*")
        )
    return rules


class FaultInjector:
    """Decides, per request, whether and how to fail it; counts what it injected.

    Rules are evaluated in the order added and each draws one random number, so the sequence of draws -
    and therefore the outcome - depends only on the seed and the order of requests.
    """

    def __init__(
        self,
        seed: int | None = None,
        *,
        sleep: Callable[[float], None] = time.sleep,
        timeout_hold: float = 5.0,
    ) -> None:
        self.rules: list[FaultRule] = []
        self.counts: Counter[tuple[str, str, str]] = Counter()
        self.timeout_hold = timeout_hold
        self._random = random.Random(seed)
        self._lock = threading.Lock()
        self._sleep = sleep

    def add(
        self,
        service: str = "*",
        operation: str = "*",
        *,
        kind: str,
        rate: float = 0.2,
        status: int | None = None,
        retry_after: float | None = 1.0,
        latency: float = 0.05,
    ) -> FaultRule:
        rule = FaultRule(kind, rate, service, operation, status, retry_after, latency)
        with self._lock:
            self.rules.append(rule)
        return rule

    def extend(self, rules: list[FaultRule]) -> None:
        with self._lock:
            self.rules.extend(rules)

    def clear(self) -> None:
        with self._lock:
            self.rules.clear()
            self.counts.clear()

    def reseed(self, seed: int | None) -> None:
        with self._lock:
            self._random.seed(seed)

    def total(self, kind: str | None = None) -> int:
        """How many faults were injected, optionally of one kind."""
        with self._lock:
            return sum(n for (_, _, k), n in self.counts.items() if kind is None or k == kind)

    def _pick(self, service: str, operation: str) -> FaultRule | None:
        with self._lock:
            for rule in self.rules:
                if rule.matches(service, operation) and self._random.random() < rule.rate:
                    self.counts[(service, operation, rule.kind)] += 1
                    return rule
        return None

    def apply(
        self, request: httpx.Request, service: str, operation: str, *, tencent: bool = False
    ) -> httpx.Response | None:
        """Return an injected response, raise an injected transport failure, or ``None`` to proceed.

        Latency sleeps and then lets the request through, like a slow but healthy service. ``tencent``
        selects Tencent's error shape (``Response.Error``), which Tencent sends even for throttling.
        """
        rule = self._pick(service, operation)
        if rule is None:
            return None
        if rule.kind == "latency":
            self._sleep(rule.latency)
            return None
        if rule.kind == "drop":
            raise DroppedConnection("connection dropped by the emulator (injected fault)", request=request)
        if rule.kind == "timeout":
            hold = max(rule.latency, self.timeout_hold)
            raise SimulatedTimeout(
                "emulator did not answer (injected fault)", request=request, hold_seconds=hold
            )
        headers = {}
        if rule.retry_after is not None and rule.kind == "throttle":
            headers["Retry-After"] = f"{rule.retry_after:g}"
        if tencent:
            return _tencent_fault(rule, headers)
        status = rule.status or _DEFAULT_STATUS[rule.kind]
        if rule.kind == "throttle":
            body = {"error_code": "APIGW.0308", "error_msg": "The throttling threshold has been reached."}
        else:
            body = {
                "error_code": "APIGW.0500",
                "error_msg": "Service temporarily unavailable (injected fault).",
            }
        return json_response(status, body, headers)


def _tencent_fault(rule: FaultRule, headers: dict[str, str]) -> httpx.Response:
    """Tencent answers throttling as HTTP 200 ``RequestLimitExceeded``; server failures keep a 5xx status."""
    if rule.kind == "throttle":
        code, msg, status = (
            "RequestLimitExceeded",
            "Request rate exceeded the frequency limit.",
            rule.status or 200,
        )
    else:
        code, msg, status = "InternalError", "Internal error (injected fault).", rule.status or 503
    rid = str(uuid.uuid4())
    body = {"Response": {"Error": {"Code": code, "Message": msg}, "RequestId": rid}}
    return json_response(status, body, {**headers, **TENCENT_CONTENT_TYPE}, request_id=rid)
