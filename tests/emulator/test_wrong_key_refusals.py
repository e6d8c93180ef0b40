"""Requests signed with a wrong key are refused exactly as the clouds refuse them.

The SDK tests pin the status and the error code. This adds the rest of the shape and the side-effect
rule, over the wire with no SDK in between:

* Huawei APIG (behind the API gateway): HTTP 401, body exactly ``{"error_code", "error_msg",
  "request_id"}``, ``APIGW.0301`` with the gateway's "Incorrect IAM authentication information: ..." message
  for a wrong SK and for an unknown AK; a clock 16 minutes off is ``APIGW.0303`` (platform.md: skew over
  15 minutes) - and a refused create changes nothing.
* Tencent APIGW: HTTP **200**, ``{"Response": {"Error": {"Code", "Message"}, "RequestId"}}`` with the
  documented ``AuthFailure.SignatureFailure`` message verbatim (tencent-apigw.md, common errors example),
  ``AuthFailure.SecretIdNotFound`` for an unknown SecretId, ``AuthFailure.SignatureExpire`` past 5 minutes.

No secret (right or wrong) appears in any refusal.
"""

from __future__ import annotations

import json
from datetime import datetime, timedelta, timezone
from typing import Any

import httpx

from devkit.emulator.core import Emulator
from devkit.emulator.credentials import (
    DEMO_HUAWEI_AK,
    DEMO_HUAWEI_SK,
    DEMO_TENCENT_SECRET_ID,
    DEMO_TENCENT_SECRET_KEY,
)
from devkit.emulator.services.apig.state import DEFAULT_INSTANCE_ID
from shared.auth import HuaweiAKSKAuth, TencentTC3Auth

PROJECT = "d4d4d4d4d4d4d4d4d4d4d4d4d4d4d4d4"
APIG = "https://apig.cn-north-4.myhuaweicloud.com"
GROUPS = f"/v2/{PROJECT}/apigw/instances/{DEFAULT_INSTANCE_ID}/api-groups"
WRONG_SK = "WrongSecretKeyWrongSecretKey0000000000"
DOCUMENTED_SIGNATURE_FAILURE = (
    "The provided credentials could not be validated. Please check your signature is correct."
)


def huawei(emulator: Emulator, ak: str, sk: str, skew: timedelta = timedelta()) -> httpx.Client:
    auth = HuaweiAKSKAuth(ak, sk, clock=lambda: datetime.now(timezone.utc) + skew)
    return httpx.Client(transport=emulator.transport(), auth=auth, base_url=APIG)


def assert_no_secret(text: str) -> None:
    for secret in (DEMO_HUAWEI_SK, WRONG_SK, DEMO_TENCENT_SECRET_KEY):
        assert secret not in text


def test_huawei_refusals_have_the_gateway_shape_and_no_effect(emulator: Emulator) -> None:
    cases = [
        (
            huawei(emulator, DEMO_HUAWEI_AK, WRONG_SK),
            "APIGW.0301",
            "Incorrect IAM authentication information: ",
        ),
        (
            huawei(emulator, "UNKNOWNAK0000000000X", DEMO_HUAWEI_SK),
            "APIGW.0301",
            "Incorrect IAM authentication",
        ),
        (
            huawei(emulator, DEMO_HUAWEI_AK, DEMO_HUAWEI_SK, skew=timedelta(minutes=16)),
            "APIGW.0303",
            "Incorrect app authentication information: signature expired",
        ),
    ]
    for client, code, prefix in cases:
        with client:
            answer = client.post(GROUPS, json={"name": "never_created"})
        assert answer.status_code == 401, answer.text
        body: dict[str, Any] = answer.json()
        assert set(body) == {"error_code", "error_msg", "request_id"}
        assert body["error_code"] == code and body["error_msg"].startswith(prefix), body
        assert_no_secret(answer.text)
    with huawei(emulator, DEMO_HUAWEI_AK, DEMO_HUAWEI_SK, skew=timedelta(minutes=14)) as good:
        listed = good.get(GROUPS)
    assert listed.status_code == 200, "14 minutes of skew is still accepted"
    assert listed.json()["total"] == 0, "no refused create left a group behind"


def tencent_call(
    emulator: Emulator, secret_id: str, secret_key: str, skew: timedelta = timedelta()
) -> httpx.Response:
    auth = TencentTC3Auth(
        secret_id,
        secret_key,
        "apigateway",
        region="ap-guangzhou",
        clock=lambda: datetime.now(timezone.utc) + skew,
    )
    headers = {
        "X-TC-Action": "CreateService",
        "X-TC-Version": "2018-08-08",
        "Content-Type": "application/json",
    }
    with httpx.Client(
        transport=emulator.transport(), auth=auth, base_url="https://apigateway.tencentcloudapi.com"
    ) as client:
        return client.post(
            "/", content=json.dumps({"ServiceName": "never", "Protocol": "http"}), headers=headers
        )


def test_tencent_refusals_are_http_200_with_the_documented_error(emulator: Emulator) -> None:
    cases = [
        (
            DEMO_TENCENT_SECRET_ID,
            "WrongKeyWrongKeyWrongKey00000000",
            timedelta(),
            "AuthFailure.SignatureFailure",
        ),
        (
            "AKIDunknownunknownunknown000000000000",
            DEMO_TENCENT_SECRET_KEY,
            timedelta(),
            "AuthFailure.SecretIdNotFound",
        ),
        (
            DEMO_TENCENT_SECRET_ID,
            DEMO_TENCENT_SECRET_KEY,
            timedelta(minutes=6),
            "AuthFailure.SignatureExpire",
        ),
    ]
    for secret_id, secret_key, skew, code in cases:
        answer = tencent_call(emulator, secret_id, secret_key, skew)
        assert answer.status_code == 200 and answer.headers["content-type"] == "application/json"
        response = answer.json()["Response"]
        assert set(response) == {"Error", "RequestId"} and set(response["Error"]) == {"Code", "Message"}
        assert response["Error"]["Code"] == code
        assert_no_secret(answer.text)
        if code == "AuthFailure.SignatureFailure":
            assert response["Error"]["Message"] == DOCUMENTED_SIGNATURE_FAILURE
    listed = tencent_call(emulator, DEMO_TENCENT_SECRET_ID, DEMO_TENCENT_SECRET_KEY, timedelta(minutes=4))
    assert "Error" not in listed.json()["Response"], "4 minutes of skew is accepted"
