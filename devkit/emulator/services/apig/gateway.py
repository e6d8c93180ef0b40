"""The data plane of the faked APIG: calling a published API, and the backend call behind it.

Published APIs are served on the emulator port like on the real gateway, with the group's sub-domain
(``sl_domain``, ``{group id}.apic.opsfn.local``) in the ``Host`` header and the API's ``req_uri`` as the path;
or, for clients that cannot set ``Host``, under ``/apig-gateway/{group}/...`` where ``{group}`` is the group
id or its ``sl_domain``. The signature covers the path that is sent, so SDK-signed APP calls verify exactly as
on the cloud. The environment is chosen with the ``X-Stage`` header (environment name), RELEASE when
absent - the real gateway's convention.

The gateway runs, in order: route match on the environment's *runtime* definitions (``APIGW.0101``), ACL
(``APIGW.0401``), authentication - NONE, APP (``SDK-HMAC-SHA256`` with the APP's key and secret, or the
``X-Apig-AppCode`` header when the API allows AppCodes; ``APIGW.0303``/``APIGW.0304``) or IAM (the emulator's
own AK/SK or token verifier) - throttling (``APIGW.0308``, HTTP 429), then the backend. A web backend is the
pluggable :attr:`ApigBackend.http_backend` callable; when a signature key is bound to the publish record the
backend request is signed with it (hmac: ``SDK-HMAC-SHA256`` with key/secret; basic: HTTP Basic), so key
rotations can be tested end to end. The same backend path serves the management API's debug call.
"""

from __future__ import annotations

import base64
import functools
import hmac
import ipaddress
import re
import time
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any

import httpx

from devkit.emulator.core import ApiError, Call, Emulator, Route, Service, json_response
from devkit.emulator.services.apig.state import (
    GROUP_DOMAIN_SUFFIX,
    RELEASE_ENV_ID,
    ApigBackend,
    Instance,
    new_id,
)

__all__ = ["GATEWAY_PREFIX", "BackendCall", "call_backend", "make_gateway_service", "match_path"]

GATEWAY_PREFIX = "/apig-gateway"
GROUP_DOMAIN_PATTERN = r"(?P<group>[a-z0-9-]+\." + re.escape(GROUP_DOMAIN_SUFFIX) + ")"
MAX_SKEW_SECONDS = 15 * 60
_METHODS = ("GET", "POST", "PUT", "DELETE", "HEAD", "PATCH", "OPTIONS")
_WINDOW_UNITS = {"SECOND": 1, "MINUTE": 60, "HOUR": 3600, "DAY": 86400}


def gateway_error(status: int, code: str, msg: str) -> ApiError:
    """Errors of the data plane carry ``APIGW.*`` codes and the request id, like the real gateway's."""
    rid = new_id()
    return ApiError(
        json_response(status, {"error_code": code, "error_msg": msg, "request_id": rid}, request_id=rid)
    )


def _app_auth_error(detail: str) -> ApiError:
    return gateway_error(401, "APIGW.0303", f"Incorrect app authentication information: {detail}")


# ---------------------------------------------------------------- matching


def match_path(definition: dict[str, Any], method: str, path: str) -> dict[str, str] | None:
    """Path parameters when ``method path`` hits the definition (NORMAL exact, SWA prefix), else None."""
    if definition["req_method"] not in ("ANY", method):
        return None
    parts = re.split(r"(\{[^}]+\})", definition["req_uri"])
    regex = ""
    for part in parts:
        if part.startswith("{") and part.endswith("}"):
            name = part[1:-1]
            greedy = name.endswith("+")
            name = name.rstrip("+")
            regex += f"(?P<{re.sub(r'[^A-Za-z0-9_]', '_', name)}>{'.+' if greedy else '[^/]+'})"
        else:
            regex += re.escape(part)
    if definition.get("match_mode") == "SWA":
        found = re.match(regex if regex.endswith("/") else regex + r"(?:/.*)?$", path)
    else:
        found = re.fullmatch(regex, path)
    return dict(found.groupdict()) if found else None


