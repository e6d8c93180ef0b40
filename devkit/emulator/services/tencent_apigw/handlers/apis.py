"""API actions: create (MOCK, HTTP, other backends), modify (full definition), delete, describe, list.

API names and frontend path + method are unique within a service; edits become visible to callers only with
the next ReleaseService (see :mod:`.tencent_apigw_releases`).
"""

from __future__ import annotations

import copy
import re
from typing import Any

from devkit.emulator.core import tencent_error
from devkit.emulator.services.tencent_apigw.handlers.common import (
    ActionContext,
    api_environments,
    api_fields,
    filtered_page,
    find_api,
    find_service,
    fuzzy_match,
    plans_bound_to,
    within_limit,
)
from devkit.emulator.services.tencent_apigw.params import Params
from devkit.emulator.services.tencent_apigw.state import (
    ApiState,
    ServiceState,
    TencentApigwBackend,
    iso,
)

API_PROTOCOLS = ("HTTP", "WEBSOCKET")


API_TYPES = ("NORMAL", "TSF")


AUTH_TYPES = ("SECRET", "NONE", "OAUTH", "APP")


SERVICE_TYPES = ("HTTP", "MOCK", "TSF", "SCF", "WEBSOCKET", "TARGET")


MODIFY_SERVICE_TYPES = (*SERVICE_TYPES, "CLB")


# The methods InvalidParameterValue.InvalidMethod names as the only supported ones.
METHODS = ("ANY", "BEGIN", "GET", "POST", "DELETE", "HEAD", "PUT", "OPTIONS", "TRACE", "PATCH")


API_NAME_MAX = 60


# Backend timeout: the HTTP-backend overview says 30 s, the public-URL and websocket pages 30 min; the
# action tables give no bound, so the wider one is accepted.
MAX_SERVICE_TIMEOUT = 1800


# Fields of CreateApi/ModifyApi that are stored and echoed by DescribeApi without further checks.
_PASSTHROUGH = (
    "ApiDesc",
    "ApiType",
    "ApiBusinessType",
    "AuthRelationApiId",
    "EnableCORS",
    "ConstantParameters",
    "RequestParameters",
    "ServiceParameters",
    "ResponseType",
    "ResponseSuccessExample",
    "ResponseFailExample",
    "ResponseErrorCodes",
    "OauthConfig",
    "MicroServices",
    "ServiceTsfLoadBalanceConf",
    "ServiceTsfHealthCheckConf",
    "ServiceScfFunctionName",
    "ServiceScfFunctionNamespace",
    "ServiceScfFunctionQualifier",
    "ServiceWebsocketRegisterFunctionName",
    "ServiceWebsocketRegisterFunctionNamespace",
    "ServiceWebsocketRegisterFunctionQualifier",
    "ServiceWebsocketCleanupFunctionName",
    "ServiceWebsocketCleanupFunctionNamespace",
    "ServiceWebsocketCleanupFunctionQualifier",
    "ServiceWebsocketTransportFunctionName",
    "ServiceWebsocketTransportFunctionNamespace",
    "ServiceWebsocketTransportFunctionQualifier",
    "IsDebugAfterCharge",
    "IsBase64Encoded",
    "IsBase64Trigger",
    "Base64EncodedTriggerRules",
    "ServiceScfFunctionType",
)


def _validate_api(p: Params, *, existing: ApiState | None) -> dict[str, Any]:
    """Check a CreateApi/ModifyApi definition; returns the normalised fields to store.

    The checks run in a fixed order (backend type, timeout and protocol, auth and API type, name, request
    config, backend settings), so a definition with several faults always gets the same error.
    """
    service_type, timeout, protocol = _backend_type(p, existing)
    auth_type = p.enum("AuthType", AUTH_TYPES, default="NONE")
    api_type = p.enum("ApiType", API_TYPES, default="NORMAL")
    if api_type == "TSF" and service_type != "TSF":
        raise tencent_error(
            "InvalidParameterValue.InvalidApiType",
            "Microservice (TSF) APIs only support the TSF backend type.",
        )
    name = p.opt_text("ApiName", max_len=API_NAME_MAX) or ""
    path, method = _request_config(p)
    service_config = p.obj("ServiceConfig")
    mock = p.opt_text("ServiceMockReturnMessage")
    _check_backend(p, service_type, protocol, method, service_config, mock)
    info: dict[str, Any] = {k: copy.deepcopy(p.data[k]) for k in _PASSTHROUGH if p.data.get(k) is not None}
    info.update(
        {
            "ApiType": api_type,
            "Protocol": protocol,
            "ServiceTimeout": timeout,
            "ServiceConfig": service_config,
            "ServiceMockReturnMessage": mock or "",
        }
    )
    return {
        "name": name,
        "path": path,
        "method": method,
        "auth_type": auth_type,
        "service_type": service_type,
        "info": info,
    }


