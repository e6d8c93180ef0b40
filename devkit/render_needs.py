"""What a deployed function needs beyond its code: secrets, network, values built from variables.

Why a module of its own: the three ``opsfn render`` targets (Terraform, Serverless Devs, SCF) must agree
on these decisions - which variables are secrets, which functions must sit in a VPC, how a topic URN is
rebuilt from the deployment's region and project, how long the gateway waits, which grant is broader than
least privilege - while each target spells the result in its own syntax. Deciding once here keeps the
targets from drifting apart.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from devkit.template import FunctionSpec, KafkaEvent, SmnEvent, Template, WebhookEvent

__all__ = [
    "APIG_DEFAULT_MAX_MS",
    "APIG_MAX_MS",
    "SECRET_VARIABLES",
    "VPC_ACCESS_ACTIONS",
    "apig_timeout_ms",
    "broad_role_notes",
    "huawei_needs",
    "plain_environment",
    "secret_names",
    "smn_urn",
    "uses_topic_urns",
    "vpc_reasons",
]

# Secret variables: their values never appear in a rendered file. The webhook secret signs what the
# portal sends; the idempotency store URL of a DCS Redis carries its password.
SECRET_VARIABLES = ("OPSFN_WEBHOOK_SECRET", "OPSFN_IDEMPOTENCY_STORE")
# What FunctionGraph's agency needs to attach a function to a VPC: the least permissions of the user guide's
# "Configuring the Network" (functiongraph_01_0222, Table 1: create/query/delete the function's port, query
# the VPC and the subnet); the API reference's coarser "vpc:subnets:get, vpc:ports:*" grants no less.
VPC_ACCESS_ACTIONS = (
    "vpc:ports:create",
    "vpc:ports:delete",
    "vpc:ports:get",
    "vpc:subnets:get",
    "vpc:vpcs:get",
)
# APIG backend timeout (ms): the instance feature `backend_timeout` defaults to a 60000 ms ceiling and can
# be raised to 600000 ms (APIG API reference, ApiFuncCreate.timeout and the instance features table).
APIG_DEFAULT_MAX_MS = 60_000
APIG_MAX_MS = 600_000
# System roles granted because the service has no fine-grained IAM action for what the function does.
_BROAD_ROLES = {
    "te_admin": "CodeArts IDE licence operations have no fine-grained IAM action, so the agency holds "
    "the te_admin system role (all of CodeArts IDE, more than the function uses)",
}
_SERVICE_OF_ROLE = {"te_admin": "CodeArts IDE"}
_SERVICE_OF_ACTION = {"smn": "SMN", "iam": "IAM", "apig": "APIG", "csms": "CSMS", "ide": "CodeArts IDE"}


def secret_names(fn: FunctionSpec) -> list[str]:
    """The secret variables ``fn`` reads: the idempotency store always, the webhook secret when one of
    its webhooks verifies a signature."""
    names = []
    if any(isinstance(e, WebhookEvent) and e.properties.verification != "none" for e in fn.events.values()):
        names.append("OPSFN_WEBHOOK_SECRET")
    names.append("OPSFN_IDEMPOTENCY_STORE")
    return names


def plain_environment(
    template: Template,
    fn: FunctionSpec,
    build_urn: Callable[[str], str],
    escape: Callable[[str], str] = str,
) -> dict[str, str]:
    """The function's environment safe to write in a file: secrets left out (they come from the cloud's
    secret facility), SMN topic URNs rebuilt by ``build_urn`` from the topic name, every literal passed
    through the target's ``escape``."""
    out = {}
    for key, value in template.environment(fn).items():
        if key in SECRET_VARIABLES:
            continue
        name = _urn_topic(value)
        out[key] = build_urn(escape(name)) if name is not None else escape(value)
    return out


def _urn_topic(value: str) -> str | None:
    """The topic name of an SMN topic URN (``urn:smn:<region>:<project>:<name>``), else None."""
    parts = value.split(":")
    if len(parts) == 5 and parts[:2] == ["urn", "smn"] and parts[4]:
        return parts[4]
    return None


def smn_urn(topic: str, region: str, project: str) -> str:
    """A topic (name or URN) as a URN in the deployment's region and project (variable references)."""
    name = _urn_topic(topic)
    return f"urn:smn:{region}:{project}:{name if name is not None else topic}"


def uses_topic_urns(template: Template) -> bool:
    """True when some rendered value is an SMN topic URN (so the project id is a required input)."""
    return any(
        isinstance(event, SmnEvent) for fn in template.functions.values() for event in fn.events.values()
    ) or any(
        _urn_topic(value) is not None
        for fn in template.functions.values()
        for value in template.environment(fn).values()
    )


def vpc_reasons(fn: FunctionSpec) -> list[str]:
    """Why ``fn`` must run in a VPC whatever the store: a DMS Kafka trigger reaches its instance there."""
    return [
        f"DMS Kafka trigger {event_name!r} (instance {event.properties.instance})"
        for event_name, event in fn.events.items()
        if isinstance(event, KafkaEvent)
    ]


@dataclass(frozen=True)
class GatewayTimeout:
    """How long the gateway waits for the function, and what the deployer must know about it."""

    ms: int
    note: str | None


def apig_timeout_ms(where: str, function_timeout_s: int) -> GatewayTimeout:
    """The gateway waits as long as the function may run (a shorter wait answers 504 while the function
    still works, and the caller retries a request that is in fact being served)."""
    wanted = function_timeout_s * 1000
    if wanted > APIG_MAX_MS:
        return GatewayTimeout(
            APIG_MAX_MS,
            f"{where}: the function may run {function_timeout_s} s but APIG waits at most 600 s; "
            "raise the instance's backend_timeout feature to 600000 ms",
        )
    if wanted > APIG_DEFAULT_MAX_MS:
        return GatewayTimeout(
            wanted,
            f"{where}: the gateway waits {wanted} ms (the function's timeout), above APIG's default 60000 ms "
            f"ceiling: raise the instance's backend_timeout feature to at least {wanted} ms",
        )
    return GatewayTimeout(wanted, None)


def broad_role_notes(name: str, fn: FunctionSpec) -> list[str]:
    """A note per system role granted for lack of a fine-grained permission (least privilege's limit)."""
    return [
        f"{name}: {_BROAD_ROLES[p[5:]]}"
        for p in fn.policies
        if p.startswith("role:") and p[5:] in _BROAD_ROLES
    ]


def huawei_needs(fn: FunctionSpec) -> list[str]:
    """The Huawei Cloud services ``fn`` calls (from its policies), for a deployment outside Huawei Cloud."""
    services = []
    for policy in fn.policies:
        service = (
            _SERVICE_OF_ROLE.get(policy[5:], policy[5:])
            if policy.startswith("role:")
            else _SERVICE_OF_ACTION.get(policy.split(":", 1)[0], policy.split(":", 1)[0].upper())
        )
        if service not in services:
            services.append(service)
    return services
