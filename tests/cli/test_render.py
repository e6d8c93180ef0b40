"""``opsfn render``: every target parsed back and checked; cron dialect conversion proved on examples."""

from __future__ import annotations

import json
import textwrap
from pathlib import Path
from typing import Any

import pytest
import yaml
from _cli_helpers import REPO
from click.testing import CliRunner

from devkit.cli import main
from devkit.render import CronError, fg_cron, rate_to_scf_cron, render, scf_cron
from devkit.template import Template, load_template

# Argument names per resource, from terraform-provider-huaweicloud docs/resources/*.md ("Argument
# Reference" sections): fgs_function.md, fgs_trigger.md, fgs_function_trigger.md, identity_role.md,
# identity_agency.md. `delegated_service_name` is not in identity_agency.md any more (removed from the
# docs when "op_svc_*" examples were dropped) but is still an Optional argument of the resource schema
# (huaweicloud/services/iam/resource_huaweicloud_identity_agency.go); FunctionGraph agencies need it.
PROVIDER_ARGUMENTS: dict[str, set[str]] = {
    "huaweicloud_fgs_function": {
        "region",
        "name",
        "memory_size",
        "runtime",
        "timeout",
        "app",
        "code_type",
        "handler",
        "description",
        "functiongraph_version",
        "func_code",
        "code_url",
        "code_filename",
        "depend_list",
        "user_data",
        "encrypted_user_data",
        "agency",
        "app_agency",
        "initializer_handler",
        "initializer_timeout",
        "enterprise_project_id",
        "vpc_id",
        "network_id",
        "max_instance_num",
        "tags",
        "concurrency_num",
    },
    "huaweicloud_fgs_trigger": {
        "region",
        "function_urn",
        "type",
        "status",
        "timer",
        "obs",
        "smn",
        "dis",
        "kafka",
    },
    "huaweicloud_fgs_function_trigger": {
        "region",
        "function_urn",
        "type",
        "event_data",
        "status",
        "cascade_delete_eg_subscription",
    },
    "huaweicloud_identity_role": {"name", "description", "type", "policy"},
    "huaweicloud_identity_agency": {
        "name",
        "delegated_domain_name",
        "delegated_service_name",
        "description",
        "duration",
        "project_role",
        "domain_roles",
        "all_resources_roles",
        "enterprise_project_roles",
    },
}
# Terraform's own meta-arguments, valid on every resource whatever the provider's schema.
TERRAFORM_META_ARGUMENTS = {"count", "for_each", "depends_on", "provider", "lifecycle"}
BLOCK_ARGUMENTS = {
    "timer": {"name", "schedule_type", "schedule", "additional_information"},
    "smn": {"topic_urn"},
    "kafka": {"instance_id", "topic_ids", "batch_size"},
    "project_role": {"project", "roles"},
}
# fgs_trigger.md: "Currently, SMN triggers do not support `status`".
FG_TRIGGER_TYPES = {"TIMER", "OBS", "SMN", "DIS", "KAFKA"}

FULL = textwrap.dedent(
    """\
    Version: opsfn/2026-11
    Globals:
      Environment:
        Variables:
          SHARED: "${not-interpolated}"
    Functions:
      alpha:
        Handler: functions.alpha.handler.handler
        CodeUri: functions/alpha
        Description: all trigger kinds
        MemorySize: 512
        Timeout: 900
        Environment: {Variables: {A: "1"}}
        Events:
          hook: {Type: Webhook, Properties: {Path: /hooks/alpha, Method: PUT}}
          weekdays: {Type: Timer, Properties: {Cron: "15 8 * * 1-5", Input: {mode: full}}}
          monthly: {Type: Timer, Properties: {Cron: "0 3 1 * *"}}
          both: {Type: Timer, Properties: {Cron: "0 3 1 * 1"}}
          every5: {Type: Timer, Properties: {Rate: 5m}}
          every7: {Type: Timer, Properties: {Rate: 7m}}
          queue: {Type: Kafka, Properties: {Instance: k1, Topic: t1, BatchSize: 5000}}
          notify: {Type: Smn, Properties: {Topic: alerts}}
          audit: {Type: Cts, Properties: {Service: APIG, ResourceTypes: [api], Operations: [publishApi]}}
          cloud: {Type: EventGrid, Properties: {Source: HC.CSMS, Types: ["CSMS:CloudTrace:ApiCall"]}}
        Policies: [apig:apis:list, csms:secret:get, iam:users:listUsers, role:te_admin]
      beta:
        Handler: functions.beta.handler.handler
        CodeUri: functions/beta
        Agency: shared-agency
    """
)


