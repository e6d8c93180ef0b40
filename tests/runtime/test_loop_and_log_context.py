"""One event loop per invocation, and the log context of every line.

Each invocation gets a *fresh* loop (a frozen/thawed instance must not carry tasks or clients from the
last invocation into the next), and a function's own log lines - logged through ``shared.log`` far from
the runtime - carry function, request id, trigger and event id, and lose them after the invocation.
"""

from __future__ import annotations

import asyncio
import io
import json
from typing import Any

from pydantic import BaseModel

from devkit.fake_contexts import FakeFunctionGraphContext
from functions.license_purchase.handler import handler as purchase_handler
from shared.log import get_logger
from shared.runtime import FunctionApp, Invocation
from shared.triggers.local import webhook_event
from tests.functions import conftest as functions_conftest
from tests.functions.conftest import Wired, kafka, purchase_body

wired = functions_conftest.wired  # the fixture (not the name) is what pytest registers in this module


class Ping(BaseModel):
    n: int = 0


def _lines(buffer: io.StringIO) -> list[dict[str, Any]]:
    return [json.loads(line) for line in buffer.getvalue().splitlines() if line.startswith("{")]


def test_each_invocation_runs_on_a_fresh_loop_and_leaves_no_task_behind() -> None:
    app = FunctionApp("fn", store="memory://")
    loops: list[asyncio.AbstractEventLoop] = []
    leftovers: list[str] = []

    async def linger(n: int) -> None:
        await asyncio.sleep(0.05)
        leftovers.append(f"task of invocation {n} ran after its invocation ended")

    @app.http(model=Ping)
    async def on_http(ping: Ping, inv: Invocation) -> dict[str, int]:
        loops.append(asyncio.get_running_loop())
        asyncio.get_running_loop().create_task(linger(ping.n))  # never awaited: must not survive
        return {"n": ping.n}

    for n in range(3):
        event = webhook_event("POST", "/p", {}, json.dumps({"n": n}).encode())
        assert app.functiongraph_handler(event, FakeFunctionGraphContext())["statusCode"] == 200
    asyncio.run(asyncio.sleep(0.1))  # time for any leaked task to run, had it survived
    assert len({id(loop) for loop in loops}) == 3
    assert all(loop.is_closed() for loop in loops)
    assert leftovers == []


def test_function_log_lines_carry_the_invocation_context_and_lose_it_after(
    wired: Wired, log_buffer: io.StringIO
) -> None:
    out = purchase_handler(kafka([purchase_body(1)]), FakeFunctionGraphContext(request_id="fg-req-42"))
    assert out["records_ok"] == 1
    get_logger("after").info("outside")
    lines = _lines(log_buffer)
    [done] = [line for line in lines if line.get("event") == "license_purchase.done"]
    assert done["function"] == "license_purchase"
    assert done["request_id"] == "fg-req-42"  # the platform's request id wins over the event's
    assert done["trigger"] == "kafka"
    assert done["event_id"]  # the Kafka event's id
    [outside] = [line for line in lines if line.get("event") == "outside"]
    assert not {"function", "request_id", "trigger", "event_id"} & set(outside)
