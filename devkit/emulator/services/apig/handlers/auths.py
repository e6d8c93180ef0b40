"""APP authorizations: which APPs may call which APIs in which environment (seed 002 section 3.10).

Grants (3.10.1) answer 201 even when some (API, APP) pairs fail; each pair carries its own ``auth_result``.
"""

from __future__ import annotations

import re
from typing import Any

import httpx

from devkit.emulator.core import Call
from devkit.emulator.services.apig.state import ApigBackend, Instance, new_id, not_found, now
from devkit.emulator.services.apig.wire import (
    bad_value,
    body_of,
    created,
    no_content,
    page,
    require,
    require_id,
    require_query,
)


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


def _grant_one(inst: Instance, api_id: Any, app: dict[str, Any], env_id: str) -> dict[str, Any]:
    """One (API, APP) pair of a grant with its own ``auth_result``: SUCCESS, SKIPPED or FAILED."""
    stamp = now()
    item: dict[str, Any] = {"api_id": api_id, "app_id": app["id"], "auth_time": stamp}
    if inst.apis.get(str(api_id)) is None:
        item["auth_result"] = {
            "status": "FAILED",
            "error_code": "APIG.3002",
            "error_msg": f"API {api_id} does not exist",
            "app_name": app["name"],
        }
        return item
    auth = inst.app_auths.find(api_id=api_id, app_id=app["id"], env_id=env_id)
    status = "SKIPPED"
    if auth is None:
        status = "SUCCESS"
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
    item["auth_result"] = {"status": status}
    return item


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
    return created({"auths": [_grant_one(inst, api_id, app, env_id) for api_id in api_ids for app in apps]})


def revoke(call: Call, backend: ApigBackend) -> httpx.Response:
    inst = backend.instance(call)
    auth_id = call.path_params["app_auth_id"]
    if inst.app_auths.pop(auth_id) is None:
        raise not_found("APIG.3009", f"The app authorization record does not exist,id:{auth_id}")
    return no_content()


def _matches(view: dict[str, Any], q: dict[str, str], exact: tuple[str, ...], fuzzy: tuple[str, ...]) -> bool:
    if any(q.get(k) and view[k] != q[k] for k in exact):
        return False
    return not any(q.get(k) and not re.search(re.escape(q[k]), str(view[k])) for k in fuzzy)


def apis_of_app(call: Call, backend: ApigBackend) -> httpx.Response:
    inst = backend.instance(call)
    q = call.query
    app = inst.app(require_query(q, "app_id"))
    views = [_auth_view(inst, auth) for auth in inst.app_auths if auth["app_id"] == app["id"]]
    rows = [v for v in views if _matches(v, q, ("api_id", "group_id", "env_id"), ("api_name", "group_name"))]
    return page(call, "auths", rows, dict)


def apps_of_api(call: Call, backend: ApigBackend) -> httpx.Response:
    inst = backend.instance(call)
    q = call.query
    if q.get("api_id"):
        inst.api(q["api_id"])
    views = [_auth_view(inst, auth) for auth in inst.app_auths]
    rows = [v for v in views if _matches(v, q, ("api_id", "app_id", "env_id"), ("app_name",))]
    return page(call, "auths", rows, dict)


def _unauthorized_row(inst: Instance, api: dict[str, Any], env_id: str) -> dict[str, Any]:
    record = inst.publishes.get((api["id"], env_id))
    group = inst.groups.get(api["group_id"]) or {}
    return {
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


def apis_without_app(call: Call, backend: ApigBackend) -> httpx.Response:
    inst = backend.instance(call)
    q = call.query
    app = inst.app(require_query(q, "app_id"))
    env_id = require_query(q, "env_id")
    inst.env(env_id)
    rows = [
        _unauthorized_row(inst, api, env_id)
        for api in inst.apis
        if inst.app_auths.find(api_id=api["id"], app_id=app["id"], env_id=env_id) is None
        and (not q.get("group_id") or api["group_id"] == q["group_id"])
        and (not q.get("api_id") or api["id"] == q["api_id"])
        and (not q.get("api_name") or q["api_name"] in api["name"])
    ]
    return page(call, "apis", rows, dict)
