"""Fixtures for the Astro Zero tests: settings pointing at the emulated service, captured log lines."""

from __future__ import annotations

import io
from collections.abc import Iterator

import pytest

from devkit.emulator.core import Emulator
from devkit.emulator.services.astro import DEMO_CLIENT_ID, DEMO_CLIENT_SECRET, AstroBackend
from shared.config import Settings
from shared.http import use_transport
from shared.log import configure_logging, forget_secrets

REPORT_PATH = "/service/opsfn__ops/1.0.0/reports"
ENDPOINT = "https://astro.opsfn.test"


@pytest.fixture
def astro(emulator: Emulator) -> AstroBackend:
    backend: AstroBackend = emulator.service("astro").backend("default")
    return backend


@pytest.fixture
def astro_env(monkeypatch: pytest.MonkeyPatch, emulator: Emulator) -> Iterator[Settings]:
    """Settings for the demo Astro client and report path, every client routed to the emulator."""
    monkeypatch.setenv("OPSFN_ENDPOINT_ASTRO", ENDPOINT)
    monkeypatch.setenv("OPSFN_ASTRO_CLIENT_ID", DEMO_CLIENT_ID)
    monkeypatch.setenv("OPSFN_ASTRO_CLIENT_SECRET", DEMO_CLIENT_SECRET)
    monkeypatch.setenv("OPSFN_ASTRO_REPORT_PATH", REPORT_PATH)
    monkeypatch.delenv("OPSFN_SMN_TOPIC_URN", raising=False)
    with use_transport(emulator.transport()):
        yield Settings.from_env()


@pytest.fixture
def log_lines() -> Iterator[io.StringIO]:
    """Every log line written during the test (DEBUG and up)."""
    buffer = io.StringIO()
    configure_logging("DEBUG", buffer)
    yield buffer
    configure_logging("INFO")
    forget_secrets()
