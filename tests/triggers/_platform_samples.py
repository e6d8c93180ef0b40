"""Loader for the documented sample envelopes in ``events/_platform/`` (shared by the trigger tests)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

SAMPLES = Path(__file__).resolve().parents[2] / "events" / "_platform"
SAMPLE_NAMES = sorted(p.name for p in SAMPLES.glob("*.json"))


def load_sample(name: str) -> dict[str, Any]:
    data: dict[str, Any] = json.loads((SAMPLES / name).read_text(encoding="utf-8"))
    return data
