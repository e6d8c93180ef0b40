"""OpenAPI (Swagger 2.0 with ``x-apigateway-*`` extensions) export (3.17.1) and import (3.17.2).

Mapping used in both directions (the APIG developer guide's extension names):

* path + method (``x-apigateway-any-method`` for ``ANY``) -> ``req_uri`` / ``req_method``; ``operationId`` ->
  ``name``; ``description`` -> ``remark``; ``schemes`` -> ``req_protocol``; ``parameters`` -> ``req_params``;
* ``x-apigateway-request-type`` (``public``/``private``) -> ``type``; ``x-apigateway-match-mode``;
  ``x-apigateway-cors``; ``security`` naming ``apig-auth-app`` / ``apig-auth-iam`` -> ``auth_type``;
* ``x-apigateway-backend`` ``{type, httpEndpoints|functionEndpoints|mockEndpoints, parameters}`` -> backend.

An API's identity on import is method + path + match mode (the document's ``APIG.3301`` message):
``api_mode=merge`` (default) reports a clash as a failure, ``override`` rewrites the existing API.
"""

from __future__ import annotations

import json
from email.parser import BytesParser
from email.policy import HTTP
from typing import Any

import httpx

from devkit.emulator.core import ApiError, Call, Service, huawei_error
from devkit.emulator.services.apig_apis import build_definition
from devkit.emulator.services.apig_state import (
    BASE,
    ApigBackend,
    body_of,
    check_enum,
    missing,
    new_id,
    now,
    ok,
    require_id,
)

_SECURITY = {"APP": "apig-auth-app", "IAM": "apig-auth-iam"}
_DEFINITIONS = {
    "apig-auth-app": {
        "type": "apiKey",
        "name": "Authorization",
        "in": "header",
        "x-apigateway-auth-type": "AppSigv1",
    },
    "apig-auth-iam": {"type": "apiKey", "name": "unused", "in": "header", "x-apigateway-auth-type": "IAM"},
}


def register(svc: Service[ApigBackend]) -> None:
    @svc.route("POST", BASE + "/openapi/export", "ExportApiDefinitionsV2")
    def export(call: Call, backend: ApigBackend) -> httpx.Response:
        inst = backend.instance(call)
        body = body_of(call)
        group = inst.group(require_id(body, "group_id"))
        define = check_enum(body, "define", ("spec", "proxy", "all", "dev")) or "spec"
        fmt = check_enum(body, "type", ("json", "yaml", "yml")) or "json"
        env_id = body.get("env_id")
        if define != "dev":
            if not env_id:
                raise missing("env_id")
            inst.env(env_id)
        wanted = set(body.get("apis") or [])
        apis = []
        for api in inst.apis:
            if api["group_id"] != group["id"] or (wanted and api["id"] not in wanted):
                continue
            if define == "dev":
                apis.append(api)
                continue
            record = inst.publishes.get((api["id"], env_id or ""))
            if record is not None:
                apis.append(inst.versions[record["version_id"]]["_definition"])
        document = to_swagger(
            group, apis, with_backend=define != "spec", version=body.get("version") or now()
        )
        if fmt == "json":
            content, media = json.dumps(document, ensure_ascii=False, indent=2).encode(), "application/json"
        else:
            import yaml

            content, media = (
                yaml.safe_dump(document, allow_unicode=True, sort_keys=False).encode(),
                "application/x-yaml",
            )
        filename = f"{group['name']}.{fmt}"
        return httpx.Response(
            200,
            headers={
                "Content-Type": media,
                "Content-Disposition": f'attachment; filename="{filename}"',
                "X-Request-Id": new_id(),
            },
            content=content,
        )

    @svc.route("POST", BASE + "/openapi/import", "ImportApiDefinitionsV2")
    def import_apis(call: Call, backend: ApigBackend) -> httpx.Response:
        inst = backend.instance(call)
        form, file_bytes = _parse_form(call)
        document = _parse_document(file_bytes)
        override = form.get("api_mode", "merge") == "override"
        mock_mode = form.get("mock_mode", "false").lower() == "true"
        if form.get("is_create_group", "true").lower() == "true":
            title = str((document.get("info") or {}).get("title") or "")
            if inst.groups.find(name=title) is not None:
                raise huawei_error(400, "APIG.3201", "The API group name already exists")
            from devkit.emulator.services.apig_groups import new_group

            group = new_group(inst, title, str((document.get("info") or {}).get("description", "")))
        else:
            group = inst.group(form.get("group_id") or "")
        success, failure = [], []
        for path, method, body in from_swagger(document, group["id"], mock_mode=mock_mode):
            existing = inst.apis.find(
                group_id=group["id"],
                req_uri=path,
                req_method=body["req_method"],
                match_mode=body.get("match_mode", "NORMAL"),
            )
            try:
                if existing is not None and not override:
                    raise huawei_error(
                        400,
                        "APIG.3301",
                        "The API already exists, An API with the same combination of the method, path, and "
                        f"x-apigateway-match-mode fields already exists. API name: {existing['name']}",
                    )
                api = build_definition(inst, body, existing)
            except ApiError as exc:
                err = exc.response.json()
                failure.append(
                    {
                        "path": path,
                        "method": method,
                        "error_code": err["error_code"],
                        "error_msg": err["error_msg"],
                    }
                )
                continue
            inst.apis.put(api)
            success.append(
                {
                    "path": path,
                    "method": method,
                    "action": "update" if existing else "create",
                    "id": api["id"],
                }
            )
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