@pytest.fixture
def full() -> Template:
    return Template.model_validate(yaml.safe_load(FULL))


# -------------------------------------------------------------------------------------------------- cron


@pytest.mark.parametrize(
    ("cron", "fg", "scf"),
    [
        ("30 2 * * *", "0 30 2 * * ?", "0 30 2 * * * *"),
        ("15 8 * * 1-5", "0 15 8 ? * MON,TUE,WED,THU,FRI", "0 15 8 * * MON,TUE,WED,THU,FRI *"),
        ("0 0 * * 0", "0 0 0 ? * SUN", "0 0 0 * * SUN *"),
        ("0 0 * * 7", "0 0 0 ? * SUN", "0 0 0 * * SUN *"),
        ("0 0 * * 5-7", "0 0 0 ? * SUN,FRI,SAT", "0 0 0 * * SUN,FRI,SAT *"),
        ("*/10 * 1 * *", "0 */10 * 1 * ?", "0 */10 * 1 * * *"),
        ("0 12 * JAN,JUL sat", "0 0 12 ? JAN,JUL SAT", "0 0 12 * JAN,JUL SAT *"),
    ],
)
def test_cron_dialects(cron: str, fg: str, scf: str) -> None:
    """Days are spelled out: Quartz (FunctionGraph) numbers Sunday 1, SCF numbers Sunday 0."""
    assert fg_cron(cron) == fg
    assert scf_cron(cron) == scf


@pytest.mark.parametrize("cron", ["0 3 1 * 1", "* * *", "0 0 * * 9"])
def test_crons_that_cannot_be_converted_raise(cron: str) -> None:
    with pytest.raises(CronError):
        fg_cron(cron)
    with pytest.raises(CronError):
        scf_cron(cron)


@pytest.mark.parametrize(
    ("rate", "cron"),
    [("5m", "0 */5 * * * * *"), ("1m", "0 * * * * * *"), ("2h", "0 0 */2 * * * *"), ("1d", "0 0 0 * * * *")],
)
def test_rate_to_scf(rate: str, cron: str) -> None:
    assert rate_to_scf_cron(rate) == cron


@pytest.mark.parametrize("rate", ["7m", "5h", "2d"])
def test_inexact_rates_are_refused_for_scf(rate: str) -> None:
    with pytest.raises(CronError):
        rate_to_scf_cron(rate)


# --------------------------------------------------------------------------------------------- terraform


def _check_arguments(doc: dict[str, Any]) -> None:
    for kind, resources in doc["resource"].items():
        allowed = PROVIDER_ARGUMENTS[kind]
        for name, body in resources.items():
            unknown = set(body) - allowed - TERRAFORM_META_ARGUMENTS
            assert not unknown, f"{kind}.{name}: {unknown}"
            for block, block_allowed in BLOCK_ARGUMENTS.items():
                for item in body.get(block, []):
                    assert set(item) <= block_allowed, f"{kind}.{name}.{block}: {set(item) - block_allowed}"


