"""State of the faked Tencent API gateway for one account and region.

Plain dataclasses, no behaviour beyond bookkeeping, so :meth:`Service.snapshot` can deep-copy them. The
shapes follow the document's data structures; where the TCE document and the official SDK spell a field
differently the SDK's spelling is used in the answers (see the action modules).

Releases are modelled the way the console describes them: every ReleaseService freezes the service's *current*
API definitions into a version named after the release time (``20240101120000``); an environment runs one
version; UpdateService points an environment at another recorded version (rollback); UnReleaseService takes it
offline. The gateway serves the frozen copy, so API edits are invisible to callers until the next release.
"""

from __future__ import annotations

import secrets
import string
from collections.abc import Callable, Container, Iterable
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from typing import Any

import httpx

__all__ = [
    "DEFAULT_QUOTAS",
    "ApiApp",
    "ApiKey",
    "ApiState",
    "AppBinding",
    "Clock",
    "EnvState",
    "PlanBinding",
    "Quotas",
    "ReleaseRecord",
    "ServiceState",
    "TencentApigwBackend",
    "UsagePlan",
    "Version",
    "iso",
]

_ALNUM = string.ascii_letters + string.digits
_LOWER = string.ascii_lowercase + string.digits


@dataclass(frozen=True)
class Quotas:
    """The per-tenant limits table (使用限制); tests and benchmarks may replace it on a backend."""

    services: int = 50
    apis_per_service: int = 200
    usage_plans: int = 200
    api_keys: int = 400
    keys_per_plan: int = 50
    plans_per_key: int = 10
    apis_per_plan: int = 10000


DEFAULT_QUOTAS = Quotas()


def iso(moment: datetime) -> str:
    """``Datetime_iso``: ``YYYY-MM-DDThh:mm:ssZ`` in UTC."""
    return moment.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def random_id(prefix: str, length: int = 8) -> str:
    return prefix + "".join(secrets.choice(_LOWER) for _ in range(length))


def _unused(taken: Container[str], make: Callable[[], str]) -> str:
    """Draw ids from ``make`` until one is not in ``taken``: short random ids may collide, ids must not."""
    while True:
        candidate = make()
        if candidate not in taken:
            return candidate


def utc_now() -> datetime:
    return datetime.now(timezone.utc)


def random_secret(length: int) -> str:
    return "".join(secrets.choice(_ALNUM) for _ in range(length))


@dataclass
class ApiState:
    """One API definition; ``info`` holds the ``ApiInfo`` fields that do not need their own bookkeeping."""

    api_id: str
    name: str
    path: str
    method: str
    auth_type: str
    service_type: str
    created: datetime
    modified: datetime
    info: dict[str, Any] = field(default_factory=dict)


@dataclass
class Version:
    """A frozen copy of a service's APIs, produced by one ReleaseService."""

    name: str
    desc: str
    released_at: datetime
    apis: dict[str, ApiState]


@dataclass
class ReleaseRecord:
    """One line of DescribeServiceEnvironmentReleaseHistory: a release or a switch of one environment."""

    version_name: str
    desc: str
    at: datetime


@dataclass
class EnvState:
    version_name: str = ""
    released: bool = False
    history: list[ReleaseRecord] = field(default_factory=list)


@dataclass
class ServiceState:
    service_id: str
    name: str
    desc: str
    protocol: str
    net_types: list[str]
    ip_version: str
    outer_domain: str
    inner_domain: str
    created: datetime
    modified: datetime
    apis: dict[str, ApiState] = field(default_factory=dict)
    versions: dict[str, Version] = field(default_factory=dict)
    environments: dict[str, EnvState] = field(default_factory=dict)

    def released_environments(self) -> list[str]:
        return [name for name, env in self.environments.items() if env.released]