def _match(
    inst: Instance, group_id: str, env_id: str, method: str, path: str
) -> tuple[dict[str, Any], dict[str, Any], dict[str, str]] | None:
    """Exact (NORMAL) matches win over prefix (SWA) ones, longer prefixes over shorter ones."""
    best: tuple[int, dict[str, Any], dict[str, Any], dict[str, str]] | None = None
    for (_, record_env), record in inst.publishes.items():
        if record_env != env_id:
            continue
        definition = inst.definition(record)
        if definition["group_id"] != group_id:
            continue
        params = match_path(definition, method, path)
        if params is None:
            continue
        score = 100000 if definition.get("match_mode") != "SWA" else len(definition["req_uri"])
        if definition["req_method"] != "ANY":
            score += 1
        if best is None or score > best[0]:
            best = (score, definition, record, params)
    return None if best is None else (best[1], best[2], best[3])


# ---------------------------------------------------------------- backend call


@dataclass(frozen=True)
class BackendCall:
    """The front-end request as the backend call sees it."""

    method: str
    path: str
    query: dict[str, str]
    headers: dict[str, str]
    body: bytes
    path_params: dict[str, str] = field(default_factory=dict)


def _substitute_variables(inst: Instance, group_id: str, env_id: str, text: str) -> str:
    """``#Name#`` environment variables are replaced by their value in the environment (3.3.1)."""

    def value(m: re.Match[str]) -> str:
        for var in inst.variables:
            if var["group_id"] == group_id and var["env_id"] == env_id and var["variable_name"] == m.group(1):
                return str(var["variable_value"])
        return m.group(0)

    return re.sub(r"#([A-Za-z][A-Za-z0-9_\-]{2,31})#", value, text)


def _sign_backend_request(request: httpx.Request, sign: dict[str, Any]) -> None:
    if sign["sign_type"] == "hmac":
        from shared.auth import HuaweiAKSKAuth

        HuaweiAKSKAuth(sign["sign_key"], sign["sign_secret"]).sign(request)
    elif sign["sign_type"] == "basic":
        token = base64.b64encode(f"{sign['sign_key']}:{sign['sign_secret']}".encode()).decode()
        request.headers["Authorization"] = f"Basic {token}"


def _web_target(
    inst: Instance, definition: dict[str, Any], env_id: str, front: BackendCall
) -> tuple[str, str]:
    """Method and URL of a web backend: variables substituted, path parameters filled in."""
    web = definition["backend_api"]
    host = _substitute_variables(inst, definition["group_id"], env_id, str(web.get("url_domain", "")))
    uri = _substitute_variables(inst, definition["group_id"], env_id, str(web["req_uri"]))
    for name, value in front.path_params.items():
        uri = re.sub(r"\{" + re.escape(name) + r"\+?\}", value, uri)
    prefix = str(definition["req_uri"]).rstrip("/")
    if definition.get("match_mode") == "SWA" and "{" not in prefix and front.path.startswith(prefix):
        # A prefix-matched API forwards the rest of the path below the backend path.
        uri = uri.rstrip("/") + front.path[len(prefix) :]
    url = f"{web['req_protocol'].lower()}://{host}{uri}"
    return (front.method if web["req_method"] == "ANY" else web["req_method"]), url


def _backend_request(
    inst: Instance, definition: dict[str, Any], env_id: str, front: BackendCall
) -> httpx.Request:
    if definition["backend_type"] == "FUNCTION":
        func = definition["func_info"]
        method, url = "POST", f"https://functiongraph.opsfn.local/invocations/{func['function_urn']}"
        extra = {"X-Cff-Invocation-Type": func.get("invocation_type", "sync")}
    else:
        (method, url), extra = _web_target(inst, definition, env_id, front), {}
    headers = {
        k: v for k, v in front.headers.items() if k.lower() not in ("host", "authorization", "content-length")
    }
    headers.update(extra)
    headers["X-Request-Id"] = new_id()
    for param in definition.get("backend_params") or []:
        if param["origin"] == "CONSTANT" and param["location"] == "HEADER":
            headers[param["name"]] = str(param["value"])
    return httpx.Request(method, url, params=front.query or None, headers=headers, content=front.body)


