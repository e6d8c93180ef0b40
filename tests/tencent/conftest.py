"""Fixtures for the Tencent API gateway tests: the shared emulator, and a client for it."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from devkit.emulator.core import Emulator
from shared.clients.tencent_apigw import TencentApigwClient
from shared.config import Settings


@pytest.fixture
def tc_emulator(emulator: Emulator) -> Emulator:
    """The shared fresh ``build_emulator()``: every service on one router, as ``opsfn emulator`` serves it."""
    return emulator


@pytest.fixture
async def client(tc_emulator: Emulator) -> AsyncIterator[TencentApigwClient]:
    """The client built from the environment's settings (demo credentials), talking in-process."""
    async with TencentApigwClient.from_settings(Settings.from_env(), transport=tc_emulator.transport()) as c:
        yield c
