"""What every Tencent APIGW action module shares: the call context, lookups, paging, binding queries.

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
from typing import Any, TypeVar

from devkit.emulator.core import tencent_error
from devkit.emulator.services.tencent_apigw.params import ENVIRONMENTS, Params
from devkit.emulator.services.tencent_apigw.state import (
    ApiState,
    ServiceState,
    TencentApigwBackend,
    Version,
)

__all__ = [
    "Action",
    "ActionContext",
    "api_environments",
    "filtered_page",
    "find_api",
    "find_service",
    "fuzzy_match",
    "matches_all",
    "page",
    "plans_bound_to",
    "running_version",
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


def find_service(backend: TencentApigwBackend, service_id: str) -> ServiceState:
    service = backend.services.get(service_id)
    if service is None:
        raise tencent_error("ResourceNotFound.InvalidService", f"The service `{service_id}` does not exist.")
    return service


def find_api(service: ServiceState, api_id: str) -> ApiState:
    api = service.apis.get(api_id)
    if api is None:
        raise tencent_error(
            "ResourceNotFound.InvalidApi", f"The API `{api_id}` does not exist in the service."
        )
    return api


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
