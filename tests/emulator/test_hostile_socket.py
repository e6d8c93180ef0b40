"""Raw bytes on the emulator's socket get the cloud's 4xx, never a 500 from our code.

In-process tests cannot send these requests, because httpx refuses to build them. A real client (curl, an SDK
with a UTF-8 token, a fuzzer) can send them. Rebuilding such a request with ``str`` headers would make httpx
raise ``UnicodeEncodeError`` and the answer a ``500 Internal Server Error``; the ASGI adapter passes the
header bytes through unchanged, and each request below must get the documented refusal.
"""

from __future__ import annotations

import socket
from urllib.parse import urlsplit

import pytest

from devkit.emulator.credentials import DEMO_HUAWEI_AK


def _send(base_url: str, raw: bytes) -> tuple[int, bytes]:
    parts = urlsplit(base_url)
    assert parts.hostname is not None and parts.port is not None
    with socket.create_connection((parts.hostname, parts.port), timeout=10) as sock:
        sock.sendall(raw)
        data = b""
        while chunk := sock.recv(65536):
            data += chunk
    head, _, body = data.partition(b"\r\n\r\n")
    return int(head.split(b" ", 2)[1]), body


def _get(path: str, *headers: bytes) -> bytes:
    lines = [f"GET {path} HTTP/1.1".encode(), b"Host: iam.cn-north-4.myhuaweicloud.com", *headers]
    return b"\r\n".join([*lines, b"Connection: close", b"", b""])


SIGNED = (
    f"Authorization: SDK-HMAC-SHA256 Access={DEMO_HUAWEI_AK}, "
    "SignedHeaders=host;x-sdk-date;x-note, Signature=ab"
)


@pytest.mark.parametrize(
    ("raw", "status", "code"),
    [
        pytest.param(_get("/v3/projects", b"X-Auth-Token: \xe9\xff"), 401, b"APIGW.0301", id="latin-1 token"),
        pytest.param(
            _get("/v3/projects", "X-Auth-Token: 令牌".encode()), 401, b"APIGW.0301", id="utf-8 token"
        ),
        pytest.param(
            _get(
                "/v3/projects",
                b"Authorization: SDK-HMAC-SHA256 Access=\xe9, SignedHeaders=host;x-sdk-date, Signature=ab",
                b"X-Sdk-Date: 20261123T100000Z",
            ),
            401,
            b"APIGW.0301",
            id="latin-1 access key",
        ),
        pytest.param(
            _get(
                "/v3/projects",
                SIGNED.encode(),
                b"X-Sdk-Date: 20000101T000000Z",
                "X-Note: 日本".encode(),
            ),
            401,
            b"APIGW.0303",
            id="utf-8 signed header, stale date",
        ),
    ],
)
def test_non_ascii_header_bytes_are_refused_not_a_500(
    emulator_server: str, raw: bytes, status: int, code: bytes
) -> None:
    got_status, body = _send(emulator_server, raw)
    assert (got_status, code in body) == (status, True), body[:200]


def test_tencent_non_ascii_credential_is_an_auth_failure(emulator_server: str) -> None:
    raw = b"\r\n".join(
        [
            b"POST / HTTP/1.1",
            b"Host: apigateway.tencentcloudapi.com",
            b"Authorization: TC3-HMAC-SHA256 Credential=\xe9/2026-11-23/apigateway/tc3_request, "
            b"SignedHeaders=host, Signature=ab",
            b"X-TC-Action: DescribeServicesStatus",
            b"X-TC-Timestamp: 1",
            b"Content-Type: application/json",
            b"Content-Length: 2",
            b"Connection: close",
            b"",
            b"{}",
        ]
    )
    status, body = _send(emulator_server, raw)
    assert status == 200 and b"AuthFailure" in body
