"""``opsfn render`` produces files that deploy: values from variables, secrets from secret facilities.

Every check parses the rendered output and looks at values, for every function of the repository's
template (whatever functions it holds when this runs) and for small templates written here:

* SMN topic URNs are built from the deployment's region and project variables, never copied with the
  local project id;
* ``OPSFN_WEBHOOK_SECRET`` / ``OPSFN_IDEMPOTENCY_STORE`` never appear as plain values: Terraform puts them
  in ``encrypted_user_data`` from ``sensitive`` variables, SCF reads them from the deploying shell, and
  Serverless Devs (whose fgs component has no encrypted variables) leaves them out and says so;
* a function with a DMS Kafka trigger runs in the VPC/subnet of the variables;
* SCF never names a DMS instance as a CKafka instance, and says what a function needs from Huawei Cloud;
* the gateway waits as long as the function may run;
* a system role granted for lack of a fine-grained permission (``te_admin``) is noted in every output.
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import textwrap
from pathlib import Path
from typing import Any

import pytest
import yaml
from _cli_helpers import REPO

from devkit.render import render
from devkit.render_needs import SECRET_VARIABLES, VPC_ACCESS_ACTIONS
from devkit.template import KafkaEvent, Template, WebhookEvent, load_template

TARGETS = ("functiongraph-terraform", "serverless-devs", "scf")
REPO_TEMPLATE = load_template(REPO / "template.yaml")
REPO_FUNCTIONS = sorted(REPO_TEMPLATE.functions)
PLAIN_SECRET = "whsec_cGxhaW4tdGV4dC1zZWNyZXQtaW4tdGhlLXRlbXBsYXRl"
SMALL = textwrap.dedent(
    f"""\
    Version: opsfn/2026-11
    Globals:
      Environment:
        Variables:
          OPSFN_IDEMPOTENCY_STORE: redis://:hunter2@dcs.internal:6379/0
    Functions:
      hooked:
        Handler: functions.hooked.handler.handler
        CodeUri: functions/hooked
        Timeout: 900
        Environment:
          Variables:
            OPSFN_WEBHOOK_SECRET: {PLAIN_SECRET}
            OPSFN_SMN_TOPIC_URN: urn:smn:cn-north-4:0000000000000000:alerts
        Events:
          hook: {{Type: Webhook, Properties: {{Path: /hooks/h}}}}
          queue: {{Type: Kafka, Properties: {{Instance: dms-1, Topic: t1}}}}
          notify: {{Type: Smn, Properties: {{Topic: "urn:smn:cn-north-4:0000000000000000:inbox"}}}}
        Policies: [role:te_admin, smn:topic:publish]
      quiet:
        Handler: functions.quiet.handler.handler
        CodeUri: functions/quiet
        Timeout: 20
        Events:
          hook: {{Type: Webhook, Properties: {{Path: /hooks/q, Verification: none}}}}
    """
)


def _small() -> Template:
    return Template.model_validate(yaml.safe_load(SMALL))


def _render(template: Template, target: str, tmp_path: Path) -> tuple[dict[str, str], list[str]]:
    rendered = render(template, target, tmp_path / "deploy" / target, dist=tmp_path / "dist")
    return rendered.files, rendered.notes


def _envs(target: str, files: dict[str, str]) -> dict[str, dict[str, str]]:
    """The plain environment each target gives each function."""
    if target == "functiongraph-terraform":
        doc = json.loads(files["main.tf.json"])
        return {k[4:]: v for k, v in doc["locals"].items() if k.startswith("env_")}
    if target == "serverless-devs":
        services = yaml.safe_load(files["s.yaml"])["services"]
        return {
            s["props"]["function"]["functionName"]: s["props"]["function"]["environmentVariables"]
            for s in services.values()
        }
    return {
        path.split("/")[0]: yaml.safe_load(text)["inputs"]["environment"]["variables"]
        for path, text in files.items()
        if path.endswith("serverless.yml")
    }


URN_REFS = {
    "functiongraph-terraform": ("${var.region}", "${var.project_id}"),
    "serverless-devs": ("${vars.region}", "${vars.projectId}"),
    "scf": ("${env.HUAWEICLOUD_SDK_REGION}", "${env.HUAWEICLOUD_SDK_PROJECT_ID}"),
}


# ------------------------------------------------------------------------------------------ SMN URNs


@pytest.mark.parametrize("target", TARGETS)
@pytest.mark.parametrize("function", REPO_FUNCTIONS)
def test_topic_urns_are_built_from_variables(target: str, function: str, tmp_path: Path) -> None:
    files, _ = _render(REPO_TEMPLATE, target, tmp_path)
    env = _envs(target, files)[function]
    region, project = URN_REFS[target]
    for key, declared in REPO_TEMPLATE.environment(REPO_TEMPLATE.functions[function]).items():
        if declared.startswith("urn:smn:"):
            assert env[key] == f"urn:smn:{region}:{project}:{declared.rsplit(':', 1)[1]}", key


def test_small_template_urns_in_triggers_and_variables(tmp_path: Path) -> None:
    for target in TARGETS:
        files, _ = _render(_small(), target, tmp_path)
        assert "0000000000000000" not in "".join(files.values()), target
    doc = json.loads(_render(_small(), "functiongraph-terraform", tmp_path)[0]["main.tf.json"])
    smn = doc["resource"]["huaweicloud_fgs_trigger"]["hooked_notify"]["smn"][0]["topic_urn"]
    assert smn == "urn:smn:${var.region}:${var.project_id}:inbox"
    # The project id is then a required input (no default), not an empty string baked in.
    assert "default" not in doc["variable"]["project_id"]


# --------------------------------------------------------------------------------------------- secrets


@pytest.mark.parametrize("target", TARGETS)
def test_secrets_never_appear_as_plain_values(target: str, tmp_path: Path) -> None:
    files, notes = _render(_small(), target, tmp_path)
    written = "".join(files.values())
    assert PLAIN_SECRET not in written and "hunter2" not in written
    for function, env in _envs(target, files).items():
        for key in SECRET_VARIABLES:
            if target == "scf" and key in env:
                assert env[key] == f"${{env.{key}}}", (function, key)  # from the deploying shell
            else:
                assert key not in env, (function, key)
    if target == "serverless-devs":
        assert any("cannot set encrypted variables" in n for n in notes)


@pytest.mark.parametrize("function", REPO_FUNCTIONS)
def test_terraform_secrets_are_encrypted_variables(function: str, tmp_path: Path) -> None:
    doc = json.loads(_render(REPO_TEMPLATE, "functiongraph-terraform", tmp_path)[0]["main.tf.json"])
    fn = doc["resource"]["huaweicloud_fgs_function"][function]
    assert fn["encrypted_user_data"] == f"${{jsonencode(local.secrets_{function})}}"
    secrets = doc["locals"][f"secrets_{function}"]
    spec = REPO_TEMPLATE.functions[function]
    verifies = any(
        isinstance(e, WebhookEvent) and e.properties.verification != "none" for e in spec.events.values()
    )
    assert ("OPSFN_WEBHOOK_SECRET" in secrets) == verifies
    assert "OPSFN_IDEMPOTENCY_STORE" in secrets
    for key, ref in secrets.items():
        assert ref == f"${{var.{key.lower()}}}"
        variable = doc["variable"][key.lower()]
        assert variable["sensitive"] is True and "default" not in variable


def test_a_function_without_signature_gets_no_webhook_secret(tmp_path: Path) -> None:
    doc = json.loads(_render(_small(), "functiongraph-terraform", tmp_path)[0]["main.tf.json"])
    assert doc["locals"]["secrets_quiet"] == {"OPSFN_IDEMPOTENCY_STORE": "${var.opsfn_idempotency_store}"}
    scf = yaml.safe_load(_render(_small(), "scf", tmp_path)[0]["quiet/serverless.yml"])
    assert "OPSFN_WEBHOOK_SECRET" not in scf["inputs"]["environment"]["variables"]


# ------------------------------------------------------------------------------------------------- VPC


@pytest.mark.parametrize("function", REPO_FUNCTIONS)
def test_kafka_functions_run_in_the_vpc_of_the_variables(function: str, tmp_path: Path) -> None:
    spec = REPO_TEMPLATE.functions[function]
    kafka = any(isinstance(e, KafkaEvent) for e in spec.events.values())
    files, _ = _render(REPO_TEMPLATE, "functiongraph-terraform", tmp_path)
    doc = json.loads(files["main.tf.json"])
    fn = doc["resource"]["huaweicloud_fgs_function"][function]
    if kafka:
        assert (fn["vpc_id"], fn["network_id"]) == ("${var.vpc_id}", "${var.subnet_id}")
        assert "default" not in doc["variable"]["vpc_id"]  # required input
    else:  # in the VPC only when one is given (a DCS Redis store)
        assert fn["vpc_id"] == '${var.vpc_id != "" ? var.vpc_id : null}'
    sdevs = yaml.safe_load(_render(REPO_TEMPLATE, "serverless-devs", tmp_path)[0]["s.yaml"])
    functions = [s["props"]["function"] for s in sdevs["services"].values()]
    vpcs = [f.get("funcVpc") for f in functions if f["functionName"] == function]
    expected = {"vpcId": "${vars.vpcId}", "subnetId": "${vars.subnetId}"} if kafka else None
    assert vpcs and all(v == expected for v in vpcs)
    if kafka:
        assert sdevs["vars"]["vpcId"] == "${env(OPSFN_VPC_ID)}"


def test_no_kafka_no_required_vpc(tmp_path: Path) -> None:
    template = _small().model_copy(update={"functions": {"quiet": _small().functions["quiet"]}}, deep=True)
    doc = json.loads(_render(template, "functiongraph-terraform", tmp_path)[0]["main.tf.json"])
    assert doc["variable"]["vpc_id"]["default"] == ""
    assert "vpcId" not in yaml.safe_load(_render(template, "serverless-devs", tmp_path)[0]["s.yaml"])["vars"]


def _policy_actions(role: dict[str, Any]) -> list[str]:
    statement = json.loads(role["policy"])["Statement"]
    assert len(statement) == 1 and statement[0]["Effect"] == "Allow"
    return list(statement[0]["Action"])


@pytest.mark.parametrize("function", REPO_FUNCTIONS)
def test_functions_in_a_vpc_get_exactly_the_vpc_access_actions(function: str, tmp_path: Path) -> None:
    """FunctionGraph attaches a function to its subnet with the agency's rights (functiongraph_01_0222,
    Table 1): the rendered agency holds exactly those actions, in a role of their own, when it is in a VPC."""
    from test_render import _check_arguments

    vpc = sorted(VPC_ACCESS_ACTIONS)
    assert vpc == ["vpc:ports:create", "vpc:ports:delete", "vpc:ports:get", "vpc:subnets:get", "vpc:vpcs:get"]
    doc = json.loads(_render(REPO_TEMPLATE, "functiongraph-terraform", tmp_path)[0]["main.tf.json"])
    _check_arguments(doc)
    roles = doc["resource"]["huaweicloud_identity_role"]
    # The repository's template has Kafka functions, so the VPC is required and every function sits in it.
    assert _policy_actions(roles[f"{function}_vpc"]) == vpc and "count" not in roles[f"{function}_vpc"]
    (grant,) = doc["resource"]["huaweicloud_identity_agency"][function]["project_role"]
    assert f"${{huaweicloud_identity_role.{function}_vpc.name}}" in grant["roles"]
    # Serverless Devs puts only the Kafka functions in the VPC (funcVpc): only their agencies get the actions.
    agencies = json.loads(_render(REPO_TEMPLATE, "serverless-devs", tmp_path)[0]["agencies.json"])
    kafka = any(isinstance(e, KafkaEvent) for e in REPO_TEMPLATE.functions[function].events.values())
    held = {
        action
        for entry in agencies.values()
        if function in entry["functions"]
        for action in entry.get("project_policy", {"Statement": [{"Action": []}]})["Statement"][0]["Action"]
    }
    assert (set(vpc) <= held) is kafka


def test_optional_vpc_grants_follow_var_vpc_id(tmp_path: Path) -> None:
    """Without a Kafka function the VPC is optional (a DCS store): the VPC role exists, and is granted,
    only when var.vpc_id is set - nothing beyond the template's policies otherwise."""
    from test_render import _check_arguments

    template = _small().model_copy(update={"functions": {"quiet": _small().functions["quiet"]}}, deep=True)
    doc = json.loads(_render(template, "functiongraph-terraform", tmp_path)[0]["main.tf.json"])
    _check_arguments(doc)
    role = doc["resource"]["huaweicloud_identity_role"]["quiet_vpc"]
    assert role["count"] == '${var.vpc_id != "" ? 1 : 0}'
    assert _policy_actions(role) == sorted(VPC_ACCESS_ACTIONS)
    (grant,) = doc["resource"]["huaweicloud_identity_agency"]["quiet"]["project_role"]
    assert grant["roles"] == "${concat([], huaweicloud_identity_role.quiet_vpc[*].name)}"
    assert "agencies.json" not in _render(template, "serverless-devs", tmp_path)[0]  # no grant, no VPC


