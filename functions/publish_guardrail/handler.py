"""publish_guardrail entry point: CTS traces and EventGrid CloudEvents about APIG publishing.

Every published API, whoever published it (a pipeline, the console, a script), gets the configured policy
checked: a signature key of the required type, a request throttling policy and optionally an ACL policy
bound in the environment it went to. ``enforce`` binds the configured defaults, ``audit`` only reports;
either way a person hears about it through SMN. The policy comes from ``OPSFN_GUARDRAIL_*``
(:class:`~functions.publish_guardrail.guard.GuardPolicy`).

Idempotent on the trace id: CTS and EventGrid deliveries of one trace share the key, a duplicate gets the
first answer and makes no call. Traces that are not APIG publishing (other services, offline actions, failed
calls, CloudEvent types other than ``APIG:CloudTrace:*``) are answered ``ignored``; a publish trace whose
API ids are malformed is refused with a ``bad_trace`` failure that is never redelivered.
"""

from __future__ import annotations

from typing import Any

from functions.publish_guardrail.trace import Ignored, PublishTrace, TraceError, classify
from shared.runtime import FunctionApp, Invocation, RecordOutcome

__all__ = ["CLOUDEVENT_TYPE_PREFIX", "app", "handler", "main_handler"]

CLOUDEVENT_TYPE_PREFIX = "apig:cloudtrace:"
"""EventGrid's CTS-derived types are ``<SVC>:CloudTrace:ApiCall|ConsoleAction|SystemAction``."""

app = FunctionApp("publish_guardrail")


def _key(trace: PublishTrace) -> str | None:
    return trace.trace_id or None


def _ignored(inv: Invocation, trace: PublishTrace, reason: str) -> dict[str, Any]:
    inv.log.info("publish_guardrail.ignored", reason=reason, trace_name=trace.trace_name[:64])
    return {"status": "ignored", "trace_id": trace.trace_id, "reason": reason}


@app.event(model=PublishTrace, sources=("cts", "eventgrid"), idempotency_key=_key)
async def on_trace(trace: PublishTrace, inv: Invocation) -> dict[str, Any] | RecordOutcome:
    """Check (and in ``enforce`` mode fix) every API the trace says was published."""
    from functions.publish_guardrail.guard import GuardPolicy, guard
    from functions.publish_guardrail.report import notify
    from shared.clients.apig import ApigClient

    event_type = str((inv.record.attributes if inv.record else {}).get("type") or "")
    if inv.trigger.kind == "cloudevent" and not event_type.lower().startswith(CLOUDEVENT_TYPE_PREFIX):
        return _ignored(inv, trace, "not a CTS-derived APIG CloudEvent type")
    try:
        event = classify(trace, inv.settings.apig_instance_id)
    except TraceError as exc:
        inv.log.warning("publish_guardrail.bad_trace", reason=str(exc))
        return RecordOutcome.failure(f"bad_trace: {exc}", retryable=False)
    if isinstance(event, Ignored):
        return _ignored(inv, trace, event.reason)
    policy = GuardPolicy.from_settings(inv.settings)
    instance = event.instance_id or None
    async with ApigClient.from_settings(inv.settings, instance_id=instance) as apig:
        findings = await guard(apig, policy, event.targets, concurrency=inv.settings.max_concurrency)
    for finding in findings:
        inv.log.info("publish_guardrail.finding", **finding.model_dump(exclude={"api_name"}))
    about = {"trace_id": trace.trace_id, "trace_name": trace.trace_name, "user": trace.user_name}
    notified = await notify(inv.settings, findings, policy, about, inv.log)
    return {
        "status": "checked",
        "trace_id": trace.trace_id,
        "operation": event.operation,
        "mode": policy.mode,
        "notified": notified,
        "apis": [f.model_dump(mode="json") for f in findings],
    }


handler = app.functiongraph_handler
main_handler = app.scf_handler
