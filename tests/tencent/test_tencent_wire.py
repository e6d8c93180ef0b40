"""Wire-level behaviour of the faked cloud API: v3 and v1 requests, common errors, the answer's shape."""

from __future__ import annotations

import json
from typing import Any

import httpx
import pytest
from tc_helpers import ENDPOINT, REGION, build_tencent_emulator, raw_client

from devkit.emulator.core import Emulator
from devkit.emulator.credentials import DEMO_TENCENT_SECRET_ID, DEMO_TENCENT_SECRET_KEY
from shared.auth import TencentTC3Auth, TencentV1Auth
from shared.clients.tencent_apigw import TencentApigwClient
from shared.config import Settings
from shared.errors import ThrottledError
from shared.http import RetryPolicy, make_client


async def _v3(
    emulator: Emulator,
    action: str,
    body: Any = None,
    *,
    version: str = "2018-08-08",
    region: str | None = REGION,
    method: str = "POST",
    secret_key: str = DEMO_TENCENT_SECRET_KEY,
) -> httpx.Response:
    headers = {"X-TC-Action": action, "X-TC-Version": version, "Content-Type": "application/json"}
    content = body if isinstance(body, bytes) else json.dumps(body or {}).encode()
    async with raw_client(emulator, region=region, secret_key=secret_key) as http:
        return await http.request(method, "/", headers=headers, content=content)


def _error(response: httpx.Response) -> str:
    assert response.status_code == 200  # Tencent answers every error with HTTP 200
    payload = response.json()["Response"]
    assert payload["RequestId"]
    return str(payload["Error"]["Code"])


async def test_success_and_error_answers_have_tencent_shape(tc_emulator: Emulator) -> None:
    ok = await _v3(tc_emulator, "CreateService", {"ServiceName": "demo", "Protocol": "http"})
    assert ok.status_code == 200 and ok.headers["content-type"] == "application/json"
    response = ok.json()["Response"]
    assert response["ServiceId"].startswith("service-") and "Result" not in response  # fields sit in Response
    assert response["RequestId"] == ok.headers["x-tc-requestid"]

    bad = await _v3(tc_emulator, "CreateService", {"Protocol": "http"})
    assert bad.headers["content-type"] == "application/json"
    error = bad.json()["Response"]["Error"]
    assert error == {
        "Code": "MissingParameter",
        "Message": "The request is missing a required parameter `ServiceName`.",
    }


async def test_common_errors(tc_emulator: Emulator) -> None:
    assert _error(await _v3(tc_emulator, "DescribeNothing")) == "InvalidAction"
    assert _error(await _v3(tc_emulator, "DescribeServicesStatus", version="2017-03-12")) == "NoSuchVersion"
    assert _error(await _v3(tc_emulator, "DescribeServicesStatus", region=None)) == "MissingParameter"
    assert _error(await _v3(tc_emulator, "DescribeServicesStatus", method="PUT")) == "UnsupportedProtocol"
    assert (
        _error(await _v3(tc_emulator, "DescribeServicesStatus", b"{not json"))
        == "InvalidParameter.FormatError"
    )
    assert _error(await _v3(tc_emulator, "DescribeServicesStatus", {"Limit": "many"})) == (
        "InvalidParameter.FormatError"
    )
    unsupported = {"Filters": [{"Name": "Colour", "Values": ["red"]}]}
    assert _error(await _v3(tc_emulator, "DescribeServicesStatus", unsupported)) == (
        "InvalidParameterValue.InvalidFilterNotSupportedName"
    )
    misspelt = {"ServiceName": "demo", "Protocol": "http", "ServiceDescription": "x"}
    assert _error(await _v3(tc_emulator, "CreateService", misspelt)) == "UnknownParameter"
    # The framework verifies the signature first: a wrong key never reaches the action.
    wrong = await _v3(tc_emulator, "DescribeServicesStatus", secret_key="not-the-key")
    assert _error(wrong) == "AuthFailure.SignatureFailure"


async def test_signature_v1_get_and_form_post(tc_emulator: Emulator) -> None:
    auth = TencentV1Auth(DEMO_TENCENT_SECRET_ID, DEMO_TENCENT_SECRET_KEY)
    common = {"Version": "2018-08-08", "Region": REGION}
    async with httpx.AsyncClient(base_url=ENDPOINT, transport=tc_emulator.transport(), auth=auth) as http:
        created = await http.post(
            "/",
            data={
                **common,
                "Action": "CreateService",
                "ServiceName": "formsvc",
                "Protocol": "https",
                "NetTypes.0": "OUTER",
                "NetTypes.1": "INNER",
            },
        )
        service = created.json()["Response"]
        assert service["NetTypes"] == ["INNER", "OUTER"]
        listed = await http.get(
            "/",
            params={
                **common,
                "Action": "DescribeServicesStatus",
                "Limit": "10",
                "Filters.0.Name": "ServiceId",
                "Filters.0.Values.0": service["ServiceId"],
            },
        )
    result = listed.json()["Response"]["Result"]
    assert result["TotalCount"] == 1 and result["ServiceSet"][0]["Protocol"] == "https"
    # v1 and v3 callers of the same account and region see the same state.
    v3 = await _v3(tc_emulator, "DescribeService", {"ServiceId": service["ServiceId"]})
    assert v3.json()["Response"]["ServiceName"] == "formsvc"