def test_validate_still_accepts_the_template() -> None:
    from click.testing import CliRunner

    from devkit.cli import main

    result = CliRunner().invoke(main, ["validate", "--template", str(REPO / "template.yaml")])
    assert result.exit_code == 0, result.output


# ------------------------------------------------------------------------------------------------- SCF


@pytest.mark.parametrize("function", REPO_FUNCTIONS)
def test_scf_says_what_each_function_needs_from_huawei(function: str, tmp_path: Path) -> None:
    files, notes = _render(REPO_TEMPLATE, "scf", tmp_path)
    spec = REPO_TEMPLATE.functions[function]
    inputs = yaml.safe_load(files[f"{function}/serverless.yml"])["inputs"]
    assert not any("ckafka" in e for e in inputs["events"])
    for event_name, event in spec.events.items():
        if isinstance(event, KafkaEvent):
            assert any(n.startswith(f"not rendered: {function}.{event_name} (Kafka)") for n in notes)
    needs = [n for n in notes if n.startswith(f"{function}: calls Huawei Cloud")]
    env = inputs["environment"]["variables"]
    if spec.policies:
        assert len(needs) == 1 and needs[0] in files[f"{function}/serverless.yml"]
        for key in ("HUAWEICLOUD_SDK_AK", "HUAWEICLOUD_SDK_SK", "HUAWEICLOUD_SDK_PROJECT_ID"):
            assert env[key] == f"${{env.{key}}}"
    else:
        assert not needs and "HUAWEICLOUD_SDK_AK" not in env


