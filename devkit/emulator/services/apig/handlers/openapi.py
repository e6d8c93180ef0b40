"""OpenAPI export and import (seed 002 section 3.17): a group's APIs as a Swagger 2.0 document and back.

An API's identity on import is method + path + match mode (the document's ``APIG.3301`` message):
``api_mode=merge`` (default) reports a clash as a failure, ``override`` rewrites the existing API. The mapping
between documents and definitions is :mod:`devkit.emulator.services.apig.swagger`.
"""

from __future__ import annotations

import json
from email.parser import BytesParser
from email.policy import HTTP
from typing import Any

import httpx

from devkit.emulator.core import ApiError, Call, huawei_error
from devkit.emulator.services.apig.definition import build_definition, clash_error
from devkit.emulator.services.apig.handlers.groups import new_group
from devkit.emulator.services.apig.state import ApigBackend, Instance, new_id, now
from devkit.emulator.services.apig.swagger import from_swagger, parse_document, to_swagger
from devkit.emulator.services.apig.wire import body_of, check_enum, error_fields, missing, ok, require_id


def _exported(inst: Instance, group_id: str, body: dict[str, Any], define: str) -> list[dict[str, Any]]:
    """The APIs to export: drafts (``dev``) or what the environment serves, optionally only ``apis``."""
    env_id = body.get("env_id")
    if define != "dev":
        if not env_id:
            raise missing("env_id")
        inst.env(env_id)
    wanted = set(body.get("apis") or [])
    apis = []
    for api in inst.apis:
        if api["group_id"] != group_id or (wanted and api["id"] not in wanted):
            continue
        if define == "dev":
            apis.append(api)
            continue
        record = inst.publishes.get((api["id"], env_id or ""))
        if record is not None:
            apis.append(inst.definition(record))
    return apis


def _serialise(document: dict[str, Any], fmt: str) -> tuple[bytes, str]:
    if fmt == "json":
        return json.dumps(document, ensure_ascii=False, indent=2).encode(), "application/json"
    import yaml

    return yaml.safe_dump(document, allow_unicode=True, sort_keys=False).encode(), "application/x-yaml"


def export_apis(call: Call, backend: ApigBackend) -> httpx.Response:
    inst = backend.instance(call)
    body = body_of(call)
    group = inst.group(require_id(body, "group_id"))
    define = check_enum(body, "define", ("spec", "proxy", "all", "dev")) or "spec"
    fmt = check_enum(body, "type", ("json", "yaml", "yml")) or "json"
    apis = _exported(inst, group["id"], body, define)
    document = to_swagger(group, apis, with_backend=define != "spec", version=body.get("version") or now())
    content, media = _serialise(document, fmt)
    headers = {
        "Content-Type": media,
        "Content-Disposition": f'attachment; filename="{group["name"]}.{fmt}"',
        "X-Request-Id": new_id(),
    }
    return httpx.Response(200, headers=headers, content=content)


def _import_group(inst: Instance, form: dict[str, str], document: dict[str, Any]) -> dict[str, Any]:
    """A new group named by the document's title (``is_create_group``, the default) or the form's group."""
    if form.get("is_create_group", "true").lower() != "true":
        return inst.group(form.get("group_id") or "")
    info = document.get("info") or {}
    title = str(info.get("title") or "")
    if inst.groups.find(name=title) is not None:
        raise huawei_error(400, "APIG.3201", "The API group name already exists")
    return new_group(inst, title, str(info.get("description", "")))


def _import_one(inst: Instance, group_id: str, body: dict[str, Any], *, override: bool) -> tuple[str, str]:
    """Create or (with ``override``) rewrite one API; answers the action and the API id."""
    existing = inst.apis.find(
        group_id=group_id,
        req_uri=body["req_uri"],
        req_method=body["req_method"],
        match_mode=body.get("match_mode", "NORMAL"),
    )
    if existing is not None and not override:
        raise clash_error(existing["name"])
    api = build_definition(inst, body, existing)
    inst.apis.put(api)
    return ("update" if existing else "create"), api["id"]


def import_apis(call: Call, backend: ApigBackend) -> httpx.Response:
    inst = backend.instance(call)
    form, file_bytes = _parse_form(call)
    document = parse_document(file_bytes)
    override = form.get("api_mode", "merge") == "override"
    mock_mode = form.get("mock_mode", "false").lower() == "true"
    group = _import_group(inst, form, document)
    success, failure = [], []
    for path, method, body in from_swagger(document, group["id"], mock_mode=mock_mode):
        try:
            action, api_id = _import_one(inst, group["id"], body, override=override)
        except ApiError as exc:
            failure.append({"path": path, "method": method, **error_fields(exc)})
            continue
        success.append({"path": path, "method": method, "action": action, "id": api_id})
    swagger_id = new_id()
    return ok(
        {
            "group_id": group["id"],
            "success": success,
            "failure": failure,
            "ignore": [],
            "swagger": {"id": swagger_id, "result": "Success"},
            "swagger_id": swagger_id,
            "result": "Success",
        }
    )


def _parse_form(call: Call) -> tuple[dict[str, str], bytes]:
    content_type = call.header("content-type")
    if not content_type.startswith("multipart/form-data"):
        raise huawei_error(400, "APIG.2000", "Parameter error: the request must be multipart/form-data")
    message = BytesParser(policy=HTTP).parsebytes(
        b"Content-Type: " + content_type.encode() + b"\r\n\r\n" + call.body
    )
    form: dict[str, str] = {}
    file_bytes: bytes | None = None
    for part in message.iter_parts():
        name = part.get_param("name", header="content-disposition")
        raw = part.get_payload(decode=True)
        payload = raw if isinstance(raw, bytes) else b""
        if name == "file_name":
            file_bytes = payload
        elif isinstance(name, str):
            form[name] = payload.decode("utf-8", "replace")
    if file_bytes is None:
        raise missing("file_name")
    return form, file_bytes