def _backend_type(p: Params, existing: ApiState | None) -> tuple[str, int, str]:
    """``(ServiceType, ServiceTimeout, Protocol)``: required on create; modifying keeps the protocol."""
    service_type = p.enum("ServiceType", SERVICE_TYPES if existing is None else MODIFY_SERVICE_TYPES)
    if existing is None:
        timeout = p.required_integer("ServiceTimeout", minimum=1, maximum=MAX_SERVICE_TIMEOUT)
        return service_type, timeout, p.enum("Protocol", API_PROTOCOLS)
    timeout = p.integer(
        "ServiceTimeout",
        default=int(existing.info.get("ServiceTimeout", 15)),
        minimum=1,
        maximum=MAX_SERVICE_TIMEOUT,
    )
    current = str(existing.info.get("Protocol", "HTTP"))
    protocol = p.enum("Protocol", (*API_PROTOCOLS, "HTTPS", "HTTP&HTTPS"), default=current)
    if protocol.upper() != current.upper():
        raise tencent_error(
            "UnsupportedOperation.ModifyProtocol", "The frontend protocol cannot be modified."
        )
    return service_type, timeout, current


def _request_config(p: Params) -> tuple[str, str]:
    """The frontend ``(path, METHOD)`` from ``RequestConfig``."""
    request_config = p.obj("RequestConfig", required=True)
    path, method = request_config.get("Path"), request_config.get("Method")
    if not isinstance(path, str) or not path.startswith("/"):
        raise tencent_error(
            "InvalidParameterValue.InvalidApiRequestConfig",
            "RequestConfig.Path must be a path starting with /.",
        )
    if not isinstance(method, str) or method.upper() not in METHODS:
        raise tencent_error(
            "InvalidParameterValue.InvalidMethod",
            "Method error. Only ANY, BEGIN, GET, POST, DELETE, HEAD, PUT, OPTIONS, TRACE, PATCH are "
            "supported.",
        )
    return path, method.upper()


def _check_backend(
    p: Params, service_type: str, protocol: str, method: str, config: dict[str, Any], mock: str | None
) -> None:
    """What each backend type needs: a mock answer, an HTTP target, a websocket frontend, a function."""
    if service_type == "MOCK" and not mock:
        raise tencent_error(
            "InvalidParameterValue.InvalidServiceMockReturnMessage",
            "ServiceMockReturnMessage is required for a MOCK backend.",
        )
    if service_type == "HTTP":
        _validate_http_backend(config)
    if service_type == "WEBSOCKET":
        if protocol != "WEBSOCKET":
            raise tencent_error(
                "InvalidParameterValue.InvalidServiceType",
                "For a WEBSOCKET backend the frontend protocol must be WEBSOCKET.",
            )
        if method != "GET":
            raise tencent_error(
                "InvalidParameterValue.InvalidWSMethod",
                "For a WEBSOCKET backend the frontend method must be GET.",
            )
    if service_type == "SCF" and not p.opt_text("ServiceScfFunctionName"):
        raise tencent_error(
            "InvalidParameterValue.InvalidScfConfig", "ServiceScfFunctionName is required for SCF."
        )


