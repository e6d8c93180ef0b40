"""``opsfn render``: deployment files for FunctionGraph (Terraform, Serverless Devs) and Tencent SCF.

Why generate instead of hand-writing: ``template.yaml`` is the single source of truth, and the three
targets disagree on details that are easy to get wrong by hand - cron dialects (standard 5-field cron
here, Quartz 6-field with ``?`` on FunctionGraph, 7-field with a year on SCF), handler strings (the
package's top-level ``index.py``), trigger shapes, and least-privilege IAM. A trigger a target cannot
express is listed in a ``not rendered`` note, never silently dropped.
"""

from __future__ import annotations

import json
import os
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from devkit.render_needs import (
    VPC_ACCESS_ACTIONS,
    apig_timeout_ms,
    broad_role_notes,
    huawei_needs,
    plain_environment,
    secret_names,
    smn_urn,
    uses_topic_urns,
    vpc_reasons,
)
from devkit.template import (
    CtsEvent,
    EventGridEvent,
    FunctionSpec,
    KafkaEvent,
    KafkaProps,
    SmnEvent,
    Template,
    TimerEvent,
    TimerProps,
    WebhookEvent,
)

__all__ = [
    "TARGETS",
    "CronError",
    "Rendered",
    "fg_cron",
    "rate_to_scf_cron",
    "render",
    "scf_cron",
]

TARGETS = ("functiongraph-terraform", "serverless-devs", "scf")
FG_HANDLER = "index.handler"
SCF_HANDLER = "index.main_handler"
FG_RUNTIME = "Python3.10"
SCF_RUNTIME = "Python3.10"
# Global IAM services: their actions must be granted on the domain, not per project.
_GLOBAL_SERVICES = frozenset({"iam"})
_DAYS = ("SUN", "MON", "TUE", "WED", "THU", "FRI", "SAT")
_RATE = re.compile(r"^(\d+)\s*(m|h|d)$")
# FunctionGraph Rate limits: 1-60 minutes, 1-24 hours, 1-30 days.
_FG_RATE_LIMITS = {"m": 60, "h": 24, "d": 30}


class CronError(ValueError):
    """A schedule that the target cron dialect cannot express."""


@dataclass
class Rendered:
    """The files of one target (relative path -> text) and the notes about what was not rendered."""

    files: dict[str, str] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    """Production findings about the template (devkit/production.py); rendering goes on regardless."""

    def write(self, out: Path) -> list[Path]:
        written = []
        for rel, text in self.files.items():
            path = out / rel
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(text, encoding="utf-8")
            written.append(path)
        return written


# ----------------------------------------------------------------------------------------------- cron


def _day_names(field_text: str) -> str:
    """Standard cron day-of-week (0-7, 0 and 7 = Sunday, names) -> names, unambiguous in every dialect.

    Quartz (FunctionGraph) numbers Sunday 1, SCF numbers Sunday 0: spelling the days out avoids the
    off-by-one between the three dialects entirely.
    """
    if field_text in ("*", "?"):
        return field_text
    days: set[int] = set()
    for part in field_text.split(","):
        step = 1
        if "/" in part:
            part, step_text = part.split("/", 1)
            step = int(step_text)
        if part == "*":
            lo, hi = 0, 6
        elif "-" in part:
            lo_text, hi_text = part.split("-", 1)
            lo, hi = _day_number(lo_text), _day_number(hi_text)
            if hi == 0:
                hi = 7
        else:
            lo = hi = _day_number(part)
        days.update(d % 7 for d in range(lo, hi + 1, step))
    return ",".join(_DAYS[d] for d in sorted(days))


def _day_number(text: str) -> int:
    upper = text.upper()
    if upper in _DAYS:
        return _DAYS.index(upper)
    value = int(text)
    if not 0 <= value <= 7:
        raise CronError(f"day of week {value} is outside 0-7")
    return value % 7 if value == 7 else value


def _split5(cron: str) -> list[str]:
    fields = cron.split()
    if len(fields) != 5:
        raise CronError(f"{cron!r} is not a 5-field cron (minute hour day-of-month month day-of-week)")
    return fields


def fg_cron(cron: str) -> str:
    """5-field cron -> FunctionGraph's Quartz form ``sec min hour dom month dow`` with one ``?``.

    Quartz cannot combine a day-of-month and a day-of-week restriction (standard cron ORs them), so such
    an expression raises :class:`CronError` instead of silently changing meaning.
    """
    minute, hour, dom, month, dow = _split5(cron)
    dow = _day_names(dow)
    if dow == "*":
        dow = "?"
    elif dom == "*":
        dom = "?"
    else:
        raise CronError(f"{cron!r} restricts both day-of-month and day-of-week; Quartz cannot OR them")
    return f"0 {minute} {hour} {dom} {month} {dow}"


