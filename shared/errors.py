"""One exception hierarchy for every cloud opsfn talks to.

Huawei services answer errors as ``{"error_code", "error_msg"}`` (APIG, IDE, IAM variants), CSMS and KMS wrap
them as ``{"error": {"error_code", "error_msg"}}``, and Tencent answers *every* error - throttling included -
as HTTP 200 with ``{"Response": {"Error": {"Code", "Message"}, "RequestId"}}``. Callers should never parse
those shapes themselves: :func:`error_from_response` turns any of them into a typed :class:`CloudError`
subclass chosen from the error code first and the HTTP status second, because the status alone lies
(APIG throttling is HTTP 500 with ``APIG.9008``).
"""

from __future__ import annotations

import json
import re
import time
from collections.abc import Mapping
from typing import Any

__all__ = [
    "AuthError",
    "BadRequestError",
    "CloudConnectionError",
    "CloudError",
    "ConflictError",
    "InvalidRequestParameter",
    "NotFoundError",
    "OpsfnError",
    "QuotaExceededError",
    "ResourceBusyError",
    "ServerError",
    "ThrottledError",
    "error_class_for",
    "error_from_response",
    "parse_error_body",
    "parse_retry_after",
]


class OpsfnError(Exception):
    """Base of every exception opsfn raises on purpose."""


class InvalidRequestParameter(OpsfnError, ValueError):
    """A value cannot be placed in a request path: it would change which resource the request addresses.

    Raised before anything is sent. The message names the parameter and the rule it broke, never the value,
    which may be a secret's name or anything an event carried.
    """

    def __init__(self, parameter: str, reason: str) -> None:
        self.parameter = parameter
        self.reason = reason
        super().__init__(f"path parameter {parameter!r} {reason}")


class CloudError(OpsfnError):
    """A cloud API refused or failed a request.

    The message never contains request bodies or credentials, only the code, message and request id that
    the cloud returned, so it is safe to log.
    """

    retryable: bool = False

    def __init__(
        self,
        error_msg: str,
        *,
        status: int = 0,
        error_code: str = "",
        request_id: str = "",
        service: str = "",
        retry_after: float | None = None,
    ) -> None:
        self.status = status
        self.error_code = error_code
        self.error_msg = error_msg
        self.request_id = request_id
        self.service = service
        self.retry_after = retry_after
        super().__init__(self._describe())

    def _describe(self) -> str:
        parts = [f"{self.service or 'cloud'} error"]
        if self.status:
            parts.append(f"HTTP {self.status}")
        if self.error_code:
            parts.append(self.error_code)
        text = " ".join(parts) + f": {self.error_msg}"
        if self.request_id:
            text += f" (request id {self.request_id})"
        return text

    def to_dict(self) -> dict[str, Any]:
        """The JSON-safe summary used in function results and logs."""
        return {
            "type": type(self).__name__,
            "status": self.status,
            "error_code": self.error_code,
            "error_msg": self.error_msg,
            "request_id": self.request_id,
        }


class BadRequestError(CloudError):
    """The request was malformed or failed the service's validation (400)."""


class AuthError(CloudError):
    """Authentication or authorisation failed (401/403, signature errors, expired tokens)."""


class NotFoundError(CloudError):
    """The addressed resource does not exist (404 or a not-found error code)."""


class ConflictError(CloudError):
    """The resource exists already or is in a state that forbids the operation (409)."""


class QuotaExceededError(CloudError):
    """An account or resource quota is exhausted; retrying will not help until something is freed."""


class ResourceBusyError(ConflictError):
    """The resource is in the middle of another operation; the same call should succeed a little later."""

    retryable = True


class ThrottledError(CloudError):
    """The service asked us to slow down (429, ``APIG.9008``, ``RequestLimitExceeded*``)."""

    retryable = True


class ServerError(CloudError):
    """The service failed (5xx or an internal error code); safe to retry for idempotent calls."""

    retryable = True


class CloudConnectionError(CloudError):
    """No HTTP answer at all: connect failure, reset, or timeout."""

    retryable = True


