"""The emulator's sans-IO core: route a parsed ``httpx.Request`` to a service handler, return a response.

The same :meth:`Emulator.handle` serves the in-process ``httpx.MockTransport`` used by tests and the loopback
HTTP server used by the official SDKs, so both see identical behaviour. Services are moto-style: a route table
plus a backend object per isolation key (the Huawei project id, or the Tencent account and region), created
lazily and wiped by :meth:`Emulator.reset`.
"""

from __future__ import annotations

import copy
import functools
import json
import re
import threading
import uuid
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Generic, TypeVar
from urllib.parse import parse_qsl, unquote

import httpx

from devkit.routing import Router, compile_template

if TYPE_CHECKING:
    from devkit.emulator.credentials import EmulatorCredentials
    from devkit.emulator.faults import FaultInjector

__all__ = [
    "PROJECT_EXTENSION",
    "TENCENT_CONTENT_TYPE",
    "ApiError",
    "Call",
    "Emulator",
    "Route",
    "Service",
    "huawei_error",
    "json_response",
    "no_such_api",
    "tencent_error",
]

B = TypeVar("B")

Handler = Callable[["Call", Any], httpx.Response]


class ApiError(Exception):
    """Raised by a service handler to answer with an error response in the service's own shape."""

    def __init__(self, response: httpx.Response) -> None:
        super().__init__(f"HTTP {response.status_code}")
        self.response = response


def new_request_id() -> str:
    return uuid.uuid4().hex


def json_response(
    status: int, body: Any, headers: dict[str, str] | None = None, *, request_id: str | None = None
) -> httpx.Response:
    """A JSON response with the ``X-Request-Id`` header every Huawei service sends."""
    out = {"Content-Type": "application/json;charset=UTF-8", "X-Request-Id": request_id or new_request_id()}
    out.update(headers or {})
    content = b"" if body is None else json.dumps(body, ensure_ascii=False).encode()
    return httpx.Response(status, headers=out, content=content)


def huawei_error(status: int, code: str, msg: str, *, wrapped: bool = False) -> ApiError:
    """Huawei's flat ``{"error_code","error_msg"}`` error, or CSMS's ``{"error": {...}}`` when ``wrapped``."""
    rid = new_request_id()
    payload: dict[str, Any] = {"error_code": code, "error_msg": msg}
    body: dict[str, Any] = {"error": payload} if wrapped else {**payload, "request_id": rid}
    return ApiError(json_response(status, body, request_id=rid))


def no_such_api(request: httpx.Request) -> httpx.Response:
    """The answer to a request no service (or no published API) serves: the gateway's APIGW.0101."""
    return json_response(
        404,
        {
            "error_code": "APIGW.0101",
            "error_msg": "The API does not exist or has not been published in the environment: "
            f"{request.method} {request.url.path}",
        },
    )


PROJECT_EXTENSION = "opsfn_project"
"""Request extension where verification records the project a project-scoped IAM token belongs to."""

TENCENT_CONTENT_TYPE = {"Content-Type": "application/json"}
"""Tencent Cloud API answers carry this; the official SDK inspects ``Response.Error`` only for exactly it."""


def tencent_error(code: str, msg: str, request_id: str | None = None) -> ApiError:
    """Tencent answers every error as HTTP 200 with ``Response.Error``."""
    rid = request_id or str(uuid.uuid4())
    body = {"Response": {"Error": {"Code": code, "Message": msg}, "RequestId": rid}}
    return ApiError(json_response(200, body, TENCENT_CONTENT_TYPE, request_id=rid))


@dataclass
class Call:
    """One request as a service handler sees it: routing results plus lazily parsed body and query."""

    request: httpx.Request
    service: str
    operation: str
    path_params: dict[str, str]
    key: str  # isolation key: project id (Huawei) or "account/region" (Tencent)
    principal: str = ""  # the authenticated access key / user, set by verification
    _body: bytes | None = field(default=None, repr=False)

    @property
    def method(self) -> str:
        return self.request.method

    @property
    def path(self) -> str:
        return self.request.url.path

    @property
    def body(self) -> bytes:
        if self._body is None:
            self._body = self.request.read()
        return self._body

    @property
    def query(self) -> dict[str, str]:
        """Last value wins, like the services' own query parsing."""
        return dict(parse_qsl(self.request.url.query.decode(), keep_blank_values=True))

    def query_list(self, name: str) -> list[str]:
        return [v for k, v in parse_qsl(self.request.url.query.decode(), keep_blank_values=True) if k == name]

    def header(self, name: str, default: str = "") -> str:
        return str(self.request.headers.get(name, default))

    def json(self, *, error: Callable[[str], ApiError] | None = None) -> Any:
        """Parse the JSON body; a malformed body becomes the service's own validation error."""
        if not self.body:
            return {}
        try:
            return json.loads(self.body)
        except (ValueError, UnicodeDecodeError, RecursionError):  # nesting deeper than the parser's stack
            if error is not None:
                raise error("request body is not valid JSON") from None
            raise huawei_error(400, "APIG.2011", "request body is not valid JSON") from None


