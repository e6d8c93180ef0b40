"""API definitions (seed 002 section 3.5.1-3.5.6): register, modify, delete, detail and list.

The stored API is the draft definition; publishing snapshots it into a version. The answers add the group and
the publish records of every environment to the draft.
"""

from __future__ import annotations

from typing import Any

import httpx

from devkit.emulator.core import Call, huawei_error
from devkit.emulator.services.apig.definition import build_definition
from devkit.emulator.services.apig.state import ApigBackend, Instance
from devkit.emulator.services.apig.wire import (
    body_of,
    created,
    no_content,
    ok,
    page,
    paging,
    precise_fields,
    public,
    quota_check,
    text_filter,
)

# Fields that ApiInfoPerPage (3.5.6) leaves out.
_LIST_EXCLUDED = (
    "func_info",
    "mock_info",
    "backend_params",
    "policy_functions",
    "policy_mocks",
    "policy_https",
)
_GROUP_INFO = (
    "id",
    "name",
    "status",
    "sl_domain",
    "register_time",
    "update_time",
    "on_sell_status",
    "url_domains",
)
_FILTERS = ("id", "name", "group_id", "req_protocol", "req_method", "req_uri", "auth_type", "env_id", "type")


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
        view["api_group_info"] = {k: group[k] for k in _GROUP_INFO if k in group}
    view.update(publish_summary(inst, api["id"]))
    return view


def list_view(inst: Instance, api: dict[str, Any]) -> dict[str, Any]:
    view = api_view(inst, api)
    for key in _LIST_EXCLUDED:
        view.pop(key, None)
    return view


def _trace(call: Call, backend: ApigBackend, name: str, api: dict[str, Any]) -> None:
    backend.record_trace(call, name, api, {"group_id": api["group_id"]}, {"id": api["id"]})


def create_api(call: Call, backend: ApigBackend) -> httpx.Response:
    inst = backend.instance(call)
    api = build_definition(inst, body_of(call), None)
    quota_check(inst, "API_NUM_LIMIT", len(inst.apis), "APIG.3102", "APIs")
    in_group = sum(1 for a in inst.apis if a["group_id"] == api["group_id"])
    quota_check(inst, "API_NUM_LIMIT_PER_GROUP", in_group, "APIG.3125", "APIs in the API group")
    inst.apis.put(api)
    _trace(call, backend, "createApi", api)
    return created(api_view(inst, api))


def update_api(call: Call, backend: ApigBackend) -> httpx.Response:
    inst = backend.instance(call)
    api = build_definition(inst, body_of(call), inst.api(call.path_params["api_id"]))
    inst.apis.put(api)
    _trace(call, backend, "updateApi", api)
    return ok(api_view(inst, api))


def show_api(call: Call, backend: ApigBackend) -> httpx.Response:
    inst = backend.instance(call)
    return ok(api_view(inst, inst.api(call.path_params["api_id"])))


def delete_api(call: Call, backend: ApigBackend) -> httpx.Response:
    inst = backend.instance(call)
    api = inst.api(call.path_params["api_id"])
    if any(api_id == api["id"] for api_id, _ in inst.publishes):
        raise huawei_error(403, "APIG.3416", "The API cannot be deleted because it has been published.")
    for version_id in [v for v, rec in inst.versions.items() if rec["api_id"] == api["id"]]:
        del inst.versions[version_id]
    inst.delete(inst.apis, api["id"], (inst.app_auths, "api_id"))
    return no_content()


def _matches(q: dict[str, str], precise: set[str], api: dict[str, Any], published_in: set[str]) -> bool:
    """The list filters: ``name`` and ``req_uri`` fuzzy unless ``precise_search`` names them."""
    return (
        text_filter(q.get("id"), api["id"], precise=True)
        and text_filter(q.get("name"), api["name"], precise="name" in precise)
        and text_filter(q.get("req_uri"), api["req_uri"], precise="req_uri" in precise)
        and all(
            text_filter(q.get(f), api[f], precise=True)
            for f in ("group_id", "req_protocol", "req_method", "auth_type", "type")
        )
        and (not q.get("env_id") or api["id"] in published_in)
    )


def list_apis(call: Call, backend: ApigBackend) -> httpx.Response:
    inst = backend.instance(call)
    q = call.query
    if not any(q.get(f) for f in _FILTERS):
        paging(call)  # validate before the cheap path
        return page(call, "apis", inst.apis.ordered_ids(), lambda i: list_view(inst, inst.apis.rows[i]))
    published_in = {api_id for api_id, env_id in inst.publishes if env_id == q.get("env_id")}
    precise = precise_fields(call)
    rows = [a for a in inst.apis if _matches(q, precise, a, published_in)]
    return page(call, "apis", rows, lambda a: list_view(inst, a))
