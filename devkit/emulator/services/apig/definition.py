"""The API definition: validating a register/modify body and building the stored draft (seed 002 section 3.5).

Validation follows table 3-149: required fields answer ``APIG.2001``, values outside an enum or a pattern
answer ``APIG.2011``, clashes answer ``APIG.3202`` (name) or ``APIG.3301`` (method + path + match mode), and
quotas answer ``APIG.3102``/``APIG.3125``/``APIG.3111`` with HTTP 403. The same full definition serves
register, modify and the OpenAPI import.
"""

from __future__ import annotations

import copy
import re
from typing import Any

from devkit.emulator.core import ApiError, huawei_error
from devkit.emulator.services.apig.state import Instance, new_id, now
from devkit.emulator.services.apig.wire import (
    NAME_3_64,
    bad_value,
    check_enum,
    check_length,
    check_pattern,
    missing,
    quota_check,
    require,
    require_id,
)

__all__ = ["METHODS", "build_definition", "clash_error"]

METHODS = ("GET", "POST", "PUT", "DELETE", "HEAD", "PATCH", "OPTIONS", "ANY")
PARAM_NAME = r"[A-Za-z][A-Za-z0-9_\-.]{0,31}"
MAX_BACKEND_TIMEOUT = 60000  # the instance feature ``backend_timeout`` default (A.5)
_TAG = r"[A-Za-z][A-Za-z0-9_]{0,127}"
_NOT_COPIED = ("backend_api", "func_info", "mock_info", "req_params", "backend_params")


def clash_error(other_name: str) -> ApiError:
    """``APIG.3301``: another API of the group has the same method, path and match mode."""
    return huawei_error(
        400,
        "APIG.3301",
        "The API already exists, An API with the same combination of the method, path, and "
        f"x-apigateway-match-mode fields already exists. API name: {other_name}",
    )


def build_definition(inst: Instance, body: dict[str, Any], old: dict[str, Any] | None) -> dict[str, Any]:
    """Validate a register/modify body and build the stored API (``old`` is the API being modified)."""
    front = _check_front(body)
    group = inst.group(require_id(body, "group_id"))
    api_id = old["id"] if old else new_id()
    _check_clashes(inst, group["id"], api_id, front)
    stamp = now()
    api: dict[str, Any] = {
        k: copy.deepcopy(v) for k, v in body.items() if k not in _NOT_COPIED and not k.startswith("policy_")
    }
    api.update(front)
    api.update(
        {
            "id": api_id,
            "status": 1,
            "arrange_necessary": 2,
            "group_name": group["name"],
            "group_version": "V1",
            "register_time": old["register_time"] if old else stamp,
            "update_time": stamp,
        }
    )
    params = _req_params(inst, body.get("req_params") or [])
    path_vars = set(re.findall(r"\{([^}+]+)\+?\}", api["req_uri"]))
    declared = {p["name"] for p in params if p["location"] == "PATH"}
    if path_vars - declared:
        raise huawei_error(
            400, "APIG.2026", f"The request path parameters are not defined: {sorted(path_vars - declared)}"
        )
    api["req_params"] = params
    api["backend_params"] = _backend_params(body.get("backend_params") or [], params)
    _backend(api, body, stamp)
    _policies(api, body)
    return api


def _check_front(body: dict[str, Any]) -> dict[str, Any]:
    """The front-end fields, validated in the document's order, as they are stored."""
    name = check_pattern(body, "name", NAME_3_64, required=True)
    api_type = check_enum(body, "type", (1, 2), required=True)
    body.setdefault("req_protocol", "HTTPS")
    check_enum(body, "req_protocol", ("HTTP", "HTTPS", "BOTH"), required=True)
    method = check_enum(body, "req_method", METHODS, required=True)
    req_uri = _check_uri(body, "req_uri")
    auth_type = check_enum(body, "auth_type", ("NONE", "APP", "IAM", "AUTHORIZER"), required=True)
    check_enum(body, "backend_type", ("HTTP", "FUNCTION", "MOCK"), required=True)
    match_mode = check_enum(body, "match_mode", ("SWA", "NORMAL")) or "NORMAL"
    check_enum(body, "cors", (True, False))
    for key, limit in (("version", 16), ("remark", 255)):
        check_length(body, key, limit)
    for key in ("body_remark", "result_normal_sample", "result_failure_sample"):
        check_length(body, key, 20480)
    auth_opt = body.get("auth_opt") or {}
    if not isinstance(auth_opt, dict):
        raise bad_value("auth_opt")
    check_enum(auth_opt, "app_code_auth_type", ("DISABLE", "HEADER"))
    if auth_type == "AUTHORIZER":
        require(body, "authorizer_id")
    tags = body.get("tags") or []
    if not isinstance(tags, list) or any(not isinstance(t, str) or not re.fullmatch(_TAG, t) for t in tags):
        raise bad_value("tags")
    return {
        "name": name,
        "type": api_type,
        "req_method": method,
        "req_uri": req_uri,
        "match_mode": match_mode,
        "cors": bool(body.get("cors", False)),
        "auth_opt": {"app_code_auth_type": auth_opt.get("app_code_auth_type", "DISABLE")},
        "tags": tags,
    }


def _check_clashes(inst: Instance, group_id: str, api_id: str, front: dict[str, Any]) -> None:
    identity = (front["req_method"], front["req_uri"], front["match_mode"])
    for other in inst.apis:
        if other["id"] == api_id or other["group_id"] != group_id:
            continue
        if other["name"] == front["name"]:
            raise huawei_error(400, "APIG.3202", f"The API name already exists,name:{front['name']}")
        if (other["req_method"], other["req_uri"], other["match_mode"]) == identity:
            raise clash_error(other["name"])


