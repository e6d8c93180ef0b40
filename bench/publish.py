"""Benchmark: publishing N APIs with injected latency - api_publish vs the concurrency-bound ideal and vs a
sequential loop over the official ``huaweicloudsdkapig`` client, in one process against one emulator server.

    PYTHONPATH=$PWD python bench/publish.py [--apis 1000] [--latency 0.05] [--concurrency 8]

The ideal is every call's latency divided over the workers: ``latency * (ceil(creates / C) + fixed calls)``,
where the fixed calls (environment and group lookups, the listing, one batch publish per 1000 APIs) run one
after another. The SDK loop registers each API and then batch-publishes them, one call at a time.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import math
import os
import time
from typing import Any

from devkit.emulator.credentials import DEMO_HUAWEI_AK, DEMO_HUAWEI_SK
from devkit.emulator.faults import FaultInjector
from devkit.emulator.registry import build_emulator
from devkit.emulator.server import running_server
from devkit.emulator.services.apig.state import DEFAULT_INSTANCE_ID, RELEASE_ENV_ID

PROJECT = "0b1c2d3e4f5a6b7c8d9e0f1a2b3c4d5e"


def document(n: int, prefix: str) -> dict[str, Any]:
    paths = {
        f"/{prefix}/r{i}": {
            "get": {"operationId": f"{prefix}_api{i}", "x-apigateway-backend": {"type": "MOCK"}}
        }
        for i in range(n)
    }
    return {"swagger": "2.0", "info": {"title": prefix, "version": "1"}, "paths": paths}


async def with_api_publish(base: str, n: int, concurrency: int, calls: list[str]) -> float:
    from functions.api_publish.engine import RunInput, run
    from functions.api_publish.huawei import HuaweiTarget
    from functions.api_publish.spec import parse_document
    from shared.clients.apig import ApigClient
    from shared.config import Settings

    os.environ.update(
        OPSFN_ENDPOINT_APIG=base,
        HUAWEICLOUD_SDK_PROJECT_ID=PROJECT,
        HUAWEICLOUD_SDK_AK=DEMO_HUAWEI_AK,
        HUAWEICLOUD_SDK_SK=DEMO_HUAWEI_SK,
    )
    settings = Settings.from_env()
    doc = document(n, "fast")
    async with ApigClient.from_settings(settings, instance_id=DEFAULT_INSTANCE_ID) as client:
        target = HuaweiTarget(
            client,
            "",
            ["RELEASE"],
            concurrency=concurrency,
            group_name="fastgroup",
            gateway_url="http://unused",
        )
        calls.clear()
        started = time.perf_counter()
        answer = await run(target, RunInput("bench", parse_document(doc), doc), None)
        elapsed = time.perf_counter() - started
    assert answer["status"] == "applied" and answer["published"] == n, answer["status"]
    return elapsed


def with_sdk(base: str, n: int) -> float:
    from huaweicloudsdkapig.v2 import (
        ApiBatchPublish,
        ApiCreate,
        ApigClient,
        ApiGroupCreate,
        ApiMockCreate,
        BatchPublishOrOfflineApiV2Request,
        CreateApiGroupV2Request,
        CreateApiV2Request,
    )
    from huaweicloudsdkcore.auth.credentials import BasicCredentials

    sdk = (
        ApigClient.new_builder()
        .with_credentials(BasicCredentials(DEMO_HUAWEI_AK, DEMO_HUAWEI_SK, PROJECT))
        .with_endpoint(base)
        .build()
    )
    started = time.perf_counter()
    group = sdk.create_api_group_v2(
        CreateApiGroupV2Request(instance_id=DEFAULT_INSTANCE_ID, body=ApiGroupCreate(name="sdkgroup"))
    )
    ids = []
    for i in range(n):
        body = ApiCreate(
            group_id=group.id,
            name=f"sdk_api{i}",
            type=1,
            req_protocol="HTTPS",
            req_method="GET",
            req_uri=f"/sdk/r{i}",
            auth_type="NONE",
            backend_type="MOCK",
            mock_info=ApiMockCreate(),
        )
        ids.append(sdk.create_api_v2(CreateApiV2Request(instance_id=DEFAULT_INSTANCE_ID, body=body)).id)
    for start in range(0, n, 1000):
        sdk.batch_publish_or_offline_api_v2(
            BatchPublishOrOfflineApiV2Request(
                instance_id=DEFAULT_INSTANCE_ID,
                action="online",
                body=ApiBatchPublish(apis=ids[start : start + 1000], env_id=RELEASE_ENV_ID),
            )
        )
    return time.perf_counter() - started


TITLE = "Bulk: publish APIs as code with 50 ms latency per APIG call"


def measure(apis: int, latency: float, concurrency: int) -> dict[str, Any]:
    """One run of each program against one emulator on loopback; the figures as a dict."""
    emulator = build_emulator()
    calls: list[str] = []
    emulator.before_dispatch.append(
        lambda call: calls.append(call.operation) if call.service == "apig" else None
    )
    emulator.faults = FaultInjector(seed=1)
    emulator.faults.add("apig", kind="latency", rate=1.0, latency=latency)
    with running_server(emulator) as base:
        ours = asyncio.run(with_api_publish(base, apis, concurrency, calls))
        creates, total = calls.count("CreateApiV2"), len(calls)
        ideal = latency * (math.ceil(creates / concurrency) + total - creates)
        sdk = with_sdk(base, apis)
    return {
        "apis": apis,
        "latency_s": latency,
        "concurrency": concurrency,
        "api_publish_s": round(ours, 2),
        "calls": total,
        "ideal_s": round(ideal, 2),
        "vs_ideal": round(ours / ideal, 2),
        "sdk_sequential_s": round(sdk, 2),
        "speedup_vs_sdk": round(sdk / ours, 2),
    }


def run(quick: bool) -> list[Any]:
    """``opsfn bench``: 100 APIs with ``--quick``, else 1,000."""
    from bench.core import Figure

    got = measure(100 if quick else 1000, 0.05, 8)
    label = f"publish {got['apis']} APIs"
    return [
        Figure(
            TITLE,
            f"{label}: api_publish wall time vs the concurrency-bound ideal",
            got["api_publish_s"],
            "s",
            anchor="ideal at concurrency 8",
            anchor_value=got["ideal_s"],
            goal=("<=", 1.5),
            note=f"{got['calls']} APIG calls",
        ),
        Figure(
            TITLE,
            f"{label}: api_publish vs a sequential loop over huaweicloudsdkapig",
            got["api_publish_s"],
            "s",
            anchor="official SDK loop",
            anchor_value=got["sdk_sequential_s"],
        ),
    ]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--apis", type=int, default=1000)
    parser.add_argument("--latency", type=float, default=0.05)
    parser.add_argument("--concurrency", type=int, default=8)
    args = parser.parse_args()
    print(json.dumps(measure(args.apis, args.latency, args.concurrency), indent=2))


if __name__ == "__main__":
    main()
