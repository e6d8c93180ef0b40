"""APPs and their AppCodes (seed 002 section 3.12).

Reset secret (3.12.4) with an empty body generates a new 32-hex secret; with ``app_secret`` it sets that
value, which the document allows only when the tenant's ``APP_KEY_SECRET_SWITCH`` quota switch is on (412
``APIG.3458`` otherwise). The old secret stops working at once - there is no overlap - which is why rotation
must update every caller's copy before resetting.
"""

from __future__ import annotations

import secrets
from typing import Any

import httpx

from devkit.emulator.core import Call, huawei_error, json_response
from devkit.emulator.services.apig.state import ApigBackend, Instance, new_id, new_secret, not_found, now
from devkit.emulator.services.apig.wire import (
    NAME_3_64,
    body_of,
    check_length,
    check_pattern,
    check_unique_name,
    created,
    listed,
    no_content,
    ok,
    page,
    quota_check,
)

APP_KEY = r"[A-Za-z0-9][A-Za-z0-9_\-]{7,63}"
APP_SECRET = r"[A-Za-z0-9][A-Za-z0-9_\-!@#$%]{7,63}"  # noqa: S105 - a pattern
APP_CODE = r"[A-Za-z0-9+/][A-Za-z0-9+_!@#$%/=]{63,179}"


def _check_custom_keys_allowed(inst: Instance) -> None:
    if inst.quotas.get("APP_KEY_SECRET_SWITCH", 2) != 1:
        raise huawei_error(412, "APIG.3458", "The feature is not supported by the current instance.")


def _view(inst: Instance, app: dict[str, Any], *, with_bind_num: bool = False) -> dict[str, Any]:
    view = dict(app)
    if with_bind_num:
        view["bind_num"] = sum(1 for a in inst.app_auths if a["app_id"] == app["id"])
    return view


def _validate(inst: Instance, body: dict[str, Any], current: dict[str, Any] | None) -> dict[str, Any]:
    name = check_pattern(body, "name", NAME_3_64, required=True)
    check_length(body, "remark", 255)
    key = check_pattern(body, "app_key", APP_KEY)
    secret = check_pattern(body, "app_secret", APP_SECRET)
    if current is not None and (key or secret):
        _check_custom_keys_allowed(inst)
    own_id = current["id"] if current else None
    check_unique_name(inst.apps, name, own_id, "APIG.3203", "app")
    if key:
        other = inst.apps.find(app_key=key)
        if other is not None and other["id"] != own_id:
            raise huawei_error(400, "APIG.3310", "The AppKey already exists.")
    out: dict[str, Any] = {"name": name}
    if "remark" in body:
        out["remark"] = body["remark"]
    if key:
        out["app_key"] = key
    if secret:
        out["app_secret"] = secret
    return out


def create_app(call: Call, backend: ApigBackend) -> httpx.Response:
    inst = backend.instance(call)
    fields = _validate(inst, body_of(call), None)
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
    return created(_view(inst, app))


def update_app(call: Call, backend: ApigBackend) -> httpx.Response:
    inst = backend.instance(call)
    app = inst.app(call.path_params["app_id"])
    app.update(_validate(inst, body_of(call), app))
    app["update_time"] = now()
    # 3.12.2 documents 201 for a successful modify.
    return created(_view(inst, app))


def delete_app(call: Call, backend: ApigBackend) -> httpx.Response:
    inst = backend.instance(call)
    app = inst.app(call.path_params["app_id"])
    inst.delete(inst.apps, app["id"], (inst.app_auths, "app_id"), (inst.app_codes, "app_id"))
    return no_content()


def show_app(call: Call, backend: ApigBackend) -> httpx.Response:
    inst = backend.instance(call)
    return ok(_view(inst, inst.app(call.path_params["app_id"])))


def check_app(call: Call, backend: ApigBackend) -> httpx.Response:
    app = backend.instance(call).app(call.path_params["app_id"])
    return ok({"id": app["id"], "name": app["name"], "remark": app.get("remark", "")})


def reset_secret(call: Call, backend: ApigBackend) -> httpx.Response:
    inst = backend.instance(call)
    app = inst.app(call.path_params["app_id"])
    body = body_of(call) if call.body.strip() else {}
    secret = check_pattern(body, "app_secret", APP_SECRET)
    if secret:
        _check_custom_keys_allowed(inst)
    app["app_secret"] = secret or new_secret()
    app["update_time"] = now()
    return ok(_view(inst, app))


def list_apps(call: Call, backend: ApigBackend) -> httpx.Response:
    inst = backend.instance(call)
    rows = listed(call, inst.apps, exact=("status", "app_key", "creator"))
    return page(call, "apps", rows, lambda a: _view(inst, a, with_bind_num=True))


# ---------------------------------------------------------------- AppCodes


def _add_code(inst: Instance, app: dict[str, Any], value: str) -> httpx.Response:
    codes = [c for c in inst.app_codes if c["app_id"] == app["id"]]
    quota_check(inst, "APP_CODE_NUM_LIMIT", len(codes), "APIG.3131", "AppCodes")
    return created(
        inst.app_codes.put({"id": new_id(), "app_id": app["id"], "app_code": value, "create_time": now()})
    )


def _code(call: Call, inst: Instance) -> dict[str, Any]:
    """The path's AppCode of the path's APP (404 ``APIG.3004`` for the APP, ``APIG.3082`` for the code)."""
    inst.app(call.path_params["app_id"])
    code = inst.app_codes.get(call.path_params["app_code_id"])
    if code is None or code["app_id"] != call.path_params["app_id"]:
        raise not_found("APIG.3082", "The AppCode does not exist.")
    return code


def create_app_code(call: Call, backend: ApigBackend) -> httpx.Response:
    inst = backend.instance(call)
    app = inst.app(call.path_params["app_id"])
    return _add_code(inst, app, check_pattern(body_of(call), "app_code", APP_CODE, required=True))


def generate_app_code(call: Call, backend: ApigBackend) -> httpx.Response:
    inst = backend.instance(call)
    return _add_code(inst, inst.app(call.path_params["app_id"]), secrets.token_hex(32))


def show_app_code(call: Call, backend: ApigBackend) -> httpx.Response:
    # 3.12.11 documents 201 for this GET.
    return json_response(201, _code(call, backend.instance(call)))


def delete_app_code(call: Call, backend: ApigBackend) -> httpx.Response:
    inst = backend.instance(call)
    inst.app_codes.pop(_code(call, inst)["id"])
    return no_content()


def list_app_codes(call: Call, backend: ApigBackend) -> httpx.Response:
    inst = backend.instance(call)
    app = inst.app(call.path_params["app_id"])
    return page(call, "app_codes", [c for c in inst.app_codes if c["app_id"] == app["id"]], dict)
