"""Outbound authentication for every scheme opsfn speaks, as ``httpx.Auth`` classes.

Request-signing schemes live in :mod:`shared.signing_huawei` and :mod:`shared.signing_tencent` and are
re-exported here, so callers (and the emulator's verifier) import one module. This module adds the two
bearer-token schemes: Huawei IAM tokens (``X-Auth-Token``) and Astro Zero OAuth2 client credentials. Both
cache the token until shortly before it expires, fetch it once however many threads or tasks ask at the same
time, and refresh it transparently once when the service answers 401 (a token revoked or rotated early).
"""

from __future__ import annotations

import abc
import contextlib
import threading
import weakref
from collections.abc import AsyncGenerator, Generator
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any, NamedTuple

import httpx

from shared import signing_huawei, signing_tencent
from shared.errors import AuthError, error_from_response
from shared.signing_huawei import *  # noqa: F403 - re-exported: every auth scheme is importable from here
from shared.signing_huawei import Clock, utc_now
from shared.signing_tencent import *  # noqa: F403

__all__ = [
    "IamTokenAuth",
    "OAuth2ClientCredentialsAuth",
    "iam_agency_token_body",
    "iam_domain_key",
    "iam_password_token_body",
    "iam_project_scope",
]
__all__ += signing_huawei.__all__
__all__ += signing_tencent.__all__

if TYPE_CHECKING:  # asyncio costs ~15 ms of cold start; only the async flow needs it, imported there
    import asyncio

Transport = httpx.BaseTransport | httpx.AsyncBaseTransport
_REFRESH_MARGIN = timedelta(minutes=5)
_FETCH_TIMEOUT = httpx.Timeout(10.0)


class _Token(NamedTuple):
    value: str
    expires_at: datetime


# A token exchange is a generator: it yields the requests to send and receives their responses, so the same
# logic runs over a sync or an async client.
TokenExchange = Generator[httpx.Request, httpx.Response, _Token]


def _raise_for_token_response(response: httpx.Response, service: str) -> None:
    if response.status_code in (200, 201):
        return
    error = error_from_response(response.status_code, response.content, response.headers, service=service)
    if error is None:  # a 1xx/3xx answer: still not a token
        error = AuthError(f"unexpected HTTP {response.status_code} from the token endpoint", service=service)
    raise error


