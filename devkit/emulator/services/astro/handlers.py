"""Astro Zero's operations: the OAuth 2.0 client-credentials token endpoint and custom API paths.

The token endpoint follows seed 003 ("Making an API Request"): ``POST /baas/auth/v1.0/oauth2/token`` with
``Content-Type: application/x-www-form-urlencoded`` and ``grant_type=client_credentials``, ``client_id``,
``client_secret`` (``redirect_url`` and ``locale`` optional); the answer carries ``access_token``. The seed
documents neither the rest of the answer nor the errors, so both follow RFC 6749 (section 4.4.3 and 5.2):
``{"access_token", "token_type", "expires_in"}``; 400 ``invalid_request`` (a missing parameter, not a form
body), 400 ``unsupported_grant_type``, 401 ``invalid_client`` (unknown client or wrong secret).

Custom APIs (``/service/...``) need the token in the ``access-token`` header; a missing, unknown or expired
token is 401 ``invalid_token``. A valid call is answered in Astro Zero's usual envelope
``{"resCode": "0", "resMsg": "success", "result": ...}`` and recorded for tests.
"""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import parse_qsl

import httpx

from devkit.emulator.core import ApiError, Call, json_response, new_request_id
from devkit.emulator.services.astro.state import AstroBackend, CustomApiCall

_FORM = "application/x-www-form-urlencoded"


def oauth_error(status: int, error: str, description: str) -> ApiError:
    """RFC 6749's error shape ``{"error", "error_description"}``."""
    body = {"error": error, "error_description": description}
    return ApiError(json_response(status, body, request_id=new_request_id()))


def _form(call: Call) -> dict[str, str]:
    content_type = call.header("content-type").split(";", 1)[0].strip().lower()
    if content_type != _FORM:
        raise oauth_error(400, "invalid_request", f"Content-Type must be {_FORM}")
    try:
        return dict(parse_qsl(call.body.decode("utf-8"), keep_blank_values=True))
    except UnicodeDecodeError:
        raise oauth_error(400, "invalid_request", "the form body is not UTF-8") from None


def issue_token(call: Call, backend: AstroBackend) -> httpx.Response:
    backend.token_requests += 1
    form = _form(call)
    for name in ("grant_type", "client_id", "client_secret"):
        if not form.get(name):
            raise oauth_error(400, "invalid_request", f"missing required parameter: {name}")
    if form["grant_type"] != "client_credentials":
        raise oauth_error(400, "unsupported_grant_type", "only client_credentials is supported")
    if not backend.client_matches(form["client_id"], form["client_secret"]):
        raise oauth_error(401, "invalid_client", "client authentication failed")
    body = {
        "access_token": backend.issue_token(form["client_id"]),
        "token_type": "Bearer",
        "expires_in": backend.token_lifetime,
    }
    return json_response(200, body, request_id=new_request_id())


def _json_body(call: Call) -> Any:
    if not call.body:
        return None
    try:
        return json.loads(call.body)
    except (ValueError, UnicodeDecodeError, RecursionError):
        return call.body.decode("utf-8", "replace")


def custom_api(call: Call, backend: AstroBackend) -> httpx.Response:
    token = call.header("access-token")
    ok = bool(token) and backend.token_valid(token)
    status = 200 if ok else 401
    record = CustomApiCall(call.method, call.path, _json_body(call), status, call.header("tenant-id"))
    backend.record(record)
    if not ok:
        raise oauth_error(401, "invalid_token", "the access-token is missing, unknown or expired")
    result = {"id": str(len(backend.calls))}
    return json_response(200, {"resCode": "0", "resMsg": "success", "result": result})
