"""What every Tencent APIGW action module shares: the call context, lookups, limits, paging, binding queries.

Each action takes an :class:`ActionContext` and returns the fields that go inside ``Response`` (the dispatcher
adds ``RequestId``). Error codes are the documented ones; where the document lists several candidates the
choice is stated next to the check. Enumerations that have no dedicated code answer
``InvalidParameterValue.NotInOptions``; environment names answer ``InvalidParameterValue.InvalidEnv``.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Iterable, Iterator, Mapping
from dataclasses import dataclass
from datetime import datetime
from itertools import islice
from typing import Any, Protocol, TypeVar

from devkit.emulator.core import tencent_error
from devkit.emulator.services.tencent_apigw.params import ENVIRONMENTS, Params
from devkit.emulator.services.tencent_apigw.state import (
    ApiApp,
    ApiKey,
    ApiState,
    ServiceState,
    TencentApigwBackend,
    UsagePlan,
    Version,
    iso,
)

__all__ = [
    "Action",
    "ActionContext",
    "Described",
    "api_environments",
    "api_fields",
    "filtered_page",
    "find_api",
    "find_app",
    "find_key",
    "find_plan",
    "find_service",
    "fuzzy_match",
    "matches_all",
    "page",
    "plans_bound_to",
    "rename",
    "running_version",
    "within_limit",
]


@dataclass
class ActionContext:
    """What an action sees: this account's state, the call's parameters, the emulator's clock."""

    backend: TencentApigwBackend
    params: Params
    now: datetime


Action = Callable[[ActionContext], dict[str, Any]]


def page(items: Iterable[Any], total: int, offset: int, limit: int) -> tuple[list[Any], int]:
    """One page without materialising the listing: O(offset + limit), not O(total).

    An offset at or past the end is an empty page at once (``islice`` would also refuse a stop beyond
    ``sys.maxsize``, which an Int64 ``Offset`` near its maximum plus ``Limit`` reaches).
    """
    if offset >= total:
        return [], total
    return list(islice(items, offset, offset + limit)), total


T = TypeVar("T")
Filters = dict[str, list[str]]


def filtered_page(
    p: Params, rows: Mapping[str, T], supported: Collection[str], keep: Callable[[T, Filters], bool]
) -> tuple[list[T], int]:
    """The ``Describe*Status`` listing: ``Offset``/``Limit`` first, then ``Filters``, then one page.

    Without filters the page is cut straight from the stored rows (O(page)); with filters every row is
    tested by ``keep`` and the total is the number that matched.
    """
    offset, limit = p.paging()
    filters = p.filters(supported)
    items: Iterable[T] = rows.values()
    total = len(rows)
    if filters:
        matched = [row for row in rows.values() if keep(row, filters)]
        items, total = matched, len(matched)
    return page(items, total, offset, limit)


def matches_all(checks: Mapping[str, Callable[[T, list[str]], bool]]) -> Callable[[T, Filters], bool]:
    """A ``keep`` for :func:`filtered_page` from one test per filter name: every filter given must pass."""

    def keep(row: T, filters: Filters) -> bool:
        return all(test(row, filters[name]) for name, test in checks.items() if name in filters)

    return keep


def fuzzy_match(value: str, wanted: list[str]) -> bool:
    lowered = value.lower()
    return any(w.lower() in lowered for w in wanted)


def _lookup(rows: Mapping[str, T], row_id: str, code: str, message: str) -> T:
    """``rows[row_id]``, or the not-found error ``code`` with ``message`` (``{}`` stands for the id)."""
    row = rows.get(row_id)
    if row is None:
        raise tencent_error(code, message.format(row_id))
    return row


def find_service(backend: TencentApigwBackend, service_id: str) -> ServiceState:
    return _lookup(
        backend.services, service_id, "ResourceNotFound.InvalidService", "The service `{}` does not exist."
    )


def find_api(service: ServiceState, api_id: str) -> ApiState:
    return _lookup(
        service.apis, api_id, "ResourceNotFound.InvalidApi", "The API `{}` does not exist in the service."
    )


def find_plan(backend: TencentApigwBackend, plan_id: str) -> UsagePlan:
    return _lookup(
        backend.usage_plans,
        plan_id,
        "ResourceNotFound.InvalidUsagePlan",
        "The usage plan `{}` does not exist.",
    )


def find_app(backend: TencentApigwBackend, app_id: str) -> ApiApp:
    return _lookup(backend.apps, app_id, "ResourceNotFound.InvalidApiApp", "The app `{}` does not exist.")


def find_key(backend: TencentApigwBackend, key_id: str) -> ApiKey:
    return _lookup(
        backend.api_keys, key_id, "ResourceNotFound.InvalidAccessKeyId", "The key `{}` does not exist."
    )


def within_limit(total: int, limit: int, code: str, message: str) -> None:
    """Refuse with ``code`` when an operation would bring ``total`` above ``limit``.

    ``{}`` in ``message`` stands for the limit.
    """
    if total > limit:
        raise tencent_error(code, message.format(limit))


class Described(Protocol):
    """A resource with a name and a description (services, usage plans, apps)."""

    name: str
    desc: str


def rename(
    p: Params, resource: Described, prefix: str, read_name: Callable[[Params, str], str] = Params.text
) -> None:
    """Apply ``{prefix}Name`` and ``{prefix}Desc`` when given, as every Modify action does."""
    if f"{prefix}Name" in p:
        resource.name = read_name(p, f"{prefix}Name")
    if f"{prefix}Desc" in p:
        resource.desc = p.opt_text(f"{prefix}Desc") or ""


def api_fields(service: ServiceState, api: ApiState) -> dict[str, Any]:
    """The fields every API structure (``ApiInfo``, ``ApiIdStatus``, ``DesApisStatus``) starts with."""
    info = api.info
    return {
        "ServiceId": service.service_id,
        "ApiId": api.api_id,
        "ApiDesc": info.get("ApiDesc", ""),
        "CreatedTime": iso(api.created),
        "ModifiedTime": iso(api.modified),
        "ApiName": api.name,
        "ApiType": info.get("ApiType", "NORMAL"),
        "Protocol": info.get("Protocol", "HTTP"),
        "AuthType": api.auth_type,
        "ApiBusinessType": info.get("ApiBusinessType", ""),
        "AuthRelationApiId": info.get("AuthRelationApiId", ""),
        "IsDebugAfterCharge": bool(info.get("IsDebugAfterCharge", False)),
    }


def plans_bound_to(backend: TencentApigwBackend, service_id: str) -> Iterator[tuple[str, str, str]]:
    """``(plan_id, environment, api_id)`` for every binding of any plan to ``service_id``."""
    for plan in backend.usage_plans.values():
        for binding in plan.bindings:
            if binding.service_id == service_id:
                yield plan.plan_id, binding.environment, binding.api_id


def running_version(service: ServiceState, environment: str) -> Version | None:
    env = service.environments.get(environment)
    if env is None or not env.released:
        return None
    return service.versions.get(env.version_name)


def api_environments(service: ServiceState, api_id: str) -> list[str]:
    return [
        name
        for name in ENVIRONMENTS
        if (v := running_version(service, name)) is not None and api_id in v.apis
    ]