def test_terraform_full(full: Template, tmp_path: Path) -> None:
    rendered = render(full, "functiongraph-terraform", tmp_path / "deploy", dist=tmp_path / "dist")
    doc = json.loads(rendered.files["main.tf.json"])
    _check_arguments(doc)
    res = doc["resource"]
    fn = res["huaweicloud_fgs_function"]["alpha"]
    assert fn["handler"] == "index.handler"
    assert fn["runtime"] == "Python3.10"
    assert (fn["memory_size"], fn["timeout"], fn["app"], fn["code_type"]) == (512, 900, "default", "zip")
    assert fn["func_code"] == '${filebase64("${path.module}/../dist/alpha.zip")}'
    assert fn["user_data"] == "${jsonencode(local.env_alpha)}"
    assert doc["locals"]["env_alpha"] == {"SHARED": "$${not-interpolated}", "A": "1"}
    assert fn["agency"] == "${huaweicloud_identity_agency.alpha.name}"
    assert res["huaweicloud_identity_agency"]["beta"]["name"] == "shared-agency"
    # Triggers the dedicated resource supports; SMN without `status`.
    triggers = res["huaweicloud_fgs_trigger"]
    assert {t["type"] for t in triggers.values()} <= FG_TRIGGER_TYPES
    assert triggers["alpha_weekdays"]["timer"] == [
        {
            "name": "alpha_weekdays",
            "schedule_type": "Cron",
            "schedule": "0 15 8 ? * MON,TUE,WED,THU,FRI",
            "additional_information": '{"mode": "full"}',
        }
    ]
    assert triggers["alpha_every5"]["timer"][0]["schedule_type"] == "Rate"
    assert triggers["alpha_every5"]["timer"][0]["schedule"] == "5m"
    assert "status" not in triggers["alpha_notify"]
    assert triggers["alpha_notify"]["smn"] == [
        {"topic_urn": "urn:smn:${var.region}:${var.project_id}:alerts"}
    ]
    assert triggers["alpha_queue"]["kafka"][0]["batch_size"] == 1000
    assert "alpha_both" not in triggers
    # APIG, CTS and EventGrid through the generic resource, with event_data as a JSON string.
    generic = res["huaweicloud_fgs_function_trigger"]
    hook = json.loads(generic["alpha_hook"]["event_data"])
    assert generic["alpha_hook"]["type"] == "DEDICATEDGATEWAY"
    assert (hook["path"], hook["req_method"], hook["auth"]) == ("/hooks/alpha", "PUT", "NONE")
    assert json.loads(generic["alpha_audit"]["event_data"])["operations"] == ["APIG:api:publishApi"]
    assert generic["alpha_cloud"]["cascade_delete_eg_subscription"] is True
    # Least privilege: project actions in an XA role, global (IAM) ones in an AX role, system roles by name.
    roles = res["huaweicloud_identity_role"]
    project_policy = json.loads(roles["alpha"]["policy"])
    assert project_policy == {
        "Version": "1.1",
        "Statement": [{"Effect": "Allow", "Action": ["apig:apis:list", "csms:secret:get"]}],
    }
    assert roles["alpha"]["type"] == "XA"
    assert roles["alpha_global"]["type"] == "AX"
    assert json.loads(roles["alpha_global"]["policy"])["Statement"][0]["Action"] == ["iam:users:listUsers"]
    agency = res["huaweicloud_identity_agency"]["alpha"]
    assert agency["delegated_service_name"] == "op_svc_cff"
    assert agency["project_role"] == [
        {
            "project": "${var.region}",
            "roles": [
                "te_admin",
                "${huaweicloud_identity_role.alpha.name}",
                "${huaweicloud_identity_role.alpha_vpc.name}",  # alpha's Kafka trigger puts it in the VPC
            ],
        }
    ]
    assert agency["domain_roles"] == ["${huaweicloud_identity_role.alpha_global.name}"]
    assert "beta" not in roles and "beta_vpc" in roles  # in the VPC too (var.vpc_id is required)
    # Nothing silently dropped.
    assert any("alpha.both" in note for note in rendered.notes)
    assert "alpha.both" in doc["//"]


def test_terraform_of_the_real_template(tmp_path: Path) -> None:
    template = load_template(REPO / "template.yaml")
    rendered = render(template, "functiongraph-terraform", tmp_path, dist=tmp_path / "dist")
    doc = json.loads(rendered.files["main.tf.json"])
    _check_arguments(doc)
    assert set(doc["resource"]["huaweicloud_fgs_function"]) == set(template.functions)


# ---------------------------------------------------------------------------------------- serverless devs


