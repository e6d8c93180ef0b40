"""Every Tencent APIGW action's answer is exactly what the official SDK's model reads.

A raw TC3-signed scenario (no opsfn client in the loop) calls all 46 emulated actions once on their happy
path. Each ``Response`` is then loaded into ``tencentcloud...v20180808.models.<Action>Response`` and checked
two ways a warnings-only SDK round trip (``test_tencent_sdk.py``) does not:

* top-level fields too: the SDK's top-level ``_deserialize`` never warns about unknown fields (only nested
  models do), so a misspelt top-level field would pass a warnings-only check;
* values, not only names: ``model._serialize()`` (the SDK's own re-serialization) must give back the answer
  - a value the model reads differently (a list where it wants an object, a nested field lost) shows here.

The document-only fields (``CreateTime`` of ``CreateApiRsp``, ``ReleaseTime`` of the release-version
entries: the TCE document has them, the public SDK lacks them) are the only exceptions.
"""

from __future__ import annotations

import json
import warnings
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from tencentcloud.apigateway.v20180808 import models

from devkit.emulator.credentials import DEMO_TENCENT_SECRET_ID, DEMO_TENCENT_SECRET_KEY
from devkit.emulator.registry import build_emulator
from devkit.emulator.services.tencent_apigw import ACTIONS
from shared.auth import TencentTC3Auth

pytestmark = pytest.mark.sdk  # conformance against the official SDKs' own models

ENDPOINT = "https://apigateway.tencentcloudapi.com"
DOCUMENT_ONLY = {"CreateTime", "ReleaseTime"}
# The public SDK has no DescribeApiApp; the TCE document types its Result as ``ApiAppInfos``, the same
# structure DescribeApiAppsStatus returns, so that model reads it.
MODEL_OF = {"DescribeApiApp": "DescribeApiAppsStatus"}


class Wire:
    def __init__(self) -> None:
        auth = TencentTC3Auth(
            DEMO_TENCENT_SECRET_ID, DEMO_TENCENT_SECRET_KEY, "apigateway", region="ap-guangzhou"
        )
        self.http = httpx.Client(transport=build_emulator().transport(), auth=auth, base_url=ENDPOINT)
        self.answers: list[tuple[str, dict[str, Any]]] = []

    def call(self, action: str, **params: Any) -> dict[str, Any]:
        headers = {"X-TC-Action": action, "X-TC-Version": "2018-08-08", "Content-Type": "application/json"}
        answer = self.http.post("/", content=json.dumps(params).encode(), headers=headers)
        assert answer.status_code == 200
        response: dict[str, Any] = answer.json()["Response"]
        assert "Error" not in response, (action, response)
        self.answers.append((action, response))
        return response


def scenario(w: Wire) -> None:
    sid = w.call("CreateService", ServiceName="conf", Protocol="http&https")["ServiceId"]
    w.call("ModifyService", ServiceId=sid, ServiceDesc="d")
    mock = {
        "ServiceId": sid,
        "ServiceType": "MOCK",
        "ServiceTimeout": 15,
        "Protocol": "HTTP",
        "RequestConfig": {"Path": "/m", "Method": "GET"},
        "ApiName": "mockapi",
        "AuthType": "SECRET",
        "ServiceMockReturnMessage": "ok",
    }
    api_id = w.call("CreateApi", **mock)["Result"]["ApiId"]
    http_api = w.call(
        "CreateApi",
        **{
            **mock,
            "ApiName": "httpapi",
            "ServiceType": "HTTP",
            "RequestConfig": {"Path": "/h", "Method": "POST"},
            "ServiceConfig": {"Url": "http://backend.example.com", "Path": "/x", "Method": "POST"},
        },
    )["Result"]["ApiId"]
    w.call("ModifyApi", **{**mock, "ApiId": api_id, "ServiceMockReturnMessage": "ok2"})
    w.call("DescribeApi", ServiceId=sid, ApiId=api_id)
    w.call("DescribeApisStatus", ServiceId=sid)
    first = w.call("ReleaseService", ServiceId=sid, EnvironmentName="release", ReleaseDesc="one")
    w.call("ReleaseService", ServiceId=sid, EnvironmentName="test", ReleaseDesc="t")
    w.call("DescribeServiceReleaseVersion", ServiceId=sid)
    w.call("DescribeServiceEnvironmentReleaseHistory", ServiceId=sid, EnvironmentName="release")
    w.call("DescribeServiceEnvironmentList", ServiceId=sid)
    w.call(
        "UpdateService",
        ServiceId=sid,
        EnvironmentName="release",
        VersionName=first["Result"]["ReleaseVersion"],
    )
    key_id = w.call("CreateApiKey", SecretName="auto_key")["Result"]["AccessKeyId"]
    manual = w.call(
        "CreateApiKey",
        SecretName="manual_key",
        AccessKeyType="manual",
        AccessKeyId="manualkey0001",
        AccessKeySecret="manualsecret000000001",
    )["Result"]["AccessKeyId"]
    w.call("UpdateApiKey", AccessKeyId=key_id)
    w.call("UpdateApiKey", AccessKeyId=manual, AccessKeySecret="manualsecret000000002")
    w.call("DisableApiKey", AccessKeyId=manual)
    w.call("EnableApiKey", AccessKeyId=manual)
    w.call("DescribeApiKey", AccessKeyId=key_id)
    w.call("DescribeApiKeysStatus", Limit=10)
    plan = w.call("CreateUsagePlan", UsagePlanName="plan", MaxRequestNum=1000, MaxRequestNumPreSec=10)
    uid = plan["Result"]["UsagePlanId"]
    w.call("ModifyUsagePlan", UsagePlanId=uid, UsagePlanName="plan2")
    w.call("BindSecretIds", UsagePlanId=uid, AccessKeyIds=[key_id])
    w.call("BindEnvironment", UsagePlanIds=[uid], BindType="SERVICE", Environment="release", ServiceId=sid)
    w.call("DescribeUsagePlan", UsagePlanId=uid)
    w.call("DescribeUsagePlansStatus")
    w.call("DescribeUsagePlanSecretIds", UsagePlanId=uid)
    w.call("DescribeUsagePlanEnvironments", UsagePlanId=uid, BindType="SERVICE")
    w.call("DescribeServiceUsagePlan", ServiceId=sid)
    w.call("DescribeApiUsagePlan", ServiceId=sid)
    w.call("DescribeService", ServiceId=sid)
    w.call("DescribeServicesStatus", Filters=[{"Name": "ServiceName", "Values": ["conf"]}])
    w.call("UnBindEnvironment", UsagePlanIds=[uid], BindType="SERVICE", Environment="release", ServiceId=sid)
    w.call("UnBindSecretIds", UsagePlanId=uid, AccessKeyIds=[key_id])
    app = w.call("CreateApiApp", ApiAppName="app")["Result"]
    w.call("ModifyApiApp", ApiAppId=app["ApiAppId"], ApiAppName="app2")
    w.call("DescribeApiApp", ApiAppId=app["ApiAppId"])
    w.call("UpdateApiAppKey", ApiAppId=app["ApiAppId"], ApiAppKey=app["ApiAppKey"])
    w.call("DescribeApiAppsStatus")
    binding = {"ApiAppId": app["ApiAppId"], "Environment": "release", "ServiceId": sid, "ApiId": api_id}
    w.call("BindApiApp", **binding)
    w.call("DescribeApiAppBindApisStatus", ApiAppId=app["ApiAppId"])
    w.call("DescribeApiBindApiAppsStatus", ServiceId=sid, ApiIds=[api_id])
    w.call("UnbindApiApp", **binding)
    w.call("DeleteApiApp", ApiAppId=app["ApiAppId"])
    w.call("DeleteUsagePlan", UsagePlanId=uid)
    w.call("DisableApiKey", AccessKeyId=key_id)
    w.call("DeleteApiKey", AccessKeyId=key_id)
    w.call("UnReleaseService", ServiceId=sid, EnvironmentName="release")
    w.call("UnReleaseService", ServiceId=sid, EnvironmentName="test")
    w.call("DeleteApi", ServiceId=sid, ApiId=http_api)
    w.call("DeleteApi", ServiceId=sid, ApiId=api_id)
    w.call("DeleteService", ServiceId=sid)


