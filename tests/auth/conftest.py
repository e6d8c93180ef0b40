"""Fixtures for the signing and token tests: a frozen clock so every signature is reproducible."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timezone

import pytest

FIXED_NOW = datetime(2024, 1, 1, 0, 0, 0, tzinfo=timezone.utc)


@pytest.fixture
def fixed_clock() -> Callable[[], datetime]:
    """A clock frozen at 2024-01-01T00:00:00Z (the Huawei test vector's ``X-Sdk-Date``)."""
    return lambda: FIXED_NOW
