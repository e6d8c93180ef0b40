"""Fixtures for the CodeArts IDE licence tests: a signed client and the backend it lands on."""

from __future__ import annotations

from collections.abc import AsyncIterator

import httpx
import pytest

from devkit.emulator.core import Emulator
from devkit.emulator.services.ide import IdeBackend
from shared.clients.ide import IdeClient
from shared.config import Settings
from shared.http import RetryPolicy, make_client

PROJECT_ID = "0a1b2c3d4e5f60718293a4b5c6d7e8f9"
ENDPOINT = "https://ide.cn-north-4.myhuaweicloud.com"


async def _no_sleep(_: float) -> None:
    """Retries in tests must not wait for real."""


@pytest.fixture
def settings(monkeypatch: pytest.MonkeyPatch) -> Settings:
    monkeypatch.setenv("HUAWEICLOUD_SDK_PROJECT_ID", PROJECT_ID)
    return Settings.from_env()


@pytest.fixture
def backend(emulator: Emulator) -> IdeBackend:
    """The IDE state of the project the client signs for (``X-Project-Id``)."""
    backend: IdeBackend = emulator.service("ide").backend(PROJECT_ID)
    return backend


def make_ide_client(settings: Settings, transport: httpx.MockTransport) -> IdeClient:
    """A client exactly like production's, except that retry back-off does not sleep."""
    http = make_client(
        settings.endpoint("ide"),
        settings.huawei_auth(),
        service="ide",
        retry=RetryPolicy(sleep=_no_sleep),
        transport=transport,
    )
    return IdeClient(http, project_id=settings.project_id)


@pytest.fixture
async def ide(settings: Settings, emulator_transport: httpx.MockTransport) -> AsyncIterator[IdeClient]:
    async with make_ide_client(settings, emulator_transport) as client:
        yield client


@pytest.fixture
async def raw(
    settings: Settings, emulator_transport: httpx.MockTransport
) -> AsyncIterator[httpx.AsyncClient]:
    """A signed plain HTTP client, for bodies the typed client refuses to build (validation tests)."""
    async with make_client(
        settings.endpoint("ide"), settings.huawei_auth(), service="ide", transport=emulator_transport
    ) as client:
        yield client
