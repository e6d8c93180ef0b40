"""The gateway-neutral API definition the plan compares, and reading it from Swagger 2.0 / OpenAPI 3.0 (JSON).

A plan without false positives needs one canonical form for both sides of the diff: the desired document and
what a gateway answers. :class:`ApiSpec` holds only the fields a document can state (name, method, path,
match mode, authentication, backend, description, parameters); server-filled fields (ids, times, defaults
the gateway adds) have no place in it, so applying a plan and planning again compares equal values.

Documents use the APIG developer guide's extensions (the ones the gateway's own export writes):
``x-apigateway-backend`` ``{type: HTTP|MOCK, httpEndpoints: {address, scheme, method, path, timeout},
mockEndpoints: {result-content}}``, ``x-apigateway-match-mode``, ``x-apigateway-any-method`` and
``security`` naming ``apig-auth-app`` / ``apig-auth-iam`` (``apig-auth-key`` for Tencent's key pair).
OpenAPI 3 documents carry the same extensions; only parameter ``schema`` types differ.
"""

from __future__ import annotations

import re
from typing import Any

from pydantic import BaseModel, ConfigDict

__all__ = ["AUTH_SCHEMES", "ApiSpec", "DocumentError", "Param", "parse_document"]

AUTH_SCHEMES = {"apig-auth-app": "APP", "apig-auth-iam": "IAM", "apig-auth-key": "SECRET"}
_METHODS = ("get", "post", "put", "delete", "head", "patch", "options")
_NAME = re.compile(r"[A-Za-z\u4e00-\u9fa5][A-Za-z0-9_\u4e00-\u9fa5]{2,63}")
MAX_APIS = 1000
"""A document declares at most this many APIs (the per-group quota of a dedicated instance)."""


class DocumentError(ValueError):
    """The desired-state document is not a usable Swagger 2.0 / OpenAPI 3.0 document (field-level text)."""


class Param(BaseModel):
    """A front-end request parameter."""

    model_config = ConfigDict(frozen=True)

    name: str
    location: str  # PATH | QUERY | HEADER
    type: str = "STRING"  # STRING | NUMBER
    required: bool = False


class ApiSpec(BaseModel):
    """One API as the document states it; equal specs mean nothing to change."""

    model_config = ConfigDict(frozen=True)

    name: str
    method: str
    path: str
    match_mode: str = "NORMAL"
    auth: str = "NONE"  # NONE | APP | IAM | SECRET
    backend: str = "MOCK"  # MOCK | HTTP
    backend_url: str = ""  # scheme://host[:port] for HTTP
    backend_path: str = ""
    backend_method: str = ""
    timeout_ms: int = 5000
    mock_body: str = ""
    description: str = ""
    params: tuple[Param, ...] = ()

    @property
    def route(self) -> tuple[str, str, str]:
        """What the gateway refuses to have twice in one group/service: method, path and match mode."""
        return (self.method, self.path, self.match_mode)

    def changed_fields(self, other: ApiSpec) -> list[str]:
        """Names of the fields whose values differ (the plan's "what changes")."""
        mine, theirs = self.model_dump(), other.model_dump()
        return [k for k in mine if mine[k] != theirs[k]]


def parse_document(document: Any) -> list[ApiSpec]:
    """Every operation of a Swagger 2.0 or OpenAPI 3.0 document as an :class:`ApiSpec`, in order."""
    if not isinstance(document, dict):
        raise DocumentError("the document must be a JSON/YAML object")
    version = str(document.get("swagger") or document.get("openapi") or "")
    if not (version == "2.0" or version.startswith("3.0")):
        raise DocumentError("document: 'swagger: 2.0' or 'openapi: 3.0.x' is required")
    paths = document.get("paths")
    if not isinstance(paths, dict):
        raise DocumentError("paths: an object of path -> operations is required")
    specs: list[ApiSpec] = []
    for path, operations in paths.items():
        if not isinstance(path, str) or not path.startswith("/") or not isinstance(operations, dict):
            raise DocumentError(f"paths.{path}: a path starting with / mapping to operations is required")
        for key, op in operations.items():
            method = "ANY" if key == "x-apigateway-any-method" else key.upper()
            if key not in _METHODS and method != "ANY":
                continue
            if not isinstance(op, dict):
                raise DocumentError(f"paths.{path}.{key}: an operation object is required")
            specs.append(_operation(document, path, method, op, f"paths.{path}.{key}"))
    _check_unique(specs)
    return specs


