"""Signing throughput: opsfn's signers against the official SDKs' on the same requests.

Why: every management-API call is signed, and bulk work (paging all seats, publishing many APIs) signs
thousands of requests, so signing must never be the bottleneck. Both sides sign the *same* requests in the
same process, first checked to give identical ``Authorization`` headers (neither side does less work); each
side is timed on the signing alone, rounds interleaved so machine load hits both alike, best round each:

* Huawei SDK-HMAC-SHA256: ``HuaweiAKSKAuth.sign`` on pre-built ``httpx.Request`` objects against
  huaweicloudsdkcore's ``Signer.sign`` on ``SdkRequest`` objects built before the timer starts;
* Tencent TC3-HMAC-SHA256: ``TencentTC3Auth``'s auth flow driven as ``httpx.AsyncClient`` drives it, on
  fresh requests built like ``TencentApigwClient.call`` builds them, against every signing step of the
  tencentcloud SDK's ``_build_req_with_tc3_signature`` (clock, credential, header stamps, scope date,
  ``_get_tc3_signature``, ``Authorization``) on requests whose body the SDK serialised before the timer.
"""

from __future__ import annotations

import asyncio
import json
import random
import time
from datetime import datetime, timezone
from urllib.parse import parse_qsl

import httpx
from huaweicloudsdkcore.auth.credentials import BasicCredentials
from huaweicloudsdkcore.sdk_request import SdkRequest
from huaweicloudsdkcore.signer.signer import Signer

from bench.core import Figure
from shared.auth import HuaweiAKSKAuth, TencentTC3Auth
from shared.clients.tencent_apigw import API_VERSION
from shared.http import make_client

AK, SK, PROJECT = (
    "BENCHAKEXAMPLE0000",
    "benchSecretKeyExample0000000000000000000",
    "0123456789abcdef0123456789abcdef",
)
MOMENT = datetime(2024, 1, 1, tzinfo=timezone.utc)
GOAL = 2.0
TITLE = "Signing"
ORDER = 10
SECTION = "signing"


def build_requests(count: int, seed: int = 7) -> list[httpx.Request]:
    """A realistic mix: APIG/CSMS/IDE-style paths, list queries, JSON bodies from empty to a few KB."""
    rng = random.Random(seed)
    requests = []
    for index in range(count):
        method = rng.choice(["GET", "GET", "POST", "PUT", "DELETE"])
        path = rng.choice(
            [
                f"/v2/{PROJECT}/apigw/instances/inst-{index}/apis",
                f"/v1/{PROJECT}/secrets/secret {index}/versions/latest",
                "/v2/licenses",
                f"/v2/licenses/{index:032x}/bind-user",
                f"/v1/{PROJECT}/csms/中文-{index}/tags/action",
            ]
        )
        params: list[tuple[str, str | int | float | bool | None]] = [
            ("limit", str(rng.randint(1, 500))),
            ("offset", str(index)),
        ]
        params += [("tag", f"t{rng.randint(0, 9)}") for _ in range(rng.randint(0, 3))]
        body = b""
        if method in ("POST", "PUT"):
            items = [
                {"id": f"{i:08x}", "name": f"api {i}", "remark": "x" * rng.randint(0, 200)}
                for i in range(rng.randint(1, 10))
            ]
            body = json.dumps({"items": items}).encode()
        headers = {"Content-Type": "application/json;charset=UTF-8", "User-Agent": "opsfn/0.1.0"}
        requests.append(
            httpx.Request(
                method,
                "https://apig.cn-north-4.myhuaweicloud.com" + path,
                params=params,
                headers=headers,
                content=body,
            )
        )
    return requests


def sdk_request_for(request: httpx.Request) -> SdkRequest:
    raw_path, _, raw_query = request.url.raw_path.partition(b"?")
    # The headers the caller set, not the ones a previous opsfn signing added.
    added = ("host", "content-length", "authorization", "x-sdk-date", "x-project-id")
    headers = {k: v for k, v in request.headers.items() if k not in added}
    headers["X-Sdk-Date"] = MOMENT.strftime("%Y%m%dT%H%M%SZ")
    headers["X-Project-Id"] = PROJECT
    return SdkRequest(
        method=request.method,
        schema="https",
        host=request.url.host,
        resource_path=raw_path.decode(),
        query_params=parse_qsl(raw_query.decode(), keep_blank_values=True),
        header_params=headers,
        body=request.content or None,
    )


def check_identical(auth: HuaweiAKSKAuth, signer: Signer, requests: list[httpx.Request]) -> None:
    for request in requests:
        auth.sign(request)
        expected = signer.sign(sdk_request_for(request)).header_params["Authorization"]
        if request.headers["Authorization"] != expected:
            raise SystemExit(f"signatures differ for {request.method} {request.url}")


