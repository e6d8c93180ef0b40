"""Service actions: create, modify, delete, describe one, list with filters and paging."""

from __future__ import annotations

import re
from typing import Any

from devkit.emulator.core import tencent_error
from devkit.emulator.services.tencent_apigw.handlers.common import (
    ActionContext,
    api_fields,
    filtered_page,
    find_service,
    fuzzy_match,
    plans_bound_to,
    rename,
    within_limit,
)
from devkit.emulator.services.tencent_apigw.params import ENVIRONMENTS, Params
from devkit.emulator.services.tencent_apigw.state import (
    ApiState,
    EnvState,
    ServiceState,
    iso,
)

SERVICE_PROTOCOLS = ("http", "https", "http&https")


NET_TYPES = ("INNER", "OUTER")


IP_VERSIONS = ("IPv4", "IPv6")


# Console rule for service names: letters and digits, case-insensitive (kept lower-case), at most 30.
_SERVICE_NAME = re.compile(r"^[A-Za-z0-9]{1,30}$")


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
    within_limit(
        len(backend.services) + 1,
        backend.quotas.services,
        "LimitExceeded.ServiceCountLimitExceeded",
        "At most {} services per tenant; delete services and retry.",
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
    rename(p, service, "Service", _service_name)
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
    backend.forget_app_bindings(service.service_id)
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
    """The ``ApiIdStatus`` structure (DescribeService)."""
    return {
        **api_fields(service, api),
        "Path": api.path,
        "Method": api.method,
        "UniqVpcId": "",
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
    backend = ctx.backend

    def keep(s: ServiceState, filters: dict[str, list[str]]) -> bool:
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
        return not (set(filters.get("NotUsagePlanId", [])) & bound)

    items, total = filtered_page(ctx.params, backend.services, _SERVICE_FILTERS, keep)
    return {"Result": {"TotalCount": total, "ServiceSet": [_service_struct(s) for s in items]}}
