"""Calling APIs *published on* the faked Tencent gateway, with key-pair (``hmac``) authentication.

Two addressing schemes reach the same published API on the emulator's port:

* ``{base}/tencent-apigw/{ServiceId}/{environment}{api path}`` - works from any HTTP client;
* ``{base}/{environment}{api path}`` with ``Host: {OuterSubDomain}`` - the real gateway's "service domain +
  ``/{environment}`` + API path" rule, for callers that take the URL from DescribeServiceEnvironmentList.

The gateway serves the *released* version of the environment (edits are invisible until the next
ReleaseService). ``NONE`` APIs answer directly; ``SECRET`` APIs need ``Authorization: hmac id=...,
algorithm="hmac-sha1", headers="...", signature="..."`` whose signing string is ``name: value`` lines
(lower-case name, colon, space) of the listed headers joined by ``\\n``, and whose key is enabled, bound to a
usage plan, and that plan bound to the environment (service level) or to the API. The handbook gives no status
codes or bodies for refusals; they follow Tencent's public key-pair client-error table (401 for a missing
Authorization header, 403 with the listed messages for malformed ones and for "HMAC signature does not
match"), and a secret_id the environment does not know (unknown, disabled, or not bound through a usage plan)
is 401. ``OAUTH`` and ``APP`` authentication are not emulated and answer 403 saying so.

A MOCK backend answers its ``ServiceMockReturnMessage``; an HTTP backend is called through the account's
pluggable ``http_backend`` (502 when none is plugged in), so smoke tests can be made to pass or fail.
"""

from __future__ import annotations

import functools
import hmac
import json
import re
from collections.abc import Iterable
from datetime import timedelta
from email.utils import parsedate_to_datetime
from typing import TYPE_CHECKING

import httpx

from devkit.emulator.core import ApiError, Call, Route, Service, json_response, no_such_api
from devkit.emulator.services.tencent_apigw.params import ENVIRONMENTS
from devkit.emulator.services.tencent_apigw.state import (
    ApiState,
    Clock,
    ServiceState,
    TencentApigwBackend,
    UsagePlan,
)
from devkit.routing import register_convertor

if TYPE_CHECKING:
    from shared.auth import TencentApigwAuthorization

__all__ = ["GATEWAY_PREFIX", "make_gateway_service"]

GATEWAY_PREFIX = "/tencent-apigw"
register_convertor("tencent_service", "service-[a-z0-9]+")
register_convertor("tencent_env", "|".join(ENVIRONMENTS))
_BY_PATH = GATEWAY_PREFIX + "/{service_id:tencent_service}/{environment:tencent_env}{api_path:path}"
_BY_HOST = "/{environment:tencent_env}{api_path:path}"
_HOST_SERVICE = re.compile(r"^(?P<service_id>service-[a-z0-9]+)-[^.]*\.[^.]+\.apigateway\.")
_SERVED_METHODS = ("GET", "POST", "PUT", "DELETE", "PATCH", "HEAD", "OPTIONS")
_ID = re.compile(r'\bid\s*=\s*"[^"]+"')
_SIGNATURE = re.compile(r'\bsignature\s*=\s*"[^"]+"')
X_DATE_MAX_SKEW = timedelta(minutes=15)


def _message(status: int, text: str, headers: dict[str, str] | None = None) -> httpx.Response:
    return json_response(status, {"message": text}, headers)


def _refused(status: int, text: str) -> ApiError:
    """The gateway's own refusal shape ``{"message": ...}``."""
    return ApiError(_message(status, text))


def make_gateway_service(cloud: Service[TencentApigwBackend]) -> Service[None]:
    """A companion service without cloud-API verification that serves the published APIs of ``cloud``.

    It shares the cloud service's lock, so a call never sees a half-applied mutation.
    """
    handler = functools.partial(_invoke, cloud)
    routes = [
        Route(m, template, "InvokeApi", handler) for m in _SERVED_METHODS for template in (_BY_PATH, _BY_HOST)
    ]
    return Service("tencent_apigw_gateway", lambda key: None, routes=routes, auth="none", lock=cloud.lock)


def _locate(cloud: Service[TencentApigwBackend], service_id: str) -> tuple[TencentApigwBackend, ServiceState]:
    for backend in cloud.backends().values():
        service = backend.services.get(service_id)
        if service is not None:
            return backend, service
    raise _refused(404, f"The service {service_id} does not exist.")


def _invoke(cloud: Service[TencentApigwBackend], call: Call, _unused: None) -> httpx.Response:
    """Serve one call of a published API (both addressing schemes)."""
    request = call.request
    service_id = call.path_params.get("service_id")
    if service_id is None:
        found = _HOST_SERVICE.match(request.headers.get("host", ""))
        if found is None:
            return no_such_api(request)
        service_id = found.group("service_id")
    environment = call.path_params["environment"]
    api_path = call.path_params.get("api_path") or "/"
    backend, service = _locate(cloud, service_id)
    env = service.environments[environment]
    version = service.versions.get(env.version_name) if env.released else None
    if version is None:
        raise _refused(404, f"The service is not released to the {environment} environment.")
    api, suffix = _match_api(version.apis.values(), request.method, api_path)
    headers = {"X-Api-ID": api.api_id, "X-Service-ID": service.service_id}
    if api.auth_type == "SECRET":
        headers.update(_check_key_pair(backend, service, environment, api, request))
    elif api.auth_type != "NONE":
        raise _refused(403, f"{api.auth_type} authentication is not emulated; use SECRET or NONE.")
    return _backend_response(backend, api, request, suffix, headers)


