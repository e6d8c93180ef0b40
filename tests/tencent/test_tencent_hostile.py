"""Hostile Tencent APIGW parameters get a documented ``Response.Error``, never a crash.

Tencent answers every error with HTTP 200 and ``{"Response": {"Error": {"Code", "Message"}, "RequestId"}}``;
an exception escaping a handler would be a bare 500 on the socket. An ``Offset`` wider than Int64
(``10**30``) is the case to watch in the list actions: ``itertools.islice`` cannot take it, so
``tencent_apigw_params.Params.integer`` refuses it (``InvalidParameter.FormatError``: every integer
parameter of the 2018-08-08 API is at most Int64, so a wider number cannot be decoded) and
``tencent_apigw_common.page`` answers an offset at or past the end with an empty page at once.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from devkit.emulator.credentials import DEMO_TENCENT_SECRET_ID, DEMO_TENCENT_SECRET_KEY
from devkit.emulator.registry import build_emulator
from devkit.emulator.services.tencent_apigw.routes import PARAMETERS
from shared.auth import TencentTC3Auth

ENDPOINT = "https://apigateway.tencentcloudapi.com"
LIST_ACTIONS = sorted(a for a, params in PARAMETERS.items() if "Offset" in params)


class Tencent:
    """A TC3-signed synchronous client on a fresh emulator, with one service, API, key, plan and app."""

    def __init__(self) -> None:
        auth = TencentTC3Auth(
            DEMO_TENCENT_SECRET_ID, DEMO_TENCENT_SECRET_KEY, "apigateway", region="ap-guangzhou"
        )
        self.emulator = build_emulator()
        self.http = httpx.Client(transport=self.emulator.transport(), auth=auth, base_url=ENDPOINT)
        self.service_id = self.ok("CreateService", {"ServiceName": "audit", "Protocol": "http"})["ServiceId"]
        self.api_id = self.ok(
            "CreateApi",
            {
                "ServiceId": self.service_id,
                "ServiceType": "MOCK",
                "ServiceTimeout": 15,
                "Protocol": "HTTP",
                "RequestConfig": {"Path": "/a", "Method": "GET"},
                "ApiName": "audit_api",
                "AuthType": "SECRET",
                "ServiceMockReturnMessage": "ok",
            },
        )["Result"]["ApiId"]
        self.key_id = self.ok("CreateApiKey", {"SecretName": "audit_key"})["Result"]["AccessKeyId"]
        self.plan_id = self.ok("CreateUsagePlan", {"UsagePlanName": "audit_plan"})["Result"]["UsagePlanId"]
        self.app_id = self.ok("CreateApiApp", {"ApiAppName": "audit_app"})["Result"]["ApiAppId"]

    def send(self, action: str, content: bytes) -> dict[str, Any]:
        """The ``Response`` object; asserts the transport-level shape every Tencent answer has."""
        headers = {"X-TC-Action": action, "X-TC-Version": "2018-08-08", "Content-Type": "application/json"}
        answer = self.http.post("/", content=content, headers=headers)
        assert answer.status_code == 200, (action, answer.status_code, answer.text[:300])
        response: dict[str, Any] = answer.json()["Response"]
        assert response["RequestId"]
        return response

    def ok(self, action: str, params: dict[str, Any]) -> dict[str, Any]:
        response = self.send(action, json.dumps(params).encode())
        assert "Error" not in response, response
        return response

    def owner_params(self, action: str) -> dict[str, Any]:
        """The id parameters ``action`` takes, filled with this fixture's real ids."""
        ids: dict[str, Any] = {
            "ServiceId": self.service_id,
            "ApiId": self.api_id,
            "AccessKeyId": self.key_id,
            "UsagePlanId": self.plan_id,
            "ApiAppId": self.app_id,
            "ApiIds": [self.api_id],
            "EnvironmentName": "release",
        }
        return {k: v for k, v in ids.items() if k in PARAMETERS[action]}


@pytest.fixture(scope="module")
def tencent() -> Iterator[Tencent]:
    client = Tencent()
    yield client
    client.http.close()


def error_code(response: dict[str, Any]) -> str:
    error = response["Error"]
    assert error["Message"] and not error["Code"].startswith("InternalError"), error
    return str(error["Code"])


@pytest.mark.parametrize("action", LIST_ACTIONS)
def test_offset_beyond_int64_is_a_format_error_and_past_the_end_is_empty(
    tencent: Tencent, action: str
) -> None:
    """``Offset: 10**30`` must not raise ``ValueError`` out of ``islice`` in any list action."""
    params = tencent.owner_params(action)
    huge = tencent.send(action, json.dumps({**params, "Offset": 10**30, "Limit": 10}).encode())
    assert error_code(huge) == "InvalidParameter.FormatError"
    assert "Offset" in huge["Error"]["Message"]
    edge = tencent.send(action, json.dumps({**params, "Offset": 2**63 - 1, "Limit": 100}).encode())
    assert "Error" not in edge, edge
    assert edge["Result"]["TotalCount"] >= 0
    listed = [v for v in edge["Result"].values() if isinstance(v, list)]
    assert listed == [[]], f"{action}: a page past the end is empty"


