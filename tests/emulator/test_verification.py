"""Request verification: what the emulator accepts and the exact documented errors for what it rejects."""

from __future__ import annotations

from datetime import timedelta

import httpx
import pytest

from devkit.emulator.core import Call, Emulator, Service, json_response
from devkit.emulator.credentials import (
    DEMO_HUAWEI_AK,
    DEMO_HUAWEI_SK,
    DEMO_TENCENT_ACCOUNT,
    DEMO_TENCENT_SECRET_ID,
    DEMO_TENCENT_SECRET_KEY,
)
from devkit.emulator.setup import configure
from devkit.emulator.verification import tencent_isolation_key
from shared.auth import HuaweiAKSKAuth, TencentTC3Auth, TencentV1Auth
from tests.emulator.conftest import FrozenClock

BASE = "https://smn.cn-north-4.myhuaweicloud.com"


def _topics(project_id: str) -> str:
    return f"{BASE}/v2/{project_id}/notifications/topics"


def _get(
    emulator: Emulator, url: str, auth: httpx.Auth | None = None, headers: dict[str, str] | None = None
) -> httpx.Response:
    with httpx.Client(transport=emulator.transport(), auth=auth) as client:
        return client.get(url, headers=headers)


def _error(response: httpx.Response) -> tuple[int, str, str]:
    body = response.json()
    assert set(body) == {"error_code", "error_msg", "request_id"}, body
    return response.status_code, body["error_code"], body["error_msg"]


# ------------------------------------------------------------------------------------------- Huawei AK/SK


def test_good_signature_is_accepted(emulator: Emulator, project_id: str) -> None:
    response = _get(emulator, _topics(project_id), HuaweiAKSKAuth(DEMO_HUAWEI_AK, DEMO_HUAWEI_SK))
    assert response.status_code == 200
    assert response.json()["topics"] == []


def test_wrong_secret_key_is_401_apigw_0301(emulator: Emulator, project_id: str) -> None:
    response = _get(emulator, _topics(project_id), HuaweiAKSKAuth(DEMO_HUAWEI_AK, "not-the-secret"))
    assert _error(response) == (
        401,
        "APIGW.0301",
        "Incorrect IAM authentication information: verify aksk signature fail",
    )
    assert "not-the-secret" not in response.text and DEMO_HUAWEI_SK not in response.text


def test_unknown_access_key_is_named_in_the_401(emulator: Emulator, project_id: str) -> None:
    response = _get(emulator, _topics(project_id), HuaweiAKSKAuth("UNKNOWNAK0000000000", "x"))
    assert _error(response) == (
        401,
        "APIGW.0301",
        "Incorrect IAM authentication information: ak UNKNOWNAK0000000000 not exist",
    )


def test_tampered_body_fails_the_signature(emulator: Emulator, project_id: str) -> None:
    request = httpx.Request("POST", _topics(project_id), json={"name": "a"})
    signed = next(HuaweiAKSKAuth(DEMO_HUAWEI_AK, DEMO_HUAWEI_SK).auth_flow(request))
    tampered = httpx.Request("POST", signed.url, headers=signed.headers, content=b'{"name": "b"}')
    assert _error(emulator.handle(tampered))[1] == "APIGW.0301"


def test_missing_credentials_is_401(emulator: Emulator, project_id: str) -> None:
    assert _error(_get(emulator, _topics(project_id))) == (
        401,
        "APIGW.0301",
        "Incorrect IAM authentication information: x-auth-token not found",
    )


def test_malformed_authorization_is_401(emulator: Emulator, project_id: str) -> None:
    response = _get(emulator, _topics(project_id), headers={"Authorization": "SDK-HMAC-SHA256 garbage"})
    assert _error(response)[:2] == (401, "APIGW.0301")


@pytest.mark.parametrize(("skew_minutes", "accepted"), [(14, True), (-14, True), (16, False), (-16, False)])
def test_clock_skew_limit_is_15_minutes(
    emulator: Emulator, project_id: str, clock: FrozenClock, skew_minutes: int, accepted: bool
) -> None:
    """platform.md §4 / APIG FAQ: X-Sdk-Date more than 15 min from server time → 401 APIGW.0303."""
    signer_time = clock.now + timedelta(minutes=skew_minutes)
    auth = HuaweiAKSKAuth(DEMO_HUAWEI_AK, DEMO_HUAWEI_SK, clock=lambda: signer_time)
    response = _get(emulator, _topics(project_id), auth)
    if accepted:
        assert response.status_code == 200
    else:
        status, code, msg = _error(response)
        assert (status, code) == (401, "APIGW.0303")
        assert msg.startswith("Incorrect app authentication information: signature expired")
        assert signer_time.strftime("%Y%m%dT%H%M%SZ") in msg


