"""CSMS input rules and answers, apart from the state so the handlers and the backend share them.

Error codes come from the DEW API reference's CSMS error table (``api-dew/ErrorCode.html``): every CSMS
client error there is HTTP 400 in the wrapped shape ``{"error": {"error_code", "error_msg"}}``:

- ``CSMS.0002`` a parameter value is invalid, ``CSMS.0004`` the body is not the expected JSON shape,
- ``CSMS.0005`` the resource (version, stage, event, tag, secret id) does not exist,
- ``CSMS.0103`` the secret is pending deletion and cannot be used (value reads, new versions, rotation),
- ``CSMS.0105`` a built-in stage cannot be deleted, ``CSMS.0106`` the secret name does not exist,
- ``CSMS.0107`` the secret is already scheduled for deletion, ``CSMS.0108`` it is not,
- ``CSMS.0202`` too many secrets, ``CSMS.0203`` too many version stages.

The table has no row for a duplicate secret or event name, so those answer ``CSMS.0002`` (invalid parameter)
rather than an invented code.
"""

from __future__ import annotations

import base64
import binascii
import re
from collections.abc import Callable
from typing import Any, NoReturn

import httpx

from devkit.emulator.core import ApiError, Call, huawei_error, json_response

MAX_NUMBER_DIGITS = 18
"""Longer numeric strings are refused as invalid rather than converted (any real page fits in 18)."""

NAME_RE = re.compile(r"^[a-zA-Z0-9_-]{1,64}$")
"""Secret, event and stage names (SDK model docs: ``^[a-zA-Z0-9_-]{1,64}$``)."""

TAG_KEY_MAX = 36
TAG_VALUE_MAX = 43
"""Seed 001 (ListResourceInstances): tag keys up to 36 and values up to 43 unicode characters."""

TAG_FORBIDDEN = frozenset("*<>\\=") | frozenset(chr(c) for c in range(32))
"""Seed 001: no ASCII 0-31, ``*``, ``<``, ``>``, ``\\`` or ``=`` in a tag key or value."""

MAX_TAGS_PER_SECRET = 20
MAX_STAGES_PER_SECRET = 12
MAX_STAGES_PER_VERSION = 12
"""``version_stages`` of one new version: 1 to 12 labels (SDK model docs)."""
MAX_SECRET_VALUE_BYTES = 32 * 1024
MAX_DESCRIPTION_BYTES = 2048
SYSCURRENT = "SYSCURRENT"
SYSPREVIOUS = "SYSPREVIOUS"
BUILTIN_STAGES = frozenset({SYSCURRENT, SYSPREVIOUS})
COMMON = "COMMON"
SECRET_TYPES = (COMMON, "RDS-FG", "GaussDB-FG")
EVENT_TYPES = frozenset(
    {
        "SECRET_VERSION_CREATED",
        "SECRET_VERSION_EXPIRED",
        "SECRET_ROTATED",
        "SECRET_DELETED",
        "SECRET_ROTATED_FAILED",
    }
)
EVENT_STATES = ("ENABLED", "DISABLED")
_PERIOD_RE = re.compile(r"^([1-9][0-9]*)([dhms])$")
_PERIOD_UNIT_SECONDS = {"d": 86400, "h": 3600, "m": 60, "s": 1}
MIN_ROTATION_SECONDS = 6 * 3600
MAX_ROTATION_SECONDS = 8760 * 3600


def csms_error(code: str, msg: str) -> ApiError:
    return huawei_error(400, code, msg, wrapped=True)


def invalid(msg: str) -> NoReturn:
    raise csms_error("CSMS.0002", msg)


def bad_body(msg: str) -> NoReturn:
    raise csms_error("CSMS.0004", msg)


def missing(what: str) -> NoReturn:
    raise csms_error("CSMS.0005", f"The resource does not exist: {what}")


def request_body(call: Call) -> dict[str, Any]:
    """The request's JSON object; malformed JSON or anything but an object is a body-format error."""
    data = call.json(error=lambda msg: csms_error("CSMS.0004", msg))
    if not isinstance(data, dict):
        bad_body("request body must be a JSON object")
    return data


def ok(body: Any) -> httpx.Response:
    return json_response(200, body)


def no_content() -> httpx.Response:
    return json_response(204, None)


def _optional(body: dict[str, Any], field: str, valid: Callable[[Any], bool], kind: str) -> Any:
    """The field's value, ``None`` when absent; a value of the wrong JSON type is a body-format error."""
    value = body.get(field)
    if value is not None and not valid(value):
        bad_body(f"{field} must be {kind}")
    return value


