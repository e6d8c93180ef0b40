"""State and shared helpers of the faked Huawei APIG (dedicated instance, V2) service.

Resources are stored as the JSON dictionaries the API returns, because almost every answer echoes the request
fields back plus a few server fields; keeping the wire shape avoids a second model layer that could drift from
the document. Each project (the isolation key) owns one :class:`ApigBackend`, which holds its dedicated
instances; everything else lives inside an :class:`Instance`, exactly like the URL tree
``/v2/{project_id}/apigw/instances/{instance_id}/...``.

Lists are served from :class:`Table`, an insertion-ordered table whose ordered id list is cached between
mutations, so an unfiltered page costs O(page) however many rows there are.
"""

from __future__ import annotations

import re
import secrets
import uuid
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any

import httpx

from devkit.emulator.core import ApiError, Call, huawei_error, json_response

__all__ = [
    "DEFAULT_INSTANCE_ID",
    "DEFAULT_QUOTAS",
    "RELEASE_ENV_ID",
    "ApigBackend",
    "HttpBackend",
    "Instance",
    "Table",
    "bad_value",
    "check_enum",
    "check_pattern",
    "check_unique_name",
    "created",
    "echo_backend",
    "listed",
    "missing",
    "new_id",
    "not_found",
    "now",
    "ok",
    "page",
    "paging",
    "quota_check",
    "require",
]

BASE = "/v2/{project_id}/apigw/instances/{instance_id}"
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


@dataclass
class Instance:
    """One dedicated gateway instance and every resource inside it."""

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
        return self.groups.get(group_id) or _raise(
            not_found("APIG.3001", f"API group {group_id} does not exist")
        )

    def env(self, env_id: str) -> dict[str, Any]:
        return self.envs.get(env_id) or _raise(not_found("APIG.3003", f"Environment {env_id} does not exist"))

    def api(self, api_id: str) -> dict[str, Any]:
        return self.apis.get(api_id) or _raise(not_found("APIG.3002", f"API {api_id} does not exist"))

    def sign(self, sign_id: str) -> dict[str, Any]:
        return self.signs.get(sign_id) or _raise(
            not_found("APIG.3017", f"Signature key {sign_id} does not exist")
        )

    def app(self, app_id: str) -> dict[str, Any]:
        return self.apps.get(app_id) or _raise(not_found("APIG.3004", f"App {app_id} does not exist"))

    def throttle(self, throttle_id: str) -> dict[str, Any]:
        return self.throttles.get(throttle_id) or _raise(
            not_found("APIG.3005", f"The request throttling policy {throttle_id} does not exist")
        )

    def acl(self, acl_id: str) -> dict[str, Any]:
        return self.acls.get(acl_id) or _raise(
            not_found("APIG.3006", f"The access control policy {acl_id} does not exist")
        )

    def publish_by_id(self, publish_id: str) -> dict[str, Any] | None:
        for record in self.publishes.values():
            if record["publish_id"] == publish_id:
                return record
        return None

    def env_name(self, env_id: str) -> str:
        env = self.envs.get(env_id)
        return str(env["name"]) if env else ""


def _raise(exc: ApiError) -> Any:
    raise exc


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


# ---- responses and errors ----


def ok(body: Any) -> httpx.Response:
    return json_response(200, body)


def created(body: Any) -> httpx.Response:
    return json_response(201, body)


def no_content() -> httpx.Response:
    return httpx.Response(204, headers={"X-Request-Id": new_id()})


def not_found(code: str, msg: str) -> ApiError:
    return huawei_error(404, code, msg)


def missing(name: str) -> ApiError:
    return huawei_error(
        400,
        "APIG.2001",
        f"The request parameters must be specified,parameterName:{name}. "
        "Please refer to the support documentation",
    )


def bad_value(name: str, code: str = "APIG.2011") -> ApiError:
    return huawei_error(
        400, code, f"Invalid parameter value,parameterName:{name}. Please refer to the support documentation"
    )


def quota_check(inst: Instance, quota: str, used: int, code: str, what: str) -> None:
    """403 with the ``APIG.31xx`` code once ``used`` reaches the quota (quota errors are not retryable)."""
    if used >= inst.quotas[quota]:
        raise huawei_error(403, code, f"The number of {what} exceeds the maximum allowed limit.")


# ---- request validation ----


def body_of(call: Call) -> dict[str, Any]:
    data = call.json()
    if not isinstance(data, dict):
        raise huawei_error(400, "APIG.2000", "Parameter error: the request body must be a JSON object")
    return data


def require(body: dict[str, Any], name: str) -> Any:
    value = body.get(name)
    if value is None or value == "" or value == []:
        raise missing(name)
    return value


