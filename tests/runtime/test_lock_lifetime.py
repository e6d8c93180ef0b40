"""The in-progress lock lives as long as the invocation may, not longer.

The state-machine tests pass ``in_progress_timeout`` by hand; these prove the *runtime* derives it from the
platform context's remaining time on every pipeline (webhook, batch, timer), and that a duplicate can take
over the lock of an invocation the platform killed (no release ever ran) once that time has passed -
across processes on one SQLite file, as on one FunctionGraph instance.
"""

from __future__ import annotations

import json
import multiprocessing
import os
import time
from pathlib import Path
from typing import Any

import pytest
from pydantic import BaseModel

from devkit.fake_contexts import FakeFunctionGraphContext
from shared.idempotency import Idempotency
from shared.idempotency.memory import MemoryStore
from shared.idempotency.store import INPROGRESS
from shared.runtime import FunctionApp, Invocation, RecordOutcome
from shared.runtime.stored import shared_key
from shared.triggers.local import queue_event, webhook_event

TIMEOUT = 7.0


class Job(BaseModel):
    job: str


def _timer_event(text: str) -> dict[str, Any]:
    return {"version": "v1.0", "time": "2026-11-23T02:30:00+00:00", "trigger_type": "TIMER",
            "trigger_name": "t", "user_event": text}  # fmt: skip


@pytest.fixture(autouse=True)
def _no_platform(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("RUNTIME_FUNC_NAME", "RUNTIME_PROJECT_ID", "RUNTIME_CODE_ROOT", "TENCENTCLOUD_RUNENV"):
        monkeypatch.delenv(name, raising=False)


@pytest.mark.parametrize("pipeline", ["http", "batch", "timer"])
def test_lock_lifetime_is_the_remaining_invocation_time(pipeline: str) -> None:
    store = MemoryStore()
    app = FunctionApp("fn", store=store)
    key = Idempotency(store, namespace="fn").key_for(shared_key("j1"))
    seen: list[float] = []

    def lock_left() -> None:
        record = store.get(key)
        assert record is not None and record.status == INPROGRESS
        assert record.in_progress_expiry is not None
        seen.append(record.in_progress_expiry - time.time())

    if pipeline == "http":

        @app.http(model=Job, idempotency_key=lambda m: m.job)
        def on_http(job: Job, inv: Invocation) -> dict[str, str]:
            lock_left()
            return {"ok": job.job}

        event = webhook_event("POST", "/h", {}, b'{"job": "j1"}')
    elif pipeline == "batch":

        @app.batch(model=Job, idempotency_key=lambda m: m.job)
        def on_batch(jobs: list[Job], inv: Invocation) -> list[RecordOutcome]:
            lock_left()
            return [RecordOutcome.success() for _ in jobs]

        event = queue_event(['{"job": "j1"}'])
    else:

        @app.timer(model=Job, idempotency_key=lambda m: m.job)
        def on_timer(job: Job, inv: Invocation) -> None:
            lock_left()

        event = _timer_event('{"job": "j1"}')
    app.functiongraph_handler(event, FakeFunctionGraphContext(timeout_seconds=TIMEOUT))
    assert len(seen) == 1
    assert TIMEOUT - 1.0 < seen[0] <= TIMEOUT, seen  # not the 900 s default, not the 3600 s expiry


def _killed_child(db: str, marker: str) -> None:
    """Claims the lock with 1 s left, then dies the way a platform kill does: no release, no cleanup."""
    app = FunctionApp("fn", store=f"sqlite:///{db}")

    @app.http(model=Job, idempotency_key=lambda m: m.job)
    def on_http(job: Job, inv: Invocation) -> None:
        Path(marker).write_text("claimed")
        os._exit(9)

    app.functiongraph_handler(
        webhook_event("POST", "/h", {}, b'{"job": "j1"}'), FakeFunctionGraphContext(timeout_seconds=1.0)
    )


def test_lock_of_a_killed_invocation_is_taken_over_after_its_remaining_time(tmp_path: Path) -> None:
    db, marker = tmp_path / "idem.db", tmp_path / "claimed"
    child = multiprocessing.get_context("fork").Process(target=_killed_child, args=(str(db), str(marker)))
    child.start()
    child.join(timeout=30)
    assert child.exitcode == 9 and marker.read_text() == "claimed"

    runs: list[str] = []
    app = FunctionApp("fn", store=f"sqlite:///{db}")

    @app.http(model=Job, idempotency_key=lambda m: m.job)
    def on_http(job: Job, inv: Invocation) -> dict[str, str]:
        runs.append(job.job)
        return {"done": job.job}

    event = webhook_event("POST", "/h", {}, b'{"job": "j1"}')
    early = app.functiongraph_handler(event, FakeFunctionGraphContext(timeout_seconds=30))
    assert early["statusCode"] == 409 and runs == []  # the dead invocation's time has not run out yet
    time.sleep(1.1)
    late = app.functiongraph_handler(event, FakeFunctionGraphContext(timeout_seconds=30))
    assert late["statusCode"] == 200 and json.loads(late["body"]) == {"done": "j1"} and runs == ["j1"]
