"""Structured JSON logging with secret redaction.

One JSON object per line (FunctionGraph and SCF ship stdout lines to their log services as-is): ISO UTC
``timestamp``, ``level``, ``event``, and the context bound for the current invocation (``function``,
``request_id``, ``trigger``, ``event_id``) through :func:`bind_context`.

Redaction happens twice, because secrets arrive two ways:

* by **key**: a value under a secret-looking key (``*secret*``, ``*password*``, ``*token*``,
  ``authorization``, ``sk``, ``private_key`` ...) is masked at any depth of dicts, lists and tuples - but
  not keys naming or identifying a secret (``secret_name``, ``SecretId``, ``token_expires_at``...),
  which operators need to read;
* by **value**: any string registered with :func:`register_secret` (keys loaded at run time, webhook
  secrets, CSMS secret values) is masked wherever it appears - inside messages, exception tracebacks,
  nested structures, and finally in the rendered line itself, which catches objects rendered via
  ``repr``.

structlog is imported lazily, when logging is first configured, to keep it off the import path of modules
that only define things.
"""

from __future__ import annotations

import json
import logging
import re
import sys
import threading
from collections.abc import Iterable, Mapping, MutableMapping
from typing import IO, Any

__all__ = [
    "MASK",
    "bind_context",
    "clear_context",
    "configure_logging",
    "ensure_logging",
    "get_logger",
    "is_secret_key",
    "redact",
    "redact_event",
    "register_secret",
]

MASK = "***"
MIN_SECRET_LENGTH = 4
"""Shorter registered values are ignored: masking every "abc" would wreck the logs and protect nothing."""

_SECRET_WORDS = ("secret", "password", "passwd", "token", "private_key", "privatekey", "credential")
_SECRET_KEYS = frozenset(
    {
        "authorization",
        "proxy_authorization",
        "sk",
        "sign_secret",
        "app_secret",
        "accesskeysecret",
        "secretkey",
        "secret_key",
        "x_auth_token",
        "x_subject_token",
        "x_security_token",
        "signature",
        "cookie",
        "set_cookie",
        "api_key",
        "apikey",
        "secret_string",
        "secret_binary",
    }
)
# Keys that merely name or describe a secret: the words above appear in them but the value is not secret.
_SAFE_SUFFIXES = (
    "name",
    "names",
    "id",
    "ids",
    "urn",
    "version",
    "version_id",
    "stage",
    "stages",
    "count",
    "type",
    "expires_at",
    "expire_time",
    "status",
)

_lock = threading.Lock()
_registered: set[str] = set()
_pattern: re.Pattern[str] | None = None
_configured = False


def _normalise(key: str) -> str:
    return key.strip().lower().replace("-", "_")


def is_secret_key(key: object) -> bool:
    """Whether a value stored under ``key`` must be masked (case-insensitive, ``-`` same as ``_``)."""
    if not isinstance(key, str):
        return False
    norm = _normalise(key)
    if norm in _SECRET_KEYS or norm.endswith("_sk"):
        return True
    if not any(word in norm for word in _SECRET_WORDS):
        return False
    flat = norm.replace("_", "")
    return not any(norm.endswith("_" + s) or flat.endswith(s.replace("_", "")) for s in _SAFE_SUFFIXES)


def register_secret(value: str | bytes | None) -> None:
    """Mask ``value`` wherever it appears in later log lines (and its JSON-escaped form)."""
    if value is None:
        return
    text = value.decode("utf-8", "replace") if isinstance(value, bytes) else str(value)
    if len(text) < MIN_SECRET_LENGTH:
        return
    global _pattern
    with _lock:
        # Raw, JSON-escaped, repr-escaped (objects rendered through repr) and both.
        escaped = repr(text)[1:-1]
        forms = {text, json.dumps(text)[1:-1], escaped, json.dumps(escaped)[1:-1]}
        if forms <= _registered:
            return
        _registered.update(forms)
        ordered = sorted(_registered, key=len, reverse=True)  # longest first: no partial leftovers
        _pattern = re.compile("|".join(re.escape(s) for s in ordered))


def forget_secrets() -> None:
    """Drop every registered value (tests; a function instance keeps its registrations for its lifetime)."""
    global _pattern
    with _lock:
        _registered.clear()
        _pattern = None


def mask_text(text: str) -> str:
    """``text`` with every registered secret replaced by :data:`MASK`."""
    pattern = _pattern
    return text if pattern is None else pattern.sub(MASK, text)


def redact(value: Any, *, _depth: int = 0) -> Any:
    """A copy of ``value`` with secret-keyed entries and registered secrets masked, at any depth."""
    if isinstance(value, str):
        return mask_text(value)
    if _depth > 32:  # a cycle or absurd nesting: refuse rather than recurse forever
        return MASK
    if isinstance(value, Mapping):
        return {
            key: (MASK if is_secret_key(key) and item not in (None, "") else redact(item, _depth=_depth + 1))
            for key, item in value.items()
        }
    if isinstance(value, (list, tuple, set, frozenset)):
        return [redact(item, _depth=_depth + 1) for item in value]
    if isinstance(value, bytes):
        return mask_text(value.decode("utf-8", "replace"))
    if isinstance(value, BaseException):
        return mask_text(f"{type(value).__name__}: {value}")
    return value