def scf_cron(cron: str) -> str:
    """5-field cron -> SCF's 7-field ``sec min hour dom month dow year`` (days spelled out)."""
    minute, hour, dom, month, dow = _split5(cron)
    if dom != "*" and dow != "*":
        raise CronError(f"{cron!r} restricts both day-of-month and day-of-week; SCF cannot OR them")
    return f"0 {minute} {hour} {dom} {month} {_day_names(dow)} *"


def rate_to_scf_cron(rate: str) -> str:
    """``5m``/``1h``/``1d`` -> an SCF cron; only rates that divide their unit evenly are exact."""
    match = _RATE.match(rate)
    if match is None:
        raise CronError(f"Rate {rate!r} must look like '5m', '1h' or '1d'")
    value, unit = int(match[1]), match[2]
    limit = {"m": 60, "h": 24, "d": 1}[unit]
    if unit == "d":
        if value != 1:
            raise CronError(f"Rate {rate!r}: SCF cron can only express every day, not every {value} days")
        return "0 0 0 * * * *"
    if value < 1 or limit % value:
        raise CronError(f"Rate {rate!r} does not divide {limit}; SCF cron cannot repeat it exactly")
    step = "*" if value == 1 else f"*/{value}"
    return f"0 {step} * * * * *" if unit == "m" else f"0 0 {step} * * * *"


def _fg_rate(rate: str) -> str:
    match = _RATE.match(rate)
    if match is None or not 1 <= int(match[1]) <= _FG_RATE_LIMITS[match[2]]:
        raise CronError(f"Rate {rate!r} is outside FunctionGraph's 1-60m, 1-24h, 1-30d")
    return f"{int(match[1])}{match[2]}"


# -------------------------------------------------------------------------------------------- helpers


def _agency_name(name: str, fn: FunctionSpec) -> str:
    """The function's own agency (least privilege), unless the template names a shared one on purpose."""
    return fn.agency if "agency" in fn.model_fields_set else f"opsfn-{_dash(name)}"


def _split_policies(policies: list[str]) -> tuple[list[str], list[str], list[str]]:
    """(project-level actions, global actions, system role names)."""
    project, global_, roles = [], [], []
    for policy in policies:
        if policy.startswith("role:"):
            roles.append(policy[5:])
        elif policy.split(":", 1)[0] in _GLOBAL_SERVICES:
            global_.append(policy)
        else:
            project.append(policy)
    return project, global_, roles


def policy_document(actions: list[str]) -> dict[str, Any]:
    """The IAM custom policy (version 1.1) allowing exactly ``actions``."""
    return {"Version": "1.1", "Statement": [{"Effect": "Allow", "Action": sorted(actions)}]}


def _webhook_name(name: str, event_name: str) -> str:
    return f"{name}_{event_name}"[:64]


def _timer_input(props: Any) -> str:
    return json.dumps(props.input, sort_keys=True) if props.input else ""


def _fg_schedule(props: TimerProps) -> tuple[str, str]:
    """FunctionGraph's ``(schedule type, schedule)`` of a timer; :class:`CronError` if it has none."""
    if props.cron is not None:
        return "Cron", fg_cron(props.cron)
    return "Rate", _fg_rate(props.rate or "")


def _tf_escape(value: str) -> str:
    """Terraform JSON strings interpolate ``${`` and ``%{``; literal text must double them."""
    return value.replace("${", "$${").replace("%{", "%%{")


def _dump_yaml(doc: Any) -> str:
    """YAML without anchors/aliases: the deploy tools and humans read each service in full."""
    import yaml

    class _NoAliases(yaml.SafeDumper):
        def ignore_aliases(self, data: Any) -> bool:
            return True

    return yaml.dump(doc, Dumper=_NoAliases, sort_keys=False, allow_unicode=True, width=110)


def _dash(name: str) -> str:
    return name.replace("_", "-")


def _rel(out: Path, target: Path) -> str:
    return Path(os.path.relpath(target, out)).as_posix()


# ----------------------------------------------------------------------------------------- terraform