def opt_str(body: dict[str, Any], field: str) -> str | None:
    value: str | None = _optional(body, field, lambda v: isinstance(v, str), "a string")
    return value


def opt_bool(body: dict[str, Any], field: str) -> bool | None:
    value: bool | None = _optional(body, field, lambda v: isinstance(v, bool), "a boolean")
    return value


def opt_int(body: dict[str, Any], field: str) -> int | None:
    value: int | None = _optional(
        body, field, lambda v: isinstance(v, int) and not isinstance(v, bool), "an integer"
    )
    return value


def str_list(body: dict[str, Any], field: str) -> list[str] | None:
    value = body.get(field)
    if value is None:
        return None
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        bad_body(f"{field} must be an array of strings")
    return list(value)


def check_name(value: Any, field: str = "name") -> str:
    if not isinstance(value, str) or not NAME_RE.match(value):
        invalid(f"{field} must match ^[a-zA-Z0-9_-]{{1,64}}$")
    return value


def check_tag_key(key: Any) -> str:
    if not isinstance(key, str) or not key:
        invalid("tag key must be a non-empty string")
    return _tag_text(key, "tag key", TAG_KEY_MAX)


def check_tag_value(value: Any) -> str:
    if not isinstance(value, str):
        invalid("tag value must be a string")
    return _tag_text(value, "tag value", TAG_VALUE_MAX)


def _tag_text(text: str, what: str, limit: int) -> str:
    """The rules tag keys and values share: a length limit and none of the forbidden characters."""
    if len(text) > limit:
        invalid(f"{what} is longer than {limit} characters")
    if any(ch in TAG_FORBIDDEN for ch in text):
        invalid(f"{what} contains a forbidden character")
    return text


def check_stage(value: Any) -> str:
    return check_name(value, "stage name")


def check_description(value: str | None) -> str | None:
    if value is not None and len(value.encode()) > MAX_DESCRIPTION_BYTES:
        invalid(f"description is longer than {MAX_DESCRIPTION_BYTES} bytes")
    return value


def secret_value(body: dict[str, Any]) -> tuple[str | None, str | None]:
    """Exactly one of ``secret_string``/``secret_binary`` (base64), at most 32 KB: ``(string, binary)``."""
    text = opt_str(body, "secret_string")
    binary = opt_str(body, "secret_binary")
    if (text is None) == (binary is None):
        invalid("exactly one of secret_string and secret_binary must be set")
    if text is not None and len(text.encode()) > MAX_SECRET_VALUE_BYTES:
        invalid("secret_string is larger than 32 KB")
    if binary is not None:
        try:
            raw = base64.b64decode(binary, validate=True)
        except (binascii.Error, ValueError):
            invalid("secret_binary must be base64")
        if len(raw) > MAX_SECRET_VALUE_BYTES:
            invalid("secret_binary is larger than 32 KB")
    return text, binary


SEQUENCE_BYTES = 36


def check_sequence(body: dict[str, Any]) -> None:
    """The optional request serial number: a 36-byte string (seed 001)."""
    sequence = body.get("sequence")
    if sequence is not None and (not isinstance(sequence, str) or len(sequence.encode()) != SEQUENCE_BYTES):
        invalid(f"sequence must be a {SEQUENCE_BYTES}-byte string")


def rotation_period_seconds(period: str) -> int:
    """``Integer[unit]`` with unit d/h/m/s, between 6 hours and 8760 hours (SDK model docs)."""
    m = _PERIOD_RE.match(period)
    if not m:
        invalid("rotation_period must look like 30d, 24h, 360m or 21600s")
    seconds = int(m.group(1)) * _PERIOD_UNIT_SECONDS[m.group(2)]
    if not MIN_ROTATION_SECONDS <= seconds <= MAX_ROTATION_SECONDS:
        invalid("rotation_period must be between 6 hours and 8760 hours")
    return seconds


def is_number(text: str) -> bool:
    """ASCII digits of sane length: ``"²".isdigit()`` is true yet ``int("²")`` fails, and ``int()`` refuses
    strings longer than 4300 digits; both would escape as a 500 instead of the documented 400."""
    return text.isascii() and text.isdigit() and len(text) <= MAX_NUMBER_DIGITS


def page_limit(raw: Any, default: int) -> int:
    """A positive page size from a query string (``limit``), the documented default when absent."""
    if raw is None or raw == "":
        return default
    text = str(raw)
    if not is_number(text) or int(text) < 1:
        invalid("limit must be a positive integer")
    return int(text)
