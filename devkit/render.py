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


def _smn_topic_urn(topic: str, region: str, project: str) -> str:
    """SMN triggers need the topic's URN: a bare topic name (as the template allows) is completed with
    the deployment's region and project id, given as the target's own variable references."""
    return topic if topic.startswith("urn:smn:") else f"urn:smn:{region}:{project}:{topic}"


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
    }


def _tf_iam(name: str, fn: FunctionSpec, resources: dict[str, dict[str, Any]]) -> None:
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
        "project_role": [{"project": "${var.region}", "roles": project_roles}] if project_roles else [],
        "domain_roles": domain_roles,
    }
    resources["huaweicloud_identity_agency"][name] = agency


def _tf_triggers(name: str, fn: FunctionSpec, resources: dict[str, dict[str, Any]], notes: list[str]) -> None:
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
            topic = _smn_topic_urn(event.properties.topic, "${var.region}", "${var.project_id}")
            body = {"type": "SMN", "smn": [{"topic_urn": topic}]}
        elif isinstance(event, KafkaEvent):
            body = _tf_kafka(where, event.properties, notes)
        else:
            data, kind = _fg_event_data(name, event_name, event, _agency_name(name, fn))
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


def _fg_event_data(name: str, event_name: str, event: Any, agency: str) -> tuple[dict[str, Any], str]:
    """``event_data`` of the triggers only the generic trigger resource can express."""
    trigger_name = _webhook_name(name, event_name)
    if isinstance(event, WebhookEvent):
        wp = event.properties
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
            "func_info": {"timeout": 5000},
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
            "agency": agency,
        }, "EVENTGRID"
    raise TypeError(f"no FunctionGraph trigger for {type(event).__name__}")


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
    for name, fn in template.functions.items():
        locals_[f"env_{name}"] = {k: _tf_escape(v) for k, v in template.environment(fn).items()}
        resources["huaweicloud_fgs_function"][name] = _tf_function(template, name, fn, dist_rel)
        _tf_iam(name, fn, resources)
        _tf_triggers(name, fn, resources, rendered.notes)
    doc: dict[str, Any] = {
        "//": "Generated by `opsfn render --target functiongraph-terraform` from template.yaml; do not edit.",
        "terraform": {"required_providers": {"huaweicloud": {"source": "huaweicloud/huaweicloud"}}},
        "provider": {"huaweicloud": {"region": "${var.region}"}},
        "variable": _tf_variables(),
        "locals": locals_,
        "resource": {kind: body for kind, body in resources.items() if body},
    }
    if rendered.notes:
        doc["//"] += " " + " ".join(f"# {note}" for note in rendered.notes)
    rendered.files["main.tf.json"] = json.dumps(doc, indent=2, sort_keys=False) + "\n"
    return rendered


def _tf_variables() -> dict[str, Any]:
    def var(description: str, kind: str = "string", default: Any = None) -> dict[str, Any]:
        body: dict[str, Any] = {"type": kind, "description": description}
        if default is not None:
            body["default"] = default
        return body

    return {
        "region": var("Region (also the IAM project name the agencies are granted in)", default="cn-north-4"),
        "project_id": var("Project id of the region, for SMN topic URNs", default=""),
        "apig_instance_id": var("APIG dedicated instance exposing the webhooks", default=""),
        "apig_group_id": var("API group of the webhook APIs", default=""),
        "apig_env_id": var("APIG environment id of RELEASE", default=""),
        "dms_kafka_instance_ids": var("DMS Kafka instance ids by instance name", "map(string)", {}),
        "dms_kafka_topic_ids": var("DMS Kafka topic ids by 'instance/topic'", "map(string)", {}),
    }


# ----------------------------------------------------------------------------------- serverless devs


def _sdevs(kind: str, data: dict[str, Any]) -> dict[str, Any]:
    return {"triggerTypeCode": kind, "status": "ACTIVE", "eventData": data}


def _sdevs_trigger(name: str, event_name: str, event: Any, notes: list[str]) -> dict[str, Any] | None:
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
                "timeout": 5000,
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
        topic = _smn_topic_urn(event.properties.topic, "${vars.region}", "${vars.projectId}")
        return _sdevs("SMN", {"topicUrn": topic})
    notes.append(f"not rendered: {where} ({type(event).__name__}): the fgs component has no such trigger")
    return None


