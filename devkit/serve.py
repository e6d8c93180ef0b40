"""``opsfn serve``: every function of the template running locally, the way the platform would run it.

What runs, and why each piece looks like it does:

* **Webhooks** - one HTTP port for every ``Webhook`` route. A small ASGI app keeps the raw method, path,
  headers and body bytes (signatures cover the exact bytes), wraps them in the local webhook envelope
  and answers with the function's own HTTP response. Callers sign with ``OPSFN_WEBHOOK_SECRET`` (default:
  the documented development secret), exactly as the portal or CI would in production.
* **Queues** - ``POST /queue/<function>`` with a JSON array of messages, a folder of ``<function>*.json``
  files (``--queue-dir``; processed files move to ``done/`` or ``failed/``) and JSON lines
  ``{"function": ..., "messages": [...]}`` on stdin (``--stdin``): a batch per request/file/line, with
  the runtime's per-record results.
* **Timers** - ``Cron`` via croniter and ``Rate`` as fixed intervals (UTC), delivered as FunctionGraph
  timer events carrying the template's ``Input`` as ``user_event``.
* **Workflows** - ``POST /workflows/<name>`` with a JSON input, run by :mod:`devkit.workflows`: each
  step's output is the next step's input, with fan-out (``ForEach``/``MaxConcurrency``), ``Retry`` and
  an ``OnError`` branch.
* The emulator serves in-process to the functions and on ``--emulator-port`` for external tools.

A live line per invocation (time, function, trigger, status, duration) goes to stdout; the functions' JSON
logs go to stderr. Ctrl-C (or ``--duration``) stops the servers and background threads cleanly.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import shutil
import socket
import sys
import threading
import time
import uuid
from collections.abc import Awaitable, Callable, Iterator, MutableMapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, quote

from devkit.invoke import InvokeError, InvokeResult, LocalRuntime, check_webhook_secrets, log_to_stderr
from devkit.routing import Router
from devkit.template import Template, TimerEvent
from devkit.workflows import WorkflowStepError, run_workflow, step_output

__all__ = [
    "Scheduler",
    "ServeError",
    "ServeInfo",
    "ServeOptions",
    "TimerJob",
    "WorkflowStepError",
    "build_app",
    "run_serve",
    "run_workflow",
    "timer_jobs",
]

Scope = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[MutableMapping[str, Any]]]
Send = Callable[[MutableMapping[str, Any]], Awaitable[None]]
MAX_BODY = 6 * 1024 * 1024  # FunctionGraph's synchronous request limit
_RATE_UNITS = {"m": 60, "h": 3600, "d": 86400}


@dataclass(frozen=True)
class ServeOptions:
    host: str = "127.0.0.1"
    port: int = 8700
    emulator_port: int = 8600
    queue_dir: Path | None = None
    use_stdin: bool = False
    duration: float | None = None
    once: bool = False
    target: str = "auto"
    poll_seconds: float = 0.5


@dataclass(frozen=True)
class ServeInfo:
    """Where things listen once started (ports resolved when 0 was asked for)."""

    webhook_url: str
    emulator_url: str | None
    routes: tuple[tuple[str, str, str], ...]


def _now() -> datetime:
    return datetime.now(timezone.utc)


class ServeError(Exception):
    """``opsfn serve`` cannot start (e.g. a port is taken); the message says which and what to do."""


def _free_socket(host: str, port: int, what: str) -> socket.socket:
    """Bind before starting the server thread, so a taken port fails here with a clear message."""
    from devkit.emulator.server import listening_socket

    try:
        return listening_socket(host, port)
    except OSError as exc:
        raise ServeError(f"cannot listen on {host}:{port} for the {what}: {exc.strerror or exc}") from None


# ---------------------------------------------------------------------------------------------- timers


@dataclass
class TimerJob:
    """One Timer event of one function, with its next due time."""

    function: str
    event_name: str
    cron: str | None
    rate_seconds: int | None
    user_event: str
    next_due: datetime = field(default_factory=_now)

    def advance(self, after: datetime) -> None:
        if self.rate_seconds is not None:
            step = timedelta(seconds=self.rate_seconds)
            while self.next_due <= after:
                self.next_due += step
            return
        from croniter import croniter

        self.next_due = croniter(self.cron, after).get_next(datetime)

    def event(self, fired_at: datetime) -> dict[str, Any]:
        """The FunctionGraph timer event the platform would deliver."""
        return {
            "version": "v1.0",
            "time": fired_at.isoformat(timespec="seconds"),
            "trigger_type": "TIMER",
            "trigger_name": self.event_name,
            "user_event": self.user_event,
        }


def timer_jobs(template: Template, start: datetime) -> list[TimerJob]:
    """Every Timer of the template, first due at its first schedule point after ``start``."""
    jobs = []
    for name, fn in template.functions.items():
        for event_name, event in fn.events.items():
            if not isinstance(event, TimerEvent):
                continue
            props = event.properties
            rate = None
            if props.rate is not None:
                value, unit = props.rate.strip()[:-1], props.rate.strip()[-1]
                rate = int(value) * _RATE_UNITS[unit]
            user_event = json.dumps(props.input) if props.input else ""
            job = TimerJob(name, event_name, props.cron, rate, user_event, next_due=start)
            job.advance(start)
            jobs.append(job)
    return jobs


class Scheduler:
    """Fires due timer jobs; the clock is injectable so tests need not wait for real minutes."""

    def __init__(
        self,
        jobs: list[TimerJob],
        fire: Callable[[TimerJob, datetime], None],
        clock: Callable[[], datetime] = _now,
    ) -> None:
        self.jobs = jobs
        self._fire = fire
        self._clock = clock

    def run_due(self) -> int:
        """Fire every job due now (once each, even if several periods were missed); return how many."""
        now = self._clock()
        fired = 0
        for job in self.jobs:
            if job.next_due <= now:
                due = job.next_due
                job.advance(now)
                self._fire(job, due)
                fired += 1
        return fired

    def seconds_to_next(self) -> float:
        if not self.jobs:
            return 3600.0
        return max(0.0, min((j.next_due - self._clock()).total_seconds() for j in self.jobs))

    def loop(self, stop: threading.Event, max_sleep: float = 1.0) -> None:
        while not stop.is_set():
            self.run_due()
            stop.wait(min(max_sleep, self.seconds_to_next()) or 0.01)


# ------------------------------------------------------------------------------------------ http app


@dataclass(frozen=True)
class _Request:
    """What an endpoint needs of one request: the exact body bytes and the router's path parameters."""

    method: str
    path: str
    headers: dict[str, str]
    query: dict[str, str]
    body: bytes
    params: dict[str, str]


