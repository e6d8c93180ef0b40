"""The common shape of every typed service client.

A client holds one pooled :class:`httpx.AsyncClient` (built by :func:`shared.http.make_client`, so retries,
re-signing and the emulator override come for free) and turns paths into typed-error-raising JSON calls.
Subclasses set :attr:`ServiceClient.service` and add one async method per API operation.

Paths are built in one place, :func:`build_path`, from a template such as
``/v1/{project_id}/secrets/{secret_name}`` and the values of its parameters. Values often come from events
(a secret name, an API id), so each one is checked and percent-quoted as exactly one path segment: an id
like ``abc?x=1`` or ``../other`` is refused before anything is sent instead of turning into a query string
or another resource's path (Starlette's path convertors do the same for the server side).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from types import TracebackType
from typing import TYPE_CHECKING, Any, ClassVar
from urllib.parse import quote

import httpx

from shared.errors import InvalidRequestParameter
from shared.http import make_client, request_json

if TYPE_CHECKING:
    from typing_extensions import Self, Unpack

    from shared.config import Settings
    from shared.http import RequestOptions

__all__ = ["ServiceClient", "build_path", "path_segment", "without_none"]

_PLACEHOLDER = re.compile(r"\{(\w+)(?::(\w+))?\}")
_SEPARATORS = ("/", "?", "#")
"""Characters that end a segment (``/``) or the path (``?``, ``#``); no id or name legitimately holds one."""
_DOT_SEGMENTS = (".", "..")


def path_segment(name: str, value: str, *, text: bool = False) -> str:
    """``value`` percent-quoted as one path segment, or :class:`InvalidRequestParameter` naming ``name``.

    Always refused: an empty value (the path would address the collection) and ``.``/``..`` (dot segments,
    which servers and proxies resolve to another path). An id or a name (the default) is also refused when
    it holds ``/``, ``?`` or ``#``: none legitimately does, and a server that decodes ``%2F`` before routing
    would see another path. ``text=True`` is for the few segments that are free text by the API's own rules
    (a CSMS tag key may hold ``/``, ``?`` and ``#``); those characters are then quoted like any other.
    Everything is quoted like the official Huawei SDK does (``quote(value, safe="")``), so ``:`` in an SMN
    topic URN or non-ASCII letters in a tag key travel as one segment.
    """
    if not isinstance(value, str):
        raise InvalidRequestParameter(name, f"must be a string, not {type(value).__name__}")
    if not value:
        raise InvalidRequestParameter(name, "is empty")
    if value in _DOT_SEGMENTS:
        raise InvalidRequestParameter(name, "may not be a dot segment ('.' or '..')")
    if not text:
        for character in _SEPARATORS:
            if character in value:
                raise InvalidRequestParameter(name, f"may not contain {character!r}")
    return quote(value, safe="")


def build_path(template: str, values: Mapping[str, str]) -> str:
    """Fill every ``{name}`` (an id) and ``{name:text}`` (free text) of ``template`` from ``values``.

    Each value goes through :func:`path_segment`. A placeholder without a value, a value without a
    placeholder or an unknown convertor is a programming error (``KeyError``/``ValueError``): a typo in a
    template must not send a literal ``{name}`` or silently drop an id.
    """
    found = _PLACEHOLDER.findall(template)
    unused = set(values) - {name for name, _ in found}
    missing = [name for name, _ in found if name not in values]
    if unused or missing:
        raise KeyError(f"template {template!r}: no value for {missing}, no placeholder for {sorted(unused)}")
    unknown = {convertor for _, convertor in found} - {"", "text"}
    if unknown:
        raise ValueError(f"template {template!r}: unknown convertor(s) {sorted(unknown)}")

    def fill(match: re.Match[str]) -> str:
        name, convertor = match.group(1), match.group(2)
        return path_segment(name, values[name], text=convertor == "text")

    return _PLACEHOLDER.sub(fill, template)


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

    def _path(self, template: str, values: Mapping[str, str] | None = None) -> str:
        """The request path for ``template``: ``{project_id}`` is the client's project, the rest ``values``.

        Every client method builds its path here (through :meth:`_request`), so no caller-supplied id reaches
        a URL unchecked; see :func:`build_path`.
        """
        filled = dict(values or {})
        if "{project_id}" in template and "project_id" not in filled:
            if not self.project_id:
                from shared.config import MissingSettingError

                raise MissingSettingError("HUAWEICLOUD_SDK_PROJECT_ID", f"{self.service} API {template}")
            filled["project_id"] = self.project_id
        return build_path(template, filled)

    async def _request(
        self,
        method: str,
        template: str,
        path_params: Mapping[str, str] | None = None,
        **options: Unpack[RequestOptions],
    ) -> Any:
        """Call the path built from ``template`` and ``path_params`` and return the parsed JSON.

        Raises ``CloudError`` for error answers and :class:`InvalidRequestParameter` (nothing sent) for a
        path parameter that is not one clean segment. ``None``-valued query parameters are dropped so
        optional filters can be passed straight through.
        """
        path = self._path(template, path_params)
        params = options.get("params")
        if params is not None:
            options["params"] = without_none(params)
        return await request_json(self.http, method, path, **options)

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
