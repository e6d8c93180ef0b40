"""``opsfn render`` of workflows: FunctionGraph flows checked by the official SDK, ASW ones by structure.

FunctionGraph: the rendered ``body`` is deserialised by ``huaweicloudsdkfunctiongraph``'s own machinery
into ``WorkflowCreateBody`` (the body of ``CreateWorkflowRequest``) and serialised back; it must come back
unchanged (an unknown or mistyped field would be dropped or coerced), with the fields the API reference
marks required and the enum values of the SDK's Go models (the Python models carry no enums).

ASW: TCSL's documented structure (Task/Map pages of the ASW docs): ``StartAt`` names a state, every
``Next`` (and ``Catch`` target) exists, every state is reachable, exactly one state ends the machine, a
``Map`` has ``ItemsPath`` and an ``Iterator`` that is itself a valid machine, a ``Task`` invokes SCF as
``qrn:qcs:asw:{region}:{appid}:sdk:json:qcloud:scf:Invoke/{function}``.
"""

from __future__ import annotations

import importlib
import json
import re
import textwrap
import warnings
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from devkit.cli import main
from devkit.render import render
from devkit.template import Template, load_template

REPO = Path(__file__).resolve().parents[2]

# rotation_sweep as the contract describes it, on stand-in function names (render reads no handler).
SWEEP = textwrap.dedent(
    """\
    Version: opsfn/2026-11
    Functions:
      secret_tag_watch: {Handler: fns.watch.handler, CodeUri: fns}
      key_rotation: {Handler: fns.rotate.handler, CodeUri: fns}
      rotation_report: {Handler: fns.report.handler, CodeUri: fns}
      pager: {Handler: fns.pager.handler, CodeUri: fns}
    Workflows:
      rotation_sweep:
        Description: Rotate every due secret, at most four at once, then report once.
        Steps:
          - {Name: find, Function: secret_tag_watch}
          - Name: rotate
            Function: key_rotation
            ForEach: jobs
            MaxConcurrency: 4
            Retry: {MaxAttempts: 2, IntervalSeconds: 10}
            OnError: report
          - {Name: report, Function: rotation_report}
      guarded:
        Steps:
          - {Name: try, Function: key_rotation, Retry: {MaxAttempts: 3}, OnError: alert, Next: done}
          - {Name: alert, Function: pager}
          - {Name: done, Function: rotation_report}
    """
)


def _templates(tmp_path: Path) -> dict[str, Template]:
    sweep = tmp_path / "sweep.yaml"
    sweep.write_text(SWEEP, encoding="utf-8")
    return {"repo": load_template(REPO / "template.yaml"), "sweep": load_template(sweep)}


def _flows(template: Template, target: str, tmp_path: Path) -> tuple[dict[str, str], list[str]]:
    rendered = render(template, target, tmp_path / "out", dist=tmp_path / "dist")
    files = {k: v for k, v in rendered.files.items() if k.startswith("workflows/")}
    return files, rendered.notes


# ------------------------------------------------------------------------------- FunctionGraph oracle

# Enum values of the SDK's Go models (OperationStateType, OperationStateActionMode, FunctionRefInvokeMode,
# WorkflowCreateBodyMode): the Python SDK declares these fields as plain strings.
_FG_ENUMS = {
    "type": {"Operation", "Sleep", "End"},
    "action_mode": {"sequential", "parallel"},
    "invoke_mode": {"synchronize"},
    "mode": {"NORMAL", "EXPRESS"},
}
# Required by the CreateWorkflow API reference (table "request body parameters").
_FG_REQUIRED = ("name", "start", "functions", "states", "constants", "retries")


def _sdk_round_trip(body: dict[str, Any]) -> Any:
    """``body`` through the SDK's deserialiser into ``WorkflowCreateBody`` and back to JSON."""
    from huaweicloudsdkcore.client import Client
    from huaweicloudsdkcore.utils.http_utils import sanitize_for_serialization
    from huaweicloudsdkfunctiongraph.v2 import CreateWorkflowRequest, WorkflowCreateBody

    client = Client()
    client.model_package = importlib.import_module("huaweicloudsdkfunctiongraph.v2.model")
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # the SDK warns on values it cannot convert
        model = client._deserialize(json.loads(json.dumps(body)), "WorkflowCreateBody")
    assert isinstance(model, WorkflowCreateBody)
    request = CreateWorkflowRequest(body=model)
    return sanitize_for_serialization(request.body)


