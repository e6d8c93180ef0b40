"""Environments and their variables (seed 002 sections 3.2 and 3.3).

The RELEASE environment exists in every instance and cannot be changed or deleted; an environment that still
has published APIs cannot be deleted. Variables are per group and environment and are substituted as
``#Name#`` in backend addresses and paths by the gateway.
"""

from __future__ import annotations

from typing import Any

import httpx

from devkit.emulator.core import Call, huawei_error
from devkit.emulator.services.apig.state import RELEASE_ENV_ID, ApigBackend, Instance, new_id, not_found, now
from devkit.emulator.services.apig.wire import (
    ENV_NAME,
    body_of,
    check_named,
    check_pattern,
    created,
    no_content,
    ok,
    page,
    precise_fields,
    quota_check,
    require_query,
    text_filter,
)

VARIABLE_NAME = r"[A-Za-z][A-Za-z0-9_\-]{2,31}"
VARIABLE_VALUE = r"[A-Za-z0-9_\-/.:]{1,255}"


def _validate(inst: Instance, body: dict[str, Any], env_id: str | None) -> str:
    return check_named(body, inst.envs, env_id, ENV_NAME, 255, "APIG.3205", "environment")


def _user_env(call: Call, inst: Instance) -> dict[str, Any]:
    env_id = call.path_params["env_id"]
    env = inst.env(env_id)
    if env_id == RELEASE_ENV_ID:
        raise huawei_error(
            400,
            "APIG.2012",
            "Invalid parameter value,parameterName:env_id. The RELEASE environment cannot be changed",
        )
    return env


def create_env(call: Call, backend: ApigBackend) -> httpx.Response:
    inst = backend.instance(call)
    body = body_of(call)
    name = _validate(inst, body, None)
    quota_check(inst, "ENVIRONMENT_NUM_LIMIT", len(inst.envs) - 1, "APIG.3104", "environments")
    env = {"id": new_id(), "name": name, "remark": body.get("remark", ""), "create_time": now()}
    return created(inst.envs.put(env))


def update_env(call: Call, backend: ApigBackend) -> httpx.Response:
    inst = backend.instance(call)
    env = _user_env(call, inst)
    body = body_of(call)
    env["name"] = _validate(inst, body, env["id"])
    if "remark" in body:
        env["remark"] = body["remark"]
    return ok(env)


def delete_env(call: Call, backend: ApigBackend) -> httpx.Response:
    inst = backend.instance(call)
    env = _user_env(call, inst)
    if any(env_id == env["id"] for _, env_id in inst.publishes):
        raise huawei_error(403, "APIG.3418", "The environment contains published APIs.")
    inst.delete(inst.envs, env["id"], (inst.variables, "env_id"))
    return no_content()


def list_envs(call: Call, backend: ApigBackend) -> httpx.Response:
    inst = backend.instance(call)
    name = call.query.get("name")
    return page(call, "envs", [e for e in inst.envs if text_filter(name, e["name"], precise=False)], dict)


# ---------------------------------------------------------------- variables


def _variable(call: Call, inst: Instance) -> dict[str, Any]:
    var_id = call.path_params["env_variable_id"]
    var = inst.variables.get(var_id)
    if var is None:
        raise not_found("APIG.3011", f"The environment variable does not exist,id:{var_id}")
    return var


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
    return created(inst.variables.put(var))


def show_variable(call: Call, backend: ApigBackend) -> httpx.Response:
    return ok(_variable(call, backend.instance(call)))


def update_variable(call: Call, backend: ApigBackend) -> httpx.Response:
    var = _variable(call, backend.instance(call))
    var["variable_value"] = check_pattern(body_of(call), "variable_value", VARIABLE_VALUE, required=True)
    return ok(var)


def delete_variable(call: Call, backend: ApigBackend) -> httpx.Response:
    inst = backend.instance(call)
    inst.variables.pop(_variable(call, inst)["id"])
    return no_content()


def list_variables(call: Call, backend: ApigBackend) -> httpx.Response:
    inst = backend.instance(call)
    q = call.query
    group_id = require_query(q, "group_id")
    precise = "name" in precise_fields(call) or "variable_name" in precise_fields(call)
    rows = [
        v
        for v in inst.variables
        if v["group_id"] == group_id
        and text_filter(q.get("env_id"), v["env_id"], precise=True)
        and text_filter(q.get("variable_name"), v["variable_name"], precise=precise)
    ]
    return page(call, "variables", rows, dict)