def _validate_http_backend(config: dict[str, Any]) -> None:
    url, path, method = config.get("Url"), config.get("Path"), config.get("Method")
    if not url or not path or not method:
        raise tencent_error(
            "InvalidParameterValue.InvalidServiceConfig",
            "ServiceConfig.Url, ServiceConfig.Path and ServiceConfig.Method are required for an HTTP "
            "backend.",
        )
    if not isinstance(url, str) or not re.match(r"^https?://[^/\s]+$", url.rstrip("/")):
        raise tencent_error(
            "InvalidParameterValue.InvalidUrl",
            "ServiceConfig.Url must be scheme://host[:port] without a path.",
        )
    if not isinstance(path, str) or not path.startswith("/"):
        raise tencent_error(
            "InvalidParameterValue.InvalidBackendPath", "ServiceConfig.Path must start with /."
        )
    if not isinstance(method, str) or method.upper() not in METHODS:
        raise tencent_error(
            "InvalidParameterValue.InvalidMethod", "ServiceConfig.Method is not a supported method."
        )


def _check_unique(service: ServiceState, fields: dict[str, Any], api_id: str) -> None:
    """API names are unique within a service, and so is a frontend path + method (it routes requests)."""
    for other in service.apis.values():
        if other.api_id == api_id:
            continue
        if fields["name"] and other.name == fields["name"]:
            raise tencent_error(
                "FailedOperation.ApiError", f"An API named `{fields['name']}` already exists."
            )
        if other.path == fields["path"] and other.method == fields["method"]:
            raise tencent_error(
                "FailedOperation.ApiError",
                f"The frontend path {fields['method']} {fields['path']} is already used by "
                f"API {other.api_id}.",
            )


def create_api(ctx: ActionContext) -> dict[str, Any]:
    p, backend = ctx.params, ctx.backend
    service = find_service(backend, p.text("ServiceId"))
    fields = _validate_api(p, existing=None)
    _check_unique(service, fields, "")
    within_limit(
        len(service.apis) + 1,
        backend.quotas.apis_per_service,
        "LimitExceeded.ApiCountLimitExceeded",
        "At most {} APIs per service.",
    )
    api_id = backend.new_api_id(service)
    api = ApiState(api_id=api_id, created=ctx.now, modified=ctx.now, **fields)
    service.apis[api_id] = api
    service.modified = ctx.now
    # The document's CreateApiRsp names the time CreateTime; the official SDK reads CreatedTime. Both are
    # sent so that callers of either can read it.
    return {
        "Result": {
            "ApiId": api_id,
            "Path": api.path,
            "Method": api.method,
            "CreateTime": iso(api.created),
            "CreatedTime": iso(api.created),
        }
    }


def modify_api(ctx: ActionContext) -> dict[str, Any]:
    p = ctx.params
    service = find_service(ctx.backend, p.text("ServiceId"))
    api = find_api(service, p.text("ApiId"))
    fields = _validate_api(p, existing=api)
    _check_unique(service, fields, api.api_id)
    for key, value in fields.items():
        setattr(api, key, value)
    api.modified = ctx.now
    service.modified = ctx.now
    return {}


def delete_api(ctx: ActionContext) -> dict[str, Any]:
    p, backend = ctx.params, ctx.backend
    service = find_service(backend, p.text("ServiceId"))
    api = find_api(service, p.text("ApiId"))
    for plan_id, environment, api_id in plans_bound_to(backend, service.service_id):
        if api_id == api.api_id:
            # The DeleteApi page prints the truncated "FailedOperation.ApiBindEnvironmen"; the global error
            # list spells it in full, which is what is sent.
            raise tencent_error(
                "FailedOperation.ApiBindEnvironment",
                f"The API is bound to usage plan {plan_id} in {environment}; unbind it first.",
            )
    backend.forget_app_bindings(service.service_id, api.api_id)
    del service.apis[api.api_id]
    service.modified = ctx.now
    return {"Result": True}


