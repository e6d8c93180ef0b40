"""APIG instances (3.24), API groups (3.1), environments (3.2), env variables (3.3), quotas (3.23.1)."""

from __future__ import annotations

from typing import Any

import httpx

from devkit.emulator.core import Call, Service, huawei_error, json_response
from devkit.emulator.services.apig_state import (
    BASE,
    ENV_NAME,
    GROUP_DOMAIN_SUFFIX,
    GROUP_NAME,
    RELEASE_ENV_ID,
    ApigBackend,
    Instance,
    body_of,
    check_length,
    check_pattern,
    check_unique_name,
    created,
    listed,
    new_id,
    no_content,
    not_found,
    now,
    ok,
    page,
    precise_fields,
    public,
    quota_check,
    text_filter,
)

INSTANCES = "/v2/{project_id}/apigw/instances"


def register(svc: Service[ApigBackend]) -> None:
    _register_instances(svc)
    _register_groups(svc)
    _register_envs(svc)
    _register_variables(svc)


# ---------------------------------------------------------------- instances


def _register_instances(svc: Service[ApigBackend]) -> None:
    def lookup(call: Call, backend: ApigBackend) -> dict[str, Any]:
        instance_id = call.path_params["instance_id"]
        inst = backend.instances.get(instance_id)
        if inst is None:
            raise huawei_error(404, "APIC.7302", f"The gateway does not exist,id:{instance_id}")
        return inst.record

    @svc.route("GET", INSTANCES, "ListInstancesV2")
    def list_instances(call: Call, backend: ApigBackend) -> httpx.Response:
        q = call.query
        rows = [
            inst.record
            for inst in backend.instances.values()
            if text_filter(q.get("instance_id"), inst.id, precise=True)
            and text_filter(q.get("instance_name"), inst.record["instance_name"], precise=False)
            and text_filter(q.get("status"), inst.record["status"], precise=True)
        ]
        return page(call, "instances", rows, _instance_summary)

    @svc.route("POST", INSTANCES, "CreateInstanceV2")
    def create_instance(call: Call, backend: ApigBackend) -> httpx.Response:
        body = body_of(call)
        name = check_pattern(
            body, "instance_name", r"[A-Za-z\u4e00-\u9fff][\w\-\u4e00-\u9fff]{2,63}", required=True
        )
        _check_instance_body(body)
        if any(i.record["instance_name"] == name for i in backend.instances.values()):
            raise huawei_error(400, "APIC.7500", "The gateway name already exists.")
        instance_id = body.get("instance_id") or new_id()
        if instance_id in backend.instances:
            raise huawei_error(400, "APIC.7505", "The gateway ID already exists.")
        inst = backend.add_instance(instance_id, name)
        for key in ("description", "maintain_begin", "maintain_end", "enterprise_project_id"):
            if body.get(key):
                inst.record[key] = body[key]
        if body.get("spec_id"):
            inst.record["spec"] = body["spec_id"]
        return json_response(202, {"instance_id": instance_id, "message": "success", "job_id": new_id()})

    @svc.route("GET", INSTANCES + "/{instance_id}", "ShowDetailsOfInstanceV2")
    def show_instance(call: Call, backend: ApigBackend) -> httpx.Response:
        return ok(lookup(call, backend))

    @svc.route("DELETE", INSTANCES + "/{instance_id}", "DeleteInstancesV2")
    def delete_instance(call: Call, backend: ApigBackend) -> httpx.Response:
        lookup(call, backend)
        del backend.instances[call.path_params["instance_id"]]
        return no_content()

    @svc.route("GET", BASE + "/project/configs", "ListProjectCofigsV2")
    def list_configs(call: Call, backend: ApigBackend) -> httpx.Response:
        inst = backend.instance(call)
        used = {
            "APIGROUP_NUM_LIMIT": len(inst.groups),
            "API_NUM_LIMIT": len(inst.apis),
            "APP_NUM_LIMIT": len(inst.apps),
            "ENVIRONMENT_NUM_LIMIT": len(inst.envs) - 1,
            "SIGN_NUM_LIMIT": len(inst.signs),
            "THROTTLE_NUM_LIMIT": len(inst.throttles),
            "ACL_NUM_LIMIT": len(inst.acls),
        }
        rows = [
            {
                "config_id": str(i + 1),
                "config_name": name,
                "config_value": str(value),
                "config_time": inst.envs.rows[RELEASE_ENV_ID]["create_time"],
                "remark": name,
                "used": used.get(name, 0),
            }
            for i, (name, value) in enumerate(inst.quotas.items())
        ]
        return page(call, "configs", rows, dict)