# ---------------------------------------------------------------- export


def to_swagger(
    group: dict[str, Any], apis: list[dict[str, Any]], *, with_backend: bool, version: str
) -> dict[str, Any]:
    paths: dict[str, dict[str, Any]] = {}
    used_security: set[str] = set()
    for api in apis:
        operation: dict[str, Any] = {
            "operationId": api["name"],
            "description": api.get("remark", ""),
            "schemes": ["http", "https"] if api["req_protocol"] == "BOTH" else [api["req_protocol"].lower()],
            "tags": api.get("tags", []),
            "parameters": [
                {
                    "name": p["name"],
                    "in": p["location"].lower(),
                    "type": p["type"].lower(),
                    "required": p.get("required") == 1,
                    **({"default": p["default_value"]} if p.get("default_value") else {}),
                    **({"description": p["remark"]} if p.get("remark") else {}),
                }
                for p in api.get("req_params", [])
            ],
            "responses": {
                "default": {
                    "description": "response example",
                    "x-apigateway-result-normal-sample": api.get("result_normal_sample", ""),
                }
            },
            "x-apigateway-request-type": "public" if api["type"] == 1 else "private",
            "x-apigateway-match-mode": api.get("match_mode", "NORMAL"),
            "x-apigateway-cors": bool(api.get("cors", False)),
        }
        security = _SECURITY.get(api["auth_type"])
        if security:
            operation["security"] = [{security: []}]
            used_security.add(security)
        if with_backend:
            operation["x-apigateway-backend"] = _backend_extension(api)
        method = "x-apigateway-any-method" if api["req_method"] == "ANY" else api["req_method"].lower()
        paths.setdefault(api["req_uri"], {})[method] = operation
    document: dict[str, Any] = {
        "swagger": "2.0",
        "info": {"title": group["name"], "description": group.get("remark", ""), "version": version},
        "host": group.get("sl_domain", ""),
        "paths": paths,
    }
    if used_security:
        document["securityDefinitions"] = {name: _DEFINITIONS[name] for name in sorted(used_security)}
    return document


def _backend_extension(api: dict[str, Any]) -> dict[str, Any]:
    kind = api["backend_type"]
    out: dict[str, Any] = {"type": kind}
    if kind == "HTTP":
        web = api["backend_api"]
        out["httpEndpoints"] = {
            "address": web.get("url_domain", ""),
            "scheme": web["req_protocol"].lower(),
            "method": web["req_method"],
            "path": web["req_uri"],
            "timeout": web["timeout"],
        }
    elif kind == "FUNCTION":
        func = api["func_info"]
        out["functionEndpoints"] = {
            "function-urn": func["function_urn"],
            "invocation-type": func["invocation_type"],
            "network-type": func["network_type"],
            "timeout": func["timeout"],
            "version": func.get("version", ""),
        }
    else:
        out["mockEndpoints"] = {"result-content": (api.get("mock_info") or {}).get("result_content", "")}
    if api.get("backend_params"):
        out["parameters"] = [
            {"name": p["name"], "value": p["value"], "in": p["location"].lower(), "origin": p["origin"]}
            for p in api["backend_params"]
        ]
    return out


# ---------------------------------------------------------------- import


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