def _round_opsfn(auth: HuaweiAKSKAuth, requests: list[httpx.Request]) -> float:
    start = time.perf_counter()
    for request in requests:
        auth.sign(request)
    return time.perf_counter() - start


def _round_sdk(signer: Signer, requests: list[httpx.Request]) -> float:
    batch = [sdk_request_for(r) for r in requests]  # built outside the timer
    start = time.perf_counter()
    for sdk_request in batch:
        signer.sign(sdk_request)
    return time.perf_counter() - start


def measure(
    auth: HuaweiAKSKAuth, signer: Signer, requests: list[httpx.Request], rounds: int
) -> tuple[float, float]:
    """Signatures/s (opsfn, SDK): rounds interleaved so machine load hits both alike; best round each."""
    ours = theirs = float("inf")
    for _ in range(rounds):
        ours = min(ours, _round_opsfn(auth, requests))
        theirs = min(theirs, _round_sdk(signer, requests))
    return len(requests) / ours, len(requests) / theirs


# ----------------------------------------------------------------------------------------------------
# Tencent TC3

TC_ID, TC_KEY, TC_SERVICE, TC_REGION = (
    "AKIDbenchEXAMPLE000000",
    "benchTencentKeyExample0000000000",
    "apigateway",
    "ap-guangzhou",
)
TC_HOST = "apigateway.tencentcloudapi.com"
TC_ACTIONS = ("DescribeApisStatus", "DescribeServicesStatus", "CreateApi", "ModifyApi", "ReleaseService")


def tencent_cases(count: int, seed: int = 11) -> list[tuple[str, dict[str, object]]]:
    """Action and parameters: list filters, API definitions with unicode and nested lists."""
    rng = random.Random(seed)
    cases = []
    for index in range(count):
        action = rng.choice(TC_ACTIONS)
        params: dict[str, object] = {"ServiceId": f"service-{index:08x}", "Limit": rng.randint(1, 100)}
        if action.startswith("Describe"):
            params["Filters"] = [{"Name": "ApiName", "Values": [f"api {index}", "名字"]}]
        else:
            params["ApiName"] = f"api_{index}"
            params["RequestConfig"] = {"Path": f"/v1/items/{index}", "Method": rng.choice(["GET", "POST"])}
            params["ServiceTimeout"] = 15
            params["ApiDesc"] = "x" * rng.randint(0, 300)
        cases.append((action, params))
    return cases


def _tencent_sdk() -> object:
    from tencentcloud.apigateway.v20180808.apigateway_client import ApigatewayClient
    from tencentcloud.common import abstract_client, credential

    # The SDK reads the clock itself; pin it so both sides sign the same moment.
    abstract_client.time = type("FixedTime", (), {"time": staticmethod(MOMENT.timestamp)})
    return ApigatewayClient(credential.Credential(TC_ID, TC_KEY), TC_REGION)


def tencent_requests(
    cases: list[tuple[str, dict[str, object]]],
) -> tuple[list[bytes], list[tuple[str, dict[str, object], object]]]:
    """The SDK's prepared ``RequestInternal`` per call, and the JSON body it serialised for it.

    opsfn signs those same body bytes (the SDK's ``json.dumps`` spacing differs from httpx's), so both sides
    sign identical requests and must produce identical ``Authorization`` lines.
    """
    from tencentcloud.common.http.request import RequestInternal

    sdk = _tencent_sdk()
    bodies, theirs = [], []
    for action, params in cases:
        req = RequestInternal(TC_HOST, "POST", "/")
        sdk._build_req_with_tc3_signature(action, params, req)  # type: ignore[attr-defined]
        bodies.append(req.data.encode())
        theirs.append((action, params, req))
    return bodies, theirs


def _client_requests(http: httpx.AsyncClient, cases: list[tuple[str, bytes]]) -> list[httpx.Request]:
    """Fresh requests as ``TencentApigwClient.call`` builds and sends them: its headers on the pooled
    client's defaults (User-Agent, Accept...), ``POST /``, in the state the auth flow receives them;
    built before the timer starts."""
    requests = []
    for action, body in cases:
        headers = {
            "Content-Type": "application/json",
            "X-TC-Action": action,
            "X-TC-Version": API_VERSION,
            "X-TC-Region": TC_REGION,
        }
        request = http.build_request("POST", "/", content=body, headers=headers)
        request.headers.copy()  # as OpsfnAsyncClient.send does: it fixes the headers' encoding to ASCII
        requests.append(request)
    return requests


