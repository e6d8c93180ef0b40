"""Fixtures of the key_rotation tests; the world they build is in :mod:`rotation_world`."""

from __future__ import annotations

import inspect
from collections.abc import Iterator

import pytest
from rotation_world import PROJECT, FakeClock, World, no_sleep

from devkit.emulator.core import Emulator
from devkit.emulator.services.apig.state import DEFAULT_INSTANCE_ID
from shared.config import Settings
from shared.http import make_client, use_transport


@pytest.fixture(autouse=True)
def instant_retries() -> Iterator[None]:
    """The clients' default retry policy backs off without sleeping for real (it is a frozen dataclass)."""
    default = inspect.signature(make_client).parameters["retry"].default
    original = default.sleep
    object.__setattr__(default, "sleep", no_sleep)
    yield
    object.__setattr__(default, "sleep", original)


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def world(emulator: Emulator, clock: FakeClock, monkeypatch: pytest.MonkeyPatch) -> Iterator[World]:
    monkeypatch.setenv("HUAWEICLOUD_SDK_PROJECT_ID", PROJECT)
    monkeypatch.setenv("OPSFN_APIG_INSTANCE_ID", DEFAULT_INSTANCE_ID)
    emulator.service("csms").backend(PROJECT).clock = clock
    apig_state = emulator.service("apig").backend(PROJECT)
    apig_state.instances[DEFAULT_INSTANCE_ID].quotas["APP_KEY_SECRET_SWITCH"] = 1
    with use_transport(emulator.transport()):
        yield World(emulator, Settings.from_env(), clock)
