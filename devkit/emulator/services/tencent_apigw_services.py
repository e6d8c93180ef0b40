"""Service, API and release actions of the faked Tencent API gateway.

Each action takes an :class:`ActionContext` and returns the fields that go inside ``Response`` (the dispatcher
adds ``RequestId``). Error codes are the documented ones; where the document lists several candidates the
choice is stated next to the check. Enumerations that have no dedicated code answer
``InvalidParameterValue.NotInOptions``; environment names answer ``InvalidParameterValue.InvalidEnv``.
"""

from __future__ import annotations

import copy
import re
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from datetime import datetime
from itertools import islice
from typing import Any

from devkit.emulator.core import tencent_error
from devkit.emulator.services.tencent_apigw_params import ENVIRONMENTS, Params
from devkit.emulator.services.tencent_apigw_state import (
    ApiState,
    EnvState,
    ReleaseRecord,
    ServiceState,
    TencentApigwBackend,
    Version,
    iso,
)

__all__ = [
    "ACTIONS",
    "Action",
    "ActionContext",
    "api_info",
    "find_api",
    "find_service",
    "fuzzy_match",
    "page",
    "plans_bound_to",
]

SERVICE_PROTOCOLS = ("http", "https", "http&https")
NET_TYPES = ("INNER", "OUTER")
IP_VERSIONS = ("IPv4", "IPv6")
API_PROTOCOLS = ("HTTP", "WEBSOCKET")
API_TYPES = ("NORMAL", "TSF")
AUTH_TYPES = ("SECRET", "NONE", "OAUTH", "APP")
SERVICE_TYPES = ("HTTP", "MOCK", "TSF", "SCF", "WEBSOCKET", "TARGET")
MODIFY_SERVICE_TYPES = (*SERVICE_TYPES, "CLB")
# The methods InvalidParameterValue.InvalidMethod names as the only supported ones.
METHODS = ("ANY", "BEGIN", "GET", "POST", "DELETE", "HEAD", "PUT", "OPTIONS", "TRACE", "PATCH")
# Console rule for service names: letters and digits, case-insensitive (kept lower-case), at most 30.
_SERVICE_NAME = re.compile(r"^[A-Za-z0-9]{1,30}$")
API_NAME_MAX = 60
# Backend timeout: the HTTP-backend overview says 30 s, the public-URL and websocket pages 30 min; the
# action tables give no bound, so the wider one is accepted.
MAX_SERVICE_TIMEOUT = 1800
_RELEASE_TIME = "%Y-%m-%d %H:%M:%S"

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


@dataclass
class ActionContext:
    """What an action sees: this account's state, the call's parameters, the emulator's clock."""

    backend: TencentApigwBackend
    params: Params
    now: datetime


Action = Callable[[ActionContext], dict[str, Any]]


# ---------------------------------------------------------------------------------------------- helpers


def page(items: Iterable[Any], total: int, offset: int, limit: int) -> tuple[list[Any], int]:
    """One page without materialising the listing: O(offset + limit), not O(total)."""
    return list(islice(items, offset, offset + limit)), total


def fuzzy_match(value: str, wanted: list[str]) -> bool:
    lowered = value.lower()
    return any(w.lower() in lowered for w in wanted)


def find_service(backend: TencentApigwBackend, service_id: str) -> ServiceState:
    service = backend.services.get(service_id)
    if service is None:
        raise tencent_error("ResourceNotFound.InvalidService", f"The service `{service_id}` does not exist.")
    return service


def find_api(service: ServiceState, api_id: str) -> ApiState:
    api = service.apis.get(api_id)
    if api is None:
        raise tencent_error(
            "ResourceNotFound.InvalidApi", f"The API `{api_id}` does not exist in the service."
        )
    return api


def plans_bound_to(backend: TencentApigwBackend, service_id: str) -> Iterator[tuple[str, str, str]]:
    """``(plan_id, environment, api_id)`` for every binding of any plan to ``service_id``."""
    for plan in backend.usage_plans.values():
        for binding in plan.bindings:
            if binding.service_id == service_id:
                yield plan.plan_id, binding.environment, binding.api_id


def _running_version(service: ServiceState, environment: str) -> Version | None:
    env = service.environments.get(environment)
    if env is None or not env.released:
        return None
    return service.versions.get(env.version_name)


def _api_environments(service: ServiceState, api_id: str) -> list[str]:
    return [
        name
        for name in ENVIRONMENTS
        if (v := _running_version(service, name)) is not None and api_id in v.apis
    ]


