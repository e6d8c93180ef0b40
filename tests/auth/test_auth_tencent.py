"""Tencent signatures v1, v3 (TC3) and APIGW key-pair, against the TCE APIGW document's worked examples.

The document (seed 004, digested in reference/tencent-apigw.md §2, §5-§8) prints examples whose expected
values do not match their own inputs. Each test below states which printed value is right and proves it.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from datetime import datetime, timedelta, timezone
from urllib.parse import parse_qsl

import httpx
import pytest

from shared.auth import (
    SignatureFormatError,
    TencentApigwKeyAuth,
    TencentTC3Auth,
    TencentV1Auth,
    parse_tc3_authorization,
    parse_tencent_apigw_authorization,
    tc3_canonical_request,
    tc3_key_chain,
    tc3_signature_for_request,
    tencent_apigw_signature,
    tencent_apigw_signing_string,
    tencent_v1_signature,
    tencent_v1_string_to_sign,
)

SECRET_ID = "AKIDz8krbsJ5yKBZQpn74WFkmLPx3EXAMPLE"
SECRET_KEY = "Gu5t9xGARNpq86cd98joQYCN3EXAMPLE"
FINANCE_HOST = "cvm.finance.cloud.tencent.com"
PUBLIC_HOST = "cvm.tencentcloudapi.com"

V1_PARAMS = {
    "Action": "DescribeInstances",
    "SecretId": SECRET_ID,
    "Timestamp": "1465185768",
    "Nonce": "11886",
    "Region": "shjr",
    "InstanceIds.0": "ins-09dx96dg",
    "Offset": "0",
    "Limit": "20",
    "Version": "2017-03-12",
}
V1_PRINTED_STRING = (
    "GETcvm.finance.cloud.tencent.com/?Action=DescribeInstances&InstanceIds.0=ins-09dx96dg&Limit=20"
    "&Nonce=11886&Offset=0&Region=shjr&SecretId=AKIDz8krbsJ5yKBZQpn74WFkmLPx3EXAMPLE&Timestamp=1465185768"
    "&Version=2017-03-12"
)


# ------------------------------------------------------------------------------------------------ v1


def test_v1_request_string_and_string_to_sign_match_the_document() -> None:
    """Steps 2.2/2.3 are right as printed: sorted by name, raw values, ``GET`` + host + ``/`` + ``?``."""
    assert tencent_v1_string_to_sign("GET", FINANCE_HOST, "/", V1_PARAMS) == V1_PRINTED_STRING


def test_v1_printed_signature_belongs_to_the_public_cloud_string() -> None:
    """The printed ``EliP9YW3pW28FpsEdkXt/+WcGeI=`` is NOT the HMAC of the printed finance-host string.

    It is reproduced exactly by the public-cloud original (host ``cvm.tencentcloudapi.com``, Region
    ``ap-guangzhou``) - so the algorithm is right and the page's example was edited without recomputing.
    The string actually printed signs to ``8UAj5grJNx3uGNuyi0M6Gd1f5gY=``.
    """
    printed = "EliP9YW3pW28FpsEdkXt/+WcGeI="
    finance = tencent_v1_signature(SECRET_KEY, "GET", FINANCE_HOST, "/", V1_PARAMS, "HmacSHA1")
    assert finance == "8UAj5grJNx3uGNuyi0M6Gd1f5gY="
    assert finance != printed
    public = dict(V1_PARAMS, Region="ap-guangzhou")
    assert tencent_v1_signature(SECRET_KEY, "GET", PUBLIC_HOST, "/", public, "HmacSHA1") == printed


def test_v1_hmac_sha256_signs_signature_method() -> None:
    params = dict(V1_PARAMS, SignatureMethod="HmacSHA256")
    got = tencent_v1_signature(SECRET_KEY, "GET", FINANCE_HOST, "/", params, "HmacSHA256")
    assert got == "MGfMm/UGQbN0x/r8bybCLVeNhEI6gW9y4dZ8g9dBc9U="


def test_v1_demo_without_question_mark_is_wrong() -> None:
    """The document's Python demo omits ``?``; that yields a different (wrong) signature."""
    import base64
    import hmac

    buggy = V1_PRINTED_STRING.replace("/?", "/", 1)
    demo = base64.b64encode(hmac.digest(SECRET_KEY.encode(), buggy.encode(), "sha1")).decode()
    assert demo == "X7Rd1NTXiOHcjbDdSIUNQaRsO2Q="
    assert demo != tencent_v1_signature(SECRET_KEY, "GET", FINANCE_HOST, "/", V1_PARAMS, "HmacSHA1")


