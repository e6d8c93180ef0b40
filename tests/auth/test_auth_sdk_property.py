"""Property tests: our signers produce the same Authorization as the official SDKs on generated requests.

The comparison is made on the request *as httpx will send it*: the SDK is handed the raw path, the decoded
query pairs and the headers taken from the httpx request, so a difference can only come from the signing
algorithm itself (canonical URI, query sorting/encoding, header selection, body hashing, token headers).
"""

from __future__ import annotations

import json
from datetime import datetime, timezone
from typing import Any
from urllib.parse import parse_qsl, quote

import httpx
import pytest
from huaweicloudsdkcore.auth.credentials import BasicCredentials
from huaweicloudsdkcore.sdk_request import SdkRequest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from tencentcloud.apigateway.v20180808 import apigateway_client
from tencentcloud.common import credential
from tencentcloud.common.http.request import RequestInternal
from tencentcloud.common.profile.client_profile import ClientProfile
from tencentcloud.common.profile.http_profile import HttpProfile

from shared.auth import HuaweiAKSKAuth, TencentTC3Auth

pytestmark = pytest.mark.sdk

PROPERTY_SETTINGS = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])

# Path and query text: ASCII letters, reserved and unsafe characters, spaces, '%', '~', and non-ASCII.
_TEXT_ALPHABET = st.sampled_from([*"aZ09-._~ !$&'()*+,;=:@%?#/[]", "é", "中", "😀", "\u00a0"])
_SEGMENT = st.text(_TEXT_ALPHABET, min_size=0, max_size=8).filter(lambda s: s not in (".", ".."))
_QUERY_TEXT = st.text(_TEXT_ALPHABET, min_size=0, max_size=8)
_HEADER_NAME = st.text(st.sampled_from(list("abcXYZ-_0")), min_size=1, max_size=10).filter(
    lambda s: (
        s[0] != "-"
        and s.lower() not in {"host", "authorization", "content-type", "content-length", "connection"}
        and not s.lower().startswith(("x-sdk", "x-security", "x-project"))
    )
)
_HEADER_VALUE = st.text(st.characters(min_codepoint=0x21, max_codepoint=0x7E), min_size=1, max_size=12)
_BODY = st.one_of(
    st.just(b""),
    st.binary(min_size=1, max_size=64),
    st.dictionaries(st.text(max_size=5), st.text(max_size=5), max_size=3).map(
        lambda d: json.dumps(d, ensure_ascii=False).encode()
    ),
)


def _escape_segment(segment: str) -> str:
    # Percent-encode only the characters that would end the path; httpx encodes the rest (spaces, unicode).
    return segment.replace("%", "%25").replace("?", "%3F").replace("#", "%23").replace("/", "%2F")


_SEGMENT_FORM = st.sampled_from(
    [_escape_segment, lambda s: quote(s, safe=""), lambda s: quote(s, safe="~!$&'()*+,;=:@")]
)
_QUERY_KEY = st.one_of(st.sampled_from(["a", "b", "a b", "é"]), _QUERY_TEXT.filter(bool))


@st.composite
def huawei_requests(draw: st.DrawFn) -> dict[str, Any]:
    segments = draw(st.lists(_SEGMENT, min_size=0, max_size=4))
    # Raw text, fully percent-encoded, or encoded except reserved characters: all must sign alike.
    path = "/" + "/".join(draw(_SEGMENT_FORM)(s) for s in segments)
    if draw(st.booleans()):
        path += "/"
    headers = draw(st.dictionaries(_HEADER_NAME, _HEADER_VALUE, max_size=3))
    # No two generated header names may collide case-insensitively.
    lowered: dict[str, str] = {}
    for name, value in headers.items():
        lowered.setdefault(name.lower(), value)
    content_type = draw(
        st.sampled_from([None, "application/json", "application/json;charset=UTF-8", "application/bson"])
    )
    return {
        "method": draw(st.sampled_from(["GET", "POST", "PUT", "DELETE", "PATCH"])),
        "path": path,
        "query": draw(st.lists(st.tuples(_QUERY_KEY, _QUERY_TEXT), max_size=6)),
        "headers": lowered,
        "content_type": content_type,
        "body": draw(_BODY),
        "token": draw(
            st.one_of(st.none(), st.text(st.sampled_from("abcXYZ019+/="), min_size=1, max_size=20))
        ),
        "project_id": draw(st.one_of(st.none(), st.just("0123456789abcdef0123456789abcdef"))),
    }