async def test_requests_without_an_action_are_not_taken_as_tencent_calls(tc_emulator: Emulator) -> None:
    async with raw_client(tc_emulator) as http:
        answer = await http.post("/", json={"hello": "world"})
    assert answer.status_code == 404
    assert answer.json()["error_code"] == "APIGW.0101"


async def _no_sleep(_: float) -> None:
    return None


async def test_throttling_is_typed_and_only_reads_are_retried() -> None:
    """Tencent throttles with HTTP 200 + ``RequestLimitExceeded``; reads are retried, creates are not."""
    emulator = build_tencent_emulator()
    assert emulator.faults is not None
    emulator.faults.add(
        "tencent_apigw", "DescribeServicesStatus", kind="throttle", rate=1.0, retry_after=None
    )
    emulator.faults.add("tencent_apigw", "CreateService", kind="throttle", rate=1.0, retry_after=None)
    auth = TencentTC3Auth(DEMO_TENCENT_SECRET_ID, DEMO_TENCENT_SECRET_KEY, "apigateway", region=REGION)
    retry = RetryPolicy(max_attempts=3, sleep=_no_sleep)
    http = make_client(ENDPOINT, auth, service="tencent_apigw", retry=retry, transport=emulator.transport())
    async with TencentApigwClient(http, region=REGION) as client:
        with pytest.raises(ThrottledError) as read:
            await client.describe_services_status()
        with pytest.raises(ThrottledError) as write:
            await client.create_service("demo")
    assert read.value.error_code.startswith("RequestLimitExceeded")
    assert write.value.error_code.startswith("RequestLimitExceeded")
    counts = emulator.faults.counts
    assert counts[("tencent_apigw", "DescribeServicesStatus", "throttle")] == 3
    assert counts[("tencent_apigw", "CreateService", "throttle")] == 1


async def test_usage_plan_request_cap_follows_each_actions_own_table(tc_emulator: Emulator) -> None:
    """CreateUsagePlan prints ``MaxRequestNum`` as -1 or [1, 999999999], ModifyUsagePlan as [1, 99999999].

    The two tables disagree; each action enforces its own table, so a cap the create accepted cannot be
    re-sent unchanged through modify.
    """
    created = await _v3(tc_emulator, "CreateUsagePlan", {"UsagePlanName": "p", "MaxRequestNum": 999_999_999})
    plan = created.json()["Response"]["Result"]
    assert plan["MaxRequestNum"] == 999_999_999
    too_big = {"UsagePlanId": plan["UsagePlanId"], "MaxRequestNum": 999_999_999}
    assert _error(await _v3(tc_emulator, "ModifyUsagePlan", too_big)) == "InvalidParameterValue.RangeExceeded"
    ok = await _v3(
        tc_emulator, "ModifyUsagePlan", {"UsagePlanId": plan["UsagePlanId"], "MaxRequestNum": 99_999_999}
    )
    assert ok.json()["Response"]["Result"]["MaxRequestNum"] == 99_999_999


async def test_backend_timeout_accepts_the_wider_documented_bound(tc_emulator: Emulator) -> None:
    """The HTTP-backend overview says 30 s, the public-URL and websocket pages 30 min, the CreateApi table
    gives no bound; the emulator accepts up to 1800 s so that no documented configuration is refused."""
    service = (await _v3(tc_emulator, "CreateService", {"ServiceName": "t", "Protocol": "http"})).json()
    base = {
        "ServiceId": service["Response"]["ServiceId"],
        "Protocol": "HTTP",
        "ServiceType": "MOCK",
        "ServiceMockReturnMessage": "x",
    }
    ok = await _v3(
        tc_emulator,
        "CreateApi",
        {**base, "ServiceTimeout": 1800, "RequestConfig": {"Path": "/a", "Method": "GET"}},
    )
    assert ok.json()["Response"]["Result"]["ApiId"].startswith("api-")
    over = {**base, "ServiceTimeout": 1801, "RequestConfig": {"Path": "/b", "Method": "GET"}}
    assert _error(await _v3(tc_emulator, "CreateApi", over)) == "InvalidParameterValue.RangeExceeded"


def test_every_action_has_its_parameter_table() -> None:
    from devkit.emulator.services.tencent_apigw import ACTIONS
    from devkit.emulator.services.tencent_apigw.routes import PARAMETERS

    assert set(ACTIONS) == set(PARAMETERS)


async def test_client_over_a_socket_via_the_endpoint_override(
    emulator_server: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """``OPSFN_ENDPOINT_TENCENT_APIGW`` points the client at ``opsfn emulator``; the real Host (with its port)
    is signed and verified."""
    monkeypatch.setenv("OPSFN_ENDPOINT_TENCENT_APIGW", emulator_server)
    async with TencentApigwClient.from_settings(Settings.from_env()) as client:
        created = await client.create_service("socket")
        assert [s.service_id async for s in client.iter_services()] == [created.service_id]