def _tf_function(template: Template, name: str, fn: FunctionSpec, dist_rel: str) -> dict[str, Any]:
    """The function resource: plain variables in ``user_data``, secrets only in ``encrypted_user_data``
    (from sensitive Terraform variables), and the VPC from variables (required for a Kafka trigger,
    else used when ``var.vpc_id`` is set, e.g. for a DCS Redis store)."""
    in_vpc = bool(vpc_reasons(fn))
    return {
        "name": name,
        "app": "default",
        "handler": FG_HANDLER,
        "runtime": FG_RUNTIME,
        "memory_size": template.memory(fn),
        "timeout": template.timeout(fn),
        "code_type": "zip",
        "code_filename": f"{name}.zip",
        "func_code": f'${{filebase64("${{path.module}}/{dist_rel}/{name}.zip")}}',
        "description": _tf_escape(fn.description),
        "agency": f"${{huaweicloud_identity_agency.{name}.name}}",
        "user_data": f"${{jsonencode(local.env_{name})}}",
        "encrypted_user_data": f"${{jsonencode(local.secrets_{name})}}",
        "vpc_id": "${var.vpc_id}" if in_vpc else '${var.vpc_id != "" ? var.vpc_id : null}',
        "network_id": "${var.subnet_id}" if in_vpc else '${var.vpc_id != "" ? var.subnet_id : null}',
    }


def _tf_secrets(fn: FunctionSpec) -> dict[str, str]:
    """The function's secret variables, each from a sensitive Terraform variable of the same name."""
    return {key: f"${{var.{key.lower()}}}" for key in secret_names(fn)}


def _tf_vpc_role(name: str, resources: dict[str, dict[str, Any]], *, always: bool) -> str:
    """A role with exactly the VPC actions FunctionGraph needs to attach ``name`` to the VPC; created only
    when the function sits in one (``var.vpc_id`` set) unless ``always``. Returns the role-name reference
    (a list expression when conditional)."""
    role: dict[str, Any] = {
        "name": f"opsfn-{_dash(name)}-vpc-access",
        "description": f"opsfn {name}: attach the function to its VPC subnet (FunctionGraph VPC access)",
        "type": "XA",
        "policy": json.dumps(policy_document(list(VPC_ACCESS_ACTIONS)), sort_keys=True),
    }
    if always:
        resources["huaweicloud_identity_role"][f"{name}_vpc"] = role
        return f"${{huaweicloud_identity_role.{name}_vpc.name}}"
    resources["huaweicloud_identity_role"][f"{name}_vpc"] = {"count": '${var.vpc_id != "" ? 1 : 0}', **role}
    return f"huaweicloud_identity_role.{name}_vpc[*].name"


def _tf_project_roles(roles: list[str], vpc_role: str, always: bool) -> list[str] | str:
    """The agency's project roles plus the VPC role: a list, or a ``concat`` expression when conditional."""
    if always:
        return [*roles, vpc_role]
    listed = ", ".join(r[2:-1] if r.startswith("${") else json.dumps(r) for r in roles)
    return f"${{concat([{listed}], {vpc_role})}}"


def _tf_iam(
    name: str, fn: FunctionSpec, resources: dict[str, dict[str, Any]], *, vpc_required: bool = False
) -> None:
    """The function's agency: its actions in custom roles (project / global), its system roles, and the
    VPC access role (every function sits in the VPC when one is required, else when ``var.vpc_id`` is set)."""
    project, global_, roles = _split_policies(fn.policies)
    project_roles = list(roles)
    domain_roles: list[str] = []
    if project:
        resources["huaweicloud_identity_role"][name] = {
            "name": f"opsfn-{_dash(name)}-project",
            "description": f"opsfn {name}: project-level actions it needs, nothing more",
            "type": "XA",
            "policy": json.dumps(policy_document(project), sort_keys=True),
        }
        project_roles.append(f"${{huaweicloud_identity_role.{name}.name}}")
    if global_:
        resources["huaweicloud_identity_role"][f"{name}_global"] = {
            "name": f"opsfn-{_dash(name)}-global",
            "description": f"opsfn {name}: global-service actions it needs, nothing more",
            "type": "AX",
            "policy": json.dumps(policy_document(global_), sort_keys=True),
        }
        domain_roles.append(f"${{huaweicloud_identity_role.{name}_global.name}}")
    agency: dict[str, Any] = {
        "name": _agency_name(name, fn),
        "description": f"FunctionGraph agency of opsfn function {name}",
        "delegated_service_name": "op_svc_cff",
        "project_role": [
            {
                "project": "${var.region}",
                "roles": _tf_project_roles(
                    project_roles, _tf_vpc_role(name, resources, always=vpc_required), vpc_required
                ),
            }
        ],
        "domain_roles": domain_roles,
    }
    resources["huaweicloud_identity_agency"][name] = agency


