"""Official SDK conformance: ``tencentcloud-sdk-python-apigateway`` against the emulator on a loopback port.

Every answer must deserialize into the SDK's model with no field the model does not know - except the ones the
TCE document defines and the public SDK lacks, listed in ``_DOCUMENT_ONLY``: the document's ``CreateApiRsp``
calls the creation time ``CreateTime`` while the SDK reads ``CreatedTime`` (the emulator sends both), and the
document's DescribeServiceReleaseVersion entries are ``ServiceReleaseHistoryInfo`` with a ``ReleaseTime`` that
the SDK's ``DescribeServiceReleaseVersionResultVersionListInfo`` does not have.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable, Iterator
from functools import partial
from typing import Any, TypeVar

import pytest

from devkit.emulator.core import Emulator
from devkit.emulator.credentials import DEMO_TENCENT_SECRET_ID, DEMO_TENCENT_SECRET_KEY

pytestmark = pytest.mark.sdk

R = TypeVar("R")
_DOCUMENT_ONLY = {"CreateTime", "ReleaseTime"}


@pytest.fixture
def sdk_client(emulator: Emulator) -> Iterator[Callable[[str], Any]]:
    """``make(secret_key, sign_method)`` -> an ``ApigatewayClient`` for the full emulator on a free port."""
    from tencentcloud.apigateway.v20180808.apigateway_client import ApigatewayClient
    from tencentcloud.common.credential import Credential
    from tencentcloud.common.profile.client_profile import ClientProfile
    from tencentcloud.common.profile.http_profile import HttpProfile

    from devkit.emulator.server import running_server

    with running_server(emulator) as base_url:
        host = base_url.split("://", 1)[1].rstrip("/")

        def make(secret_key: str = DEMO_TENCENT_SECRET_KEY, sign_method: str = "TC3-HMAC-SHA256") -> Any:
            http = HttpProfile(endpoint=host, protocol="http", reqTimeout=10)
            profile = ClientProfile(signMethod=sign_method, httpProfile=http)
            return ApigatewayClient(Credential(DEMO_TENCENT_SECRET_ID, secret_key), "ap-guangzhou", profile)

        yield make


def _strict(call: Callable[[], R]) -> R:
    """Run an SDK call; fail if its answer carries a field the SDK model does not know."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        result = call()
    unknown = set()
    for warning in caught:
        text = str(warning.message)
        if text.endswith("fileds are useless."):
            unknown.update(text.removesuffix(" fileds are useless.").split(","))
    assert unknown <= _DOCUMENT_ONLY, f"fields the SDK does not know: {sorted(unknown - _DOCUMENT_ONLY)}"
    return result


def _request(name: str, **fields: Any) -> Any:
    from tencentcloud.apigateway.v20180808 import models

    request = getattr(models, name)()
    request.from_json_string(__import__("json").dumps(fields))
    return request


