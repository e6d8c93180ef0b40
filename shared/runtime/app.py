"""FunctionApp: handler registration, the platform entry points, dispatch and the summary line.

Why a single wrapper: every function needs the same chores - detect the envelope, verify, validate, claim
idempotency, bind log context, map errors, shape the platform response, log one summary line - and the
same handler must deploy to both clouds. Each invocation runs its async handler on a fresh event loop
(``asyncio.run``): FunctionGraph and SCF call ``handler`` synchronously, and a per-invocation loop cannot
leak tasks or clients into the next (frozen/thawed) invocation.

The summary line (``event="invocation"``) carries ``function``, ``request_id``, ``trigger``, ``event_id``,
``outcome`` (ok/replayed/rejected/error/partial/failed), ``status``, ``duration_ms``, ``records_ok``,
``records_failed`` and ``cold_start``; log-based metrics can count and time invocations from it alone.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from dataclasses import dataclass
from functools import partial
from typing import Any, TypeVar

from pydantic import BaseModel

from shared.config import Settings
from shared.errors import OpsfnError
from shared.idempotency import DEFAULT_EXPIRES_AFTER, Idempotency, IdempotencyStore, open_store
from shared.runtime.context import (
    Invocation,
    context_remaining_seconds,
    context_request_id,
    invocation_settings,
)
from shared.runtime.errors import answer_for
from shared.runtime.idempotent import IdempotentCalls
from shared.runtime.responses import BatchItemResult, HttpResponse, RecordOutcome, batch_response
from shared.runtime.specs import (
    DEFAULT_MAX_BODY_BYTES,
    BatchSpec,
    EventSpec,
    HttpSpec,
    TimerSpec,
    Verification,
)
from shared.runtime.unavailable import RuntimeUnavailable, diagnose, log_unavailable, store_setup_failure
from shared.triggers import EventParseError, TriggerEvent, parse_event

__all__ = ["FunctionApp", "InvocationOutput", "RedeliveryRequested"]

F = TypeVar("F", bound=Callable[..., Any])


class RedeliveryRequested(OpsfnError):
    """Raised by a platform entry point after a batch in which some records failed retryably.

    Neither FunctionGraph (Kafka, SMN) nor SCF (CKafka, CMQ) accepts a partial-batch answer; failing the
    invocation is their only redelivery signal. Completed records are answered from the idempotency store
    on redelivery, so only the failed ones run again. The message lists record ids only.
    """

    def __init__(self, failed_ids: tuple[str, ...]) -> None:
        self.failed_ids = failed_ids
        shown = ", ".join(failed_ids[:20]) + (" ..." if len(failed_ids) > 20 else "")
        super().__init__(f"{len(failed_ids)} record(s) failed and should be redelivered: {shown}")


@dataclass(frozen=True)
class InvocationOutput:
    """The platform response plus what the entry points and ``opsfn`` tooling need to know about it."""

    response: dict[str, Any]
    outcome: str
    status: int | None = None
    redeliver: bool = False
    failed_ids: tuple[str, ...] = ()
    records_ok: int = 0
    records_failed: int = 0


class FunctionApp:
    """Handlers of one function, by trigger kind, plus the platform entry points.

    ``store`` is an :class:`IdempotencyStore` or a store URL; ``None`` means the configured one
    (:attr:`shared.config.Settings.store_url`). ``idempotency_wait`` is how long a
    duplicate waits for an in-progress original before answering 409 (0: answer at once).
    ``timeout_margin`` is kept free before the platform deadline to release locks and answer cleanly.
    """

    def __init__(
        self,
        name: str,
        *,
        store: IdempotencyStore | str | None = None,
        expires_after: float = DEFAULT_EXPIRES_AFTER,
        idempotency_wait: float = 0.0,
        timeout_margin: float = 0.5,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.name = name
        self._store = store
        self._expires_after = expires_after
        self._wait = idempotency_wait
        self._margin = timeout_margin
        self._clock = clock
        self._http: HttpSpec | None = None
        self._batch: BatchSpec | None = None
        self._timer: TimerSpec | None = None
        self._event: EventSpec | None = None
        self._cold = True
        self._checked = False
        self._alarmed = False

    # ------------------------------------------------------------------------------- registration

    def http(
        self,
        *,
        model: type[BaseModel],
        verify: Verification | None = None,
        idempotency_key: Callable[[Any], Any] | None = None,
        max_body_bytes: int = DEFAULT_MAX_BODY_BYTES,
    ) -> Callable[[F], F]:
        """Register the webhook/APIG handler ``(model, inv) -> result``; see :mod:`shared.runtime.http`."""

        return self._registrar(
            "_http", lambda fn: HttpSpec(fn, model, verify, idempotency_key, max_body_bytes)
        )

    def batch(
        self, *, model: type[BaseModel], idempotency_key: Callable[[Any], Any] | None = None
    ) -> Callable[[F], F]:
        """Register the queue handler ``(items, inv) -> list[RecordOutcome]`` (Kafka, CKafka, CMQ, SMN)."""
        return self._registrar("_batch", lambda fn: BatchSpec(fn, model, idempotency_key))

    def timer(
        self, *, model: type[BaseModel], idempotency_key: Callable[[Any], Any] | None = None
    ) -> Callable[[F], F]:
        """Register the timer handler ``(model, inv) -> result``; the user text fills the model."""
        return self._registrar("_timer", lambda fn: TimerSpec(fn, model, idempotency_key))

    def event(
        self,
        *,
        model: type[BaseModel],
        sources: tuple[str, ...] = ("cts", "eventgrid"),
        idempotency_key: Callable[[Any], Any] | None = None,
    ) -> Callable[[F], F]:
        """Register the audit/cloud-event handler ``(model, inv) -> result``, called once per event.

        ``sources`` picks the triggers (``cts``, ``eventgrid``, and ``smn`` to take SMN here instead of
        in ``@app.batch``). The model is validated from the CTS trace, or from a CloudEvent's ``data``
        (the whole envelope when the model subclasses :class:`~shared.triggers.CloudEvent`).
        """
        return self._registrar("_event", lambda fn: EventSpec(fn, model, tuple(sources), idempotency_key))

    def _registrar(self, slot: str, spec: Callable[[Callable[..., Any]], object]) -> Callable[[F], F]:
        """A decorator keeping ``spec(fn)`` as this app's handler for one trigger kind (``slot``)."""

        def register(fn: F) -> F:
            setattr(self, slot, spec(fn))
            return fn

        return register

    # ------------------------------------------------------------------------------- entry points

    def functiongraph_handler(self, event: Any, context: Any = None) -> dict[str, Any]:
        """FunctionGraph entry point: ``handler = app.functiongraph_handler``."""
        return self._entry(event, context, "functiongraph")

    def scf_handler(self, event: Any, context: Any = None) -> dict[str, Any]:
        """SCF entry point: ``main_handler = app.scf_handler``."""
        return self._entry(event, context, "scf")

    def invoke_local(
        self,
        event: Any,
        context: Any = None,
        platform: str | None = "local",
        *,
        raise_redelivery: bool = False,
    ) -> dict[str, Any]:
        """Run one invocation in-process (tests, ``opsfn invoke``) and return the platform response.

        ``platform="local"`` accepts every envelope; ``functiongraph``/``scf`` only that family. A batch
        needing redelivery is reported in the response (``"redeliver": true``) unless
        ``raise_redelivery``, which behaves like the platform entry points.
        """
        out = self._run_sync(event, context, platform)
        if raise_redelivery and out.redeliver:
            raise RedeliveryRequested(out.failed_ids)
        return out.response

    def _entry(self, event: Any, context: Any, platform: str) -> dict[str, Any]:
        out = self._run_sync(event, context, platform)
        if out.redeliver:
            raise RedeliveryRequested(out.failed_ids)
        return out.response

    def _run_sync(self, event: Any, context: Any, platform: str | None) -> InvocationOutput:
        try:
            running: asyncio.AbstractEventLoop | None = asyncio.get_running_loop()
        except RuntimeError:
            running = None
        if running is None:
            # Outside the except block, so handler tracebacks are not chained to this lookup.
            return asyncio.run(self.ainvoke(event, context, platform))
        # Called from inside an event loop (an async server or test): run on a private loop in a thread.
        from concurrent.futures import ThreadPoolExecutor

        with ThreadPoolExecutor(max_workers=1) as pool:
            return pool.submit(asyncio.run, self.ainvoke(event, context, platform)).result()

    # ------------------------------------------------------------------------------- dispatch

    def _open_store(self, settings: Settings) -> IdempotencyStore:
        """The store this app keeps its records in; one that cannot be opened raises
        :class:`RuntimeUnavailable` naming the cause (nothing can be processed without it)."""
        if isinstance(self._store, IdempotencyStore):
            return self._store
        try:
            return open_store(self._store, settings=settings)
        except Exception as exc:
            raise store_setup_failure(exc) from None

    def _idempotency(self, settings: Settings) -> Idempotency:
        """The invocation's idempotency helper over :meth:`_open_store`."""
        return Idempotency(
            self._open_store(settings),
            namespace=self.name,
            expires_after=self._expires_after,
            wait_seconds=self._wait,
            clock=self._clock,
        )

    def _uses_store(self) -> bool:
        if self._batch is not None or self._event is not None:
            return True
        if self._http is not None and (self._http.verify or self._http.idempotency_key):
            return True
        return self._timer is not None and self._timer.idempotency_key is not None

    def _cold_start_checks(self, log: Any, settings: Settings) -> None:
        """Warn once per instance when a cloud function keeps idempotency records only locally."""
        from shared.idempotency import is_shared_store_url

        if not settings.cloud_platform or not self._uses_store():
            return
        if isinstance(self._store, IdempotencyStore):
            shared, kind = self._store.shared, type(self._store).__name__
        else:
            url = self._store if isinstance(self._store, str) else settings.idempotency_store
            shared, kind = is_shared_store_url(url or ""), (url or "sqlite://").split(":", 1)[0]
        if not shared:
            log.warning(
                "idempotency store is local to this function instance: duplicates delivered to other "
                "instances will run again; set OPSFN_IDEMPOTENCY_STORE=redis://host:port/db",
                platform=settings.cloud_platform,
                store=kind,
            )

    async def ainvoke(
        self, event: Any, context: Any = None, platform: str | None = "local"
    ) -> InvocationOutput:
        """Run one invocation on the current loop; never raises for bad input or handler failures."""
        from shared.log import bind_context, clear_context, get_logger

        started = time.perf_counter()
        cold, self._cold = self._cold, False
        remaining = context_remaining_seconds(context)
        deadline = None if remaining is None else time.monotonic() + remaining
        settings = await _environment_settings(context, platform)
        base_log = get_logger("opsfn.runtime", function=self.name)
        if isinstance(settings, Settings) and not self._checked:
            self._checked = True
            self._cold_start_checks(base_log, settings)
        try:
            trigger = parse_event(event, None if platform == "local" else platform)
        except EventParseError as exc:
            request_id = context_request_id(context)
            out = _bad_event(event, str(exc), request_id)
            self._summary(base_log.bind(request_id=request_id), out, started, cold)
            return out
        request_id = context_request_id(context, trigger.event_id)
        fields = {"request_id": request_id, "trigger": trigger.source, "event_id": trigger.event_id}
        log = base_log.bind(**fields)
        bind_context(function=self.name, **fields)
        try:
            try:
                if isinstance(settings, Exception):
                    raise settings
                inv_settings = invocation_settings(settings, platform or trigger.platform, context)
                inv = Invocation(
                    function=self.name,
                    platform=platform or trigger.platform,
                    trigger=trigger,
                    request_id=request_id,
                    settings=inv_settings,
                    log=log,
                    context=context,
                    deadline=deadline,
                    store_opener=partial(self._open_store, inv_settings),
                )
                out = await self._dispatch(inv)
            except Exception as exc:  # configuration, store, imports; pipelines answer their own failures
                alarm_settings = None
                if isinstance(settings, Settings):
                    alarm_settings = invocation_settings(settings, platform or trigger.platform, context)
                out = await self._failure(trigger, exc, log, request_id, alarm_settings)
            self._summary(log, out, started, cold)
            return out
        finally:
            clear_context(["function", *fields])

    async def _dispatch(self, inv: Invocation) -> InvocationOutput:
        calls = IdempotentCalls(partial(self._idempotency, inv.settings), timeout_margin=self._margin)
        trigger = inv.trigger
        if trigger.kind == "http":
            if self._http is None:
                return _http_out(
                    HttpResponse(404, {"error": "not_found", "message": "no HTTP handler"}), "rejected"
                )
            from shared.runtime.http import run_http

            result = await run_http(self._http, inv, calls)
            return _http_out(result.response, result.outcome)
        if trigger.kind == "timer":
            if self._timer is None:
                return _no_handler(trigger)
            from shared.runtime.timer import run_timer

            response, outcome = await run_timer(self._timer, inv, calls)
            return InvocationOutput(response, outcome, status=int(response.get("status", 200)))
        if self._event is not None and trigger.source in self._event.sources:
            from shared.runtime.batch import run_events

            return _batch_out(await run_events(self._event, inv, calls))
        if trigger.kind in ("queue", "notification") and self._batch is not None:
            from shared.runtime.batch import run_batch

            return _batch_out(await run_batch(self._batch, inv, calls))
        return _no_handler(trigger)

    async def _failure(
        self, trigger: TriggerEvent, exc: Exception, log: Any, request_id: str, settings: Settings | None
    ) -> InvocationOutput:
        """The answer to a failure outside the pipelines' own handling. A batch is never answered (its
        records would count as consumed): every record is failed retryably, so the platform redelivers."""
        problem = diagnose(exc)
        answer = answer_for(exc)
        if problem is not None:
            log_unavailable(log, problem, len(trigger.records))
            if problem.permanent:
                await self._alarm(problem, settings, log)
        elif answer.log_traceback:
            log.exception("invocation failed")
        body = {**answer.body, "request_id": request_id}
        if trigger.kind == "http":
            return _http_out(HttpResponse(answer.status, body, answer.headers), "error")
        if trigger.kind != "timer":
            error = str(answer.body.get("error"))
            failed = RecordOutcome.failure(error, retryable=True)
            return _batch_out([BatchItemResult(record.id, failed) for record in trigger.records])
        return InvocationOutput({"ok": False, "status": answer.status, **body}, "error", status=answer.status)

    async def _alarm(self, problem: RuntimeUnavailable, settings: Settings | None, log: Any) -> None:
        """Tell the SMN topic about a permanent configuration error, once per cold start (the log line
        repeats on every attempt; a message per attempt would flood the subscribers)."""
        if self._alarmed:
            return
        self._alarmed = True
        topic = settings.smn_topic_urn if settings is not None else ""
        if settings is None or not topic:
            log.warning("configuration error not sent to SMN: no usable settings or OPSFN_SMN_TOPIC_URN")
            return
        from shared.clients.smn import SmnClient

        text = f"{self.name} cannot process any event: {problem.cause}. Every redelivery fails until fixed."
        try:
            async with SmnClient.for_topic(settings, topic) as smn:
                await smn.publish(topic, text, subject=f"opsfn {self.name}: configuration error")
        except Exception as exc:
            log.warning("configuration error not sent to SMN", error=type(exc).__name__)

    @staticmethod
    def _summary(log: Any, out: InvocationOutput, started: float, cold: bool) -> None:
        log.info(
            "invocation",
            outcome=out.outcome,
            status=out.status,
            duration_ms=round((time.perf_counter() - started) * 1000, 3),
            records_ok=out.records_ok,
            records_failed=out.records_failed,
            redeliver=out.redeliver,
            cold_start=cold,
        )