def test_v1_sort_is_byte_order_and_signature_excluded() -> None:
    params = {"InstanceIds.2": "b", "InstanceIds.12": "a", "Signature": "ignored"}
    assert tencent_v1_string_to_sign("post", "h", "/", params) == "POSTh/?InstanceIds.12=a&InstanceIds.2=b"


def test_v1_rejects_unknown_algorithm() -> None:
    with pytest.raises(ValueError, match="HmacSHA1"):
        tencent_v1_signature(SECRET_KEY, "GET", "h", "/", {}, "MD5")


def _v1_auth(algorithm: str = "HmacSHA1", token: str | None = None) -> TencentV1Auth:
    clock = lambda: datetime.fromtimestamp(1465185768, timezone.utc)  # noqa: E731
    return TencentV1Auth(SECRET_ID, SECRET_KEY, algorithm=algorithm, clock=clock, nonce=11886, token=token)


def test_v1_auth_get_reproduces_the_final_url_with_upper_case_escapes() -> None:
    """The printed final URL (mangled prefix stripped, public-cloud host/region as proven above) is reproduced
    byte for byte, with upper-case ``%2F%2B%3D``: the page's lower-case ``%2f%2b%3d`` variant would be
    rejected, as the page itself warns. HmacSHA1 is the default, so no SignatureMethod is added."""
    url = (
        f"https://{PUBLIC_HOST}/?Action=DescribeInstances&InstanceIds.0=ins-09dx96dg&Limit=20&Offset=0"
        "&Region=ap-guangzhou&Version=2017-03-12"
    )
    request = httpx.Request("GET", url)
    _v1_auth().sign(request)
    assert str(request.url) == (
        f"https://{PUBLIC_HOST}/?Action=DescribeInstances&InstanceIds.0=ins-09dx96dg&Limit=20&Nonce=11886"
        f"&Offset=0&Region=ap-guangzhou&SecretId={SECRET_ID}&Signature=EliP9YW3pW28FpsEdkXt%2F%2BWcGeI%3D"
        "&Timestamp=1465185768&Version=2017-03-12"
    )


def test_v1_auth_hmac_sha256_adds_signature_method() -> None:
    request = httpx.Request("GET", f"https://{FINANCE_HOST}/?Action=DescribeInstances")
    _v1_auth("HmacSHA256").sign(request)
    params = dict(parse_qsl(request.url.query.decode()))
    assert params["SignatureMethod"] == "HmacSHA256"
    signed = {k: v for k, v in params.items() if k != "Signature"}
    assert params["Signature"] == tencent_v1_signature(
        SECRET_KEY, "GET", FINANCE_HOST, "/", signed, "HmacSHA256"
    )


def test_v1_auth_post_moves_parameters_into_a_form_body() -> None:
    request = httpx.Request(
        "POST", f"https://{FINANCE_HOST}/", data={"Action": "DescribeInstances", "Limit": "2 0"}
    )
    _v1_auth("HmacSHA256", token="tmp-token").sign(request)
    assert request.headers["content-type"] == "application/x-www-form-urlencoded"
    assert int(request.headers["content-length"]) == len(request.content)
    body = request.content.decode()
    assert "Limit=2%200" in body
    params = dict(parse_qsl(body))
    assert params["Token"] == "tmp-token"
    assert params["SecretId"] == SECRET_ID
    signed = {k: v for k, v in params.items() if k != "Signature"}
    assert params["Signature"] == tencent_v1_signature(
        SECRET_KEY, "POST", FINANCE_HOST, "/", signed, "HmacSHA256"
    )


def test_v1_auth_resigns_a_retried_request() -> None:
    request = httpx.Request("GET", f"https://{FINANCE_HOST}/?Action=X")
    auth = _v1_auth()
    auth.sign(request)
    first = request.url.query
    auth.sign(request)
    assert request.url.query == first  # the old Signature/Nonce/... were replaced, not duplicated


# ------------------------------------------------------------------------------------------------ v3

