"""Request throttling policies and their bindings to publish records (seed 002 sections 3.4 and 3.8).

Limits follow 3.4.1: every limit is a positive integer up to 2147483647, ``user_call_limits`` and
``ip_call_limits`` may not exceed ``api_call_limits`` and ``app_call_limits`` may not exceed the user limit
(or the API limit when there is none). A policy that is still bound cannot be deleted (403 ``APIG.3451``). The
gateway enforces the policies on published APIs.
"""

from __future__ import annotations

from typing import Any

import httpx

from devkit.emulator.core import Call
from devkit.emulator.services.apig import bindings
from devkit.emulator.services.apig.bindings import THROTTLE
from devkit.emulator.services.apig.state import ApigBackend, Instance, new_id, now
from devkit.emulator.services.apig.wire import (
    NAME_3_64,
    bad_value,
    body_of,
    check_enum,
    check_length,
    check_pattern,
    check_unique_name,
    created,
    listed,
    no_content,
    ok,
    page,
    quota_check,
    require,
)

_MAX_INT = 2147483647
_LIMITS = ("api_call_limits", "user_call_limits", "app_call_limits", "ip_call_limits", "time_interval")


def _check_limits(body: dict[str, Any]) -> None:
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


def _validate(inst: Instance, body: dict[str, Any], current: dict[str, Any] | None) -> dict[str, Any]:
    name = check_pattern(body, "name", NAME_3_64, required=True)
    require(body, "api_call_limits")
    require(body, "time_interval")
    check_enum(body, "time_unit", ("SECOND", "MINUTE", "HOUR", "DAY"), required=True)
    check_enum(body, "type", (1, 2))
    check_enum(body, "enable_adaptive_control", ("TRUE", "FALSE"))
    check_length(body, "remark", 255)
    _check_limits(body)
    own_id = current["id"] if current else None
    check_unique_name(inst.throttles, name, own_id, "APIG.3204", "request throttling policy")
    fields = {"type": 1, "remark": "", "enable_adaptive_control": "FALSE"}
    fields.update({k: body[k] for k in (*_LIMITS, "name", "time_unit", "type", "remark") if k in body})
    if "enable_adaptive_control" in body:
        fields["enable_adaptive_control"] = body["enable_adaptive_control"]
    return fields


def _view(inst: Instance, throttle: dict[str, Any]) -> dict[str, Any]:
    return {**throttle, "bind_num": THROTTLE.bind_num(inst, throttle["id"]), "is_inclu_special_throttle": 2}


def create_throttle(call: Call, backend: ApigBackend) -> httpx.Response:
    inst = backend.instance(call)
    fields = _validate(inst, body_of(call), None)
    quota_check(inst, "THROTTLE_NUM_LIMIT", len(inst.throttles), "APIG.3107", "request throttling policies")
    throttle = inst.throttles.put({**fields, "id": new_id(), "create_time": now()})
    return created(_view(inst, throttle))


def update_throttle(call: Call, backend: ApigBackend) -> httpx.Response:
    inst = backend.instance(call)
    throttle = inst.throttle(call.path_params["throttle_id"])
    fields = _validate(inst, body_of(call), throttle)
    for key in ("user_call_limits", "app_call_limits", "ip_call_limits"):
        throttle.pop(key, None)
    throttle.update(fields)
    return ok(_view(inst, throttle))


def show_throttle(call: Call, backend: ApigBackend) -> httpx.Response:
    inst = backend.instance(call)
    return ok(_view(inst, inst.throttle(call.path_params["throttle_id"])))


def delete_throttle(call: Call, backend: ApigBackend) -> httpx.Response:
    msg = "The request throttling policy cannot be deleted because it has been bound to APIs."
    bindings.delete_policy(
        backend.instance(call), THROTTLE, call.path_params["throttle_id"], "APIG.3451", msg
    )
    return no_content()


def list_throttles(call: Call, backend: ApigBackend) -> httpx.Response:
    inst = backend.instance(call)
    return page(call, "throttles", listed(call, inst.throttles), lambda t: _view(inst, t))


def _api_row(inst: Instance, binding: dict[str, Any] | None, record: dict[str, Any]) -> dict[str, Any]:
    view = bindings.outline(inst, record)
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


def bind_throttle(call: Call, backend: ApigBackend) -> httpx.Response:
    inst = backend.instance(call)
    applys = [
        {
            "id": b["id"],
            "publish_id": b["publish_id"],
            "strategy_id": b["strategy_id"],
            "apply_time": b["apply_time"],
            "scope": 1,
        }
        for b, _ in bindings.bind(inst, THROTTLE, body_of(call))
    ]
    return created({"throttle_applys": applys})


def unbind_throttle(call: Call, backend: ApigBackend) -> httpx.Response:
    bindings.unbind(backend.instance(call), THROTTLE, call.path_params["throttle_binding_id"])
    return no_content()


def batch_unbind_throttles(call: Call, backend: ApigBackend) -> httpx.Response:
    return bindings.batch_unbind(call, backend.instance(call), THROTTLE)


def apis_of_throttle(call: Call, backend: ApigBackend) -> httpx.Response:
    inst = backend.instance(call)
    bound, _ = bindings.partition_published(inst, call.query, THROTTLE, "throttle_id")
    return page(call, "apis", [_api_row(inst, binding, record) for record, binding in bound], dict)


def apis_without_throttle(call: Call, backend: ApigBackend) -> httpx.Response:
    inst = backend.instance(call)
    _, others = bindings.partition_published(inst, call.query, THROTTLE, "throttle_id")
    return page(call, "apis", [_api_row(inst, None, record) for record, _ in others], dict)


def throttles_of_api(call: Call, backend: ApigBackend) -> httpx.Response:
    inst = backend.instance(call)
    found = bindings.bound_to_api(
        inst, call.query, THROTTLE, id_query="throttle_id", name_query="throttle_name"
    )
    rows = [
        {
            **_view(inst, policy),
            "env_name": inst.env_name(record["env_id"]),
            "bind_id": binding["id"],
            "bind_time": binding["apply_time"],
        }
        for binding, record, policy in found
    ]
    return page(call, "throttles", rows, dict)