def _tf_triggers(
    template: Template, name: str, fn: FunctionSpec, resources: dict[str, dict[str, Any]], notes: list[str]
) -> None:
    """Each event as the provider's trigger resource; one FunctionGraph cannot run is noted instead."""
    urn = f"${{huaweicloud_fgs_function.{name}.urn}}"
    for event_name, event in fn.events.items():
        key = f"{name}_{event_name}"
        where = f"{name}.{event_name}"
        body: dict[str, Any] | None
        if isinstance(event, TimerEvent):
            body = _tf_timer(key, where, event.properties, notes)
        elif isinstance(event, SmnEvent):
            # The provider documents that SMN triggers do not support `status`.
            topic = smn_urn(_tf_escape(event.properties.topic), "${var.region}", "${var.project_id}")
            body = {"type": "SMN", "smn": [{"topic_urn": topic}]}
        elif isinstance(event, KafkaEvent):
            body = _tf_kafka(where, event.properties, notes)
        else:
            data, kind = _fg_event_data(template, name, event_name, event, fn, notes)
            generic: dict[str, Any] = {
                "function_urn": urn,
                "type": kind,
                "event_data": json.dumps(data, sort_keys=True),
                "status": "ACTIVE",
            }
            if kind == "EVENTGRID":
                generic["cascade_delete_eg_subscription"] = True
            resources["huaweicloud_fgs_function_trigger"][key] = generic
            continue
        if body is not None:
            resources["huaweicloud_fgs_trigger"][key] = {"function_urn": urn, **body}


def _tf_timer(key: str, where: str, props: TimerProps, notes: list[str]) -> dict[str, Any] | None:
    try:
        schedule_type, schedule = _fg_schedule(props)
    except CronError as exc:
        notes.append(f"not rendered: {where} (Timer): {exc}")
        return None
    timer = {
        "name": key[:64],
        "schedule_type": schedule_type,
        "schedule": schedule,
        "additional_information": _tf_escape(_timer_input(props)),
    }
    return {"type": "TIMER", "status": "ACTIVE", "timer": [timer]}


def _tf_kafka(where: str, kp: KafkaProps, notes: list[str]) -> dict[str, Any]:
    batch = kp.batch_size
    if batch > 1000:
        notes.append(f"{where} (Kafka): BatchSize {batch} capped to FunctionGraph's maximum 1000")
        batch = 1000
    kafka = {
        "instance_id": f'${{var.dms_kafka_instance_ids["{kp.instance}"]}}',
        "topic_ids": [f'${{var.dms_kafka_topic_ids["{kp.instance}/{kp.topic}"]}}'],
        "batch_size": batch,
    }
    return {"type": "KAFKA", "status": "ACTIVE", "kafka": [kafka]}


def _fg_event_data(
    template: Template, name: str, event_name: str, event: Any, fn: FunctionSpec, notes: list[str]
) -> tuple[dict[str, Any], str]:
    """``event_data`` of the triggers only the generic trigger resource can express."""
    trigger_name = _webhook_name(name, event_name)
    if isinstance(event, WebhookEvent):
        wp = event.properties
        timeout = _gateway_timeout(template, name, event_name, fn, notes)
        # The function verifies the webhook signature itself, so the gateway passes requests through.
        return {
            "name": trigger_name,
            "instance_id": "${var.apig_instance_id}",
            "group_id": "${var.apig_group_id}",
            "env_id": "${var.apig_env_id}",
            "env_name": "RELEASE",
            "auth": "NONE",
            "protocol": "HTTPS",
            "path": wp.path,
            "match_mode": "NORMAL",
            "req_method": wp.method,
            "backend_type": "FUNCTION",
            "type": 1,
            "func_info": {"timeout": timeout},
        }, "DEDICATEDGATEWAY"
    if isinstance(event, CtsEvent):
        cp = event.properties
        kinds = cp.resource_types or [""]
        operations = [f"{cp.service}:{rt}:{op}" for rt in kinds for op in cp.operations]
        return {"name": trigger_name, "operations": operations}, "CTS"
    if isinstance(event, EventGridEvent):
        gp = event.properties
        return {
            "trigger_name": trigger_name,
            "channel_name": "default",
            "source_name": gp.source,
            "event_types": list(gp.types),
            "agency": _agency_name(name, fn),
        }, "EVENTGRID"
    raise TypeError(f"no FunctionGraph trigger for {type(event).__name__}")


