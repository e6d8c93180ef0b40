"""The loopback server: same answers as in-process, official-SDK signatures, socket-level faults."""

from __future__ import annotations

import json
import time

import httpx
import pytest
from click.testing import CliRunner

from devkit.emulator.command import emulator_command
from devkit.emulator.core import Emulator
from devkit.emulator.credentials import DEMO_HUAWEI_AK, DEMO_HUAWEI_SK
from devkit.emulator.server import running_server
from devkit.emulator.services.smn import SmnService
from shared.auth import HuaweiAKSKAuth


def _auth() -> HuaweiAKSKAuth:
    return HuaweiAKSKAuth(DEMO_HUAWEI_AK, DEMO_HUAWEI_SK)


def _comparable(response: httpx.Response) -> tuple[int, object]:
    body = response.json()
    body.pop("request_id", None)
    return response.status_code, body


def test_socket_answer_equals_in_process_answer(
    emulator: Emulator, emulator_server: str, project_id: str
) -> None:
    path = f"/v2/{project_id}/notifications/topics"
    with httpx.Client(base_url=emulator_server, auth=_auth()) as client:
        created = client.post(path, json={"name": "alerts"})
        assert created.status_code == 201
        over_socket = client.get(path, params={"name": "alerts"})
        missing = client.post(f"{path}/urn:smn:cn-north-4:{project_id}:nope/publish", json={"message": "x"})
    with httpx.Client(base_url="http://in-process", auth=_auth(), transport=emulator.transport()) as client:
        in_process = client.get(path, params={"name": "alerts"})
        missing_in_process = client.post(
            f"{path}/urn:smn:cn-north-4:{project_id}:nope/publish", json={"message": "x"}
        )
    assert _comparable(over_socket) == _comparable(in_process)
    assert (
        _comparable(missing)
        == _comparable(missing_in_process)
        == (404, {"code": "SMN.0006", "message": "Topic not found."})
    )
    assert over_socket.headers["content-type"] == in_process.headers["content-type"]


def test_host_header_is_preserved_for_signature_checks(emulator_server: str, project_id: str) -> None:
    """The signature covers Host; the server must rebuild the request with the host the client signed."""
    with httpx.Client(base_url=emulator_server, auth=_auth()) as client:
        ok = client.get(
            f"/v2/{project_id}/notifications/topics", headers={"Host": "smn.cn-north-4.myhuaweicloud.com"}
        )
    assert ok.status_code == 200
    request = httpx.Request("GET", f"{emulator_server}/v2/{project_id}/notifications/topics")
    signed = next(_auth().auth_flow(request))
    signed.headers["Host"] = "other.example.com"  # changed after signing
    with httpx.Client() as client:
        assert client.send(signed).status_code == 401


@pytest.mark.sdk
def test_huaweicloudsdkcore_signed_requests_are_accepted(
    emulator: Emulator, emulator_server: str, project_id: str
) -> None:
    from huaweicloudsdkcore.auth.credentials import BasicCredentials
    from huaweicloudsdkcore.sdk_request import SdkRequest

    def send(method: str, path: str, body: dict[str, str] | None, sk: str) -> httpx.Response:
        scheme, host = emulator_server.split("://")
        request = SdkRequest(
            method=method,
            schema=scheme,
            host=host,
            resource_path=path,
            query_params=[("limit", 10)] if method == "GET" else [],
            header_params={"Content-Type": "application/json;charset=UTF-8"},
            body=json.dumps(body).encode() if body is not None else "",
        )
        signed = BasicCredentials(DEMO_HUAWEI_AK, sk, project_id).sign_request(request)
        url = f"{emulator_server}{signed.uri}"
        return httpx.request(method, url, headers=signed.header_params, content=signed.body or b"")

    path = f"/v2/{project_id}/notifications/topics"
    assert send("POST", path, {"name": "sdk-topic"}, DEMO_HUAWEI_SK).status_code == 201
    listed = send("GET", path, None, DEMO_HUAWEI_SK)
    assert listed.status_code == 200 and listed.json()["topics"][0]["name"] == "sdk-topic"
    rejected = send("GET", path, None, "wrong-secret")
    assert (rejected.status_code, rejected.json()["error_code"]) == (401, "APIGW.0301")
    smn = emulator.service("smn")
    assert isinstance(smn, SmnService) and "sdk-topic" in smn.backend(project_id).topics


def test_body_over_12_mb_is_413(emulator_server: str) -> None:
    with httpx.Client(base_url=emulator_server) as client:
        response = client.post("/v2/p/notifications/topics", content=b"x" * (12 * 1024 * 1024 + 1))
    assert response.status_code == 413
    assert response.json()["error_code"] == "APIGW.0201"


def test_dropped_connection_gets_no_response(
    emulator: Emulator, emulator_server: str, project_id: str
) -> None:
    assert emulator.faults is not None
    emulator.faults.add("smn", "ListTopics", kind="drop", rate=1.0)
    with (
        httpx.Client(base_url=emulator_server, auth=_auth()) as client,
        pytest.raises(httpx.RemoteProtocolError),
    ):
        client.get(f"/v2/{project_id}/notifications/topics")
    emulator.faults.clear()
    with httpx.Client(base_url=emulator_server, auth=_auth()) as client:
        assert client.get(f"/v2/{project_id}/notifications/topics").status_code == 200


