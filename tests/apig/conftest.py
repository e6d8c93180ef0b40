"""Fixtures for the APIG tests: a typed client on the in-process emulator, and the state behind it."""

from __future__ import annotations

from collections.abc import AsyncIterator

import httpx
import pytest

from devkit.emulator.core import Emulator
from devkit.emulator.services.apig.state import DEFAULT_INSTANCE_ID, ApigBackend, Instance
from shared.clients.apig import ApigClient
from shared.config import Settings
from shared.http import RetryPolicy, make_client

PROJECT_ID = "5b2a8e41c7d94f0fa3e6b1c2d3e4f5a6"


async def _no_sleep(_: float) -> None:
    """Retries in tests must not wait for real."""


@pytest.fixture
def settings(monkeypatch: pytest.MonkeyPatch) -> Settings:
    monkeypatch.setenv("HUAWEICLOUD_SDK_PROJECT_ID", PROJECT_ID)
    return Settings.from_env()


@pytest.fixture
def backend(emulator: Emulator) -> ApigBackend:
    """The APIG state of the project the client signs for."""
    state: ApigBackend = emulator.service("apig").backend(PROJECT_ID)
    return state


@pytest.fixture
def instance(backend: ApigBackend) -> Instance:
    return backend.instances[DEFAULT_INSTANCE_ID]


@pytest.fixture
async def apig(settings: Settings, emulator_transport: httpx.MockTransport) -> AsyncIterator[ApigClient]:
    """A client exactly like production's (signed, retrying), except that back-off does not sleep."""
    http = make_client(
        settings.endpoint("apig"),
        settings.huawei_auth(),
        service="apig",
        retry=RetryPolicy(sleep=_no_sleep),
        transport=emulator_transport,
    )
    async with ApigClient(http, project_id=settings.project_id, instance_id=DEFAULT_INSTANCE_ID) as client:
        yield client
