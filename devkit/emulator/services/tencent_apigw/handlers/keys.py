"""API key actions: create (auto or manual), rotate (UpdateApiKey), enable, disable, delete, describe, list.

The rules that make key-pair (``SECRET``) APIs callable are the ones the document states: a key is usable
in an environment only when it is enabled, bound to a usage plan (BindSecretIds) and that plan is bound to the
service environment or to the API in it (BindEnvironment); two plans bound to the same environment must not
share a key. Key material rules: ``manual`` keys take an ``AccessKeyId`` of 5-50 and an ``AccessKeySecret`` of
10-50 characters from ``[A-Za-z0-9_]``; ``auto`` keys get generated ones, and UpdateApiKey of an ``auto`` key
generates a new secret (sending one is refused: the document only allows it for manual keys, and silently
ignoring it would leave the caller believing its own secret is in force). DeleteApiKey needs the key unbound
(``UnsupportedOperation.ResourceIsInUse``) and disabled (``UnsupportedOperation.InvalidStatus``), the order
the document's rotation procedure follows: disable, unbind, delete.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from devkit.emulator.core import tencent_error
from devkit.emulator.services.tencent_apigw.handlers.common import (
    ActionContext,
    filtered_page,
    find_key,
    fuzzy_match,
    matches_all,
    within_limit,
)
from devkit.emulator.services.tencent_apigw.params import Params
from devkit.emulator.services.tencent_apigw.state import (
    ApiKey,
    iso,
    random_secret,
)

_MANUAL_ID = re.compile(r"^[A-Za-z0-9_]{5,50}$")


_MANUAL_SECRET = re.compile(r"^[A-Za-z0-9_]{10,50}$")


_AUTO_SECRET_LENGTH = 40


def _key_struct(key: ApiKey, *, with_secret: bool) -> dict[str, Any]:
    return {
        "AccessKeyId": key.access_key_id,
        "AccessKeySecret": key.secret if with_secret else "",
        "AccessKeyType": key.key_type,
        "SecretName": key.name,
        "ModifiedTime": iso(key.modified),
        "Status": 1 if key.enabled else 0,
        "CreatedTime": iso(key.created),
    }


def _manual_secret(params: Params) -> str:
    secret = params.text("AccessKeySecret")
    if not _MANUAL_SECRET.match(secret):
        raise tencent_error(
            "InvalidParameter.FormatError",
            "AccessKeySecret must be 10-50 characters: letters, digits and underscores.",
        )
    return secret


def create_api_key(ctx: ActionContext) -> dict[str, Any]:
    p, backend = ctx.params, ctx.backend
    name = p.text("SecretName")
    key_type = p.enum("AccessKeyType", ("auto", "manual"), default="auto")
    if key_type == "manual":
        key_id = p.text("AccessKeyId")
        if not _MANUAL_ID.match(key_id):
            raise tencent_error(
                "InvalidParameter.FormatError",
                "AccessKeyId must be 5-50 characters: letters, digits and underscores.",
            )
        secret = _manual_secret(p)
        if key_id in backend.api_keys:
            raise tencent_error(
                "FailedOperation.AccessKeyExist", f"The custom key `{key_id}` already exists."
            )
    else:
        if "AccessKeyId" in p or "AccessKeySecret" in p:
            raise tencent_error(
                "InvalidParameterValue",
                "AccessKeyId and AccessKeySecret can only be given when AccessKeyType is manual.",
            )
        key_id, secret = backend.new_access_key_id(), random_secret(_AUTO_SECRET_LENGTH)
    within_limit(
        len(backend.api_keys) + 1,
        backend.quotas.api_keys,
        "LimitExceeded.ApiKeyCountLimitExceeded",
        "At most {} key pairs per tenant.",
    )
    key = ApiKey(
        access_key_id=key_id,
        secret=secret,
        key_type=key_type,
        name=name,
        enabled=True,
        created=ctx.now,
        modified=ctx.now,
    )
    backend.api_keys[key_id] = key
    return {"Result": _key_struct(key, with_secret=True)}


def update_api_key(ctx: ActionContext) -> dict[str, Any]:
    """Replace the secret of an existing pair; the AccessKeyId stays, the old secret stops working at once."""
    p = ctx.params
    key = find_key(ctx.backend, p.text("AccessKeyId"))
    if key.key_type == "manual":
        key.secret = _manual_secret(p)
    else:
        if "AccessKeySecret" in p:
            raise tencent_error(
                "InvalidParameterValue", "AccessKeySecret can only be set for a manual (custom) key."
            )
        key.secret = random_secret(_AUTO_SECRET_LENGTH)
    key.modified = ctx.now
    return {"Result": _key_struct(key, with_secret=True)}


def _set_enabled(ctx: ActionContext, enabled: bool) -> dict[str, Any]:
    key = find_key(ctx.backend, ctx.params.text("AccessKeyId"))
    if key.enabled == enabled:
        raise tencent_error(
            "UnsupportedOperation.UnsupportedUpdateApiKey",
            f"The key is already {'enabled' if enabled else 'disabled'}.",
        )
    key.enabled = enabled
    key.modified = ctx.now
    return {"Result": True}


def enable_api_key(ctx: ActionContext) -> dict[str, Any]:
    return _set_enabled(ctx, True)


def disable_api_key(ctx: ActionContext) -> dict[str, Any]:
    return _set_enabled(ctx, False)


def delete_api_key(ctx: ActionContext) -> dict[str, Any]:
    backend = ctx.backend
    key = find_key(backend, ctx.params.text("AccessKeyId"))
    if key.plan_ids:
        raise tencent_error(
            "UnsupportedOperation.ResourceIsInUse",
            f"The key is bound to usage plan(s) {', '.join(key.plan_ids)}; unbind it first.",
        )
    if key.enabled:
        raise tencent_error(
            "UnsupportedOperation.InvalidStatus", "An enabled key cannot be deleted; disable it first."
        )
    del backend.api_keys[key.access_key_id]
    return {"Result": True}


def describe_api_key(ctx: ActionContext) -> dict[str, Any]:
    # The only action documented to return the secret of an existing key.
    return {"Result": _key_struct(find_key(ctx.backend, ctx.params.text("AccessKeyId")), with_secret=True)}


_KEY_CHECKS: dict[str, Callable[[ApiKey, list[str]], bool]] = {
    "AccessKeyId": lambda k, v: k.access_key_id in v,
    "AccessKeySecret": lambda k, v: k.secret in v,
    "SecretName": lambda k, v: fuzzy_match(k.name, v),
    "Status": lambda k, v: str(1 if k.enabled else 0) in v,
    "NotUsagePlanId": lambda k, v: not set(v) & set(k.plan_ids),
    "KeyWord": lambda k, v: fuzzy_match(k.name, v) or fuzzy_match(k.access_key_id, v),
}


def describe_api_keys_status(ctx: ActionContext) -> dict[str, Any]:
    items, total = filtered_page(ctx.params, ctx.backend.api_keys, _KEY_CHECKS, matches_all(_KEY_CHECKS))
    # "Does not return the key secret": the list answer carries an empty AccessKeySecret.
    return {"Result": {"TotalCount": total, "ApiKeySet": [_key_struct(k, with_secret=False) for k in items]}}
