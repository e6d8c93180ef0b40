"""Helpers shared by the HTTP and batch pipelines: input decoding, validation messages, handler calls.

Kept apart from :mod:`shared.runtime` so each pipeline module stays small and the public module holds
only the API function authors use.
"""

from __future__ import annotations

import asyncio
import inspect
import json
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, TypeVar

from pydantic import BaseModel, ValidationError

from shared.idempotency import Idempotency

__all__ = [
    "BadInput",
    "Services",
    "call_handler",
    "decode_json",
    "field_errors",
    "to_json_data",
    "validate_model",
]

M = TypeVar("M", bound=BaseModel)


class BadInput(Exception):
    """Input that can never succeed: malformed JSON or a validation failure (answered with 400)."""

    def __init__(self, error: str, message: str, fields: list[dict[str, str]] | None = None) -> None:
        super().__init__(message)
        self.error = error
        self.message = message
        self.fields = fields or []

    def body(self) -> dict[str, Any]:
        out: dict[str, Any] = {"error": self.error, "message": self.message}
        if self.fields:
            out["fields"] = self.fields
        return out


@dataclass(frozen=True)
class Services:
    """What a pipeline needs from the app for one invocation (built lazily by :class:`FunctionApp`)."""

    idempotency: Callable[[], Idempotency]
    timeout_margin: float


def decode_json(body: bytes) -> Any:
    """Parse a JSON body; :class:`BadInput` (``malformed_json``) when it is not UTF-8 JSON.

    ``RecursionError`` too: a body nested deeper than the parser's stack (``[[[[...``, a few KB) is
    malformed input like any other - uncaught it failed a whole batch with a 500 for one bad record.
    """
    try:
        return json.loads(body)
    except (ValueError, UnicodeDecodeError, RecursionError):
        raise BadInput("malformed_json", "request body is not valid JSON") from None


def field_errors(exc: ValidationError) -> list[dict[str, str]]:
    """``[{"loc": "a.b.0", "msg": ...}]`` - pydantic's messages without the offending *input* values,
    which may be secrets."""
    out = []
    for err in exc.errors(include_url=False, include_input=False, include_context=False):
        loc = ".".join(str(part) for part in err.get("loc", ())) or "$"
        out.append({"loc": loc, "msg": str(err.get("msg", "invalid"))})
    return out


def validate_model(model: type[M], data: Any) -> M:
    """``model.model_validate(data)`` with failures as :class:`BadInput` (``validation``)."""
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        raise BadInput("validation", "request failed validation", field_errors(exc)) from None


def to_json_data(value: Any) -> Any:
    """A handler result as plain JSON data (pydantic models dumped in JSON mode)."""
    if isinstance(value, BaseModel):
        return value.model_dump(mode="json")
    if isinstance(value, (list, tuple)):
        return [to_json_data(v) for v in value]
    if isinstance(value, dict):
        return {str(k): to_json_data(v) for k, v in value.items()}
    return value


async def call_handler(fn: Callable[..., Any], *args: Any, timeout: float | None = None) -> Any:
    """Call a sync or async handler; with ``timeout``, stop it before the platform kills the function,
    so locks are released and a clean answer goes out (``TimeoutError``)."""

    async def run() -> Any:
        result = fn(*args)
        if inspect.isawaitable(result):
            result = await result
        return result

    if timeout is None:
        return await run()
    return await asyncio.wait_for(run(), timeout=max(0.001, timeout))
