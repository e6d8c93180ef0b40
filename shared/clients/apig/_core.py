"""The shared machinery of :class:`~shared.clients.apig.ApigClient`: instance paths, paging, error mapping.

APIG's HTTP statuses say less than its codes: quotas are 403 ``APIG.31xx`` (not an auth problem), duplicate
names are 400 ``APIG.32xx``/``APIG.3301`` (a conflict, not a malformed request) and "still in use" is 403
``APIG.34xx``. :func:`shared.errors.error_class_for` knows these families, so callers can catch
:class:`QuotaExceededError` / :class:`ConflictError` meaningfully.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable, Mapping
from typing import TYPE_CHECKING, Any, ClassVar, TypeVar

import httpx

from shared.clients.apig.models import Page
from shared.clients.base import ServiceClient, without_none
from shared.http import paginate

if TYPE_CHECKING:
    from typing_extensions import Self, Unpack

    from shared.config import Settings
    from shared.http import RequestOptions

T = TypeVar("T")

INSTANCE_ID_VARIABLE = "OPSFN_APIG_INSTANCE_ID"
MAX_PAGE = 500
_INSTANCE = "/v2/{project_id}/apigw/instances/{instance_id}"


class ApigCore(ServiceClient):
    """Requests relative to one dedicated instance; the instance id is found once when not configured."""

    service: ClassVar[str] = "apig"

    def __init__(self, http: httpx.AsyncClient, *, project_id: str = "", instance_id: str = "") -> None:
        super().__init__(http, project_id=project_id)
        self.instance_id = instance_id

    @classmethod
    def from_settings(
        cls,
        settings: Settings,
        *,
        transport: httpx.AsyncBaseTransport | None = None,
        instance_id: str | None = None,
    ) -> Self:
        """Like the base, plus the instance id: argument, else ``OPSFN_APIG_INSTANCE_ID``, else discovered."""
        client = super().from_settings(settings, transport=transport)
        client.instance_id = instance_id or settings.apig_instance_id
        return client

    async def _instance_params(self, path_params: Mapping[str, str] | None) -> dict[str, str]:
        """``path_params`` plus this instance's id, for a template below :data:`_INSTANCE`."""
        return {**(path_params or {}), "instance_id": await self.resolve_instance_id()}

    async def _instance_records(self) -> list[dict[str, Any]]:
        """The project's dedicated instances as the service lists them (project-level, no instance id)."""
        data = await self._request("GET", "/v2/{project_id}/apigw/instances", params={"limit": MAX_PAGE})
        instances: list[dict[str, Any]] = data.get("instances") or []
        return instances

    async def resolve_instance_id(self) -> str:
        """The configured instance id, or the project's only instance (an error when there are several)."""
        if not self.instance_id:
            instances = await self._instance_records()
            if len(instances) != 1:
                from shared.config import MissingSettingError

                raise MissingSettingError(
                    INSTANCE_ID_VARIABLE, f"choosing among {len(instances)} APIG instances in the project"
                )
            self.instance_id = str(instances[0]["id"])
        return self.instance_id

    async def _call(
        self,
        method: str,
        sub_path: str,
        path_params: Mapping[str, str] | None = None,
        **options: Unpack[RequestOptions],
    ) -> Any:
        """Call ``sub_path`` (a template like ``/apis/{api_id}``) below this instance's base path."""
        path_params = await self._instance_params(path_params)
        return await self._request(method, _INSTANCE + sub_path, path_params, **options)

    async def _page(
        self,
        sub_path: str,
        key: str,
        parse: Callable[[dict[str, Any]], T],
        params: Mapping[str, Any],
        offset: int,
        limit: int,
        path_params: Mapping[str, str] | None = None,
    ) -> Page[T]:
        """One page of a listing: the items under ``key`` of the answer, parsed, and its ``total``."""
        query = {**params, "offset": offset, "limit": limit}
        data = await self._call("GET", sub_path, path_params, params=query)
        items = [parse(item) for item in data.get(key) or []]
        return Page(items=items, total=int(data.get("total", len(items))), offset=offset)

    def _walk(
        self,
        fetch: Callable[[int, int], Awaitable[Page[T]]],
        page_size: int,
    ) -> AsyncIterator[T]:
        """Every item of a listing, page by page (``offset`` advances by the page size until ``total``)."""

        async def fetch_page(offset: int, limit: int) -> tuple[list[T], int | None]:
            page = await fetch(offset, limit)
            return page.items, page.total

        return paginate(fetch_page, limit=min(max(page_size, 1), MAX_PAGE))


def drop_none(**fields: Any) -> dict[str, Any]:
    """Request bodies without the optional fields the caller left out."""
    return without_none(fields)


def name_filter(name: str | None, precise: bool, **fields: Any) -> dict[str, Any]:
    """List-call query for a name search: APIG matches names fuzzily unless ``precise_search=name``."""
    return drop_none(name=name, precise_search="name" if precise and name else None, **fields)
