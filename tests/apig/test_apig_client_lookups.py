"""The APIG client's lookups by exact name.

``find_api``, ``find_signature_key`` and ``list_throttles`` are what the rotation and publish functions use
to find their resources again by name. The emulator's name filter is fuzzy unless ``precise_search`` names
the field (3.5.6, 3.6.4, 3.4.4), so a lookup must pick the exact name among look-alikes and answer None for a
name that only matches as a substring.
"""

from __future__ import annotations

from collections.abc import AsyncIterator

import httpx
import pytest
from apig_bodies import mock_api

from devkit.emulator.services.apig.state import DEFAULT_INSTANCE_ID
from shared.clients.apig import ApigClient
from shared.config import Settings
from shared.http import make_client

PROJECT = "e4e4e4e4e4e4e4e4e4e4e4e4e4e4e4e4"


@pytest.fixture
async def apig(
    monkeypatch: pytest.MonkeyPatch, emulator_transport: httpx.MockTransport
) -> AsyncIterator[ApigClient]:
    monkeypatch.setenv("HUAWEICLOUD_SDK_PROJECT_ID", PROJECT)
    cfg = Settings.from_env()
    http = make_client(cfg.endpoint("apig"), cfg.huawei_auth(), service="apig", transport=emulator_transport)
    async with ApigClient(http, project_id=cfg.project_id, instance_id=DEFAULT_INSTANCE_ID) as client:
        yield client


async def test_find_api_picks_the_exact_name_in_its_group(apig: ApigClient) -> None:
    group = await apig.create_group("lookup_group")
    other = await apig.create_group("lookup_other")
    wanted = await apig.create_api(mock_api(group.id, "rotate_keys", "/rotate"))
    await apig.create_api(mock_api(group.id, "rotate_keys_v2", "/rotate2"))
    await apig.create_api(mock_api(other.id, "rotate_keys", "/rotate"))
    found = await apig.find_api(group.id, "rotate_keys")
    assert found is not None and found.id == wanted.id and found.group_id == group.id
    assert await apig.find_api(group.id, "rotate") is None, "a substring is not a match"


async def test_find_signature_key_and_list_throttles_by_name(apig: ApigClient) -> None:
    key = await apig.create_signature_key("backend_sign")
    await apig.create_signature_key("backend_sign_old")
    found = await apig.find_signature_key("backend_sign")
    assert found is not None and found.id == key.id
    assert await apig.find_signature_key("backend") is None

    await apig.create_throttle("per_second", api_call_limits=10, time_interval=1)
    await apig.create_throttle("per_second_strict", api_call_limits=1, time_interval=1)
    fuzzy = await apig.list_throttles(name="per_second")
    exact = await apig.list_throttles(name="per_second", precise=True)
    assert sorted(t.name for t in fuzzy.items) == ["per_second", "per_second_strict"]
    assert [t.name for t in exact.items] == ["per_second"] and exact.total == 1
    assert (await apig.list_throttles(limit=1)).total == 2