# ------------------------------------------------------------------------------ temporary keys and tokens


def _temporary_key(emulator: Emulator, duration: int = 900) -> tuple[str, str, str]:
    assert emulator.credentials is not None
    key = emulator.credentials.issue_temporary_key(emulator.credentials.default_user, duration)
    assert key.security_token is not None
    return key.access, key.secret, key.security_token


def test_temporary_key_with_its_security_token_is_accepted(emulator: Emulator, project_id: str) -> None:
    ak, sk, token = _temporary_key(emulator)
    assert (
        _get(emulator, _topics(project_id), HuaweiAKSKAuth(ak, sk, security_token=token)).status_code == 200
    )


def test_temporary_key_without_security_token_is_rejected(emulator: Emulator, project_id: str) -> None:
    ak, sk, _ = _temporary_key(emulator)
    status, code, msg = _error(_get(emulator, _topics(project_id), HuaweiAKSKAuth(ak, sk)))
    assert (status, code) == (401, "APIGW.0301")
    assert "x-security-token not found" in msg


def test_temporary_key_with_another_keys_token_is_rejected(emulator: Emulator, project_id: str) -> None:
    ak, sk, _ = _temporary_key(emulator)
    _, _, other_token = _temporary_key(emulator)
    response = _get(emulator, _topics(project_id), HuaweiAKSKAuth(ak, sk, security_token=other_token))
    assert _error(response) == (
        401,
        "APIGW.0301",
        "Incorrect IAM authentication information: verify security token fail",
    )
    assert other_token not in response.text


def test_expired_temporary_key_is_rejected(emulator: Emulator, project_id: str, clock: FrozenClock) -> None:
    ak, sk, token = _temporary_key(emulator, duration=900)
    clock.now += timedelta(seconds=901)
    auth = HuaweiAKSKAuth(ak, sk, security_token=token, clock=clock)
    status, code, msg = _error(_get(emulator, _topics(project_id), auth))
    assert (status, code) == (401, "APIGW.0301") and "security token expires" in msg


def _token(emulator: Emulator, project_id: str | None) -> str:
    creds = emulator.credentials
    assert creds is not None
    project = creds.project(project_id=project_id) if project_id else None
    return creds.issue_token(creds.default_user, ("password",), project=project).value


def test_iam_token_is_accepted_for_its_project(emulator: Emulator, project_id: str) -> None:
    token = _token(emulator, project_id)
    assert _get(emulator, _topics(project_id), headers={"X-Auth-Token": token}).status_code == 200


def test_iam_token_for_another_project_is_forbidden(emulator: Emulator, project_id: str) -> None:
    token = _token(emulator, project_id)
    response = _get(emulator, _topics("0" * 32), headers={"X-Auth-Token": token})
    assert _error(response)[:2] == (403, "APIGW.0302")


def test_domain_scoped_token_on_a_project_api_is_401_apig_1003(emulator: Emulator, project_id: str) -> None:
    token = _token(emulator, None)
    response = _get(emulator, _topics(project_id), headers={"X-Auth-Token": token})
    assert _error(response)[:2] == (401, "APIG.1003")


def test_unknown_and_expired_tokens_are_rejected(
    emulator: Emulator, project_id: str, clock: FrozenClock
) -> None:
    assert _error(_get(emulator, _topics(project_id), headers={"X-Auth-Token": "MIIbogus"})) == (
        401,
        "APIGW.0301",
        "Incorrect IAM authentication information: decrypt token fail",
    )
    token = _token(emulator, project_id)
    clock.now += timedelta(hours=24, seconds=1)
    status, code, msg = _error(_get(emulator, _topics(project_id), headers={"X-Auth-Token": token}))
    assert (status, code) == (401, "APIGW.0301") and "token expires" in msg


# ------------------------------------------------------------------------------------------------ Tencent


@pytest.fixture
def tencent() -> Emulator:
    """A bare emulator with one Tencent-authenticated service that echoes what verification resolved."""
    emulator = Emulator()
    configure(emulator)
    service: Service[None] = Service("echo", lambda key: None, auth="tencent", key_fn=tencent_isolation_key)

    @service.route("POST", "/", "Echo")
    def echo(call: Call, backend: None) -> httpx.Response:
        return json_response(
            200, {"Response": {"Key": call.key, "Principal": call.principal, "RequestId": "r"}}
        )

    @service.route("GET", "/", "EchoGet")
    def echo_get(call: Call, backend: None) -> httpx.Response:
        return echo(call, backend)

    emulator.add(service)
    return emulator


