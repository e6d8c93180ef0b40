"""Smoke checks: a declared request per API, called through the gateway after publishing, and its verdict.

A check passes when the status matches and every ``json`` entry (a dotted path into the JSON answer) equals
the expected value. The verdict is a short text naming the API, the environment and what differed; response
bodies are never quoted in full (they may hold data the answer should not carry).
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

import httpx
from pydantic import BaseModel, Field

from functions.api_publish.spec import ApiSpec

__all__ = ["SmokeCheck", "call_gateway", "judge", "request_line"]


class SmokeCheck(BaseModel):
    api: str = Field(min_length=1, max_length=64)
    """The API's name (``operationId``)."""
    method: str | None = None
    path: str | None = None
    """Defaults to the API's own path; required when that path has ``{parameters}``."""
    query: dict[str, str] = Field(default_factory=dict)
    headers: dict[str, str] = Field(default_factory=dict)
    body: str | None = None
    status: int = Field(default=200, ge=100, le=599)
    json_fields: dict[str, Any] = Field(default_factory=dict, alias="json")


def request_line(check: SmokeCheck, spec: ApiSpec) -> tuple[str, str]:
    """The method and path the check calls (``ANY`` APIs are called with GET)."""
    method = (check.method or ("GET" if spec.method == "ANY" else spec.method)).upper()
    path = check.path or spec.path
    if "{" in path:
        raise ValueError(f"smoke check for {spec.name!r}: give a concrete path for {spec.path}")
    return method, path


def judge(check: SmokeCheck, env: str, status: int, text: str) -> str | None:
    """``None`` when the answer passes, else why it does not."""
    where = f"{check.api} in {env}"
    if status != check.status:
        return f"{where}: status {status}, expected {check.status}"
    if not check.json_fields:
        return None
    try:
        data: Any = json.loads(text)
    except ValueError:
        return f"{where}: the answer is not JSON"
    for dotted, expected in check.json_fields.items():
        value: Any = data
        for part in dotted.split("."):
            value = value.get(part) if isinstance(value, Mapping) else None
        if value != expected:
            return f"{where}: {dotted} is {value!r}, expected {expected!r}"
    return None


async def call_gateway(
    client: httpx.AsyncClient,
    check: SmokeCheck,
    spec: ApiSpec,
    headers: Mapping[str, str],
    auth: httpx.Auth | None = None,
) -> tuple[int, str]:
    """Send the check's request; a transport failure counts as status 0 (a failed check)."""
    method, path = request_line(check, spec)
    try:
        request = client.build_request(
            method,
            path,
            params=check.query,
            headers={**check.headers, **headers},
            content=check.body.encode() if check.body is not None else None,
        )
        response = await client.send(request, auth=auth) if auth is not None else await client.send(request)
    except httpx.HTTPError:
        return 0, ""
    return response.status_code, response.text