def _serverless_devs(template: Template, out: Path, dist: Path) -> Rendered:
    rendered = Rendered()
    services: dict[str, Any] = {}
    dist_rel = _rel(out, dist)
    for name, fn in template.functions.items():
        function = {
            "functionName": name,
            "handler": FG_HANDLER,
            "runtime": FG_RUNTIME,
            "memorySize": template.memory(fn),
            "timeout": template.timeout(fn),
            "agencyName": _agency_name(name, fn),
            "description": fn.description,
            "environmentVariables": template.environment(fn),
            "code": {"codeUri": f"{dist_rel}/{name}.zip"},
        }
        triggers = [
            (event_name, t)
            for event_name, event in fn.events.items()
            if (t := _sdevs_trigger(name, event_name, event, rendered.notes)) is not None
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
            **({"projectId": ""} if _has_bare_smn_topic(template) else {}),
        },
        "services": services,
    }
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


def _has_bare_smn_topic(template: Template) -> bool:
    return any(
        isinstance(event, SmnEvent) and not event.properties.topic.startswith("urn:smn:")
        for fn in template.functions.values()
        for event in fn.events.values()
    )


def _kafka_vars(template: Template) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for fn in template.functions.values():
        for event in fn.events.values():
            if isinstance(event, KafkaEvent):
                entry = out.setdefault(event.properties.instance, {"instanceId": "", "topics": {}})
                entry["topics"][event.properties.topic] = ""
    return out


# ----------------------------------------------------------------------------------------------- scf


def _scf_event(name: str, event_name: str, event: Any, notes: list[str]) -> dict[str, Any] | None:
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
                        }
                    ],
                }
            }
        }
    if isinstance(event, KafkaEvent):
        kp = event.properties
        return {
            "ckafka": {
                "parameters": {
                    "name": kp.instance,
                    "topic": kp.topic,
                    "maxMsgNum": min(kp.batch_size, 10000),
                    "offset": "latest",
                    "enable": True,
                }
            }
        }
    if isinstance(event, SmnEvent):
        # SMN's Tencent counterpart is a CMQ topic; the runtime parses SCF CMQ topic events.
        topic = event.properties.topic.rsplit(":", 1)[-1]
        notes.append(f"{where} (Smn): rendered as a subscription to the CMQ topic {topic!r}")
        return {"cmq": {"parameters": {"name": topic, "enable": True}}}
    kind = type(event).__name__.removesuffix("Event")
    notes.append(f"not rendered: {where} ({kind}): SCF has no {kind} trigger")
    return None


def _scf(template: Template, out: Path, dist: Path, region: str) -> Rendered:
    rendered = Rendered()
    for name, fn in template.functions.items():
        notes: list[str] = []
        events = [
            e for event_name, event in fn.events.items() if (e := _scf_event(name, event_name, event, notes))
        ]
        if fn.policies:
            notes.append(
                f"{name}: Huawei IAM policies {', '.join(fn.policies)} have no SCF form; "
                f"grant the CAM role opsfn-{_dash(name)} what the function calls on Tencent Cloud"
            )
        inputs: dict[str, Any] = {
            "src": {"src": f"{_rel(out / name, dist)}/{name}"},
            "handler": SCF_HANDLER,
            "runtime": SCF_RUNTIME,
            "region": region,
            "description": fn.description,
            "memorySize": template.memory(fn),
            "timeout": template.timeout(fn),
            "environment": {"variables": template.environment(fn)},
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
    from devkit.render_workflows import add_workflows  # workflows/: each cloud's flow definitions

    out, dist = out.resolve(), dist.resolve()
    if target == "functiongraph-terraform":
        return add_workflows(template, target, _terraform(template, out, dist))
    if target == "serverless-devs":
        return add_workflows(template, target, _serverless_devs(template, out, dist))
    if target == "scf":
        return add_workflows(template, target, _scf(template, out, dist, scf_region))
    raise ValueError(f"unknown target {target!r}; expected one of {', '.join(TARGETS)}")