# Error codes whose meaning the status code does not carry (or carries wrongly).
_EXACT_CODES: dict[str, type[CloudError]] = {
    "APIG.9008": ThrottledError,  # Huawei APIG: "too many requests", sent as HTTP 500
    "APIGW.0308": ThrottledError,
    "IDE.00900001": NotFoundError,
    "IDE.00900007": ConflictError,  # unpaid order pending
    "IDE.00900008": QuotaExceededError,
    "IDE.00000097": BadRequestError,
    "APIGW.0301": AuthError,
    "APIGW.0303": AuthError,
    "APIGW.0101": NotFoundError,
    # Tencent codes whose family name says something else than they mean.
    "LimitExceeded.RequestLimitExceeded": ThrottledError,
    "UnsupportedOperation.ResourceIsInUse": ConflictError,
    "UnsupportedOperation.UsagePlanInUse": ConflictError,
    "UnsupportedOperation.InvalidStatus": ConflictError,
    "UnsupportedOperation.AlreadyBindUsagePlan": ConflictError,
    "UnsupportedOperation.ResourceAssociated": ConflictError,
    "FailedOperation.ServiceNotExist": NotFoundError,
    "FailedOperation.ServiceInOperation": ResourceBusyError,
    "FailedOperation.ApiInOperation": ResourceBusyError,
}

# Huawei APIG code families whose HTTP status misleads: quotas are 403 ``APIG.31xx`` (not an auth problem),
# duplicate names 400 ``APIG.32xx``/``APIG.330x`` (a conflict, not a malformed request), "still in use" 403
# ``APIG.34xx``.
_APIG_FAMILIES: tuple[tuple[re.Pattern[str], type[CloudError]], ...] = (
    (re.compile(r"APIG\.31\d\d|APIC\.7400"), QuotaExceededError),
    (re.compile(r"APIG\.(32\d\d|3301|3302|3303|3305|3306|3308|3309|3310|3316|34\d\d)"), ConflictError),
)

# Tencent error codes are dotted families: "ResourceNotFound.ServiceId" belongs to "ResourceNotFound".
_TENCENT_PREFIXES: tuple[tuple[str, type[CloudError]], ...] = (
    ("RequestLimitExceeded", ThrottledError),
    ("AuthFailure", AuthError),
    ("UnauthorizedOperation", AuthError),
    ("ResourceNotFound", NotFoundError),
    ("ResourceUnavailable", NotFoundError),
    ("LimitExceeded", QuotaExceededError),
    ("ResourceInsufficient", QuotaExceededError),
    ("ResourceInUse", ConflictError),
    ("ResourceAlreadyExists", ConflictError),
    ("FailedOperation", ConflictError),
    ("OperationDenied", ConflictError),
    ("InvalidParameter", BadRequestError),
    ("InvalidParameterValue", BadRequestError),
    ("MissingParameter", BadRequestError),
    ("UnknownParameter", BadRequestError),
    ("UnsupportedOperation", BadRequestError),
    ("InvalidAction", BadRequestError),
    ("UnsupportedProtocol", BadRequestError),
    ("InternalError", ServerError),
    ("ServiceUnavailable", ServerError),
)

_BY_STATUS: dict[int, type[CloudError]] = {
    400: BadRequestError,
    401: AuthError,
    403: AuthError,
    404: NotFoundError,
    409: ConflictError,
    412: ConflictError,
    413: BadRequestError,
    422: BadRequestError,
    429: ThrottledError,
}


def error_class_for(status: int, error_code: str) -> type[CloudError]:
    """Pick the exception class: exact code, then APIG/Tencent code family, then the HTTP status."""
    if error_code in _EXACT_CODES:
        return _EXACT_CODES[error_code]
    for pattern, family in _APIG_FAMILIES:
        if pattern.fullmatch(error_code):
            return family
    for prefix, cls in _TENCENT_PREFIXES:
        if error_code == prefix or error_code.startswith(prefix + "."):
            return cls
    if status in _BY_STATUS:
        return _BY_STATUS[status]
    if status >= 500:
        return ServerError
    return CloudError


