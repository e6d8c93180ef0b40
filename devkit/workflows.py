"""The local workflow runner behind ``opsfn serve`` (``POST /workflows/<name>``) and the tests.

A workflow (``Workflows`` in ``template.yaml``) is a chain of steps. Each step calls one function with
the previous step's output, with three things real flows need, executed here the way the rendered
FunctionGraph and ASW flows run them on the clouds:

* **Fan-out** - ``ForEach: key`` calls the function once per item of the list under ``key`` in the
  previous output, at most ``MaxConcurrency`` items in flight (default 1, one after the other); the
  step's output is the list of the items' outputs, in item order. Every item runs even when one fails
  (items are independent jobs: stopping half-way would leave the rest for the next run for no gain),
  and the step fails if any item failed.
* **Retry** - ``Retry: {MaxAttempts, IntervalSeconds}`` re-runs a failed call (each item, for a
  fan-out) up to ``MaxAttempts`` more times, ``IntervalSeconds`` apart.
* **Error branch** - ``OnError: step`` sends a failure (after its retries) to that later step with
  ``{"error": ..., "step": ..., "input": ...}`` instead of failing the workflow; without ``OnError``
  the workflow stops with :class:`WorkflowStepError`.

Locally, :class:`~devkit.invoke.LocalRuntime` still runs one invocation at a time (each needs its own
function's environment in the process-wide ``os.environ``): ``MaxConcurrency`` bounds how many items are
in flight, and on the clouds it bounds real parallelism.
"""

from __future__ import annotations

import json
import threading
import time
import uuid
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime, timezone
from typing import Any

from devkit.invoke import InvokeResult, LocalRuntime
from devkit.template import TimerEvent, WorkflowSpec, WorkflowStep

__all__ = ["Invoker", "WorkflowStepError", "execute", "run_workflow", "step_output"]

Invoker = Callable[[str, Any], InvokeResult]
"""Calls one function on one input and returns the platform's answer (the seam the tests replace)."""

Report = Callable[[InvokeResult], None]


class WorkflowStepError(RuntimeError):
    """A step failed and has no ``OnError``: where (index and name), why, and the last answer if any."""

    def __init__(
        self, index: int, name: str, function: str, reason: str, result: InvokeResult | None
    ) -> None:
        super().__init__(f"step {index} ({function}) failed: {reason} [{name}]")
        self.index = index
        self.name = name
        self.function = function
        self.result = result


class _Failure(Exception):
    """One step's failure, as handed to its ``OnError`` step (``detail``) or raised to the caller."""

    def __init__(self, reason: str, detail: dict[str, Any], result: InvokeResult | None = None) -> None:
        super().__init__(reason)
        self.reason = reason
        self.detail = detail
        self.result = result


def step_output(result: InvokeResult) -> Any:
    """What a step hands on: the HTTP body, the timer/event result, or the records' results."""
    response = result.response
    if "statusCode" in response:
        body = response.get("body") or "null"
        try:
            return json.loads(body)
        except ValueError:
            return body
    if "results" in response:
        results = [r.get("result") for r in response["results"] if r.get("status") == "ok"]
        return results[0] if len(results) == 1 else results
    return response.get("result", response)


def _failure_of(result: InvokeResult) -> _Failure:
    reason = f"status {result.status}" if result.status is not None else "the function reported a failure"
    return _Failure(reason, {"status": result.status, "answer": step_output(result)}, result)


def _call(
    step: WorkflowStep, data: Any, invoke: Invoker, report: Report, sleep: Callable[[float], None]
) -> Any:
    """One call of ``step`` on ``data`` with the step's retries; its output, or :class:`_Failure`."""
    attempts = 1 + (step.retry.max_attempts if step.retry else 0)
    for attempt in range(1, attempts + 1):
        result = invoke(step.function, data)
        report(result)
        if result.ok:
            return step_output(result)
        if attempt < attempts and step.retry is not None:
            sleep(step.retry.interval_seconds)
    raise _failure_of(result)


