"""Faked Tencent TCE API Gateway, cloud API version 2018-08-08 (``apigateway``).

Every cloud-API call is ``POST /`` (or ``GET /``) to one host; the action travels in ``X-TC-Action`` with JSON
parameters (signature v3, TC3-HMAC-SHA256) or in an ``Action`` parameter with flat form/query parameters
(signature v1). The framework verifies either signature before the handler runs (``auth="tencent"``) and
keys the state by account and region (:func:`~devkit.emulator.verification.tencent_isolation_key`); this
module parses the call, dispatches on the action and answers the way Tencent does: always HTTP 200 with
``{"Response": {..., "RequestId"}}``, errors as ``Response.Error {Code, Message}``, ``Content-Type:
application/json`` exactly (the official SDK only looks for ``Error`` under that content type).

Actions live in one module per topic (``tencent_apigw_services``, ``_apis``, ``_releases``, ``_keys``,
``_plans``, ``_apps``; shared lookups in ``_common``), their parameter names in :mod:`.tencent_apigw_schema`;
published APIs are served by :mod:`.tencent_apigw_gateway`. Quotas come from the document's limits table
and can be replaced with ``build_emulator(tencent_apigw_quotas=Quotas(...))``.

Only requests that carry ``X-TC-Action`` or an ``Action`` parameter are treated as Tencent calls; anything
else reaching ``/`` gets the emulator's ordinary "no such API" 404, so this route never swallows another
service's requests.
"""

from __future__ import annotations

import json
import threading
import uuid
from collections.abc import Callable
from contextlib import AbstractContextManager
from datetime import datetime, timezone
from typing import Any

import httpx

from devkit.emulator.core import (
    TENCENT_CONTENT_TYPE,
    ApiError,
    Call,
    Emulator,
    Service,
    json_response,
    tencent_error,
)
from devkit.emulator.services.tencent_apigw.handlers import (
    apis as tencent_apigw_apis,
    apps as tencent_apigw_apps,
    keys as tencent_apigw_keys,
    plans as tencent_apigw_plans,
    releases as tencent_apigw_releases,
    services as tencent_apigw_services,
)
from devkit.emulator.services.tencent_apigw.handlers.common import Action, ActionContext
from devkit.emulator.services.tencent_apigw.gateway import make_gateway_service
from devkit.emulator.services.tencent_apigw.params import Params, unflatten_v1
from devkit.emulator.services.tencent_apigw.schema import PARAMETERS
from devkit.emulator.services.tencent_apigw.state import DEFAULT_QUOTAS, Quotas, TencentApigwBackend
from devkit.emulator.verification import tencent_isolation_key, tencent_v1_params

__all__ = ["ACTIONS", "API_VERSION", "make_service"]

API_VERSION = "2018-08-08"
ACTIONS: dict[str, Action] = {
    **tencent_apigw_services.ACTIONS,
    **tencent_apigw_apis.ACTIONS,
    **tencent_apigw_releases.ACTIONS,
    **tencent_apigw_keys.ACTIONS,
    **tencent_apigw_plans.ACTIONS,
    **tencent_apigw_apps.ACTIONS,
}

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


def make_service(emulator: Emulator) -> Service[TencentApigwBackend]:
    """The cloud-API service; also registers the companion service that serves published APIs."""
    quotas = emulator.options.get("tencent_apigw_quotas", DEFAULT_QUOTAS)
    if not isinstance(quotas, Quotas):
        raise TypeError("tencent_apigw_quotas must be a tencent_apigw_state.Quotas")

    def clock() -> datetime:
        creds = emulator.credentials
        return creds.clock() if creds is not None else datetime.now(timezone.utc)

    def new_backend(key: str) -> TencentApigwBackend:
        account, _, region = key.partition("/")
        return TencentApigwBackend(account=account, region=region or account, quotas=quotas)

    service: Service[TencentApigwBackend] = Service(
        "tencent_apigw", new_backend, auth="tencent", key_fn=tencent_isolation_key
    )
    # One lock per emulator orders cloud-API mutations and gateway reads (the socket server is threaded).
    lock = threading.RLock()
    handler = _make_handler(clock, lock)
    for method in ("GET", "POST", "PUT", "DELETE", "PATCH", "HEAD", "OPTIONS"):
        service.route(method, "/", "TencentCloudApi")(handler)
    emulator.add(make_gateway_service(service, clock, lock))
    return service