def _gateway_timeout(
    template: Template, name: str, event_name: str, fn: FunctionSpec, notes: list[str]
) -> int:
    """The gateway's backend timeout (ms) for a webhook of ``fn``; a note when APIG must be told."""
    timeout = apig_timeout_ms(f"{name}.{event_name} (Webhook)", template.timeout(fn))
    if timeout.note is not None and timeout.note not in notes:
        notes.append(timeout.note)
    return timeout.ms


def _function_notes(name: str, fn: FunctionSpec) -> list[str]:
    """Notes every FunctionGraph target carries for ``fn``: broad roles and why it sits in a VPC."""
    notes = broad_role_notes(name, fn)
    for reason in vpc_reasons(fn):
        notes.append(
            f"{name}: runs in the VPC/subnet of the variables for its {reason}; a function in a VPC reaches "
            "the cloud APIs only through a NAT gateway or VPC endpoints of that VPC"
        )
    return notes


def _terraform(template: Template, out: Path, dist: Path) -> Rendered:
    rendered = Rendered()
    resources: dict[str, dict[str, Any]] = {
        "huaweicloud_identity_role": {},
        "huaweicloud_identity_agency": {},
        "huaweicloud_fgs_function": {},
        "huaweicloud_fgs_trigger": {},
        "huaweicloud_fgs_function_trigger": {},
    }
    locals_: dict[str, Any] = {}
    dist_rel = _rel(out, dist)
    vpc_required = any(vpc_reasons(fn) for fn in template.functions.values())
    for name, fn in template.functions.items():
        locals_[f"env_{name}"] = plain_environment(
            template, fn, lambda topic: smn_urn(topic, "${var.region}", "${var.project_id}"), _tf_escape
        )
        locals_[f"secrets_{name}"] = _tf_secrets(fn)
        resources["huaweicloud_fgs_function"][name] = _tf_function(template, name, fn, dist_rel)
        _tf_iam(name, fn, resources, vpc_required=vpc_required)
        _tf_triggers(template, name, fn, resources, rendered.notes)
        rendered.notes.extend(_function_notes(name, fn))
    doc: dict[str, Any] = {
        "//": "Generated by `opsfn render --target functiongraph-terraform` from template.yaml; do not edit.",
        "terraform": {"required_providers": {"huaweicloud": {"source": "huaweicloud/huaweicloud"}}},
        "provider": {"huaweicloud": {"region": "${var.region}"}},
        "variable": _tf_variables(template),
        "locals": locals_,
        "resource": {kind: body for kind, body in resources.items() if body},
    }
    if rendered.notes:
        doc["//"] += " " + " ".join(f"# {note}" for note in rendered.notes)
    rendered.files["main.tf.json"] = json.dumps(doc, indent=2, sort_keys=False) + "\n"
    return rendered


def _tf_variables(template: Template) -> dict[str, Any]:
    """The deployment's inputs. Secrets are ``sensitive`` and have no default (Terraform asks for them or
    reads ``TF_VAR_<name>``); the VPC is required as soon as one function needs it."""

    def var(
        description: str, kind: str = "string", default: Any = None, sensitive: bool = False
    ) -> dict[str, Any]:
        body: dict[str, Any] = {"type": kind, "description": description}
        if default is not None:
            body["default"] = default
        if sensitive:
            body["sensitive"] = True
        return body

    fns = template.functions.values()
    vpc_default = None if any(vpc_reasons(fn) for fn in fns) else ""
    secrets = {
        key.lower(): var(f"{key} of the functions (encrypted environment variable)", sensitive=True)
        for key in dict.fromkeys(k for fn in fns for k in secret_names(fn))
    }
    return {
        "region": var("Region (also the IAM project name the agencies are granted in)", default="cn-north-4"),
        "project_id": var(
            "Project id of the region: SMN topic URNs are built from it",
            default=None if uses_topic_urns(template) else "",
        ),
        **secrets,
        "vpc_id": var(
            "VPC of the functions that need one (Kafka trigger, DCS Redis store)", default=vpc_default
        ),
        "subnet_id": var("Subnet (network id) in vpc_id", default=vpc_default),
        "apig_instance_id": var("APIG dedicated instance exposing the webhooks", default=""),
        "apig_group_id": var("API group of the webhook APIs", default=""),
        "apig_env_id": var("APIG environment id of RELEASE", default=""),
        "dms_kafka_instance_ids": var("DMS Kafka instance ids by instance name", "map(string)", {}),
        "dms_kafka_topic_ids": var("DMS Kafka topic ids by 'instance/topic'", "map(string)", {}),
    }


# ----------------------------------------------------------------------------------- serverless devs