def call_backend(
    backend: ApigBackend,
    inst: Instance,
    definition: dict[str, Any],
    env_id: str,
    publish_id: str | None,
    front: BackendCall,
) -> httpx.Response:
    """Run the API's backend for one front-end request and return the backend's response.

    A mock answers its content; a function or web backend gets a request through
    :attr:`ApigBackend.http_backend`, signed with the signature key bound to the publish record, if any.
    """
    if definition["backend_type"] == "MOCK":
        content = str((definition.get("mock_info") or {}).get("result_content", ""))
        return httpx.Response(200, headers={"Content-Type": "application/json"}, content=content.encode())
    request = _backend_request(inst, definition, env_id, front)
    binding = inst.sign_bindings.find(publish_id=publish_id) if publish_id else None
    sign = inst.signs.get(binding["sign_id"]) if binding else None
    if sign is not None:
        _sign_backend_request(request, sign)
    try:
        response = backend.http_backend(request)
    except httpx.TimeoutException:
        raise gateway_error(504, "APIGW.0202", "Backend timeout") from None
    except httpx.HTTPError:
        raise gateway_error(502, "APIGW.0201", "Backend unavailable") from None
    response.read()
    return response


# ---------------------------------------------------------------- policies on the way in


def _client_ip(request: httpx.Request) -> str:
    forwarded = request.headers.get("x-forwarded-for", "")
    return forwarded.split(",")[0].strip() if forwarded else "127.0.0.1"


def _ip_in(ip: str, entry: str) -> bool:
    try:
        if "-" in entry:
            low, high = (int(ipaddress.ip_address(x)) for x in entry.split("-", 1))
            return low <= int(ipaddress.ip_address(ip)) <= high
        return ipaddress.ip_address(ip) in ipaddress.ip_network(entry, strict=False)
    except ValueError:
        return False


def _check_acl(inst: Instance, publish_id: str, request: httpx.Request) -> None:
    ip = _client_ip(request)
    for binding in inst.acl_bindings:
        if binding["publish_id"] != publish_id:
            continue
        acl = inst.acls.get(binding["acl_id"])
        if acl is None or acl["entity_type"] != "IP":
            continue
        listed = any(_ip_in(ip, entry.strip()) for entry in str(acl["acl_value"]).split(","))
        if listed == (acl["acl_type"] == "DENY"):
            raise gateway_error(403, "APIGW.0401", "The request is blocked by the access control policy")


def _app_by_signature(inst: Instance, request: httpx.Request, authorization: str) -> dict[str, Any]:
    """The APP whose key signed the request (``SDK-HMAC-SHA256``), after checking date and signature."""
    from shared.auth import huawei_signature_for_request, parse_huawei_authorization

    try:
        parsed = parse_huawei_authorization(authorization)
    except ValueError:
        raise _app_auth_error("authorization format error") from None
    app = inst.apps.find(app_key=parsed.access)
    if app is None:
        raise _app_auth_error("app not found")
    try:
        signed_at = datetime.strptime(request.headers.get("x-sdk-date", ""), "%Y%m%dT%H%M%SZ")
    except ValueError:
        raise _app_auth_error("x-sdk-date not found") from None
    skew = datetime.now(timezone.utc) - signed_at.replace(tzinfo=timezone.utc)
    if abs(skew.total_seconds()) > MAX_SKEW_SECONDS:
        raise _app_auth_error("signature expired")
    expected = huawei_signature_for_request(request, app["app_secret"], parsed.signed_headers)
    if not hmac.compare_digest(expected, parsed.signature):
        raise _app_auth_error("verify signature fail")
    return app


def _authenticate_app(inst: Instance, definition: dict[str, Any], env_id: str, request: httpx.Request) -> str:
    """Return the APP id that authenticated, after checking it is authorized for the API in the env."""
    app_code = request.headers.get("x-apig-appcode")
    authorization = request.headers.get("authorization", "")
    if app_code and definition.get("auth_opt", {}).get("app_code_auth_type") == "HEADER":
        code = inst.app_codes.find(app_code=app_code)
        app = inst.apps.get(code["app_id"]) if code else None
        if app is None:
            raise _app_auth_error("AppCode not found")
    elif authorization:
        app = _app_by_signature(inst, request, authorization)
    else:
        raise _app_auth_error("authorization not found")
    if inst.app_auths.find(app_id=app["id"], api_id=definition["id"], env_id=env_id) is None:
        raise gateway_error(401, "APIGW.0304", "The app is not authorized to access the API")
    return str(app["id"])