def redact_event(
    _logger: Any, _method: str, event_dict: MutableMapping[str, Any]
) -> MutableMapping[str, Any]:
    """structlog processor: mask secrets in the whole event dict (after exception formatting)."""
    return redact(event_dict)  # type: ignore[no-any-return]


def _mask_rendered(_logger: Any, _method: str, line: Any) -> str:
    """Last processor: mask registered values that reached the line through ``repr`` of objects."""
    return mask_text(str(line))


class _Stream:
    """Indirection so reconfiguring also redirects loggers that were already bound to the old stream."""

    target: IO[str] | None = None
    """The configured stream; ``None`` means whatever ``sys.stdout`` is when a line is written (a runner
    or test harness that swaps and closes its stdout never leaves loggers writing to a closed file)."""

    def _out(self) -> IO[str]:
        return self.target if self.target is not None else sys.stdout

    def write(self, text: str) -> int:
        return self._out().write(text)

    def flush(self) -> None:
        self._out().flush()


_stream = _Stream()


_LEVELS = {"debug": 10, "info": 20, "warning": 30, "warn": 30, "error": 40, "exception": 40, "critical": 50}
_min_level = logging.INFO


def _filter_level(
    _logger: Any, method: str, event_dict: MutableMapping[str, Any]
) -> MutableMapping[str, Any]:
    """First processor: drop events below the configured level.

    A processor rather than structlog's filtering wrapper class, because loggers bound before the last
    :func:`configure_logging` call keep their wrapper class but always read the current level here.
    """
    if _LEVELS.get(method, logging.INFO) < _min_level:
        import structlog

        raise structlog.DropEvent
    return event_dict


def configure_logging(level: str | int = "INFO", stream: IO[str] | None = None) -> None:
    """Configure structlog JSON lines on ``stream`` (default stdout); safe to call again to reconfigure.

    Also quiets ``httpx``/``httpcore`` stdlib loggers to WARNING: their INFO lines print full URLs, and
    Tencent v1 requests carry the signature in the query string.
    """
    import structlog

    global _configured, _min_level
    numeric = level if isinstance(level, int) else logging.getLevelName(str(level).upper())
    if not isinstance(numeric, int):
        raise ValueError(f"unknown log level {level!r}")
    _min_level = numeric
    _stream.target = stream
    if not _configured:
        structlog.configure(
            processors=[
                _filter_level,
                structlog.contextvars.merge_contextvars,
                structlog.processors.add_log_level,
                structlog.processors.TimeStamper(fmt="iso", utc=True, key="timestamp"),
                structlog.processors.format_exc_info,
                redact_event,
                structlog.processors.JSONRenderer(default=repr),
                _mask_rendered,
            ],
            # Level 0: let everything through to _filter_level, which reads the current level.
            wrapper_class=structlog.make_filtering_bound_logger(0),
            logger_factory=structlog.PrintLoggerFactory(file=_stream),  # type: ignore[arg-type]
            # Safe to cache: level and stream are read through module state on every call.
            cache_logger_on_first_use=True,
        )
    for name in ("httpx", "httpcore"):
        logging.getLogger(name).setLevel(max(logging.WARNING, numeric))
    _configured = True


def ensure_logging(level: str | int = "INFO") -> None:
    """Configure logging at ``level`` unless it is configured already: the first configuration wins, so a
    tool's or a test's own setup is kept across invocations."""
    if not _configured:
        configure_logging(level)


def _configured_level() -> str:
    """``OPSFN_LOG_LEVEL`` (through :class:`~shared.config.Settings`); INFO when the configuration is
    invalid, because a bad setting must not turn the first log call into a crash."""
    from shared.config import SettingError, Settings

    try:
        return Settings.from_env().log_level
    except SettingError:
        return "INFO"


def get_logger(name: str | None = None, **initial: Any) -> Any:
    """A bound structlog logger (configured at the set level on first use), tagged with ``logger=name``."""
    if not _configured:
        ensure_logging(_configured_level())
    import structlog

    if name:
        initial.setdefault("logger", name)
    return structlog.get_logger().bind(**initial)


def bind_context(**values: Any) -> None:
    """Bind per-invocation fields (``function``, ``request_id``, ``trigger``, ``event_id``) to each line."""
    import structlog

    structlog.contextvars.bind_contextvars(**values)


def clear_context(keys: Iterable[str] | None = None) -> None:
    """Forget bound fields (all of them, or just ``keys``) at the end of an invocation."""
    import structlog

    if keys is None:
        structlog.contextvars.clear_contextvars()
    else:
        structlog.contextvars.unbind_contextvars(*keys)
