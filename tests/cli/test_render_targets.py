"""``opsfn render``: nothing dropped silently, least privilege in every target.

For the repository's template and for one that uses every trigger kind, each of the three targets is
rendered, parsed back, and checked against the template:

* every declared trigger is either in the output or named in a ``not rendered: <function>.<event>``
  note (per function: rendered + noted == declared), and the notes are also in the written files;
* the IAM grants are exactly the template's ``Policies``: the Terraform roles/agencies and the
  serverless-devs ``agencies.json`` (an agency named in s.yaml must have its grants in a serverless-devs
  artefact) carry precisely those actions and roles, and the SCF output says which Huawei policies have
  no SCF form rather than inventing CAM policies.
"""

from __future__ import annotations

import json
import textwrap
from pathlib import Path
from typing import Any

import pytest
import yaml
from click.testing import CliRunner

from devkit.cli import main
from devkit.render import render
from devkit.render_needs import VPC_ACCESS_ACTIONS, vpc_reasons
from devkit.template import Template, load_template

REPO = Path(__file__).resolve().parents[2]
TARGETS = ("functiongraph-terraform", "serverless-devs", "scf")

EVERY_KIND = textwrap.dedent(
    """\
    Version: opsfn/2026-11
    Functions:
      alpha:
        Handler: functions.alpha.handler.handler
        CodeUri: functions/alpha
        Events:
          hook: {Type: Webhook, Properties: {Path: /hooks/alpha, Method: PUT}}
          nightly: {Type: Timer, Properties: {Cron: "0 1 * * *"}}
          every7: {Type: Timer, Properties: {Rate: 7m}}
          queue: {Type: Kafka, Properties: {Instance: k1, Topic: t1, BatchSize: 10}}
          notify: {Type: Smn, Properties: {Topic: alerts}}
          audit: {Type: Cts, Properties: {Service: APIG, ResourceTypes: [api], Operations: [publishApi]}}
          cloud: {Type: EventGrid, Properties: {Source: HC.CSMS, Types: ["CSMS:CloudTrace:ApiCall"]}}
        Policies: [apig:apis:list, csms:secret:get, iam:users:listUsers, role:te_admin]
      beta:
        Handler: functions.beta.handler.handler
        CodeUri: functions/beta
        Events:
          tick: {Type: Timer, Properties: {Rate: 1h}}
        Policies: [smn:topic:publish]
    """
)


def _templates() -> dict[str, Template]:
    return {
        "repo": load_template(REPO / "template.yaml"),
        "every-kind": Template.model_validate(yaml.safe_load(EVERY_KIND)),
    }


CASES = [(t, target) for t in ("repo", "every-kind") for target in TARGETS]


def _noted(notes: list[str], function: str) -> set[str]:
    prefix = f"not rendered: {function}."
    return {n[len(prefix) :].split(" ", 1)[0] for n in notes if n.startswith(prefix)}


def _rendered_triggers(target: str, files: dict[str, str], function: str) -> int:
    if target == "functiongraph-terraform":
        res = json.loads(files["main.tf.json"])["resource"]
        urn = f"${{huaweicloud_fgs_function.{function}.urn}}"
        return sum(
            1
            for kind in ("huaweicloud_fgs_trigger", "huaweicloud_fgs_function_trigger")
            for body in res.get(kind, {}).values()
            if body["function_urn"] == urn
        )
    if target == "serverless-devs":
        services = yaml.safe_load(files["s.yaml"])["services"]
        return sum(
            1
            for s in services.values()
            if s["props"]["function"]["functionName"] == function and "trigger" in s["props"]
        )
    return len(yaml.safe_load(files[f"{function}/serverless.yml"])["inputs"]["events"])


def _expression_roles(expression: str) -> list[str]:
    """The role references and literal names of a rendered ``concat(...)`` roles expression."""
    import re

    refs = [
        f"${{huaweicloud_identity_role.{m}.name}}"
        for m in re.findall(r"huaweicloud_identity_role\.(\w+)", expression)
    ]
    return refs + re.findall(r'"([^"]+)"', expression)


def _expected_grants(target: str, template: Template, name: str) -> set[str]:
    """The template's policies, plus the VPC access actions when the target puts the function in a VPC
    (Terraform: every function once one needs the VPC, or when var.vpc_id is set; s.yaml: its funcVpc)."""
    fn = template.functions[name]
    # Terraform grants unconditionally, or conditionally on var.vpc_id (the grant follows the placement).
    in_vpc = target == "functiongraph-terraform" or bool(vpc_reasons(fn))
    return set(fn.policies) | (set(VPC_ACCESS_ACTIONS) if in_vpc else set())