def _answer(fields: dict[str, Any], request_id: str) -> httpx.Response:
    body = {"Response": {**fields, "RequestId": request_id}}
    return httpx.Response(
        200,
        headers={**TENCENT_CONTENT_TYPE, "X-TC-RequestId": request_id},
        content=json.dumps(body, ensure_ascii=False).encode(),
    )


def _not_tencent(request: httpx.Request) -> httpx.Response:
    return json_response(
        404,
        {
            "error_code": "APIGW.0101",
            "error_msg": "The API does not exist or has not been published in the environment: "
            f"{request.method} {request.url.path}",
        },
    )


def _parse(request: httpx.Request) -> tuple[str, str, str, dict[str, Any]] | None:
    """``(action, version, region, params)`` of a Tencent call, or ``None`` when it is not one."""
    action = request.headers.get("x-tc-action")
    if action:
        version = request.headers.get("x-tc-version", "")
        region = request.headers.get("x-tc-region", "")
        if request.method == "GET":
            return action, version, region, unflatten_v1(tencent_v1_params(request))
        content_type = request.headers.get("content-type", "")
        if content_type.startswith("application/x-www-form-urlencoded"):
            return action, version, region, unflatten_v1(tencent_v1_params(request))
        if not request.content:
            return action, version, region, {}
        try:
            params = json.loads(request.content)
        except (ValueError, UnicodeDecodeError):
            raise tencent_error(
                "InvalidParameter.FormatError", "The request body is not valid JSON."
            ) from None
        if not isinstance(params, dict):
            raise tencent_error("InvalidParameter.FormatError", "The request body must be a JSON object.")
        return action, version, region, params
    flat = tencent_v1_params(request)
    if not flat.get("Action"):
        return None
    own = {k: v for k, v in flat.items() if k not in _V1_COMMON}
    return flat["Action"], flat.get("Version", ""), flat.get("Region", ""), unflatten_v1(own)


def _make_handler(
    clock: Callable[[], datetime], lock: AbstractContextManager[Any]
) -> Callable[[Call, TencentApigwBackend], httpx.Response]:
    def handle(call: Call, backend: TencentApigwBackend) -> httpx.Response:
        request_id = str(uuid.uuid4())
        try:
            parsed = _parse(call.request)
            if parsed is None:
                return _not_tencent(call.request)
            action, version, region, params = parsed
            if call.request.method not in ("GET", "POST"):
                raise tencent_error("UnsupportedProtocol", "Only GET and POST requests are supported.")
            if not version:
                raise tencent_error(
                    "MissingParameter", "The request is missing a required parameter `Version`."
                )
            if version != API_VERSION:
                raise tencent_error("NoSuchVersion", f"The API version `{version}` does not exist.")
            if not region:
                raise tencent_error(
                    "MissingParameter", "The request is missing a required parameter `Region`."
                )
            run = ACTIONS.get(action)
            if run is None:
                raise tencent_error("InvalidAction", f"The action `{action}` does not exist.")
            unknown = sorted(set(params) - PARAMETERS[action])
            if unknown:
                raise tencent_error("UnknownParameter", f"The parameter `{unknown[0]}` is not recognized.")
            with lock:
                fields = run(ActionContext(backend=backend, params=Params(params), now=clock()))
            return _answer(fields, request_id)
        except ApiError as exc:
            # Re-answer in the same envelope as successes, carrying this call's request id.
            error = json.loads(exc.response.content)["Response"]["Error"]
            return _answer({"Error": error}, request_id)

    return handle