def _parse_document(data: bytes) -> dict[str, Any]:
    if not data.strip():
        raise huawei_error(400, "APIG.3609", "The input file is empty.")
    try:
        document = json.loads(data)
    except ValueError:
        import yaml

        try:
            document = yaml.safe_load(data)
        except yaml.YAMLError:
            raise huawei_error(400, "APIG.3600", "JSON or YAML format error.") from None
    if not isinstance(document, dict):
        raise huawei_error(400, "APIG.3600", "JSON or YAML format error.")
    if str(document.get("swagger", "")) != "2.0":
        raise huawei_error(400, "APIG.3601", "The Swagger file version must be 2.0.")
    if not isinstance(document.get("paths"), dict) or not isinstance(document.get("info"), dict):
        raise huawei_error(400, "APIG.3602", "Syntax error in the Swagger file.")
    return document


def from_swagger(
    document: dict[str, Any], group_id: str, *, mock_mode: bool
) -> list[tuple[str, str, dict[str, Any]]]:
    """One register-API body per operation, in document order."""
    out = []
    for path, operations in document["paths"].items():
        if not isinstance(operations, dict):
            continue
        for key, op in operations.items():
            if not isinstance(op, dict):
                continue
            method = "ANY" if key == "x-apigateway-any-method" else key.upper()
            schemes = [s.upper() for s in op.get("schemes") or document.get("schemes") or ["https"]]
            security = {name for item in op.get("security") or [] for name in item}
            auth = "APP" if "apig-auth-app" in security else "IAM" if "apig-auth-iam" in security else "NONE"
            body: dict[str, Any] = {
                "group_id": group_id,
                "name": op.get("operationId") or f"api_{new_id()[:8]}",
                "type": 2 if op.get("x-apigateway-request-type") == "private" else 1,
                "req_protocol": "BOTH" if len(schemes) > 1 else schemes[0],
                "req_method": method,
                "req_uri": path,
                "auth_type": auth,
                "match_mode": op.get("x-apigateway-match-mode", "NORMAL"),
                "cors": bool(op.get("x-apigateway-cors", False)),
                "remark": op.get("description", ""),
                "tags": op.get("tags") or [],
                "req_params": [
                    {
                        "name": p.get("name"),
                        "location": str(p.get("in", "")).upper(),
                        "type": "NUMBER" if p.get("type") in ("number", "integer") else "STRING",
                        "required": 1 if p.get("required") else 2,
                        **({"default_value": str(p["default"])} if "default" in p else {}),
                    }
                    for p in op.get("parameters") or []
                    if isinstance(p, dict) and p.get("in") in ("path", "query", "header")
                ],
            }
            _apply_backend(body, op.get("x-apigateway-backend"), mock_mode=mock_mode)
            out.append((path, method, body))
    return out


def _apply_backend(body: dict[str, Any], ext: Any, *, mock_mode: bool) -> None:
    if mock_mode or not isinstance(ext, dict):
        body["backend_type"] = "MOCK"
        content = ext.get("mockEndpoints", {}).get("result-content", "") if isinstance(ext, dict) else ""
        body["mock_info"] = {"result_content": content}
        return
    kind = ext.get("type", "MOCK")
    body["backend_type"] = kind
    if kind == "HTTP":
        web = ext.get("httpEndpoints") or {}
        body["backend_api"] = {
            "url_domain": web.get("address"),
            "req_protocol": str(web.get("scheme", "https")).upper(),
            "req_method": web.get("method", body["req_method"]),
            "req_uri": web.get("path", body["req_uri"]),
            "timeout": web.get("timeout", 5000),
        }
    elif kind == "FUNCTION":
        func = ext.get("functionEndpoints") or {}
        body["func_info"] = {
            "function_urn": func.get("function-urn"),
            "invocation_type": func.get("invocation-type", "sync"),
            "network_type": func.get("network-type", "V1"),
            "timeout": func.get("timeout", 5000),
            **({"version": func["version"]} if func.get("version") else {}),
        }
    else:
        body["mock_info"] = {"result_content": (ext.get("mockEndpoints") or {}).get("result-content", "")}
    if ext.get("parameters"):
        body["backend_params"] = [
            {
                "name": p.get("name"),
                "value": p.get("value"),
                "location": str(p.get("in", "")).upper(),
                "origin": p.get("origin"),
            }
            for p in ext["parameters"]
            if isinstance(p, dict)
        ]
