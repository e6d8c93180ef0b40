"""Access control (ACL) policies and their bindings to publish records (seed 002 sections 3.14 and 3.15).

An ACL lists IP addresses (single, CIDR or ``a-b`` ranges) or domain names to permit or deny; a policy that is
still bound cannot be deleted (403 ``APIG.3447``). The gateway enforces IP policies on published APIs.
"""

from __future__ import annotations

import re
from typing import Any

import httpx

from devkit.emulator.core import ApiError, Call
from devkit.emulator.services.apig import bindings
from devkit.emulator.services.apig.bindings import ACL
from devkit.emulator.services.apig.state import ApigBackend, Instance, new_id, now
from devkit.emulator.services.apig.wire import (
    NAME_3_64,
    bad_value,
    body_of,
    check_enum,
    check_list,
    check_pattern,
    check_unique_name,
    created,
    error_fields,
    listed,
    no_content,
    ok,
    page,
    quota_check,
    require,
)

_IP_ENTRY = r"\d{1,3}(?:\.\d{1,3}){3}(?:/\d{1,2}|-\d{1,3}(?:\.\d{1,3}){3})?"
_DOMAIN_ENTRY = r"[A-Za-z0-9*][A-Za-z0-9\-.*]{0,254}"
_BOUND_MSG = "The access control policy cannot be deleted because it has been bound to APIs."


def _validate(inst: Instance, body: dict[str, Any], current: dict[str, Any] | None) -> dict[str, Any]:
    name = check_pattern(body, "acl_name", NAME_3_64, required=True)
    acl_type = check_enum(body, "acl_type", ("PERMIT", "DENY"), required=True)
    entity = check_enum(body, "entity_type", ("IP", "DOMAIN"), required=True)
    value = require(body, "acl_value")
    entry = _IP_ENTRY if entity == "IP" else _DOMAIN_ENTRY
    if not isinstance(value, str) or not all(re.fullmatch(entry, v.strip()) for v in value.split(",")):
        raise bad_value("acl_value")
    own_id = current["id"] if current else None
    check_unique_name(inst.acls, name, own_id, "APIG.3206", "access control policy", field="acl_name")
    return {"acl_name": name, "acl_type": acl_type, "entity_type": entity, "acl_value": value}


def create_acl(call: Call, backend: ApigBackend) -> httpx.Response:
    inst = backend.instance(call)
    fields = _validate(inst, body_of(call), None)
    quota_check(inst, "ACL_NUM_LIMIT", len(inst.acls), "APIG.3112", "access control policies")
    return created(inst.acls.put({**fields, "id": new_id(), "update_time": now()}))


def update_acl(call: Call, backend: ApigBackend) -> httpx.Response:
    inst = backend.instance(call)
    acl = inst.acl(call.path_params["acl_id"])
    acl.update(_validate(inst, body_of(call), acl))
    acl["update_time"] = now()
    return ok(acl)


def delete_acl(call: Call, backend: ApigBackend) -> httpx.Response:
    bindings.delete_policy(backend.instance(call), ACL, call.path_params["acl_id"], "APIG.3447", _BOUND_MSG)
    return no_content()


def batch_delete_acls(call: Call, backend: ApigBackend) -> httpx.Response:
    inst = backend.instance(call)
    if call.query.get("action") != "delete":
        raise bad_value("action")
    success, failure = 0, []
    for acl_id in check_list(require(body_of(call), "acls"), "acls"):
        name = (inst.acls.get(acl_id) or {}).get("acl_name", "")
        try:
            bindings.delete_policy(inst, ACL, acl_id, "APIG.3447", _BOUND_MSG)
            success += 1
        except ApiError as exc:  # this policy's failure entry
            failure.append({"acl_id": acl_id, "acl_name": name, **error_fields(exc)})
    return ok({"success_count": success, "failure": failure})


def show_acl(call: Call, backend: ApigBackend) -> httpx.Response:
    # 3.14.5's answer has no ``bind_num`` (only the 3.14.6 list items count bindings).
    return ok(backend.instance(call).acl(call.path_params["acl_id"]))


def list_acls(call: Call, backend: ApigBackend) -> httpx.Response:
    inst = backend.instance(call)
    rows = listed(call, inst.acls, name_field="acl_name", exact=("acl_type", "entity_type"))
    return page(call, "acls", rows, lambda a: {**a, "bind_num": ACL.bind_num(inst, a["id"])})


def bind_acl(call: Call, backend: ApigBackend) -> httpx.Response:
    rows = [
        {
            "id": b["id"],
            "api_id": r["api_id"],
            "env_id": r["env_id"],
            "acl_id": b["acl_id"],
            "create_time": b["create_time"],
        }
        for b, r in bindings.bind(backend.instance(call), ACL, body_of(call))
    ]
    return created({"acl_bindings": rows})


def unbind_acl(call: Call, backend: ApigBackend) -> httpx.Response:
    bindings.unbind(backend.instance(call), ACL, call.path_params["acl_bindings_id"])
    return no_content()


def batch_unbind_acls(call: Call, backend: ApigBackend) -> httpx.Response:
    return bindings.batch_unbind(call, backend.instance(call), ACL)


def apis_of_acl(call: Call, backend: ApigBackend) -> httpx.Response:
    inst = backend.instance(call)
    bound, _ = bindings.partition_published(inst, call.query, ACL, "acl_id")
    rows = [
        {
            **bindings.binding_fields(inst, record),
            "bind_id": binding["id"],
            "bind_time": binding["create_time"],
        }
        for record, binding in bound
    ]
    return page(call, "apis", rows, dict)


def apis_without_acl(call: Call, backend: ApigBackend) -> httpx.Response:
    inst = backend.instance(call)
    _, others = bindings.partition_published(inst, call.query, ACL, "acl_id")
    return page(
        call, "apis", [{**bindings.outline(inst, record), "acl_name": ""} for record, _ in others], dict
    )


def acls_of_api(call: Call, backend: ApigBackend) -> httpx.Response:
    inst = backend.instance(call)
    q = call.query
    found = bindings.bound_to_api(
        inst, q, ACL, id_query="acl_id", name_query="acl_name", name_field="acl_name"
    )
    rows = []
    for binding, record, acl in found:
        env_name = inst.env_name(record["env_id"])
        if q.get("env_name") and env_name != q["env_name"]:
            continue
        rows.append(
            {
                **{k: acl[k] for k in ("acl_name", "entity_type", "acl_type", "acl_value")},
                "acl_id": acl["id"],
                "env_id": record["env_id"],
                "env_name": env_name,
                "bind_id": binding["id"],
                "bind_time": binding["create_time"],
            }
        )
    return page(call, "acls", rows, dict)
