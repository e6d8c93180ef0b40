"""State of the faked Huawei APIG (dedicated instance, V2) service.

Resources are stored as the JSON dictionaries the API returns, because almost every answer echoes the request
fields back plus a few server fields; keeping the wire shape avoids a second model layer that could drift from
the document. Each project (the isolation key) owns one :class:`ApigBackend`, which holds its dedicated
instances; everything else lives inside an :class:`Instance`, exactly like the URL tree
``/v2/{project_id}/apigw/instances/{instance_id}/...``.

Lists are served from :class:`Table`, an insertion-ordered table whose ordered id list is cached between
mutations, so an unfiltered page costs O(page) however many rows there are.
"""

from __future__ import annotations

import copy
import secrets
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any

import httpx

from devkit.emulator.core import ApiError, Call, huawei_error, json_response

__all__ = [
    "DEFAULT_INSTANCE_ID",
    "DEFAULT_QUOTAS",
    "GROUP_DOMAIN_SUFFIX",
    "RELEASE_ENV_ID",
    "ApigBackend",
    "HttpBackend",
    "Instance",
    "Table",
    "echo_backend",
    "new_id",
    "new_secret",
    "not_found",
    "now",
]

RELEASE_ENV_ID = "DEFAULT_ENVIRONMENT_RELEASE_ID"
GROUP_DOMAIN_SUFFIX = "apic.opsfn.local"
"""Sub-domain of every API group (``{group id}.apic.opsfn.local``); the gateway also routes by it."""
# The instance every project starts with: a fixed id so scripts and sample events can name it.
DEFAULT_INSTANCE_ID = "eddc4d25480b4cd6b512f270a1b8b341"

# Quota values (3.23.1 config names). The seed prints only API_VERSION_NUM_LIMIT=10 and
# APIGROUP_DOMAIN_NUM_LIMIT=5; the others are the emulator's defaults and can be changed per instance
# (``instance.quotas[...] = n``) so tests can hit every limit cheaply.
DEFAULT_QUOTAS: dict[str, int] = {
    "APIGROUP_NUM_LIMIT": 1500,
    "API_NUM_LIMIT": 10000,
    "API_NUM_LIMIT_PER_GROUP": 1000,
    "API_VERSION_NUM_LIMIT": 10,
    "APIGROUP_DOMAIN_NUM_LIMIT": 5,
    "APP_NUM_LIMIT": 1000,
    "APP_CODE_NUM_LIMIT": 5,
    "ENVIRONMENT_NUM_LIMIT": 10,
    "VARIABLE_NUM_LIMIT": 50,
    "SIGN_NUM_LIMIT": 200,
    "THROTTLE_NUM_LIMIT": 300,
    "ACL_NUM_LIMIT": 100,
    "API_PARAM_NUM_LIMIT": 50,
    # 1 = user-defined APP key/secret allowed (needed by an explicit reset-secret), 2 = not allowed.
    "APP_KEY_SECRET_SWITCH": 1,
}

HttpBackend = Callable[[httpx.Request], httpx.Response]


def echo_backend(request: httpx.Request) -> httpx.Response:
    """Default web backend: 200 with what it received, so an unconfigured smoke test passes.

    The ``X-Sdk-*`` and ``Authorization`` headers are echoed too, which lets a test check the gateway's
    backend signature end to end.
    """
    body = {
        "method": request.method,
        "url": str(request.url),
        "headers": dict(request.headers),
        "body": request.content.decode("utf-8", "replace"),
    }
    return json_response(200, body)


def now() -> str:
    """Timestamps as the service prints them: ISO-8601 UTC, microseconds, ``Z``."""
    return datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def new_id() -> str:
    """32 lower-case hex characters, like every id in the document's examples."""
    return uuid.uuid4().hex


def new_secret() -> str:
    return secrets.token_hex(16)


