"""The auth classes against the emulator, whose verifier reuses the same pure functions.

These catch integration mistakes a unit test cannot: a header the transport adds after signing, a token
answer the auth cannot read, a v1 body the verifier parses differently.
"""

from __future__ import annotations

import httpx
import pytest

from devkit.emulator.core import Emulator
from devkit.emulator.credentials import (
    DEMO_HUAWEI_AK,
    DEMO_HUAWEI_SK,
    DEMO_IAM_DOMAIN,
    DEMO_IAM_PASSWORD,
    DEMO_IAM_USER,
    DEMO_REGION,
    DEMO_TENCENT_SECRET_ID,
    DEMO_TENCENT_SECRET_KEY,
)
from shared.auth import HuaweiAKSKAuth, IamTokenAuth, TencentTC3Auth, TencentV1Auth
from shared.errors import AuthError

IAM = "https://iam.cn-north-4.myhuaweicloud.com"
TENCENT = "https://apigateway.tencentcloudapi.com"


async def test_iam_token_auth_gets_one_token_for_many_calls(emulator: Emulator) -> None:
    token_posts: list[httpx.Request] = []

    def counting(request: httpx.Request) -> httpx.Response:
        if request.url.path == "/v3/auth/tokens":
            token_posts.append(request)
        return emulator.handle(request)

    transport = httpx.MockTransport(counting)
    auth = IamTokenAuth(
        IAM,
        username=DEMO_IAM_USER,
        password=DEMO_IAM_PASSWORD,
        domain_name=DEMO_IAM_DOMAIN,
        project_name=DEMO_REGION,
        transport=transport,
    )
    async with httpx.AsyncClient(transport=transport, auth=auth) as client:
        for _ in range(3):
            response = await client.get(f"{IAM}/v3/projects")
            assert response.status_code == 200, response.text
    assert len(token_posts) == 1
    assert any(p["name"] == DEMO_REGION for p in response.json()["projects"])


async def test_iam_wrong_password_is_an_auth_error(emulator_transport: httpx.MockTransport) -> None:
    auth = IamTokenAuth(
        IAM,
        username=DEMO_IAM_USER,
        password="Not-Th3-Pa55word-7x",
        domain_name=DEMO_IAM_DOMAIN,
        transport=emulator_transport,
    )
    async with httpx.AsyncClient(transport=emulator_transport, auth=auth) as client:
        with pytest.raises(AuthError) as caught:
            await client.get(f"{IAM}/v3/projects")
    assert "Not-Th3-Pa55word-7x" not in str(caught.value)


@pytest.mark.parametrize(("sk", "status"), [(DEMO_HUAWEI_SK, 200), ("not-the-secret", 401)])
async def test_aksk_signature_accepted_and_forgery_refused(
    emulator_transport: httpx.MockTransport, sk: str, status: int
) -> None:
    auth = HuaweiAKSKAuth(DEMO_HUAWEI_AK, sk)
    async with httpx.AsyncClient(transport=emulator_transport, auth=auth) as client:
        response = await client.get(f"{IAM}/v3/projects", params={"name": DEMO_REGION})
    assert response.status_code == status, response.text


def _tencent_error(response: httpx.Response) -> object:
    assert response.status_code == 200
    return response.json()["Response"].get("Error")


async def test_tc3_accepted_by_the_emulator(emulator_transport: httpx.MockTransport) -> None:
    auth = TencentTC3Auth(
        DEMO_TENCENT_SECRET_ID, DEMO_TENCENT_SECRET_KEY, "apigateway", region="ap-guangzhou"
    )
    headers = {"X-TC-Action": "DescribeServicesStatus", "X-TC-Version": "2018-08-08"}
    async with httpx.AsyncClient(transport=emulator_transport, auth=auth) as client:
        response = await client.post(TENCENT, json={"Limit": 10, "Offset": 0}, headers=headers)
    assert _tencent_error(response) is None, response.text


async def test_tc3_with_wrong_key_is_a_signature_failure(emulator_transport: httpx.MockTransport) -> None:
    auth = TencentTC3Auth(DEMO_TENCENT_SECRET_ID, "wrong-key", "apigateway", region="ap-guangzhou")
    headers = {"X-TC-Action": "DescribeServicesStatus", "X-TC-Version": "2018-08-08"}
    async with httpx.AsyncClient(transport=emulator_transport, auth=auth) as client:
        response = await client.post(TENCENT, json={}, headers=headers)
    error = _tencent_error(response)
    assert isinstance(error, dict) and error["Code"] == "AuthFailure.SignatureFailure"


@pytest.mark.parametrize("method", ["GET", "POST"])
@pytest.mark.parametrize("algorithm", ["HmacSHA1", "HmacSHA256"])
async def test_v1_accepted_by_the_emulator(
    emulator_transport: httpx.MockTransport, emulator: Emulator, method: str, algorithm: str
) -> None:
    auth = TencentV1Auth(DEMO_TENCENT_SECRET_ID, DEMO_TENCENT_SECRET_KEY, algorithm=algorithm)
    params = {
        "Action": "DescribeServicesStatus",
        "Version": "2018-08-08",
        "Region": "ap-guangzhou",
        "Limit": "5",
    }
    async with httpx.AsyncClient(transport=emulator_transport, auth=auth) as client:
        if method == "GET":
            response = await client.get(TENCENT + "/", params=params)
        else:
            response = await client.post(TENCENT + "/", data=params)
    assert _tencent_error(response) is None, response.text
