"""CSMS's secret, version and stage operations, one function each (``huaweicloudsdkcsms`` 3.1.219 shapes).

Event and notification operations are in :mod:`.events`, tag operations and ListResourceInstances in
:mod:`.tags`; the input rules they all share in :mod:`.rules`.
"""

from __future__ import annotations

import uuid
from typing import Any

import httpx

from devkit.emulator.core import Call
from devkit.emulator.services.csms import rules
from devkit.emulator.services.csms.rules import no_content, ok, request_body
from devkit.emulator.services.csms.state import CsmsBackend, Secret, update_fields

DEFAULT_PAGE = 50
"""``limit`` default of ListSecrets, ListSecretVersions and ListSecretEvents (SDK model docs)."""

# --------------------------------------------------------------------------------------------- secrets


def create_secret(call: Call, backend: CsmsBackend) -> httpx.Response:
    body = request_body(call)
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
    return ok({"secret": secret.view()})


def list_secrets(call: Call, backend: CsmsBackend) -> httpx.Response:
    q = call.query
    limit = rules.page_limit(q.get("limit"), DEFAULT_PAGE)
    return ok(backend.list_secrets(limit, q.get("marker") or None, q.get("event_name") or None))


def show_secret(call: Call, backend: CsmsBackend) -> httpx.Response:
    return ok({"secret": backend.get(call.path_params["secret_name"]).view()})


def update_secret(call: Call, backend: CsmsBackend) -> httpx.Response:
    secret = backend.usable(call.path_params["secret_name"])
    body = request_body(call)
    auto, period = _rotation_settings(body, secret)
    subscriptions = _subscriptions(body, backend)
    description = rules.check_description(rules.opt_str(body, "description"))
    kms_key_id = rules.opt_str(body, "kms_key_id")
    func_urn = rules.opt_str(body, "rotation_func_urn")
    if (auto, period) != (secret.auto_rotation, secret.rotation_period):
        secret.next_rotation_time = _next_rotation(backend, auto, period)
    secret.auto_rotation, secret.rotation_period = auto, period
    update_fields(
        secret,
        event_subscriptions=subscriptions,
        description=description,
        kms_key_id=kms_key_id or None,
        rotation_func_urn=func_urn,
    )
    secret.update_time = backend.now()
    return ok({"secret": secret.view()})


def delete_secret(call: Call, backend: CsmsBackend) -> httpx.Response:
    backend.remove_secret(backend.get(call.path_params["secret_name"]))
    return no_content()


def schedule_deletion(call: Call, backend: CsmsBackend) -> httpx.Response:
    secret = backend.get(call.path_params["secret_name"])
    days = rules.opt_int(request_body(call), "recovery_window_in_days")
    days = 30 if days is None else days
    if not 7 <= days <= 30:
        rules.invalid("recovery_window_in_days must be between 7 and 30")
    backend.schedule_deletion(secret, days)
    return ok({"secret": secret.view()})


def restore_secret(call: Call, backend: CsmsBackend) -> httpx.Response:
    secret = backend.get(call.path_params["secret_name"])
    backend.cancel_deletion(secret)
    return ok({"secret": secret.view()})


def rotate_secret(call: Call, backend: CsmsBackend) -> httpx.Response:
    secret = backend.usable(call.path_params["secret_name"])
    version = backend.rotate(secret)
    return ok({"version_id": version.id, "secret_name": secret.name, "rotation_task_id": str(uuid.uuid4())})


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


# --------------------------------------------------------------------------------------------- versions


def create_version(call: Call, backend: CsmsBackend) -> httpx.Response:
    secret = backend.usable(call.path_params["secret_name"])
    body = request_body(call)
    text, binary = rules.secret_value(body)
    version = backend.add_version(secret, text, binary, _version_stages(body), _expire_time(body))
    backend.notify(secret, "SECRET_VERSION_CREATED", version_id=version.id)
    return ok({"version_metadata": secret.version_view(version)})


def list_versions(call: Call, backend: CsmsBackend) -> httpx.Response:
    secret = backend.get(call.path_params["secret_name"])
    limit = rules.page_limit(call.query.get("limit"), DEFAULT_PAGE)
    return ok(backend.list_versions(secret, limit, call.query.get("marker") or None))


def show_version(call: Call, backend: CsmsBackend) -> httpx.Response:
    secret = backend.usable(call.path_params["secret_name"])
    version = backend.find_version(secret, call.path_params["version_id"])
    return ok(
        {
            "version": {
                "version_metadata": secret.version_view(version),
                "secret_string": version.secret_string,
                "secret_binary": version.secret_binary,
            }
        }
    )


def update_version(call: Call, backend: CsmsBackend) -> httpx.Response:
    secret = backend.usable(call.path_params["secret_name"])
    version = backend.find_version(secret, call.path_params["version_id"])
    expire_time = _expire_time(request_body(call))
    if expire_time is None:
        rules.invalid("expire_time is required")
    backend.set_expiry(secret, version, expire_time)
    return ok({"version_metadata": secret.version_view(version)})


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


# --------------------------------------------------------------------------------------------- stages


def show_stage(call: Call, backend: CsmsBackend) -> httpx.Response:
    secret = backend.get(call.path_params["secret_name"])
    return ok({"stage": backend.stage_view(secret, call.path_params["stage_name"])})


def update_stage(call: Call, backend: CsmsBackend) -> httpx.Response:
    secret = backend.usable(call.path_params["secret_name"])
    stage = rules.check_stage(call.path_params["stage_name"])
    version_id = rules.opt_str(request_body(call), "version_id")
    if not version_id:
        rules.invalid("version_id is required")
    version = secret.version(version_id)
    if version is None:
        rules.missing(f"version {version_id}")
    backend.put_stage(secret, stage, version)
    secret.update_time = backend.now()
    return ok({"stage": backend.stage_view(secret, stage)})


def delete_stage(call: Call, backend: CsmsBackend) -> httpx.Response:
    secret = backend.usable(call.path_params["secret_name"])
    backend.delete_stage(secret, call.path_params["stage_name"])
    return no_content()