_EMPTY_HASH = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
_PRINTED_EMPTY_HASH = "e3b0c44298fc1c149afb4c8996fb92427ae41e4649b934ca495991b7852b855"


def test_v3_printed_empty_payload_hash_is_truncated() -> None:
    """The printed canonical request's payload hash has 63 characters (an ``f`` is missing after ``afb``)."""
    assert hashlib.sha256(b"").hexdigest() == _EMPTY_HASH
    assert len(_PRINTED_EMPTY_HASH) == 63
    assert _EMPTY_HASH.replace("afbf4", "afb4") == _PRINTED_EMPTY_HASH


def test_v3_derived_keys() -> None:
    secret_date, secret_service, secret_signing = tc3_key_chain(SECRET_KEY, "2018-10-09", "cvm")
    assert secret_date.hex() == "e476728ff6d7bacfa7847b3d3d6d3a9e6f536992367701d4533354ca7b5d0fa5"
    assert secret_service.hex() == "6e3d6d4854b8adc273db620fefefebecb11004f335f9991439eba3c231030714"
    assert secret_signing.hex() == "39c4cf287fdff993dc407e649450ae4a0f1e1fd75aedb08d8160e47372e9b62d"


def _v3_get(host: str) -> httpx.Request:
    return httpx.Request(
        "GET",
        f"https://{host}/?Limit=10&Offset=0",
        headers={
            "Content-Type": "application/x-www-form-urlencoded",
            "X-TC-Action": "DescribeInstances",
            "X-TC-Version": "2017-03-12",
            "X-TC-Region": "shjr",
        },
    )


def test_v3_printed_signature_belongs_to_the_public_cloud_host() -> None:
    """The printed ``91c9c192...`` / ``5da7a33f...`` are reproduced only with host ``cvm.tencentcloudapi.com``
    and the correct 64-character empty hash; the printed finance host gives ``404c983c...`` / ``e58ba76f...``.
    So the algorithm as described is right, and the example's host was edited after computing."""
    canonical = tc3_canonical_request(
        "GET",
        "/",
        "Limit=10&Offset=0",
        {"Content-Type": "application/x-www-form-urlencoded", "Host": PUBLIC_HOST},
        ["content-type", "host"],
        _EMPTY_HASH,
    )
    assert hashlib.sha256(canonical.encode()).hexdigest() == (
        "91c9c192c14460df6c1ffc69e34e6c5e90708de2a6d282cccf957dbf1aa7f3a7"
    )
    public = tc3_signature_for_request(
        _v3_get(PUBLIC_HOST), SECRET_KEY, "cvm", ["content-type", "host"], 1539084154
    )
    assert public == "5da7a33f6993f0614b047e5df4582db9e9bf4672ba50567dba16c6ccf174c474"
    finance = tc3_signature_for_request(
        _v3_get(FINANCE_HOST), SECRET_KEY, "cvm", ["content-type", "host"], 1539084154
    )
    assert finance == "e58ba76f0ad56875e1ef9f67e4930f28ba11e300c6f055aace641b06f433ff1b"


def test_v3_literal_printed_canonical_request_gives_neither_printed_value() -> None:
    """Hashing the canonical request exactly as printed (finance host + truncated hash) gives ``ce718df2...``:
    the printed HashedCanonicalRequest cannot have come from the printed text."""
    literal = (
        "GET\n/\nLimit=10&Offset=0\ncontent-type:application/x-www-form-urlencoded\n"
        f"host:{FINANCE_HOST}\n\ncontent-type;host\n{_PRINTED_EMPTY_HASH}"
    )
    digest = hashlib.sha256(literal.encode()).hexdigest()
    assert digest == "ce718df233d4c7783ba6aacfdcb2d7f80a75984be6524aef9dd8d29c9365d659"
    assert digest != "91c9c192c14460df6c1ffc69e34e6c5e90708de2a6d282cccf957dbf1aa7f3a7"


def test_v3_auth_reproduces_the_final_call_headers() -> None:
    request = _v3_get(PUBLIC_HOST)
    auth = TencentTC3Auth(
        SECRET_ID,
        SECRET_KEY,
        "cvm",
        clock=lambda: datetime.fromtimestamp(1539084154, timezone.utc),
        region="shjr",
    )
    auth.sign(request)
    assert request.headers["X-TC-Timestamp"] == "1539084154"
    assert request.headers["X-TC-Region"] == "shjr"
    assert request.headers["Authorization"] == (
        f"TC3-HMAC-SHA256 Credential={SECRET_ID}/2018-10-09/cvm/tc3_request, "
        "SignedHeaders=content-type;host, "
        "Signature=5da7a33f6993f0614b047e5df4582db9e9bf4672ba50567dba16c6ccf174c474"
    )
    assert "X-TC-Token" not in request.headers