@PROPERTY_SETTINGS
@given(
    spec=huawei_requests(),
    moment=st.datetimes(datetime(2000, 1, 1), datetime(2099, 12, 31), timezones=st.just(timezone.utc)),
)
def test_huawei_matches_core_sdk_signer(spec: dict[str, Any], moment: datetime) -> None:
    headers = dict(spec["headers"])
    if spec["content_type"]:
        headers["Content-Type"] = spec["content_type"]
    request = httpx.Request(
        spec["method"],
        "https://svc.cn-north-4.example.com" + spec["path"],
        params=spec["query"] or None,
        headers=headers,
        content=spec["body"],
    )
    # What the SDK would be given for the same wire request (it adds Host itself; Content-Length is added
    # by the HTTP library after signing).
    raw_path, _, raw_query = request.url.raw_path.partition(b"?")
    sdk_headers = {k: v for k, v in request.headers.items() if k not in ("host", "content-length")}
    sdk_headers["X-Sdk-Date"] = moment.strftime("%Y%m%dT%H%M%SZ")
    sdk_request = SdkRequest(
        method=spec["method"],
        schema="https",
        host=request.url.host,
        resource_path=raw_path.decode(),
        query_params=parse_qsl(raw_query.decode(), keep_blank_values=True),
        header_params=sdk_headers,
        body=spec["body"] or None,
    )
    credentials = BasicCredentials("AKPROPERTY", "SK/property+secret", spec["project_id"])
    if spec["token"]:
        credentials.with_security_token(spec["token"])
    signed = credentials.sign_request(sdk_request)

    auth = HuaweiAKSKAuth(
        "AKPROPERTY",
        "SK/property+secret",
        security_token=spec["token"],
        clock=lambda: moment,
        project_id=spec["project_id"],
    )
    auth.sign(request)
    assert request.headers["Authorization"] == signed.header_params["Authorization"]


# ---------------------------------------------------------------------------------------------- Tencent

_PARAM_NAME = st.text(st.sampled_from(list("AbcZ09._")), min_size=1, max_size=8)
_PARAM_VALUE = st.one_of(
    st.text(_TEXT_ALPHABET, max_size=10),
    st.integers(min_value=-(10**6), max_value=10**6),
)


@PROPERTY_SETTINGS
@given(
    method=st.sampled_from(["GET", "POST"]),
    params=st.dictionaries(_PARAM_NAME, _PARAM_VALUE, max_size=5),
    token=st.one_of(st.none(), st.text(st.sampled_from("abcXYZ019"), min_size=1, max_size=16)),
    region=st.sampled_from(["ap-guangzhou", "shjr", ""]),
)
def test_tc3_matches_tencentcloud_sdk(
    method: str, params: dict[str, Any], token: str | None, region: str
) -> None:
    host = "apigateway.api3.finance.cloud.tencent.com"
    profile = ClientProfile(httpProfile=HttpProfile(reqMethod=method, endpoint=host))
    cred = credential.Credential("AKIDPROPERTY", "secret/key+1", token)
    client = apigateway_client.ApigatewayClient(cred, region, profile)
    sdk_request = RequestInternal(host, method, "/")
    client._build_req_with_tc3_signature("DescribeServicesStatus", params, sdk_request)
    timestamp = int(sdk_request.header["X-TC-Timestamp"])

    sent_headers = {
        k: v for k, v in sdk_request.header.items() if k not in ("Authorization", "X-TC-Region", "X-TC-Token")
    }
    url = f"https://{host}/" + (f"?{sdk_request.data}" if method == "GET" else "")
    request = httpx.Request(
        method, url, headers=sent_headers, content=sdk_request.data.encode() if method == "POST" else b""
    )
    assert request.url.query.decode() == (sdk_request.data if method == "GET" else "")
    auth = TencentTC3Auth(
        "AKIDPROPERTY",
        "secret/key+1",
        "apigateway",
        token=token,
        clock=lambda: datetime.fromtimestamp(timestamp, timezone.utc),
        region=region or None,
    )
    auth.sign(request)
    assert request.headers["Authorization"] == sdk_request.header["Authorization"]
    assert request.headers.get("X-TC-Token") == sdk_request.header.get("X-TC-Token")
    assert request.headers.get("X-TC-Region") == sdk_request.header.get("X-TC-Region")