class _CachedTokenAuth(httpx.Auth, abc.ABC):
    """Shared caching, locking and 401-refresh logic; subclasses only describe the token exchange."""

    requires_request_body = True
    """The resend after a 401 replays the body, so it is read before the flow (streamed bodies included)."""
    header_name = "X-Auth-Token"
    service = ""

    def __init__(self, *, clock: Clock | None, transport: Transport | None) -> None:
        self._clock = clock or utc_now
        self._transport = transport
        self._token: _Token | None = None
        self._thread_lock = threading.Lock()
        self._guard = threading.Lock()
        self._async_locks: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, asyncio.Lock] = (
            weakref.WeakKeyDictionary()
        )

    @abc.abstractmethod
    def _exchange(self) -> TokenExchange:
        """The token request of this scheme and how to read its answer."""

    def _prepare(self, request: httpx.Request) -> None:
        """Add scheme-specific headers besides the token (none by default)."""

    def _usable(self, stale: str | None) -> str | None:
        token = self._token
        if token is None or token.value == stale:
            return None
        if self._clock() >= token.expires_at - _REFRESH_MARGIN:
            return None
        return token.value

    def _remember(self, token: _Token) -> str:
        """Cache a freshly fetched token (the sync and async paths both end here, under their lock)."""
        self._token = token
        return token.value

    def invalidate(self) -> None:
        """Forget the cached token (e.g. after the credentials were rotated)."""
        self._token = None

    # -- sync --------------------------------------------------------------------------------------------

    def _sync_client(self) -> contextlib.AbstractContextManager[httpx.Client]:
        transport = self._transport
        if transport is None:
            return httpx.Client(timeout=_FETCH_TIMEOUT)
        if not isinstance(transport, httpx.BaseTransport):
            raise TypeError("a synchronous request needs a synchronous transport for the token endpoint")
        # A caller's transport may be shared with its own client: closing ours must not close it.
        return contextlib.nullcontext(httpx.Client(transport=transport, timeout=_FETCH_TIMEOUT))

    def sync_token(self, stale: str | None = None) -> str:
        """A valid token, fetching one (once, across threads) when none is cached or ``stale`` is cached."""
        value = self._usable(stale)
        if value is not None:
            return value
        with self._thread_lock:
            value = self._usable(stale)
            if value is not None:
                return value
            exchange = self._exchange()
            with self._sync_client() as client:
                request = next(exchange)
                try:
                    while True:
                        request = exchange.send(client.send(request))
                except StopIteration as done:
                    token: _Token = done.value
            return self._remember(token)

    def sync_auth_flow(self, request: httpx.Request) -> Generator[httpx.Request, httpx.Response, None]:
        """Send with the cached token; on a 401 fetch a fresh one and send the same request once more.

        Overriding the flow itself bypasses httpx's own ``requires_request_body`` handling, so the body is
        read here: a streamed body would otherwise be consumed by the first send and the resend go empty.
        """
        if self.requires_request_body:
            request.read()
        self._prepare(request)
        token = self.sync_token()
        request.headers[self.header_name] = token
        response = yield request
        if response.status_code == 401:
            request.headers[self.header_name] = self.sync_token(stale=token)
            yield request

    # -- async -------------------------------------------------------------------------------------------

    def _async_lock(self) -> asyncio.Lock:
        import asyncio

        loop = asyncio.get_running_loop()
        with self._guard:
            lock = self._async_locks.get(loop)
            if lock is None:
                lock = self._async_locks[loop] = asyncio.Lock()
            return lock

    def _async_client(self) -> contextlib.AbstractAsyncContextManager[httpx.AsyncClient]:
        transport = self._transport
        if transport is None:
            return httpx.AsyncClient(timeout=_FETCH_TIMEOUT)
        if not isinstance(transport, httpx.AsyncBaseTransport):
            raise TypeError("an asynchronous request needs an asynchronous transport for the token endpoint")
        return contextlib.nullcontext(httpx.AsyncClient(transport=transport, timeout=_FETCH_TIMEOUT))

    async def async_token(self, stale: str | None = None) -> str:
        """The async twin of :meth:`sync_token`: concurrent tasks share one fetch."""
        value = self._usable(stale)
        if value is not None:
            return value
        async with self._async_lock():
            value = self._usable(stale)
            if value is not None:
                return value
            exchange = self._exchange()
            async with self._async_client() as client:
                request = next(exchange)
                try:
                    while True:
                        request = exchange.send(await client.send(request))
                except StopIteration as done:
                    token: _Token = done.value
            return self._remember(token)

    async def async_auth_flow(self, request: httpx.Request) -> AsyncGenerator[httpx.Request, httpx.Response]:
        """The async twin of :meth:`sync_auth_flow`, reading an async streamed body the same way."""
        if self.requires_request_body:
            await request.aread()
        self._prepare(request)
        token = await self.async_token()
        request.headers[self.header_name] = token
        response = yield request
        if response.status_code == 401:
            request.headers[self.header_name] = await self.async_token(stale=token)
            yield request


def iam_domain_key(domain: str) -> str:
    """How IAM names an account: ``domain_id`` for an account id (32 hex characters), else ``domain_name``."""
    is_id = len(domain) == 32 and all(c in "0123456789abcdef" for c in domain)
    return "domain_id" if is_id else "domain_name"


def iam_project_scope(project_id: str | None, project_name: str | None) -> dict[str, Any] | None:
    """A project scope by id, else by name (a region such as ``cn-north-4``), else ``None``."""
    if project_id:
        return {"project": {"id": project_id}}
    if project_name:
        return {"project": {"name": project_name}}
    return None


def iam_password_token_body(
    domain_name: str, username: str, password: str, scope: dict[str, Any] | None
) -> dict[str, Any]:
    """The body asking IAM for a password token; ``scope=None`` scopes it to the user's account."""
    user = {"name": username, "password": password, "domain": {"name": domain_name}}
    identity = {"methods": ["password"], "password": {"user": user}}
    return {"auth": {"identity": identity, "scope": scope or {"domain": {"name": domain_name}}}}


def iam_agency_token_body(domain: str, agency_name: str, scope: dict[str, Any] | None) -> dict[str, Any]:
    """The body asking IAM for an agency (``assume_role``) token; ``scope=None`` scopes it to ``domain``."""
    key = iam_domain_key(domain)
    identity = {"methods": ["assume_role"], "assume_role": {key: domain, "agency_name": agency_name}}
    domain_scope = {"domain": {key.removeprefix("domain_"): domain}}
    return {"auth": {"identity": identity, "scope": scope or domain_scope}}


