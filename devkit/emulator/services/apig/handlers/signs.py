"""Signature keys and their bindings to publish records (seed 002 sections 3.6 and 3.7).

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

from devkit.emulator.core import Call
from devkit.emulator.services.apig import bindings
from devkit.emulator.services.apig.bindings import SIGN
from devkit.emulator.services.apig.state import ApigBackend, Instance, new_id, now
from devkit.emulator.services.apig.wire import (
    NAME_3_64,
    bad_value,
    body_of,
    check_enum,
    check_pattern,
    check_unique_name,
    created,
    listed,
    no_content,
    ok,
    page,
    quota_check,
    require_query,
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
    return {**sign, "bind_num": SIGN.bind_num(inst, sign["id"]), "ldapi_bind_num": 0}


def _binding_view(inst: Instance, binding: dict[str, Any], *, with_secret: bool) -> dict[str, Any] | None:
    record = inst.publish_by_id(binding["publish_id"])
    sign = inst.signs.get(binding["sign_id"])
    if record is None or sign is None:
        return None
    view = {
        "id": binding["id"],
        "binding_time": binding["binding_time"],
        "sign_id": sign["id"],
        "sign_name": sign["name"],
        **bindings.binding_fields(inst, record),
    }
    if with_secret:
        view.update({k: sign[k] for k in ("sign_key", "sign_secret", "sign_type")})
    return view


def _binding_views(inst: Instance, rows: list[dict[str, Any]], *, with_secret: bool) -> list[dict[str, Any]]:
    views = [_binding_view(inst, binding, with_secret=with_secret) for binding in rows]
    return [v for v in views if v is not None]


def create_sign(call: Call, backend: ApigBackend) -> httpx.Response:
    inst = backend.instance(call)
    fields = _validate(inst, body_of(call), None)
    quota_check(inst, "SIGN_NUM_LIMIT", len(inst.signs), "APIG.3105", "signature keys")
    stamp = now()
    return created(inst.signs.put({**fields, "id": new_id(), "create_time": stamp, "update_time": stamp}))


def update_sign(call: Call, backend: ApigBackend) -> httpx.Response:
    inst = backend.instance(call)
    sign = inst.sign(call.path_params["sign_id"])
    sign.pop("sign_algorithm", None)
    sign.update(_validate(inst, body_of(call), sign))
    sign["update_time"] = now()
    return ok(sign)


def delete_sign(call: Call, backend: ApigBackend) -> httpx.Response:
    inst = backend.instance(call)
    sign = inst.sign(call.path_params["sign_id"])
    inst.delete(inst.signs, sign["id"], (inst.sign_bindings, "sign_id"))
    return no_content()


def list_signs(call: Call, backend: ApigBackend) -> httpx.Response:
    inst = backend.instance(call)
    return page(call, "signs", listed(call, inst.signs), lambda s: _sign_view(inst, s))


def bind_sign(call: Call, backend: ApigBackend) -> httpx.Response:
    inst = backend.instance(call)
    pairs = bindings.bind(inst, SIGN, body_of(call))
    return created({"bindings": _binding_views(inst, [b for b, _ in pairs], with_secret=True)})


def unbind_sign(call: Call, backend: ApigBackend) -> httpx.Response:
    bindings.unbind(backend.instance(call), SIGN, call.path_params["sign_bindings_id"])
    return no_content()


def signs_of_api(call: Call, backend: ApigBackend) -> httpx.Response:
    inst = backend.instance(call)
    found = bindings.bound_to_api(inst, call.query, SIGN, id_query="sign_id", name_query="sign_name")
    return page(call, "bindings", _binding_views(inst, [b for b, _, _ in found], with_secret=True), dict)


def apis_of_sign(call: Call, backend: ApigBackend) -> httpx.Response:
    inst = backend.instance(call)
    sign = inst.sign(require_query(call.query, "sign_id"))
    records = {r["publish_id"] for r in bindings.published_rows(inst, call.query)}
    rows = [b for b in inst.sign_bindings if b["sign_id"] == sign["id"] and b["publish_id"] in records]
    return page(call, "bindings", _binding_views(inst, rows, with_secret=False), dict)


def apis_without_sign(call: Call, backend: ApigBackend) -> httpx.Response:
    inst = backend.instance(call)
    _, others = bindings.partition_published(inst, call.query, SIGN, "sign_id")
    rows = []
    for record, binding in others:
        other = inst.signs.get(binding["sign_id"]) if binding else None
        rows.append({**bindings.outline(inst, record), "signature_name": other["name"] if other else ""})
    return page(call, "apis", rows, dict)
