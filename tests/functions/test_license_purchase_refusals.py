"""A refused purchase (quota, unpaid order) is told once, whatever happens to its batch.

The platforms cannot redeliver part of a batch: one retryable failure redelivers every record. If a
refused record's outcome were not stored, each redelivery would try to buy again and send another SMN
message; with a bind failing for a while that is a loop of purchase attempts and notifications. So
permanent (non-retryable) record failures are stored, like the webhook's stored 409, and replayed.
"""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from devkit.emulator.services.ide import set_quota
from functions.license_purchase.handler import handler
from shared.http import use_transport
from shared.runtime import RedeliveryRequested
from tests.functions import conftest as functions_conftest
from tests.functions.conftest import Wired, kafka, purchase_body

wired = functions_conftest.wired  # the fixture (not the name) is what pytest registers in this module


class CountsPurchases(httpx.AsyncBaseTransport):
    """Counts purchase attempts (``POST /v2/licenses``) that reach the service."""

    def __init__(self, inner: httpx.AsyncBaseTransport) -> None:
        self.inner = inner
        self.attempts = 0

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        if request.method == "POST" and request.url.path == "/v2/licenses":
            self.attempts += 1
        return await self.inner.handle_async_request(request)


def _redeliver_while_bind_fails(setup: Wired, event: dict[str, Any], times: int) -> None:
    for _ in range(times):
        with pytest.raises(RedeliveryRequested) as caught:
            handler(event, None)
        assert len(caught.value.failed_ids) == 1


@pytest.mark.parametrize("refusal", ["quota", "unpaid"])
def test_refused_record_is_not_retried_when_its_batch_is_redelivered(wired: Wired, refusal: str) -> None:
    faults = wired.emulator.faults
    assert faults is not None
    if refusal == "quota":
        set_quota(wired.emulator, 1)
    else:
        wired.ide.seed(1, status="UNPAID")  # an unpaid order is pending: every purchase is IDE.00900007
    wired.ide.seed(1)  # one free seat, whose bind keeps failing: the retryable record
    faults.add("ide", "BindLicenseUser", kind="error", rate=1.0)
    event = kafka([purchase_body(1), purchase_body(2)])
    counter = CountsPurchases(wired.emulator.transport())
    with use_transport(counter):
        _redeliver_while_bind_fails(wired, event, 3)
        assert len(wired.notifications()) == 1
        assert counter.attempts == 1, f"{counter.attempts} purchase attempts for one refused request"
        faults.clear()
        out = handler(event, None)
    assert (out["records_ok"], out["records_failed"], out["redeliver"]) == (1, 1, False)
    refused = next(r for r in out["results"] if r["status"] == "failed")
    assert refused["retryable"] is False and refused["replayed"] is True
    assert ("IDE.00900008" if refusal == "quota" else "IDE.00900007") in refused["error"]
    assert len(wired.notifications()) == 1 and counter.attempts == 1
