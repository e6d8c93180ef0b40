"""The common shape of every typed service client.

A client holds one pooled :class:`httpx.AsyncClient` (built by :func:`shared.http.make_client`, so retries,
re-signing and the emulator override come for free) and turns paths into typed-error-raising JSON calls.
Subclasses set :attr:`ServiceClient.service` and add one async method per API operation.
"""

from __future__ import annotations

from collections.abc import Mapping
from types import TracebackType
from typing import TYPE_CHECKING, Any, ClassVar

import httpx

from shared.http import make_client, request_json

if TYPE_CHECKING:
    from typing_extensions import Self

    from shared.config import Settings

__all__ = ["ServiceClient", "without_none"]

_PROJECT_PLACEHOLDER = "{project_id}"


def without_none(fields: Mapping[str, Any]) -> dict[str, Any]:
    """``fields`` minus the ``None`` values: optional parameters the caller left out are not sent at all."""
    return {k: v for k, v in fields.items() if v is not None}


class ServiceClient:
    """Base of the per-service clients; an async context manager that closes its HTTP client."""

    service: ClassVar[str]
    """Key of the service in :meth:`shared.config.Settings.endpoint` (``"ide"``, ``"tencent_apigw"``...)."""

    def __init__(self, http: httpx.AsyncClient, *, project_id: str = "") -> None:
        self.http = http
        self.project_id = project_id

    @classmethod
    def auth_for(cls, settings: Settings) -> httpx.Auth | None:
        """The request signer for this service; Huawei AK/SK by default, Tencent clients override."""
        auth: httpx.Auth = settings.huawei_auth()
        return auth

    @classmethod
    def http_for(
        cls, settings: Settings, *, transport: httpx.AsyncBaseTransport | None = None
    ) -> httpx.AsyncClient:
        """The pooled HTTP client for this service: endpoint, signer and timeout from ``settings``.

        Separate from :meth:`from_settings` so clients whose constructor takes other arguments (the Tencent
        region instead of a project) build their HTTP client exactly the same way.
        """
        return make_client(
            settings.endpoint(cls.service),
            cls.auth_for(settings),
            service=cls.service,
            timeout=httpx.Timeout(settings.http_timeout, connect=min(5.0, settings.http_timeout)),
            transport=transport,
        )

    @classmethod
    def from_settings(cls, settings: Settings, *, transport: httpx.AsyncBaseTransport | None = None) -> Self:
        """Build the client from settings: endpoint, signer, timeout; ``transport`` for tests/emulator."""
        return cls(cls.http_for(settings, transport=transport), project_id=settings.project_id)

    def _path(self, path: str) -> str:
        if _PROJECT_PLACEHOLDER in path:
            if not self.project_id:
                from shared.config import MissingSettingError

                raise MissingSettingError("HUAWEICLOUD_SDK_PROJECT_ID", f"{self.service} API {path}")
            path = path.replace(_PROJECT_PLACEHOLDER, self.project_id)
        return path

    async def _request(
        self,
        method: str,
        path: str,
        *,
        params: Mapping[str, Any] | None = None,
        json: Any = None,
        retry_safe: bool | None = None,
        headers: Mapping[str, str] | None = None,
    ) -> Any:
        """Call ``path`` (``{project_id}`` is filled in) and return the parsed JSON, raising ``CloudError``.

        ``None``-valued query parameters are dropped so optional filters can be passed straight through.
        """
        query = None if params is None else without_none(params)
        return await request_json(
            self.http,
            method,
            self._path(path),
            params=query,
            json=json,
            headers=headers,
            retry_safe=retry_safe,
        )

    async def aclose(self) -> None:
        """Close the pooled connections."""
        await self.http.aclose()

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.aclose()