@dataclass(frozen=True)
class _Answer:
    status: int
    body: bytes
    headers: dict[str, str] = field(default_factory=dict)


class _Refused(Exception):
    """An endpoint turns the request down; ``answer`` says why, as a JSON error."""

    def __init__(self, status: int, error: str, message: str) -> None:
        super().__init__(message)
        self.answer = _error(status, error, message)


Endpoint = Callable[[_Request], Awaitable[_Answer]]


def _json(data: Any) -> bytes:
    return json.dumps(data, ensure_ascii=False).encode()


def _error(status: int, error: str, message: str, **extra: Any) -> _Answer:
    return _Answer(status, _json({"error": error, "message": message, **extra}))


def _parse_json(raw: bytes | str) -> Any:
    """``json.loads`` whose every failure is a ``ValueError``.

    Nesting deeper than the parser's stack raises ``RecursionError``, which is not a ``ValueError``:
    a hostile ``[[[[...`` body would otherwise surface as a 500 with a traceback instead of a 400.
    """
    try:
        return json.loads(raw or b"null")
    except RecursionError:
        raise ValueError("JSON nested too deeply") from None


def _request_json(request: _Request) -> Any:
    try:
        return _parse_json(request.body)
    except ValueError as exc:
        raise _Refused(400, "bad_json", str(exc)) from None


