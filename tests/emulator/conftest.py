"""Fixtures for the emulator framework tests: signed clients and typed clients bound to one emulator."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from datetime import datetime, timezone

import httpx
import pytest

from devkit.emulator.core import Emulator
from devkit.emulator.credentials import DEMO_HUAWEI_AK, DEMO_HUAWEI_SK
from shared.auth import HuaweiAKSKAuth
from shared.clients.iam import IamClient
from shared.clients.smn import SmnClient
from shared.config import Settings


class FrozenClock:
    """A settable "now" shared by the emulator and the signers, so time moves without sleeping."""

    def __init__(self) -> None:
        self.now = datetime.now(timezone.utc).replace(microsecond=0)

    def __call__(self) -> datetime:
        return self.now


@pytest.fixture
def clock(emulator: Emulator) -> FrozenClock:
    frozen = FrozenClock()
    assert emulator.credentials is not None
    emulator.credentials.clock = frozen
    return frozen


@pytest.fixture
def project_id(emulator: Emulator) -> str:
    assert emulator.credentials is not None
    return emulator.credentials.projects()[0].id


@pytest.fixture
def signed(emulator: Emulator) -> Iterator[httpx.Client]:
    """A synchronous client signing with the demo AK/SK, talking to the emulator in-process."""
    with httpx.Client(
        transport=emulator.transport(),
        base_url="https://smn.cn-north-4.myhuaweicloud.com",
        auth=HuaweiAKSKAuth(DEMO_HUAWEI_AK, DEMO_HUAWEI_SK),
    ) as client:
        yield client


@pytest.fixture
def settings(project_id: str) -> Settings:
    return Settings.from_env().replace(project_id=project_id)


@pytest.fixture
async def smn(settings: Settings, emulator_transport: httpx.MockTransport) -> AsyncIterator[SmnClient]:
    async with SmnClient.from_settings(settings, transport=emulator_transport) as client:
        yield client


@pytest.fixture
async def iam(settings: Settings, emulator_transport: httpx.MockTransport) -> AsyncIterator[IamClient]:
    async with IamClient.from_settings(settings, transport=emulator_transport) as client:
        yield client