# ---------------------------------------------------------------- groups


def new_group(inst: Instance, name: str, remark: str) -> dict[str, Any]:
    """Create a group (quota-checked); shared by the create call and the OpenAPI import."""
    quota_check(inst, "APIGROUP_NUM_LIMIT", len(inst.groups), "APIG.3101", "API groups")
    group_id = new_id()
    stamp = now()
    domain = f"{group_id}.{GROUP_DOMAIN_SUFFIX}"
    group = {
        "id": group_id,
        "name": name,
        "status": 1,
        "sl_domain": domain,
        "sl_domains": [domain],
        "register_time": stamp,
        "update_time": stamp,
        "on_sell_status": 2,
        "url_domains": [],
        "sl_domain_access_enabled": True,
        "remark": remark,
        "is_default": 2,
        "version": "V1",
    }
    inst.groups.put(group)
    return group


def _group_view(group: dict[str, Any]) -> dict[str, Any]:
    return public(group)


def _register_groups(svc: Service[ApigBackend]) -> None:
    def validate(inst: Any, body: dict[str, Any], group_id: str | None) -> str:
        name = check_pattern(body, "name", GROUP_NAME, required=True)
        check_length(body, "remark", 1000)
        check_unique_name(inst.groups, name, group_id, "APIG.3201", "API group")
        return str(name)

    @svc.route("POST", BASE + "/api-groups", "CreateApiGroupV2")
    def create_group(call: Call, backend: ApigBackend) -> httpx.Response:
        inst = backend.instance(call)
        body = body_of(call)
        name = validate(inst, body, None)
        group = new_group(inst, name, str(body.get("remark", "")))
        return created(_group_view(group))

    @svc.route("PUT", BASE + "/api-groups/{group_id}", "UpdateApiGroupV2")
    def update_group(call: Call, backend: ApigBackend) -> httpx.Response:
        inst = backend.instance(call)
        group = inst.group(call.path_params["group_id"])
        body = body_of(call)
        group["name"] = validate(inst, body, group["id"])
        if "remark" in body:
            group["remark"] = body["remark"]
        group["update_time"] = now()
        return ok(_group_view(group))

    @svc.route("GET", BASE + "/api-groups/{group_id}", "ShowDetailsOfApiGroupV2")
    def show_group(call: Call, backend: ApigBackend) -> httpx.Response:
        return ok(_group_view(backend.instance(call).group(call.path_params["group_id"])))

    @svc.route("DELETE", BASE + "/api-groups/{group_id}", "DeleteApiGroupV2")
    def delete_group(call: Call, backend: ApigBackend) -> httpx.Response:
        inst = backend.instance(call)
        group = inst.group(call.path_params["group_id"])
        if inst.apis.find(group_id=group["id"]) is not None:
            raise huawei_error(403, "APIG.3415", "The API group cannot be deleted because it contains APIs.")
        inst.variables.remove_where(group_id=group["id"])
        inst.groups.pop(group["id"])
        return no_content()

    @svc.route("GET", BASE + "/api-groups", "ListApiGroupsV2")
    def list_groups(call: Call, backend: ApigBackend) -> httpx.Response:
        inst = backend.instance(call)
        q = call.query
        if not q.get("id") and not q.get("name"):
            ids = inst.groups.ordered_ids()
            return page(call, "groups", ids, lambda gid: _group_view(inst.groups.rows[gid]))
        return page(call, "groups", listed(call, inst.groups), _group_view)


# ---------------------------------------------------------------- environments