async def _environment_settings(context: Any, platform: str | None) -> Settings | Exception:
    """The settings, read once per invocation (the context's user data, the environment, a CSMS secret:
    :mod:`shared.runtime.secret_sources`), with logging configured from them at the first invocation (at
    INFO when they are invalid: the invocation then answers the configuration error)."""
    from shared.log import ensure_logging
    from shared.runtime.secret_sources import load_settings

    try:
        settings = await load_settings(context, platform)
    except Exception as exc:
        ensure_logging("INFO")
        return exc
    ensure_logging(settings.log_level)
    return settings


def _http_out(response: HttpResponse, outcome: str) -> InvocationOutput:
    return InvocationOutput(response.render(), outcome, status=response.status)


def _batch_out(results: list[BatchItemResult]) -> InvocationOutput:
    body = batch_response(results)
    failed = tuple(r.id for r in results if not r.outcome.ok)
    retry_ids = tuple(r.id for r in results if not r.outcome.ok and r.outcome.retryable)
    if not failed:
        outcome = "ok"
    elif len(failed) == len(results):
        outcome = "failed"
    else:
        outcome = "partial"
    return InvocationOutput(
        body,
        outcome,
        status=None,
        redeliver=bool(body["redeliver"]),
        failed_ids=retry_ids,
        records_ok=int(body["records_ok"]),
        records_failed=int(body["records_failed"]),
    )


def _no_handler(trigger: TriggerEvent) -> InvocationOutput:
    message = f"this function has no handler for {trigger.source} ({trigger.kind}) events"
    return InvocationOutput(
        {"ok": False, "status": 400, "error": "no_handler", "message": message}, "rejected", 400
    )


def _bad_event(event: Any, reason: str, request_id: str) -> InvocationOutput:
    """A malformed/unknown envelope: 400 as an HTTP response when it looks like HTTP, else a result."""
    body = {"error": "bad_event", "message": reason, "request_id": request_id}
    looks_http = isinstance(event, dict) and ("httpMethod" in event or event.get("opsfn") == "webhook")
    if looks_http:
        return _http_out(HttpResponse(400, body, {"X-Request-Id": request_id}), "rejected")
    return InvocationOutput({"ok": False, "status": 400, **body}, "rejected", status=400)
