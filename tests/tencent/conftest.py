"""Fixtures for the Tencent API gateway tests: an emulator holding only this service, and a client for it."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
from tc_helpers import build_tencent_emulator

from devkit.emulator.core import Emulator
from shared.clients.tencent_apigw import TencentApigwClient
from shared.config import Settings


@pytest.fixture
def tc_emulator() -> Emulator:
    return build_tencent_emulator()


@pytest.fixture
async def client(tc_emulator: Emulator) -> AsyncIterator[TencentApigwClient]:
    """The client built from the environment's settings (demo credentials), talking in-process."""
    async with TencentApigwClient.from_settings(Settings.from_env(), transport=tc_emulator.transport()) as c:
        yield c
