"""Dedicated gateway instances and their quotas (seed 002 sections 3.24 and 3.23.1)."""

from __future__ import annotations

from typing import Any

import httpx

from devkit.emulator.core import Call, huawei_error, json_response
from devkit.emulator.services.apig.state import RELEASE_ENV_ID, ApigBackend, new_id
from devkit.emulator.services.apig.wire import body_of, check_pattern, no_content, ok, page, text_filter

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


def _record(call: Call, backend: ApigBackend) -> dict[str, Any]:
    instance_id = call.path_params["instance_id"]
    inst = backend.instances.get(instance_id)
    if inst is None:
        raise huawei_error(404, "APIC.7302", f"The gateway does not exist,id:{instance_id}")
    return inst.record


def list_instances(call: Call, backend: ApigBackend) -> httpx.Response:
    q = call.query
    rows = [
        inst.record
        for inst in backend.instances.values()
        if text_filter(q.get("instance_id"), inst.id, precise=True)
        and text_filter(q.get("instance_name"), inst.record["instance_name"], precise=False)
        and text_filter(q.get("status"), inst.record["status"], precise=True)
    ]
    return page(call, "instances", rows, lambda r: {k: r[k] for k in _SUMMARY_FIELDS if k in r})


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


def show_instance(call: Call, backend: ApigBackend) -> httpx.Response:
    return ok(_record(call, backend))


def delete_instance(call: Call, backend: ApigBackend) -> httpx.Response:
    _record(call, backend)
    del backend.instances[call.path_params["instance_id"]]
    return no_content()


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