# --------------------------------------------------------------------------------------------- services


def _service_name(params: Params, name: str) -> str:
    value = params.text(name)
    if not _SERVICE_NAME.match(value):
        raise tencent_error(
            "InvalidParameter.FormatError",
            f"`{name}` must be 1-30 letters or digits (service names are case-insensitive).",
        )
    return value.lower()


def _net_types(params: Params) -> list[str] | None:
    values = params.str_list("NetTypes")
    for value in values:
        if value not in NET_TYPES:
            raise tencent_error(
                "InvalidParameterValue.NotInOptions", f"NetTypes value `{value}` is not one of INNER, OUTER."
            )
    return sorted(set(values)) or None


def create_service(ctx: ActionContext) -> dict[str, Any]:
    p, backend = ctx.params, ctx.backend
    name = _service_name(p, "ServiceName")
    protocol = p.enum("Protocol", SERVICE_PROTOCOLS)
    net_types = _net_types(p) or ["OUTER"]
    ip_version = p.enum("IpVersion", IP_VERSIONS, default="IPv4")
    desc = p.opt_text("ServiceDesc") or ""
    if len(backend.services) >= backend.quotas.services:
        raise tencent_error(
            "LimitExceeded.ServiceCountLimitExceeded",
            f"At most {backend.quotas.services} services per tenant; delete services and retry.",
        )
    service_id = backend.new_service_id()
    host = f"{service_id}-{backend.account}.{backend.region}.apigateway.opsfn.internal"
    service = ServiceState(
        service_id=service_id,
        name=name,
        desc=desc,
        protocol=protocol,
        net_types=net_types,
        ip_version=ip_version,
        outer_domain=host,
        inner_domain=f"{service_id}-{backend.account}.{backend.region}.apigw.opsfn.internal",
        created=ctx.now,
        modified=ctx.now,
        environments={name: EnvState() for name in ENVIRONMENTS},
    )
    backend.services[service_id] = service
    # Returned directly inside Response (no Result wrapper), as documented for CreateService.
    return {
        "ServiceId": service_id,
        "ServiceName": service.name,
        "ServiceDesc": service.desc,
        "OuterSubDomain": service.outer_domain,
        "InnerSubDomain": service.inner_domain,
        "CreatedTime": iso(service.created),
        "NetTypes": service.net_types,
        "IpVersion": service.ip_version,
    }


def modify_service(ctx: ActionContext) -> dict[str, Any]:
    p = ctx.params
    service = find_service(ctx.backend, p.text("ServiceId"))
    if "ServiceName" in p:
        service.name = _service_name(p, "ServiceName")
    if "ServiceDesc" in p:
        service.desc = p.opt_text("ServiceDesc") or ""
    if "Protocol" in p:
        service.protocol = p.enum("Protocol", SERVICE_PROTOCOLS)
    net_types = _net_types(p)
    if net_types is not None:
        if not set(service.net_types) <= set(net_types):
            raise tencent_error("UnsupportedOperation.ReduceNetTypes", "Network types cannot be reduced.")
        service.net_types = net_types
    service.modified = ctx.now
    return {}


def delete_service(ctx: ActionContext) -> dict[str, Any]:
    backend = ctx.backend
    service = find_service(backend, ctx.params.text("ServiceId"))
    released = service.released_environments()
    if released or any(True for _ in plans_bound_to(backend, service.service_id)):
        what = f"released to {', '.join(released)}" if released else "bound to usage plans"
        raise tencent_error(
            "UnsupportedOperation.UnsupportedDeleteService",
            f"The service is in use ({what}); take it offline and unbind its usage plans first.",
        )
    for app in backend.apps.values():
        app.bindings = [b for b in app.bindings if b.service_id != service.service_id]
    del backend.services[service.service_id]
    return {"Result": True}


def _service_struct(service: ServiceState) -> dict[str, Any]:
    """The ``Service`` list structure (DescribeServicesStatus)."""
    return {
        "ServiceId": service.service_id,
        "ServiceName": service.name,
        "ServiceDesc": service.desc,
        "Protocol": service.protocol,
        "NetTypes": list(service.net_types),
        "IpVersion": service.ip_version,
        "AvailableEnvironments": service.released_environments(),
        "OuterSubDomain": service.outer_domain,
        "InnerSubDomain": service.inner_domain,
        "InnerHttpPort": 80,
        "InnerHttpsPort": 443,
        "CreatedTime": iso(service.created),
        "ModifiedTime": iso(service.modified),
        "ExclusiveSetName": "",
        "TradeIsolateStatus": 0,
        "Tags": [],
        "InstanceId": "",
        "SetType": "",
    }