class Table:
    """Rows by id in insertion order, with the ordered id list cached between mutations."""

    def __init__(self) -> None:
        self.rows: dict[str, dict[str, Any]] = {}
        self._order: list[str] | None = None

    def __len__(self) -> int:
        return len(self.rows)

    def __contains__(self, key: object) -> bool:
        return key in self.rows

    def __iter__(self) -> Iterator[dict[str, Any]]:
        return iter(list(self.rows.values()))

    def get(self, key: str) -> dict[str, Any] | None:
        return self.rows.get(key)

    def put(self, row: dict[str, Any]) -> dict[str, Any]:
        if row["id"] not in self.rows:
            self._order = None
        self.rows[row["id"]] = row
        return row

    def pop(self, key: str) -> dict[str, Any] | None:
        row = self.rows.pop(key, None)
        if row is not None:
            self._order = None
        return row

    def ordered_ids(self) -> list[str]:
        if self._order is None:
            self._order = list(self.rows)
        return self._order

    def remove_where(self, **fields: Any) -> None:
        """Drop every row whose ``fields`` equal the given values: a parent's delete takes its children."""
        for row in list(self.rows.values()):
            if all(row[k] == v for k, v in fields.items()):
                self.pop(row["id"])

    def find(self, **fields: Any) -> dict[str, Any] | None:
        for row in self.rows.values():
            if all(row.get(k) == v for k, v in fields.items()):
                return row
        return None


BINDING_TABLES = ("sign_bindings", "throttle_bindings", "acl_bindings")
"""The tables whose rows hang off publish records: they move on re-publish and go on offline."""


def not_found(code: str, msg: str) -> ApiError:
    return huawei_error(404, code, msg)


def _row(table: Table, key: str, code: str, msg: str) -> dict[str, Any]:
    row = table.get(key)
    if row is None:
        raise not_found(code, msg)
    return row