# ---------------------------------------------------------------------------------------- APIG timeout


def _webhook_timeouts(target: str, files: dict[str, str]) -> dict[str, int]:
    if target == "functiongraph-terraform":
        res = json.loads(files["main.tf.json"])["resource"]["huaweicloud_fgs_function_trigger"]
        # The function is the one the trigger's URN reference names (event names may hold "_" too).
        return {
            t["function_urn"].split(".")[1]: json.loads(t["event_data"])["func_info"]["timeout"]
            for t in res.values()
            if t["type"] == "DEDICATEDGATEWAY"
        }
    if target == "serverless-devs":
        services = yaml.safe_load(files["s.yaml"])["services"].values()
        return {
            s["props"]["function"]["functionName"]: s["props"]["trigger"]["eventData"]["timeout"]
            for s in services
            if s["props"].get("trigger", {}).get("triggerTypeCode") == "APIG"
        }
    found = {}
    for path, text in files.items():
        if not path.endswith("serverless.yml"):  # workflows/ holds the flow definitions beside them
            continue
        for event in yaml.safe_load(text)["inputs"]["events"]:
            if "apigw" in event:
                found[path.split("/")[0]] = event["apigw"]["parameters"]["endpoints"][0]["serviceTimeout"]
    return found


@pytest.mark.parametrize("target", TARGETS)
def test_gateway_waits_as_long_as_the_function(target: str, tmp_path: Path) -> None:
    for template in (REPO_TEMPLATE, _small()):
        files, notes = _render(template, target, tmp_path)
        timeouts = _webhook_timeouts(target, files)
        hooked = {name for name, _, _ in template.webhook_routes()}
        assert set(timeouts) == hooked
        for name, value in timeouts.items():
            seconds = template.timeout(template.functions[name])
            if target == "scf":
                assert value == min(seconds, 1800)
            else:
                assert value == min(seconds * 1000, 600_000)
                if seconds * 1000 > 60_000:
                    assert any(n.startswith(f"{name}.") and "backend_timeout" in n for n in notes)


