"""Usage plan actions: plans, their keys (BindSecretIds) and their environments (BindEnvironment).

A key is usable in an environment only when bound to a plan that is bound to the service environment or to
the API in it; two plans bound to the same environment must not share a key; one service cannot mix
service-level and API-level plans in one environment. Limits: ``MaxRequestNum`` -1 or [1, 999999999] on
create but [1, 99999999] on modify (the two tables differ), ``MaxRequestNumPreSec`` -1 or [1, 2000].
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from devkit.emulator.core import tencent_error
from devkit.emulator.services.tencent_apigw.handlers.common import (
    ActionContext,
    filtered_page,
    find_api,
    find_key,
    find_plan,
    find_service,
    fuzzy_match,
    matches_all,
    page,
    rename,
    within_limit,
)
from devkit.emulator.services.tencent_apigw.params import Params
from devkit.emulator.services.tencent_apigw.state import (
    ApiKey,
    PlanBinding,
    TencentApigwBackend,
    UsagePlan,
    iso,
)

MAX_REQUEST_NUM = 999_999_999  # CreateUsagePlan: -1 or [1, 999999999]


MAX_REQUEST_NUM_MODIFY = 99_999_999  # ModifyUsagePlan prints [1, 99999999]


MAX_QPS = 2000


def _plan_limits(p: Params, max_num: int, defaults: tuple[int, int]) -> tuple[int, int]:
    num = p.integer("MaxRequestNum", default=defaults[0], minimum=-1, maximum=max_num)
    qps = p.integer("MaxRequestNumPreSec", default=defaults[1], minimum=-1, maximum=MAX_QPS)
    for name, value in (("MaxRequestNum", num), ("MaxRequestNumPreSec", qps)):
        if value == 0:
            raise tencent_error("InvalidParameterValue.RangeExceeded", f"`{name}` must be -1 or at least 1.")
    return num, qps


def _plan_status(plan: UsagePlan) -> dict[str, Any]:
    """The ``UsagePlanStatusInfo`` structure (DescribeUsagePlansStatus)."""
    return {
        "UsagePlanId": plan.plan_id,
        "UsagePlanName": plan.name,
        "UsagePlanDesc": plan.desc,
        "MaxRequestNumPreSec": plan.max_request_num_pre_sec,
        "MaxRequestNum": plan.max_request_num,
        "CreatedTime": iso(plan.created),
        "ModifiedTime": iso(plan.modified),
    }


def _plan_info(plan: UsagePlan) -> dict[str, Any]:
    """The ``UsagePlanInfo`` structure: the status plus the plan's keys and environments."""
    return {
        **_plan_status(plan),
        "BindSecretIdTotalCount": len(plan.key_ids),
        "BindSecretIds": list(plan.key_ids),
        "BindEnvironmentTotalCount": len(plan.bindings),
        "BindEnvironments": [
            {"EnvironmentName": b.environment, "ServiceId": b.service_id} for b in plan.bindings
        ],
    }


def create_usage_plan(ctx: ActionContext) -> dict[str, Any]:
    p, backend = ctx.params, ctx.backend
    name = p.text("UsagePlanName")
    num, qps = _plan_limits(p, MAX_REQUEST_NUM, (-1, -1))
    within_limit(
        len(backend.usage_plans) + 1,
        backend.quotas.usage_plans,
        "LimitExceeded.UsagePlanLimitExceeded",
        "At most {} usage plans per tenant.",
    )
    plan = UsagePlan(
        plan_id=backend.new_plan_id(),
        name=name,
        desc=p.opt_text("UsagePlanDesc") or "",
        max_request_num=num,
        max_request_num_pre_sec=qps,
        created=ctx.now,
        modified=ctx.now,
    )
    backend.usage_plans[plan.plan_id] = plan
    return {"Result": _plan_info(plan)}


