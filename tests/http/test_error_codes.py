"""Error-code families: the code, not the status, decides the exception class where the two disagree."""

from __future__ import annotations

import pytest

from shared.errors import (
    BadRequestError,
    CloudError,
    ConflictError,
    NotFoundError,
    QuotaExceededError,
    ResourceBusyError,
    ThrottledError,
    error_class_for,
    error_from_response,
)


@pytest.mark.parametrize(
    ("code", "expected"),
    [
        ("InvalidParameterValue", BadRequestError),
        ("InvalidParameterValue.IllegalProtocol", BadRequestError),
        ("InvalidParameter.FormatError", BadRequestError),
        # "LimitExceeded" is the quota family, but this member of it means throttling.
        ("LimitExceeded.RequestLimitExceeded", ThrottledError),
        ("LimitExceeded.ServiceCountForPlanLimitExceeded", QuotaExceededError),
        ("RequestLimitExceeded", ThrottledError),
        ("UnsupportedOperation.ResourceIsInUse", ConflictError),
        ("UnsupportedOperation.UsagePlanInUse", ConflictError),
        ("UnsupportedOperation.InvalidStatus", ConflictError),
        ("UnsupportedOperation.UnsupportedDeleteApi", BadRequestError),
        ("FailedOperation.ServiceNotExist", NotFoundError),
        ("FailedOperation.ServiceInOperation", ResourceBusyError),
        ("FailedOperation.ApiInOperation", ResourceBusyError),
        ("ResourceNotFound.InvalidApi", NotFoundError),
    ],
)
def test_tencent_codes(code: str, expected: type[CloudError]) -> None:
    """Tencent answers with HTTP 200, so only the code can decide."""
    body = {"Response": {"Error": {"Code": code, "Message": "m"}, "RequestId": "r"}}
    error = error_from_response(200, body)
    assert type(error) is expected
    assert error_class_for(200, code) is expected


def test_busy_errors_are_retryable_conflicts() -> None:
    assert issubclass(ResourceBusyError, ConflictError)
    assert ResourceBusyError.retryable and not ConflictError.retryable
