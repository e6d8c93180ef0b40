"""Retries with the real signers: each attempt carries a new timestamp and a signature valid for it.

A retry that replayed the first attempt's headers would still pass a lenient server for a few minutes, but
fail once the clock skew window (15 min Huawei, 5 min Tencent) is exceeded by long ``Retry-After`` waits.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import datetime, timedelta, timezone

import httpx

from shared.auth import (
    HuaweiAKSKAuth,
    TencentTC3Auth,
    huawei_signature_for_request,
    parse_huawei_authorization,
    parse_tc3_authorization,
    tc3_signature_for_request,
)
from shared.http import RetryPolicy, make_client, request_json
from tests.http.scripted import Script, Sleeps

SK = "huawei-test-secret-key"
TC_KEY = "tencent-test-secret-key"


def ticking_clock(step: timedelta) -> Callable[[], datetime]:
    """A clock that moves ``step`` forward every time it is read."""
    now = [datetime(2026, 3, 1, 8, 0, 0, tzinfo=timezone.utc)]

    def clock() -> datetime:
        now[0] += step
        return now[0]

    return clock


async def test_huawei_retries_carry_fresh_valid_signatures() -> None:
    throttled = httpx.Response(500, json={"error_code": "APIG.9008", "error_msg": "Too many requests"})
    script = Script([throttled, throttled, httpx.Response(200, json={"ok": True})])
    auth = HuaweiAKSKAuth("HWAK", SK, clock=ticking_clock(timedelta(minutes=20)))
    client = make_client(
        "https://apig.cn-north-4.myhuaweicloud.com",
        auth,
        service="apig",
        retry=RetryPolicy(sleep=Sleeps()),
        transport=script.transport(),
    )
    async with client:
        body = {"name": "key-1", "sign_type": "hmac"}
        assert await request_json(client, "PUT", "/v2/p/apigw/signs/1", json=body) == {"ok": True}
    dates = [r.headers["x-sdk-date"] for r in script.requests]
    assert len(set(dates)) == 3
    for request in script.requests:
        parsed = parse_huawei_authorization(request.headers["authorization"])
        assert parsed.signature == huawei_signature_for_request(request, SK, parsed.signed_headers)
        assert json.loads(request.content) == body


async def test_tencent_retries_carry_fresh_valid_signatures() -> None:
    throttled = {"Response": {"Error": {"Code": "RequestLimitExceeded", "Message": "slow"}, "RequestId": "1"}}
    ok = {"Response": {"RequestId": "2", "Result": {}}}
    script = Script([httpx.Response(200, json=throttled), httpx.Response(200, json=ok)])
    auth = TencentTC3Auth(
        "AKIDTEST", TC_KEY, "apigateway", region="shjr", clock=ticking_clock(timedelta(minutes=10))
    )
    client = make_client(
        "https://apigateway.api3.finance.cloud.tencent.com",
        auth,
        service="tencent_apigw",
        retry=RetryPolicy(sleep=Sleeps()),
        transport=script.transport(),
    )
    async with client:
        result = await request_json(
            client,
            "POST",
            "/",
            json={"ServiceId": "service-1"},
            headers={"X-TC-Action": "DescribeService", "X-TC-Version": "2018-08-08"},
            retry_safe=True,
        )
    assert result == ok
    stamps = [r.headers["x-tc-timestamp"] for r in script.requests]
    assert len(set(stamps)) == 2
    for request in script.requests:
        parsed = parse_tc3_authorization(request.headers["authorization"])
        expected = tc3_signature_for_request(
            request, TC_KEY, "apigateway", parsed.signed_headers, request.headers["x-tc-timestamp"]
        )
        assert parsed.signature == expected