@pytest.mark.parametrize(
    ("content", "code"),
    [
        (b"{", "InvalidParameter.FormatError"),
        (b"[]", "InvalidParameter.FormatError"),
        (b"\xff\xfe", "InvalidParameter.FormatError"),
    ],
)
def test_malformed_bodies(tencent: Tencent, content: bytes, code: str) -> None:
    for action in ("CreateService", "CreateApi", "CreateApiKey", "CreateUsagePlan", "CreateApiApp"):
        response = tencent.send(action, content)
        assert error_code(response).split(".")[0] in ("InvalidParameter", "MissingParameter"), (
            action,
            response,
        )


@pytest.mark.parametrize("bad", [{}, [1], 7, True, None, "x" * 5000])
def test_wrong_typed_ids_are_refused(tencent: Tencent, bad: Any) -> None:
    for action, field in (
        ("DescribeService", "ServiceId"),
        ("DescribeApi", "ApiId"),
        ("DescribeApiKey", "AccessKeyId"),
        ("DescribeUsagePlan", "UsagePlanId"),
        ("DescribeApiApp", "ApiAppId"),
        ("ReleaseService", "ServiceId"),
    ):
        params = {**tencent.owner_params(action), field: bad}
        if action == "ReleaseService":
            params["EnvironmentName"] = "release"
        code = error_code(tencent.send(action, json.dumps(params).encode()))
        family = code.split(".")[0]
        assert family in ("InvalidParameter", "MissingParameter", "ResourceNotFound"), (action, bad, code)


def test_unknown_enums_and_huge_values(tencent: Tencent) -> None:
    cases: list[tuple[str, dict[str, Any], str]] = [
        ("CreateService", {"ServiceName": "s2", "Protocol": "gopher"}, "InvalidParameterValue"),
        ("CreateApiKey", {"SecretName": "k2", "AccessKeyType": "magic"}, "InvalidParameterValue"),
        ("CreateUsagePlan", {"UsagePlanName": "p2", "MaxRequestNum": 10**30}, "InvalidParameter"),
        ("CreateService", {"ServiceName": "s" * 100_000, "Protocol": "http"}, "InvalidParameter"),
        (
            "ReleaseService",
            {"ServiceId": tencent.service_id, "EnvironmentName": "staging"},
            "InvalidParameterValue",
        ),
    ]
    for action, params, family in cases:
        code = error_code(tencent.send(action, json.dumps(params).encode()))
        assert code.startswith(family), (action, params, code)


JSON_VALUES = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=40),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=10), inner, max_size=3),
    max_leaves=8,
)
FUZZED = (
    "CreateService",
    "CreateApi",
    "CreateApiKey",
    "CreateUsagePlan",
    "CreateApiApp",
    "DescribeApisStatus",
)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(action=st.sampled_from(FUZZED), data=st.data())
def test_fuzzed_parameters_never_crash(tencent: Tencent, action: str, data: st.DataObject) -> None:
    """Random JSON in the action's documented parameters: a result or a documented error, never a 500."""
    names = sorted(PARAMETERS[action])
    params = data.draw(st.dictionaries(st.sampled_from(names), JSON_VALUES, max_size=6))
    response = tencent.send(action, json.dumps(params).encode())
    if "Error" in response:
        error_code(response)


def test_published_apis_refuse_hostile_hmac_headers_without_crashing(tencent: Tencent) -> None:
    """The data plane (``/tencent-apigw/{service}/{env}/...``): garbage ``hmac`` credentials are a 4xx."""
    tencent.ok(
        "ReleaseService", {"ServiceId": tencent.service_id, "EnvironmentName": "release", "ReleaseDesc": "r"}
    )
    ident = f'hmac id="{tencent.key_id}", '
    cases = [
        {"Authorization": "hmac"},
        {"Authorization": 'hmac id="a", algorithm="md5", headers="x-date", signature="zz"'},
        {
            "Authorization": ident + 'algorithm="hmac-sha1", headers="x-date source", signature="!!!"',
            "X-Date": "bad",
        },
        {"Authorization": ident + 'algorithm="hmac-sha256", headers="x-date nope", signature="YQ=="'},
        {"Authorization": "hmac " + "x" * 10_000},
        {"Authorization": 'hmac id="\xff", signature="\xff"', "X-Date": "\xff\xfe"},
    ]
    raw = httpx.Client(transport=tencent.emulator.transport(), base_url="http://gateway.local")
    for headers in cases:
        for method in ("GET", "POST"):
            encoded = [(k.encode(), v.encode("latin-1")) for k, v in headers.items()]
            answer = raw.request(
                method, f"/tencent-apigw/{tencent.service_id}/release/a", headers=encoded, content=b"{"
            )
            assert 400 <= answer.status_code < 500, (headers, method, answer.status_code)
            assert answer.json()["message"]