def _sdevs(kind: str, data: dict[str, Any]) -> dict[str, Any]:
    return {"triggerTypeCode": kind, "status": "ACTIVE", "eventData": data}


def _sdevs_trigger(
    template: Template, name: str, event_name: str, event: Any, notes: list[str]
) -> dict[str, Any] | None:
    where = f"{name}.{event_name}"
    trigger_name = _webhook_name(name, event_name)
    if isinstance(event, TimerEvent):
        try:
            schedule_type, schedule = _fg_schedule(event.properties)
        except CronError as exc:
            notes.append(f"not rendered: {where} (Timer): {exc}")
            return None
        data = {"name": trigger_name, "scheduleType": schedule_type, "schedule": schedule}
        if event.properties.input:
            data["userEvent"] = _timer_input(event.properties)
        return _sdevs("TIMER", data)
    if isinstance(event, WebhookEvent):
        wp = event.properties
        return _sdevs(
            "APIG",
            {
                "name": trigger_name,
                "groupName": "${vars.apigGroup}",
                "envName": "RELEASE",
                "auth": "NONE",
                "protocol": "HTTPS",
                "backendType": "FUNCTION",
                "path": wp.path,
                "method": wp.method,
                "timeout": _gateway_timeout(template, name, event_name, template.functions[name], notes),
            },
        )
    if isinstance(event, KafkaEvent):
        kp = event.properties
        return _sdevs(
            "KAFKA",
            {
                "instanceId": f"${{vars.kafka.{kp.instance}.instanceId}}",
                "topicId": f"${{vars.kafka.{kp.instance}.topics.{kp.topic}}}",
                "batchSize": min(kp.batch_size, 1000),
            },
        )
    if isinstance(event, SmnEvent):
        topic = smn_urn(event.properties.topic, "${vars.region}", "${vars.projectId}")
        return _sdevs("SMN", {"topicUrn": topic})
    notes.append(f"not rendered: {where} ({type(event).__name__}): the fgs component has no such trigger")
    return None


def _sdevs_function(template: Template, name: str, fn: FunctionSpec, dist_rel: str) -> dict[str, Any]:
    """The fgs component's ``function``: no secret in it, URNs from vars, the VPC when it needs one."""
    function: dict[str, Any] = {
        "functionName": name,
        "handler": FG_HANDLER,
        "runtime": FG_RUNTIME,
        "memorySize": template.memory(fn),
        "timeout": template.timeout(fn),
        "agencyName": _agency_name(name, fn),
        "description": fn.description,
        "environmentVariables": plain_environment(
            template, fn, lambda topic: smn_urn(topic, "${vars.region}", "${vars.projectId}")
        ),
        "code": {"codeUri": f"{dist_rel}/{name}.zip"},
    }
    if vpc_reasons(fn):
        function["funcVpc"] = {"vpcId": "${vars.vpcId}", "subnetId": "${vars.subnetId}"}
    return function


def _serverless_devs(template: Template, out: Path, dist: Path) -> Rendered:
    rendered = Rendered()
    services: dict[str, Any] = {}
    dist_rel = _rel(out, dist)
    for name, fn in template.functions.items():
        function = _sdevs_function(template, name, fn, dist_rel)
        rendered.notes.extend(_function_notes(name, fn))
        triggers = [
            (event_name, t)
            for event_name, event in fn.events.items()
            if (t := _sdevs_trigger(template, name, event_name, event, rendered.notes)) is not None
        ]
        if not triggers:
            services[name] = {"component": "fgs", "props": {"region": "${vars.region}", "function": function}}
        # The fgs component takes one trigger per service: each further trigger is a service of the
        # same function (the deploy is idempotent: same code, same configuration).
        for i, (event_name, trigger) in enumerate(triggers):
            key = name if i == 0 else f"{name}-{event_name}"
            props = {"region": "${vars.region}", "function": function, "trigger": trigger}
            services[key] = {"component": "fgs", "props": props}
    doc = {
        "edition": "1.0.0",
        "name": "opsfn",
        "access": "default",
        "vars": {
            "region": "cn-north-4",
            "apigGroup": "opsfn",
            "kafka": _kafka_vars(template),
            **_sdevs_input_vars(template),
        },
        "services": services,
    }
    secrets = sorted({k for fn in template.functions.values() for k in secret_names(fn)})
    rendered.notes.append(
        f"secrets {', '.join(secrets)} are not in s.yaml: the fgs component cannot set encrypted variables; "
        "after `s deploy` set them as encrypted environment variables of each function (docs/deploy.md)"
    )
    agencies = _sdevs_agencies(template)
    if agencies:
        # The fgs component only names an agency (agencyName); it cannot create one. Without this
        # file the least-privilege grants of the template would exist in no deployment artefact.
        rendered.files["agencies.json"] = json.dumps(agencies, indent=2, sort_keys=True) + "\n"
        names = ", ".join(sorted(agencies))
        rendered.notes.append(
            f"the fgs component does not create agencies: create {names} (delegated to FunctionGraph, "
            "op_svc_cff) with the roles and policy documents in agencies.json before `s deploy`"
        )
    header = "# Generated by `opsfn render --target serverless-devs` from template.yaml; do not edit.\n"
    header += "".join(f"# {note}\n" for note in rendered.notes)
    rendered.files["s.yaml"] = header + _dump_yaml(doc)
    return rendered