def test_sdk_release_and_key_rotation_sequence(sdk_client: Callable[..., Any]) -> None:
    client = sdk_client()
    service = _strict(
        lambda: client.CreateService(
            _request("CreateServiceRequest", ServiceName="sdkdemo", Protocol="http&https")
        )
    )
    assert service.ServiceId.startswith("service-") and service.ServiceName == "sdkdemo"
    assert service.NetTypes == ["OUTER"] and service.CreatedTime.endswith("Z") and service.RequestId

    api = _strict(
        lambda: client.CreateApi(
            _request(
                "CreateApiRequest",
                ServiceId=service.ServiceId,
                ApiName="hello",
                AuthType="SECRET",
                Protocol="HTTP",
                ServiceType="MOCK",
                ServiceTimeout=15,
                ServiceMockReturnMessage='{"hello": "world"}',
                RequestConfig={"Path": "/hello", "Method": "GET"},
            )
        )
    )
    assert api.Result.ApiId.startswith("api-") and api.Result.Path == "/hello" and api.Result.Method == "GET"
    assert api.Result.CreatedTime.endswith("Z")

    release = _strict(
        lambda: client.ReleaseService(
            _request(
                "ReleaseServiceRequest",
                ServiceId=service.ServiceId,
                EnvironmentName="release",
                ReleaseDesc="v1",
            )
        )
    )
    assert release.Result.ReleaseDesc == "v1" and len(release.Result.ReleaseVersion) == 14

    key = _strict(
        lambda: client.CreateApiKey(
            _request("CreateApiKeyRequest", SecretName="sdk-key", AccessKeyType="auto")
        )
    )
    assert key.Result.AccessKeyId.startswith("AKID") and key.Result.Status == 1
    assert key.Result.AccessKeyType == "auto" and key.Result.AccessKeySecret

    rotated = _strict(
        lambda: client.UpdateApiKey(_request("UpdateApiKeyRequest", AccessKeyId=key.Result.AccessKeyId))
    )
    assert rotated.Result.AccessKeyId == key.Result.AccessKeyId
    assert rotated.Result.AccessKeySecret and rotated.Result.AccessKeySecret != key.Result.AccessKeySecret

    listed = _strict(
        lambda: client.DescribeApiKeysStatus(
            _request(
                "DescribeApiKeysStatusRequest",
                Limit=10,
                Filters=[{"Name": "AccessKeyId", "Values": [key.Result.AccessKeyId]}],
            )
        )
    )
    assert listed.Result.TotalCount == 1
    (only,) = listed.Result.ApiKeySet
    assert only.AccessKeyId == key.Result.AccessKeyId and only.SecretName == "sdk-key"
    assert only.AccessKeySecret == ""  # the list never returns secrets


def test_sdk_reads_every_other_answer(sdk_client: Callable[..., Any]) -> None:
    """The remaining actions the functions use, each answer strictly deserialized."""
    client = sdk_client()
    sid = client.CreateService(
        _request("CreateServiceRequest", ServiceName="other", Protocol="http")
    ).ServiceId
    create_api = _request(
        "CreateApiRequest",
        ServiceId=sid,
        ApiName="a",
        Protocol="HTTP",
        ServiceType="MOCK",
        ServiceTimeout=5,
        ServiceMockReturnMessage="x",
        RequestConfig={"Path": "/a", "Method": "GET"},
    )
    api_id = _strict(lambda: client.CreateApi(create_api)).Result.ApiId
    version = client.ReleaseService(
        _request("ReleaseServiceRequest", ServiceId=sid, EnvironmentName="test", ReleaseDesc="t")
    ).Result.ReleaseVersion
    plan = _strict(
        lambda: client.CreateUsagePlan(
            _request("CreateUsagePlanRequest", UsagePlanName="p", MaxRequestNumPreSec=10)
        )
    )
    key_id = client.CreateApiKey(_request("CreateApiKeyRequest", SecretName="k")).Result.AccessKeyId
    app = _strict(lambda: client.CreateApiApp(_request("CreateApiAppRequest", ApiAppName="app")))
    uid = plan.Result.UsagePlanId
    calls: list[tuple[str, dict[str, Any]]] = [
        ("DescribeService", {"ServiceId": sid}),
        ("DescribeServicesStatus", {"Filters": [{"Name": "ServiceName", "Values": ["other"]}]}),
        ("ModifyService", {"ServiceId": sid, "ServiceDesc": "d"}),
        ("DescribeApi", {"ServiceId": sid, "ApiId": api_id}),
        ("DescribeApisStatus", {"ServiceId": sid}),
        ("DescribeServiceReleaseVersion", {"ServiceId": sid}),
        ("DescribeServiceEnvironmentReleaseHistory", {"ServiceId": sid, "EnvironmentName": "test"}),
        ("DescribeServiceEnvironmentList", {"ServiceId": sid}),
        ("UpdateService", {"ServiceId": sid, "EnvironmentName": "test", "VersionName": version}),
        ("BindSecretIds", {"UsagePlanId": uid, "AccessKeyIds": [key_id]}),
        (
            "BindEnvironment",
            {"UsagePlanIds": [uid], "BindType": "SERVICE", "Environment": "test", "ServiceId": sid},
        ),
        ("DescribeUsagePlan", {"UsagePlanId": uid}),
        ("DescribeUsagePlansStatus", {}),
        ("DescribeUsagePlanSecretIds", {"UsagePlanId": uid}),
        ("DescribeUsagePlanEnvironments", {"UsagePlanId": uid, "BindType": "SERVICE"}),
        ("DescribeServiceUsagePlan", {"ServiceId": sid}),
        ("DescribeApiUsagePlan", {"ServiceId": sid}),
        ("DescribeApiKey", {"AccessKeyId": key_id}),
        ("UpdateApiAppKey", {"ApiAppId": app.Result.ApiAppId, "ApiAppKey": app.Result.ApiAppKey}),
        (
            "BindApiApp",
            {"ApiAppId": app.Result.ApiAppId, "Environment": "test", "ServiceId": sid, "ApiId": api_id},
        ),
        ("DescribeApiAppsStatus", {}),
        ("DescribeApiAppBindApisStatus", {"ApiAppId": app.Result.ApiAppId}),
        ("DescribeApiBindApiAppsStatus", {"ServiceId": sid, "ApiIds": [api_id]}),
    ]
    for action, fields in calls:
        request = _request(f"{action}Request", **fields)
        answer = _strict(partial(getattr(client, action), request))
        assert answer.RequestId, action
    described = client.DescribeService(_request("DescribeServiceRequest", ServiceId=sid))
    assert described.AvailableEnvironments == ["test"] and described.ApiIdStatusSet[0].ApiId == api_id
    assert described.UsagePlanList[0].UsagePlanId == uid