def api_info(service: ServiceState, api: ApiState) -> dict[str, Any]:
    """The ``ApiInfo`` structure (DescribeApi)."""
    info = api.info
    return {
        **api_fields(service, api),
        "ServiceName": service.name,
        "ServiceDesc": service.desc,
        "RequestConfig": {"Path": api.path, "Method": api.method},
        "ResponseType": info.get("ResponseType", ""),
        "ResponseSuccessExample": info.get("ResponseSuccessExample", ""),
        "ResponseFailExample": info.get("ResponseFailExample", ""),
        "ResponseErrorCodes": info.get("ResponseErrorCodes", []),
        "RequestParameters": info.get("RequestParameters", []),
        "ServiceTimeout": info.get("ServiceTimeout", 15),
        "ServiceType": api.service_type,
        "ServiceConfig": info.get("ServiceConfig", {}),
        "ServiceParameters": info.get("ServiceParameters", []),
        "ConstantParameters": info.get("ConstantParameters", []),
        "ServiceMockReturnMessage": info.get("ServiceMockReturnMessage", ""),
        "ServiceScfFunctionName": info.get("ServiceScfFunctionName", ""),
        "ServiceScfFunctionNamespace": info.get("ServiceScfFunctionNamespace", ""),
        "ServiceScfFunctionQualifier": info.get("ServiceScfFunctionQualifier", ""),
        "EnableCORS": bool(info.get("EnableCORS", False)),
        "Tags": [],
        "Environments": api_environments(service, api.api_id),
        "IsBase64Encoded": bool(info.get("IsBase64Encoded", False)),
        "IsBase64Trigger": bool(info.get("IsBase64Trigger", False)),
        "Base64EncodedTriggerRules": info.get("Base64EncodedTriggerRules", []),
    }


def describe_api(ctx: ActionContext) -> dict[str, Any]:
    p = ctx.params
    service = find_service(ctx.backend, p.text("ServiceId"))
    return {"Result": api_info(service, find_api(service, p.text("ApiId")))}


_API_FILTERS = (
    "ApiId",
    "ApiName",
    "ApiPath",
    "ApiType",
    "AuthRelationApiId",
    "AuthType",
    "ApiBuniessType",
    "NotUsagePlanId",
    "Environment",
    "Tags",
    "TagKeys",
)


def _des_apis_status(service: ServiceState, api: ApiState) -> dict[str, Any]:
    """The ``DesApisStatus`` structure (DescribeApisStatus)."""
    return {
        **api_fields(service, api),
        "VpcId": 0,
        "UniqVpcId": "",
        "Tags": [],
        "Path": api.path,
        "Method": api.method,
    }


def describe_apis_status(ctx: ActionContext) -> dict[str, Any]:
    p, backend = ctx.params, ctx.backend
    service = find_service(backend, p.text("ServiceId"))
    items, total = filtered_page(
        p, service.apis, _API_FILTERS, lambda a, filters: _api_matches(backend, service, a, filters)
    )
    return {"Result": {"TotalCount": total, "ApiIdStatusSet": [_des_apis_status(service, a) for a in items]}}


def _api_matches(
    backend: TencentApigwBackend, service: ServiceState, api: ApiState, filters: dict[str, list[str]]
) -> bool:
    exact = {
        "ApiId": api.api_id,
        "ApiType": str(api.info.get("ApiType", "NORMAL")),
        "AuthType": api.auth_type,
        "AuthRelationApiId": str(api.info.get("AuthRelationApiId", "")),
        "ApiBuniessType": str(api.info.get("ApiBusinessType", "")),
    }
    for name, value in exact.items():
        if name in filters and value not in filters[name]:
            return False
    if "ApiName" in filters and not fuzzy_match(api.name, filters["ApiName"]):
        return False
    if "ApiPath" in filters and not fuzzy_match(api.path, filters["ApiPath"]):
        return False
    if "Tags" in filters or "TagKeys" in filters:
        return False  # the emulator stores no API tags, so a tag filter matches nothing
    if "Environment" in filters and not set(filters["Environment"]) & set(
        api_environments(service, api.api_id)
    ):
        return False
    if "NotUsagePlanId" in filters:
        excluded = set(filters["NotUsagePlanId"])
        for plan_id, _, api_id in plans_bound_to(backend, service.service_id):
            if plan_id in excluded and api_id in ("", api.api_id):
                return False
    return True
