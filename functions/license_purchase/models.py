"""Input and result models of license_purchase.

Validation happens here, before any cloud call, so a malformed request becomes a precise 400 (webhook) or a
failed record (queue) and never costs money.
"""

from __future__ import annotations

from enum import Enum
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from shared.clients.ide import DEFAULT_SPEC, KNOWN_SPECS, check_machine_code, check_user_id, flatten_user
from shared.errors import CloudError, ConflictError

__all__ = ["PurchaseOptions", "PurchaseOutcome", "PurchaseRequest", "PurchaseStatus"]


class PurchaseOptions(BaseModel):
    """How a new order is placed when no free seat exists.

    ``auto_pay`` defaults to true, unlike the API: an unpaid order's seats cannot be bound and the service
    refuses every further purchase until someone pays, so a function that does not pay can only park
    requests. Set it to false where purchases need a human's approval; requests then end
    ``awaiting_payment`` and the topic is told which order to pay.
    """

    model_config = ConfigDict(extra="forbid", frozen=True)

    auto_pay: bool = True
    auto_renew: bool = False


class PurchaseRequest(BaseModel):
    """One developer's request for a seat on one machine.

    ``user`` may also be given as an object ``{"id": ..., "name": ...}`` (the onboarding portal's shape).
    """

    model_config = ConfigDict(extra="ignore", frozen=True, str_strip_whitespace=True)

    request_id: str = Field(min_length=1, max_length=128, pattern=r"^[A-Za-z0-9._:/-]+$")
    user_id: str
    user_name: str = Field(default="", max_length=128)
    machine_code: str
    spec_code: str = DEFAULT_SPEC
    options: PurchaseOptions = PurchaseOptions()

    @model_validator(mode="before")
    @classmethod
    def _nested_user(cls, data: Any) -> Any:
        return flatten_user(data)

    @field_validator("user_id")
    @classmethod
    def _user_id(cls, value: str) -> str:
        return check_user_id(value)

    @field_validator("machine_code")
    @classmethod
    def _machine_code(cls, value: str) -> str:
        return check_machine_code(value)

    @field_validator("spec_code")
    @classmethod
    def _spec(cls, value: str) -> str:
        if value not in KNOWN_SPECS:
            raise ValueError(f"unknown spec_code {value[:64]!r}; known: {', '.join(sorted(KNOWN_SPECS))}")
        return value

    @property
    def seat_key(self) -> tuple[str, str]:
        """Requests with the same key want the same seat: one user on one machine."""
        return (self.user_id, self.machine_code)


class PurchaseStatus(str, Enum):
    """How a request ended. The first three mean the user has a bound seat now."""

    ALREADY_BOUND = "already_bound"
    REUSED = "reused"
    PURCHASED = "purchased"
    AWAITING_PAYMENT = "awaiting_payment"
    FAILED = "failed"


class PurchaseOutcome(BaseModel):
    """The per-request answer: the seat, the order if one was placed, or why it failed.

    ``retryable`` marks failures that a redelivery can fix (throttling, timeouts, a seat taken concurrently);
    quota and unpaid-order failures are not retryable: they need a person.
    """

    model_config = ConfigDict(frozen=True)

    request_id: str
    user_id: str
    machine_code: str
    status: PurchaseStatus
    license_id: str | None = None
    order_id: str | None = None
    reason: str | None = None
    error_code: str | None = None
    retryable: bool = False

    @property
    def ok(self) -> bool:
        return self.status in (PurchaseStatus.ALREADY_BOUND, PurchaseStatus.REUSED, PurchaseStatus.PURCHASED)

    @classmethod
    def failed(
        cls, request: PurchaseRequest, reason: str, *, error: CloudError | None = None, **seat: Any
    ) -> PurchaseOutcome:
        retryable = True if error is None else _retryable(error)
        return cls(
            request_id=request.request_id,
            user_id=request.user_id,
            machine_code=request.machine_code,
            status=PurchaseStatus.FAILED,
            reason=reason
            if error is None
            else f"{reason}: {error.error_code or type(error).__name__} {error.error_msg}".rstrip(),
            error_code=None if error is None else error.error_code or None,
            retryable=retryable,
            **seat,
        )


def _retryable(error: CloudError) -> bool:
    """Transport failures, throttling and 5xx can succeed on redelivery; a refusal by the service cannot.

    A bind answered ``result: false`` (no error code) means another run took the seat first: retryable.
    """
    return error.retryable or (isinstance(error, ConflictError) and error.error_code == "")