def _check_fg_graph(body: dict[str, Any]) -> None:
    states = {s["id"]: s for s in body["states"]}
    functions = {f["name"] for f in body["functions"]}
    retries = {r["name"] for r in body["retries"]}
    assert len(states) == len(body["states"]) and body["start"] in states
    assert 1 <= len(body["states"]) <= 100 and 1 <= len(body["name"]) <= 64
    assert body.get("mode", "NORMAL") in _FG_ENUMS["mode"]
    for state in body["states"]:
        assert state["type"] in _FG_ENUMS["type"] and state["action_mode"] in _FG_ENUMS["action_mode"]
        for action in state["actions"]:
            assert action["function_ref"]["ref_name"] in functions
            assert action["function_ref"]["invoke_mode"] in _FG_ENUMS["invoke_mode"]
        assert state["end"] == ("transition" not in state)
        if not state["end"]:
            assert state["transition"] in states
        for on_error in state.get("on_errors", []):
            assert on_error["error"] and {"transition", "retry_ref"} & set(on_error)
            assert on_error.get("transition") in {*states, None}
            assert on_error.get("retry_ref") in retries | {None}
    assert [s["id"] for s in body["states"] if s["end"]] == [body["states"][-1]["id"]]
    seen, todo = set(), [body["start"]]
    while todo:
        sid = todo.pop()
        if sid not in seen:
            seen.add(sid)
            state = states[sid]
            todo += [state.get("transition")] + [e.get("transition") for e in state.get("on_errors", [])]
            todo = [t for t in todo if t]
    assert seen == set(states), f"unreachable: {set(states) - seen}"


@pytest.mark.parametrize("target", ["functiongraph-terraform", "serverless-devs"])
def test_every_workflow_renders_a_functiongraph_flow_the_sdk_accepts(target: str, tmp_path: Path) -> None:
    for template in _templates(tmp_path).values():
        files, _ = _flows(template, target, tmp_path)
        for name in template.workflows:
            doc = json.loads(files[f"workflows/{name}.functiongraph.json"])
            assert doc["path"] == {"project_id": "${HUAWEICLOUD_SDK_PROJECT_ID}"}
            body = doc["body"]
            assert all(key in body for key in _FG_REQUIRED)
            assert _sdk_round_trip(body) == body  # nothing unknown, nothing mistyped
            _check_fg_graph(body)


def test_the_sdk_oracle_refuses_what_the_model_does_not_have(tmp_path: Path) -> None:
    files, _ = _flows(_templates(tmp_path)["sweep"], "functiongraph-terraform", tmp_path)
    body = json.loads(files["workflows/rotation_sweep.functiongraph.json"])["body"]
    invented = {**body, "states": [{**body["states"][0], "foreach": {"path": "$.jobs"}}, *body["states"][1:]]}
    assert _sdk_round_trip(invented) != invented
    mistyped = {**body, "retries": [{**body["retries"][0], "max_attempts": "two"}]}
    with pytest.raises(ValueError):
        _sdk_round_trip(mistyped)


def test_the_functiongraph_flow_carries_retry_error_branch_and_a_loop_note(tmp_path: Path) -> None:
    files, notes = _flows(_templates(tmp_path)["sweep"], "functiongraph-terraform", tmp_path)
    body = json.loads(files["workflows/rotation_sweep.functiongraph.json"])["body"]
    assert body["retries"] == [{"name": "rotate-retry", "delay": 10, "max_attempts": 2}]
    rotate = body["states"][1]
    assert rotate["on_errors"] == [{"error": "*", "retry_ref": "rotate-retry", "transition": "report"}]
    assert body["functions"][1]["operation"] == (
        "urn:fss:${HUAWEICLOUD_SDK_REGION}:${HUAWEICLOUD_SDK_PROJECT_ID}:function:default:key_rotation:latest"
    )
    loop_note = [n for n in notes if "rotation_sweep: step rotate" in n]
    assert len(loop_note) == 1 and "Array Path $.jobs, Parallel Iterations 4" in loop_note[0]
    assert loop_note[0] in files["workflows/README.md"]
    guarded = json.loads(files["workflows/guarded.functiongraph.json"])["body"]
    assert [s.get("transition") for s in guarded["states"]] == ["done", "done", None]
    assert guarded["states"][0]["on_errors"] == [
        {"error": "*", "retry_ref": "try-retry", "transition": "alert"}
    ]


# ----------------------------------------------------------------------------------------- ASW oracle

_SCF_RESOURCE = re.compile(
    r"^qrn:qcs:asw:[^:]+:[^:]+:sdk:json:qcloud:scf:Invoke/[A-Za-z0-9_-]+(/[^/]+){0,2}$"
)


