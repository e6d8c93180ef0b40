"""Fixtures for the CSMS tests: a signed typed client, a signed raw client and the project's backend."""

from __future__ import annotations

from collections.abc import AsyncIterator

import httpx
import pytest

from devkit.emulator.core import Emulator
from devkit.emulator.services.csms import CsmsBackend
from shared.clients.csms import CsmsClient
from shared.config import Settings
from shared.http import RetryPolicy, make_client

PROJECT_ID = "5c9f0e1d2b3a4c5d6e7f80911a2b3c4d"


async def _no_sleep(_: float) -> None:
    """Retries in tests must not wait for real."""


class FakeClock:
    """The backend's clock, moved by hand so recovery windows and expiries need no sleeping."""

    def __init__(self, now: float = 1_800_000_000.0) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


@pytest.fixture
def settings(monkeypatch: pytest.MonkeyPatch) -> Settings:
    monkeypatch.setenv("HUAWEICLOUD_SDK_PROJECT_ID", PROJECT_ID)
    return Settings.from_env()


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def backend(emulator: Emulator, clock: FakeClock) -> CsmsBackend:
    """The CSMS state of the project the clients sign for, on the fake clock."""
    backend: CsmsBackend = emulator.service("csms").backend(PROJECT_ID)
    backend.clock = clock
    return backend


@pytest.fixture
async def csms(
    settings: Settings, emulator_transport: httpx.MockTransport, backend: CsmsBackend
) -> AsyncIterator[CsmsClient]:
    http = make_client(
        settings.endpoint("csms"),
        settings.huawei_auth(),
        service="csms",
        retry=RetryPolicy(sleep=_no_sleep),
        transport=emulator_transport,
    )
    async with CsmsClient(http, project_id=settings.project_id) as client:
        yield client


@pytest.fixture
async def raw(
    settings: Settings, emulator_transport: httpx.MockTransport, backend: CsmsBackend
) -> AsyncIterator[httpx.AsyncClient]:
    """A signed plain client, for bodies the typed client would never build (validation tests)."""
    async with make_client(
        settings.endpoint("csms"), settings.huawei_auth(), service="csms", transport=emulator_transport
    ) as client:
        yield client
