"""Requests signed by huaweicloudsdkcore's own ``Signer`` work against the emulator over a real socket.

No official SDK module covers licences (``huaweicloudsdkcodeartside`` 3.1.219 has no licence operations), so
a real integration signs by hand with the core signer; the emulator must accept exactly those requests and
refuse ones signed with the wrong key or altered after signing.
"""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import urlsplit

import httpx
import pytest
from huaweicloudsdkcore.auth.credentials import BasicCredentials
from huaweicloudsdkcore.sdk_request import SdkRequest
from huaweicloudsdkcore.signer.signer import Signer

from devkit.emulator.core import Emulator
from devkit.emulator.credentials import DEMO_HUAWEI_AK, DEMO_HUAWEI_SK

pytestmark = pytest.mark.sdk

PROJECT = "5d1c0e8b6f2a4f0e9a7b3c2d1e0f9a8b"
MACHINE = "c0ffee42" * 8


def signed(
    base_url: str,
    method: str,
    path: str,
    *,
    query: list[tuple[str, Any]] | None = None,
    body: Any = None,
    sk: str = DEMO_HUAWEI_SK,
) -> httpx.Request:
    """Sign with the official core signer and turn its result into the request that goes on the wire."""
    host = urlsplit(base_url).netloc
    headers = {"X-Project-Id": PROJECT}
    content = b""
    if body is not None:
        headers["Content-Type"] = "application/json"
        content = json.dumps(body).encode()
    request = SdkRequest(
        method=method,
        schema="http",
        host=host,
        resource_path=path,
        query_params=query or [],
        header_params=headers,
        body=content,
    )
    Signer(BasicCredentials(DEMO_HUAWEI_AK, sk, PROJECT)).sign(request)
    return httpx.Request(method, f"{base_url}{request.uri}", headers=request.header_params, content=content)


def test_all_four_operations_accept_core_signed_requests(emulator: Emulator, emulator_server: str) -> None:
    with httpx.Client() as http:
        buy = http.send(
            signed(
                emulator_server,
                "POST",
                "/v2/licenses",
                body={"spec_code": "codeartside.basic", "period_num": 1, "count": 2, "is_auto_pay": True},
            )
        )
        assert buy.status_code == 200, buy.text
        ids = buy.json()["result"]["license_ids"]

        listed = http.send(
            signed(emulator_server, "GET", "/v2/licenses", query=[("status", "NORMAL"), ("limit", 10)])
        )
        assert listed.status_code == 200, listed.text
        assert [item["id"] for item in listed.json()["result"]["iterms"]] == ids

        bind = http.send(
            signed(
                emulator_server, "POST", f"/v2/licenses/{ids[0]}/bind-user", body={"machine_code": MACHINE}
            )
        )
        assert bind.json() == {"result": True, "status": "success"}
        unbind = http.send(signed(emulator_server, "DELETE", f"/v2/licenses/{ids[0]}/unbind-user"))
        assert unbind.json() == {"result": True, "status": "success"}

    backend = emulator.service("ide").backend(PROJECT)
    assert sorted(backend.licenses) == sorted(ids) and backend.licenses[ids[0]].machine_code == ""


def test_wrong_secret_key_is_refused(emulator: Emulator, emulator_server: str) -> None:
    with httpx.Client() as http:
        response = http.send(signed(emulator_server, "GET", "/v2/licenses", sk="WrongSecretKey" * 3))
    assert response.status_code == 401
    assert response.json()["error_code"] == "APIGW.0301"
    assert DEMO_HUAWEI_SK not in response.text


def test_body_altered_after_signing_is_refused(emulator: Emulator, emulator_server: str) -> None:
    """The signature covers the body hash: a tampered count must not buy anything."""
    body = {"spec_code": "codeartside.basic", "period_num": 1, "count": 1, "is_auto_pay": True}
    good = signed(emulator_server, "POST", "/v2/licenses", body=body)
    tampered_body = json.dumps({**body, "count": 10}).encode()
    headers = {k: v for k, v in good.headers.items() if k.lower() != "content-length"}
    tampered = httpx.Request("POST", good.url, headers=headers, content=tampered_body)
    with httpx.Client() as http:
        response = http.send(tampered)
    assert response.status_code == 401
    assert emulator.service("ide").backend(PROJECT).licenses == {}
