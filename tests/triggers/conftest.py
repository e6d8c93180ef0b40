"""Fixtures for the trigger parser tests: the documented sample envelopes in ``events/_platform/``."""

from __future__ import annotations

from typing import Any

import pytest
from _platform_samples import load_sample


@pytest.fixture
def sample() -> Any:
    return load_sample
