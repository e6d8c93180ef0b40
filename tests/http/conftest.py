"""Fixtures for the HTTP core tests: a sleep that records instead of waiting, and a pinned-jitter policy."""

from __future__ import annotations

import pytest

from shared.http import RetryPolicy
from tests.http.scripted import Sleeps


@pytest.fixture
def sleeps() -> Sleeps:
    return Sleeps()


@pytest.fixture
def policy(sleeps: Sleeps) -> RetryPolicy:
    """Default attempts and delays, no real sleeping, jitter pinned to its maximum (delay == ceiling)."""
    return RetryPolicy(sleep=sleeps, jitter=lambda: 1.0)
