"""Publishing, versions and the runtime definition (seed 002 sections 3.5.4 and 3.5.8-3.5.13).

The model (new version and publish record per publish, bindings carried over) lives in
:class:`~devkit.emulator.services.apig.state.Instance`; callers that cached a ``publish_id`` must look it up
again after every publish.
"""

from __future__ import annotations

import copy
from typing import Any

import httpx

from devkit.emulator.core import ApiError, Call, huawei_error
from devkit.emulator.services.apig.state import RELEASE_ENV_ID, ApigBackend, Instance, not_found
from devkit.emulator.services.apig.wire import (
    bad_value,
    body_of,
    check_enum,
    created,
    error_fields,
    no_content,
    ok,
    page,
    public,
    require_id,
)

# 3.5.11 answers the front-end definition only: no backend objects, and none of the bookkeeping fields of
# the 3.5.5 detail (status, arrange_necessary, group_version, register/update time).
_NOT_IN_RUNTIME_VIEW = frozenset(
    {
        "backend_api",
        "func_info",
        "mock_info",
        "backend_params",
        "status",
        "arrange_necessary",
        "group_version",
        "register_time",
        "update_time",
    }
)


def _online_or_offline(
    inst: Instance, action: str, api: dict[str, Any], env_id: str, remark: str
) -> dict[str, Any]:
    return inst.publish(api, env_id, remark) if action == "online" else inst.offline(api, env_id)


def publish_action(call: Call, backend: ApigBackend) -> httpx.Response:
    inst = backend.instance(call)
    body = body_of(call)
    action = check_enum(body, "action", ("online", "offline"), required=True)
    env_id = require_id(body, "env_id")
    api = inst.api(require_id(body, "api_id"))
    remark = str(body.get("remark", ""))
    if len(remark) > 255:
        raise bad_value("remark")
    record = _online_or_offline(inst, action, api, env_id, remark)
    trace = "publishApi" if action == "online" else "offlineApi"
    backend.record_trace(call, trace, api, {"action": action, "env_id": env_id}, dict(record))
    return created(dict(record))


def batch_publish(call: Call, backend: ApigBackend) -> httpx.Response:
    inst = backend.instance(call)
    action = call.query.get("action")
    if action not in ("online", "offline"):
        raise huawei_error(
            400, "APIG.2011", 'Invalid parameter value: parameter action should be "online" or "offline"'
        )
    body = body_of(call)
    api_ids = body.get("apis") or []
    if not isinstance(api_ids, list) or len(api_ids) > 1000:
        raise bad_value("apis")
    env_id = str(body.get("env_id") or "")
    remark = str(body.get("remark", ""))
    success: list[dict[str, Any]] = []
    failure: list[dict[str, Any]] = []
    for api_id in api_ids:
        api = inst.apis.get(api_id)
        try:
            if api is None:
                raise not_found("APIG.3002", f"Api {api_id} not found")
            record = _online_or_offline(inst, action, api, env_id, remark)
            success.append(dict(record))
            request = {"action": action, "env_id": env_id}
            backend.record_trace(call, "batchPublishOrOfflineApi", api, request, dict(record))
        except ApiError as exc:  # the error becomes this API's failure entry
            item = {"api_id": api_id, **error_fields(exc)}
            if api is not None:
                item["api_name"] = api["name"]
            failure.append(item)
    return ok({"success": success, "failure": failure})


def list_versions(call: Call, backend: ApigBackend) -> httpx.Response:
    inst = backend.instance(call)
    api = inst.api(call.path_params["api_id"])
    q = call.query
    rows = [
        public(v)
        for v in reversed(inst.versions.values())
        if v["api_id"] == api["id"]
        and (not q.get("env_id") or v["env_id"] == q["env_id"])
        and (not q.get("env_name") or v["env_name"] == q["env_name"])
    ]
    return page(call, "api_versions", rows, dict)


def switch_version(call: Call, backend: ApigBackend) -> httpx.Response:
    inst = backend.instance(call)
    api = inst.api(call.path_params["api_id"])
    if not call.body.strip():
        raise huawei_error(
            400, "APIG.2000", "Parameter error: Serialization error: unexpected end of JSON input"
        )
    version_id = require_id(body_of(call), "version_id")
    record = inst.switch_version(api, version_id)
    backend.record_trace(call, "switchApiVersion", api, {"version_id": version_id}, dict(record))
    return ok(dict(record))


def runtime_definition(call: Call, backend: ApigBackend) -> httpx.Response:
    inst = backend.instance(call)
    api = inst.api(call.path_params["api_id"])
    env_id = call.query.get("env_id") or RELEASE_ENV_ID
    inst.env(env_id)
    record = inst.published(api["id"], env_id)
    definition = inst.definition(record)
    view = {
        k: v for k, v in definition.items() if k not in _NOT_IN_RUNTIME_VIEW and not k.startswith("policy_")
    }
    view.update(
        {
            "run_env_id": env_id,
            "run_env_name": inst.env_name(env_id),
            "publish_id": record["publish_id"],
            **inst.group_domains(definition["group_id"]),
        }
    )
    return ok(view)


def version_detail(call: Call, backend: ApigBackend) -> httpx.Response:
    inst = backend.instance(call)
    version_id = call.path_params["version_id"]
    version = inst.version(version_id)
    view = copy.deepcopy(version["_definition"])
    view.update(
        {
            "version_id": version_id,
            "publish_time": version["publish_time"],
            "run_env_id": version["env_id"],
            "run_env_name": version["env_name"],
            **inst.group_domains(view["group_id"]),
        }
    )
    return ok(view)


def offline_version(call: Call, backend: ApigBackend) -> httpx.Response:
    inst = backend.instance(call)
    version_id = call.path_params["version_id"]
    version = inst.version(version_id)
    record = inst.publishes.get((version["api_id"], version["env_id"]))
    if record is None or record["version_id"] != version_id:
        raise not_found("APIG.3015", f"The version is not in effect,id:{version_id}")
    inst.offline(inst.api(version["api_id"]), version["env_id"])
    return no_content()
