"""What a handler gets besides its input: :class:`Invocation`, and how it is built from a platform context.

Credentials come from the platform first, because that is where the *temporary*, least-privilege keys
are: FunctionGraph hands the agency's keys through ``context.getSecurityAccessKey/SecretKey/Token`` (and
``getProjectID``), SCF through ``TENCENTCLOUD_SECRETID/SECRETKEY/SESSIONTOKEN``. Long-lived keys from
the ordinary environment variables are the fallback (local runs, functions without an agency).
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, Any, TypeVar

from shared.config import Settings
from shared.triggers.models import Record, TriggerEvent

if TYPE_CHECKING:
    from shared.clients.base import ServiceClient
    from shared.idempotency import IdempotencyStore

    C = TypeVar("C", bound=ServiceClient)

__all__ = [
    "Invocation",
    "context_remaining_seconds",
    "context_request_id",
    "invocation_settings",
]


def _ctx_get(context: Any, method: str, key: str) -> Any:
    """Read a context value from a FunctionGraph-style method or an SCF-style dict/attribute."""
    if context is None:
        return None
    getter = getattr(context, method, None)
    if callable(getter):
        try:
            return getter()
        except Exception:  # a broken context must not fail the invocation
            return None
    if isinstance(context, Mapping):
        return context.get(key)
    return getattr(context, key, None)


def context_request_id(context: Any, fallback: str = "") -> str:
    value = _ctx_get(context, "getRequestID", "request_id")
    return str(value) if value else (fallback or uuid.uuid4().hex)


def context_remaining_seconds(context: Any) -> float | None:
    """Remaining run time: FunctionGraph reports it; SCF gives the limit (``time_limit_in_ms``)."""
    value = _ctx_get(context, "getRemainingTimeInMilliSeconds", "time_limit_in_ms")
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return None
    return max(0.0, float(value) / 1000.0)


def invocation_settings(settings: Settings, platform: str, context: Any) -> Settings:
    """Settings for one invocation (platform credentials first, see :meth:`Settings.for_invocation`), with
    every secret in them registered for log redaction."""
    from shared.log import register_secret

    settings = settings.for_invocation(platform, context)
    for value in (
        settings.huawei_sk,
        settings.huawei_security_token,
        settings.tencent_secret_key,
        settings.tencent_token,
        *settings.webhook_secrets,
    ):
        register_secret(value)
    return settings


@dataclass(frozen=True)
class Invocation:
    """Everything about the current invocation a handler may need.

    ``log`` is a structlog logger already bound to function, request id, trigger and event id.
    ``record`` is the record being handled by an ``@app.event`` handler (``None`` elsewhere).
    """

    function: str
    platform: str
    trigger: TriggerEvent
    request_id: str
    settings: Settings
    log: Any
    context: Any = field(default=None, repr=False)
    deadline: float | None = None
    """``time.monotonic()`` value when the platform will stop the function (``None``: unknown)."""
    record: Record | None = None
    store_opener: Callable[[], IdempotencyStore] | None = field(default=None, repr=False)

    def store(self) -> IdempotencyStore:
        """The idempotency store the runtime keeps this function's records in, for state a function must
        keep beside them (a run journal): the same store, so a redelivery sees what the crashed run wrote."""
        if self.store_opener is not None:
            return self.store_opener()
        from shared.idempotency import open_store

        return open_store(None, settings=self.settings)

    @property
    def event_id(self) -> str:
        return self.record.id if self.record is not None else self.trigger.event_id

    def remaining_seconds(self) -> float | None:
        """Seconds left before the platform stops the function, or ``None`` when unknown (local)."""
        if self.deadline is None:
            return None
        return max(0.0, self.deadline - time.monotonic())

    def client(self, cls: type[C]) -> C:
        """A service client built from this invocation's settings; ``async with`` it to close it.

        The transport is the process-wide one (:func:`shared.http.use_transport`), so tests and
        ``opsfn invoke`` route it to the emulator without the handler knowing.
        """
        return cls.from_settings(self.settings)

    def for_record(self, record: Record) -> Invocation:
        """A copy scoped to one record (its id bound into the logger)."""
        return replace(self, record=record, log=self.log.bind(record_id=record.id))
