"""Swagger 2.0 documents with ``x-apigateway-*`` extensions <-> API definitions (seed 002 section 3.17).

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
from typing import Any

from devkit.emulator.core import huawei_error
from devkit.emulator.services.apig.state import new_id

__all__ = ["from_swagger", "parse_document", "to_swagger"]

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


# ---------------------------------------------------------------- export


def to_swagger(
    group: dict[str, Any], apis: list[dict[str, Any]], *, with_backend: bool, version: str
) -> dict[str, Any]:
    """The group's APIs as one document; ``with_backend`` adds each ``x-apigateway-backend``."""
    paths: dict[str, dict[str, Any]] = {}
    used_security: set[str] = set()
    for api in apis:
        operation = _operation(api)
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


def _operation(api: dict[str, Any]) -> dict[str, Any]:
    return {
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


def parse_document(data: bytes) -> dict[str, Any]:
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
            body = _register_body(document, op, group_id, path, method)
            _apply_backend(body, op.get("x-apigateway-backend"), mock_mode=mock_mode)
            out.append((path, method, body))
    return out


def _register_body(
    document: dict[str, Any], op: dict[str, Any], group_id: str, path: str, method: str
) -> dict[str, Any]:
    schemes = [s.upper() for s in op.get("schemes") or document.get("schemes") or ["https"]]
    security = {name for item in op.get("security") or [] for name in item}
    auth = "APP" if "apig-auth-app" in security else "IAM" if "apig-auth-iam" in security else "NONE"
    return {
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
