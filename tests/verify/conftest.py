"""Fixtures for inbound verification tests: a fresh, small replay guard per test."""

from __future__ import annotations

import pytest

from shared.verify import MemoryReplayGuard


@pytest.fixture
def guard() -> MemoryReplayGuard:
    return MemoryReplayGuard(max_entries=1000)