def _grants(target: str, files: dict[str, str], function: str, template: Template) -> set[str]:
    """The actions and ``role:`` grants the rendered output gives ``function``."""
    if target == "functiongraph-terraform":
        res = json.loads(files["main.tf.json"])["resource"]
        roles = res.get("huaweicloud_identity_role", {})
        agency = res["huaweicloud_identity_agency"][function]
        granted: set[str] = set()
        for entry in agency.get("project_role", []):
            # A conditional grant is a `concat([...], role[*].name)` expression: read its references.
            listed = entry["roles"] if isinstance(entry["roles"], list) else _expression_roles(entry["roles"])
            for role in listed:
                key = role.removeprefix("${huaweicloud_identity_role.").removesuffix(".name}")
                if key in roles:
                    granted |= set(json.loads(roles[key]["policy"])["Statement"][0]["Action"])
                else:
                    granted.add(f"role:{role}")
        for role in agency.get("domain_roles", []):
            key = role.removeprefix("${huaweicloud_identity_role.").removesuffix(".name}")
            granted |= set(json.loads(roles[key]["policy"])["Statement"][0]["Action"])
        return granted
    agencies = json.loads(files["agencies.json"])
    entry = next(a for a in agencies.values() if function in a["functions"])
    granted = {f"role:{r}" for r in entry["system_roles"]}
    for scope in ("project_policy", "global_policy"):
        if scope in entry:
            statement = entry[scope]["Statement"]
            assert statement[0]["Effect"] == "Allow" and len(statement) == 1
            granted |= set(statement[0]["Action"])
    return granted


@pytest.mark.parametrize(("which", "target"), CASES, ids=[f"{w}-{t}" for w, t in CASES])
def test_every_trigger_is_rendered_or_listed_and_grants_are_exactly_the_policies(
    which: str, target: str, tmp_path: Path
) -> None:
    template = _templates()[which]
    rendered = render(template, target, tmp_path / "out", dist=tmp_path / "dist")
    written = "\n".join(rendered.files.values())
    for note in rendered.notes:
        assert note in written, note  # the notes live in the files, not only on the terminal
    for name, fn in template.functions.items():
        noted = _noted(rendered.notes, name)
        assert noted <= set(fn.events), noted
        count = _rendered_triggers(target, rendered.files, name)
        assert count + len(noted) == len(fn.events), (name, count, noted)
        if target == "scf":
            if fn.policies:
                # Run on SCF, the function needs a Huawei IAM user granted exactly its policies.
                note = next(n for n in rendered.notes if n.startswith(f"{name}: calls Huawei Cloud"))
                granted = note.split(" granted exactly ", 1)[1].split(" (no more)")[0]
                assert set(granted.split(", ")) == set(fn.policies)
            continue
        expected = _expected_grants(target, template, name)
        if expected:
            assert _grants(target, rendered.files, name, template) == expected, name


def test_the_inexpressible_triggers_are_the_documented_ones(tmp_path: Path) -> None:
    """Which triggers each target cannot express, by construction of the targets' documented schemas."""
    template = _templates()["every-kind"]
    expected = {
        "functiongraph-terraform": set(),
        "serverless-devs": {"audit", "cloud"},
        # A DMS Kafka instance is not a CKafka instance: refused, never renamed.
        "scf": {"audit", "cloud", "every7", "queue"},
    }
    for target in TARGETS:
        rendered = render(template, target, tmp_path / target, dist=tmp_path / "dist")
        assert _noted(rendered.notes, "alpha") == expected[target], (target, rendered.notes)


def test_cli_prints_every_note_and_the_agency_file(tmp_path: Path) -> None:
    out = tmp_path / "sdevs"
    result = CliRunner().invoke(
        main,
        [
            "render",
            "--target",
            "serverless-devs",
            "--out",
            str(out),
            "--template",
            str(REPO / "template.yaml"),
        ],
    )
    assert result.exit_code == 0, result.output
    assert f"wrote {out / 'agencies.json'}" in result.stdout
    assert "note: the fgs component does not create agencies" in result.stderr
    agencies: dict[str, Any] = json.loads((out / "agencies.json").read_text(encoding="utf-8"))
    # One agency per function of the template, named after it.
    template = load_template(REPO / "template.yaml")
    assert set(agencies) == {"opsfn-" + name.replace("_", "-") for name in template.functions}
    assert "opsfn-license-purchase" in agencies


def test_serverless_devs_smn_trigger_gets_a_topic_urn(tmp_path: Path) -> None:
    """The SMN trigger takes a topic URN; a bare name (allowed by the template) was passed as the URN."""
    template = _templates()["every-kind"]
    doc = yaml.safe_load(
        render(template, "serverless-devs", tmp_path, dist=tmp_path / "dist").files["s.yaml"]
    )
    smn = [
        s["props"]["trigger"]
        for s in doc["services"].values()
        if s["props"].get("trigger", {}).get("triggerTypeCode") == "SMN"
    ]
    assert smn == [
        {
            "triggerTypeCode": "SMN",
            "status": "ACTIVE",
            "eventData": {"topicUrn": "urn:smn:${vars.region}:${vars.projectId}:alerts"},
        }
    ]
    assert doc["vars"]["projectId"] == "${env(HUAWEICLOUD_SDK_PROJECT_ID)}"
