"""How exceptions become answers: one table for HTTP statuses and for batch-record retryability.

Why a table: a caller (webhook sender, CI job) decides whether to retry from the status alone, so cloud
failures must map to statuses that mean the right thing to *that caller*, not to us:

=============================  ======  =============  ========================================================
exception                      status  retryable      why
=============================  ======  =============  ========================================================
``HttpError(status, msg)``     status  status >= 500  the handler chose it
``ThrottledError``             503     yes            the cloud asked us to slow down; Retry-After passed on
``ServerError``                502     yes            an upstream failed; a retry usually succeeds
``CloudConnectionError``       504     yes            no answer from upstream in time
``QuotaExceededError``         409     no             nothing to retry until someone frees quota (not 429,
                                                      which would invite an automatic retry)
``ConflictError``              409     no             resource state forbids the operation
``NotFoundError``              404     no             the resource the request names does not exist
``BadRequestError``            422     no             the request was valid JSON but the cloud refused the
                                                      derived call
``AuthError``                  502     no             *our* credentials/permissions failed; 401 would wrongly
                                                      blame the caller's
``InvalidRequestParameter``    400     no             an id from the input cannot address one resource (it
                                                      holds ``/``, ``?``, ``#``, ``..`` or is empty)
other ``CloudError``           502     yes            unknown upstream failure
``IdempotencyInProgress``      409     yes            a duplicate is running; retry later
``IdempotencyPayloadMismatch`` 409     no             key reused with other data
``IdempotencyStoreError``      503     yes            the store is down; nothing ran
``SettingError``               500     yes            configuration; retried messages succeed once fixed
``RuntimeUnavailable``         500/503 yes            store/package/configuration: nothing could run (500
                                                      when only a configuration change helps)
anything else                  500     yes            a bug or an unexpected failure; no details leave
=============================  ======  =============  ========================================================

Messages returned to callers contain the cloud's error code/message/request id (safe by construction, see
:class:`~shared.errors.CloudError`) or a fixed text - never exception text from unknown code, never a
traceback.
"""

from __future__ import annotations

import asyncio
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from shared.errors import (
    AuthError,
    BadRequestError,
    CloudConnectionError,
    CloudError,
    ConflictError,
    InvalidRequestParameter,
    NotFoundError,
    OpsfnError,
    QuotaExceededError,
    ServerError,
    ThrottledError,
)

__all__ = ["DEFAULT_RETRY_AFTER", "ErrorAnswer", "HttpError", "answer_for"]

DEFAULT_RETRY_AFTER = 5


class HttpError(OpsfnError):
    """Raise from an HTTP handler to answer with ``status``; ``message`` is returned to the caller."""

    def __init__(
        self, status: int, message: str, *, code: str = "", headers: Mapping[str, str] | None = None
    ) -> None:
        if not 400 <= status <= 599:
            raise ValueError("HttpError status must be 4xx or 5xx")
        super().__init__(message)
        self.status = status
        self.message = message
        self.code = code or ("client_error" if status < 500 else "server_error")
        self.headers = dict(headers or {})


@dataclass(frozen=True)
class ErrorAnswer:
    """The caller-facing form of an exception."""

    status: int
    body: dict[str, Any]
    retryable: bool
    headers: Mapping[str, str] = field(default_factory=dict)
    log_traceback: bool = False
    """True for unexpected exceptions: the traceback goes to the log (redacted), never to the caller."""


_CLOUD: tuple[tuple[type[CloudError], int, bool], ...] = (
    (ThrottledError, 503, True),
    (ServerError, 502, True),
    (CloudConnectionError, 504, True),
    (QuotaExceededError, 409, False),
    (ConflictError, 409, False),
    (NotFoundError, 404, False),
    (BadRequestError, 422, False),
    (AuthError, 502, False),
)


def _cloud_answer(exc: CloudError) -> ErrorAnswer:
    status, retryable = 502, True
    for cls, mapped, retry in _CLOUD:
        if isinstance(exc, cls):
            status, retryable = mapped, retry
            break
    headers: dict[str, str] = {}
    if retryable:
        seconds = exc.retry_after if exc.retry_after is not None else DEFAULT_RETRY_AFTER
        headers["Retry-After"] = str(max(1, round(seconds)))
    body = {"error": "cloud_error", "message": exc.error_msg, **exc.to_dict()}
    body["service"] = exc.service
    return ErrorAnswer(status, body, retryable, headers)


def answer_for(exc: BaseException) -> ErrorAnswer:
    """Map any exception to its :class:`ErrorAnswer` (see the module table)."""
    from shared.idempotency import (
        IdempotencyInProgress,
        IdempotencyPayloadMismatch,
        IdempotencyStoreError,
    )

    if isinstance(exc, HttpError):
        return ErrorAnswer(
            exc.status, {"error": exc.code, "message": exc.message}, exc.status >= 500, exc.headers
        )
    if isinstance(exc, CloudError):
        return _cloud_answer(exc)
    if isinstance(exc, InvalidRequestParameter):
        # The message names the parameter and the rule, never the value (the exception's contract).
        return ErrorAnswer(400, {"error": "invalid_parameter", "message": str(exc)}, False)
    if isinstance(exc, IdempotencyInProgress):
        return ErrorAnswer(
            409,
            {"error": "in_progress", "message": str(exc)},
            True,
            {"Retry-After": str(DEFAULT_RETRY_AFTER)},
        )
    if isinstance(exc, IdempotencyPayloadMismatch):
        return ErrorAnswer(409, {"error": "idempotency_payload_mismatch", "message": str(exc)}, False)
    if isinstance(exc, IdempotencyStoreError):
        return ErrorAnswer(
            503,
            {"error": "idempotency_unavailable", "message": "idempotency store unavailable"},
            True,
            {"Retry-After": str(DEFAULT_RETRY_AFTER)},
        )
    from shared.config import SettingError
    from shared.runtime.unavailable import RuntimeUnavailable

    if isinstance(exc, RuntimeUnavailable):
        # The cause names the variable or package, never a value (RuntimeUnavailable's contract).
        if exc.permanent:
            return ErrorAnswer(500, {"error": "configuration", "message": exc.cause}, True)
        body = {"error": "idempotency_unavailable", "message": exc.cause}
        return ErrorAnswer(503, body, True, {"Retry-After": str(DEFAULT_RETRY_AFTER)})
    if isinstance(exc, SettingError):
        # The message names the variable, never its value (SettingError's contract).
        return ErrorAnswer(500, {"error": "configuration", "message": str(exc)}, True)
    if isinstance(exc, (TimeoutError, asyncio.TimeoutError)):  # distinct classes before Python 3.11
        return ErrorAnswer(
            504, {"error": "timeout", "message": "the function ran out of time"}, True, log_traceback=False
        )
    return ErrorAnswer(500, {"error": "internal", "message": "internal error"}, True, log_traceback=True)