class IamTokenAuth(_CachedTokenAuth):
    """Authenticate with a Huawei IAM token in ``X-Auth-Token``.

    * Password: ``username``/``password``/``domain_name`` scoped to ``project_id`` or ``project_name`` (domain
      scope when neither is given).
    * Agency (``agency=(domain, agency_name)``): an ``assume_role`` token obtained with a base token, which
      is either ``base_token`` (e.g. the FunctionGraph context token) or a domain-scoped password token.
      ``domain`` is sent as ``domain_id`` when it looks like an account id (32 hex), else as ``domain_name``.

    The token (``X-Subject-Token`` of the 201 answer) is cached until 5 minutes before ``token.expires_at``.
    """

    service = "iam"

    def __init__(
        self,
        endpoint: str,
        *,
        username: str | None = None,
        password: str | None = None,
        domain_name: str | None = None,
        project_id: str | None = None,
        project_name: str | None = None,
        agency: tuple[str, str] | None = None,
        base_token: str | None = None,
        clock: Clock | None = None,
        transport: Transport | None = None,
    ) -> None:
        super().__init__(clock=clock, transport=transport)
        self._password_login = (
            (domain_name, username, password) if username and password and domain_name else None
        )
        if self._password_login is None and not (agency and base_token):
            raise ValueError(
                "IamTokenAuth needs username, password and domain_name (or agency with base_token)"
            )
        self._url = endpoint.rstrip("/") + "/v3/auth/tokens"
        self._username = username
        self._project_id = project_id
        self._project_name = project_name
        self._agency = agency
        self._base_token = base_token

    def __repr__(self) -> str:
        return f"IamTokenAuth(url={self._url!r}, username={self._username!r}, agency={self._agency!r})"

    def _password_request(self, scope: dict[str, Any] | None) -> httpx.Request:
        """The password token request; only reached with a password login (``__init__`` insists on one)."""
        if self._password_login is None:
            raise ValueError("IamTokenAuth has no password login")
        return httpx.Request("POST", self._url, json=iam_password_token_body(*self._password_login, scope))

    def _token_from(self, response: httpx.Response) -> _Token:
        _raise_for_token_response(response, self.service)
        value = response.headers.get("X-Subject-Token")
        if not value:
            raise AuthError("IAM answered without an X-Subject-Token header", service=self.service)
        from shared.triggers._fields import parse_time  # only when a token is fetched: keeps imports lean

        try:
            expires = parse_time(response.json()["token"]["expires_at"])
        except (ValueError, KeyError, TypeError):
            expires = None
        # Without a readable expiry assume one hour; a 401 still triggers a refresh.
        return _Token(value, expires or self._clock() + timedelta(hours=1))

    def _exchange(self) -> TokenExchange:
        project_scope = iam_project_scope(self._project_id, self._project_name)
        if self._agency is None:
            response = yield self._password_request(project_scope)
            return self._token_from(response)
        domain, agency_name = self._agency
        base = self._base_token
        if not base:
            response = yield self._password_request(None)
            base = self._token_from(response).value
        body = iam_agency_token_body(domain, agency_name, project_scope)
        response = yield httpx.Request("POST", self._url, json=body, headers={"X-Auth-Token": base})
        return self._token_from(response)


class OAuth2ClientCredentialsAuth(_CachedTokenAuth):
    """Astro Zero OAuth2 client credentials: ``POST .../baas/auth/v1.0/oauth2/token`` (form-encoded).

    The ``access_token`` is sent in the ``access-token`` header (Astro Zero's name, configurable) and
    cached until 5 minutes before ``expires_in`` runs out (10 minutes when the answer has no ``expires_in``).
    """

    service = "astro"

    def __init__(
        self,
        token_url: str,
        client_id: str,
        client_secret: str,
        *,
        header: str = "access-token",
        tenant_id: str | None = None,
        clock: Clock | None = None,
        transport: Transport | None = None,
    ) -> None:
        super().__init__(clock=clock, transport=transport)
        if not client_id or not client_secret:
            raise ValueError("both client_id and client_secret are required")
        self._token_url = token_url
        self._client_id = client_id
        self._client_secret = client_secret
        self.header_name = header
        self._tenant_id = tenant_id

    def __repr__(self) -> str:
        return f"OAuth2ClientCredentialsAuth(token_url={self._token_url!r}, client_id={self._client_id!r})"

    def _exchange(self) -> TokenExchange:
        form = {
            "grant_type": "client_credentials",
            "client_id": self._client_id,
            "client_secret": self._client_secret,
        }
        response = yield httpx.Request("POST", self._token_url, data=form)
        _raise_for_token_response(response, self.service)
        try:
            payload = response.json()
            value = payload["access_token"]
        except (ValueError, KeyError, TypeError):
            raise AuthError(
                "the token endpoint answered without an access_token", service=self.service
            ) from None
        if not isinstance(value, str) or not value:
            raise AuthError("the token endpoint answered with an empty access_token", service=self.service)
        try:
            lifetime = float(payload.get("expires_in") or 600)
        except (TypeError, ValueError):
            lifetime = 600.0
        return _Token(value, self._clock() + timedelta(seconds=lifetime))

    def _prepare(self, request: httpx.Request) -> None:
        if self._tenant_id:
            request.headers["tenant-id"] = self._tenant_id
