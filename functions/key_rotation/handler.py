"""key_rotation entry points: a timer (``user_event`` names the secrets), Kafka jobs and an on-demand webhook.

Every entry point runs :class:`~functions.key_rotation.engine.Rotation` per job and answers the contract's
rotation answer. The runtime's idempotency is not used: the protocol is idempotent on the job's
``rotation_id`` through CSMS itself, and a stored "failed" answer would stop a retry from resuming. One
rotation per secret at a time is the engine's lock in the idempotency store.
"""

from __future__ import annotations

from contextlib import AsyncExitStack
from typing import TYPE_CHECKING, Any

from functions.key_rotation.engine import Options, Rotation
from functions.key_rotation.models import (
    RotationAnswer,
    RotationJob,
    RotationSettings,
    SecretValue,
    TimerInput,
)
from functions.key_rotation.targets import AppTarget, Probe, SignatureKeyTarget, Target, TencentKeyTarget
from shared.runtime import FunctionApp, HttpResponse, Invocation, RecordOutcome

if TYPE_CHECKING:
    from shared.config import Settings
    from shared.idempotency import IdempotencyStore

__all__ = ["OPTIONS", "app", "handler", "main_handler", "rotate", "run_job"]

OPTIONS = Options()
"""Process-wide tunables (tests replace the clock, sleep and step hook)."""

app = FunctionApp("key_rotation")


async def rotate(job: RotationJob, inv: Invocation, options: Options | None = None) -> RotationAnswer:
    """Run one job with clients built from the invocation's settings."""
    answer = await run_job(inv.settings, job, options or OPTIONS, inv.log)
    inv.log.info("key_rotation.answer", secret_name=answer.secret_name, status=answer.status)
    return answer


async def run_job(
    settings: Settings, job: RotationJob, options: Options, log: Any, store: IdempotencyStore | None = None
) -> RotationAnswer:
    """One job: CSMS, the target's gateway client and the lock store (unless given), all from ``settings``."""
    from shared.clients.apig import ApigClient
    from shared.clients.csms import CsmsClient
    from shared.clients.tencent_apigw import TencentApigwClient
    from shared.idempotency import open_store

    opts = options
    async with AsyncExitStack() as stack:
        csms = await stack.enter_async_context(CsmsClient.from_settings(settings))

        def factory(rs: RotationSettings, current: SecretValue) -> Target:
            probe = Probe()
            if rs.kind == "tencent-api-key":
                tencent = TencentApigwClient.from_settings(settings)
                stack.push_async_callback(tencent.aclose)
                return TencentKeyTarget(probe, tencent)
            apig = ApigClient.from_settings(settings, instance_id=current.text("instance_id") or None)
            stack.push_async_callback(apig.aclose)
            if rs.kind == "apig-app":
                return AppTarget(probe, apig, alternating=rs.strategy == "alternating")
            return SignatureKeyTarget(probe, apig, current)

        if settings.smn_topic_urn and opts.notify is None:
            from dataclasses import replace

            from shared.clients.smn import SmnClient

            smn = await stack.enter_async_context(SmnClient.from_settings(settings))

            async def notify(subject: str, message: str) -> None:
                await smn.publish(settings.smn_topic_urn, message, subject=subject)

            opts = replace(opts, notify=notify)
        lock_store = store if store is not None else open_store(settings=settings)
        return await Rotation(csms, factory, job, opts, lock_store, log).run()


_HTTP_STATUS = {
    "rotated": 200,
    "planned": 200,
    "skipped": 200,
    "undone": 409,
    "in_progress": 409,
    "failed": 502,
}


@app.http(model=RotationJob, verify="standard_webhooks")
async def on_webhook(job: RotationJob, inv: Invocation) -> HttpResponse:
    """On-demand rotation: 200 done/planned/skipped, 409 undone or in progress, 502 failed (retry later)."""
    answer = await rotate(job, inv)
    return HttpResponse(_HTTP_STATUS[answer.status], answer.model_dump(mode="json"))


@app.batch(model=RotationJob)
async def on_batch(jobs: list[RotationJob], inv: Invocation) -> list[RecordOutcome]:
    """Kafka jobs (e.g. from secret_tag_watch), one after another; a failed one is redelivered."""
    outcomes = []
    for job in jobs:
        answer = await rotate(job, inv)
        body = answer.model_dump(mode="json")
        if answer.status == "failed":
            outcomes.append(RecordOutcome.failure(f"failed: {answer.message}", retryable=True))
        else:
            outcomes.append(RecordOutcome.success(body))
    return outcomes


@app.timer(model=TimerInput)
async def on_timer(params: TimerInput, inv: Invocation) -> dict[str, Any]:
    """The scheduled rotation of the secrets the timer names."""
    answers = [await rotate(job, inv) for job in params.jobs(inv.event_id)]
    return {"dry_run": params.mode == "plan", "answers": [a.model_dump(mode="json") for a in answers]}


handler = app.functiongraph_handler
main_handler = app.scf_handler