def _api_id_status(service: ServiceState, api: ApiState) -> dict[str, Any]:
    return {
        "ServiceId": service.service_id,
        "ApiId": api.api_id,
        "ApiDesc": api.info.get("ApiDesc", ""),
        "Path": api.path,
        "Method": api.method,
        "CreatedTime": iso(api.created),
        "ModifiedTime": iso(api.modified),
        "ApiName": api.name,
        "UniqVpcId": "",
        "ApiType": api.info.get("ApiType", "NORMAL"),
        "Protocol": api.info.get("Protocol", "HTTP"),
        "IsDebugAfterCharge": bool(api.info.get("IsDebugAfterCharge", False)),
        "AuthType": api.auth_type,
        "ApiBusinessType": api.info.get("ApiBusinessType", ""),
        "AuthRelationApiId": api.info.get("AuthRelationApiId", ""),
        "TokenLocation": "",
    }


def describe_service(ctx: ActionContext) -> dict[str, Any]:
    backend = ctx.backend
    service = find_service(backend, ctx.params.text("ServiceId"))
    plans = []
    for plan_id, environment, api_id in plans_bound_to(backend, service.service_id):
        if api_id:
            continue
        plan = backend.usage_plans[plan_id]
        plans.append(
            {
                "Environment": environment,
                "UsagePlanId": plan.plan_id,
                "UsagePlanName": plan.name,
                "UsagePlanDesc": plan.desc,
                "MaxRequestNumPreSec": plan.max_request_num_pre_sec,
                "CreatedTime": iso(plan.created),
                "ModifiedTime": iso(plan.modified),
            }
        )
    # Returned directly inside Response. The document types AvailableEnvironments/NetTypes as String and
    # ApiIdStatusSet/UsagePlanList/Tags as single objects, but their names and the Service structure say
    # lists; lists are what the official SDK deserializes.
    return {
        "ServiceId": service.service_id,
        "AvailableEnvironments": service.released_environments(),
        "ServiceName": service.name,
        "ServiceDesc": service.desc,
        "Protocol": service.protocol,
        "CreatedTime": iso(service.created),
        "ModifiedTime": iso(service.modified),
        "NetTypes": list(service.net_types),
        "InternalSubDomain": service.inner_domain,
        "OuterSubDomain": service.outer_domain,
        "InnerHttpPort": 80,
        "InnerHttpsPort": 443,
        "ApiTotalCount": len(service.apis),
        "ApiIdStatusSet": [_api_id_status(service, api) for api in service.apis.values()],
        "UsagePlanTotalCount": len(plans),
        "UsagePlanList": plans,
        "IpVersion": service.ip_version,
        "UserType": "",
        "SetId": 0,
        "Tags": [],
        "InstanceId": "",
        "InstanceName": "",
        "SetType": "",
    }


_SERVICE_FILTERS = ("ServiceId", "ServiceName", "NotUsagePlanId", "Environment", "IpVersion", "InstanceId")


def describe_services_status(ctx: ActionContext) -> dict[str, Any]:
    p, backend = ctx.params, ctx.backend
    offset, limit = p.paging()
    filters = p.filters(_SERVICE_FILTERS)
    services: Iterable[ServiceState] = backend.services.values()
    total = len(backend.services)
    if filters:
        excluded_plans = set(filters.get("NotUsagePlanId", []))

        def keep(s: ServiceState) -> bool:
            if "ServiceId" in filters and s.service_id not in filters["ServiceId"]:
                return False
            if "ServiceName" in filters and not fuzzy_match(s.name, filters["ServiceName"]):
                return False
            if "Environment" in filters and not set(filters["Environment"]) & set(s.released_environments()):
                return False
            if "IpVersion" in filters and s.ip_version not in filters["IpVersion"]:
                return False
            if "InstanceId" in filters and "" not in filters["InstanceId"]:
                return False
            bound = {plan_id for plan_id, _, _ in plans_bound_to(backend, s.service_id)}
            return not (excluded_plans & bound)

        matched = [s for s in backend.services.values() if keep(s)]
        services, total = matched, len(matched)
    items, total = page(services, total, offset, limit)
    return {"Result": {"TotalCount": total, "ServiceSet": [_service_struct(s) for s in items]}}


# ------------------------------------------------------------------------------------------------- APIs


