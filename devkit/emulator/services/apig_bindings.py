"""What signature-key, throttling-policy and ACL bindings have in common: they attach to publish records.

A binding row stores ``{id, <policy>_id, publish_id, time}``; everything a listing shows about the API and the
environment is read from the publish record the binding points at (``apig_publish`` moves bindings to the new
record on re-publish and drops them on offline), so the views are always current.
"""

from __future__ import annotations

from typing import Any

from devkit.emulator.core import huawei_error
from devkit.emulator.services.apig_state import Instance, Table, bad_value, missing, new_id, not_found, now

__all__ = [
    "api_fields",
    "bind_publish_ids",
    "bound_to_api",
    "drop_binding",
    "partition_published",
    "published_rows",
    "require_query",
]


def require_query(query: dict[str, str], name: str) -> str:
    value = query.get(name)
    if not value:
        raise missing(name)
    return value


def api_fields(inst: Instance, record: dict[str, Any]) -> dict[str, Any]:
    """API, group and environment facts about one publish record, in the binding listings' field names."""
    api = inst.apis.rows.get(record["api_id"]) or {}
    group = inst.groups.get(api.get("group_id", "")) or {}
    return {
        "publish_id": record["publish_id"],
        "api_id": record["api_id"],
        "api_name": api.get("name", record.get("api_name", "")),
        "api_type": api.get("type", 1),
        "api_remark": api.get("remark", ""),
        "group_id": group.get("id", ""),
        "group_name": group.get("name", ""),
        "env_id": record["env_id"],
        "env_name": inst.env_name(record["env_id"]),
        "req_method": api.get("req_method", ""),
        "req_uri": api.get("req_uri", ""),
        "auth_type": api.get("auth_type", ""),
        "tags": api.get("tags", []),
    }


def outline(inst: Instance, record: dict[str, Any]) -> dict[str, Any]:
    """The ApiForSign / ApiForThrottle / UnbindApiForAcl shape: the API with ``run_env_*`` fields."""
    facts = api_fields(inst, record)
    return {
        "id": facts["api_id"],
        "name": facts["api_name"],
        "type": facts["api_type"],
        "remark": facts["api_remark"],
        "group_id": facts["group_id"],
        "group_name": facts["group_name"],
        "run_env_id": facts["env_id"],
        "run_env_name": facts["env_name"],
        "publish_id": facts["publish_id"],
        "req_uri": facts["req_uri"],
        "req_method": facts["req_method"],
        "auth_type": facts["auth_type"],
        "tags": facts["tags"],
    }


def published_rows(inst: Instance, query: dict[str, str]) -> list[dict[str, Any]]:
    """Publish records filtered by the common ``env_id``/``api_id``/``api_name``/``group_id`` parameters."""
    out = []
    for record in inst.publishes.values():
        api = inst.apis.rows.get(record["api_id"])
        if api is None:
            continue
        if query.get("env_id") and record["env_id"] != query["env_id"]:
            continue
        if query.get("api_id") and record["api_id"] != query["api_id"]:
            continue
        if query.get("api_name") and query["api_name"] not in api["name"]:
            continue
        if query.get("group_id") and api["group_id"] != query["group_id"]:
            continue
        out.append(record)
    return out


Bound = tuple[dict[str, Any], dict[str, Any]]
Other = tuple[dict[str, Any], dict[str, Any] | None]


def partition_published(
    inst: Instance, query: dict[str, str], table: Table, policy_field: str, policy_id: str
) -> tuple[list[Bound], list[Other]]:
    """The filtered publish records as ``(record, binding)``: those bound to this policy, then the rest.

    In the second list the binding is the record's binding to another policy of the kind, or ``None``;
    the "bound APIs" and "unbound APIs" listings of signature keys, throttling and ACL policies read these.
    A publish record carries at most one binding of each kind (:func:`bind_publish_ids` refuses a second,
    re-publishing moves it), so looking the binding up by ``publish_id`` alone finds the only candidate.
    """
    bound: list[Bound] = []
    others: list[Other] = []
    for record in published_rows(inst, query):
        binding = table.find(publish_id=record["publish_id"])
        if binding is not None and binding[policy_field] == policy_id:
            bound.append((record, binding))
        else:
            others.append((record, binding))
    return bound, others


def bind_publish_ids(
    inst: Instance,
    table: Table,
    policy_field: str,
    policy_id: str,
    publish_ids: Any,
    time_field: str,
    kind: str,
) -> list[tuple[dict[str, Any], dict[str, Any]]]:
    """Bind one policy to publish records; one policy of a kind per API per environment.

    Re-binding the same policy returns the existing binding (idempotent); a record bound to another policy
    of the same kind is refused, as the document allows only one per API and environment.
    """
    if not isinstance(publish_ids, list) or not publish_ids:
        raise missing("publish_ids")
    out = []
    for publish_id in publish_ids:
        record = inst.publish_by_id(str(publish_id))
        if record is None:
            raise not_found("APIG.3015", f"The API publication record does not exist,id:{publish_id}")
        existing = table.find(publish_id=record["publish_id"])
        if existing is not None and existing[policy_field] != policy_id:
            raise huawei_error(
                400,
                "APIG.2012",
                "Invalid parameter value,parameterName:publish_ids. "
                f"The API {record['api_id']} already has a "
                f"{kind} bound in environment {record['env_id']}",
            )
        if existing is None:
            existing = table.put(
                {
                    "id": new_id(),
                    policy_field: policy_id,
                    "publish_id": record["publish_id"],
                    time_field: now(),
                }
            )
        out.append((existing, record))
    return out


def check_list(value: Any, name: str) -> list[str]:
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise bad_value(name)
    return value


def drop_binding(table: Table, binding_id: str, code: str, msg: str) -> None:
    """``DELETE .../<kind>-bindings/{id}``: remove one binding, 404 with the kind's own code when absent."""
    if table.pop(binding_id) is None:
        raise not_found(code, msg)


def bound_to_api(
    inst: Instance,
    query: dict[str, str],
    table: Table,
    policies: Table,
    policy_field: str,
    *,
    id_query: str,
    name_query: str,
    name_field: str = "name",
) -> list[tuple[dict[str, Any], dict[str, Any], dict[str, Any]]]:
    """``binded-signs`` / ``binded-throttles`` / ``binded-acls``: the bindings of the required ``api_id``.

    Each answer is ``(binding, publish record, policy)``, filtered by ``env_id``, the policy id (exact) and
    the policy name (substring) under the query names each listing documents.
    """
    api = inst.api(require_query(query, "api_id"))
    out = []
    for binding in table:
        record = inst.publish_by_id(binding["publish_id"])
        policy = policies.get(binding[policy_field])
        if record is None or policy is None or record["api_id"] != api["id"]:
            continue
        if query.get("env_id") and record["env_id"] != query["env_id"]:
            continue
        if query.get(id_query) and policy["id"] != query[id_query]:
            continue
        if query.get(name_query) and query[name_query] not in policy[name_field]:
            continue
        out.append((binding, record, policy))
    return out