def _register_envs(svc: Service[ApigBackend]) -> None:
    def validate(inst: Any, body: dict[str, Any], env_id: str | None) -> str:
        name = check_pattern(body, "name", ENV_NAME, required=True)
        check_length(body, "remark", 255)
        check_unique_name(inst.envs, name, env_id, "APIG.3205", "environment")
        return str(name)

    def user_env(inst: Any, env_id: str) -> dict[str, Any]:
        env: dict[str, Any] = inst.env(env_id)
        if env_id == RELEASE_ENV_ID:
            raise huawei_error(
                400,
                "APIG.2012",
                "Invalid parameter value,parameterName:env_id. The RELEASE environment cannot be changed",
            )
        return env

    @svc.route("POST", BASE + "/envs", "CreateEnvironmentV2")
    def create_env(call: Call, backend: ApigBackend) -> httpx.Response:
        inst = backend.instance(call)
        body = body_of(call)
        name = validate(inst, body, None)
        quota_check(inst, "ENVIRONMENT_NUM_LIMIT", len(inst.envs) - 1, "APIG.3104", "environments")
        env = {"id": new_id(), "name": name, "remark": body.get("remark", ""), "create_time": now()}
        inst.envs.put(env)
        return created(env)

    @svc.route("PUT", BASE + "/envs/{env_id}", "UpdateEnvironmentV2")
    def update_env(call: Call, backend: ApigBackend) -> httpx.Response:
        inst = backend.instance(call)
        env = user_env(inst, call.path_params["env_id"])
        body = body_of(call)
        env["name"] = validate(inst, body, env["id"])
        if "remark" in body:
            env["remark"] = body["remark"]
        return ok(env)

    @svc.route("DELETE", BASE + "/envs/{env_id}", "DeleteEnvironmentV2")
    def delete_env(call: Call, backend: ApigBackend) -> httpx.Response:
        inst = backend.instance(call)
        env = user_env(inst, call.path_params["env_id"])
        if any(env_id == env["id"] for _, env_id in inst.publishes):
            raise huawei_error(403, "APIG.3418", "The environment contains published APIs.")
        inst.variables.remove_where(env_id=env["id"])
        inst.envs.pop(env["id"])
        return no_content()

    @svc.route("GET", BASE + "/envs", "ListEnvironmentsV2")
    def list_envs(call: Call, backend: ApigBackend) -> httpx.Response:
        inst = backend.instance(call)
        name = call.query.get("name")
        rows = [e for e in inst.envs if text_filter(name, e["name"], precise=False)]
        return page(call, "envs", rows, dict)


# ---------------------------------------------------------------- environment variables


VARIABLE_NAME = r"[A-Za-z][A-Za-z0-9_\-]{2,31}"
VARIABLE_VALUE = r"[A-Za-z0-9_\-/.:]{1,255}"