def modify_usage_plan(ctx: ActionContext) -> dict[str, Any]:
    p = ctx.params
    plan = find_plan(ctx.backend, p.text("UsagePlanId"))
    rename(p, plan, "UsagePlan")
    plan.max_request_num, plan.max_request_num_pre_sec = _plan_limits(
        p, MAX_REQUEST_NUM_MODIFY, (plan.max_request_num, plan.max_request_num_pre_sec)
    )
    plan.modified = ctx.now
    return {"Result": _plan_info(plan)}


def delete_usage_plan(ctx: ActionContext) -> dict[str, Any]:
    backend = ctx.backend
    plan = find_plan(backend, ctx.params.text("UsagePlanId"))
    if plan.bindings:
        raise tencent_error(
            "UnsupportedOperation.UsagePlanInUse", "The usage plan is bound to environments; unbind it first."
        )
    backend.unlink_keys(plan, plan.key_ids, ctx.now)
    del backend.usage_plans[plan.plan_id]
    return {"Result": True}


def describe_usage_plan(ctx: ActionContext) -> dict[str, Any]:
    return {"Result": _plan_info(find_plan(ctx.backend, ctx.params.text("UsagePlanId")))}


_PLAN_CHECKS: dict[str, Callable[[UsagePlan, list[str]], bool]] = {
    "UsagePlanId": lambda plan, v: plan.plan_id in v,
    "UsagePlanName": lambda plan, v: fuzzy_match(plan.name, v),
    "NotServiceId": lambda plan, v: not {b.service_id for b in plan.bindings} & set(v),
    "NotApiId": lambda plan, v: not {b.api_id for b in plan.bindings} & set(v),
    "Environment": lambda plan, v: bool({b.environment for b in plan.bindings} & set(v)),
}


def describe_usage_plans_status(ctx: ActionContext) -> dict[str, Any]:
    items, total = filtered_page(ctx.params, ctx.backend.usage_plans, _PLAN_CHECKS, matches_all(_PLAN_CHECKS))
    return {"Result": {"TotalCount": total, "UsagePlanStatusSet": [_plan_status(plan) for plan in items]}}


def _environments_of(plan: UsagePlan) -> set[tuple[str, str]]:
    return {(b.service_id, b.environment) for b in plan.bindings}


def _key_conflict(
    backend: TencentApigwBackend, plan: UsagePlan, key: ApiKey, envs: set[tuple[str, str]]
) -> str:
    """The id of another plan that holds ``key`` and is bound to one of ``envs``, or ``""``."""
    for other_id in key.plan_ids:
        if other_id != plan.plan_id and _environments_of(backend.usage_plans[other_id]) & envs:
            return other_id
    return ""


def _bindable_key(backend: TencentApigwBackend, plan: UsagePlan, key_id: str) -> ApiKey:
    """The key ``key_id`` after the checks BindSecretIds makes for each key, in the documented order."""
    key = find_key(backend, key_id)
    if not key.enabled:
        raise tencent_error("UnsupportedOperation.InvalidStatus", f"The key `{key_id}` is disabled.")
    if plan.plan_id in key.plan_ids:
        raise tencent_error(
            "UnsupportedOperation.AlreadyBindUsagePlan", f"The key `{key_id}` is already bound to this plan."
        )
    other = _key_conflict(backend, plan, key, _environments_of(plan))
    if other:
        raise tencent_error(
            "UnsupportedOperation.UnsupportedBindApiKey",
            f"The key `{key_id}` is in usage plan {other}, which is bound to the same environment.",
        )
    within_limit(
        len(key.plan_ids) + 1,
        backend.quotas.plans_per_key,
        "LimitExceeded",
        "A key can be bound to at most {} usage plans.",
    )
    return key


def bind_secret_ids(ctx: ActionContext) -> dict[str, Any]:
    p, backend = ctx.params, ctx.backend
    plan = find_plan(backend, p.text("UsagePlanId"))
    key_ids = p.str_list("AccessKeyIds", required=True)
    if len(set(key_ids)) != len(key_ids):
        raise tencent_error("InvalidParameterValue.InvalidAccessKeyIds", "AccessKeyIds contains duplicates.")
    keys = [_bindable_key(backend, plan, key_id) for key_id in key_ids]
    within_limit(
        len(plan.key_ids) + len(keys),
        backend.quotas.keys_per_plan,
        "LimitExceeded",
        "A usage plan can bind at most {} keys.",
    )
    backend.link_keys(plan, keys, ctx.now)
    return {"Result": True}


