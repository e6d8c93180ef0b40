"""APPs (3.12), their AppCodes (3.12.8-3.12.12) and APP authorizations (3.10).

Reset secret (3.12.4) with an empty body generates a new 32-hex secret; with ``app_secret`` it sets that
value,
which the document allows only when the tenant's ``APP_KEY_SECRET_SWITCH`` quota switch is on (412
``APIG.3458`` otherwise). The old secret stops working at once - there is no overlap - which is why rotation
must update every caller's copy before resetting. Grants (3.10.1) answer 201 even when some (API, APP) pairs
fail; each pair carries its own ``auth_result``.
"""

from __future__ import annotations

import re
import secrets
from typing import Any

import httpx

from devkit.emulator.core import Call, Service, huawei_error, json_response
from devkit.emulator.services.apig_bindings import require_query
from devkit.emulator.services.apig_state import (
    BASE,
    NAME_3_64,
    ApigBackend,
    Instance,
    bad_value,
    body_of,
    check_length,
    check_pattern,
    check_unique_name,
    created,
    listed,
    new_id,
    new_secret,
    no_content,
    not_found,
    now,
    ok,
    page,
    quota_check,
    require,
    require_id,
)

APP_KEY = r"[A-Za-z0-9][A-Za-z0-9_\-]{7,63}"
APP_SECRET = r"[A-Za-z0-9][A-Za-z0-9_\-!@#$%]{7,63}"  # noqa: S105 - a pattern
APP_CODE = r"[A-Za-z0-9+/][A-Za-z0-9+_!@#$%/=]{63,179}"


def _custom_keys_allowed(inst: Instance) -> bool:
    return inst.quotas.get("APP_KEY_SECRET_SWITCH", 2) == 1


def _app_view(inst: Instance, app: dict[str, Any], *, with_bind_num: bool = False) -> dict[str, Any]:
    view = dict(app)
    if with_bind_num:
        view["bind_num"] = sum(1 for a in inst.app_auths if a["app_id"] == app["id"])
    return view


def register(svc: Service[ApigBackend]) -> None:
    _register_apps(svc)
    _register_codes(svc)
    _register_auths(svc)