@dataclass(frozen=True)
class Route:
    """One documented operation: method, path template (as printed in the API reference), name, handler."""

    method: str
    template: str
    operation: str
    handler: Handler

    @functools.cached_property
    def pattern(self) -> re.Pattern[str]:
        return compile_template(self.template)


ANY_METHOD = "*"


class Service(Generic[B]):
    """A faked cloud service: a route table, one backend per isolation key, and one lock.

    Every service package builds its ``Service`` from a table of :class:`Route` rows (its ``routes.py``);
    handlers are plain functions ``(call, backend) -> httpx.Response``. The core serialises every handler of
    a service under the service's re-entrant lock (the socket server runs requests on worker threads and the
    state is plain Python data), and snapshots/restores backends with ``copy.deepcopy`` under the same lock,
    so backends hold no locks and need no copy hooks of their own. Services that share state (a management
    API and the gateway serving what it published) share one lock by passing ``lock=``.

    ``auth`` names the verification scheme the framework applies before dispatch: ``"huawei"`` (AK/SK
    signature or IAM token), ``"tencent"`` (TC3 or v1 signature), or ``"none"``.
    """

    def __init__(
        self,
        name: str,
        backend_factory: Callable[[str], B],
        *,
        routes: Iterable[Route] = (),
        auth: str = "huawei",
        key_fn: Callable[[httpx.Request, dict[str, str]], str] | None = None,
        lock: threading.RLock | None = None,
    ) -> None:
        self.name = name
        self.auth = auth
        self.key_fn = key_fn
        self._factory = backend_factory
        self._backends: dict[str, B] = {}
        self.lock = lock if lock is not None else threading.RLock()
        self._router: Router[Route] = Router()
        self.host_routes: list[tuple[re.Pattern[str], Route]] = []
        for row in routes:
            self.add(row)

    @property
    def routes(self) -> list[Route]:
        return [endpoint for _, _, endpoint in self._router]

    def add(self, route: Route) -> None:
        self._router.add(route.method, route.template, route)

    def host_route(self, host_pattern: str, operation: str, handler: Handler) -> None:
        """Serve every method and path of requests whose ``Host`` matches ``host_pattern``.

        For data planes addressed by domain name (a published API group's sub-domain): the pattern's named
        groups and ``rest`` (the request path) become the path parameters.
        """
        self.host_routes.append(
            (re.compile(host_pattern), Route(ANY_METHOD, "/{rest:path}", operation, handler))
        )

    def route(self, method: str, template: str, operation: str) -> Callable[[Handler], Handler]:
        """Decorator form of :meth:`add`, for small ad-hoc services (tests); service packages use tables."""

        def register(fn: Handler) -> Handler:
            self.add(Route(method.upper(), template, operation, fn))
            return fn

        return register

    def match(self, method: str, path: str) -> tuple[Route, dict[str, str]] | None:
        """Find the route; a path that matches with another method still counts as unmatched."""
        found = self._router.match(method, path)
        if found is None or found.endpoint is None:
            return None
        return found.endpoint, found.params

    def dispatch(self, route: Route, call: Call) -> httpx.Response:
        """Run ``route``'s handler on the call's isolated backend, serialised with the service's calls."""
        with self.lock:
            return route.handler(call, self.backend(call.key))

    def backend(self, key: str) -> B:
        with self.lock:
            if key not in self._backends:
                self._backends[key] = self._factory(key)
            return self._backends[key]

    def backends(self) -> dict[str, B]:
        with self.lock:
            return dict(self._backends)

    def reset(self) -> None:
        with self.lock:
            self._backends.clear()

    def snapshot(self) -> dict[str, B]:
        """A deep copy of every backend, for tests that compare state before and after."""
        with self.lock:
            return copy.deepcopy(self._backends)

    def restore(self, snapshot: dict[str, B]) -> None:
        with self.lock:
            self._backends = copy.deepcopy(snapshot)


Verifier = Callable[["Emulator", Service[Any], httpx.Request], str]
"""Checks a request's credentials for a service; returns the principal or raises :class:`ApiError`."""


