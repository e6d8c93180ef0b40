"""Typed access to a Tencent cloud-API request's parameters, failing with Tencent's own error codes.

A v3 call carries its parameters as JSON (ints are ints), a v1 call as flat form fields such as
``Filters.0.Values.1=demo`` (everything is a string). :func:`unflatten_v1` turns the second shape into the
first, and :class:`Params` then coerces leniently in both cases - the real API accepts ``"20"`` for an Int64
in v1 - while rejecting what the real API rejects: missing required parameters (``MissingParameter``), wrong
types (``InvalidParameter.FormatError``), values outside an enum (``InvalidParameterValue.NotInOptions``) or
a range (``InvalidParameterValue.RangeExceeded``) and filter names an action does not support
(``InvalidParameterValue.InvalidFilterNotSupportedName``).
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from typing import Any

from devkit.emulator.core import ApiError, tencent_error

__all__ = ["ENVIRONMENTS", "Params", "unflatten_v1"]

ENVIRONMENTS = ("test", "prepub", "release")
"""The only three publish targets (``InvalidParameterValue.InvalidEnv`` lists exactly these)."""

DEFAULT_LIMIT = 20
MAX_LIMIT = 100


_INT64_MIN, _INT64_MAX = -(2**63), 2**63 - 1


def _missing(name: str) -> ApiError:
    return tencent_error("MissingParameter", f"The request is missing a required parameter `{name}`.")


def _format(name: str, expected: str) -> ApiError:
    return tencent_error(
        "InvalidParameter.FormatError", f"The value of parameter `{name}` must be {expected}."
    )


class Params:
    """The parameters of one action call; every getter validates and raises the documented error."""

    def __init__(self, data: Mapping[str, Any]) -> None:
        self.data = data

    def __contains__(self, name: str) -> bool:
        return self.data.get(name) is not None

    # ------------------------------------------------------------------------------------ scalars

    def opt_text(self, name: str, *, max_len: int | None = None) -> str | None:
        value = self.data.get(name)
        if value is None:
            return None
        if not isinstance(value, str):
            raise _format(name, "a string")
        if max_len is not None and len(value) > max_len:
            raise tencent_error(
                "InvalidParameterValue.LengthExceeded", f"`{name}` is longer than {max_len} characters."
            )
        return value

    def text(self, name: str, *, max_len: int | None = None) -> str:
        """A required, non-empty string."""
        value = self.opt_text(name, max_len=max_len)
        if not value:
            raise _missing(name)
        return value

    def integer(
        self, name: str, *, default: int, minimum: int | None = None, maximum: int | None = None
    ) -> int:
        raw = self.data.get(name)
        if raw is None:
            return default
        if isinstance(raw, bool):
            raise _format(name, "an integer")
        if isinstance(raw, int):
            value = raw
        elif isinstance(raw, str) and raw.lstrip("-").isdigit():
            value = int(raw)
        else:
            raise _format(name, "an integer")
        if not _INT64_MIN <= value <= _INT64_MAX:
            # Every integer parameter of the API is at most Int64: a wider number cannot be decoded, so
            # it is a format error (and must never reach slicing code, which crashes on such values).
            raise _format(name, "a 64-bit integer")
        if (minimum is not None and value < minimum) or (maximum is not None and value > maximum):
            raise tencent_error(
                "InvalidParameterValue.RangeExceeded",
                f"The value of `{name}` is out of range [{minimum}, {maximum}].",
            )
        return value

    def required_integer(self, name: str, *, minimum: int | None = None, maximum: int | None = None) -> int:
        if self.data.get(name) is None:
            raise _missing(name)
        return self.integer(name, default=0, minimum=minimum, maximum=maximum)

    def boolean(self, name: str, *, default: bool | None = None) -> bool | None:
        raw = self.data.get(name)
        if raw is None:
            return default
        if isinstance(raw, bool):
            return raw
        if isinstance(raw, str) and raw.lower() in ("true", "false"):
            return raw.lower() == "true"
        raise _format(name, "a boolean")

    def enum(
        self,
        name: str,
        options: Collection[str],
        *,
        default: str | None = None,
        code: str = "InvalidParameterValue.NotInOptions",
    ) -> str:
        """A value from ``options``; absent means ``default`` (absent without a default is missing)."""
        value = self.opt_text(name)
        if value is None or value == "":
            if default is None:
                raise _missing(name)
            return default
        if value not in options:
            raise tencent_error(code, f"The value `{value}` of `{name}` is not one of {', '.join(options)}.")
        return value

    def environment(self, name: str) -> str:
        return self.enum(name, ENVIRONMENTS, code="InvalidParameterValue.InvalidEnv")

    # ------------------------------------------------------------------------------------ containers

    def str_list(self, name: str, *, required: bool = False) -> list[str]:
        raw = self.data.get(name)
        if raw is None:
            if required:
                raise _missing(name)
            return []
        if not isinstance(raw, list) or not all(isinstance(v, str) for v in raw):
            raise _format(name, "an array of strings")
        if required and not raw:
            raise _missing(name)
        return list(raw)

    def obj(self, name: str, *, required: bool = False) -> dict[str, Any]:
        raw = self.data.get(name)
        if raw is None:
            if required:
                raise _missing(name)
            return {}
        if not isinstance(raw, dict):
            raise _format(name, "an object")
        return dict(raw)

    def obj_list(self, name: str) -> list[dict[str, Any]]:
        raw = self.data.get(name)
        if raw is None:
            return []
        if not isinstance(raw, list) or not all(isinstance(v, dict) for v in raw):
            raise _format(name, "an array of objects")
        return [dict(v) for v in raw]

    def paging(self) -> tuple[int, int]:
        """``(Offset, Limit)`` with the documented defaults 0 and 20 and the maximum ``Limit`` of 100."""
        offset = self.integer("Offset", default=0, minimum=0)
        limit = self.integer("Limit", default=DEFAULT_LIMIT, minimum=1, maximum=MAX_LIMIT)
        return offset, limit

    def filters(self, supported: Collection[str]) -> dict[str, list[str]]:
        """``Filters`` as ``{Name: Values}``; several filters AND, several values of one filter OR."""
        out: dict[str, list[str]] = {}
        for item in self.obj_list("Filters"):
            name = item.get("Name")
            values = item.get("Values")
            if not isinstance(name, str) or not name:
                raise _missing("Filters.Name")
            if name not in supported:
                raise tencent_error(
                    "InvalidParameterValue.InvalidFilterNotSupportedName",
                    f"The filter `{name}` is not supported; supported: {', '.join(sorted(supported))}.",
                )
            if not isinstance(values, list) or not all(isinstance(v, str) for v in values):
                raise _format(f"Filters.{name}.Values", "an array of strings")
            out.setdefault(name, []).extend(values)
        return out


def _listify(node: Any) -> Any:
    """Turn ``{"0": a, "1": b}`` dicts (v1 array notation) into lists, recursively."""
    if not isinstance(node, dict):
        return node
    converted = {k: _listify(v) for k, v in node.items()}
    if converted and all(k.isdigit() for k in converted):
        return [converted[k] for k in sorted(converted, key=int)]
    return converted


def unflatten_v1(flat: Mapping[str, str]) -> dict[str, Any]:
    """``{"Filters.0.Name": "ServiceName", "NetTypes.0": "OUTER"}`` -> nested v3-shaped parameters."""
    root: dict[str, Any] = {}
    for key, value in flat.items():
        parts = key.split(".")
        node = root
        for part in parts[:-1]:
            child = node.get(part)
            if not isinstance(child, dict):
                child = {}
                node[part] = child
            node = child
        node[parts[-1]] = value
    result = _listify(root)
    return result if isinstance(result, dict) else {}