def _register_variables(svc: Service[ApigBackend]) -> None:
    def lookup(inst: Any, var_id: str) -> dict[str, Any]:
        var: dict[str, Any] | None = inst.variables.get(var_id)
        if var is None:
            raise not_found("APIG.3011", f"The environment variable does not exist,id:{var_id}")
        return var

    @svc.route("POST", BASE + "/env-variables", "CreateEnvironmentVariableV2")
    def create_variable(call: Call, backend: ApigBackend) -> httpx.Response:
        inst = backend.instance(call)
        body = body_of(call)
        group_id = check_pattern(body, "group_id", r".{1,65}", required=True)
        env_id = check_pattern(body, "env_id", r".{1,65}", required=True)
        name = check_pattern(body, "variable_name", VARIABLE_NAME, required=True)
        value = check_pattern(body, "variable_value", VARIABLE_VALUE, required=True)
        inst.group(group_id)
        inst.env(env_id)
        in_group = [v for v in inst.variables if v["group_id"] == group_id]
        if any(v["env_id"] == env_id and v["variable_name"] == name for v in in_group):
            raise huawei_error(400, "APIG.3303", f"The environment variable already exists,name:{name}")
        quota_check(inst, "VARIABLE_NUM_LIMIT", len(in_group), "APIG.3106", "variables")
        var = {
            "id": new_id(),
            "group_id": group_id,
            "env_id": env_id,
            "variable_name": name,
            "variable_value": value,
        }
        inst.variables.put(var)
        return created(var)

    @svc.route("GET", BASE + "/env-variables/{env_variable_id}", "ShowDetailsOfEnvironmentVariableV2")
    def show_variable(call: Call, backend: ApigBackend) -> httpx.Response:
        return ok(lookup(backend.instance(call), call.path_params["env_variable_id"]))

    @svc.route("PUT", BASE + "/env-variables/{env_variable_id}", "UpdateEnvironmentVariableV2")
    def update_variable(call: Call, backend: ApigBackend) -> httpx.Response:
        var = lookup(backend.instance(call), call.path_params["env_variable_id"])
        var["variable_value"] = check_pattern(body_of(call), "variable_value", VARIABLE_VALUE, required=True)
        return ok(var)

    @svc.route("DELETE", BASE + "/env-variables/{env_variable_id}", "DeleteEnvironmentVariableV2")
    def delete_variable(call: Call, backend: ApigBackend) -> httpx.Response:
        inst = backend.instance(call)
        lookup(inst, call.path_params["env_variable_id"])
        inst.variables.pop(call.path_params["env_variable_id"])
        return no_content()

    @svc.route("GET", BASE + "/env-variables", "ListEnvironmentVariablesV2")
    def list_variables(call: Call, backend: ApigBackend) -> httpx.Response:
        inst = backend.instance(call)
        q = call.query
        group_id = q.get("group_id")
        if not group_id:
            raise huawei_error(
                400,
                "APIG.2001",
                "The request parameters must be specified,parameterName:group_id. "
                "Please refer to the support documentation",
            )
        precise = "name" in precise_fields(call) or "variable_name" in precise_fields(call)
        rows = [
            v
            for v in inst.variables
            if v["group_id"] == group_id
            and text_filter(q.get("env_id"), v["env_id"], precise=True)
            and text_filter(q.get("variable_name"), v["variable_name"], precise=precise)
        ]
        return page(call, "variables", rows, dict)


# The list items of 3.24.11 are ``RespInstanceBase``: a summary, not the 3.24.2 detail (which adds the
# description, maintenance window, version and supported features).
_SUMMARY_FIELDS = (
    "id",
    "project_id",
    "instance_name",
    "status",
    "instance_status",
    "type",
    "spec",
    "create_time",
    "enterprise_project_id",
    "eip_address",
    "charging_mode",
    "cbc_metadata",
    "loadbalancer_provider",
)


def _instance_summary(record: dict[str, Any]) -> dict[str, Any]:
    return {k: record[k] for k in _SUMMARY_FIELDS if k in record}


# 3.24.1: the network placement and the spec are required; the spec is one of the documented editions.
_INSTANCE_REQUIRED = ("spec_id", "vpc_id", "subnet_id", "security_group_id", "available_zone_ids")
_INSTANCE_SPECS = frozenset(
    {
        "BASIC",
        "PROFESSIONAL",
        "ENTERPRISE",
        "PLATINUM",
        "BASIC_IPV6",
        "PROFESSIONAL_IPV6",
        "ENTERPRISE_IPV6",
        "PLATINUM_IPV6",
    }
)


def _check_instance_body(body: dict[str, Any]) -> None:
    """The seed's 3.24.1 answers: APIC.7211 for a parameter breaking the rules, 404 APIC.7301 for the spec."""
    for name in _INSTANCE_REQUIRED:
        value = body.get(name)
        wanted_list = name == "available_zone_ids"
        well_formed = (
            isinstance(value, list) and bool(value) and all(isinstance(v, str) and v for v in value)
            if wanted_list
            else isinstance(value, str) and bool(value)
        )
        if not well_formed:
            raise huawei_error(
                400, "APIC.7211", f"Parameter value does not match the rules, parameter name[{name}]"
            )
    if body["spec_id"] not in _INSTANCE_SPECS:
        raise huawei_error(404, "APIC.7301", "Instance spec not found")
