"""Listing 5,000 APIs through the client walks every page, and the emulator renders only the page asked for.

The APIs are seeded straight into the backend (registering 5,000 over HTTP would test nothing new and take
seconds); the listing itself goes through the signed client and the emulator's real list handler.
"""

from __future__ import annotations

import time
from typing import Any

import httpx
import pytest

from devkit.emulator.core import Emulator
from devkit.emulator.services.apig.handlers import apis as apig_apis
from devkit.emulator.services.apig.handlers.groups import new_group
from devkit.emulator.services.apig.state import DEFAULT_INSTANCE_ID, Instance, new_id, now
from shared.clients.apig import ApigClient
from shared.config import Settings
from shared.http import make_client

TOTAL = 5000


def seed(instance: Instance, count: int) -> tuple[str, str]:
    groups = [new_group(instance, name, "")["id"] for name in ("bulk_group_a", "bulk_group_b")]
    stamp = now()
    for i in range(count):
        instance.apis.put(
            {
                "id": f"{i:08d}" + new_id()[8:],
                "name": f"bulk_api_{i:05d}",
                "group_id": groups[i % 2],
                "type": 1,
                "req_protocol": "HTTPS",
                "req_method": "GET",
                "req_uri": f"/bulk/{i}",
                "auth_type": "NONE",
                "backend_type": "MOCK",
                "match_mode": "NORMAL",
                "mock_info": {"result_content": "ok"},
                "register_time": stamp,
                "update_time": stamp,
            }
        )
    return groups[0], groups[1]


@pytest.fixture
def counted(emulator: Emulator) -> tuple[httpx.MockTransport, list[httpx.Request]]:
    requests: list[httpx.Request] = []

    def handle(request: httpx.Request) -> httpx.Response:
        requests.append(request)
        return emulator.handle(request)

    return httpx.MockTransport(handle), requests


async def test_iter_apis_walks_all_5000(
    settings: Settings,
    instance: Instance,
    counted: tuple[httpx.MockTransport, list[httpx.Request]],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    group_a, _ = seed(instance, TOTAL)
    rendered = 0
    real_view = apig_apis.list_view

    def counting_view(inst: Instance, api: dict[str, Any]) -> dict[str, Any]:
        nonlocal rendered
        rendered += 1
        return real_view(inst, api)

    monkeypatch.setattr(apig_apis, "list_view", counting_view)
    transport, requests = counted
    http = make_client(settings.endpoint("apig"), settings.huawei_auth(), service="apig", transport=transport)
    async with ApigClient(http, project_id=settings.project_id, instance_id=DEFAULT_INSTANCE_ID) as client:
        started = time.perf_counter()
        names = [api.name async for api in client.iter_apis()]
        elapsed = time.perf_counter() - started
        assert len(names) == TOTAL and len(set(names)) == TOTAL
        assert names[0] == "bulk_api_00000" and names[-1] == f"bulk_api_{TOTAL - 1:05d}"
        offsets = [int(r.url.params["offset"]) for r in requests]
        assert offsets == list(range(0, TOTAL, 500)), "10 pages of the 500 maximum"
        assert rendered == TOTAL, "each API is rendered once: a page costs O(page), not O(total)"
        assert elapsed < 10, f"listing {TOTAL} APIs took {elapsed:.1f}s"

        requests.clear()
        half = [api.id async for api in client.iter_apis(group_id=group_a, page_size=300)]
        assert len(half) == TOTAL // 2 and len(requests) == 9

        small = await client.list_apis(offset=4990, limit=50)
        assert (small.total, len(small.items)) == (TOTAL, 10)
        beyond = await client.list_apis(offset=TOTAL + 10)
        assert (beyond.total, beyond.items) == (TOTAL, [])