async def _auth_flows(auth: httpx.Auth, requests: list[httpx.Request], response: httpx.Response) -> float:
    """Seconds to run ``auth`` on each request as ``httpx.AsyncClient._send_handling_auth`` does: the first
    request out of ``async_auth_flow``, the response sent back in, the flow closed (the send between is left
    out)."""
    start = time.perf_counter()
    for request in requests:  # the control flow of httpx 0.28's _send_handling_auth
        flow = auth.async_auth_flow(request)
        try:
            await flow.__anext__()
            try:
                await flow.asend(response)
            except StopAsyncIteration:
                continue
        finally:
            await flow.aclose()
    return time.perf_counter() - start


def _round_tencent_ours(auth: httpx.Auth, requests: list[httpx.Request]) -> float:
    return asyncio.run(_auth_flows(auth, requests, httpx.Response(200)))


def _round_tencent_sdk(sdk: object, prepared: list[tuple[str, dict[str, object], object]]) -> float:
    """The signing steps of the SDK's ``_build_req_with_tc3_signature``, as it writes them, per request.

    Left out on both sides: building the request (the SDK's Content-Type/Host/Action/Version stamps and
    ``json.dumps``; opsfn's ``build_request``). Kept: reading the clock and the credential, the timestamp
    and region stamps, the credential-scope date, ``_get_tc3_signature`` (which derives the key chain), the
    ``Authorization`` line.
    """
    from tencentcloud.common import abstract_client

    clock = abstract_client.time
    credential = sdk.credential  # type: ignore[attr-defined]
    get_signature = sdk._get_tc3_signature  # type: ignore[attr-defined]
    start = time.perf_counter()
    for _, params, req in prepared:
        timestamp = int(clock.time())
        secret_id, secret_key, _token = credential.get_credential_info()
        req.header["X-TC-Timestamp"] = str(timestamp)  # type: ignore[attr-defined]
        req.header["X-TC-Region"] = TC_REGION  # type: ignore[attr-defined]
        date = datetime.utcfromtimestamp(timestamp).strftime("%Y-%m-%d")
        signature = get_signature(params, req, date, TC_SERVICE, secret_key)
        req.header["Authorization"] = (  # type: ignore[attr-defined]
            "TC3-HMAC-SHA256 Credential=%s/%s/%s/tc3_request, SignedHeaders=content-type;host, Signature=%s"  # noqa: UP031
            % (secret_id, date, TC_SERVICE, signature)
        )
    return time.perf_counter() - start


def measure_tencent(count: int, rounds: int) -> tuple[float, float]:
    """TC3 signatures/s (opsfn, SDK) after checking every signature is identical."""
    cases = tencent_cases(count)
    bodies, theirs = tencent_requests(cases)
    auth = TencentTC3Auth(TC_ID, TC_KEY, TC_SERVICE, clock=lambda: MOMENT, region=TC_REGION)
    http = make_client(f"https://{TC_HOST}", auth, service="tencent_apigw")
    shapes = [(action, body) for (action, _), body in zip(cases, bodies, strict=True)]
    sdk = _tencent_sdk()
    signed = _client_requests(http, shapes)
    _round_tencent_ours(auth, signed)
    for request, (_, _, req) in zip(signed, theirs, strict=True):
        if request.headers["Authorization"] != req.header["Authorization"]:  # type: ignore[attr-defined]
            raise SystemExit(f"TC3 signatures differ for {request.content[:80]!r}")
    best_ours = best_theirs = float("inf")
    for _ in range(rounds):
        best_ours = min(best_ours, _round_tencent_ours(auth, _client_requests(http, shapes)))
        best_theirs = min(best_theirs, _round_tencent_sdk(sdk, theirs))
    return count / best_ours, count / best_theirs


def run(quick: bool) -> list[Figure]:
    """Huawei and Tencent signing rates, each against its official SDK signer."""
    count, rounds = (200, 8) if quick else (500, 40)
    requests = build_requests(count)
    auth = HuaweiAKSKAuth(AK, SK, clock=lambda: MOMENT, project_id=PROJECT)
    signer = Signer(BasicCredentials(AK, SK, PROJECT))
    check_identical(auth, signer, requests)
    huawei_ours, huawei_theirs = measure(auth, signer, requests, rounds)
    tencent_ours, tencent_theirs = measure_tencent(count, rounds)
    note = f"{count} varied requests, identical signatures, best of {rounds} rounds"
    return [
        Figure(
            SECTION,
            "Huawei SDK-HMAC-SHA256: opsfn HuaweiAKSKAuth",
            huawei_ours,
            "signatures/s",
            "huaweicloudsdkcore Signer",
            huawei_theirs,
            (">=", GOAL),
            note,
        ),
        Figure(
            SECTION,
            "Tencent TC3-HMAC-SHA256: opsfn TencentTC3Auth",
            tencent_ours,
            "signatures/s",
            "tencentcloud SDK TC3 signer",
            tencent_theirs,
            (">=", GOAL),
            note,
        ),
    ]
