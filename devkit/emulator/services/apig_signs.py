"""Signature keys (3.6) and their bindings to publish records (3.7).

Key and secret rules per ``sign_type`` come from table 3-340. Creating or modifying a key without
``sign_key``/``sign_secret`` makes the server generate them: the 3.6.2 example sends only ``name`` and gets a
new key and secret back, so the emulator regenerates omitted values on modify as well - a rotation that wants
chosen values must send them, one that wants to keep them must echo them.
"""

from __future__ import annotations

import re
import secrets
import string
from typing import Any

import httpx

from devkit.emulator.core import Call, Service
from devkit.emulator.services.apig_bindings import (
    api_fields,
    bind_publish_ids,
    bound_to_api,
    drop_binding,
    outline,
    partition_published,
    published_rows,
    require_query,
)
from devkit.emulator.services.apig_state import (
    BASE,
    NAME_3_64,
    ApigBackend,
    Instance,
    bad_value,
    body_of,
    check_enum,
    check_pattern,
    check_unique_name,
    created,
    listed,
    new_id,
    no_content,
    now,
    ok,
    page,
    quota_check,
    require_id,
)

SIGN_TYPES = ("hmac", "basic", "public_key", "aes")
_SECRET_CHARS = r"A-Za-z0-9_\-!@#$%"  # noqa: S105 - a character class
_B64_CHARS = r"A-Za-z0-9_\-!@#$%+/="
# (key pattern, secret pattern) per type, from table 3-340.
_RULES: dict[str, tuple[str, str]] = {
    "hmac": (r"[A-Za-z0-9][A-Za-z0-9_\-]{7,31}", rf"[A-Za-z0-9][{_SECRET_CHARS}]{{15,63}}"),
    "basic": (r"[A-Za-z][A-Za-z0-9_\-]{3,31}", rf"[A-Za-z0-9][{_SECRET_CHARS}]{{7,63}}"),
    "public_key": (r"[A-Za-z0-9+/][A-Za-z0-9_\-+/=]{7,511}", rf"[A-Za-z0-9+/][{_B64_CHARS}]{{14,2047}}"),
    "aes": (
        r"[A-Za-z0-9+/][A-Za-z0-9_\-!@#$%+/=]{15}(?:[A-Za-z0-9_\-!@#$%+/=]{16})?",
        rf"[A-Za-z0-9+/][{_B64_CHARS}]{{15}}",
    ),
}


def _generate(sign_type: str, algorithm: str | None) -> tuple[str, str]:
    alphabet = string.ascii_letters + string.digits
    if sign_type == "aes":
        size = 32 if algorithm == "aes-256-cfb" else 16
        return "".join(secrets.choice(alphabet) for _ in range(size)), "".join(
            secrets.choice(alphabet) for _ in range(16)
        )
    key = secrets.token_hex(16)
    if sign_type == "basic":
        key = "k" + key[1:]
    return key, secrets.token_hex(16)


def _validate(inst: Instance, body: dict[str, Any], current: dict[str, Any] | None) -> dict[str, Any]:
    name = check_pattern(body, "name", NAME_3_64, required=True)
    sign_type = check_enum(body, "sign_type", SIGN_TYPES) or (current["sign_type"] if current else "hmac")
    algorithm = check_enum(body, "sign_algorithm", ("aes-128-cfb", "aes-256-cfb"))
    if algorithm and sign_type != "aes":
        raise bad_value("sign_algorithm")
    if sign_type == "aes" and not algorithm:
        algorithm = "aes-128-cfb"
    key_rule, secret_rule = _RULES[sign_type]
    generated_key, generated_secret = _generate(sign_type, algorithm)
    key = body.get("sign_key") or generated_key
    secret = body.get("sign_secret") or generated_secret
    if not isinstance(key, str) or not re.fullmatch(key_rule, key):
        raise bad_value("sign_key")
    if sign_type == "aes" and len(key) != (32 if algorithm == "aes-256-cfb" else 16):
        raise bad_value("sign_key")
    if not isinstance(secret, str) or not re.fullmatch(secret_rule, secret):
        raise bad_value("sign_secret")
    check_unique_name(inst.signs, name, current["id"] if current else None, "APIG.3207", "signature key")
    out = {"name": name, "sign_type": sign_type, "sign_key": key, "sign_secret": secret}
    if algorithm:
        out["sign_algorithm"] = algorithm
    return out


def _sign_view(inst: Instance, sign: dict[str, Any]) -> dict[str, Any]:
    bound = sum(1 for b in inst.sign_bindings if b["sign_id"] == sign["id"])
    return {**sign, "bind_num": bound, "ldapi_bind_num": 0}


def _binding_view(inst: Instance, binding: dict[str, Any], *, with_secret: bool) -> dict[str, Any] | None:
    record = inst.publish_by_id(binding["publish_id"])
    sign = inst.signs.get(binding["sign_id"])
    if record is None or sign is None:
        return None
    facts = api_fields(inst, record)
    view = {
        "id": binding["id"],
        "binding_time": binding["binding_time"],
        "sign_id": sign["id"],
        "sign_name": sign["name"],
        **{k: facts[k] for k in ("publish_id", "api_id", "api_name", "api_type", "api_remark", "group_name")},
        **{k: facts[k] for k in ("env_id", "env_name", "req_method", "tags")},
    }
    if with_secret:
        view.update({k: sign[k] for k in ("sign_key", "sign_secret", "sign_type")})
    return view