@pytest.fixture(scope="module")
def answers() -> Iterator[list[tuple[str, dict[str, Any]]]]:
    wire = Wire()
    scenario(wire)
    yield wire.answers
    wire.http.close()


def test_the_scenario_calls_every_emulated_action(answers: list[tuple[str, dict[str, Any]]]) -> None:
    assert {a for a, _ in answers} == set(ACTIONS)


def without_none(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: without_none(v) for k, v in value.items() if v is not None}
    if isinstance(value, list):
        return [without_none(v) for v in value]
    return value


def without(value: Any, names: set[str]) -> Any:
    if isinstance(value, dict):
        return {k: without(v, names) for k, v in value.items() if k not in names}
    if isinstance(value, list):
        return [without(v, names) for v in value]
    return value


def test_every_answer_round_trips_through_the_sdk_model(answers: list[tuple[str, dict[str, Any]]]) -> None:
    problems: list[tuple[str, object]] = []
    for action, response in answers:
        model = getattr(models, f"{MODEL_OF.get(action, action)}Response")()
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            model._deserialize(response)
        nested_unknown = {
            name
            for w in caught
            if str(w.message).endswith("fileds are useless.")
            for name in str(w.message).removesuffix(" fileds are useless.").split(",")
        }
        declared = {name[1:] for name in vars(model)}
        top_unknown = set(response) - declared
        if (nested_unknown | top_unknown) - DOCUMENT_ONLY:
            problems.append((action, sorted((nested_unknown | top_unknown) - DOCUMENT_ONLY)))
            continue
        expected = without(without_none(response), nested_unknown | top_unknown)
        if without_none(model._serialize()) != expected:
            problems.append((action, "values differ after the SDK's round trip"))
    assert problems == []


def test_key_and_secret_values_survive_the_sdk(answers: list[tuple[str, dict[str, Any]]]) -> None:
    """Spot-check values the rotation functions depend on, read through the SDK model."""
    by_action: dict[str, list[dict[str, Any]]] = {}
    for action, response in answers:
        by_action.setdefault(action, []).append(response)
    created = models.CreateApiKeyResponse()
    created._deserialize(by_action["CreateApiKey"][0])
    rotated = models.UpdateApiKeyResponse()
    rotated._deserialize(by_action["UpdateApiKey"][0])
    assert rotated.Result.AccessKeyId == created.Result.AccessKeyId
    assert rotated.Result.AccessKeySecret != created.Result.AccessKeySecret
    assert len(rotated.Result.AccessKeySecret) >= 20
    manual = models.UpdateApiKeyResponse()
    manual._deserialize(by_action["UpdateApiKey"][1])
    assert manual.Result.AccessKeySecret == "manualsecret000000002"
    listed = models.DescribeApiKeysStatusResponse()
    listed._deserialize(by_action["DescribeApiKeysStatus"][0])
    assert listed.Result.TotalCount == 2
    assert {k.AccessKeySecret for k in listed.Result.ApiKeySet} == {""}, "lists never carry secrets"
    app_key = models.UpdateApiAppKeyResponse()
    app_key._deserialize(by_action["UpdateApiAppKey"][0])
    assert app_key.Result is True