# ------------------------------------------------------------------------------------ te_admin note


@pytest.mark.parametrize("target", TARGETS)
def test_broad_roles_are_noted_in_every_output(target: str, tmp_path: Path) -> None:
    files, notes = _render(REPO_TEMPLATE, target, tmp_path)
    written = "".join(files.values())
    for name, fn in REPO_TEMPLATE.functions.items():
        noted = [n for n in notes if n.startswith(f"{name}:") and "te_admin" in n]
        if "role:te_admin" in fn.policies and target != "scf":
            assert noted and all(n in written for n in noted)
        if "role:te_admin" not in fn.policies:
            assert not noted


# --------------------------------------------------------------------------------- terraform validate


def _offline_provider_dir() -> Path | None:
    """A local provider folder holding huaweicloud: ``OPSFN_TF_PLUGIN_DIR``, else ~/.terraform.d/plugins."""
    import os

    for base in (os.environ.get("OPSFN_TF_PLUGIN_DIR"), str(Path.home() / ".terraform.d" / "plugins")):
        if base and (Path(base) / "registry.terraform.io" / "huaweicloud" / "huaweicloud").is_dir():
            return Path(base)
    return None


def test_terraform_validate_when_available_offline(tmp_path: Path) -> None:
    """Runs only where a ``terraform`` binary and the huaweicloud provider are installed locally
    (``-plugin-dir``: no download is ever tried); elsewhere the argument-name check of ``test_render.py``
    against the provider's documented schema stands in for it."""
    terraform, plugins = shutil.which("terraform"), _offline_provider_dir()
    if terraform is None or plugins is None:
        pytest.skip("no terraform binary with an offline huaweicloud provider: documented-schema check only")
    out = tmp_path / "deploy"
    out.mkdir()
    rendered = render(REPO_TEMPLATE, "functiongraph-terraform", out, dist=tmp_path / "dist")
    (out / "main.tf.json").write_text(rendered.files["main.tf.json"], encoding="utf-8")
    init = subprocess.run(
        [terraform, "init", "-backend=false", "-input=false", f"-plugin-dir={plugins}"],
        cwd=out,
        capture_output=True,
        text=True,
    )
    assert init.returncode == 0, init.stderr[-2000:]
    result = subprocess.run([terraform, "validate", "-json"], cwd=out, capture_output=True, text=True)
    report: Any = json.loads(result.stdout)
    assert report["valid"], report["diagnostics"]


def test_terraform_references_only_declared_variables(tmp_path: Path) -> None:
    """Without terraform: every ``var.X`` the file uses is declared, and every declared one is used."""
    text = _render(_small(), "functiongraph-terraform", tmp_path)[0]["main.tf.json"]
    doc = json.loads(text)
    used = set(re.findall(r"var\.([a-z_]+)", text))
    assert used == set(doc["variable"])