def _messages(items: list[Any]) -> list[str | dict[str, Any]]:
    """Queue messages as the local envelope takes them: strings and ``{id, body}`` wrappers as given.

    A plain JSON object is itself a message body (what a producer would put on the topic); only an
    object with a ``body`` and at most an ``id`` besides is read as a wrapper. Anything else (a number,
    ``null``, a list) is that message's raw body in JSON, so the runtime reports it as one failed record
    of the batch instead of the whole request crashing on it.
    """
    return [m if isinstance(m, str) or _is_wrapper(m) else json.dumps(m) for m in items]


def _is_wrapper(message: Any) -> bool:
    return isinstance(message, dict) and "body" in message and set(message) <= {"id", "body"}


def _function_answer(response: dict[str, Any]) -> _Answer:
    """The function's own HTTP response (``statusCode``, headers, possibly base64 body) as sent."""
    import base64

    body = response.get("body") or ""
    data = base64.b64decode(body) if response.get("isBase64Encoded") else str(body).encode()
    headers = {str(k): str(v) for k, v in (response.get("headers") or {}).items()}
    return _Answer(int(response.get("statusCode", 200)), data, headers)


def _workflow_failure(exc: WorkflowStepError) -> _Answer:
    status = exc.result.status if exc.result is not None else None
    if exc.index == 0 and status is not None and 400 <= status < 500 and exc.result is not None:
        # The caller's input was refused by the first step: that is the caller's error, and the step's
        # own answer (field-level messages) tells them what to fix.
        return _error(status, "input_rejected", str(exc), step=step_output(exc.result))
    return _error(502, "workflow_failed", str(exc))


class _Endpoints:
    """The handlers behind the webhook port: one per kind of endpoint, each answering one request."""

    def __init__(self, runtime: LocalRuntime, report: Callable[[InvokeResult], None]) -> None:
        self.runtime = runtime
        self.report = report

    async def _call(self, name: str, event: dict[str, Any]) -> InvokeResult:
        result = await asyncio.to_thread(self.runtime.invoke, name, event, sign=False)
        self.report(result)
        return result

    def webhook(self, function: str) -> Endpoint:
        """A template route: the request in the local webhook envelope, answered by the function."""
        from shared.triggers.local import webhook_event

        async def endpoint(request: _Request) -> _Answer:
            event = webhook_event(
                request.method,
                request.path,
                request.headers,
                request.body,
                request.query,
                request_id=uuid.uuid4().hex,
            )
            return _function_answer((await self._call(function, event)).response)

        return endpoint

    async def queue(self, request: _Request) -> _Answer:
        """``POST /queue/<function>``: a JSON array of messages, delivered as one batch."""
        from shared.triggers.local import queue_event

        data = _request_json(request)
        target = request.params["function"]
        if target not in self.runtime.template.functions or not isinstance(data, list):
            raise _Refused(400, "bad_request", _queue_help(self.runtime))
        result = await self._call(target, queue_event(_messages(data), topic=target))
        if result.response.get("error") == "no_handler":
            raise _Refused(404, "not_found", f"function {target!r} has no queue handler")
        return _Answer(200, _json(result.response))

    async def workflow(self, request: _Request) -> _Answer:
        """``POST /workflows/<name>``: run the workflow on the JSON body, answer the last output."""
        data = _request_json(request)
        name = request.params["name"]
        if name not in self.runtime.template.workflows:
            raise _Refused(404, "not_found", f"no workflow {name!r}")
        try:
            output = await asyncio.to_thread(run_workflow, self.runtime, name, data, self.report)
        except WorkflowStepError as exc:
            return _workflow_failure(exc)
        except (ValueError, RuntimeError) as exc:
            return _error(502, "workflow_failed", str(exc))
        return _Answer(200, _json({"workflow": name, "output": output}))

    async def healthz(self, request: _Request) -> _Answer:
        """``GET /healthz``: the webhook routes being served."""
        routes = sorted(f"{r.method} {r.path}" for _, _, r in self.runtime.template.webhook_routes())
        return _Answer(200, _json({"ok": True, "routes": routes}))