def unbind_secret_ids(ctx: ActionContext) -> dict[str, Any]:
    p, backend = ctx.params, ctx.backend
    plan = find_plan(backend, p.text("UsagePlanId"))
    key_ids = p.str_list("AccessKeyIds", required=True)
    unbound = next((key_id for key_id in key_ids if key_id not in plan.key_ids), None)
    if unbound is not None:
        raise tencent_error(
            "ResourceNotFound.InvalidAccessKeyId", f"The key `{unbound}` is not bound to this usage plan."
        )
    backend.unlink_keys(plan, key_ids, ctx.now)
    return {"Result": True}


def describe_usage_plan_secret_ids(ctx: ActionContext) -> dict[str, Any]:
    p, backend = ctx.params, ctx.backend
    plan = find_plan(backend, p.text("UsagePlanId"))
    offset, limit = p.paging()
    items, total = page(plan.key_ids, len(plan.key_ids), offset, limit)
    rows = []
    for key_id in items:
        key = backend.api_keys[key_id]
        rows.append({"AccessKeyId": key_id, "SecretName": key.name, "Status": 1 if key.enabled else 0})
    return {"Result": {"TotalCount": total, "AccessKeyList": rows}}


def _binding_row(backend: TencentApigwBackend, plan: UsagePlan, binding: PlanBinding) -> dict[str, Any]:
    """``ApiUsagePlan`` / ``UsagePlanEnvironment``: one binding of a plan, with the API it names (if any)."""
    service = backend.services.get(binding.service_id)
    api = service.apis.get(binding.api_id) if service is not None and binding.api_id else None
    return {
        "ServiceId": binding.service_id,
        "ServiceName": service.name if service is not None else "",
        "ApiId": binding.api_id,
        "ApiName": api.name if api is not None else "",
        "Path": api.path if api is not None else "",
        "Method": api.method if api is not None else "",
        "Environment": binding.environment,
        "InUseRequestNum": plan.in_use_requests,
        "MaxRequestNum": plan.max_request_num,
        "MaxRequestNumPreSec": plan.max_request_num_pre_sec,
        "CreatedTime": iso(binding.bound_at),
        "ModifiedTime": iso(plan.modified),
    }


def _plan_row(backend: TencentApigwBackend, plan: UsagePlan, binding: PlanBinding) -> dict[str, Any]:
    row = _binding_row(backend, plan, binding)
    row.update({"UsagePlanId": plan.plan_id, "UsagePlanName": plan.name, "UsagePlanDesc": plan.desc})
    return row


def describe_usage_plan_environments(ctx: ActionContext) -> dict[str, Any]:
    p, backend = ctx.params, ctx.backend
    plan = find_plan(backend, p.text("UsagePlanId"))
    bind_type = p.enum("BindType", ("API", "SERVICE"), default="SERVICE")
    offset, limit = p.paging()
    bindings = [b for b in plan.bindings if (b.api_id != "") == (bind_type == "API")]
    items, total = page(bindings, len(bindings), offset, limit)
    rows = [_binding_row(backend, plan, b) for b in items]
    return {"Result": {"TotalCount": total, "EnvironmentList": rows}}


def _service_plan_rows(ctx: ActionContext, *, api_level: bool | None) -> tuple[list[dict[str, Any]], int]:
    p, backend = ctx.params, ctx.backend
    service = find_service(backend, p.text("ServiceId"))
    offset, limit = p.paging()
    pairs = [
        (plan, b)
        for plan in backend.usage_plans.values()
        for b in plan.bindings
        if b.service_id == service.service_id and (api_level is None or (b.api_id != "") == api_level)
    ]
    items, total = page(pairs, len(pairs), offset, limit)
    return [_plan_row(backend, plan, b) for plan, b in items], total