def test_v3_apigw_post_json_vector() -> None:
    request = httpx.Request(
        "POST",
        "https://apigateway.api3.finance.cloud.tencent.com/",
        headers={"Content-Type": "application/json", "X-TC-Action": "DescribeServicesStatus"},
        content=b'{"Limit": 10, "Offset": 0}',
    )
    auth = TencentTC3Auth(
        SECRET_ID,
        SECRET_KEY,
        "apigateway",
        token="tok",
        clock=lambda: datetime.fromtimestamp(1539084154, timezone.utc),
    )
    auth.sign(request)
    assert request.headers["X-TC-Token"] == "tok"
    assert request.headers["Authorization"].endswith(
        "Signature=f5008e17f1d5aa66f7f24ed57d214b551d70c8f05ec4a80bb047799cded95d81"
    )


def test_v3_credential_date_is_the_utc_date() -> None:
    """Timestamp 1551113065 is 2019-02-26 in UTC+8 but the scope date must be 2019-02-25 (UTC)."""
    moment = datetime.fromtimestamp(1551113065, timezone(timedelta(hours=8)))  # a UTC+8 clock
    assert moment.day == 26
    request = httpx.Request("POST", "https://apigateway.tencentcloudapi.com/", content=b"{}")
    TencentTC3Auth(SECRET_ID, SECRET_KEY, "apigateway", clock=lambda: moment).sign(request)
    assert parse_tc3_authorization(request.headers["Authorization"]).date == "2019-02-25"
    assert request.headers["Content-Type"] == "application/json"  # defaulted, because it must be signed


def test_v3_unsigned_payload_header() -> None:
    stamp = 1539084154
    one = httpx.Request(
        "POST", "https://h/", headers={"X-TC-Content-SHA256": "UNSIGNED-PAYLOAD"}, content=b"1"
    )
    two = httpx.Request(
        "POST", "https://h/", headers={"X-TC-Content-SHA256": "UNSIGNED-PAYLOAD"}, content=b"2"
    )
    for request in (one, two):
        request.headers["Content-Type"] = "application/octet-stream"
    sig = [
        tc3_signature_for_request(r, SECRET_KEY, "svc", ["content-type", "host"], stamp) for r in (one, two)
    ]
    assert sig[0] == sig[1]


def test_parse_tc3_authorization() -> None:
    parsed = parse_tc3_authorization(
        f"TC3-HMAC-SHA256 Credential={SECRET_ID}/2018-10-09/cvm/tc3_request, "
        "SignedHeaders=content-type;host, Signature=abc"
    )
    assert parsed == (SECRET_ID, "2018-10-09", "cvm", ("content-type", "host"), "abc")


@pytest.mark.parametrize(
    "value",
    [
        "",
        "TC3-HMAC-SHA256",
        "TC3-HMAC-SHA1 Credential=a/b/c/tc3_request, SignedHeaders=host, Signature=x",
        "TC3-HMAC-SHA256 Credential=a/b/c, SignedHeaders=host, Signature=x",
        "TC3-HMAC-SHA256 Credential=a/b/c/other, SignedHeaders=host, Signature=x",
        "TC3-HMAC-SHA256 Credential=a/b/c/tc3_request, SignedHeaders=Host, Signature=x",
        "TC3-HMAC-SHA256 Credential=a/b/c/tc3_request, Signature=x",
        "TC3-HMAC-SHA256 Credential=a/b/c/tc3_request SignedHeaders=host Signature=x",
    ],
)
def test_parse_tc3_authorization_rejects_malformed(value: str) -> None:
    with pytest.raises(SignatureFormatError):
        parse_tc3_authorization(value)


# ------------------------------------------------------------------------------------------- key pair

_KP_SECRET = "EXAMPLE-secret-key-0123456789"


