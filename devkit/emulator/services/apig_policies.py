"""Throttling policies (3.4) and ACL policies (3.14) with their bindings to publish records (3.8, 3.15).

Limits follow 3.4.1: every limit is a positive integer up to 2147483647, ``user_call_limits`` and
``ip_call_limits`` may not exceed ``api_call_limits`` and ``app_call_limits`` may not exceed the user limit
(or
the API limit when there is none). A policy that is still bound cannot be deleted (403 ``APIG.3451`` /
``APIG.3447``). The gateway (``apig_gateway``) enforces both kinds on published APIs.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

import httpx

from devkit.emulator.core import ApiError, Call, Service, huawei_error
from devkit.emulator.services.apig_bindings import (
    api_fields,
    bind_publish_ids,
    bound_to_api,
    check_list,
    drop_binding,
    outline,
    partition_published,
    require_query,
)
from devkit.emulator.services.apig_state import (
    BASE,
    NAME_3_64,
    ApigBackend,
    Instance,
    Table,
    bad_value,
    body_of,
    check_enum,
    check_length,
    check_pattern,
    check_unique_name,
    created,
    listed,
    new_id,
    no_content,
    now,
    ok,
    page,
    quota_check,
    require,
    require_id,
)

_MAX_INT = 2147483647
_LIMITS = ("api_call_limits", "user_call_limits", "app_call_limits", "ip_call_limits", "time_interval")


def register(svc: Service[ApigBackend]) -> None:
    _register_throttles(svc)
    _register_throttle_bindings(svc)
    _register_acls(svc)
    _register_acl_bindings(svc)


def _register_unbinds(
    svc: Service[ApigBackend],
    base: str,
    table_of: Callable[[Instance], Table],
    operations: tuple[str, str],
    *,
    path_param: str,
    code: str,
    msg: str,
    body_key: str,
    what: str,
) -> None:
    """``DELETE <base>/{id}`` and ``PUT <base>?action=delete``, alike for throttling and ACL bindings.

    Only the table, the operation names, the 404 code and the wording differ between the two kinds; the
    batch answer is 200 with ``success_count`` and one ``failure`` entry per binding id that did not exist.
    """

    @svc.route("DELETE", base + "/{" + path_param + "}", operations[0])
    def unbind(call: Call, backend: ApigBackend) -> httpx.Response:
        drop_binding(table_of(backend.instance(call)), call.path_params[path_param], code, msg)
        return no_content()

    @svc.route("PUT", base, operations[1])
    def batch_unbind(call: Call, backend: ApigBackend) -> httpx.Response:
        table = table_of(backend.instance(call))
        if call.query.get("action") != "delete":
            raise bad_value("action")
        ids = check_list(require(body_of(call), body_key), body_key)
        success, failure = 0, []
        for binding_id in ids:
            binding = table.pop(binding_id)
            if binding is None:
                failure.append(
                    {"bind_id": binding_id, "error_code": code, "error_msg": f"The {what} does not exist"}
                )
                continue
            success += 1
        return ok({"success_count": success, "failure": failure})


# ---------------------------------------------------------------- throttling policies


def _validate_throttle(
    inst: Instance, body: dict[str, Any], current: dict[str, Any] | None
) -> dict[str, Any]:
    name = check_pattern(body, "name", NAME_3_64, required=True)
    require(body, "api_call_limits")
    require(body, "time_interval")
    check_enum(body, "time_unit", ("SECOND", "MINUTE", "HOUR", "DAY"), required=True)
    check_enum(body, "type", (1, 2))
    check_enum(body, "enable_adaptive_control", ("TRUE", "FALSE"))
    check_length(body, "remark", 255)
    for key in _LIMITS:
        value = body.get(key)
        if value is not None and (
            not isinstance(value, int) or isinstance(value, bool) or not 1 <= value <= _MAX_INT
        ):
            raise bad_value(key)
    api_limit = body["api_call_limits"]
    user_limit = body.get("user_call_limits")
    if user_limit is not None and user_limit > api_limit:
        raise bad_value("user_call_limits")
    app_limit = body.get("app_call_limits")
    if app_limit is not None and app_limit > (user_limit or api_limit):
        raise bad_value("app_call_limits")
    ip_limit = body.get("ip_call_limits")
    if ip_limit is not None and ip_limit > api_limit:
        raise bad_value("ip_call_limits")
    own_id = current["id"] if current else None
    check_unique_name(inst.throttles, name, own_id, "APIG.3204", "request throttling policy")
    fields = {"type": 1, "remark": "", "enable_adaptive_control": "FALSE"}
    fields.update({k: body[k] for k in (*_LIMITS, "name", "time_unit", "type", "remark") if k in body})
    if "enable_adaptive_control" in body:
        fields["enable_adaptive_control"] = body["enable_adaptive_control"]
    return fields


def _throttle_view(inst: Instance, throttle: dict[str, Any]) -> dict[str, Any]:
    bound = sum(1 for b in inst.throttle_bindings if b["strategy_id"] == throttle["id"])
    return {**throttle, "bind_num": bound, "is_inclu_special_throttle": 2}


def _register_throttles(svc: Service[ApigBackend]) -> None:
    @svc.route("POST", BASE + "/throttles", "CreateRequestThrottlingPolicyV2")
    def create_throttle(call: Call, backend: ApigBackend) -> httpx.Response:
        inst = backend.instance(call)
        fields = _validate_throttle(inst, body_of(call), None)
        quota_check(
            inst, "THROTTLE_NUM_LIMIT", len(inst.throttles), "APIG.3107", "request throttling policies"
        )
        throttle = inst.throttles.put({**fields, "id": new_id(), "create_time": now()})
        return created(_throttle_view(inst, throttle))

    @svc.route("PUT", BASE + "/throttles/{throttle_id}", "UpdateRequestThrottlingPolicyV2")
    def update_throttle(call: Call, backend: ApigBackend) -> httpx.Response:
        inst = backend.instance(call)
        throttle = inst.throttle(call.path_params["throttle_id"])
        fields = _validate_throttle(inst, body_of(call), throttle)
        for key in ("user_call_limits", "app_call_limits", "ip_call_limits"):
            throttle.pop(key, None)
        throttle.update(fields)
        return ok(_throttle_view(inst, throttle))

    @svc.route("GET", BASE + "/throttles/{throttle_id}", "ShowDetailsOfRequestThrottlingPolicyV2")
    def show_throttle(call: Call, backend: ApigBackend) -> httpx.Response:
        inst = backend.instance(call)
        return ok(_throttle_view(inst, inst.throttle(call.path_params["throttle_id"])))

    @svc.route("DELETE", BASE + "/throttles/{throttle_id}", "DeleteRequestThrottlingPolicyV2")
    def delete_throttle(call: Call, backend: ApigBackend) -> httpx.Response:
        inst = backend.instance(call)
        throttle = inst.throttle(call.path_params["throttle_id"])
        if inst.throttle_bindings.find(strategy_id=throttle["id"]) is not None:
            raise huawei_error(
                403,
                "APIG.3451",
                "The request throttling policy cannot be deleted because it has been bound to APIs.",
            )
        inst.throttles.pop(throttle["id"])
        return no_content()

    @svc.route("GET", BASE + "/throttles", "ListRequestThrottlingPolicyV2")
    def list_throttles(call: Call, backend: ApigBackend) -> httpx.Response:
        inst = backend.instance(call)
        return page(call, "throttles", listed(call, inst.throttles), lambda t: _throttle_view(inst, t))


def _register_throttle_bindings(svc: Service[ApigBackend]) -> None:
    base = BASE + "/throttle-bindings"

    def api_row(inst: Instance, binding: dict[str, Any] | None, record: dict[str, Any]) -> dict[str, Any]:
        view = outline(inst, record)
        if binding is not None:
            policy = inst.throttles.get(binding["strategy_id"]) or {}
            view.update(
                {
                    "throttle_apply_id": binding["id"],
                    "apply_time": binding["apply_time"],
                    "throttle_name": policy.get("name", ""),
                }
            )
        return view

    @svc.route("POST", base, "AssociateRequestThrottlingPolicyV2")
    def bind(call: Call, backend: ApigBackend) -> httpx.Response:
        inst = backend.instance(call)
        body = body_of(call)
        throttle = inst.throttle(require_id(body, "strategy_id"))
        pairs = bind_publish_ids(
            inst,
            inst.throttle_bindings,
            "strategy_id",
            throttle["id"],
            body.get("publish_ids"),
            "apply_time",
            "throttling policy",
        )
        applys = [
            {
                "id": b["id"],
                "publish_id": b["publish_id"],
                "strategy_id": b["strategy_id"],
                "apply_time": b["apply_time"],
                "scope": 1,
            }
            for b, _ in pairs
        ]
        return created({"throttle_applys": applys})

    _register_unbinds(
        svc,
        base,
        lambda inst: inst.throttle_bindings,
        ("DisassociateRequestThrottlingPolicyV2", "BatchDisassociateThrottlingPolicyV2"),
        path_param="throttle_binding_id",
        code="APIG.3012",
        msg="The request throttling policy binding record does not exist.",
        body_key="throttle_bindings",
        what="throttling policy binding",
    )

    @svc.route("GET", base + "/binded-apis", "ListApisBindedToRequestThrottlingPolicyV2")
    def bound_apis(call: Call, backend: ApigBackend) -> httpx.Response:
        inst = backend.instance(call)
        throttle = inst.throttle(require_query(call.query, "throttle_id"))
        bound, _ = partition_published(
            inst, call.query, inst.throttle_bindings, "strategy_id", throttle["id"]
        )
        return page(call, "apis", [api_row(inst, binding, record) for record, binding in bound], dict)

    @svc.route("GET", base + "/unbinded-apis", "ListApisUnbindedToRequestThrottlingPolicyV2")
    def unbound_apis(call: Call, backend: ApigBackend) -> httpx.Response:
        inst = backend.instance(call)
        throttle = inst.throttle(require_query(call.query, "throttle_id"))
        _, others = partition_published(
            inst, call.query, inst.throttle_bindings, "strategy_id", throttle["id"]
        )
        return page(call, "apis", [api_row(inst, None, record) for record, _ in others], dict)

    @svc.route("GET", base + "/binded-throttles", "ListRequestThrottlingPoliciesBindedToApiV2")
    def bound_throttles(call: Call, backend: ApigBackend) -> httpx.Response:
        inst = backend.instance(call)
        found = bound_to_api(
            inst,
            call.query,
            inst.throttle_bindings,
            inst.throttles,
            "strategy_id",
            id_query="throttle_id",
            name_query="throttle_name",
        )
        rows = [
            {
                **_throttle_view(inst, policy),
                "env_name": inst.env_name(record["env_id"]),
                "bind_id": binding["id"],
                "bind_time": binding["apply_time"],
            }
            for binding, record, policy in found
        ]
        return page(call, "throttles", rows, dict)


# ---------------------------------------------------------------- ACL policies


_IP_ENTRY = r"\d{1,3}(?:\.\d{1,3}){3}(?:/\d{1,2}|-\d{1,3}(?:\.\d{1,3}){3})?"
_DOMAIN_ENTRY = r"[A-Za-z0-9*][A-Za-z0-9\-.*]{0,254}"


def _validate_acl(inst: Instance, body: dict[str, Any], current: dict[str, Any] | None) -> dict[str, Any]:
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


def _register_acls(svc: Service[ApigBackend]) -> None:
    def acl_view(inst: Instance, acl: dict[str, Any]) -> dict[str, Any]:
        return {**acl, "bind_num": sum(1 for b in inst.acl_bindings if b["acl_id"] == acl["id"])}

    @svc.route("POST", BASE + "/acls", "CreateAclStrategyV2")
    def create_acl(call: Call, backend: ApigBackend) -> httpx.Response:
        inst = backend.instance(call)
        fields = _validate_acl(inst, body_of(call), None)
        quota_check(inst, "ACL_NUM_LIMIT", len(inst.acls), "APIG.3112", "access control policies")
        return created(inst.acls.put({**fields, "id": new_id(), "update_time": now()}))

    @svc.route("PUT", BASE + "/acls/{acl_id}", "UpdateAclStrategyV2")
    def update_acl(call: Call, backend: ApigBackend) -> httpx.Response:
        inst = backend.instance(call)
        acl = inst.acl(call.path_params["acl_id"])
        acl.update(_validate_acl(inst, body_of(call), acl))
        acl["update_time"] = now()
        return ok(acl)

    def delete_one(inst: Instance, acl_id: str) -> None:
        acl = inst.acl(acl_id)
        if inst.acl_bindings.find(acl_id=acl["id"]) is not None:
            raise huawei_error(
                403,
                "APIG.3447",
                "The access control policy cannot be deleted because it has been bound to APIs.",
            )
        inst.acls.pop(acl["id"])

    @svc.route("DELETE", BASE + "/acls/{acl_id}", "DeleteAclV2")
    def delete_acl(call: Call, backend: ApigBackend) -> httpx.Response:
        delete_one(backend.instance(call), call.path_params["acl_id"])
        return no_content()

    @svc.route("PUT", BASE + "/acls", "BatchDeleteAclV2")
    def batch_delete(call: Call, backend: ApigBackend) -> httpx.Response:
        inst = backend.instance(call)
        if call.query.get("action") != "delete":
            raise bad_value("action")
        ids = check_list(require(body_of(call), "acls"), "acls")
        success, failure = 0, []
        for acl_id in ids:
            name = (inst.acls.get(acl_id) or {}).get("acl_name", "")
            try:
                delete_one(inst, acl_id)
                success += 1
            except ApiError as exc:  # this policy's failure entry
                err = exc.response.json()
                failure.append({"acl_id": acl_id, "acl_name": name, **err})
        for item in failure:
            item.pop("request_id", None)
        return ok({"success_count": success, "failure": failure})

    @svc.route("GET", BASE + "/acls/{acl_id}", "ShowDetailsOfAclPolicyV2")
    def show_acl(call: Call, backend: ApigBackend) -> httpx.Response:
        inst = backend.instance(call)
        # 3.14.5's answer has no ``bind_num`` (only the 3.14.6 list items count bindings).
        return ok(inst.acl(call.path_params["acl_id"]))

    @svc.route("GET", BASE + "/acls", "ListAclStrategiesV2")
    def list_acls(call: Call, backend: ApigBackend) -> httpx.Response:
        inst = backend.instance(call)
        rows = listed(call, inst.acls, name_field="acl_name", exact=("acl_type", "entity_type"))
        return page(call, "acls", rows, lambda a: acl_view(inst, a))


def _register_acl_bindings(svc: Service[ApigBackend]) -> None:
    base = BASE + "/acl-bindings"

    @svc.route("POST", base, "CreateApiAclBindingV2")
    def bind(call: Call, backend: ApigBackend) -> httpx.Response:
        inst = backend.instance(call)
        body = body_of(call)
        acl = inst.acl(require_id(body, "acl_id"))
        pairs = bind_publish_ids(
            inst, inst.acl_bindings, "acl_id", acl["id"], body.get("publish_ids"), "create_time", "ACL policy"
        )
        rows = [
            {
                "id": b["id"],
                "api_id": r["api_id"],
                "env_id": r["env_id"],
                "acl_id": acl["id"],
                "create_time": b["create_time"],
            }
            for b, r in pairs
        ]
        return created({"acl_bindings": rows})

    _register_unbinds(
        svc,
        base,
        lambda inst: inst.acl_bindings,
        ("DeleteApiAclBindingV2", "BatchDeleteApiAclBindingV2"),
        path_param="acl_bindings_id",
        code="APIG.3010",
        msg="The access control policy binding record does not exist.",
        body_key="acl_bindings",
        what="ACL binding",
    )

    @svc.route("GET", base + "/binded-apis", "ListApisBindedToAclPolicyV2")
    def bound_apis(call: Call, backend: ApigBackend) -> httpx.Response:
        inst = backend.instance(call)
        acl = inst.acl(require_query(call.query, "acl_id"))
        rows = []
        bound, _ = partition_published(inst, call.query, inst.acl_bindings, "acl_id", acl["id"])
        for record, binding in bound:
            facts = api_fields(inst, record)
            rows.append(
                {
                    **{
                        k: facts[k]
                        for k in ("api_id", "api_name", "api_type", "api_remark", "env_id", "env_name")
                    },
                    **{k: facts[k] for k in ("group_name", "publish_id", "req_method", "tags")},
                    "bind_id": binding["id"],
                    "bind_time": binding["create_time"],
                }
            )
        return page(call, "apis", rows, dict)

    def unbound_apis(call: Call, backend: ApigBackend) -> httpx.Response:
        inst = backend.instance(call)
        acl = inst.acl(require_query(call.query, "acl_id"))
        _, others = partition_published(inst, call.query, inst.acl_bindings, "acl_id", acl["id"])
        return page(call, "apis", [{**outline(inst, record), "acl_name": ""} for record, _ in others], dict)

    # The seed prints ``unbound-apis`` (3.15.5); the official SDK and chapter 4 use ``unbinded-apis``.
    svc.route("GET", base + "/unbound-apis", "ListApisUnbindedToAclPolicyV2")(unbound_apis)
    svc.route("GET", base + "/unbinded-apis", "ListApisUnbindedToAclPolicyV2")(unbound_apis)

    @svc.route("GET", base + "/binded-acls", "ListAclPolicyBindedToApiV2")
    def bound_acls(call: Call, backend: ApigBackend) -> httpx.Response:
        inst = backend.instance(call)
        q = call.query
        found = bound_to_api(
            inst,
            q,
            inst.acl_bindings,
            inst.acls,
            "acl_id",
            id_query="acl_id",
            name_query="acl_name",
            name_field="acl_name",
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
