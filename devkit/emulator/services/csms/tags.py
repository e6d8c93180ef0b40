"""CSMS's tag operations and ListResourceInstances (the tag-filtered secret search of seed 001)."""

from __future__ import annotations

from typing import Any

import httpx

from devkit.emulator.core import Call
from devkit.emulator.services.csms import query, rules
from devkit.emulator.services.csms.rules import no_content, ok, request_body
from devkit.emulator.services.csms.state import CsmsBackend


def list_project_tags(call: Call, backend: CsmsBackend) -> httpx.Response:
    return ok({"tags": backend.project_tags()})


def list_resource_instances(call: Call, backend: CsmsBackend) -> httpx.Response:
    if call.path_params["resource_instances"] != "resource_instances":
        raise rules.csms_error("CSMS.0003", "The request is invalid.")
    return ok(query.run(backend, query.parse(request_body(call))))


def create_tag(call: Call, backend: CsmsBackend) -> httpx.Response:
    secret = backend.by_id(call.path_params["secret_id"])
    key, value = _tag_item(request_body(call).get("tag"))
    backend.tag(secret, key, value)
    return no_content()


def list_tags(call: Call, backend: CsmsBackend) -> httpx.Response:
    secret = backend.by_id(call.path_params["secret_id"])
    return ok({"tags": secret.tag_list(), "sys_tags": []})


def delete_tag(call: Call, backend: CsmsBackend) -> httpx.Response:
    secret = backend.by_id(call.path_params["secret_id"])
    key = call.path_params["key"]
    if key not in secret.tags:
        rules.missing(f"tag {key}")
    backend.untag(secret, key)
    return no_content()


def batch_tags(call: Call, backend: CsmsBackend) -> httpx.Response:
    """All-or-nothing: every tag is checked before any is applied; deleting an absent tag is a no-op."""
    secret = backend.by_id(call.path_params["secret_id"])
    body = request_body(call)
    action = body.get("action")
    if action not in ("create", "delete"):
        rules.invalid("action must be create or delete")
    rules.check_sequence(body)
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
    return no_content()


def _tag_item(raw: Any) -> tuple[str, str]:
    if not isinstance(raw, dict):
        rules.bad_body("a tag must be an object with key and value")
    value = raw.get("value")
    return rules.check_tag_key(raw.get("key")), rules.check_tag_value("" if value is None else value)