def _validate_api(p: Params, *, existing: ApiState | None) -> dict[str, Any]:
    """Check a CreateApi/ModifyApi definition; returns the normalised fields to store."""
    service_types = SERVICE_TYPES if existing is None else MODIFY_SERVICE_TYPES
    service_type = p.enum("ServiceType", service_types)
    if existing is None:
        timeout = p.required_integer("ServiceTimeout", minimum=1, maximum=MAX_SERVICE_TIMEOUT)
        protocol = p.enum("Protocol", API_PROTOCOLS)
    else:
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
        protocol = current
    auth_type = p.enum("AuthType", AUTH_TYPES, default="NONE")
    api_type = p.enum("ApiType", API_TYPES, default="NORMAL")
    if api_type == "TSF" and service_type != "TSF":
        raise tencent_error(
            "InvalidParameterValue.InvalidApiType",
            "Microservice (TSF) APIs only support the TSF backend type.",
        )
    name = p.opt_text("ApiName", max_len=API_NAME_MAX) or ""
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
    method = method.upper()
    service_config = p.obj("ServiceConfig")
    mock = p.opt_text("ServiceMockReturnMessage")
    if service_type == "MOCK" and not mock:
        raise tencent_error(
            "InvalidParameterValue.InvalidServiceMockReturnMessage",
            "ServiceMockReturnMessage is required for a MOCK backend.",
        )
    if service_type == "HTTP":
        _validate_http_backend(service_config)
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
    if len(service.apis) >= backend.quotas.apis_per_service:
        raise tencent_error(
            "LimitExceeded.ApiCountLimitExceeded",
            f"At most {backend.quotas.apis_per_service} APIs per service.",
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
    for app in backend.apps.values():
        app.bindings = [b for b in app.bindings if b.api_id != api.api_id]
    del service.apis[api.api_id]
    service.modified = ctx.now
    return {"Result": True}


def api_info(service: ServiceState, api: ApiState) -> dict[str, Any]:
    """The ``ApiInfo`` structure (DescribeApi)."""
    info = api.info
    return {
        "ServiceId": service.service_id,
        "ServiceName": service.name,
        "ServiceDesc": service.desc,
        "ApiId": api.api_id,
        "ApiDesc": info.get("ApiDesc", ""),
        "CreatedTime": iso(api.created),
        "ModifiedTime": iso(api.modified),
        "ApiName": api.name,
        "ApiType": info.get("ApiType", "NORMAL"),
        "Protocol": info.get("Protocol", "HTTP"),
        "AuthType": api.auth_type,
        "ApiBusinessType": info.get("ApiBusinessType", ""),
        "AuthRelationApiId": info.get("AuthRelationApiId", ""),
        "IsDebugAfterCharge": bool(info.get("IsDebugAfterCharge", False)),
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
        "Environments": _api_environments(service, api.api_id),
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
    return {
        "ServiceId": service.service_id,
        "ApiId": api.api_id,
        "ApiDesc": api.info.get("ApiDesc", ""),
        "CreatedTime": iso(api.created),
        "ModifiedTime": iso(api.modified),
        "ApiName": api.name,
        "VpcId": 0,
        "UniqVpcId": "",
        "ApiType": api.info.get("ApiType", "NORMAL"),
        "Protocol": api.info.get("Protocol", "HTTP"),
        "IsDebugAfterCharge": bool(api.info.get("IsDebugAfterCharge", False)),
        "AuthType": api.auth_type,
        "ApiBusinessType": api.info.get("ApiBusinessType", ""),
        "AuthRelationApiId": api.info.get("AuthRelationApiId", ""),
        "Tags": [],
        "Path": api.path,
        "Method": api.method,
    }


def describe_apis_status(ctx: ActionContext) -> dict[str, Any]:
    p, backend = ctx.params, ctx.backend
    service = find_service(backend, p.text("ServiceId"))
    offset, limit = p.paging()
    filters = p.filters(_API_FILTERS)
    apis: Iterable[ApiState] = service.apis.values()
    total = len(service.apis)
    if filters:
        matched = [a for a in service.apis.values() if _api_matches(backend, service, a, filters)]
        apis, total = matched, len(matched)
    items, total = page(apis, total, offset, limit)
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
        _api_environments(service, api.api_id)
    ):
        return False
    if "NotUsagePlanId" in filters:
        excluded = set(filters["NotUsagePlanId"])
        for plan_id, _, api_id in plans_bound_to(backend, service.service_id):
            if plan_id in excluded and api_id in ("", api.api_id):
                return False
    return True


# --------------------------------------------------------------------------------------------- releases


def release_service(ctx: ActionContext) -> dict[str, Any]:
    p, backend = ctx.params, ctx.backend
    service = find_service(backend, p.text("ServiceId"))
    environment = p.environment("EnvironmentName")
    desc = p.text("ReleaseDesc")
    name = backend.next_version_name(ctx.now)
    service.versions[name] = Version(
        name=name, desc=desc, released_at=ctx.now, apis=copy.deepcopy(service.apis)
    )
    env = service.environments[environment]
    env.version_name, env.released = name, True
    env.history.append(ReleaseRecord(version_name=name, desc=desc, at=ctx.now))
    return {"Result": {"ReleaseDesc": desc, "ReleaseVersion": name}}


def unrelease_service(ctx: ActionContext) -> dict[str, Any]:
    p = ctx.params
    service = find_service(ctx.backend, p.text("ServiceId"))
    environment = p.environment("EnvironmentName")
    env = service.environments[environment]
    if not env.released:
        raise tencent_error(
            "InvalidParameterValue.InvalidEnvStatus",
            f"The service is not released to {environment}, so it cannot be taken offline.",
        )
    env.released, env.version_name = False, ""
    return {"Result": True}


def update_service(ctx: ActionContext) -> dict[str, Any]:
    p = ctx.params
    service = find_service(ctx.backend, p.text("ServiceId"))
    environment = p.environment("EnvironmentName")
    version_name = p.text("VersionName")
    desc = p.opt_text("UpdateDesc") or ""
    version = service.versions.get(version_name)
    if version is None:
        raise tencent_error("ResourceNotFound", f"The service has no released version `{version_name}`.")
    env = service.environments[environment]
    if not env.released:
        raise tencent_error(
            "InvalidParameterValue.InvalidEnvStatus",
            f"The service is not released to {environment}; release it before switching versions.",
        )
    env.version_name = version.name
    env.history.append(ReleaseRecord(version_name=version.name, desc=desc, at=ctx.now))
    return {"Result": True}


def _version_entry(name: str, desc: str, at: datetime) -> dict[str, Any]:
    # ReleaseTime is a plain String in ServiceReleaseHistoryInfo, not Datetime_iso.
    return {"VersionName": name, "VersionDesc": desc, "ReleaseTime": at.strftime(_RELEASE_TIME)}


def describe_service_release_version(ctx: ActionContext) -> dict[str, Any]:
    p = ctx.params
    service = find_service(ctx.backend, p.text("ServiceId"))
    offset, limit = p.paging()
    newest_first = reversed(service.versions.values())
    items, total = page(newest_first, len(service.versions), offset, limit)
    versions = [_version_entry(v.name, v.desc, v.released_at) for v in items]
    return {"Result": {"TotalCount": total, "VersionList": versions}}


def describe_service_environment_release_history(ctx: ActionContext) -> dict[str, Any]:
    p = ctx.params
    service = find_service(ctx.backend, p.text("ServiceId"))
    environment = p.environment("EnvironmentName")
    offset, limit = p.paging()
    history = service.environments[environment].history
    items, total = page(reversed(history), len(history), offset, limit)
    versions = [_version_entry(r.version_name, r.desc, r.at) for r in items]
    return {"Result": {"TotalCount": total, "VersionList": versions}}


def describe_service_environment_list(ctx: ActionContext) -> dict[str, Any]:
    p = ctx.params
    service = find_service(ctx.backend, p.text("ServiceId"))
    offset, limit = p.paging()
    rows = [
        {
            "EnvironmentName": name,
            "Url": f"http://{service.outer_domain}/{name}",
            "Status": 1 if env.released else 0,
            "VersionName": env.version_name,
        }
        for name, env in service.environments.items()
    ]
    items, total = page(rows, len(rows), offset, limit)
    return {"Result": {"TotalCount": total, "EnvironmentList": items}}


ACTIONS: dict[str, Action] = {
    "CreateService": create_service,
    "ModifyService": modify_service,
    "DeleteService": delete_service,
    "DescribeService": describe_service,
    "DescribeServicesStatus": describe_services_status,
    "CreateApi": create_api,
    "ModifyApi": modify_api,
    "DeleteApi": delete_api,
    "DescribeApi": describe_api,
    "DescribeApisStatus": describe_apis_status,
    "ReleaseService": release_service,
    "UnReleaseService": unrelease_service,
    "UpdateService": update_service,
    "DescribeServiceReleaseVersion": describe_service_release_version,
    "DescribeServiceEnvironmentReleaseHistory": describe_service_environment_release_history,
    "DescribeServiceEnvironmentList": describe_service_environment_list,
}