def _fan_out(
    step: WorkflowStep, current: Any, invoke: Invoker, report: Report, sleep: Callable[[float], None]
) -> list[Any]:
    """``ForEach``: every item through :func:`_call`, at most ``step.concurrency`` at once."""
    items = current.get(step.for_each) if isinstance(current, dict) else None
    if not isinstance(items, list):
        reason = f"ForEach key {step.for_each!r} is not a list in the step's input"
        raise _Failure(reason, {"message": reason})

    def one(item: Any) -> tuple[bool, Any]:
        try:
            return True, _call(step, item, invoke, report, sleep)
        except _Failure as failure:
            return False, failure

    with ThreadPoolExecutor(max_workers=step.concurrency, thread_name_prefix="opsfn-foreach") as pool:
        done = list(pool.map(one, items))
    failed = [(i, outcome) for i, (ok, outcome) in enumerate(done) if not ok]
    if not failed:
        return [outcome for _, outcome in done]
    details = [{"index": i, "item": items[i], **f.detail} for i, f in failed]
    reason = f"{len(failed)} of {len(items)} items failed"
    outputs = [outcome if ok else None for ok, outcome in done]
    raise _Failure(reason, {"message": reason, "failed": details, "outputs": outputs}, failed[0][1].result)


def execute(
    spec: WorkflowSpec,
    data: Any,
    invoke: Invoker,
    report: Report = lambda _: None,
    sleep: Callable[[float], None] = time.sleep,
) -> Any:
    """Run ``spec`` on ``data``; the terminal step's output (a list after a ForEach).

    ``report`` sees every invocation (called from the fan-out's threads too, one at a time).
    """
    lock = threading.Lock()

    def locked_report(result: InvokeResult) -> None:
        with lock:
            report(result)

    names = spec.names
    index: int | None = 0
    current = data
    while index is not None:
        step = spec.steps[index]
        try:
            if step.for_each is not None:
                current = _fan_out(step, current, invoke, locked_report, sleep)
            else:
                current = _call(step, current, invoke, locked_report, sleep)
        except _Failure as failure:
            if step.on_error is None:
                raise WorkflowStepError(
                    index, names[index], step.function, failure.reason, failure.result
                ) from None
            current = {
                "error": {"message": failure.reason, **failure.detail},
                "step": names[index],
                "input": current,
            }
            index = names.index(step.on_error)
            continue
        index = spec.successor(index)
    return current


# ------------------------------------------------------------------------- the local runtime as invoker


def _step_event(runtime: LocalRuntime, function: str, data: Any) -> dict[str, Any]:
    """Deliver ``data`` through the trigger the function has: webhook, else queue, else timer."""
    from shared.triggers.local import queue_event, webhook_event

    fn = runtime.function(function)
    hooks = [route for name, _, route in runtime.template.webhook_routes() if name == function]
    body = json.dumps(data).encode()
    if hooks:
        headers = {"content-type": "application/json"}
        return webhook_event(hooks[0].method, hooks[0].path, headers, body, request_id=uuid.uuid4().hex)
    if not any(isinstance(e, TimerEvent) for e in fn.events.values()):
        return queue_event([{"id": f"wf-{uuid.uuid4().hex[:12]}", "body": data}], topic=function)
    return {
        "version": "v1.0",
        "time": datetime.now(timezone.utc).isoformat(timespec="seconds"),
        "trigger_type": "TIMER",
        "trigger_name": "workflow",
        "user_event": body.decode(),
    }


def run_workflow(
    runtime: LocalRuntime,
    name: str,
    data: Any,
    report: Report = lambda _: None,
    sleep: Callable[[float], None] = time.sleep,
) -> Any:
    """Run workflow ``name`` of the runtime's template on ``data`` through the local runtime."""
    spec = runtime.template.workflows.get(name)
    if spec is None:
        raise KeyError(name)

    def invoke(function: str, item: Any) -> InvokeResult:
        return runtime.invoke(function, _step_event(runtime, function, item))

    return execute(spec, data, invoke, report, sleep)