def test_sdk_errors(sdk_client: Callable[..., Any]) -> None:
    """Errors surface as ``TencentCloudSDKException`` with the code and the request id."""
    from tencentcloud.common.exception.tencent_cloud_sdk_exception import TencentCloudSDKException

    client = sdk_client()
    with pytest.raises(TencentCloudSDKException) as missing:
        client.DescribeService(_request("DescribeServiceRequest", ServiceId="service-nothere"))
    assert missing.value.get_code() == "ResourceNotFound.InvalidService" and missing.value.get_request_id()
    with pytest.raises(TencentCloudSDKException) as bad_env:
        client.ReleaseService(
            _request("ReleaseServiceRequest", ServiceId="service-x", EnvironmentName="prod", ReleaseDesc="d")
        )
    assert bad_env.value.get_code() in ("ResourceNotFound.InvalidService", "InvalidParameterValue.InvalidEnv")


def test_sdk_wrong_key_is_refused_with_signature_failure(sdk_client: Callable[..., Any]) -> None:
    """A wrong SecretKey: ``TencentCloudSDKException`` ``AuthFailure.SignatureFailure``, and no effect."""
    from tencentcloud.common.exception.tencent_cloud_sdk_exception import TencentCloudSDKException

    wrong = sdk_client("ThisIsNotTheSecretKey0000000000000")
    with pytest.raises(TencentCloudSDKException) as refused:
        wrong.CreateService(_request("CreateServiceRequest", ServiceName="never", Protocol="http"))
    assert refused.value.get_code() == "AuthFailure.SignatureFailure"
    listed = sdk_client().DescribeServicesStatus(_request("DescribeServicesStatusRequest"))
    assert listed.Result.TotalCount == 0  # the refused call created nothing


@pytest.mark.parametrize("sign_method", ["HmacSHA256", "HmacSHA1"])
def test_sdk_signature_v1_form_requests(sdk_client: Callable[..., Any], sign_method: str) -> None:
    """The SDK's v1 mode posts flattened form fields (``NetTypes.0``, ``Filters.0.Values.0``)."""
    client = sdk_client(sign_method=sign_method)
    created = _strict(
        lambda: client.CreateService(
            _request("CreateServiceRequest", ServiceName="vone", Protocol="http", NetTypes=["INNER", "OUTER"])
        )
    )
    assert created.NetTypes == ["INNER", "OUTER"]
    listed = _strict(
        lambda: client.DescribeServicesStatus(
            _request(
                "DescribeServicesStatusRequest",
                Limit=5,
                Filters=[{"Name": "ServiceId", "Values": [created.ServiceId]}],
            )
        )
    )
    assert listed.Result.TotalCount == 1 and listed.Result.ServiceSet[0].ServiceName == "vone"