def _register_apps(svc: Service[ApigBackend]) -> None:
    def validate(inst: Instance, body: dict[str, Any], current: dict[str, Any] | None) -> dict[str, Any]:
        name = check_pattern(body, "name", NAME_3_64, required=True)
        check_length(body, "remark", 255)
        key = check_pattern(body, "app_key", APP_KEY)
        secret = check_pattern(body, "app_secret", APP_SECRET)
        if current is not None and (key or secret) and not _custom_keys_allowed(inst):
            raise huawei_error(412, "APIG.3458", "The feature is not supported by the current instance.")
        check_unique_name(inst.apps, name, current["id"] if current else None, "APIG.3203", "app")
        if key:
            other = inst.apps.find(app_key=key)
            if other is not None and (current is None or other["id"] != current["id"]):
                raise huawei_error(400, "APIG.3310", "The AppKey already exists.")
        out: dict[str, Any] = {"name": name}
        if "remark" in body:
            out["remark"] = body["remark"]
        if key:
            out["app_key"] = key
        if secret:
            out["app_secret"] = secret
        return out

    @svc.route("POST", BASE + "/apps", "CreateAnAppV2")
    def create_app(call: Call, backend: ApigBackend) -> httpx.Response:
        inst = backend.instance(call)
        fields = validate(inst, body_of(call), None)
        quota_check(inst, "APP_NUM_LIMIT", len(inst.apps), "APIG.3103", "apps")
        stamp = now()
        app = {
            "id": new_id(),
            "remark": "",
            "creator": "USER",
            "app_key": new_id(),
            "app_secret": new_secret(),
            "register_time": stamp,
            "update_time": stamp,
            "status": 1,
            "app_type": "apig",
            **fields,
        }
        inst.apps.put(app)
        return created(_app_view(inst, app))

    @svc.route("PUT", BASE + "/apps/{app_id}", "UpdateAppV2")
    def update_app(call: Call, backend: ApigBackend) -> httpx.Response:
        inst = backend.instance(call)
        app = inst.app(call.path_params["app_id"])
        app.update(validate(inst, body_of(call), app))
        app["update_time"] = now()
        # 3.12.2 documents 201 for a successful modify.
        return created(_app_view(inst, app))

    @svc.route("DELETE", BASE + "/apps/{app_id}", "DeleteAppV2")
    def delete_app(call: Call, backend: ApigBackend) -> httpx.Response:
        inst = backend.instance(call)
        app = inst.app(call.path_params["app_id"])
        inst.app_auths.remove_where(app_id=app["id"])
        inst.app_codes.remove_where(app_id=app["id"])
        inst.apps.pop(app["id"])
        return no_content()

    @svc.route("GET", BASE + "/apps/{app_id}", "ShowDetailsOfAppV2")
    def show_app(call: Call, backend: ApigBackend) -> httpx.Response:
        inst = backend.instance(call)
        return ok(_app_view(inst, inst.app(call.path_params["app_id"])))

    @svc.route("GET", BASE + "/apps/validation/{app_id}", "CheckAppV2")
    def check_app(call: Call, backend: ApigBackend) -> httpx.Response:
        app = backend.instance(call).app(call.path_params["app_id"])
        return ok({"id": app["id"], "name": app["name"], "remark": app.get("remark", "")})

    @svc.route("PUT", BASE + "/apps/secret/{app_id}", "ResettingAppSecretV2")
    def reset_secret(call: Call, backend: ApigBackend) -> httpx.Response:
        inst = backend.instance(call)
        app = inst.app(call.path_params["app_id"])
        body = body_of(call) if call.body.strip() else {}
        secret = check_pattern(body, "app_secret", APP_SECRET)
        if secret and not _custom_keys_allowed(inst):
            raise huawei_error(412, "APIG.3458", "The feature is not supported by the current instance.")
        app["app_secret"] = secret or new_secret()
        app["update_time"] = now()
        return ok(_app_view(inst, app))

    @svc.route("GET", BASE + "/apps", "ListAppsV2")
    def list_apps(call: Call, backend: ApigBackend) -> httpx.Response:
        inst = backend.instance(call)
        rows = listed(call, inst.apps, exact=("status", "app_key", "creator"))
        return page(call, "apps", rows, lambda a: _app_view(inst, a, with_bind_num=True))


def _register_codes(svc: Service[ApigBackend]) -> None:
    base = BASE + "/apps/{app_id}/app-codes"

    def add(inst: Instance, app: dict[str, Any], value: str) -> httpx.Response:
        codes = [c for c in inst.app_codes if c["app_id"] == app["id"]]
        quota_check(inst, "APP_CODE_NUM_LIMIT", len(codes), "APIG.3131", "AppCodes")
        code = inst.app_codes.put(
            {"id": new_id(), "app_id": app["id"], "app_code": value, "create_time": now()}
        )
        return created(code)

    def lookup(inst: Instance, call: Call) -> dict[str, Any]:
        code = inst.app_codes.get(call.path_params["app_code_id"])
        if code is None or code["app_id"] != call.path_params["app_id"]:
            raise not_found("APIG.3082", "The AppCode does not exist.")
        return code

    @svc.route("POST", base, "CreateAppCodeV2")
    def create_code(call: Call, backend: ApigBackend) -> httpx.Response:
        inst = backend.instance(call)
        app = inst.app(call.path_params["app_id"])
        value = check_pattern(body_of(call), "app_code", APP_CODE, required=True)
        return add(inst, app, value)

    @svc.route("PUT", base, "CreateAppCodeAutoV2")
    def generate_code(call: Call, backend: ApigBackend) -> httpx.Response:
        inst = backend.instance(call)
        return add(inst, inst.app(call.path_params["app_id"]), secrets.token_hex(32))

    @svc.route("GET", base + "/{app_code_id}", "ShowDetailsOfAppCodeV2")
    def show_code(call: Call, backend: ApigBackend) -> httpx.Response:
        inst = backend.instance(call)
        inst.app(call.path_params["app_id"])
        # 3.12.11 documents 201 for this GET.
        return json_response(201, lookup(inst, call))

    @svc.route("DELETE", base + "/{app_code_id}", "DeleteAppCodeV2")
    def delete_code(call: Call, backend: ApigBackend) -> httpx.Response:
        inst = backend.instance(call)
        inst.app(call.path_params["app_id"])
        inst.app_codes.pop(lookup(inst, call)["id"])
        return no_content()

    @svc.route("GET", base, "ListAppCodesV2")
    def list_codes(call: Call, backend: ApigBackend) -> httpx.Response:
        inst = backend.instance(call)
        app = inst.app(call.path_params["app_id"])
        rows = [c for c in inst.app_codes if c["app_id"] == app["id"]]
        return page(call, "app_codes", rows, dict)