def _operation(document: dict[str, Any], path: str, method: str, op: dict[str, Any], where: str) -> ApiSpec:
    name = op.get("operationId")
    if not isinstance(name, str) or not _NAME.fullmatch(name):
        raise DocumentError(f"{where}.operationId: 3-64 letters, digits or _, starting with a letter")
    security = {n for item in op.get("security") or document.get("security") or [] for n in item}
    auth = next((AUTH_SCHEMES[n] for n in sorted(security) if n in AUTH_SCHEMES), "NONE")
    fields: dict[str, Any] = {
        "name": name,
        "method": method,
        "path": path,
        "match_mode": str(op.get("x-apigateway-match-mode", "NORMAL")).upper(),
        "auth": auth,
        "description": str(op.get("description") or op.get("summary") or ""),
        "params": _params(path, op.get("parameters") or [], where),
    }
    fields.update(_backend(op.get("x-apigateway-backend"), method, path, where))
    try:
        return ApiSpec.model_validate(fields)
    except ValueError as exc:
        raise DocumentError(f"{where}: {exc}") from None


def _params(path: str, raw: Any, where: str) -> tuple[Param, ...]:
    if not isinstance(raw, list):
        raise DocumentError(f"{where}.parameters: a list is required")
    found: dict[tuple[str, str], Param] = {}
    for item in raw:
        if not isinstance(item, dict) or item.get("in") not in ("path", "query", "header"):
            continue
        kind = item.get("type") or (item.get("schema") or {}).get("type")
        param = Param(
            name=str(item.get("name", "")),
            location=str(item["in"]).upper(),
            type="NUMBER" if kind in ("number", "integer") else "STRING",
            required=bool(item.get("required")) or item["in"] == "path",
        )
        found[(param.name, param.location)] = param
    for var in re.findall(r"\{([^}+]+)\+?\}", path):
        found.setdefault((var, "PATH"), Param(name=var, location="PATH", required=True))
    return tuple(sorted(found.values(), key=lambda p: (p.location, p.name)))


def _backend(ext: Any, method: str, path: str, where: str) -> dict[str, Any]:
    if ext is None:
        return {"backend": "MOCK"}
    if not isinstance(ext, dict) or ext.get("type", "MOCK") not in ("HTTP", "MOCK"):
        raise DocumentError(f"{where}.x-apigateway-backend: type HTTP or MOCK is required")
    if ext.get("type", "MOCK") == "MOCK":
        content = (ext.get("mockEndpoints") or {}).get("result-content", "")
        return {"backend": "MOCK", "mock_body": str(content)}
    web = ext.get("httpEndpoints")
    if not isinstance(web, dict) or not isinstance(web.get("address"), str) or not web["address"]:
        raise DocumentError(f"{where}.x-apigateway-backend.httpEndpoints.address is required")
    timeout = web.get("timeout", 5000)
    if not isinstance(timeout, int) or not 1 <= timeout <= 60000:
        raise DocumentError(f"{where}.x-apigateway-backend.httpEndpoints.timeout: 1-60000 ms")
    scheme = str(web.get("scheme", "https")).lower()
    return {
        "backend": "HTTP",
        "backend_url": f"{scheme}://{web['address']}",
        "backend_path": str(web.get("path") or path),
        "backend_method": str(web.get("method") or method).upper(),
        "timeout_ms": timeout,
    }


def _check_unique(specs: list[ApiSpec]) -> None:
    if len(specs) > MAX_APIS:
        raise DocumentError(f"paths: at most {MAX_APIS} operations per document")
    names: set[str] = set()
    routes: set[tuple[str, str, str]] = set()
    for spec in specs:
        if spec.name in names:
            raise DocumentError(f"operationId {spec.name!r} is used twice")
        if spec.route in routes:
            raise DocumentError(f"{spec.method} {spec.path} ({spec.match_mode}) is declared twice")
        names.add(spec.name)
        routes.add(spec.route)
