"""Check published APIs against the policy and, in ``enforce`` mode, bind the configured defaults.

The policy: each published (API, environment) pair has a signature key of the required type, a request
throttling policy and, when an ACL id is configured, an ACL policy bound. Bindings hang off publish records
(3.7.1, 3.8.1, 3.15.1), so the check reads the API's *current* publish record in each environment; a trace
is only a hint. That makes the guardrail safe to run late or twice: an API deleted or taken offline since is
a no-op, and one somebody fixed meanwhile is compliant.

What ``enforce`` does not do: replace a bound signature key of the wrong type. An API has at most one key
per environment, and swapping it breaks a backend that verifies the current one; that finding is reported
for a person to resolve.

Failures: a retryable cloud error (throttling, 5xx, timeouts) is raised, so the runtime releases the trace's
idempotency claim and the platform redelivers it; the rerun finds whatever was already bound. Any other
failure of one binding is recorded on that finding, and the others go on.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Literal

from pydantic import BaseModel, Field

from functions.publish_guardrail.trace import Target
from shared.clients.apig import ApigClient
from shared.config import InvalidSettingError, MissingSettingError, Settings
from shared.errors import CloudError, NotFoundError
from shared.http import bounded_gather

__all__ = ["Finding", "GuardPolicy", "guard"]

API_NOT_FOUND = "APIG.3002"

Requirement = Literal["signature", "signature_type", "throttle", "acl"]
Status = Literal["compliant", "fixed", "violation", "gone", "not_published"]


@dataclass(frozen=True)
class GuardPolicy:
    """What a published API must have bound (from ``OPSFN_GUARDRAIL_*``, see :class:`Settings`)."""

    mode: str = "audit"
    sign_type: str = "hmac"
    sign_id: str = ""
    throttle_id: str = ""
    acl_id: str = ""

    @property
    def enforce(self) -> bool:
        return self.mode == "enforce"

    @classmethod
    def from_settings(cls, settings: Settings) -> GuardPolicy:
        """The policy; ``enforce`` without the defaults it binds is a configuration error."""
        policy = cls(
            mode=settings.guardrail_mode,
            sign_type=settings.guardrail_sign_type,
            sign_id=settings.guardrail_sign_id,
            throttle_id=settings.guardrail_throttle_id,
            acl_id=settings.guardrail_acl_id,
        )
        if policy.enforce:
            for variable, value in (
                ("OPSFN_GUARDRAIL_SIGN_ID", policy.sign_id),
                ("OPSFN_GUARDRAIL_THROTTLE_ID", policy.throttle_id),
            ):
                if not value:
                    raise MissingSettingError(variable, "publish_guardrail in enforce mode")
        return policy


class Finding(BaseModel):
    """One (API, environment) pair: what was missing, what this run bound, what could not be done."""

    api_id: str
    env_id: str = ""
    api_name: str = ""
    status: Status
    missing: list[Requirement] = Field(default_factory=list)
    bound: list[Requirement] = Field(default_factory=list)
    errors: list[str] = Field(default_factory=list)

    @property
    def noteworthy(self) -> bool:
        """Whether a person should hear about it (SMN): something was or still is wrong."""
        return self.status in ("fixed", "violation")


async def _missing(apig: ApigClient, policy: GuardPolicy, api_id: str, env_id: str) -> list[Requirement]:
    missing: list[Requirement] = []
    signs = (await apig.list_signature_keys_of_api(api_id, env_id=env_id)).items
    if not signs:
        missing.append("signature")
    elif not any(s.sign_type in ("", policy.sign_type) for s in signs):
        missing.append("signature_type")  # an empty type is a service that does not say: not flagged
    if not (await apig.list_throttles_of_api(api_id, env_id=env_id)).items:
        missing.append("throttle")
    if policy.acl_id and not (await apig.list_acls_of_api(api_id, env_id=env_id)).items:
        missing.append("acl")
    return missing


def _binder(apig: ApigClient, policy: GuardPolicy, need: Requirement) -> Callable[[str], Awaitable[object]]:
    if need == "signature":
        return lambda publish_id: apig.bind_signature_key(policy.sign_id, [publish_id])
    if need == "throttle":
        return lambda publish_id: apig.bind_throttle(policy.throttle_id, [publish_id])
    return lambda publish_id: apig.bind_acl(policy.acl_id, [publish_id])


class _Enforcer:
    """Binds the defaults; checks once per run that the configured signature key has the required type."""

    def __init__(self, apig: ApigClient, policy: GuardPolicy) -> None:
        self.apig, self.policy = apig, policy
        self._key_checked = False

    async def _check_key(self) -> None:
        if self._key_checked:
            return
        async for key in self.apig.iter_signature_keys():
            if key.id == self.policy.sign_id:
                if key.sign_type != self.policy.sign_type:
                    raise InvalidSettingError(
                        "OPSFN_GUARDRAIL_SIGN_ID", f"a signature key of type {self.policy.sign_type}"
                    )
                self._key_checked = True
                return
        raise InvalidSettingError("OPSFN_GUARDRAIL_SIGN_ID", "the id of an existing signature key")

    async def fix(self, finding: Finding, publish_id: str) -> None:
        for need in finding.missing:
            if need == "signature_type":
                finding.errors.append("a signature key of another type is bound; not replaced automatically")
                continue
            if need == "signature":
                await self._check_key()
            try:
                await _binder(self.apig, self.policy, need)(publish_id)
            except CloudError as exc:
                if exc.retryable:
                    raise
                finding.errors.append(f"binding the {need} policy failed: {exc.error_code or exc.status}")
                continue
            finding.bound.append(need)
        finding.status = "fixed" if len(finding.bound) == len(finding.missing) else "violation"


async def _check(apig: ApigClient, policy: GuardPolicy, enforcer: _Enforcer, target: Target) -> list[Finding]:
    try:
        api = await apig.get_api(target.api_id)
    except NotFoundError as exc:
        if exc.error_code != API_NOT_FOUND:  # e.g. the instance itself (APIG.3030): not a no-op
            raise
        return [Finding(api_id=target.api_id, env_id=target.env_id, status="gone")]
    published = api.publish_ids()
    envs = [target.env_id] if target.env_id else sorted(published)
    findings = []
    for env_id in envs:
        finding = Finding(api_id=api.id, env_id=env_id, api_name=api.name, status="not_published")
        findings.append(finding)
        if env_id not in published:
            continue
        finding.missing = await _missing(apig, policy, api.id, env_id)
        finding.status = "violation" if finding.missing else "compliant"
        if finding.missing and policy.enforce:
            await enforcer.fix(finding, published[env_id])
    return findings


async def guard(
    apig: ApigClient, policy: GuardPolicy, targets: tuple[Target, ...], *, concurrency: int = 8
) -> list[Finding]:
    """One finding per (API, environment) the targets cover, in target order."""
    enforcer = _Enforcer(apig, policy)
    per_target = await bounded_gather((_check(apig, policy, enforcer, t) for t in targets), concurrency)
    return [finding for findings in per_target for finding in findings]
