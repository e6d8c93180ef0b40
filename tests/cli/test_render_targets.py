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


def _grants(target: str, files: dict[str, str], function: str, template: Template) -> set[str]:
    """The actions and ``role:`` grants the rendered output gives ``function``."""
    if target == "functiongraph-terraform":
        res = json.loads(files["main.tf.json"])["resource"]
        roles = res.get("huaweicloud_identity_role", {})
        agency = res["huaweicloud_identity_agency"][function]
        granted: set[str] = set()
        for entry in agency.get("project_role", []):
            for role in entry["roles"]:
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
                policy_note = next(n for n in rendered.notes if n.startswith(f"{name}: Huawei IAM policies"))
                assert set(policy_note.split(" policies ", 1)[1].split(" have no")[0].split(", ")) == set(
                    fn.policies
                )
            continue
        if fn.policies:
            assert _grants(target, rendered.files, name, template) == set(fn.policies), name


def test_the_inexpressible_triggers_are_the_documented_ones(tmp_path: Path) -> None:
    """Which triggers each target cannot express, by construction of the targets' documented schemas."""
    template = _templates()["every-kind"]
    expected = {
        "functiongraph-terraform": set(),
        "serverless-devs": {"audit", "cloud"},
        "scf": {"audit", "cloud", "every7"},
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
    assert set(agencies) == {
        "opsfn-license-purchase",
        "opsfn-license-release",
        "opsfn-license-reconcile",
        "opsfn-key-rotation",
    }


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
    assert doc["vars"]["projectId"] == ""