def test_serverless_devs(full: Template, tmp_path: Path) -> None:
    rendered = render(full, "serverless-devs", tmp_path / "deploy", dist=tmp_path / "dist")
    text = rendered.files["s.yaml"]
    assert "&id" not in text and "*id" not in text
    doc = yaml.safe_load(text)
    assert doc["edition"] == "1.0.0" and doc["access"] == "default" and "region" in doc["vars"]
    services = doc["services"]
    assert all(s["component"] == "fgs" for s in services.values())
    alpha = services["alpha"]["props"]
    fn = alpha["function"]
    assert fn["handler"] == "index.handler" and fn["runtime"] == "Python3.10"
    assert fn["code"] == {"codeUri": "../dist/alpha.zip"}
    assert fn["environmentVariables"] == {"SHARED": "${not-interpolated}", "A": "1"}
    assert set(fn) == {
        "functionName", "handler", "runtime", "memorySize", "timeout", "agencyName", "description",
        "environmentVariables", "code", "funcVpc",
    }  # fmt: skip
    assert fn["funcVpc"] == {"vpcId": "${vars.vpcId}", "subnetId": "${vars.subnetId}"}
    assert alpha["trigger"]["triggerTypeCode"] == "APIG"
    timers = [
        s["props"]["trigger"]
        for s in services.values()
        if s["props"].get("trigger", {}).get("triggerTypeCode") == "TIMER"
    ]
    assert {"name": "alpha_weekdays", "scheduleType": "Cron", "schedule": "0 15 8 ? * MON,TUE,WED,THU,FRI",
            "userEvent": '{"mode": "full"}'} in [t["eventData"] for t in timers]  # fmt: skip
    assert services["beta"]["props"]["function"]["agencyName"] == "shared-agency"
    assert "trigger" not in services["beta"]["props"]
    assert any("alpha.audit" in n for n in rendered.notes) and "# not rendered: alpha.audit" in text


# ---------------------------------------------------------------------------------------------------- scf


def test_scf(full: Template, tmp_path: Path) -> None:
    rendered = render(full, "scf", tmp_path / "deploy", dist=tmp_path / "dist", scf_region="ap-shanghai")
    alpha = yaml.safe_load(rendered.files["alpha/serverless.yml"])
    assert alpha["component"] == "scf" and alpha["name"] == "alpha"
    inputs = alpha["inputs"]
    assert inputs["handler"] == "index.main_handler" and inputs["runtime"] == "Python3.10"
    assert inputs["region"] == "ap-shanghai" and inputs["role"] == "opsfn-alpha"
    assert inputs["src"] == {"src": "../../dist/alpha"}
    assert inputs["environment"]["variables"]["A"] == "1"
    kinds = [next(iter(e)) for e in inputs["events"]]
    assert kinds.count("timer") == 3 and "apigw" in kinds and "ckafka" not in kinds
    crons = {
        e["timer"]["parameters"]["name"]: e["timer"]["parameters"]["cronExpression"]
        for e in inputs["events"]
        if "timer" in e
    }
    assert crons == {
        "alpha_weekdays": "0 15 8 * * MON,TUE,WED,THU,FRI *",
        "alpha_monthly": "0 0 3 1 * * *",
        "alpha_every5": "0 */5 * * * * *",
    }
    assert all(len(c.split()) == 7 for c in crons.values())
    text = rendered.files["alpha/serverless.yml"]
    cmq = next(e["cmq"]["parameters"] for e in inputs["events"] if "cmq" in e)
    assert cmq == {"name": "alerts", "enable": True}
    for dropped in ("alpha.both", "alpha.every7", "alpha.audit", "alpha.cloud", "alpha.queue"):
        assert f"# not rendered: {dropped}" in text


def test_cli_writes_files_and_prints_notes(runner: CliRunner, tmp_path: Path) -> None:
    template = tmp_path / "template.yaml"
    template.write_text(FULL, encoding="utf-8")
    for target, files in (
        ("functiongraph-terraform", ["main.tf.json"]),
        ("serverless-devs", ["s.yaml"]),
        ("scf", ["alpha/serverless.yml", "beta/serverless.yml"]),
    ):
        out = tmp_path / target
        result = runner.invoke(
            main, ["render", "--target", target, "--out", str(out), "--template", str(template)]
        )
        assert result.exit_code == 0, result.output
        for rel in files:
            assert (out / rel).is_file()
        assert "note: not rendered: alpha.both" in result.stderr
