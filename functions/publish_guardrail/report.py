"""The guardrail's SMN notice: one message per trace that found something to fix or report.

The message names APIs, environments and policy kinds only; binding listings carry signature secrets, and
none of those objects reach this module.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from functions.publish_guardrail.guard import Finding, GuardPolicy
from shared.clients.smn import SmnClient
from shared.config import Settings
from shared.errors import CloudError

__all__ = ["MAX_LISTED", "notify", "subject", "summary"]

MAX_LISTED = 50
"""Findings listed one per line; a 1,000-API batch adds a count of the rest instead."""


def subject(findings: Sequence[Finding], policy: GuardPolicy) -> str:
    fixed = sum(f.status == "fixed" for f in findings)
    open_ = sum(f.status == "violation" for f in findings)
    if policy.enforce:
        return f"APIG publish guardrail: {fixed} API(s) fixed, {open_} still not compliant"
    return f"APIG publish guardrail (audit): {open_} published API(s) not compliant"


def _line(finding: Finding) -> str:
    where = f"{finding.api_name or finding.api_id} ({finding.api_id}) in {finding.env_id}"
    text = f"- {where}: {finding.status}; missing {', '.join(finding.missing)}"
    if finding.bound:
        text += f"; bound {', '.join(finding.bound)}"
    if finding.errors:
        text += f"; {'; '.join(finding.errors)}"
    return text


def summary(findings: Sequence[Finding], policy: GuardPolicy, trace: dict[str, Any]) -> str:
    """The message text: who published what, then one line per noteworthy finding."""
    noteworthy = [f for f in findings if f.noteworthy]
    lines = [
        subject(findings, policy) + ".",
        f"Trace {trace['trace_id'] or '-'} ({trace['trace_name'] or '-'}) by {trace['user'] or 'unknown'}.",
        f"Policy: {policy.sign_type} signature key, throttling policy"
        + (", ACL policy" if policy.acl_id else "")
        + f"; mode {policy.mode}.",
        *(_line(f) for f in noteworthy[:MAX_LISTED]),
    ]
    if len(noteworthy) > MAX_LISTED:
        lines.append(f"... and {len(noteworthy) - MAX_LISTED} more")
    return "\n".join(lines)


async def notify(
    settings: Settings, findings: Sequence[Finding], policy: GuardPolicy, trace: dict[str, Any], log: Any
) -> bool:
    """Publish the notice when there is one to send; ``True`` when it was sent.

    Without a topic the notice is only logged. A retryable SMN failure in ``audit`` mode is raised: nothing
    was changed, so a redelivery reports again. In ``enforce`` mode the fix is made and a redelivery would
    find nothing to report, so the failure is logged and answered (``notified: false``) instead.
    """
    if not any(f.noteworthy for f in findings):
        return False
    text = summary(findings, policy, trace)
    topic = settings.smn_topic_urn
    if not topic:
        log.warning("publish_guardrail.no_topic", message=text)
        return False
    try:
        async with SmnClient.for_topic(settings, topic) as smn:
            await smn.publish(topic, text, subject=subject(findings, policy)[:200])
    except CloudError as exc:
        if exc.retryable and not policy.enforce:
            raise
        log.error("publish_guardrail.notify_failed", error_code=exc.error_code, status=exc.status)
        return False
    return True