def _match_api(apis: Iterable[ApiState], method: str, path: str) -> tuple[ApiState, str]:
    """Exact path first, then ``{param}`` templates, then the longest plain prefix (document §3.8)."""
    candidates = [a for a in apis if a.method in (method, "ANY")]
    for api in candidates:
        if api.path == path:
            return api, ""
    for api in candidates:
        if "{" in api.path:
            pattern = "^" + re.sub(r"\\\{\w+\\\}", "[^/]+", re.escape(api.path)) + "$"
            if re.match(pattern, path):
                return api, ""
    prefixed = [a for a in candidates if path.startswith(a.path)]
    if prefixed:
        best = max(prefixed, key=lambda a: len(a.path))
        return best, path[len(best.path) :]
    raise _refused(404, f"There is no api match {method} {path} in this environment.")


def _parse_authorization(request: httpx.Request) -> TencentApigwAuthorization:
    from shared.auth import parse_tencent_apigw_authorization

    value = request.headers.get("authorization")
    if not value:
        raise _refused(401, "HMAC signature cannot be verified, a validate authorization header is required")
    if value.strip().lower().startswith("hmac ") and not (_ID.search(value) and _SIGNATURE.search(value)):
        raise _refused(403, "id or signature missing")
    try:
        parsed = parse_tencent_apigw_authorization(value)
    except ValueError:
        raise _refused(403, "authorization headers is invalidate") from None
    if parsed.algorithm.lower() != "hmac-sha1":  # the only algorithm the document supports
        raise _refused(403, "authorization headers is invalidate")
    return parsed


def _signing_string(request: httpx.Request, names: list[str], clock: Clock) -> str:
    for name in names:
        if name not in request.headers:
            raise _refused(403, f"HMAC signature cannot be verified, a valid {name} header is required")
    if "date" not in names and "x-date" not in names:
        raise _refused(403, "HMAC signature cannot be verified, a valid date header is required")
    if "x-date" in names:
        try:
            signed_at = parsedate_to_datetime(request.headers["x-date"])
        except (TypeError, ValueError):
            signed_at = None
        if signed_at is None or signed_at.tzinfo is None or abs(clock() - signed_at) > X_DATE_MAX_SKEW:
            raise _refused(
                403,
                "HMAC signature cannot be verified, the x-date header is out of date for HMAC Authentication",
            )
    from shared.auth import tencent_apigw_signing_string

    return tencent_apigw_signing_string([(name, request.headers[name]) for name in names])


def _plans_for(
    backend: TencentApigwBackend, service: ServiceState, environment: str, api: ApiState
) -> list[UsagePlan]:
    return [
        plan
        for plan in backend.usage_plans.values()
        if any(
            b.service_id == service.service_id
            and b.environment == environment
            and b.api_id in ("", api.api_id)
            for b in plan.bindings
        )
    ]


def _check_key_pair(
    backend: TencentApigwBackend,
    service: ServiceState,
    environment: str,
    api: ApiState,
    request: httpx.Request,
) -> dict[str, str]:
    from shared.auth import tencent_apigw_signature

    authorization = _parse_authorization(request)
    names = [n.lower() for n in authorization.headers]
    signing_string = _signing_string(request, names, backend.clock)
    secret_id = authorization.secret_id
    key = backend.api_keys.get(secret_id)
    plan = next((p for p in _plans_for(backend, service, environment, api) if secret_id in p.key_ids), None)
    if key is None or not key.enabled or plan is None:
        raise _refused(
            401,
            "HMAC signature cannot be verified: the secret_id is unknown, disabled, or not bound to "
            "a usage plan of this environment",
        )
    expected = tencent_apigw_signature(key.secret, signing_string, "hmac-sha1")
    if not hmac.compare_digest(expected, authorization.signature):
        raise _refused(403, "HMAC signature does not match")
    plan.in_use_requests += 1
    return {
        "X-Secret-ID": key.access_key_id,
        "X-UsagePlan-ID": plan.plan_id,
        "X-RateLimit-Limit": str(plan.max_request_num_pre_sec),
    }


def _backend_response(
    backend: TencentApigwBackend, api: ApiState, request: httpx.Request, suffix: str, headers: dict[str, str]
) -> httpx.Response:
    if api.service_type == "MOCK":
        body = str(api.info.get("ServiceMockReturnMessage", ""))
        try:
            json.loads(body)
            content_type = "application/json"
        except ValueError:
            content_type = "text/plain; charset=utf-8"
        return httpx.Response(200, headers={**headers, "Content-Type": content_type}, content=body.encode())
    if api.service_type == "HTTP" and backend.http_backend is not None:
        config = api.info.get("ServiceConfig", {})
        url = (
            str(config.get("Url", "")).rstrip("/") + str(config.get("Path", "/")).rstrip("/") + (suffix or "")
        )
        upstream = httpx.Request(
            str(config.get("Method", request.method)),
            url or "/",
            params=request.url.params,
            headers={k: v for k, v in request.headers.items() if k.lower() not in ("host", "authorization")},
            content=request.content,
        )
        answer = backend.http_backend(upstream)
        answer.read()
        out = {
            k: v
            for k, v in answer.headers.items()
            if k.lower() not in ("content-length", "transfer-encoding")
        }
        return httpx.Response(answer.status_code, headers={**out, **headers}, content=answer.content)
    return _message(502, f"The {api.service_type} backend is not reachable from the emulator.", headers)