def _load(body: bytes | str | Mapping[str, Any] | None) -> Mapping[str, Any] | None:
    data: Any = body
    if isinstance(body, (bytes, str)):
        if not body:
            return None
        try:
            data = json.loads(body)
        except (ValueError, UnicodeDecodeError, RecursionError):  # a hostile, absurdly nested error body
            return None
    return data if isinstance(data, Mapping) else None


def parse_error_body(body: bytes | str | Mapping[str, Any] | None) -> tuple[str, str, str] | None:
    """Return ``(error_code, error_msg, request_id)`` from any of the three shapes, or ``None``.

    ``None`` means the body carries no recognisable error object (which for a 2xx Tencent answer means
    success).
    """
    data = _load(body)
    if data is None:
        return None
    response = data.get("Response")
    if isinstance(response, Mapping):
        err = response.get("Error")
        if isinstance(err, Mapping):
            return (
                str(err.get("Code", "")),
                str(err.get("Message", "")),
                str(response.get("RequestId", "")),
            )
        return None
    nested = data.get("error")
    if isinstance(nested, Mapping) and ("error_code" in nested or "code" in nested):
        return (
            str(nested.get("error_code", nested.get("code", ""))),
            str(nested.get("error_msg", nested.get("message", ""))),
            str(data.get("request_id", nested.get("request_id", ""))),
        )
    if "error_code" in data:
        return (
            str(data.get("error_code", "")),
            str(data.get("error_msg", data.get("message", ""))),
            str(data.get("request_id", "")),
        )
    if isinstance(nested, str) and nested:
        # OAuth 2.0 token endpoints (RFC 6749 section 5.2): {"error": "invalid_client", "error_description"}.
        return (nested, str(data.get("error_description", "")), str(data.get("request_id", "")))
    if isinstance(data.get("code"), str) and "message" in data:
        # SMN's flat shape: {"request_id", "code", "message"}.
        return (str(data["code"]), str(data.get("message", "")), str(data.get("request_id", "")))
    return None


def parse_retry_after(value: str | None, *, now: float | None = None) -> float | None:
    """Seconds to wait from a ``Retry-After`` header: delta-seconds or an HTTP date; ``None`` if unusable.

    The header comes from a server we do not control, so anything unusable is ``None``, never an exception:
    only ASCII digits count (``"²".isdigit()`` is true but ``float("²")`` fails), and a date without a zone
    (RFC 2822 ``-0000``) cannot be compared with now. The retry loop and the error mapping share this one
    parser so they cannot disagree about the same header.
    """
    if value is None:
        return None
    value = value.strip()
    if not value:
        return None
    if value.isascii() and value.lstrip("+-").replace(".", "", 1).isdigit():
        return max(0.0, float(value))
    from email.utils import parsedate_to_datetime

    try:
        moment = parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError):
        return None
    if moment.tzinfo is None:
        return None
    current = time.time() if now is None else now
    return max(0.0, moment.timestamp() - current)


def error_from_response(
    status: int,
    body: bytes | str | Mapping[str, Any] | None,
    headers: Mapping[str, str] | None = None,
    *,
    service: str = "",
) -> CloudError | None:
    """Build the typed error for a response, or ``None`` when the response is a success.

    A 2xx response is an error only when it carries Tencent's ``Response.Error``.
    """
    headers = headers or {}
    data = _load(body)
    parsed = parse_error_body(data)
    if status < 400 and (parsed is None or data is None or "Response" not in data):
        # Below 400 only Tencent's Response.Error means failure; a success body may carry "code" fields.
        return None
    code, msg, request_id = parsed or ("", "", "")
    if not request_id:
        request_id = headers.get("x-request-id") or headers.get("X-Request-Id") or ""
    if not msg:
        msg = f"HTTP {status}"
    cls = error_class_for(status, code)
    return cls(
        msg,
        status=status,
        error_code=code,
        request_id=request_id,
        service=service,
        retry_after=parse_retry_after(headers.get("retry-after") or headers.get("Retry-After")),
    )
