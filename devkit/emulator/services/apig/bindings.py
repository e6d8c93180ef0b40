"""What signature-key, throttling-policy and ACL bindings have in common: they attach to publish records.

A binding row stores ``{id, <policy>_id, publish_id, <time field>}``; everything a listing shows about the API
and the environment is read from the publish record the binding points at (re-publishing moves bindings to the
new record, offline drops them, see :class:`~devkit.emulator.services.apig.state.Instance`), so the views are
always current. Each kind differs only in the names described by a :class:`Kind`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import httpx

from devkit.emulator.core import Call, huawei_error
from devkit.emulator.services.apig.state import Instance, Table, new_id, not_found, now
from devkit.emulator.services.apig.wire import (
    bad_value,
    body_of,
    check_list,
    missing,
    ok,
    require,
    require_id,
    require_query,
)

__all__ = ["ACL", "SIGN", "THROTTLE", "Kind", "api_fields", "outline", "published_rows"]


@dataclass(frozen=True)
class Kind:
    """The names that tell one kind of binding from another."""

    bindings: str  # the Instance table of the bindings, also the batch-unbind body key
    policies: str  # the Instance table of the policies
    lookup: str  # the Instance method that finds a policy or answers its 404
    policy_field: str
    time_field: str
    label: str  # in the "already has a ... bound" refusal
    missing_code: str  # 404 code of an unknown binding id
    missing_msg: str
    batch_what: str  # in the batch-unbind failure entries

    def table(self, inst: Instance) -> Table:
        table: Table = getattr(inst, self.bindings)
        return table

    def policy(self, inst: Instance, policy_id: str) -> dict[str, Any]:
        policy: dict[str, Any] = getattr(inst, self.lookup)(policy_id)
        return policy

    def bind_num(self, inst: Instance, policy_id: str) -> int:
        return sum(1 for b in self.table(inst) if b[self.policy_field] == policy_id)


SIGN = Kind(
    "sign_bindings",
    "signs",
    "sign",
    "sign_id",
    "binding_time",
    "signature key",
    "APIG.3018",
    "The signature key binding record does not exist",
    "signature key binding",
)
THROTTLE = Kind(
    "throttle_bindings",
    "throttles",
    "throttle",
    "strategy_id",
    "apply_time",
    "throttling policy",
    "APIG.3012",
    "The request throttling policy binding record does not exist.",
    "throttling policy binding",
)
ACL = Kind(
    "acl_bindings",
    "acls",
    "acl",
    "acl_id",
    "create_time",
    "ACL policy",
    "APIG.3010",
    "The access control policy binding record does not exist.",
    "ACL binding",
)


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


BINDING_API_FIELDS = ("publish_id", "api_id", "api_name", "api_type", "api_remark", "group_name")
BINDING_ENV_FIELDS = ("env_id", "env_name", "req_method", "tags")


def binding_fields(inst: Instance, record: dict[str, Any]) -> dict[str, Any]:
    """The API and environment fields of a "bound APIs" row (signature keys and ACLs)."""
    facts = api_fields(inst, record)
    return {k: facts[k] for k in (*BINDING_API_FIELDS, *BINDING_ENV_FIELDS)}


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
    inst: Instance, query: dict[str, str], kind: Kind, id_query: str
) -> tuple[list[Bound], list[Other]]:
    """The filtered publish records as ``(record, binding)``: bound to the queried policy, then the rest.

    The policy is named by the required query parameter ``id_query``. In the second list the binding is the
    record's binding to another policy of the kind, or ``None``; the "bound APIs" and "unbound APIs" listings
    read these. A publish record carries at most one binding of each kind (:func:`bind` refuses a second,
    re-publishing moves it), so looking the binding up by ``publish_id`` alone finds the only candidate.
    """
    policy = kind.policy(inst, require_query(query, id_query))
    table = kind.table(inst)
    bound: list[Bound] = []
    others: list[Other] = []
    for record in published_rows(inst, query):
        binding = table.find(publish_id=record["publish_id"])
        if binding is not None and binding[kind.policy_field] == policy["id"]:
            bound.append((record, binding))
        else:
            others.append((record, binding))
    return bound, others


def bind(inst: Instance, kind: Kind, body: dict[str, Any]) -> list[Bound]:
    """Bind the body's policy to its ``publish_ids``; one policy of a kind per API per environment.

    Answers ``(binding, publish record)`` pairs. Re-binding the same policy returns the existing binding
    (idempotent); a record bound to another policy of the same kind is refused, as the document allows only
    one per API and environment.
    """
    policy_id = kind.policy(inst, require_id(body, kind.policy_field))["id"]
    publish_ids = body.get("publish_ids")
    if not isinstance(publish_ids, list) or not publish_ids:
        raise missing("publish_ids")
    table = kind.table(inst)
    out = []
    for publish_id in publish_ids:
        record = inst.publish_by_id(str(publish_id))
        if record is None:
            raise not_found("APIG.3015", f"The API publication record does not exist,id:{publish_id}")
        existing = table.find(publish_id=record["publish_id"])
        if existing is not None and existing[kind.policy_field] != policy_id:
            raise huawei_error(
                400,
                "APIG.2012",
                "Invalid parameter value,parameterName:publish_ids. "
                f"The API {record['api_id']} already has a "
                f"{kind.label} bound in environment {record['env_id']}",
            )
        if existing is None:
            existing = table.put(
                {
                    "id": new_id(),
                    kind.policy_field: policy_id,
                    "publish_id": record["publish_id"],
                    kind.time_field: now(),
                }
            )
        out.append((existing, record))
    return out


def unbind(inst: Instance, kind: Kind, binding_id: str) -> None:
    """``DELETE .../<kind>-bindings/{id}``: remove one binding, 404 with the kind's own code when absent."""
    if kind.table(inst).pop(binding_id) is None:
        raise not_found(kind.missing_code, kind.missing_msg)


def batch_unbind(call: Call, inst: Instance, kind: Kind) -> httpx.Response:
    """``PUT .../<kind>-bindings?action=delete``: 200 with ``success_count``, a failure per unknown id."""
    table = kind.table(inst)
    if call.query.get("action") != "delete":
        raise bad_value("action")
    ids = check_list(require(body_of(call), kind.bindings), kind.bindings)
    success, failure = 0, []
    for binding_id in ids:
        if table.pop(binding_id) is None:
            failure.append(
                {
                    "bind_id": binding_id,
                    "error_code": kind.missing_code,
                    "error_msg": f"The {kind.batch_what} does not exist",
                }
            )
            continue
        success += 1
    return ok({"success_count": success, "failure": failure})


def delete_policy(inst: Instance, kind: Kind, policy_id: str, code: str, msg: str) -> dict[str, Any]:
    """Delete a policy that no publish record is bound to (403 with the kind's code otherwise)."""
    policy = kind.policy(inst, policy_id)
    if kind.table(inst).find(**{kind.policy_field: policy["id"]}) is not None:
        raise huawei_error(403, code, msg)
    getattr(inst, kind.policies).pop(policy["id"])
    return policy


def bound_to_api(
    inst: Instance,
    query: dict[str, str],
    kind: Kind,
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
    policies: Table = getattr(inst, kind.policies)
    out = []
    for binding in kind.table(inst):
        record = inst.publish_by_id(binding["publish_id"])
        policy = policies.get(binding[kind.policy_field])
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