def _check_uri(body: dict[str, Any], name: str) -> str:
    value = require(body, name)
    if not isinstance(value, str) or not value.startswith("/") or len(value) > 512 or " " in value:
        raise bad_value(name)
    return value


def _req_params(inst: Instance, raw: Any) -> list[dict[str, Any]]:
    if not isinstance(raw, list):
        raise bad_value("req_params")
    quota_check(inst, "API_PARAM_NUM_LIMIT", len(raw) - 1, "APIG.3111", "parameters in req_params")
    out: list[dict[str, Any]] = []
    seen: set[tuple[str, str]] = set()
    for item in raw:
        if not isinstance(item, dict):
            raise bad_value("req_params")
        check_pattern(item, "name", PARAM_NAME, required=True)
        check_enum(item, "type", ("STRING", "NUMBER"), required=True)
        location = check_enum(item, "location", ("PATH", "QUERY", "HEADER"), required=True)
        for flag in ("required", "valid_enable", "pass_through"):
            check_enum(item, flag, (1, 2))
        key = (item["name"].lower(), location)
        if key in seen:
            raise huawei_error(400, "APIG.3209", f"The parameter name already exists,name:{item['name']}")
        seen.add(key)
        param = {
            "required": 1 if location == "PATH" else 2,
            "valid_enable": 2,
            "pass_through": 1,
            **copy.deepcopy(item),
        }
        param["id"] = new_id()
        out.append(param)
    return out


def _backend_params(raw: Any, params: list[dict[str, Any]]) -> list[dict[str, Any]]:
    if not isinstance(raw, list):
        raise bad_value("backend_params")
    by_name = {p["name"]: p for p in params}
    out: list[dict[str, Any]] = []
    for item in raw:
        if not isinstance(item, dict):
            raise bad_value("backend_params")
        origin = check_enum(item, "origin", ("REQUEST", "CONSTANT", "SYSTEM"), required=True)
        check_pattern(item, "name", PARAM_NAME, required=True)
        check_enum(item, "location", ("PATH", "QUERY", "HEADER"), required=True)
        value = require(item, "value")
        param = {**copy.deepcopy(item), "id": new_id()}
        if origin == "REQUEST":
            source = by_name.get(value)
            if source is None:
                raise huawei_error(
                    400,
                    "APIG.2028",
                    f"The request parameters mapped to the backend parameters are not defined: {value}",
                )
            param["req_param_id"] = source["id"]
        out.append(param)
    return out


def _backend(api: dict[str, Any], body: dict[str, Any], stamp: str) -> None:
    """The web (HTTP), function or mock backend, each with its server-side fields."""
    server = {"id": new_id(), "status": 1, "register_time": stamp, "update_time": stamp}
    backend_type = body["backend_type"]
    if backend_type == "HTTP":
        web = body.get("backend_api")
        if not isinstance(web, dict):
            raise missing("backend_api")
        check_enum(web, "req_protocol", ("HTTP", "HTTPS"), required=True)
        check_enum(web, "req_method", METHODS, required=True)
        _check_uri(web, "req_uri")
        _check_timeout(web)
        vpc = check_enum(web, "vpc_channel_status", (1, 2))
        if vpc == 1 and not isinstance(web.get("vpc_channel_info"), dict):
            raise missing("vpc_channel_info")
        if vpc != 1:
            check_pattern(web, "url_domain", r"[A-Za-z0-9#\-_.\[\]:]{1,255}", required=True)
        api["backend_api"] = {"vpc_channel_status": 2, **copy.deepcopy(web), **server}
    elif backend_type == "FUNCTION":
        func = body.get("func_info")
        if not isinstance(func, dict):
            raise missing("func_info")
        require(func, "function_urn")
        check_enum(func, "invocation_type", ("async", "sync"), required=True)
        check_enum(func, "network_type", ("V1", "V2"), required=True)
        _check_timeout(func)
        api["func_info"] = {**copy.deepcopy(func), **server}
    else:
        mock = body.get("mock_info") or {}
        if not isinstance(mock, dict):
            raise bad_value("mock_info")
        api["mock_info"] = {"result_content": "", **copy.deepcopy(mock), **server}


def _policies(api: dict[str, Any], body: dict[str, Any]) -> None:
    """The backend policies (``policy_https``/``policy_functions``/``policy_mocks``) and their conditions."""
    for key in ("policy_https", "policy_functions", "policy_mocks"):
        policies = body.get(key) or []
        if not isinstance(policies, list):
            raise bad_value(key)
        stored = []
        for policy in policies:
            if not isinstance(policy, dict):
                raise bad_value(key)
            check_pattern(policy, "name", NAME_3_64, required=True)
            check_enum(policy, "effect_mode", ("ALL", "ANY"), required=True)
            conditions = require(policy, "conditions")
            for cond in conditions if isinstance(conditions, list) else [None]:
                if not isinstance(cond, dict):
                    raise bad_value("conditions")
                check_enum(cond, "condition_origin", ("param", "source"), required=True)
                check_enum(cond, "condition_type", ("exact", "enum", "pattern"))
                require(cond, "condition_value")
            stored.append({**copy.deepcopy(policy), "id": new_id()})
        if stored:
            api[key] = stored


def _check_timeout(item: dict[str, Any]) -> None:
    timeout = require(item, "timeout")
    if not isinstance(timeout, int) or isinstance(timeout, bool) or not 1 <= timeout <= MAX_BACKEND_TIMEOUT:
        raise bad_value("timeout")