def _throttle(inst: Instance, publish_id: str, app_id: str | None, ip: str) -> None:
    """Fixed-window counters per (publish id, policy); windows are wall-clock based like the gateway's."""
    for binding in inst.throttle_bindings:
        if binding["publish_id"] != publish_id:
            continue
        policy = inst.throttles.get(binding["strategy_id"])
        if policy is None:
            continue
        window = int(policy["time_interval"]) * _WINDOW_UNITS.get(policy["time_unit"], 60)
        slot = int(time.time()) // max(window, 1)
        checks = [("api", policy.get("api_call_limits"))]
        if app_id:
            checks.append((f"app:{app_id}", policy.get("app_call_limits")))
        checks.append((f"ip:{ip}", policy.get("ip_call_limits")))
        for scope, limit in checks:
            if not limit:
                continue
            key = (publish_id + policy["id"], scope, slot)
            inst.throttle_counters[key] = inst.throttle_counters.get(key, 0) + 1
            if inst.throttle_counters[key] > int(limit):
                raise gateway_error(429, "APIGW.0308", "The throttling threshold has been reached")


# ---------------------------------------------------------------- serving


def _find_group(mgmt: Service[ApigBackend], key: str) -> tuple[ApigBackend, Instance, dict[str, Any]]:
    for backend in mgmt.backends().values():
        for inst in backend.instances.values():
            group = inst.groups.get(key)
            if group is None:
                group = next((g for g in inst.groups if key in g.get("sl_domains", [])), None)
            if group is not None:
                return backend, inst, group
    raise gateway_error(404, "APIGW.0106", "Orchestration error: the domain name is not bound to a group")


def _authenticate(
    emulator: Emulator,
    mgmt: Service[ApigBackend],
    inst: Instance,
    definition: dict[str, Any],
    env_id: str,
    request: httpx.Request,
) -> str | None:
    """The API's own authentication: none, an APP (whose id is returned) or the cloud's IAM verification."""
    if definition["auth_type"] == "APP":
        return _authenticate_app(inst, definition, env_id, request)
    if definition["auth_type"] == "IAM":
        verifier = emulator.verifiers.get("huawei")
        if verifier is not None:
            verifier(emulator, mgmt, request)
    return None


def serve(emulator: Emulator, mgmt: Service[ApigBackend], call: Call, _: None) -> httpx.Response:
    """``InvokePublishedApi``: route, ACL, authentication, throttling, then the backend."""
    request = call.request
    backend, inst, group = _find_group(mgmt, call.path_params["group"])
    env = inst.envs.find(name=request.headers.get("x-stage", "RELEASE"))
    path = "/" + call.path_params.get("rest", "").lstrip("/")
    hit = _match(inst, group["id"], env["id"] if env else RELEASE_ENV_ID, request.method, path)
    if env is None or hit is None:
        raise gateway_error(
            404, "APIGW.0101", "The API does not exist or has not been published in the environment"
        )
    definition, record, path_params = hit
    _check_acl(inst, record["publish_id"], request)
    app_id = _authenticate(emulator, mgmt, inst, definition, env["id"], request)
    _throttle(inst, record["publish_id"], app_id, _client_ip(request))
    started = time.monotonic()
    front = BackendCall(request.method, path, dict(call.query), dict(request.headers), call.body, path_params)
    response = call_backend(backend, inst, definition, env["id"], record["publish_id"], front)
    headers = {
        k: v for k, v in response.headers.items() if k.lower() not in ("content-length", "transfer-encoding")
    }
    headers["X-Apig-Latency"] = str(int((time.monotonic() - started) * 1000))
    headers.setdefault("X-Request-Id", new_id())
    return httpx.Response(response.status_code, headers=headers, content=response.content)


def make_gateway_service(emulator: Emulator, mgmt: Service[ApigBackend]) -> Service[None]:
    """The data-plane service: no cloud (IAM) verification of its own, APIs decide their auth.

    It shares the management service's lock, so a call never sees half a management write, and reads the
    management backends for its state (the throttling counters live in each instance).
    """
    handler = functools.partial(serve, emulator, mgmt)
    routes = [
        Route(m, GATEWAY_PREFIX + "/{group}{rest:path}", "InvokePublishedApi", handler) for m in _METHODS
    ]
    svc: Service[None] = Service(
        "apig-gateway",
        lambda key: None,
        routes=routes,
        auth="none",
        key_fn=lambda r, p: "gateway",
        lock=mgmt.lock,
    )
    # Like the real gateway: the group's own sub-domain (``sl_domain``) in the Host header.
    svc.host_route(GROUP_DOMAIN_PATTERN, "InvokePublishedApi", handler)
    return svc