def _router(endpoints: _Endpoints) -> Router[Endpoint]:
    """The template's webhook routes first (as on the gateway), then the local endpoints."""
    router: Router[Endpoint] = Router()
    for function, _, route in endpoints.runtime.template.webhook_routes():
        router.add(route.method, route.path, endpoints.webhook(function))
    router.add("POST", "/queue/{function}", endpoints.queue)
    router.add("POST", "/workflows/{name}", endpoints.workflow)
    router.add("GET", "/healthz", endpoints.healthz)
    return router


async def _read_body(receive: Receive) -> bytes | None:
    """The whole body, or ``None`` once it grows past :data:`MAX_BODY` (nothing more is buffered)."""
    chunks, size = [], 0
    while True:
        message = await receive()
        chunk = message.get("body", b"")
        size += len(chunk)
        if size > MAX_BODY:
            return None
        chunks.append(chunk)
        if not message.get("more_body"):
            return b"".join(chunks)


def _raw_path(scope: Scope) -> str:
    """The still percent-encoded path the router matches on (an encoded ``/`` stays in its segment)."""
    raw = scope.get("raw_path")
    return raw.split(b"?", 1)[0].decode("latin-1") if raw else quote(scope["path"])


async def _answer_request(router: Router[Endpoint], scope: Scope, receive: Receive) -> _Answer:
    method, path = scope["method"], scope["path"]
    body = await _read_body(receive)
    if body is None:
        return _error(413, "too_large", f"body over {MAX_BODY} bytes")
    found = router.match(method, _raw_path(scope))
    if found is None:
        return _error(404, "not_found", f"no route {method} {path}")
    if found.endpoint is None:
        # A known endpoint called the wrong way: say so (405 + Allow), not "no such route".
        allow = ", ".join(found.allowed)
        answer = _error(405, "method_not_allowed", f"{method} {path}: use {allow}")
        return _Answer(answer.status, answer.body, {"allow": allow})
    headers = {k.decode("latin-1"): v.decode("latin-1") for k, v in scope["headers"]}
    query = dict(parse_qsl(scope.get("query_string", b"").decode("latin-1")))
    try:
        return await found.endpoint(_Request(method, path, headers, query, body, found.params))
    except _Refused as refused:
        return refused.answer


async def _send(send: Send, answer: _Answer) -> None:
    raw = [(k.lower().encode("latin-1"), str(v).encode("latin-1")) for k, v in answer.headers.items()]
    if not any(k == b"content-type" for k, _ in raw):
        raw.append((b"content-type", b"application/json"))
    await send({"type": "http.response.start", "status": answer.status, "headers": raw})
    await send({"type": "http.response.body", "body": answer.body})


