"""API groups (seed 002 section 3.1): the unit owning APIs, variables and the sub-domain serving them."""

from __future__ import annotations

from typing import Any

import httpx

from devkit.emulator.core import Call, huawei_error
from devkit.emulator.services.apig.state import GROUP_DOMAIN_SUFFIX, ApigBackend, Instance, new_id, now
from devkit.emulator.services.apig.wire import (
    GROUP_NAME,
    body_of,
    check_named,
    created,
    listed,
    no_content,
    ok,
    page,
    public,
    quota_check,
)


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


def _validate(inst: Instance, body: dict[str, Any], group_id: str | None) -> str:
    return check_named(body, inst.groups, group_id, GROUP_NAME, 1000, "APIG.3201", "API group")


def create_group(call: Call, backend: ApigBackend) -> httpx.Response:
    inst = backend.instance(call)
    body = body_of(call)
    name = _validate(inst, body, None)
    return created(public(new_group(inst, name, str(body.get("remark", "")))))


def update_group(call: Call, backend: ApigBackend) -> httpx.Response:
    inst = backend.instance(call)
    group = inst.group(call.path_params["group_id"])
    body = body_of(call)
    group["name"] = _validate(inst, body, group["id"])
    if "remark" in body:
        group["remark"] = body["remark"]
    group["update_time"] = now()
    return ok(public(group))


def show_group(call: Call, backend: ApigBackend) -> httpx.Response:
    return ok(public(backend.instance(call).group(call.path_params["group_id"])))


def delete_group(call: Call, backend: ApigBackend) -> httpx.Response:
    inst = backend.instance(call)
    group = inst.group(call.path_params["group_id"])
    if inst.apis.find(group_id=group["id"]) is not None:
        raise huawei_error(403, "APIG.3415", "The API group cannot be deleted because it contains APIs.")
    inst.delete(inst.groups, group["id"], (inst.variables, "group_id"))
    return no_content()


def list_groups(call: Call, backend: ApigBackend) -> httpx.Response:
    inst = backend.instance(call)
    q = call.query
    if not q.get("id") and not q.get("name"):
        ids = inst.groups.ordered_ids()
        return page(call, "groups", ids, lambda gid: public(inst.groups.rows[gid]))
    return page(call, "groups", listed(call, inst.groups), public)
