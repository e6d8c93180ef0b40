"""Fake Huawei CSMS (Cloud Secret Management Service), API v1 as spoken by ``huaweicloudsdkcsms`` 3.1.219.

Routes and shapes follow the SDK's ``csms_client.py`` and model classes; ListResourceInstances follows
seed 001 (:mod:`~devkit.emulator.services.csms_query`), the input rules and error codes live in
:mod:`~devkit.emulator.services.csms_rules`, the per-project state in
:mod:`~devkit.emulator.services.csms_state`. Event notifications are published through the emulator's own SMN
service, so a test can subscribe to a topic and see CSMS announce new versions, rotations and deletions.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from typing import Any

import httpx

from devkit.emulator.core import ApiError, Call, Emulator, Service, json_response
from devkit.emulator.services import csms_query
from devkit.emulator.services import csms_rules as rules
from devkit.emulator.services.csms_state import CsmsBackend, Event, Secret

Op = Callable[[Call, CsmsBackend], httpx.Response]

_BY_NAME = "/v1/{project_id}/secrets/{secret_name}"
_ROUTES: list[tuple[str, str, str, Op]] = []
DEFAULT_PAGE = 50
"""``limit`` default of ListSecrets, ListSecretVersions and ListSecretEvents (SDK model docs)."""


def _op(method: str, template: str, operation: str) -> Callable[[Op], Op]:
    def register(fn: Op) -> Op:
        _ROUTES.append((method, template, operation, fn))
        return fn

    return register


def _ok(body: Any) -> httpx.Response:
    return json_response(200, body)


def _no_content() -> httpx.Response:
    return json_response(204, None)


def _body(call: Call) -> dict[str, Any]:
    return rules.body_object(call.json(error=lambda msg: rules.csms_error("CSMS.0004", msg)))


# --------------------------------------------------------------------------------------------- secrets


def _rotation_settings(body: dict[str, Any], secret: Secret | None) -> tuple[bool, str | None]:
    """Auto rotation needs a period (6 h - 8760 h); returns ``(auto_rotation, rotation_period)``."""
    auto = rules.opt_bool(body, "auto_rotation")
    period = rules.opt_str(body, "rotation_period")
    if auto is None:
        auto = secret.auto_rotation if secret else False
    if period is None and secret is not None:
        period = secret.rotation_period
    if period is not None:
        rules.rotation_period_seconds(period)
    if auto and period is None:
        rules.invalid("rotation_period is required when auto_rotation is true")
    return auto, period


def _subscriptions(body: dict[str, Any], backend: CsmsBackend) -> list[str] | None:
    names = rules.str_list(body, "event_subscriptions")
    if names is None:
        return None
    if len(names) > 1:
        rules.invalid("a secret can subscribe to at most one event")
    for name in names:
        backend.get_event(name)
    return names


def _next_rotation(backend: CsmsBackend, auto: bool, period: str | None) -> int | None:
    if not auto or period is None:
        return None
    return backend.now() + rules.rotation_period_seconds(period)


@_op("POST", "/v1/{project_id}/secrets", "CreateSecret")
def create_secret(call: Call, backend: CsmsBackend) -> httpx.Response:
    body = _body(call)
    name = rules.check_name(body.get("name"))
    text, binary = rules.secret_value(body)
    secret_type = rules.opt_str(body, "secret_type") or rules.COMMON
    if secret_type not in rules.SECRET_TYPES:
        rules.invalid("secret_type must be COMMON, RDS-FG or GaussDB-FG")
    rotation_config = rules.opt_str(body, "rotation_config")
    if rotation_config is not None and len(rotation_config) > 1024:
        rules.invalid("rotation_config is longer than 1024 characters")
    if secret_type != rules.COMMON and not rotation_config:
        rules.invalid(f"rotation_config is required for {secret_type} secrets")
    auto, period = _rotation_settings(body, None)
    now = backend.now()
    secret = Secret(
        id=str(uuid.uuid4()),
        name=name,
        kms_key_id=rules.opt_str(body, "kms_key_id") or backend.default_kms_key_id,
        description=rules.check_description(rules.opt_str(body, "description")),
        secret_type=secret_type,
        create_time=now,
        update_time=now,
        auto_rotation=auto,
        rotation_period=period,
        rotation_config=rotation_config,
        next_rotation_time=_next_rotation(backend, auto, period),
        event_subscriptions=_subscriptions(body, backend) or [],
        enterprise_project_id=rules.opt_str(body, "enterprise_project_id") or "0",
        rotation_func_urn=rules.opt_str(body, "rotation_func_urn"),
    )
    backend.add_secret(secret)
    backend.add_version(secret, text, binary, [rules.SYSCURRENT], None)
    return _ok({"secret": secret.view()})


@_op("GET", "/v1/{project_id}/secrets", "ListSecrets")
def list_secrets(call: Call, backend: CsmsBackend) -> httpx.Response:
    q = call.query
    limit = rules.page_limit(q.get("limit"), DEFAULT_PAGE)
    return _ok(backend.list_secrets(limit, q.get("marker") or None, q.get("event_name") or None))


@_op("GET", _BY_NAME, "ShowSecret")
def show_secret(call: Call, backend: CsmsBackend) -> httpx.Response:
    return _ok({"secret": backend.get(call.path_params["secret_name"]).view()})


@_op("PUT", _BY_NAME, "UpdateSecret")
def update_secret(call: Call, backend: CsmsBackend) -> httpx.Response:
    secret = backend.usable(call.path_params["secret_name"])
    body = _body(call)
    auto, period = _rotation_settings(body, secret)
    subscriptions = _subscriptions(body, backend)
    description = rules.check_description(rules.opt_str(body, "description"))
    kms_key_id = rules.opt_str(body, "kms_key_id")
    func_urn = rules.opt_str(body, "rotation_func_urn")
    if (auto, period) != (secret.auto_rotation, secret.rotation_period):
        secret.next_rotation_time = _next_rotation(backend, auto, period)
    secret.auto_rotation, secret.rotation_period = auto, period
    if subscriptions is not None:
        secret.event_subscriptions = subscriptions
    if description is not None:
        secret.description = description
    if kms_key_id:
        secret.kms_key_id = kms_key_id
    if func_urn is not None:
        secret.rotation_func_urn = func_urn
    secret.update_time = backend.now()
    return _ok({"secret": secret.view()})


@_op("DELETE", _BY_NAME, "DeleteSecret")
def delete_secret(call: Call, backend: CsmsBackend) -> httpx.Response:
    backend.remove_secret(backend.get(call.path_params["secret_name"]))
    return _no_content()


@_op("POST", _BY_NAME + "/scheduled-deleted-tasks/create", "DeleteSecretForSchedule")
def schedule_deletion(call: Call, backend: CsmsBackend) -> httpx.Response:
    secret = backend.get(call.path_params["secret_name"])
    days = rules.opt_int(_body(call), "recovery_window_in_days")
    days = 30 if days is None else days
    if not 7 <= days <= 30:
        rules.invalid("recovery_window_in_days must be between 7 and 30")
    backend.schedule_deletion(secret, days)
    return _ok({"secret": secret.view()})


@_op("POST", _BY_NAME + "/scheduled-deleted-tasks/cancel", "RestoreSecret")
def restore_secret(call: Call, backend: CsmsBackend) -> httpx.Response:
    secret = backend.get(call.path_params["secret_name"])
    backend.cancel_deletion(secret)
    return _ok({"secret": secret.view()})


@_op("POST", _BY_NAME + "/rotate", "RotateSecret")
def rotate_secret(call: Call, backend: CsmsBackend) -> httpx.Response:
    secret = backend.usable(call.path_params["secret_name"])
    version = backend.rotate(secret)
    return _ok({"version_id": version.id, "secret_name": secret.name, "rotation_task_id": str(uuid.uuid4())})


# --------------------------------------------------------------------------------------------- versions


def _version_stages(body: dict[str, Any]) -> list[str]:
    stages = rules.str_list(body, "version_stages")
    if stages is None:
        return [rules.SYSCURRENT]
    if not 1 <= len(stages) <= rules.MAX_STAGES_PER_VERSION:
        rules.invalid(f"version_stages must hold 1 to {rules.MAX_STAGES_PER_VERSION} stages")
    if len(set(stages)) != len(stages):
        rules.invalid("version_stages must not repeat a stage")
    return [rules.check_stage(s) for s in stages]


def _expire_time(body: dict[str, Any]) -> int | None:
    value = rules.opt_int(body, "expire_time")
    if value is not None and value < 0:
        rules.invalid("expire_time must be a timestamp in seconds")
    return value


@_op("POST", _BY_NAME + "/versions", "CreateSecretVersion")
def create_version(call: Call, backend: CsmsBackend) -> httpx.Response:
    secret = backend.usable(call.path_params["secret_name"])
    body = _body(call)
    text, binary = rules.secret_value(body)
    version = backend.add_version(secret, text, binary, _version_stages(body), _expire_time(body))
    backend.notify(secret, "SECRET_VERSION_CREATED", version_id=version.id)
    return _ok({"version_metadata": secret.version_view(version)})


@_op("GET", _BY_NAME + "/versions", "ListSecretVersions")
def list_versions(call: Call, backend: CsmsBackend) -> httpx.Response:
    secret = backend.get(call.path_params["secret_name"])
    limit = rules.page_limit(call.query.get("limit"), DEFAULT_PAGE)
    return _ok(backend.list_versions(secret, limit, call.query.get("marker") or None))


@_op("GET", _BY_NAME + "/versions/{version_id}", "ShowSecretVersion")
def show_version(call: Call, backend: CsmsBackend) -> httpx.Response:
    secret = backend.usable(call.path_params["secret_name"])
    version = backend.find_version(secret, call.path_params["version_id"])
    return _ok(
        {
            "version": {
                "version_metadata": secret.version_view(version),
                "secret_string": version.secret_string,
                "secret_binary": version.secret_binary,
            }
        }
    )


@_op("PUT", _BY_NAME + "/versions/{version_id}", "UpdateVersion")
def update_version(call: Call, backend: CsmsBackend) -> httpx.Response:
    secret = backend.usable(call.path_params["secret_name"])
    version = backend.find_version(secret, call.path_params["version_id"])
    expire_time = _expire_time(_body(call))
    if expire_time is None:
        rules.invalid("expire_time is required")
    backend.set_expiry(secret, version, expire_time)
    return _ok({"version_metadata": secret.version_view(version)})


@_op("GET", _BY_NAME + "/stages/{stage_name}", "ShowSecretStage")
def show_stage(call: Call, backend: CsmsBackend) -> httpx.Response:
    secret = backend.get(call.path_params["secret_name"])
    return _ok({"stage": backend.stage_view(secret, call.path_params["stage_name"])})


@_op("PUT", _BY_NAME + "/stages/{stage_name}", "UpdateSecretStage")
def update_stage(call: Call, backend: CsmsBackend) -> httpx.Response:
    secret = backend.usable(call.path_params["secret_name"])
    stage = rules.check_stage(call.path_params["stage_name"])
    version_id = rules.opt_str(_body(call), "version_id")
    if not version_id:
        rules.invalid("version_id is required")
    version = secret.version(version_id)
    if version is None:
        rules.missing(f"version {version_id}")
    backend.put_stage(secret, stage, version)
    secret.update_time = backend.now()
    return _ok({"stage": backend.stage_view(secret, stage)})


@_op("DELETE", _BY_NAME + "/stages/{stage_name}", "DeleteSecretStage")
def delete_stage(call: Call, backend: CsmsBackend) -> httpx.Response:
    secret = backend.usable(call.path_params["secret_name"])
    backend.delete_stage(secret, call.path_params["stage_name"])
    return _no_content()


# --------------------------------------------------------------------------------------------- events
# Registered before the ``/csms/{secret_id}/...`` routes so ``/csms/events/x`` is never read as a secret id.

_EVENT = "/v1/{project_id}/csms/events/{event_name}"


def _event_types(body: dict[str, Any], required: bool) -> list[str] | None:
    types = rules.str_list(body, "event_types")
    if types is None:
        if required:
            rules.invalid("event_types is required")
        return None
    if not 1 <= len(types) <= len(rules.EVENT_TYPES):
        rules.invalid("event_types must hold at least one event type")
    if len(set(types)) != len(types) or not set(types) <= rules.EVENT_TYPES:
        rules.invalid("event_types must be distinct, known event types")
    return types


def _event_state(body: dict[str, Any], required: bool) -> str | None:
    state = rules.opt_str(body, "state")
    if state is None and not required:
        return None
    if state not in rules.EVENT_STATES:
        rules.invalid("state must be ENABLED or DISABLED")
    return state


def _notification(body: dict[str, Any], required: bool) -> dict[str, str] | None:
    raw = body.get("notification")
    if raw is None:
        if required:
            rules.invalid("notification is required")
        return None
    if not isinstance(raw, dict):
        rules.bad_body("notification must be an object")
    if raw.get("target_type") != "SMN":
        rules.invalid("notification target_type must be SMN")
    target_id, target_name = raw.get("target_id"), raw.get("target_name")
    if not isinstance(target_id, str) or not target_id or not isinstance(target_name, str) or not target_name:
        rules.invalid("notification needs target_id (the SMN topic URN) and target_name")
    return {"target_type": "SMN", "target_id": target_id, "target_name": target_name}


@_op("POST", "/v1/{project_id}/csms/events", "CreateSecretEvent")
def create_event(call: Call, backend: CsmsBackend) -> httpx.Response:
    body = _body(call)
    now = backend.now()
    event = Event(
        name=rules.check_name(body.get("name")),
        event_id=str(uuid.uuid4()),
        event_types=_event_types(body, True) or [],
        state=_event_state(body, True) or "ENABLED",
        notification=_notification(body, True) or {},
        create_time=now,
        update_time=now,
    )
    backend.add_event(event)
    return _ok({"event": event.view()})


@_op("GET", "/v1/{project_id}/csms/events", "ListSecretEvents")
def list_events(call: Call, backend: CsmsBackend) -> httpx.Response:
    limit = rules.page_limit(call.query.get("limit"), DEFAULT_PAGE)
    return _ok(backend.list_events(limit, call.query.get("marker") or None))


@_op("GET", _EVENT, "ShowSecretEvent")
def show_event(call: Call, backend: CsmsBackend) -> httpx.Response:
    return _ok({"event": backend.get_event(call.path_params["event_name"]).view()})


@_op("PUT", _EVENT, "UpdateSecretEvent")
def update_event(call: Call, backend: CsmsBackend) -> httpx.Response:
    event = backend.get_event(call.path_params["event_name"])
    body = _body(call)
    types, state, notification = (
        _event_types(body, False),
        _event_state(body, False),
        _notification(body, False),
    )
    if types is not None:
        event.event_types = types
    if state is not None:
        event.state = state
    if notification is not None:
        event.notification = notification
    event.update_time = backend.now()
    return _ok({"event": event.view()})


@_op("DELETE", _EVENT, "DeleteSecretEvent")
def delete_event(call: Call, backend: CsmsBackend) -> httpx.Response:
    backend.remove_event(call.path_params["event_name"])
    return _no_content()


@_op("GET", "/v1/{project_id}/csms/notification-records", "ListNotificationRecords")
def list_records(call: Call, backend: CsmsBackend) -> httpx.Response:
    records = list(backend.records)
    page = {"next_marker": None, "previous_marker": None, "current_count": len(records)}
    return _ok({"records": records, "page_info": page})


# --------------------------------------------------------------------------------------------- tags

_TAGS = "/v1/{project_id}/csms/{secret_id}/tags"


def _tag_item(raw: Any) -> tuple[str, str]:
    if not isinstance(raw, dict):
        rules.bad_body("a tag must be an object with key and value")
    value = raw.get("value")
    return rules.check_tag_key(raw.get("key")), rules.check_tag_value("" if value is None else value)


def _check_sequence(body: dict[str, Any]) -> None:
    sequence = body.get("sequence")
    if sequence is not None and (not isinstance(sequence, str) or len(sequence.encode()) != 36):
        rules.invalid("sequence must be a 36-byte string")


@_op("GET", "/v1/{project_id}/csms/tags", "ListProjectSecretsTags")
def list_project_tags(call: Call, backend: CsmsBackend) -> httpx.Response:
    return _ok({"tags": backend.project_tags()})


@_op("POST", "/v1/{project_id}/csms/{resource_instances}/action", "ListResourceInstances")
def list_resource_instances(call: Call, backend: CsmsBackend) -> httpx.Response:
    if call.path_params["resource_instances"] != "resource_instances":
        raise rules.csms_error("CSMS.0003", "The request is invalid.")
    return _ok(csms_query.run(backend, csms_query.parse(_body(call))))


@_op("POST", _TAGS, "CreateSecretTag")
def create_tag(call: Call, backend: CsmsBackend) -> httpx.Response:
    secret = backend.by_id(call.path_params["secret_id"])
    key, value = _tag_item(_body(call).get("tag"))
    backend.tag(secret, key, value)
    return _no_content()


@_op("GET", _TAGS, "ListSecretTags")
def list_tags(call: Call, backend: CsmsBackend) -> httpx.Response:
    secret = backend.by_id(call.path_params["secret_id"])
    return _ok({"tags": secret.tag_list(), "sys_tags": []})


@_op("DELETE", _TAGS + "/{key}", "DeleteSecretTag")
def delete_tag(call: Call, backend: CsmsBackend) -> httpx.Response:
    secret = backend.by_id(call.path_params["secret_id"])
    key = call.path_params["key"]
    if key not in secret.tags:
        rules.missing(f"tag {key}")
    backend.untag(secret, key)
    return _no_content()


@_op("POST", _TAGS + "/action", "BatchCreateOrDeleteTags")
def batch_tags(call: Call, backend: CsmsBackend) -> httpx.Response:
    """All-or-nothing: every tag is checked before any is applied; deleting an absent tag is a no-op."""
    secret = backend.by_id(call.path_params["secret_id"])
    body = _body(call)
    action = body.get("action")
    if action not in ("create", "delete"):
        rules.invalid("action must be create or delete")
    _check_sequence(body)
    raw = body.get("tags")
    if not isinstance(raw, list) or not raw:
        rules.invalid("tags must be a non-empty array")
    items = [_tag_item(t) for t in raw]
    if action == "create":
        keys = [k for k, _ in items]
        if len(set(keys)) != len(keys):
            rules.invalid("tags must not repeat a key")
        if len(secret.tags.keys() | set(keys)) > rules.MAX_TAGS_PER_SECRET:
            rules.invalid(f"a secret can have at most {rules.MAX_TAGS_PER_SECRET} tags")
        for key, value in items:
            backend.tag(secret, key, value)
    else:
        for key, value in items:
            if key in secret.tags and value in ("", secret.tags[key]):
                backend.untag(secret, key)
    return _no_content()


# --------------------------------------------------------------------------------------------- wiring


def _smn_notifier(emulator: Emulator) -> Callable[[str, str, str, str], str]:
    """Publish through the emulator's SMN service; the outcome becomes the record's ``notification_status``.

    SMN publishes "as a cloud service would": ``SmnService.publish(topic_urn, message, subject)`` finds the
    topic's project from its URN and raises a ``LookupError`` when the topic does not exist (INVALID: the
    event points at no topic). Any other failure is FAIL, like an SMN outage.
    """

    def notify(key: str, topic_urn: str, message: str, subject: str) -> str:
        try:
            publish = getattr(emulator.service("smn"), "publish", None)
        except KeyError:
            return "INVALID"
        if publish is None:
            return "INVALID"
        try:
            publish(topic_urn, message, subject)
        except (ApiError, LookupError, ValueError):
            return "INVALID"
        except Exception:
            return "FAIL"
        return "SUCCESS"

    return notify


def _locked(fn: Op) -> Op:
    """Serialise calls per project and run due timed work (purges, expiries) first."""

    def handler(call: Call, backend: CsmsBackend) -> httpx.Response:
        with backend.lock:
            backend.tick()
            return fn(call, backend)

    return handler


def make_service(emulator: Emulator) -> Service[CsmsBackend]:
    notifier = _smn_notifier(emulator)
    service: Service[CsmsBackend] = Service("csms", lambda key: CsmsBackend(key, notifier), auth="huawei")
    for method, template, operation, fn in _ROUTES:
        service.route(method, template, operation)(_locked(fn))
    return service