def require_id(body: dict[str, Any], name: str) -> str:
    """A required resource id: anything but a string (``{}``, ``[1]``, ``7``) is APIG.2011, never a crash.

    Ids are dictionary keys in the state, so an object or array that slipped through as an id would raise
    ``TypeError: unhashable`` (a 500 from our own code) instead of the documented validation error.
    """
    value = require(body, name)
    if not isinstance(value, str):
        raise bad_value(name)
    return value


def check_enum(body: dict[str, Any], name: str, allowed: Iterable[Any], *, required: bool = False) -> Any:
    """Validate an enumerated field; the document answers APIG.2011 for a value outside the enum."""
    value = body.get(name)
    if value is None:
        if required:
            raise missing(name)
        return None
    # Compare type too: in Python ``True == 1``, but the service refuses ``"type": true`` for an Integer enum.
    if not any(type(value) is type(option) and value == option for option in allowed):
        raise bad_value(name)
    return value


def check_pattern(
    body: dict[str, Any], name: str, pattern: str, *, required: bool = False, label: str | None = None
) -> Any:
    value = body.get(name)
    if value is None or value == "":
        if required:
            raise missing(label or name)
        return None
    if not isinstance(value, str) or not re.fullmatch(pattern, value):
        raise bad_value(label or name)
    return value


def check_unique_name(
    table: Table, name: str, own_id: str | None, code: str, what: str, *, field: str = "name"
) -> None:
    """400 with the kind's ``APIG.32xx`` code when another row has ``name``; a row may keep its own."""
    clash = table.find(**{field: name})
    if clash is not None and clash["id"] != own_id:
        raise huawei_error(400, code, f"The {what} name already exists,name:{name}")


def check_length(body: dict[str, Any], name: str, maximum: int) -> None:
    value = body.get(name)
    if value is not None and (not isinstance(value, str) or len(value) > maximum):
        raise bad_value(name)


# Name patterns from the document (section 6.1). \u4e00-\u9fff stands for "Chinese characters".
NAME_3_64 = r"[A-Za-z\u4e00-\u9fff][A-Za-z0-9_\u4e00-\u9fff]{2,63}"
GROUP_NAME = r"[A-Za-z0-9\u4e00-\u9fff][A-Za-z0-9_\-./()（）:：、\u4e00-\u9fff]{2,254}"
ENV_NAME = r"[A-Za-z][A-Za-z0-9_]{2,63}"


def paging(call: Call) -> tuple[int, int]:
    """``offset`` (negative becomes 0) and ``limit`` (1-500, default 20) as every V2 list documents."""
    query = call.query
    try:
        offset = int(query.get("offset", "0") or "0")
    except ValueError:
        raise bad_value("offset", "APIG.2012") from None
    try:
        limit = int(query.get("limit", "20") or "20")
    except ValueError:
        raise bad_value("limit", "APIG.2012") from None
    if limit < 1 or limit > 500:
        raise bad_value("limit", "APIG.2012")
    return max(offset, 0), limit


def page(call: Call, key: str, rows: list[Any], view: Callable[[Any], dict[str, Any]]) -> httpx.Response:
    """One page of ``rows`` (already filtered); only the rows on the page are rendered."""
    offset, limit = paging(call)
    chunk = rows[offset : offset + limit]
    return ok({"total": len(rows), "size": len(chunk), key: [view(r) for r in chunk]})


def public(row: dict[str, Any]) -> dict[str, Any]:
    """A stored row without the emulator's private ``_`` fields."""
    return {k: v for k, v in row.items() if not k.startswith("_")}


def text_filter(value: str | None, actual: Any, *, precise: bool) -> bool:
    """Fuzzy (substring) match unless the field is named in ``precise_search``."""
    if not value:
        return True
    actual_text = "" if actual is None else str(actual)
    return actual_text == value if precise else value in actual_text


def precise_fields(call: Call) -> set[str]:
    return {p.strip() for p in call.query.get("precise_search", "").split(",") if p.strip()}


def listed(call: Call, table: Table, *, name_field: str = "name", exact: tuple[str, ...] = ()) -> list[Any]:
    """The rows a ``List*V2`` call selects: ``id`` exact, ``name`` fuzzy unless ``precise_search`` names it.

    Signature keys, throttling and ACL policies, apps and groups all filter this way (the ACL list reads
    ``name`` against ``acl_name``); ``exact`` adds the list's further exact-match query fields.
    """
    q = call.query
    precise = "name" in precise_fields(call)
    return [
        row
        for row in table
        if text_filter(q.get("id"), row["id"], precise=True)
        and text_filter(q.get("name"), row[name_field], precise=precise)
        and all(text_filter(q.get(k), row[k], precise=True) for k in exact)
    ]