@dataclass
class ApiKey:
    access_key_id: str
    secret: str = field(repr=False)
    key_type: str
    name: str
    enabled: bool
    created: datetime
    modified: datetime
    plan_ids: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class PlanBinding:
    """A usage plan bound to a whole service environment (``api_id`` empty) or to one API in it."""

    service_id: str
    environment: str
    api_id: str = ""
    bound_at: datetime = field(default_factory=utc_now, compare=False)


@dataclass
class UsagePlan:
    plan_id: str
    name: str
    desc: str
    max_request_num: int
    max_request_num_pre_sec: int
    created: datetime
    modified: datetime
    key_ids: list[str] = field(default_factory=list)
    bindings: list[PlanBinding] = field(default_factory=list)
    in_use_requests: int = 0


@dataclass(frozen=True)
class AppBinding:
    service_id: str
    api_id: str
    environment: str
    bound_at: datetime = field(compare=False)


@dataclass
class ApiApp:
    app_id: str
    name: str
    desc: str
    app_key: str
    secret: str = field(repr=False)
    created: datetime
    modified: datetime
    bindings: list[AppBinding] = field(default_factory=list)


HttpBackend = Callable[[httpx.Request], httpx.Response]
"""Answers the gateway's call to an HTTP backend; tests plug one in to make a smoke test pass or fail."""

Clock = Callable[[], datetime]
"""Returns an aware UTC datetime: the emulator's clock, so tests can move time."""


@dataclass
class TencentApigwBackend:
    """Everything one account owns in one region, with the limits and clock the emulator was built with."""

    account: str
    region: str
    quotas: Quotas = DEFAULT_QUOTAS
    clock: Clock = utc_now
    services: dict[str, ServiceState] = field(default_factory=dict)
    api_keys: dict[str, ApiKey] = field(default_factory=dict)
    usage_plans: dict[str, UsagePlan] = field(default_factory=dict)
    apps: dict[str, ApiApp] = field(default_factory=dict)
    http_backend: HttpBackend | None = None
    _last_version: str = ""

    def next_version_name(self, now: datetime) -> str:
        """Release versions are named by release time; two releases in one second get consecutive names."""
        name = now.astimezone(timezone.utc).strftime("%Y%m%d%H%M%S")
        if self._last_version and name <= self._last_version:
            last = datetime.strptime(self._last_version, "%Y%m%d%H%M%S")
            name = (last + timedelta(seconds=1)).strftime("%Y%m%d%H%M%S")
        self._last_version = name
        return name

    def link_keys(self, plan: UsagePlan, keys: Iterable[ApiKey], now: datetime) -> None:
        """Bind ``keys`` to ``plan``; both sides record the binding."""
        for key in keys:
            plan.key_ids.append(key.access_key_id)
            key.plan_ids.append(plan.plan_id)
        plan.modified = now

    def unlink_keys(self, plan: UsagePlan, key_ids: Iterable[str], now: datetime) -> None:
        """Undo :meth:`link_keys` (a key may already be gone)."""
        for key_id in list(key_ids):
            plan.key_ids.remove(key_id)
            key = self.api_keys.get(key_id)
            if key is not None:
                key.plan_ids.remove(plan.plan_id)
        plan.modified = now

    def forget_app_bindings(self, service_id: str, api_id: str = "") -> None:
        """Drop the app bindings of a deleted service, or of one deleted API of it."""
        for app in self.apps.values():
            app.bindings = [
                b for b in app.bindings if b.service_id != service_id or api_id not in ("", b.api_id)
            ]

    def new_service_id(self) -> str:
        return _unused(self.services, lambda: random_id("service-"))

    def new_api_id(self, service: ServiceState) -> str:
        return _unused(service.apis, lambda: random_id("api-"))

    def new_plan_id(self) -> str:
        return _unused(self.usage_plans, lambda: random_id("usagePlan-"))

    def new_app_id(self) -> str:
        return _unused(self.apps, lambda: random_id("app-"))

    def new_access_key_id(self) -> str:
        return _unused(self.api_keys, lambda: "AKID" + random_secret(32))
