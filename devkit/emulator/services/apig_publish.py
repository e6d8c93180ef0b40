"""Publishing (3.5.4, 3.5.8), versions (3.5.9-3.5.13), runtime definition (3.5.11) and debug (3.5.7).

Model, as the document describes it: every publish snapshots the draft definition into a new *version* and
creates a new *publish record* (new ``publish_id``) for the (API, environment) pair; one version per pair is
in
effect (``status`` 1). Switching versions keeps the pair's publish record and changes the version in effect;
taking an API offline deletes the record. At most ``API_VERSION_NUM_LIMIT`` (10) versions are kept per API per
environment, the oldest not in effect being dropped first.

Signature-key, throttling and ACL bindings hang off publish records. On re-publish they are carried over to
the
new record (the binding rows get the new ``publish_id``), on offline they are removed with the record - so
callers that cached a ``publish_id`` must look it up again after every publish.
"""

from __future__ import annotations

import copy
import time
from datetime import datetime, timezone
from typing import Any

import httpx

from devkit.emulator.core import ApiError, Call, Service, huawei_error
from devkit.emulator.services.apig_gateway import (
    call_backend,
    match_path,
    raw_request_text,
    raw_response_text,
)
from devkit.emulator.services.apig_state import (
    BASE,
    RELEASE_ENV_ID,
    ApigBackend,
    Instance,
    bad_value,
    body_of,
    check_enum,
    created,
    new_id,
    no_content,
    not_found,
    now,
    ok,
    page,
    public,
    require,
    require_id,
)

__all__ = ["offline", "publish", "register"]

_BINDING_TABLES = ("sign_bindings", "throttle_bindings", "acl_bindings")


def _record_view(record: dict[str, Any]) -> dict[str, Any]:
    return dict(record)


def publish(inst: Instance, api: dict[str, Any], env_id: str, remark: str = "") -> dict[str, Any]:
    """Publish the draft of ``api`` to ``env_id``: a new version and a new publish record."""
    env = inst.env(env_id)
    stamp = now()
    key = (api["id"], env_id)
    old = inst.publishes.get(key)
    version_id = new_id()
    inst.versions[version_id] = {
        "version_id": version_id,
        "version_no": datetime.now(timezone.utc).strftime("%Y%m%d%H%M%S")
        + f"{time.monotonic_ns() % 1000:03d}",
        "api_id": api["id"],
        "env_id": env_id,
        "env_name": env["name"],
        "remark": remark,
        "publish_time": stamp,
        "status": 1,
        "_definition": copy.deepcopy(public(api)),
    }
    record = {
        "publish_id": new_id(),
        "api_id": api["id"],
        "api_name": api["name"],
        "env_id": env_id,
        "remark": remark,
        "publish_time": stamp,
        "version_id": version_id,
    }
    if old is not None:
        inst.versions[old["version_id"]]["status"] = 2
        for table in _BINDING_TABLES:
            for binding in getattr(inst, table):
                if binding["publish_id"] == old["publish_id"]:
                    binding["publish_id"] = record["publish_id"]
    inst.publishes[key] = record
    _prune_versions(inst, api["id"], env_id)
    return record


def _prune_versions(inst: Instance, api_id: str, env_id: str) -> None:
    mine = [v for v in inst.versions.values() if v["api_id"] == api_id and v["env_id"] == env_id]
    excess = len(mine) - inst.quotas["API_VERSION_NUM_LIMIT"]
    for version in mine:
        if excess <= 0:
            break
        if version["status"] != 1:
            del inst.versions[version["version_id"]]
            excess -= 1


def offline(inst: Instance, api: dict[str, Any], env_id: str) -> dict[str, Any]:
    """Take ``api`` offline in ``env_id``; its publish record and the bindings on it go away."""
    inst.env(env_id)
    record = inst.publishes.pop((api["id"], env_id), None)
    if record is None:
        raise not_found("APIG.3015", f"The API publication record does not exist,api_id:{api['id']}")
    inst.versions[record["version_id"]]["status"] = 2
    for table in _BINDING_TABLES:
        getattr(inst, table).remove_where(publish_id=record["publish_id"])
    return record


def _version(inst: Instance, version_id: str, *, api_id: str | None = None) -> dict[str, Any]:
    """A stored API version; 404 ``APIG.3022`` when absent or, given ``api_id``, owned by another API."""
    version = inst.versions.get(version_id)
    if version is None or (api_id is not None and version["api_id"] != api_id):
        raise not_found("APIG.3022", f"The API version does not exist,id:{version_id}")
    return version