def _tc3(emulator: Emulator, auth: httpx.Auth, region: str = "ap-guangzhou") -> dict[str, object]:
    headers = {"X-TC-Action": "DescribeServicesStatus", "X-TC-Version": "2018-08-08", "X-TC-Region": region}
    with httpx.Client(transport=emulator.transport(), auth=auth) as client:
        response = client.post("https://apigateway.tencentcloudapi.com/", json={"Limit": 10}, headers=headers)
    assert response.status_code == 200  # Tencent answers errors with HTTP 200 too
    body: dict[str, object] = response.json()["Response"]
    return body


def _code(body: dict[str, object]) -> str:
    error = body.get("Error")
    assert isinstance(error, dict), body
    return str(error["Code"])


def test_tc3_good_signature_resolves_account_and_region(tencent: Emulator) -> None:
    body = _tc3(
        tencent, TencentTC3Auth(DEMO_TENCENT_SECRET_ID, DEMO_TENCENT_SECRET_KEY, "apigateway"), "ap-shanghai"
    )
    assert body["Key"] == f"{DEMO_TENCENT_ACCOUNT}/ap-shanghai"
    assert body["Principal"] == DEMO_TENCENT_SECRET_ID


def test_tc3_errors(tencent: Emulator) -> None:
    assert _code(_tc3(tencent, TencentTC3Auth(DEMO_TENCENT_SECRET_ID, "wrong", "apigateway"))) == (
        "AuthFailure.SignatureFailure"
    )
    assert (
        _code(_tc3(tencent, TencentTC3Auth("AKIDunknown", "x", "apigateway")))
        == "AuthFailure.SecretIdNotFound"
    )


def test_tc3_timestamp_more_than_5_minutes_off_is_signature_expire(tencent: Emulator) -> None:
    assert tencent.credentials is not None
    now = tencent.credentials.clock()
    late = TencentTC3Auth(
        DEMO_TENCENT_SECRET_ID,
        DEMO_TENCENT_SECRET_KEY,
        "apigateway",
        clock=lambda: now - timedelta(minutes=6),
    )
    assert _code(_tc3(tencent, late)) == "AuthFailure.SignatureExpire"
    fine = TencentTC3Auth(
        DEMO_TENCENT_SECRET_ID,
        DEMO_TENCENT_SECRET_KEY,
        "apigateway",
        clock=lambda: now - timedelta(minutes=4),
    )
    assert "Error" not in _tc3(tencent, fine)


def test_tc3_temporary_key_needs_its_token(tencent: Emulator) -> None:
    assert tencent.credentials is not None
    tencent.credentials.add_tencent_key("AKIDtemp", "tempkey", "1300000000", token="tok-1")
    assert (
        _code(_tc3(tencent, TencentTC3Auth("AKIDtemp", "tempkey", "apigateway")))
        == "AuthFailure.TokenFailure"
    )
    body = _tc3(tencent, TencentTC3Auth("AKIDtemp", "tempkey", "apigateway", token="tok-1"))
    assert body["Key"] == "1300000000/ap-guangzhou"


def test_missing_signature_is_invalid_authorization(tencent: Emulator) -> None:
    with httpx.Client(transport=tencent.transport()) as client:
        body = client.post("https://apigateway.tencentcloudapi.com/", json={}).json()["Response"]
    assert _code(body) == "AuthFailure.InvalidAuthorization"


@pytest.mark.parametrize("algorithm", ["HmacSHA1", "HmacSHA256"])
@pytest.mark.parametrize("method", ["GET", "POST"])
def test_v1_signatures(tencent: Emulator, algorithm: str, method: str) -> None:
    params = {"Action": "DescribeServicesStatus", "Version": "2018-08-08", "Region": "ap-beijing"}
    with httpx.Client(transport=tencent.transport()) as client:
        good = TencentV1Auth(DEMO_TENCENT_SECRET_ID, DEMO_TENCENT_SECRET_KEY, algorithm=algorithm)
        url = "https://apigateway.tencentcloudapi.com/"
        if method == "GET":
            response = client.get(url, params=params, auth=good)
        else:
            response = client.post(url, data=params, auth=good)
        assert response.json()["Response"]["Key"] == f"{DEMO_TENCENT_ACCOUNT}/ap-beijing"
        bad = TencentV1Auth(DEMO_TENCENT_SECRET_ID, "wrong", algorithm=algorithm)
        response = (
            client.get(url, params=params, auth=bad)
            if method == "GET"
            else client.post(url, data=params, auth=bad)
        )
        assert _code(response.json()["Response"]) == "AuthFailure.SignatureFailure"


def test_v1_missing_nonce_is_missing_parameter(tencent: Emulator) -> None:
    query = {"Action": "X", "SecretId": DEMO_TENCENT_SECRET_ID, "Timestamp": "1", "Signature": "x"}
    with httpx.Client(transport=tencent.transport()) as client:
        body = client.get("https://apigateway.tencentcloudapi.com/", params=query).json()["Response"]
    assert _code(body) == "MissingParameter"