def _auth_view(inst: Instance, auth: dict[str, Any]) -> dict[str, Any]:
    api = inst.apis.rows.get(auth["api_id"]) or {}
    app = inst.apps.rows.get(auth["app_id"]) or {}
    group = inst.groups.get(api.get("group_id", "")) or {}
    record = inst.publishes.get((auth["api_id"], auth["env_id"]))
    return {
        "id": auth["id"],
        "api_id": auth["api_id"],
        "api_name": api.get("name", ""),
        "api_type": api.get("type", 1),
        "api_remark": api.get("remark", ""),
        "group_id": group.get("id", ""),
        "group_name": group.get("name", ""),
        "env_id": auth["env_id"],
        "env_name": inst.env_name(auth["env_id"]),
        "auth_role": auth["auth_role"],
        "auth_time": auth["auth_time"],
        "auth_tunnel": "NORMAL",
        "app_id": auth["app_id"],
        "app_name": app.get("name", ""),
        "app_remark": app.get("remark", ""),
        "app_type": app.get("app_type", "apig"),
        "app_creator": app.get("creator", "USER"),
        "publish_id": record["publish_id"] if record else "",
        "visit_param": "",
        "tags": api.get("tags", []),
    }


def _register_auths(svc: Service[ApigBackend]) -> None:
    @svc.route("POST", BASE + "/app-auths", "CreateAuthorizingAppsV2")
    def grant(call: Call, backend: ApigBackend) -> httpx.Response:
        inst = backend.instance(call)
        body = body_of(call)
        env_id = require_id(body, "env_id")
        app_ids = require(body, "app_ids")
        api_ids = require(body, "api_ids")
        if not isinstance(app_ids, list) or not isinstance(api_ids, list):
            raise bad_value("app_ids" if not isinstance(app_ids, list) else "api_ids")
        inst.env(env_id)
        apps = [inst.app(str(app_id)) for app_id in app_ids]
        out = []
        for api_id in api_ids:
            api = inst.apis.get(str(api_id))
            for app in apps:
                stamp = now()
                item: dict[str, Any] = {"api_id": api_id, "app_id": app["id"], "auth_time": stamp}
                existing = inst.app_auths.find(api_id=api_id, app_id=app["id"], env_id=env_id)
                if api is None:
                    item["auth_result"] = {
                        "status": "FAILED",
                        "error_code": "APIG.3002",
                        "error_msg": f"API {api_id} does not exist",
                        "app_name": app["name"],
                    }
                elif existing is not None:
                    item.update({"id": existing["id"], "auth_role": "PROVIDER", "auth_tunnel": "NORMAL"})
                    item["auth_result"] = {"status": "SKIPPED"}
                else:
                    auth = inst.app_auths.put(
                        {
                            "id": new_id(),
                            "api_id": api_id,
                            "app_id": app["id"],
                            "env_id": env_id,
                            "auth_role": "PROVIDER",
                            "auth_time": stamp,
                        }
                    )
                    item.update({"id": auth["id"], "auth_role": "PROVIDER", "auth_tunnel": "NORMAL"})
                    item["auth_result"] = {"status": "SUCCESS"}
                out.append(item)
        return created({"auths": out})

    @svc.route("DELETE", BASE + "/app-auths/{app_auth_id}", "CancelingAuthorizationV2")
    def revoke(call: Call, backend: ApigBackend) -> httpx.Response:
        inst = backend.instance(call)
        auth_id = call.path_params["app_auth_id"]
        if inst.app_auths.pop(auth_id) is None:
            raise not_found("APIG.3009", f"The app authorization record does not exist,id:{auth_id}")
        return no_content()

    @svc.route("GET", BASE + "/app-auths/binded-apis", "ListApisBindedToAppV2")
    def apis_of_app(call: Call, backend: ApigBackend) -> httpx.Response:
        inst = backend.instance(call)
        q = call.query
        app = inst.app(require_query(q, "app_id"))
        rows = []
        for auth in inst.app_auths:
            if auth["app_id"] != app["id"]:
                continue
            view = _auth_view(inst, auth)
            if _matches(view, q, ("api_id", "group_id", "env_id"), ("api_name", "group_name")):
                rows.append(view)
        return page(call, "auths", rows, dict)

    @svc.route("GET", BASE + "/app-auths/binded-apps", "ListAppsBindedToApiV2")
    def apps_of_api(call: Call, backend: ApigBackend) -> httpx.Response:
        inst = backend.instance(call)
        q = call.query
        if q.get("api_id"):
            inst.api(q["api_id"])
        rows = []
        for auth in inst.app_auths:
            view = _auth_view(inst, auth)
            if _matches(view, q, ("api_id", "app_id", "env_id"), ("app_name",)):
                rows.append(view)
        return page(call, "auths", rows, dict)

    def unbound(call: Call, backend: ApigBackend) -> httpx.Response:
        inst = backend.instance(call)
        q = call.query
        app = inst.app(require_query(q, "app_id"))
        env_id = require_query(q, "env_id")
        inst.env(env_id)
        rows = []
        for api in inst.apis:
            if inst.app_auths.find(api_id=api["id"], app_id=app["id"], env_id=env_id) is not None:
                continue
            if q.get("group_id") and api["group_id"] != q["group_id"]:
                continue
            if q.get("api_id") and api["id"] != q["api_id"]:
                continue
            if q.get("api_name") and q["api_name"] not in api["name"]:
                continue
            record = inst.publishes.get((api["id"], env_id))
            group = inst.groups.get(api["group_id"]) or {}
            rows.append(
                {
                    "id": api["id"],
                    "name": api["name"],
                    "auth_type": api["auth_type"],
                    "group_id": api["group_id"],
                    "group_name": group.get("name", ""),
                    "remark": api.get("remark", ""),
                    "req_uri": api["req_uri"],
                    "tags": api.get("tags", []),
                    "publish_id": record["publish_id"] if record else "",
                    "run_env_id": env_id if record else "",
                    "run_env_name": inst.env_name(env_id) if record else "",
                }
            )
        return page(call, "apis", rows, dict)

    # The seed prints ``unbound-apis`` (3.10.4); the official SDK and chapter 4 use ``unbinded-apis``.
    svc.route("GET", BASE + "/app-auths/unbound-apis", "ListApisUnbindedToAppV2")(unbound)
    svc.route("GET", BASE + "/app-auths/unbinded-apis", "ListApisUnbindedToAppV2")(unbound)


def _matches(view: dict[str, Any], q: dict[str, str], exact: tuple[str, ...], fuzzy: tuple[str, ...]) -> bool:
    if any(q.get(k) and view[k] != q[k] for k in exact):
        return False
    return not any(q.get(k) and not re.search(re.escape(q[k]), str(view[k])) for k in fuzzy)
