"""The typed client on its own: settings wiring, marker walking against a service that always sends a marker,
and what goes over the wire."""

from __future__ import annotations

import json
from typing import Any

import httpx
import pytest

from devkit.emulator.core import Emulator
from shared.clients.csms import CsmsClient
from shared.config import Settings
from shared.http import use_transport


async def test_from_settings_uses_the_endpoint_override_and_project(
    monkeypatch: pytest.MonkeyPatch, emulator: Emulator
) -> None:
    monkeypatch.setenv("HUAWEICLOUD_SDK_PROJECT_ID", "0f0e0d0c0b0a09080706050403020100")
    monkeypatch.setenv("OPSFN_ENDPOINT_CSMS", "http://127.0.0.1:9")
    seen: list[httpx.Request] = []

    def spy(call: Any) -> None:
        seen.append(call.request)

    emulator.before_dispatch.append(spy)
    with use_transport(emulator.transport()):
        async with CsmsClient.from_settings(Settings.from_env()) as csms:
            await csms.create_secret("wired", secret_string="v")
    assert str(seen[0].url) == "http://127.0.0.1:9/v1/0f0e0d0c0b0a09080706050403020100/secrets"
    assert seen[0].headers["authorization"].startswith("SDK-HMAC-SHA256 ")


def _always_marker_service(total: int, requests: list[dict[str, str]]) -> httpx.MockTransport:
    """A list endpoint that, like some real services, names a next marker even on the last page."""
    names = [f"s{i:02d}" for i in range(total)]

    def handle(request: httpx.Request) -> httpx.Response:
        params = dict(request.url.params)
        requests.append(params)
        start = names.index(params["marker"]) + 1 if "marker" in params else 0
        page = names[start : start + int(params["limit"])]
        info = {"next_marker": page[-1] if page else params.get("marker"), "current_count": len(page)}
        secrets = [{"id": n, "name": n} for n in page]
        return httpx.Response(200, json={"secrets": secrets, "page_info": info})

    return httpx.MockTransport(handle)


@pytest.mark.parametrize(("total", "calls"), [(0, 1), (3, 1), (4, 2), (5, 2), (8, 3)])
async def test_marker_walk_ends_on_short_page_or_unmoved_marker(total: int, calls: int) -> None:
    requests: list[dict[str, str]] = []
    http = httpx.AsyncClient(base_url="http://csms.test", transport=_always_marker_service(total, requests))
    async with CsmsClient(http, project_id="p") as csms:
        names = [s.name async for s in csms.iter_secrets(limit=4)]
    assert names == [f"s{i:02d}" for i in range(total)]
    assert len(requests) == calls
    assert all(r["limit"] == "4" for r in requests)


async def test_resource_filter_body_on_the_wire(emulator: Emulator, csms: CsmsClient) -> None:
    bodies: list[Any] = []

    def spy(call: Any) -> None:
        bodies.append(json.loads(call.body))

    emulator.before_dispatch.append(spy)
    await csms.count_resource_instances(tags={"env": ["prod", "dev"], "team": []}, name_contains="db")
    assert bodies[-1] == {
        "action": "count",
        "tags": [{"key": "env", "values": ["prod", "dev"]}, {"key": "team", "values": []}],
        "matches": [{"key": "resource_name", "value": "db"}],
    }