class Emulator:
    """All faked services behind one ``handle`` entry point.

    Services are tried in registration order; the first whose route table matches the method and path wins.
    ``verifiers`` maps a service's ``auth`` scheme to the function that checks credentials, and ``faults`` is
    consulted before dispatch (see :mod:`devkit.emulator.faults`).
    """

    def __init__(self, services: Iterable[Service[Any]] = ()) -> None:
        self.services: list[Service[Any]] = list(services)
        self.verifiers: dict[str, Verifier] = {}
        self.before_dispatch: list[Callable[[Call], httpx.Response | None]] = []
        self.credentials: EmulatorCredentials | None = None  # set by devkit.emulator.setup.configure
        self.faults: FaultInjector | None = None
        self.options: dict[str, object] = {}  # service options such as ``ide_quota`` (see ``configure``)
        self._lock = threading.RLock()

    def add(self, service: Service[Any]) -> Service[Any]:
        self.services.append(service)
        return service

    def service(self, name: str) -> Service[Any]:
        for svc in self.services:
            if svc.name == name:
                return svc
        raise KeyError(name)

    def reset(self) -> None:
        for svc in self.services:
            svc.reset()

    def snapshot(self) -> dict[str, dict[str, Any]]:
        return {svc.name: svc.snapshot() for svc in self.services}

    def restore(self, snapshot: dict[str, dict[str, Any]]) -> None:
        for svc in self.services:
            if svc.name in snapshot:
                svc.restore(snapshot[svc.name])

    def transport(self) -> httpx.MockTransport:
        """In-process transport: ``httpx.AsyncClient(transport=emulator.transport())``, no sockets."""
        return httpx.MockTransport(self.handle)

    def _find(self, request: httpx.Request) -> tuple[Service[Any], Route, dict[str, str]] | None:
        # Match on the raw (still percent-encoded) path so an encoded "/" inside one segment, such as a tag
        # key, stays in that segment; placeholders are unquoted after matching.
        path = request.url.raw_path.split(b"?", 1)[0].decode("ascii")
        host = request.headers.get("host", "").split(":", 1)[0].lower()
        for svc in self.services:
            for host_pattern, host_route in svc.host_routes:
                hit = host_pattern.fullmatch(host)
                if hit:
                    return svc, host_route, {**hit.groupdict(), "rest": unquote(path)}
        for svc in self.services:
            found = svc.match(request.method, path)
            if found:
                return svc, found[0], found[1]
        return None

    @staticmethod
    def isolation_key(svc: Service[Any], request: httpx.Request, path_params: dict[str, str]) -> str:
        """Huawei state is per project: the path's project id, else ``X-Project-Id``, else the project of
        the verified IAM token (``PROJECT_EXTENSION``), else ``default``.

        A service with its own notion of tenancy (Tencent: account and region) passes ``key_fn``.
        """
        if svc.key_fn is not None:
            return svc.key_fn(request, path_params)
        return (
            path_params.get("project_id")
            or request.headers.get("x-project-id")
            or str(request.extensions.get(PROJECT_EXTENSION) or "")
            or "default"
        )

    def handle(self, request: httpx.Request) -> httpx.Response:
        """Route, inject faults, verify credentials, pick the isolated backend, dispatch.

        Faults come before verification (a throttled or dropped request never reaches the service, as with
        a real gateway); verification comes before the isolation key because the Tencent key depends on the
        account the verified SecretId belongs to (see ``verification.tencent_isolation_key``).
        """
        request.read()
        found = self._find(request)
        if found is None:
            return no_such_api(request)
        svc, route, params = found
        try:
            if self.faults is not None:
                tencent = svc.auth == "tencent"
                operation = _tencent_action(request) if tencent else ""
                injected = self.faults.apply(request, svc.name, operation or route.operation, tencent=tencent)
                if injected is not None:
                    return injected
            verifier = self.verifiers.get(svc.auth)
            principal = verifier(self, svc, request) if verifier is not None else ""
            call = Call(
                request=request,
                service=svc.name,
                operation=route.operation,
                path_params=params,
                key=self.isolation_key(svc, request, params),
                principal=principal,
            )
            for hook in self.before_dispatch:
                early = hook(call)
                if early is not None:
                    return early
            return svc.dispatch(route, call)
        except ApiError as exc:
            return exc.response


def _tencent_action(request: httpx.Request) -> str:
    """Tencent routes every action through ``/``; faults select by ``X-TC-Action`` or the v1 ``Action``."""
    from devkit.emulator.verification import tencent_v1_params

    return request.headers.get("x-tc-action") or tencent_v1_params(request).get("Action", "")
