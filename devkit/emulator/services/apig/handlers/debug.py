"""Debugging an API (seed 002 section 3.5.7): one request through the gateway's backend path, as text.

``DEVELOPER`` mode runs the draft definition; ``CONSUMER`` mode runs what is published in the ``stage``
environment (RELEASE when absent). A gateway error (backend down or timing out) is the debug call's response,
not its failure.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

import httpx

from devkit.emulator.core import ApiError, Call, huawei_error
from devkit.emulator.services.apig.gateway import BackendCall, call_backend, match_path
from devkit.emulator.services.apig.state import RELEASE_ENV_ID, ApigBackend, Instance
from devkit.emulator.services.apig.wire import bad_value, body_of, check_enum, ok, require

_METHODS = ("GET", "POST", "PUT", "DELETE", "HEAD", "PATCH", "OPTIONS")
_NOT_PUBLISHED = {
    "error_code": "APIGW.0101",
    "error_msg": "The API does not exist or has not been published in the environment",
}


@dataclass(frozen=True)
class _DebugRequest:
    mode: str
    scheme: str
    method: str
    host: str
    path: str
    query: dict[str, str]
    headers: dict[str, str]
    body: str


def _flatten(value: Any) -> str:
    """The document types header/query values as strings but says they are arrays; accept both."""
    if isinstance(value, list):
        return ",".join(str(v) for v in value)
    return str(value)


def _parse(inst: Instance, api: dict[str, Any], body: dict[str, Any]) -> _DebugRequest:
    mode = check_enum(body, "mode", ("DEVELOPER", "CONSUMER"), required=True)
    method = check_enum(body, "method", _METHODS, required=True)
    scheme = check_enum(body, "scheme", ("HTTP", "HTTPS"), required=True)
    path = require(body, "path")
    if not isinstance(path, str) or not path.startswith("/") or len(path) > 1024:
        raise bad_value("path")
    query = body.get("query") or {}
    headers = body.get("header") or {}
    if not isinstance(query, dict) or not isinstance(headers, dict):
        raise huawei_error(400, "APIG.2030", "Bad request for debugging the API.")
    for name in headers:
        low = name.lower()
        if low.startswith(("x-apig-", "x-sdk-")) or low == "x-stage" or len(name) > 32:
            raise bad_value("header")
    group = inst.groups.get(api["group_id"]) or {}
    return _DebugRequest(
        mode=mode,
        scheme=scheme,
        method=method,
        host=str(body.get("domain") or group.get("sl_domain", "")),
        path=path,
        query={str(k): _flatten(v) for k, v in query.items()},
        headers={str(k): _flatten(v) for k, v in headers.items()},
        body=str(body.get("body", "")),
    )


def _target(
    inst: Instance, api: dict[str, Any], mode: str, stage: str
) -> tuple[dict[str, Any] | None, str, str | None]:
    """The definition to run, its environment and its publish id: the draft, or what the stage serves."""
    if mode != "CONSUMER":
        return api, RELEASE_ENV_ID, None
    env = inst.envs.find(name=stage)
    if env is None:
        raise huawei_error(400, "APIG.2030", "Bad request for debugging the API: unknown stage")
    record = inst.publishes.get((api["id"], env["id"]))
    if record is None:
        return None, env["id"], None
    return inst.definition(record), env["id"], record["publish_id"]


def debug(call: Call, backend: ApigBackend) -> httpx.Response:
    inst = backend.instance(call)
    api = inst.api(call.path_params["api_id"])
    body = body_of(call)
    req = _parse(inst, api, body)
    request_text = raw_request_text(req)
    started = time.monotonic()
    definition, env_id, publish_id = _target(inst, api, req.mode, str(body.get("stage") or "RELEASE"))
    params = match_path(definition, req.method, req.path) if definition else None
    if definition is None or params is None:
        response = httpx.Response(404, json=_NOT_PUBLISHED)
    else:
        outgoing = BackendCall(req.method, req.path, req.query, req.headers, req.body.encode(), params)
        try:
            response = call_backend(backend, inst, definition, env_id, publish_id, outgoing)
        except ApiError as exc:
            response = exc.response
    latency = int((time.monotonic() - started) * 1000)
    return ok(
        {
            "request": request_text,
            "response": raw_response_text(response, latency),
            "latency": latency,
            "log": f"scheme={req.scheme} mode={req.mode}",
        }
    )


def raw_request_text(req: _DebugRequest) -> str:
    """The ``request`` string: the request line, headers and body as sent on the wire."""
    target = req.path + ("?" + urlencode(req.query) if req.query else "")
    lines = [f"{req.method} {target} HTTP/1.1", f"Host: {req.host}", "User-Agent: APIGatewayDebugClient/1.0"]
    lines += [f"{k}: {v}" for k, v in req.headers.items()]
    lines.append("X-Apig-Mode: debug")
    return "\r\n".join(lines) + "\r\n\r\n" + req.body


def raw_response_text(response: httpx.Response, latency_ms: int) -> str:
    """The ``response`` string: status line, headers and body, the body cut at 2 MiB."""
    reason = response.reason_phrase or ""
    lines = [f"HTTP/1.1 {response.status_code} {reason}".rstrip()]
    lines += [f"{k}: {v}" for k, v in response.headers.items() if k.lower() != "content-length"]
    lines += ["Server: api-gateway", f"X-Apig-Latency: {latency_ms}"]
    text = response.content.decode("utf-8", "replace")
    if len(text) > 2097152:
        text = text[:2097152] + "[TRUNCATED]"
    return "\r\n".join(lines) + "\r\n\r\n" + text