def _sdevs_agencies(template: Template) -> dict[str, Any]:
    """Per agency: the system roles and the custom policy documents (project / global) it needs."""
    agencies: dict[str, Any] = {}
    for name, fn in template.functions.items():
        project, global_, roles = _split_policies(fn.policies)
        if vpc_reasons(fn):  # s.yaml gives it funcVpc: its agency must attach it to the subnet
            project = [*project, *VPC_ACCESS_ACTIONS]
        if not (project or global_ or roles):
            continue
        entry = agencies.setdefault(
            _agency_name(name, fn),
            {"delegated_service_name": "op_svc_cff", "functions": [], "system_roles": []},
        )
        entry["functions"].append(name)
        entry["system_roles"] = sorted(set(entry["system_roles"]) | set(roles))
        for scope, actions in (("project_policy", project), ("global_policy", global_)):
            if actions:
                merged = set(entry.get(scope, {"Statement": [{"Action": []}]})["Statement"][0]["Action"])
                entry[scope] = policy_document(sorted(merged | set(actions)))
    return agencies


def _sdevs_input_vars(template: Template) -> dict[str, str]:
    """Inputs read from the deploying shell (``${env(NAME)}``): the project id when URNs are built from
    it, the VPC when a function needs one."""
    found: dict[str, str] = {}
    if uses_topic_urns(template):
        found["projectId"] = "${env(HUAWEICLOUD_SDK_PROJECT_ID)}"
    if any(vpc_reasons(fn) for fn in template.functions.values()):
        found.update(vpcId="${env(OPSFN_VPC_ID)}", subnetId="${env(OPSFN_SUBNET_ID)}")
    return found


def _kafka_vars(template: Template) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for fn in template.functions.values():
        for event in fn.events.values():
            if isinstance(event, KafkaEvent):
                entry = out.setdefault(event.properties.instance, {"instanceId": "", "topics": {}})
                entry["topics"][event.properties.topic] = ""
    return out


# ----------------------------------------------------------------------------------------------- scf


def _scf_event(
    template: Template, name: str, event_name: str, event: Any, notes: list[str]
) -> dict[str, Any] | None:
    where = f"{name}.{event_name}"
    trigger_name = _webhook_name(name, event_name)
    if isinstance(event, TimerEvent):
        props = event.properties
        try:
            cron = scf_cron(props.cron) if props.cron is not None else rate_to_scf_cron(props.rate or "")
        except CronError as exc:
            notes.append(f"not rendered: {where} (Timer): {exc}")
            return None
        parameters: dict[str, Any] = {"name": trigger_name, "cronExpression": cron, "enable": True}
        if props.input:
            parameters["argument"] = _timer_input(props)
        return {"timer": {"parameters": parameters}}
    if isinstance(event, WebhookEvent):
        wp = event.properties
        return {
            "apigw": {
                "parameters": {
                    "serviceName": "opsfn",
                    "protocols": ["https"],
                    "environment": "release",
                    "endpoints": [
                        {
                            "path": wp.path,
                            "method": wp.method,
                            "function": {"isIntegratedResponse": True},
                            # The gateway waits as long as the function may run (APIGW allows 1-1800 s).
                            "serviceTimeout": min(template.timeout(template.functions[name]), 1800),
                        }
                    ],
                }
            }
        }
    if isinstance(event, KafkaEvent):
        # The template's instance is a Huawei DMS instance: naming it as a CKafka instance would deploy a
        # trigger on an instance that does not exist (or, worse, on an unrelated one of the same name).
        notes.append(
            f"not rendered: {where} (Kafka): {event.properties.instance!r} is a Huawei DMS Kafka instance; "
            "SCF's CKafka trigger cannot consume it. Feed the topic to SCF through a CKafka instance "
            "(e.g. mirrored with CKafka's connector) and add its ckafka trigger by hand"
        )
        return None
    if isinstance(event, SmnEvent):
        # SMN's Tencent counterpart is a CMQ topic; the runtime parses SCF CMQ topic events.
        topic = event.properties.topic.rsplit(":", 1)[-1]
        notes.append(
            f"{where} (Smn): rendered as a subscription to a Tencent CMQ topic named {topic!r}, which must "
            "exist on Tencent Cloud (it is not the Huawei SMN topic)"
        )
        return {"cmq": {"parameters": {"name": topic, "enable": True}}}
    kind = type(event).__name__.removesuffix("Event")
    notes.append(f"not rendered: {where} ({kind}): SCF has no {kind} trigger")
    return None


