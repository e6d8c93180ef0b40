"""``opsfn validate --production``: what in the template would make a deployment unsafe.

``opsfn validate`` checks that the template is well-formed; this checks that it is fit for real traffic.
Each finding names where it is, what goes wrong in production, and how to fix it:

* **error** - no shared idempotency store for a function that takes queue, notification, audit or webhook
  deliveries (every platform delivers those at least once, to any instance: with a per-instance SQLite
  file a duplicate on another instance runs again); the local development webhook secret; a wildcard
  policy; a function allowed to report (``smn:topic:publish``) without ``OPSFN_SMN_TOPIC_URN``;
* **warning** - a function timeout shorter than one cloud call's own retry budget (the platform would kill
  the function in the middle of the retries it is designed to survive);
* **note** - a role instead of fine-grained actions (CodeArts IDE documents no actions, so ``te_admin`` is
  required: say so to the reviewer rather than hide it).

``opsfn render`` prints the same findings as warnings, so a deployment file is never produced silently
from an unsafe template.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Literal

from devkit.template import FunctionSpec, Template, WebhookEvent

__all__ = ["Finding", "production_findings", "retry_budget_seconds"]

Level = Literal["error", "warning", "note"]

_DELIVERED = frozenset({"Webhook", "Kafka", "Smn", "Cts", "EventGrid"})
_STORE_FIX = (
    "set OPSFN_IDEMPOTENCY_STORE: redis://<host>:6379/<db> (Huawei DCS) in Globals.Environment.Variables; "
    "`opsfn package` then bundles the Redis client (a URL with a password belongs in the deploy-time "
    "secret instead - docs/deploy.md - with `opsfn package --with redis`; this check cannot see that)"
)


@dataclass(frozen=True)
class Finding:
    level: Level
    location: str
    message: str
    fix: str

    def text(self) -> str:
        return f"{self.location}: {self.message}; fix: {self.fix}"

    def line(self) -> str:
        return f"{self.level}: {self.text()}"


def retry_budget_seconds(http_timeout: float) -> float:
    """Worst-case seconds one cloud call may take with the client's retries: every attempt waiting out the
    read timeout, and the longest wait between attempts (``Retry-After`` is capped at ``max_delay``)."""
    from shared.http import RetryPolicy

    policy = RetryPolicy()
    return policy.max_attempts * http_timeout + (policy.max_attempts - 1) * policy.max_delay


def production_findings(template: Template) -> list[Finding]:
    """Every finding for every function, errors first."""
    found = [finding for name, fn in template.functions.items() for finding in _function(template, name, fn)]
    order = {"error": 0, "warning": 1, "note": 2}
    return sorted(found, key=lambda f: order[f.level])


def _function(template: Template, name: str, fn: FunctionSpec) -> Iterator[Finding]:
    where = f"Functions.{name}"
    env = template.environment(fn)
    kinds = {event.type for event in fn.events.values()}
    store = env.get("OPSFN_IDEMPOTENCY_STORE", "").strip()
    if kinds & _DELIVERED and not store.startswith(("redis://", "rediss://")):
        triggers = ", ".join(sorted(kinds & _DELIVERED))
        yield Finding(
            "error",
            f"{where}.Environment",
            f"no shared idempotency store for its {triggers} trigger(s): duplicates delivered to another "
            "instance run again",
            _STORE_FIX,
        )
    yield from _secret(where, env, fn)
    yield from _policies(where, fn)
    if "smn:topic:publish" in fn.policies and not env.get("OPSFN_SMN_TOPIC_URN", "").strip():
        yield Finding(
            "error",
            f"{where}.Environment",
            "the function reports to SMN but OPSFN_SMN_TOPIC_URN is not set: its reports are only logged",
            "set OPSFN_SMN_TOPIC_URN: urn:smn:<region>:<project id>:<topic> (create the topic first)",
        )
    yield from _timeout(template, where, fn, env)


def _secret(where: str, env: dict[str, str], fn: FunctionSpec) -> Iterator[Finding]:
    from devkit.invoke import DEV_WEBHOOK_SECRET

    secrets = [s.strip() for s in env.get("OPSFN_WEBHOOK_SECRET", "").split(",") if s.strip()]
    if DEV_WEBHOOK_SECRET in secrets:
        yield Finding(
            "error",
            f"{where}.Environment.OPSFN_WEBHOOK_SECRET",
            "the local development webhook secret is published in the README: anyone can sign requests",
            "generate a secret per sender (whsec_ + base64 of 32 random bytes) and set it as an encrypted "
            "variable at deploy time, not in template.yaml",
        )
    elif secrets:
        yield Finding(
            "warning",
            f"{where}.Environment.OPSFN_WEBHOOK_SECRET",
            "a webhook secret in template.yaml is stored and rendered in plain text",
            "remove it here and set it as an encrypted environment variable at deploy time",
        )
    verifying = [e for e in fn.events.values() if isinstance(e, WebhookEvent)]
    if any(e.properties.verification == "none" for e in verifying):
        yield Finding(
            "error",
            f"{where}.Events",
            "a webhook route without verification accepts requests from anyone",
            "set Verification: standard_webhooks (or github / apig_signature)",
        )


def _policies(where: str, fn: FunctionSpec) -> Iterator[Finding]:
    for i, policy in enumerate(fn.policies):
        if "*" in policy:
            yield Finding(
                "error",
                f"{where}.Policies[{i}]",
                f"wildcard policy {policy!r} grants actions the function never uses",
                "list each action the function calls (see devkit/iam_actions.py)",
            )
        elif policy.startswith("role:"):
            yield Finding(
                "note",
                f"{where}.Policies[{i}]",
                f"{policy!r} is a role, not fine-grained actions (CodeArts IDE documents no actions, so "
                "te_admin is required to buy and bind seats)",
                "grant the role on the function's agency only, scoped to this project",
            )


def _timeout(template: Template, where: str, fn: FunctionSpec, env: dict[str, str]) -> Iterator[Finding]:
    try:
        http_timeout = float(env.get("OPSFN_HTTP_TIMEOUT", "15"))
    except ValueError:
        yield Finding(
            "error",
            f"{where}.Environment.OPSFN_HTTP_TIMEOUT",
            "not a number",
            "set seconds, e.g. 15",
        )
        return
    from shared.http import RetryPolicy

    policy = RetryPolicy()
    budget = retry_budget_seconds(http_timeout)
    timeout = template.timeout(fn)
    if timeout < budget:
        yield Finding(
            "warning",
            f"{where}.Timeout",
            f"{timeout} s is shorter than one cloud call's retry budget ({budget:.0f} s: "
            f"{policy.max_attempts} attempts of OPSFN_HTTP_TIMEOUT={http_timeout:g} s and "
            f"{policy.max_attempts - 1} waits of up to {policy.max_delay:g} s); the platform would stop "
            "the function in the middle of its retries",
            f"set Timeout: {int(budget) + 10} or more, or lower OPSFN_HTTP_TIMEOUT",
        )