def register(svc: Service[ApigBackend]) -> None:
    @svc.route("POST", BASE + "/signs", "CreateSignatureKeyV2")
    def create_sign(call: Call, backend: ApigBackend) -> httpx.Response:
        inst = backend.instance(call)
        fields = _validate(inst, body_of(call), None)
        quota_check(inst, "SIGN_NUM_LIMIT", len(inst.signs), "APIG.3105", "signature keys")
        stamp = now()
        sign = inst.signs.put({**fields, "id": new_id(), "create_time": stamp, "update_time": stamp})
        return created(sign)

    @svc.route("PUT", BASE + "/signs/{sign_id}", "UpdateSignatureKeyV2")
    def update_sign(call: Call, backend: ApigBackend) -> httpx.Response:
        inst = backend.instance(call)
        sign = inst.sign(call.path_params["sign_id"])
        sign.pop("sign_algorithm", None)
        sign.update(_validate(inst, body_of(call), sign))
        sign["update_time"] = now()
        return ok(sign)

    @svc.route("DELETE", BASE + "/signs/{sign_id}", "DeleteSignatureKeyV2")
    def delete_sign(call: Call, backend: ApigBackend) -> httpx.Response:
        inst = backend.instance(call)
        sign = inst.sign(call.path_params["sign_id"])
        inst.sign_bindings.remove_where(sign_id=sign["id"])
        inst.signs.pop(sign["id"])
        return no_content()

    @svc.route("GET", BASE + "/signs", "ListSignatureKeysV2")
    def list_signs(call: Call, backend: ApigBackend) -> httpx.Response:
        inst = backend.instance(call)
        return page(call, "signs", listed(call, inst.signs), lambda s: _sign_view(inst, s))

    @svc.route("POST", BASE + "/sign-bindings", "AssociateSignatureKeyV2")
    def bind(call: Call, backend: ApigBackend) -> httpx.Response:
        inst = backend.instance(call)
        body = body_of(call)
        sign = inst.sign(require_id(body, "sign_id"))
        pairs = bind_publish_ids(
            inst,
            inst.sign_bindings,
            "sign_id",
            sign["id"],
            body.get("publish_ids"),
            "binding_time",
            "signature key",
        )
        views = [_binding_view(inst, binding, with_secret=True) for binding, _ in pairs]
        return created({"bindings": [v for v in views if v is not None]})

    @svc.route("DELETE", BASE + "/sign-bindings/{sign_bindings_id}", "DisassociateSignatureKeyV2")
    def unbind(call: Call, backend: ApigBackend) -> httpx.Response:
        inst = backend.instance(call)
        binding_id = call.path_params["sign_bindings_id"]
        drop_binding(
            inst.sign_bindings, binding_id, "APIG.3018", "The signature key binding record does not exist"
        )
        return no_content()

    @svc.route("GET", BASE + "/sign-bindings/binded-signs", "ListSignatureKeysBindedToApiV2")
    def keys_of_api(call: Call, backend: ApigBackend) -> httpx.Response:
        inst = backend.instance(call)
        found = bound_to_api(
            inst,
            call.query,
            inst.sign_bindings,
            inst.signs,
            "sign_id",
            id_query="sign_id",
            name_query="sign_name",
        )
        views = [_binding_view(inst, binding, with_secret=True) for binding, _, _ in found]
        return page(call, "bindings", [v for v in views if v is not None], dict)

    @svc.route("GET", BASE + "/sign-bindings/binded-apis", "ListApisBindedToSignatureKeyV2")
    def apis_of_key(call: Call, backend: ApigBackend) -> httpx.Response:
        inst = backend.instance(call)
        q = call.query
        sign = inst.sign(require_query(q, "sign_id"))
        records = {r["publish_id"] for r in published_rows(inst, q)}
        rows = []
        for binding in inst.sign_bindings:
            if binding["sign_id"] == sign["id"] and binding["publish_id"] in records:
                view = _binding_view(inst, binding, with_secret=False)
                if view is not None:
                    rows.append(view)
        return page(call, "bindings", rows, dict)

    @svc.route("GET", BASE + "/sign-bindings/unbinded-apis", "ListApisNotBoundWithSignatureKeyV2")
    def apis_without_key(call: Call, backend: ApigBackend) -> httpx.Response:
        inst = backend.instance(call)
        q = call.query
        sign = inst.sign(require_query(q, "sign_id"))
        rows = []
        _, others = partition_published(inst, q, inst.sign_bindings, "sign_id", sign["id"])
        for record, binding in others:
            view = outline(inst, record)
            other = inst.signs.get(binding["sign_id"]) if binding else None
            view["signature_name"] = other["name"] if other else ""
            rows.append(view)
        return page(call, "apis", rows, dict)