def asw_problems(machine: dict[str, Any], where: str = "") -> list[str]:
    """Every departure of ``machine`` from TCSL's documented structure (empty when it conforms)."""
    states: dict[str, Any] = machine.get("States") or {}
    problems = (
        [] if machine.get("StartAt") in states else [f"{where}StartAt {machine.get('StartAt')!r} is no state"]
    )
    ends = [name for name, s in states.items() if s.get("End") is True]
    if len(ends) != 1:
        problems.append(f"{where}{len(ends)} terminal states: {ends}")
    for name, state in states.items():
        targets = [state.get("Next")] + [c.get("Next") for c in state.get("Catch", [])]
        problems += [f"{where}{name}: Next {t!r} is no state" for t in targets if t and t not in states]
        if ("Next" in state) == (state.get("End") is True):
            problems.append(f"{where}{name}: needs exactly one of Next and End")
        for retry in state.get("Retry", []):
            if not (retry.get("ErrorEquals") and isinstance(retry.get("MaxAttempts"), int)):
                problems.append(f"{where}{name}: a Retry needs ErrorEquals and MaxAttempts")
        if state.get("Type") == "Task" and not _SCF_RESOURCE.match(state.get("Resource", "")):
            problems.append(f"{where}{name}: Resource {state.get('Resource')!r} is not an SCF Invoke")
        elif state.get("Type") == "Map":
            if not (isinstance(state.get("ItemsPath"), str) and state["ItemsPath"].startswith("$")):
                problems.append(f"{where}{name}: a Map needs an ItemsPath")
            if not isinstance(state.get("MaxConcurrency", 1), int) or state.get("MaxConcurrency", 1) < 0:
                problems.append(f"{where}{name}: MaxConcurrency must be a non-negative integer")
            problems += asw_problems(state.get("Iterator") or {}, f"{where}{name}.Iterator.")
        elif state.get("Type") not in ("Task", "Map"):
            problems.append(f"{where}{name}: unexpected Type {state.get('Type')!r}")
    seen, todo = set(), [machine.get("StartAt")]
    while todo:
        name = todo.pop()
        if name in states and name not in seen:
            seen.add(name)
            todo += [states[name].get("Next")] + [c.get("Next") for c in states[name].get("Catch", [])]
    problems += [f"{where}{name}: unreachable" for name in states if name not in seen]
    return problems


def test_every_workflow_renders_an_asw_definition_of_the_documented_structure(tmp_path: Path) -> None:
    for template in _templates(tmp_path).values():
        files, _ = _flows(template, "scf", tmp_path)
        assert set(files) == {"workflows/README.md", *(f"workflows/{n}.asw.json" for n in template.workflows)}
        for name in template.workflows:
            definition = json.loads(files[f"workflows/{name}.asw.json"])
            assert asw_problems(definition) == [], name


def test_the_asw_oracle_finds_broken_definitions(tmp_path: Path) -> None:
    # The ASW Task page's own example names StartAt "sum" for its only state "Sum": an erratum the
    # checker must catch (StartAt must name a state; state names are case-sensitive keys).
    doc_example = {
        "StartAt": "sum",
        "States": {
            "Sum": {
                "Type": "Task",
                "Resource": "qrn:qcs:asw:ap-guangzhou:123456789:sdk:json:qcloud:scf:Invoke/sum",
                "End": True,
            }
        },
    }
    assert asw_problems(doc_example) == ["StartAt 'sum' is no state", "Sum: unreachable"]
    files, _ = _flows(_templates(tmp_path)["sweep"], "scf", tmp_path)
    sweep = json.loads(files["workflows/rotation_sweep.asw.json"])
    broken = json.loads(json.dumps(sweep))
    del broken["States"]["report"]
    assert "rotate: Next 'report' is no state" in asw_problems(broken)
    no_items = json.loads(json.dumps(sweep))
    del no_items["States"]["rotate"]["ItemsPath"]
    assert asw_problems(no_items) == ["rotate: a Map needs an ItemsPath"]


def test_the_asw_definition_maps_fan_out_retry_and_catch(tmp_path: Path) -> None:
    files, _ = _flows(_templates(tmp_path)["sweep"], "scf", tmp_path)
    sweep = json.loads(files["workflows/rotation_sweep.asw.json"])
    rotate = sweep["States"]["rotate"]
    assert (rotate["Type"], rotate["ItemsPath"], rotate["MaxConcurrency"]) == ("Map", "$.jobs", 4)
    item = rotate["Iterator"]["States"]["rotate-item"]  # Retry per item, as the local runner retries
    assert item["Resource"].endswith(":sdk:json:qcloud:scf:Invoke/key-rotation")
    assert item["Retry"] == [
        {"ErrorEquals": ["States.ALL"], "IntervalSeconds": 10, "MaxAttempts": 2, "BackoffRate": 1.0}
    ]
    assert rotate["Catch"] == [{"ErrorEquals": ["States.ALL"], "Next": "report", "ResultPath": "$.error"}]
    assert sweep["StartAt"] == "find" and sweep["States"]["report"]["End"] is True


# ------------------------------------------------------------------------------------- files and docs


def test_render_writes_workflows_and_the_create_commands_under_deploy(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    runner = CliRunner()
    for target, command in (
        ("functiongraph-terraform", "hcloud FunctionGraph CreateWorkflow"),
        ("scf", "tccli asw CreateFlowService"),
    ):
        result = runner.invoke(
            main, ["render", "--target", target, "--template", str(REPO / "template.yaml")]
        )
        assert result.exit_code == 0, result.output
        folder = tmp_path / "deploy" / target / "workflows"
        readme = (folder / "README.md").read_text(encoding="utf-8")
        assert command in readme and "Terraform provider has a resource" in readme
        assert {p.name for p in folder.iterdir()} - {"README.md"}, "one flow file per workflow"
    main_tf = json.loads((tmp_path / "deploy" / "functiongraph-terraform" / "main.tf.json").read_text())
    assert not [kind for kind in main_tf["resource"] if "flow" in kind]  # no invented Terraform resource
