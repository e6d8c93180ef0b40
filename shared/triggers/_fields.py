"""Small, strict field readers shared by the envelope parsers.

Why strict: the envelopes arrive from platforms (or, for ``opsfn serve``, from anyone on the network), and a
wrong type must become an :class:`EventParseError` naming the field - never a ``KeyError``/``TypeError``
traceback. Error messages name fields, never values, because values may carry secrets.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
from collections.abc import Mapping
from datetime import datetime, timezone
from typing import Any

from shared.triggers.models import EventParseError, Platform, TriggerEvent

__all__ = [
    "as_dict",
    "as_list",
    "decode_body",
    "epoch_ms",
    "epoch_to_datetime",
    "header_map",
    "json_bytes",
    "opt_str",
    "parse_time",
    "short_hash",
    "str_map",
    "text_bytes",
]


def as_dict(value: Any, name: str) -> dict[str, Any]:
    """``value`` if it is a JSON object, else :class:`EventParseError` naming ``name``."""
    if not isinstance(value, Mapping):
        raise EventParseError(f"{name} must be an object")
    return dict(value)


def as_list(value: Any, name: str) -> list[Any]:
    """``value`` if it is a JSON array, else :class:`EventParseError`."""
    if not isinstance(value, list):
        raise EventParseError(f"{name} must be an array")
    return value


def opt_str(value: Any, name: str, default: str = "") -> str:
    """A string field that may be absent/null; numbers are accepted and stringified (ids, owners)."""
    if value is None:
        return default
    if isinstance(value, bool):
        raise EventParseError(f"{name} must be a string")
    if isinstance(value, (str, int, float)):
        return str(value)
    raise EventParseError(f"{name} must be a string")


def _scalar(value: Any, name: str) -> str:
    if isinstance(value, list):
        # Repeated keys (SCF query strings, multi-value headers) are joined the way HTTP joins them.
        return ",".join(_scalar(item, name) for item in value)
    if isinstance(value, bool):
        return "true" if value else "false"
    return opt_str(value, name)


def str_map(value: Any, name: str, *, lower_keys: bool = False) -> dict[str, str]:
    """A ``{str: scalar}`` object as ``dict[str, str]``; null/absent gives ``{}``."""
    if value is None:
        return {}
    raw = as_dict(value, name)
    out: dict[str, str] = {}
    for key, item in raw.items():
        if item is None:
            continue
        out[key.lower() if lower_keys else key] = _scalar(item, f"{name}.{key}")
    return out


def header_map(value: Any, name: str = "headers") -> dict[str, str]:
    """Headers with lower-cased names: FunctionGraph lower-cases them, SCF samples mix cases."""
    return str_map(value, name, lower_keys=True)


def decode_body(value: Any, is_base64: bool, name: str = "body") -> bytes:
    """The raw body bytes; base64 is decoded strictly, so a corrupted body is a 400, not garbage."""
    if value is None:
        return b""
    if isinstance(value, (dict, list)):
        # Some gateways hand over an already-parsed JSON body; keep the bytes a sender would have sent.
        return json_bytes(value)
    if not isinstance(value, str):
        raise EventParseError(f"{name} must be a string")
    if not is_base64:
        return value.encode("utf-8", "surrogatepass")
    try:
        return base64.b64decode(value, validate=True)
    except (binascii.Error, ValueError):
        raise EventParseError(f"{name} is not valid base64") from None


def json_bytes(value: Any) -> bytes:
    """Canonical JSON bytes (sorted keys, compact) used for bodies built from parsed objects."""
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()


def text_bytes(value: Any, name: str) -> bytes:
    """A message body that is text or already-parsed JSON: the text's UTF-8 bytes, or canonical JSON."""
    if isinstance(value, (dict, list)):
        return json_bytes(value)
    return opt_str(value, name).encode("utf-8", "surrogatepass")


def short_hash(data: bytes) -> str:
    """A 16-hex-digit content hash: stable ids for messages that have no id of their own."""
    return hashlib.sha256(data).hexdigest()[:16]


def epoch_ms(value: Any, name: str) -> int | None:
    """Epoch seconds or milliseconds → milliseconds.

    CTS samples disagree: the older OTC sample has seconds (``1529996047``), the live capture milliseconds
    (``1765788999507``). Anything below 10^11 is taken as seconds (10^11 ms is 1973, 10^11 s is year 5138),
    so both documented forms map to the same instant.
    """
    if value is None or value == "":
        return None
    if isinstance(value, bool) or not isinstance(value, (int, float, str)):
        raise EventParseError(f"{name} must be a number")
    try:
        number = float(value)
    except ValueError:
        raise EventParseError(f"{name} must be a number") from None
    if number != number or number in (float("inf"), float("-inf")) or number < 0:
        raise EventParseError(f"{name} must be a non-negative number")
    if number < 1e11:
        number *= 1000
    if number > 1e15:
        raise EventParseError(f"{name} is out of range")
    return int(number)


def epoch_to_datetime(ms: int | None) -> datetime | None:
    """Milliseconds since the epoch as an aware UTC datetime."""
    if ms is None:
        return None
    return datetime.fromtimestamp(ms / 1000, tz=timezone.utc)


def parse_time(value: Any) -> datetime | None:
    """An RFC 3339 / ISO 8601 timestamp, or ``None`` when absent or unparseable.

    Timestamps are informational (logging, ids are built from the raw string), so an odd format is not a
    reason to reject an otherwise valid event.
    """
    if not isinstance(value, str) or not value:
        return None
    text = value.strip()
    if text.endswith(("Z", "z")):
        text = text[:-1] + "+00:00"
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        return None
    return moment if moment.tzinfo else moment.replace(tzinfo=timezone.utc)


def timer_event(
    platform: Platform, source: str, event: dict[str, Any], body: bytes, name: str, when: str
) -> TriggerEvent:
    """The ``timer`` event both clouds' timer envelopes become: the trigger name and fire time identify
    the tick, so a redelivered tick has the same event id."""
    return TriggerEvent(
        kind="timer",
        platform=platform,
        source=source,
        event_id=f"{name}@{when}" if (name or when) else "",
        time=parse_time(when),
        trigger_name=name,
        body=body,
        raw=event,
    )
