"""Input for the pipelines: JSON decoding and model validation, with failures as :class:`BadInput` (400).

Validation messages carry field locations and pydantic's message, never the offending input value, which
may be a secret.
"""

from __future__ import annotations

import json
from typing import Any, TypeVar

from pydantic import BaseModel, ValidationError

__all__ = ["BadInput", "decode_json", "field_errors", "validate_model"]

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


def decode_json(body: bytes) -> Any:
    """Parse a JSON body; :class:`BadInput` (``malformed_json``) when it is not UTF-8 JSON.

    ``RecursionError`` counts too: a body nested deeper than the parser's stack (``[[[[...``, a few KB) is
    malformed input like any other, and must fail only its own record, not the whole batch.
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