def test_key_pair_signing_string_follows_the_rule_not_the_example() -> None:
    """The rule: ``lower(name) + ':' + ' ' + value``, LF-joined. The printed example
    ``date: Fri, 09 Oct 2015 00:00:00 GMT\\nsource:AndriodApp`` drops the space after ``source:`` and so
    contradicts its own rule (and the page warns that a missing space fails verification). We follow the rule.
    """
    headers = [("Date", "Fri, 09 Oct 2015 00:00:00 GMT"), ("Source", "AndriodApp")]
    rule = tencent_apigw_signing_string(headers)
    assert rule == "date: Fri, 09 Oct 2015 00:00:00 GMT\nsource: AndriodApp"
    printed = "date: Fri, 09 Oct 2015 00:00:00 GMT\nsource:AndriodApp"
    assert rule != printed
    assert tencent_apigw_signature(_KP_SECRET, rule) == "egUGQBsC5lNFrGpuIEae/8yiKrc="
    assert tencent_apigw_signature(_KP_SECRET, printed) == "gKGxYfH2DNVLbnoVuKEBphC/DZI="


def _kp_clock() -> datetime:
    return datetime(2015, 10, 9, tzinfo=timezone.utc)


def test_key_pair_auth_with_date_header_matches_the_document_example() -> None:
    """The key-pair page signs ``date`` (``headers="date source"``); with ``Date`` the gateway skips the time
    check. ``date_header="date"`` reproduces that example exactly."""
    request = httpx.Request("GET", "https://service-x-1.ap-guangzhou.apigateway.example.com/release/p")
    TencentApigwKeyAuth("AKIDkp", _KP_SECRET, source="AndriodApp", clock=_kp_clock, date_header="date").sign(
        request
    )
    assert request.headers["Date"] == "Fri, 09 Oct 2015 00:00:00 GMT"
    assert request.headers["Source"] == "AndriodApp"
    assert request.headers["Authorization"] == (
        'hmac id="AKIDkp", algorithm="hmac-sha1", headers="date source", '
        'signature="egUGQBsC5lNFrGpuIEae/8yiKrc="'
    )


def test_key_pair_auth_default_signs_x_date() -> None:
    """By default the time goes into ``X-Date`` and the signed name is ``x-date`` (the name of the header that
    carries it): the gateway then enforces its 15-minute window, which bounds replay."""
    request = httpx.Request("POST", "https://service-x-1.example.com/release/p", content=b"x")
    TencentApigwKeyAuth("AKIDkp", _KP_SECRET, clock=_kp_clock).sign(request)
    assert "Date" not in request.headers
    assert request.headers["X-Date"] == "Fri, 09 Oct 2015 00:00:00 GMT"
    parsed = parse_tencent_apigw_authorization(request.headers["Authorization"])
    assert parsed.headers == ("x-date", "source")
    expected = tencent_apigw_signature(_KP_SECRET, "x-date: Fri, 09 Oct 2015 00:00:00 GMT\nsource: opsfn")
    assert parsed.signature == expected
    assert parsed.secret_id == "AKIDkp"
    assert parsed.algorithm == "hmac-sha1"


@pytest.mark.parametrize(
    "value",
    [
        "",
        'Bearer id="a"',
        'hmac id="a", algorithm="hmac-sha1", signature="s"',
        'hmac id=a, algorithm="hmac-sha1", headers="date", signature="s"',
        'hmac id="", algorithm="hmac-sha1", headers="date", signature="s"',
    ],
)
def test_parse_key_pair_authorization_rejects_malformed(value: str) -> None:
    with pytest.raises(SignatureFormatError):
        parse_tencent_apigw_authorization(value)


def test_key_pair_rejects_unknown_algorithm_and_date_header() -> None:
    with pytest.raises(ValueError, match="hmac-sha1"):
        tencent_apigw_signature("k", "s", "hmac-md5")
    with pytest.raises(ValueError, match="date_header"):
        TencentApigwKeyAuth("a", "b", date_header="x-time")


def test_reprs_hide_secrets(fixed_clock: Callable[[], datetime]) -> None:
    auths = [
        TencentTC3Auth("id", "topsecret", "svc", token="tok-secret", clock=fixed_clock),
        TencentV1Auth("id", "topsecret", clock=fixed_clock),
        TencentApigwKeyAuth("id", "topsecret", clock=fixed_clock),
    ]
    for auth in auths:
        assert "topsecret" not in repr(auth)
        assert "tok-secret" not in repr(auth)
