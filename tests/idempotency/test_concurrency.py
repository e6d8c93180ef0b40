"""50 concurrent duplicate *invocations* run the handler once and all answer the same stored response:
threads and processes on one SQLite file, asyncio tasks on Redis and memory.

The handler sleeps so every duplicate arrives while the first is in progress; the app waits for the
original (``idempotency_wait``) instead of answering 409, which is what makes every caller see the same
stored response. Body executions are counted in a file (processes share nothing else).
"""

from __future__ import annotations

import asyncio
import json
import multiprocessing
import os
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

from pydantic import BaseModel

from shared.runtime import FunctionApp, Invocation
from shared.triggers.local import webhook_event

N = 50


class Purchase(BaseModel):
    request_id: str
    user: str


def make_app(store: str, counter: Path, delay: float = 0.3) -> FunctionApp:
    app = FunctionApp("license_purchase", store=store, idempotency_wait=30)

    @app.http(model=Purchase, idempotency_key=lambda m: m.request_id)
    async def purchase(req: Purchase, inv: Invocation) -> dict[str, Any]:
        with counter.open("a") as fh:
            fh.write(f"{os.getpid()}\n")
        await asyncio.sleep(delay)
        return {"license": f"L-{req.user}", "by_pid": os.getpid(), "at": time.time()}

    return app


EVENT = webhook_event("POST", "/purchase", {}, b'{"request_id": "r-1", "user": "ann"}')


def _assert_once(counter: Path, responses: list[dict[str, Any]]) -> None:
    assert len(counter.read_text().splitlines()) == 1
    assert all(r["statusCode"] == 200 for r in responses), {r["statusCode"] for r in responses}
    assert len({r["body"] for r in responses}) == 1


def test_sqlite_threads(tmp_path):
    counter = tmp_path / "count"
    app = make_app(f"sqlite:///{tmp_path / 'idem.db'}", counter)
    barrier = threading.Barrier(N)

    def invoke(_: int) -> dict[str, Any]:
        barrier.wait()
        return app.invoke_local(EVENT)

    with ThreadPoolExecutor(max_workers=N) as pool:
        responses = list(pool.map(invoke, range(N)))
    _assert_once(counter, responses)


def _child(db: str, counter: str, start: Any, results: Any) -> None:
    app = make_app(f"sqlite:///{db}", Path(counter))
    start.wait()
    results.put(json.dumps(app.invoke_local(EVENT)))


def test_sqlite_processes(tmp_path):
    ctx = multiprocessing.get_context("fork")
    counter = tmp_path / "count"
    db = tmp_path / "idem.db"
    start = ctx.Event()
    results = ctx.Queue()
    procs = [ctx.Process(target=_child, args=(str(db), str(counter), start, results)) for _ in range(N)]
    for proc in procs:
        proc.start()
    start.set()
    responses = [json.loads(results.get(timeout=60)) for _ in range(N)]
    for proc in procs:
        proc.join(timeout=30)
        assert proc.exitcode == 0
    _assert_once(counter, responses)
    pids = {json.loads(r["body"])["by_pid"] for r in responses}
    assert len(pids) == 1  # every process got the one stored answer, produced by one process


async def _tasks(app: FunctionApp) -> list[dict[str, Any]]:
    outs = await asyncio.gather(*(app.ainvoke(EVENT) for _ in range(N)))
    return [o.response for o in outs]


async def test_redis_asyncio_tasks(tmp_path, redis_url):
    import redis

    redis.Redis.from_url(redis_url).flushdb()
    counter = tmp_path / "count"
    app = make_app(redis_url, counter)
    _assert_once(counter, await _tasks(app))


async def test_memory_asyncio_tasks(tmp_path):
    counter = tmp_path / "count"
    _assert_once(counter, await _tasks(make_app("memory://", counter)))