@dataclass
class Instance:
    """One dedicated gateway instance and every resource inside it.

    Publishing follows the document's model: every publish snapshots the draft definition into a new
    *version* and creates a new *publish record* (new ``publish_id``) for the (API, environment) pair; one
    version per pair is in effect (``status`` 1). Switching versions keeps the pair's record and changes the
    version in effect; taking an API offline deletes the record. At most ``API_VERSION_NUM_LIMIT`` versions
    are kept per API and environment, the oldest not in effect dropped first. Bindings of signature keys,
    throttling and ACL policies hang off publish records: re-publishing moves them to the new record,
    offline removes them with it.
    """

    id: str
    record: dict[str, Any]
    quotas: dict[str, int] = field(default_factory=lambda: dict(DEFAULT_QUOTAS))
    groups: Table = field(default_factory=Table)
    envs: Table = field(default_factory=Table)
    variables: Table = field(default_factory=Table)
    apis: Table = field(default_factory=Table)
    # (api_id, env_id) -> the publish record currently in effect
    publishes: dict[tuple[str, str], dict[str, Any]] = field(default_factory=dict)
    # version_id -> version record (with the API snapshot under "_definition")
    versions: dict[str, dict[str, Any]] = field(default_factory=dict)
    signs: Table = field(default_factory=Table)
    sign_bindings: Table = field(default_factory=Table)
    throttles: Table = field(default_factory=Table)
    throttle_bindings: Table = field(default_factory=Table)
    acls: Table = field(default_factory=Table)
    acl_bindings: Table = field(default_factory=Table)
    apps: Table = field(default_factory=Table)
    app_codes: Table = field(default_factory=Table)
    app_auths: Table = field(default_factory=Table)
    # The gateway's fixed-window throttling counters: (publish id + policy id, scope, window) -> calls.
    throttle_counters: dict[tuple[str, str, int], int] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if RELEASE_ENV_ID not in self.envs:
            self.envs.put(
                {
                    "id": RELEASE_ENV_ID,
                    "name": "RELEASE",
                    "remark": "Production environment",
                    "create_time": now(),
                }
            )

    # ---- lookups that raise the documented not-found errors ----
    def group(self, group_id: str) -> dict[str, Any]:
        return _row(self.groups, group_id, "APIG.3001", f"API group {group_id} does not exist")

    def env(self, env_id: str) -> dict[str, Any]:
        return _row(self.envs, env_id, "APIG.3003", f"Environment {env_id} does not exist")

    def api(self, api_id: str) -> dict[str, Any]:
        return _row(self.apis, api_id, "APIG.3002", f"API {api_id} does not exist")

    def sign(self, sign_id: str) -> dict[str, Any]:
        return _row(self.signs, sign_id, "APIG.3017", f"Signature key {sign_id} does not exist")

    def app(self, app_id: str) -> dict[str, Any]:
        return _row(self.apps, app_id, "APIG.3004", f"App {app_id} does not exist")

    def throttle(self, throttle_id: str) -> dict[str, Any]:
        msg = f"The request throttling policy {throttle_id} does not exist"
        return _row(self.throttles, throttle_id, "APIG.3005", msg)

    def acl(self, acl_id: str) -> dict[str, Any]:
        return _row(self.acls, acl_id, "APIG.3006", f"The access control policy {acl_id} does not exist")

    def env_name(self, env_id: str) -> str:
        env = self.envs.get(env_id)
        return str(env["name"]) if env else ""

    def group_domains(self, group_id: str) -> dict[str, Any]:
        """The group's debugging domains, which runtime and version-detail views append."""
        group = self.groups.get(group_id) or {}
        return {"sl_domain": group.get("sl_domain", ""), "sl_domains": group.get("sl_domains", [])}

    def delete(self, table: Table, row_id: str, *children: tuple[Table, str]) -> None:
        """Remove a row and, from each ``(child table, field)``, every row whose field names it."""
        for child, fk in children:
            child.remove_where(**{fk: row_id})
        table.pop(row_id)

    # ---- publish records and versions ----
    def publish_by_id(self, publish_id: str) -> dict[str, Any] | None:
        for record in self.publishes.values():
            if record["publish_id"] == publish_id:
                return record
        return None

    def published(self, api_id: str, env_id: str) -> dict[str, Any]:
        """The record in effect for the pair; 404 ``APIG.3015`` when the API is not published there."""
        record = self.publishes.get((api_id, env_id))
        if record is None:
            raise not_found("APIG.3015", f"The API publication record does not exist,api_id:{api_id}")
        return record

    def definition(self, record: dict[str, Any]) -> dict[str, Any]:
        """The API definition a publish record serves: the snapshot of its version in effect."""
        definition: dict[str, Any] = self.versions[record["version_id"]]["_definition"]
        return definition

    def version(self, version_id: str, *, api_id: str | None = None) -> dict[str, Any]:
        """A stored API version; 404 ``APIG.3022`` when absent or, given ``api_id``, owned by another API."""
        version = self.versions.get(version_id)
        if version is None or (api_id is not None and version["api_id"] != api_id):
            raise not_found("APIG.3022", f"The API version does not exist,id:{version_id}")
        return version

    def publish(self, api: dict[str, Any], env_id: str, remark: str = "") -> dict[str, Any]:
        """Publish the draft of ``api`` to ``env_id``: a new version and a new publish record."""
        env = self.env(env_id)
        stamp = now()
        key = (api["id"], env_id)
        old = self.publishes.get(key)
        version_id = new_id()
        self.versions[version_id] = {
            "version_id": version_id,
            "version_no": datetime.now(timezone.utc).strftime("%Y%m%d%H%M%S")
            + f"{time.monotonic_ns() % 1000:03d}",
            "api_id": api["id"],
            "env_id": env_id,
            "env_name": env["name"],
            "remark": remark,
            "publish_time": stamp,
            "status": 1,
            "_definition": copy.deepcopy({k: v for k, v in api.items() if not k.startswith("_")}),
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
            self.versions[old["version_id"]]["status"] = 2
            for table in BINDING_TABLES:
                for binding in getattr(self, table):
                    if binding["publish_id"] == old["publish_id"]:
                        binding["publish_id"] = record["publish_id"]
        self.publishes[key] = record
        self._prune_versions(api["id"], env_id)
        return record

    def _prune_versions(self, api_id: str, env_id: str) -> None:
        mine = [v for v in self.versions.values() if v["api_id"] == api_id and v["env_id"] == env_id]
        excess = len(mine) - self.quotas["API_VERSION_NUM_LIMIT"]
        for version in mine:
            if excess <= 0:
                break
            if version["status"] != 1:
                del self.versions[version["version_id"]]
                excess -= 1

    def offline(self, api: dict[str, Any], env_id: str) -> dict[str, Any]:
        """Take ``api`` offline in ``env_id``; its publish record and the bindings on it go away."""
        self.env(env_id)
        record = self.published(api["id"], env_id)
        del self.publishes[(api["id"], env_id)]
        self.versions[record["version_id"]]["status"] = 2
        for table in BINDING_TABLES:
            getattr(self, table).remove_where(publish_id=record["publish_id"])
        return record

    def switch_version(self, api: dict[str, Any], version_id: str) -> dict[str, Any]:
        """Put one of the API's versions in effect; the pair keeps (or gets) one publish record."""
        version = self.version(version_id, api_id=api["id"])
        key = (api["id"], version["env_id"])
        record = self.publishes.get(key)
        if record is None:
            record = {
                "publish_id": new_id(),
                "api_id": api["id"],
                "api_name": api["name"],
                "env_id": version["env_id"],
                "remark": version.get("remark", ""),
            }
            self.publishes[key] = record
        else:
            self.versions[record["version_id"]]["status"] = 2
        record.update({"version_id": version_id, "publish_time": now()})
        version["status"] = 1
        return record


def default_instance_record(project_id: str, instance_id: str, name: str) -> dict[str, Any]:
    return {
        "id": instance_id,
        "project_id": project_id,
        "instance_name": name,
        "status": "Running",
        "instance_status": 6,
        "type": "apig",
        "spec": "PROFESSIONAL",
        "create_time": int(datetime.now(timezone.utc).timestamp() * 1000),
        "enterprise_project_id": "0",
        "eip_address": "",
        "charging_mode": 0,
        "loadbalancer_provider": "lvs",
        "description": "opsfn emulator instance",
        "maintain_begin": "22:00:00",
        "maintain_end": "02:00:00",
        "instance_version": "opsfn-emulator",
        "supported_features": ["gateway_responses", "ratelimit", "request_body_size", "backend_timeout"],
    }


@dataclass
class ApigBackend:
    """Everything one project has in APIG, plus the pluggable web backend used by debug and serving."""

    project_id: str
    instances: dict[str, Instance] = field(default_factory=dict)
    http_backend: HttpBackend = echo_backend
    # The next ``throttle_next`` instance-scoped calls answer as the real gateway does when it sheds load:
    # HTTP 500 with ``APIG.9008`` (there is no 429 in APIG's management API).
    throttle_next: int = 0
    # CTS-shaped traces of the API-changing calls (``publishApi``, ``offlineApi``, ...), oldest first, so a
    # local runtime can feed them to functions as CTS trigger events (platform.md §6 names and fields).
    traces: list[dict[str, Any]] = field(default_factory=list)

    def record_trace(
        self,
        call: Call,
        trace_name: str,
        api: dict[str, Any],
        request: dict[str, Any],
        response: dict[str, Any],
    ) -> None:
        stamp = int(datetime.now(timezone.utc).timestamp() * 1000)
        self.traces.append(
            {
                "trace_id": str(uuid.uuid4()),
                "trace_name": trace_name,
                "trace_type": "ApiCall",
                "trace_rating": "normal",
                "trace_status": "normal",
                "service_type": "APIG",
                "resource_type": "Api",
                "resource_id": api["id"],
                "resource_name": api["name"],
                "operation_id": call.operation,
                "project_id": self.project_id,
                "code": 200,
                "message": f"{call.method} {call.path}",
                "request": request,
                "response": response,
                "user": {"name": call.principal, "access_key_id": call.principal},
                "read_only": False,
                "time": stamp,
                "record_time": stamp,
            }
        )

    def __post_init__(self) -> None:
        if not self.instances:
            self.add_instance(DEFAULT_INSTANCE_ID, "apig-default")

    def add_instance(self, instance_id: str, name: str) -> Instance:
        inst = Instance(instance_id, default_instance_record(self.project_id, instance_id, name))
        self.instances[instance_id] = inst
        return inst

    def instance(self, call: Call) -> Instance:
        if self.throttle_next > 0:
            self.throttle_next -= 1
            raise huawei_error(500, "APIG.9008", "Too many requests. Try again later.")
        instance_id = call.path_params.get("instance_id", "")
        inst = self.instances.get(instance_id)
        if inst is None:
            raise not_found("APIG.3030", f"The instance does not exist,id:{instance_id}")
        return inst
