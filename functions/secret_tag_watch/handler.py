"""secret_tag_watch entry points: the Timer (a full sweep), CTS tag-operation traces and CSMS events via SMN.

Every entry point ends in :func:`functions.secret_tag_watch.sweep.sweep`; an event about one secret sweeps
only that secret. The answer lists the rotation jobs (the workflow ``rotation_sweep`` fans out over
``jobs``), which are also sent to Kafka when ``OPSFN_ROTATION_JOBS_URL`` is set
(:mod:`functions.secret_tag_watch.jobs`). Secrets whose tags are invalid or miss ``owner`` are reported to
SMN (and Astro Zero when configured) and never rotated.

The timer input (all optional): ``{"mode": "apply" | "plan", "name_contains": "prod-", "kinds": [...],
"secret_name": "one-secret"}``; ``secret_name`` sweeps one secret on demand; other keys are refused.
"""

from __future__ import annotations

import time
from typing import Any, Literal, get_args

from pydantic import BaseModel, ConfigDict, Field

from functions.secret_tag_watch.events import FORCING_EVENTS, WatchEvent, cts_secret, smn_secret
from functions.secret_tag_watch.tags import KINDS
from shared.runtime import FunctionApp, Invocation

__all__ = ["SweepInput", "app", "handler", "main_handler"]

app = FunctionApp("secret_tag_watch")

Kind = Literal["apig-signature-key", "apig-app", "tencent-api-key"]
assert set(get_args(Kind)) == set(KINDS)


class SweepInput(BaseModel):
    """Unknown keys are refused: a misspelt ``mode`` must not turn a planned sweep into a real one. A plain
    text timer message (FunctionGraph's default) is accepted and means a full sweep."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    mode: Literal["apply", "plan"] = "apply"
    name_contains: str | None = Field(None, min_length=1, max_length=255)
    kinds: list[Kind] = Field(default_factory=list, max_length=len(KINDS))
    secret_name: str | None = Field(None, min_length=1, max_length=64)
    message: str | None = Field(None, max_length=4096)


@app.timer(model=SweepInput)
async def on_timer(params: SweepInput, inv: Invocation) -> dict[str, Any]:
    """A full sweep (or one secret when the input names it)."""
    reason = "manual" if params.secret_name else "schedule"
    return await _run(
        inv,
        mode=params.mode,
        reason=reason,
        only=params.secret_name,
        name_contains=params.name_contains,
        kinds=tuple(params.kinds),
    )


@app.event(model=WatchEvent, sources=("cts", "smn"))
async def on_event(event: WatchEvent, inv: Invocation) -> dict[str, Any]:
    """One CTS trace or CSMS notification: sweep just the secret it is about."""
    if inv.trigger.source == "cts":
        name, why = cts_secret(event, inv.settings.tagwatch_trace_names)
        reason, force = "tag-change", False
    else:
        name, why = smn_secret(event)
        reason, force = "event", event.trigger_event_type in FORCING_EVENTS
    if name is None:
        inv.log.info("secret_tag_watch.ignored", why=why)
        return {"ignored": why, "jobs": []}
    return await _run(inv, mode="apply", reason=reason, only=name, force=force)


async def _run(inv: Invocation, **options: Any) -> dict[str, Any]:
    from functions.secret_tag_watch.jobs import job_producer
    from functions.secret_tag_watch.sweep import sweep
    from shared.clients.csms import CsmsClient

    settings = inv.settings
    producer = job_producer(settings)
    async with CsmsClient.from_settings(settings) as csms:
        result = await sweep(csms, now=time.time(), concurrency=settings.max_concurrency, **options)
    await producer.send(result.jobs)
    answer = {**result.answer(), "delivered_to": producer.name}
    if result.invalid:
        answer["notifications"] = await _report_invalid(inv, result.invalid)
    inv.log.info(
        "secret_tag_watch.sweep",
        scope=result.scope,
        examined=result.examined,
        due=len(result.jobs),
        invalid=len(result.invalid),
        errors=len(result.errors),
    )
    return answer


async def _report_invalid(inv: Invocation, invalid: list[dict[str, Any]]) -> dict[str, str]:
    from shared.notify import Report, send_report

    lines = [f"{len(invalid)} secret(s) ask for rotation but their tags are invalid; they are not rotated:"]
    for item in invalid[:100]:
        owner = f" (owner {item['owner']})" if item["owner"] else ""
        lines.append(f"- {item['secret_name']}{owner}: " + "; ".join(item["problems"]))
    if len(invalid) > 100:
        lines.append(f"... and {len(invalid) - 100} more")
    subject = f"opsfn secret_tag_watch: {len(invalid)} secret(s) with invalid rotation tags"
    report = Report(subject, "\n".join(lines), {"invalid": invalid[:1000]}, kind="rotation_tags")
    return await send_report(inv.settings, report, inv.log)


handler = app.functiongraph_handler
main_handler = app.scf_handler