def describe_service_usage_plan(ctx: ActionContext) -> dict[str, Any]:
    """Service-level bindings only."""
    rows, total = _service_plan_rows(ctx, api_level=False)
    return {"Result": {"TotalCount": total, "ServiceUsagePlanList": rows}}


def describe_api_usage_plan(ctx: ActionContext) -> dict[str, Any]:
    """ "All usage plans bound to the service and its APIs" (document); service-level rows have no ApiId."""
    rows, total = _service_plan_rows(ctx, api_level=None)
    return {"Result": {"TotalCount": total, "ApiUsagePlanList": rows}}


def _binding_request(ctx: ActionContext) -> tuple[list[UsagePlan], list[PlanBinding]]:
    """Parse and check a BindEnvironment/UnBindEnvironment call; returns the plans and wanted bindings."""
    p, backend = ctx.params, ctx.backend
    plan_ids = p.str_list("UsagePlanIds", required=True)
    bind_type = p.enum("BindType", ("API", "SERVICE"), default="SERVICE")
    environment = p.environment("Environment")
    service = find_service(backend, p.text("ServiceId"))
    plans = [find_plan(backend, plan_id) for plan_id in plan_ids]
    if bind_type == "API":
        api_ids = p.str_list("ApiIds")
        if not api_ids:
            raise tencent_error(
                "InvalidParameterValue.InvalidApiIds", "ApiIds is required when BindType is API."
            )
        for api_id in api_ids:
            find_api(service, api_id)
        wanted = [PlanBinding(service.service_id, environment, api_id, ctx.now) for api_id in api_ids]
    else:
        wanted = [PlanBinding(service.service_id, environment, "", ctx.now)]
    return plans, wanted


def _check_one_level(backend: TencentApigwBackend, target: PlanBinding) -> None:
    """One service cannot have service-level and API-level plans in the same environment at once."""
    service_level = target.api_id == ""
    for plan in backend.usage_plans.values():
        for b in plan.bindings:
            if (b.service_id, b.environment) == (target.service_id, target.environment) and (
                (b.api_id == "") != service_level
            ):
                raise tencent_error(
                    "UnsupportedOperation.UnsupportedBindEnvironment",
                    "The environment already has usage plans at the other level (service vs API); "
                    "use DemoteServiceUsagePlan or unbind them first.",
                )


def bind_environment(ctx: ActionContext) -> dict[str, Any]:
    backend = ctx.backend
    plans, wanted = _binding_request(ctx)
    target = wanted[0]
    _check_one_level(backend, target)
    env = {(target.service_id, target.environment)}
    for plan in plans:
        for key_id in plan.key_ids:
            other = _key_conflict(backend, plan, backend.api_keys[key_id], env)
            if other:
                raise tencent_error(
                    "UnsupportedOperation.UnsupportedBindEnvironment",
                    f"Usage plan {other} bound to this environment already holds key {key_id}.",
                )
        new = [b for b in wanted if b not in plan.bindings]
        within_limit(
            sum(1 for b in plan.bindings if b.api_id) + sum(1 for b in new if b.api_id),
            backend.quotas.apis_per_plan,
            "LimitExceeded",
            "A usage plan can be bound to at most {} APIs.",
        )
        plan.bindings.extend(new)
        plan.modified = ctx.now
    return {"Result": True}


def unbind_environment(ctx: ActionContext) -> dict[str, Any]:
    plans, wanted = _binding_request(ctx)
    for plan in plans:
        missing = [b for b in wanted if b not in plan.bindings]
        if missing:
            raise tencent_error(
                "ResourceNotFound.InvalidUsagePlan",
                f"Usage plan {plan.plan_id} is not bound to {missing[0].environment} of the service.",
            )
    for plan in plans:
        plan.bindings = [b for b in plan.bindings if b not in wanted]
        plan.modified = ctx.now
    return {"Result": True}