def test_timeout_holds_the_connection_past_the_client_timeout(
    emulator: Emulator, emulator_server: str, project_id: str
) -> None:
    assert emulator.faults is not None
    emulator.faults.add("smn", "ListTopics", kind="timeout", rate=1.0)
    started = time.monotonic()
    with (
        httpx.Client(base_url=emulator_server, auth=_auth(), timeout=0.3) as client,
        pytest.raises(httpx.ReadTimeout),
    ):
        client.get(f"/v2/{project_id}/notifications/topics")
    assert time.monotonic() - started < 3


def test_server_stops_cleanly_and_frees_the_port(emulator: Emulator) -> None:
    with running_server(emulator) as base_url:
        assert httpx.get(f"{base_url}/nothing").status_code == 404
    with pytest.raises(httpx.ConnectError):
        httpx.get(f"{base_url}/nothing", timeout=1)


def test_emulator_help_documents_every_flag() -> None:
    result = CliRunner().invoke(emulator_command, ["--help"])
    assert result.exit_code == 0
    for text in ("--host", "--port", "--fault", "--seed", "--ide-quota", "OPSFN_ENDPOINT_", "endpoint"):
        assert text in result.output
    assert DEMO_HUAWEI_SK not in result.output


def test_emulator_rejects_a_bad_fault_spec() -> None:
    result = CliRunner().invoke(emulator_command, ["--fault", "ide:explode=0.5"])
    assert result.exit_code == 2
    assert "unknown fault kind" in result.output


def test_emulator_startup_line_names_the_url_and_the_access_key(monkeypatch: pytest.MonkeyPatch) -> None:
    served: list[tuple[str, int]] = []
    monkeypatch.setattr(
        "devkit.emulator.server.serve", lambda emulator, host, port, **kw: served.append((host, port))
    )
    result = CliRunner().invoke(
        emulator_command, ["--port", "8611", "--seed", "3", "--fault", "smn:error=0.1"]
    )
    assert result.exit_code == 0, result.output
    assert served == [("127.0.0.1", 8611)]
    assert "http://127.0.0.1:8611" in result.output and DEMO_HUAWEI_AK in result.output
    assert DEMO_HUAWEI_SK not in result.output


@pytest.fixture
def tencent_echo() -> Emulator:
    """A Tencent-authenticated service that echoes the isolation key verification resolved."""
    from devkit.emulator.core import Call, Service, json_response
    from devkit.emulator.setup import configure
    from devkit.emulator.verification import tencent_isolation_key

    emulator = Emulator()
    configure(emulator)
    service: Service[None] = Service("echo", lambda key: None, auth="tencent", key_fn=tencent_isolation_key)

    def echo(call: Call, backend: None) -> httpx.Response:
        return json_response(200, {"Response": {"Key": call.key, "RequestId": "r"}})

    service.route("POST", "/", "Echo")(echo)
    service.route("GET", "/", "Echo")(echo)
    emulator.add(service)
    return emulator


@pytest.mark.sdk
@pytest.mark.parametrize(
    ("method", "sign_method"),
    [("POST", "TC3-HMAC-SHA256"), ("GET", "TC3-HMAC-SHA256"), ("POST", "HmacSHA256"), ("GET", "HmacSHA1")],
)
def test_tencentcloud_sdk_signatures_are_accepted(
    tencent_echo: Emulator, method: str, sign_method: str
) -> None:
    from tencentcloud.common.common_client import CommonClient
    from tencentcloud.common.credential import Credential
    from tencentcloud.common.exception.tencent_cloud_sdk_exception import TencentCloudSDKException
    from tencentcloud.common.profile.client_profile import ClientProfile
    from tencentcloud.common.profile.http_profile import HttpProfile

    from devkit.emulator.credentials import (
        DEMO_TENCENT_ACCOUNT,
        DEMO_TENCENT_SECRET_ID,
        DEMO_TENCENT_SECRET_KEY,
    )

    with running_server(tencent_echo) as base_url:
        http = HttpProfile(endpoint=base_url.split("://")[1], protocol="http", reqMethod=method)
        profile = ClientProfile(httpProfile=http, signMethod=sign_method)

        def client(secret_key: str) -> CommonClient:
            cred = Credential(DEMO_TENCENT_SECRET_ID, secret_key)
            return CommonClient("apigateway", "2018-08-08", cred, "ap-shanghai", profile=profile)

        answer = client(DEMO_TENCENT_SECRET_KEY).call_json("DescribeServicesStatus", {"Limit": 10})
        assert answer["Response"]["Key"] == f"{DEMO_TENCENT_ACCOUNT}/ap-shanghai"
        # Tencent reports the failure inside HTTP 200; the SDK raises only when Content-Type is exactly
        # application/json, so this also pins the emulator's content type.
        with pytest.raises(TencentCloudSDKException) as info:
            client("wrong-key").call_json("DescribeServicesStatus", {"Limit": 10})
        assert info.value.get_code() == "AuthFailure.SignatureFailure"


def test_listening_socket_disables_nagle() -> None:
    """Without TCP_NODELAY every keep-alive answer waited ~40 ms for the client's delayed ACK."""
    import socket

    from devkit.emulator.server import listening_socket

    sock = listening_socket("127.0.0.1", 0)
    try:
        assert sock.getsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY) == 1
    finally:
        sock.close()