def _group_domains(inst: Instance, group_id: str) -> dict[str, Any]:
    """The group's debugging domains, which the runtime and version-detail views both append."""
    group = inst.groups.get(group_id) or {}
    return {"sl_domain": group.get("sl_domain", ""), "sl_domains": group.get("sl_domains", [])}


def register(svc: Service[ApigBackend]) -> None:
    @svc.route("POST", BASE + "/apis/action", "CreateOrDeletePublishRecordForApiV2")
    def publish_action(call: Call, backend: ApigBackend) -> httpx.Response:
        inst = backend.instance(call)
        body = body_of(call)
        action = check_enum(body, "action", ("online", "offline"), required=True)
        env_id = require_id(body, "env_id")
        api = inst.api(require_id(body, "api_id"))
        remark = str(body.get("remark", ""))
        if len(remark) > 255:
            raise bad_value("remark")
        record = publish(inst, api, env_id, remark) if action == "online" else offline(inst, api, env_id)
        trace = "publishApi" if action == "online" else "offlineApi"
        backend.record_trace(call, trace, api, {"action": action, "env_id": env_id}, _record_view(record))
        return created(_record_view(record))

    @svc.route("POST", BASE + "/apis/publish", "BatchPublishOrOfflineApiV2")
    def batch(call: Call, backend: ApigBackend) -> httpx.Response:
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
                record = (
                    publish(inst, api, env_id, remark) if action == "online" else offline(inst, api, env_id)
                )
                success.append(_record_view(record))
                request = {"action": action, "env_id": env_id}
                backend.record_trace(call, "batchPublishOrOfflineApi", api, request, _record_view(record))
            except ApiError as exc:  # the error becomes this API's failure entry
                err = exc.response.json()
                item = {"api_id": api_id, "error_code": err["error_code"], "error_msg": err["error_msg"]}
                if api is not None:
                    item["api_name"] = api["name"]
                failure.append(item)
        return ok({"success": success, "failure": failure})

    @svc.route("GET", BASE + "/apis/publish/{api_id}", "ListApiVersionsV2")
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

    @svc.route("PUT", BASE + "/apis/publish/{api_id}", "ChangeApiVersionV2")
    def switch_version(call: Call, backend: ApigBackend) -> httpx.Response:
        inst = backend.instance(call)
        api = inst.api(call.path_params["api_id"])
        if not call.body.strip():
            raise huawei_error(
                400, "APIG.2000", "Parameter error: Serialization error: unexpected end of JSON input"
            )
        version_id = require_id(body_of(call), "version_id")
        version = _version(inst, version_id, api_id=api["id"])
        key = (api["id"], version["env_id"])
        stamp = now()
        record = inst.publishes.get(key)
        if record is None:
            record = {
                "publish_id": new_id(),
                "api_id": api["id"],
                "api_name": api["name"],
                "env_id": version["env_id"],
                "remark": version.get("remark", ""),
            }
            inst.publishes[key] = record
        else:
            inst.versions[record["version_id"]]["status"] = 2
        record.update({"version_id": version_id, "publish_time": stamp})
        version["status"] = 1
        backend.record_trace(call, "switchApiVersion", api, {"version_id": version_id}, _record_view(record))
        return ok(_record_view(record))

    @svc.route("GET", BASE + "/apis/runtime/{api_id}", "ListApiRuntimeDefinitionV2")
    def runtime(call: Call, backend: ApigBackend) -> httpx.Response:
        inst = backend.instance(call)
        api = inst.api(call.path_params["api_id"])
        env_id = call.query.get("env_id") or RELEASE_ENV_ID
        inst.env(env_id)
        record = inst.publishes.get((api["id"], env_id))
        if record is None:
            raise not_found("APIG.3015", f"The API publication record does not exist,api_id:{api['id']}")
        definition = inst.versions[record["version_id"]]["_definition"]
        view = {
            k: v
            for k, v in definition.items()
            if k not in _NOT_IN_RUNTIME_VIEW and not k.startswith("policy_")
        }
        view.update(
            {
                "run_env_id": env_id,
                "run_env_name": inst.env_name(env_id),
                "publish_id": record["publish_id"],
                **_group_domains(inst, definition["group_id"]),
            }
        )
        return ok(view)

    @svc.route("GET", BASE + "/apis/versions/{version_id}", "ListApiVersionDetailV2")
    def version_detail(call: Call, backend: ApigBackend) -> httpx.Response:
        inst = backend.instance(call)
        version_id = call.path_params["version_id"]
        version = _version(inst, version_id)
        view = copy.deepcopy(version["_definition"])
        view.update(
            {
                "version_id": version_id,
                "publish_time": version["publish_time"],
                "run_env_id": version["env_id"],
                "run_env_name": version["env_name"],
                **_group_domains(inst, view["group_id"]),
            }
        )
        return ok(view)

    @svc.route("DELETE", BASE + "/apis/versions/{version_id}", "DeleteApiByVersionIdV2")
    def offline_version(call: Call, backend: ApigBackend) -> httpx.Response:
        inst = backend.instance(call)
        version_id = call.path_params["version_id"]
        version = _version(inst, version_id)
        record = inst.publishes.get((version["api_id"], version["env_id"]))
        if record is None or record["version_id"] != version_id:
            raise not_found("APIG.3015", f"The version is not in effect,id:{version_id}")
        offline(inst, inst.api(version["api_id"]), version["env_id"])
        return no_content()

    @svc.route("POST", BASE + "/apis/debug/{api_id}", "DebugApiV2")
    def debug(call: Call, backend: ApigBackend) -> httpx.Response:
        inst = backend.instance(call)
        api = inst.api(call.path_params["api_id"])
        body = body_of(call)
        mode = check_enum(body, "mode", ("DEVELOPER", "CONSUMER"), required=True)
        method = check_enum(
            body, "method", ("GET", "POST", "PUT", "DELETE", "HEAD", "PATCH", "OPTIONS"), required=True
        )
        scheme = check_enum(body, "scheme", ("HTTP", "HTTPS"), required=True)
        path = require(body, "path")
        if not isinstance(path, str) or not path.startswith("/") or len(path) > 1024:
            raise bad_value("path")
        query = body.get("query") or {}
        headers = body.get("header") or {}
        if not isinstance(query, dict) or not isinstance(headers, dict):
            raise huawei_error(400, "APIG.2030", "Bad request for debugging the API.")
        for name in headers:
            low = name.lower()
            if low.startswith(("x-apig-", "x-sdk-")) or low == "x-stage" or len(name) > 32:
                raise bad_value("header")
        text = str(body.get("body", ""))
        group = inst.groups.get(api["group_id"]) or {}
        host = str(body.get("domain") or group.get("sl_domain", ""))
        headers = {str(k): _flatten(v) for k, v in headers.items()}
        query = {str(k): _flatten(v) for k, v in query.items()}
        request_text = raw_request_text(method, host, path, query, headers, text)
        started = time.monotonic()
        env_id = RELEASE_ENV_ID
        publish_id: str | None = None
        definition: dict[str, Any] | None = api
        if mode == "CONSUMER":
            env = inst.envs.find(name=str(body.get("stage") or "RELEASE"))
            if env is None:
                raise huawei_error(400, "APIG.2030", "Bad request for debugging the API: unknown stage")
            env_id = env["id"]
            record = inst.publishes.get((api["id"], env_id))
            definition = inst.versions[record["version_id"]]["_definition"] if record else None
            publish_id = record["publish_id"] if record else None
        params = match_path(definition, method, path) if definition else None
        if definition is None or params is None:
            response = httpx.Response(
                404,
                json={
                    "error_code": "APIGW.0101",
                    "error_msg": "The API does not exist or has not been published in the environment",
                },
            )
        else:
            try:
                response = call_backend(
                    backend,
                    inst,
                    definition,
                    env_id,
                    publish_id,
                    method=method,
                    path=path,
                    query=query,
                    headers=headers,
                    body=text.encode(),
                    path_params=params,
                )
            except ApiError as exc:  # a gateway error (backend down/timeout) is the debug call's response
                response = exc.response
        latency = int((time.monotonic() - started) * 1000)
        return ok(
            {
                "request": request_text,
                "response": raw_response_text(response, latency),
                "latency": latency,
                "log": f"scheme={scheme} mode={mode}",
            }
        )


def _flatten(value: Any) -> str:
    """The document types header/query values as strings but says they are arrays; accept both."""
    if isinstance(value, list):
        return ",".join(str(v) for v in value)
    return str(value)


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
