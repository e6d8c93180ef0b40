"""APIG API definitions (3.5.1-3.5.3, 3.5.5, 3.5.6): register, modify, delete, detail and list.

The stored API is the *temporary* (draft) definition; publishing (``apig_publish``) snapshots it into a
version. Validation follows table 3-149: required fields answer ``APIG.2001``, values outside an enum or a
pattern answer ``APIG.2011``, clashes answer ``APIG.3202`` (name) or ``APIG.3301`` (method + path + match
mode), and quotas answer ``APIG.3102``/``APIG.3125``/``APIG.3111`` with HTTP 403.
"""

from __future__ import annotations

import copy
import re
from typing import Any

import httpx

from devkit.emulator.core import Call, Service, huawei_error
from devkit.emulator.services.apig_state import (
    BASE,
    NAME_3_64,
    ApigBackend,
    Instance,
    bad_value,
    body_of,
    check_enum,
    check_length,
    check_pattern,
    created,
    missing,
    new_id,
    no_content,
    now,
    ok,
    page,
    paging,
    precise_fields,
    public,
    quota_check,
    require,
    require_id,
    text_filter,
)

METHODS = ("GET", "POST", "PUT", "DELETE", "HEAD", "PATCH", "OPTIONS", "ANY")
PARAM_NAME = r"[A-Za-z][A-Za-z0-9_\-.]{0,31}"
MAX_BACKEND_TIMEOUT = 60000  # the instance feature ``backend_timeout`` default (A.5)

# Fields that ApiInfoPerPage (3.5.6) leaves out.
_LIST_EXCLUDED = (
    "func_info",
    "mock_info",
    "backend_params",
    "policy_functions",
    "policy_mocks",
    "policy_https",
)


def register(svc: Service[ApigBackend]) -> None:
    @svc.route("POST", BASE + "/apis", "CreateApiV2")
    def create_api(call: Call, backend: ApigBackend) -> httpx.Response:
        inst = backend.instance(call)
        body = body_of(call)
        api = build_definition(inst, body, None)
        quota_check(inst, "API_NUM_LIMIT", len(inst.apis), "APIG.3102", "APIs")
        in_group = sum(1 for a in inst.apis if a["group_id"] == api["group_id"])
        quota_check(inst, "API_NUM_LIMIT_PER_GROUP", in_group, "APIG.3125", "APIs in the API group")
        inst.apis.put(api)
        backend.record_trace(call, "createApi", api, {"group_id": api["group_id"]}, {"id": api["id"]})
        return created(api_view(inst, api))

    @svc.route("PUT", BASE + "/apis/{api_id}", "UpdateApiV2")
    def update_api(call: Call, backend: ApigBackend) -> httpx.Response:
        inst = backend.instance(call)
        old = inst.api(call.path_params["api_id"])
        api = build_definition(inst, body_of(call), old)
        inst.apis.put(api)
        backend.record_trace(call, "updateApi", api, {"group_id": api["group_id"]}, {"id": api["id"]})
        return ok(api_view(inst, api))

    @svc.route("GET", BASE + "/apis/{api_id}", "ShowDetailsOfApiV2")
    def show_api(call: Call, backend: ApigBackend) -> httpx.Response:
        inst = backend.instance(call)
        return ok(api_view(inst, inst.api(call.path_params["api_id"])))

    @svc.route("DELETE", BASE + "/apis/{api_id}", "DeleteApiV2")
    def delete_api(call: Call, backend: ApigBackend) -> httpx.Response:
        inst = backend.instance(call)
        api = inst.api(call.path_params["api_id"])
        if any(api_id == api["id"] for api_id, _ in inst.publishes):
            raise huawei_error(403, "APIG.3416", "The API cannot be deleted because it has been published.")
        for version_id in [v for v, rec in inst.versions.items() if rec["api_id"] == api["id"]]:
            del inst.versions[version_id]
        inst.app_auths.remove_where(api_id=api["id"])
        inst.apis.pop(api["id"])
        return no_content()

    @svc.route("GET", BASE + "/apis", "ListApisV2")
    def list_apis(call: Call, backend: ApigBackend) -> httpx.Response:
        inst = backend.instance(call)
        q = call.query
        filters = (
            "id",
            "name",
            "group_id",
            "req_protocol",
            "req_method",
            "req_uri",
            "auth_type",
            "env_id",
            "type",
        )
        if not any(q.get(f) for f in filters):
            paging(call)  # validate before the cheap path
            return page(call, "apis", inst.apis.ordered_ids(), lambda i: list_view(inst, inst.apis.rows[i]))
        precise = precise_fields(call)
        published_in = {api_id for api_id, env_id in inst.publishes if env_id == q.get("env_id")}
        rows = [
            a
            for a in inst.apis
            if text_filter(q.get("id"), a["id"], precise=True)
            and text_filter(q.get("name"), a["name"], precise="name" in precise)
            and text_filter(q.get("req_uri"), a["req_uri"], precise="req_uri" in precise)
            and all(
                text_filter(q.get(f), a[f], precise=True) for f in ("group_id", "req_protocol", "req_method")
            )
            and text_filter(q.get("auth_type"), a["auth_type"], precise=True)
            and text_filter(q.get("type"), a["type"], precise=True)
            and (not q.get("env_id") or a["id"] in published_in)
        ]
        return page(call, "apis", rows, lambda a: list_view(inst, a))