_HUAWEI_INPUTS = (
    "HUAWEICLOUD_SDK_AK",
    "HUAWEICLOUD_SDK_SK",
    "HUAWEICLOUD_SDK_PROJECT_ID",
    "HUAWEICLOUD_SDK_REGION",
)


def _scf_environment(template: Template, fn: FunctionSpec) -> dict[str, str]:
    """Plain variables as written; secrets and the Huawei inputs as ``${env.NAME}`` of the deploying
    shell (or CI secret store), so no value of theirs is ever written in the file."""
    env = plain_environment(
        template,
        fn,
        lambda topic: smn_urn(topic, "${env.HUAWEICLOUD_SDK_REGION}", "${env.HUAWEICLOUD_SDK_PROJECT_ID}"),
    )
    from_shell = [*secret_names(fn), *(_HUAWEI_INPUTS if huawei_needs(fn) else ())]
    return {**env, **{key: f"${{env.{key}}}" for key in from_shell}}


def _scf_huawei_notes(name: str, fn: FunctionSpec) -> list[str]:
    """What ``fn`` needs from Huawei Cloud when it runs on SCF, and where each piece comes from."""
    services = huawei_needs(fn)
    if not services:
        return []
    return [
        f"{name}: calls Huawei Cloud ({', '.join(services)}) from SCF, where no Huawei agency exists: "
        f"it needs the AK/SK of a Huawei IAM user granted exactly {', '.join(fn.policies)} (no more), "
        "and the project id and region; all four come from the deploying shell's "
        f"{', '.join(_HUAWEI_INPUTS)} at `sls deploy` (never written here)",
        f"{name}: the CAM role opsfn-{_dash(name)} needs no Tencent Cloud API permission for these calls",
    ]


def _scf(template: Template, out: Path, dist: Path, region: str) -> Rendered:
    rendered = Rendered()
    for name, fn in template.functions.items():
        notes: list[str] = []
        events = [
            e
            for event_name, event in fn.events.items()
            if (e := _scf_event(template, name, event_name, event, notes))
        ]
        notes.extend(_scf_huawei_notes(name, fn))
        inputs: dict[str, Any] = {
            "src": {"src": f"{_rel(out / name, dist)}/{name}"},
            "handler": SCF_HANDLER,
            "runtime": SCF_RUNTIME,
            "region": region,
            "description": fn.description,
            "memorySize": template.memory(fn),
            "timeout": template.timeout(fn),
            "environment": {"variables": _scf_environment(template, fn)},
            "role": f"opsfn-{_dash(name)}",
            "events": events,
        }
        doc = {"component": "scf", "name": _dash(name), "inputs": inputs}
        header = f"# Generated by `opsfn render --target scf` from template.yaml ({name}); do not edit.\n"
        header += "".join(f"# {note}\n" for note in notes)
        rendered.files[f"{name}/serverless.yml"] = header + _dump_yaml(doc)
        rendered.notes.extend(notes)
    return rendered


def render(
    template: Template, target: str, out: Path, *, dist: Path, scf_region: str = "ap-guangzhou"
) -> Rendered:
    """Render ``target`` into memory; ``out`` and ``dist`` only fix the relative code paths."""
    from devkit.production import production_findings
    from devkit.render_workflows import add_workflows  # workflows/: each cloud's flow definitions

    out, dist = out.resolve(), dist.resolve()
    if target == "functiongraph-terraform":
        rendered = _terraform(template, out, dist)
    elif target == "serverless-devs":
        rendered = _serverless_devs(template, out, dist)
    elif target == "scf":
        rendered = _scf(template, out, dist, scf_region)
    else:
        raise ValueError(f"unknown target {target!r}; expected one of {', '.join(TARGETS)}")
    rendered = add_workflows(template, target, rendered)
    rendered.warnings = [f.text() for f in production_findings(template) if f.level != "note"]
    return rendered
