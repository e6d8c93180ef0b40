"""The cloud-API route: every call is ``GET /`` or ``POST /``, the action named in the request, not the path.

A v3 call (TC3-HMAC-SHA256) names the action in ``X-TC-Action`` with JSON parameters (or form/query ones for
``GET`` and form posts); a v1 call carries ``Action`` and flat form/query parameters. :func:`cloud_api`
checks the common parameters (``Version``, ``Region``), looks the action up in :data:`.routes.ACTIONS`,
refuses parameters it does not define and answers the way Tencent does: always HTTP 200 with
``{"Response": {..., "RequestId"}}``, errors as ``Response.Error {Code, Message}``, ``Content-Type:
application/json`` exactly (the official SDK only looks for ``Error`` under that content type).

Only requests that carry ``X-TC-Action`` or an ``Action`` parameter are Tencent calls; anything else reaching
``/`` gets the emulator's ordinary "no such API" 404, so this route never swallows another service's requests.
"""

from __future__ import annotations

import json
import uuid
from dataclasses import dataclass
from typing import Any

import httpx

from devkit.emulator.core import (
    TENCENT_CONTENT_TYPE,
    ApiError,
    Call,
    Route,
    no_such_api,
    tencent_error,
)
from devkit.emulator.services.tencent_apigw.handlers.common import ActionContext
from devkit.emulator.services.tencent_apigw.params import Params, unflatten_v1
from devkit.emulator.services.tencent_apigw.routes import ACTIONS, ActionSpec
from devkit.emulator.services.tencent_apigw.state import TencentApigwBackend
from devkit.emulator.verification import tencent_v1_params

__all__ = ["API_VERSION", "ROUTES", "TencentCall", "cloud_api", "no_such_api", "parse"]

API_VERSION = "2018-08-08"

# v1 common parameters; everything else in a v1 call belongs to the action.
_V1_COMMON = frozenset(
    {
        "Action",
        "Version",
        "Region",
        "Timestamp",
        "Nonce",
        "SecretId",
        "Signature",
        "SignatureMethod",
        "Token",
        "RequestClient",
        "Language",
    }
)


@dataclass(frozen=True)
class TencentCall:
    """The action, the common parameters and the action's own parameters of one cloud-API request."""

    action: str
    version: str
    region: str
    params: dict[str, Any]


def _answer(fields: dict[str, Any], request_id: str) -> httpx.Response:
    body = {"Response": {**fields, "RequestId": request_id}}
    return httpx.Response(
        200,
        headers={**TENCENT_CONTENT_TYPE, "X-TC-RequestId": request_id},
        content=json.dumps(body, ensure_ascii=False).encode(),
    )


def _json_params(request: httpx.Request) -> dict[str, Any]:
    if not request.content:
        return {}
    try:
        params = json.loads(request.content)
    except (ValueError, UnicodeDecodeError):
        raise tencent_error("InvalidParameter.FormatError", "The request body is not valid JSON.") from None
    if not isinstance(params, dict):
        raise tencent_error("InvalidParameter.FormatError", "The request body must be a JSON object.")
    return params


def parse(request: httpx.Request) -> TencentCall | None:
    """The Tencent call a request carries, or ``None`` when it is not one."""
    action = request.headers.get("x-tc-action")
    if action:
        version = request.headers.get("x-tc-version", "")
        region = request.headers.get("x-tc-region", "")
        content_type = request.headers.get("content-type", "")
        if request.method == "GET" or content_type.startswith("application/x-www-form-urlencoded"):
            return TencentCall(action, version, region, unflatten_v1(tencent_v1_params(request)))
        return TencentCall(action, version, region, _json_params(request))
    flat = tencent_v1_params(request)
    if not flat.get("Action"):
        return None
    own = {k: v for k, v in flat.items() if k not in _V1_COMMON}
    return TencentCall(flat["Action"], flat.get("Version", ""), flat.get("Region", ""), unflatten_v1(own))


def _missing(name: str) -> ApiError:
    return tencent_error("MissingParameter", f"The request is missing a required parameter `{name}`.")


def _checked(method: str, parsed: TencentCall) -> ActionSpec:
    """The action's table row, after the checks every action shares (in the order the real API applies)."""
    if method not in ("GET", "POST"):
        raise tencent_error("UnsupportedProtocol", "Only GET and POST requests are supported.")
    if not parsed.version:
        raise _missing("Version")
    if parsed.version != API_VERSION:
        raise tencent_error("NoSuchVersion", f"The API version `{parsed.version}` does not exist.")
    if not parsed.region:
        raise _missing("Region")
    spec = ACTIONS.get(parsed.action)
    if spec is None:
        raise tencent_error("InvalidAction", f"The action `{parsed.action}` does not exist.")
    unknown = sorted(set(parsed.params) - spec.parameters)
    if unknown:
        raise tencent_error("UnknownParameter", f"The parameter `{unknown[0]}` is not recognized.")
    return spec


def cloud_api(call: Call, backend: TencentApigwBackend) -> httpx.Response:
    """Answer one cloud-API call on the caller's account and region."""
    request_id = str(uuid.uuid4())
    try:
        parsed = parse(call.request)
        if parsed is None:
            return no_such_api(call.request)
        spec = _checked(call.request.method, parsed)
        fields = spec.handler(
            ActionContext(backend=backend, params=Params(parsed.params), now=backend.clock())
        )
        return _answer(fields, request_id)
    except ApiError as exc:
        # Re-answer in the same envelope as successes, carrying this call's request id.
        error = json.loads(exc.response.content)["Response"]["Error"]
        return _answer({"Error": error}, request_id)


ROUTES = tuple(
    Route(method, "/", "TencentCloudApi", cloud_api)
    for method in ("GET", "POST", "PUT", "DELETE", "PATCH", "HEAD", "OPTIONS")
)
"""Every method reaches :func:`cloud_api`, which refuses all but GET and POST the way Tencent does."""