def build_app(runtime: LocalRuntime, report: Callable[[InvokeResult], None]) -> Any:
    """The ASGI app: webhook routes, ``/queue/<function>``, ``/workflows/<name>``, ``/healthz``."""
    router = _router(_Endpoints(runtime, report))

    async def app(scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            await _send(send, await _answer_request(router, scope, receive))

    return app


def _queue_help(runtime: LocalRuntime) -> str:
    names = ", ".join(runtime.template.functions)
    return f"POST /queue/<function> with a JSON array of messages; functions: {names}"


# ---------------------------------------------------------------------------------------------- feeds


def _queue_file_target(runtime: LocalRuntime, path: Path, data: Any) -> tuple[str, list[Any]]:
    if isinstance(data, dict) and "function" in data:
        messages = data.get("messages") or []
        if not isinstance(messages, list):
            raise ValueError("'messages' must be a JSON array")
        return str(data["function"]), _messages(messages)
    # `<function>*.json`, as documented: the longest function name the file name starts with.
    names = sorted(runtime.template.functions, key=len, reverse=True)
    function = next((n for n in names if path.stem.startswith(n)), "")
    if not isinstance(data, list):
        raise ValueError("expected a JSON array of messages or {function, messages}")
    return function, _messages(data)


def process_queue_dir(runtime: LocalRuntime, folder: Path, report: Callable[[InvokeResult], None]) -> int:
    """Deliver every ``*.json`` in ``folder`` once; move it to ``done/`` or ``failed/``. Returns the count."""
    from shared.triggers.local import queue_event

    count = 0
    for path in sorted(folder.glob("*.json")):
        outcome = "failed"
        try:
            function, messages = _queue_file_target(
                runtime, path, _parse_json(path.read_text(encoding="utf-8"))
            )
            if function not in runtime.template.functions:
                raise ValueError(f"no function for {path.name}: name it <function>*.json")
            result = runtime.invoke(function, queue_event(messages, topic=function))
            report(result)
            outcome = "done" if result.ok else "failed"
        except (OSError, ValueError) as exc:
            print(f"queue file {path.name}: {exc}", file=sys.stderr)
        target = folder / outcome
        target.mkdir(exist_ok=True)
        shutil.move(str(path), target / path.name)
        count += 1
    return count


def _stdin_loop(runtime: LocalRuntime, stop: threading.Event, report: Callable[[InvokeResult], None]) -> None:
    from shared.triggers.local import queue_event

    for line in sys.stdin:
        if stop.is_set():
            return
        if not line.strip():
            continue
        try:
            data = _parse_json(line)
            function, messages = data["function"], data["messages"]
            if not isinstance(messages, list):
                raise ValueError("'messages' must be a JSON array")
            messages = _messages(messages)
            if function not in runtime.template.functions:
                raise ValueError(f"unknown function {function!r}")
            report(runtime.invoke(function, queue_event(messages, topic=function)))
        except (ValueError, KeyError, TypeError) as exc:
            print(f"stdin: expected {{'function': ..., 'messages': [...]}}: {exc}", file=sys.stderr)


# ----------------------------------------------------------------------------------------------- main


def _status(result: InvokeResult) -> str:
    if result.status is not None:
        return str(result.status)
    if "records_ok" in result.response:
        return f"{result.response['records_ok']} ok/{result.response['records_failed']} failed"
    return "ok" if result.ok else "error"


def _reporter(echo: Callable[[str], None]) -> Callable[[InvokeResult], None]:
    lock = threading.Lock()

    def report(result: InvokeResult) -> None:
        stamp = datetime.now().strftime("%H:%M:%S")
        status = _status(result)
        took = f"{result.duration_ms:7.1f} ms"
        line = f"{stamp}  {result.function:<20} {result.trigger:<12} {status:<16} {took}"
        with lock:
            echo(line)

    return report


@contextlib.contextmanager
def _uvicorn(app: Any, sock: socket.socket, name: str) -> Iterator[None]:
    """Serve ``app`` on the bound socket in a thread; stop and join it on exit."""
    import uvicorn

    config = uvicorn.Config(app, http="h11", lifespan="off", log_level="warning", timeout_graceful_shutdown=2)
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, name=name, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started:
        if not thread.is_alive() or time.monotonic() > deadline:
            raise RuntimeError(f"{name} did not start")
        time.sleep(0.01)
    try:
        yield
    finally:
        server.should_exit = True
        thread.join(timeout=10)


def run_serve(
    template: Template,
    root: Path,
    options: ServeOptions,
    *,
    echo: Callable[[str], None] = print,
    ready: Callable[[ServeInfo], None] = lambda _: None,
    stop: threading.Event | None = None,
) -> None:
    """Serve until Ctrl-C, ``stop`` is set, ``--duration`` passes, or (``--once``) the first round ends."""
    log_to_stderr()
    try:
        check_webhook_secrets(os.environ)
    except InvokeError as exc:
        raise ServeError(str(exc)) from None
    stop = stop or threading.Event()
    report = _reporter(echo)
    runtime = LocalRuntime(template, root, target=options.target, echo=echo)
    with runtime.running(), contextlib.ExitStack() as stack:
        emulator_url = None
        if runtime.embedded and options.emulator_port is not None:
            from devkit.emulator.server import asgi_app

            emu_sock = stack.enter_context(
                _free_socket(options.host, options.emulator_port, "emulator (--emulator-port)")
            )
            stack.enter_context(_uvicorn(asgi_app(runtime.emulator), emu_sock, "opsfn-emulator"))
            emulator_url = f"http://{options.host}:{emu_sock.getsockname()[1]}"
        sock = stack.enter_context(_free_socket(options.host, options.port, "webhooks (--port)"))
        stack.enter_context(_uvicorn(build_app(runtime, report), sock, "opsfn-webhooks"))
        url = f"http://{options.host}:{sock.getsockname()[1]}"
        routes = tuple((route.method, route.path, name) for name, _, route in template.webhook_routes())
        echo(f"webhooks on {url}" + (f"; emulator on {emulator_url}" if emulator_url else ""))
        for method, path, name in routes:
            echo(f"  {method:<6} {url}{path}  -> {name}")
        echo(f"  POST   {url}/queue/<function>  (JSON array of messages)")
        if template.workflows:
            echo(f"  POST   {url}/workflows/<name>  ({', '.join(template.workflows)})")
        start = _now()
        jobs = timer_jobs(template, start)
        for job in jobs:
            echo(
                f"  timer  {job.function}.{job.event_name}: next {job.next_due.isoformat(timespec='seconds')}"
            )

        def fire(job: TimerJob, due: datetime) -> None:
            report(runtime.invoke(job.function, job.event(due)))

        scheduler = Scheduler(jobs, fire)
        ready(ServeInfo(url, emulator_url, routes))
        if options.once:
            for job in jobs:
                fire(job, start)
            _workflows_once(runtime, root, report, echo)
            if options.queue_dir is not None and options.queue_dir.is_dir():
                process_queue_dir(runtime, options.queue_dir, report)
        else:
            _run_feeds(runtime, scheduler, options, stop, report, echo)
    echo("stopped")


def _workflow_input(root: Path, function: str) -> Any:
    """A demo input for a workflow: the first plain sample body of its first step, else ``{}``."""
    bodies = sorted((root / "events" / function / "bodies").glob("*.json"))
    if not bodies:
        return {}
    try:
        return _parse_json(bodies[0].read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}


def _workflows_once(
    runtime: LocalRuntime, root: Path, report: Callable[[InvokeResult], None], echo: Callable[[str], None]
) -> None:
    """``--once``: every workflow once, on its first step's sample body; a failure is a line, not a stop."""
    for name, spec in runtime.template.workflows.items():
        try:
            run_workflow(runtime, name, _workflow_input(root, spec.steps[0].function), report)
        except (WorkflowStepError, ValueError, RuntimeError) as exc:
            echo(f"workflow {name}: {exc}")
        else:
            echo(f"workflow {name}: done")


def _run_feeds(
    runtime: LocalRuntime,
    scheduler: Scheduler,
    options: ServeOptions,
    stop: threading.Event,
    report: Callable[[InvokeResult], None],
    echo: Callable[[str], None],
) -> None:
    """Run the timer, queue-folder and stdin threads until ``stop``, ``--duration`` or Ctrl-C."""
    threads = [threading.Thread(target=scheduler.loop, args=(stop,), name="opsfn-timers", daemon=True)]
    if options.queue_dir is not None:
        options.queue_dir.mkdir(parents=True, exist_ok=True)
        folder = options.queue_dir

        def watch() -> None:
            while not stop.is_set():
                process_queue_dir(runtime, folder, report)
                stop.wait(options.poll_seconds)

        threads.append(threading.Thread(target=watch, name="opsfn-queue-dir", daemon=True))
    if options.use_stdin:
        threads.append(
            threading.Thread(
                target=_stdin_loop, args=(runtime, stop, report), name="opsfn-stdin", daemon=True
            )
        )
    for thread in threads:
        thread.start()
    try:
        stop.wait(options.duration)
    except KeyboardInterrupt:
        echo("stopping ...")
    finally:
        stop.set()
        for thread in threads:
            if thread.name != "opsfn-stdin":  # a blocked stdin read ends with the process
                thread.join(timeout=5)