# ---------------------------------------------------------------- views


def publish_summary(inst: Instance, api_id: str) -> dict[str, str]:
    """``run_env_id``/``run_env_name``/``publish_id``/``publish_time`` of every environment, ``|``-joined.

    The seed lost the separator between several values ("之间用 隔开"); ``|`` is the emulator's choice.
    """
    records = [rec for (aid, _), rec in inst.publishes.items() if aid == api_id]
    if not records:
        return {}
    return {
        "run_env_id": "|".join(r["env_id"] for r in records),
        "run_env_name": "|".join(inst.env_name(r["env_id"]) for r in records),
        "publish_id": "|".join(r["publish_id"] for r in records),
        "publish_time": "|".join(r["publish_time"] for r in records),
    }


def api_view(inst: Instance, api: dict[str, Any]) -> dict[str, Any]:
    """The 3.5.5 object: the draft definition plus group and publish information."""
    view = public(api)
    group = inst.groups.get(api["group_id"])
    if group is not None:
        view["group_name"] = group["name"]
        keys = (
            "id",
            "name",
            "status",
            "sl_domain",
            "register_time",
            "update_time",
            "on_sell_status",
            "url_domains",
        )
        view["api_group_info"] = {k: group[k] for k in keys if k in group}
    view.update(publish_summary(inst, api["id"]))
    return view


def list_view(inst: Instance, api: dict[str, Any]) -> dict[str, Any]:
    view = api_view(inst, api)
    for key in _LIST_EXCLUDED:
        view.pop(key, None)
    return view


# ---------------------------------------------------------------- validation


def build_definition(inst: Instance, body: dict[str, Any], old: dict[str, Any] | None) -> dict[str, Any]:
    """Validate a register/modify body (the same full definition for both) and build the stored API."""
    name = check_pattern(body, "name", NAME_3_64, required=True)
    api_type = check_enum(body, "type", (1, 2), required=True)
    body.setdefault("req_protocol", "HTTPS")
    check_enum(body, "req_protocol", ("HTTP", "HTTPS", "BOTH"), required=True)
    method = check_enum(body, "req_method", METHODS, required=True)
    req_uri = _check_uri(body, "req_uri")
    auth_type = check_enum(body, "auth_type", ("NONE", "APP", "IAM", "AUTHORIZER"), required=True)
    backend_type = check_enum(body, "backend_type", ("HTTP", "FUNCTION", "MOCK"), required=True)
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
    if not isinstance(tags, list) or any(
        not isinstance(t, str) or not re.fullmatch(r"[A-Za-z][A-Za-z0-9_]{0,127}", t) for t in tags
    ):
        raise bad_value("tags")
    group_id = require_id(body, "group_id")
    group = inst.group(group_id)
    api_id = old["id"] if old else new_id()
    for other in inst.apis:
        if other["id"] == api_id or other["group_id"] != group_id:
            continue
        if other["name"] == name:
            raise huawei_error(400, "APIG.3202", f"The API name already exists,name:{name}")
        if (other["req_method"], other["req_uri"], other["match_mode"]) == (method, req_uri, match_mode):
            raise huawei_error(
                400,
                "APIG.3301",
                "The API already exists, An API with the same combination of the method, path, and "
                f"x-apigateway-match-mode fields already exists. API name: {other['name']}",
            )
    stamp = now()
    api: dict[str, Any] = {
        k: copy.deepcopy(v)
        for k, v in body.items()
        if k not in ("backend_api", "func_info", "mock_info", "req_params", "backend_params")
        and not k.startswith("policy_")
    }
    api.update(
        {
            "id": api_id,
            "name": name,
            "type": api_type,
            "match_mode": match_mode,
            "cors": bool(body.get("cors", False)),
            "auth_opt": {"app_code_auth_type": auth_opt.get("app_code_auth_type", "DISABLE")},
            "tags": tags,
            "status": 1,
            "arrange_necessary": 2,
            "group_name": group["name"],
            "group_version": "V1",
            "register_time": old["register_time"] if old else stamp,
            "update_time": stamp,
        }
    )
    params = _req_params(inst, body.get("req_params") or [])
    path_vars = set(re.findall(r"\{([^}+]+)\+?\}", req_uri))
    declared = {p["name"] for p in params if p["location"] == "PATH"}
    if path_vars - declared:
        raise huawei_error(
            400, "APIG.2026", f"The request path parameters are not defined: {sorted(path_vars - declared)}"
        )
    api["req_params"] = params
    api["backend_params"] = _backend_params(body.get("backend_params") or [], params)
    _backend(api, body, backend_type, stamp)
    return api


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


def _backend(api: dict[str, Any], body: dict[str, Any], backend_type: str, stamp: str) -> None:
    server = {"id": new_id(), "status": 1, "register_time": stamp, "update_time": stamp}
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
