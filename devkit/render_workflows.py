"""``opsfn render``: every template workflow as a flow each cloud can create.

* Huawei (``functiongraph-terraform``, ``serverless-devs``): a FunctionGraph function flow, the request
  body of ``POST /v2/{project_id}/fgs/workflows`` (CreateWorkflow, SDK model ``WorkflowCreateBody``),
  wrapped as a KooCLI ``--cli-jsonInput`` file (``{"path": ..., "body": ...}``).
* Tencent (``scf``): an ASW state machine definition in TCSL (ASL-like: ``StartAt``, ``States`` with
  ``Task``/``Map``, ``Retry``, ``Catch``) for ``CreateFlowService``.

Neither cloud's Terraform provider has a resource for these flows, so the output is files plus a README
with the commands that create them, not Terraform. Account-specific parts (region, project id, AppId)
stay ``${VARIABLE}`` placeholders the README fills with ``envsubst``.

The mapping, step by step: a step is a FunctionGraph ``Operation`` state / an ASW ``Task`` (a ``Map`` whose
``Iterator`` holds the ``Task`` for a ``ForEach`` step, so ``Retry`` applies per item as it does locally);
``Next`` (or the following step) is ``transition`` / ``Next``; the last step is the one ``end`` / ``End``;
``Retry`` is a ``retries`` policy referenced from ``on_errors`` / an ASW ``Retry`` on every error;
``OnError`` is an ``on_errors`` transition / a ``Catch``. CreateWorkflow's documented body has no loop
fields (the console's Loop processor has them), so a ``ForEach`` step is listed in a note with the loop
settings to make in the console, never dropped silently.
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

from devkit.template import Template, WorkflowSpec, WorkflowStep

if TYPE_CHECKING:
    from devkit.render import Rendered

__all__ = ["add_workflows", "asw_definition", "functiongraph_flow"]

HUAWEI_TARGETS = ("functiongraph-terraform", "serverless-devs")
# Every error: FunctionGraph's flow schema follows the Serverless Workflow spec ("*"), ASW follows ASL.
_FG_ANY_ERROR = "*"
_ASW_ANY_ERROR = "States.ALL"


def _fg_urn(function: str) -> str:
    """The URN ``opsfn render`` deploys the function under (app ``default``, version ``latest``)."""
    where = "${HUAWEICLOUD_SDK_REGION}:${HUAWEICLOUD_SDK_PROJECT_ID}"
    return f"urn:fss:{where}:function:default:{function}:latest"


def _scf_resource(function: str) -> str:
    """TCSL's SCF invocation: ``Invoke/<function>`` (default namespace and version may be left out)."""
    scf_name = function.replace("_", "-")
    return (
        f"qrn:qcs:asw:${{TENCENTCLOUD_REGION}}:${{TENCENTCLOUD_APPID}}:sdk:json:qcloud:scf:Invoke/{scf_name}"
    )


# ---------------------------------------------------------------------------------------- FunctionGraph


def _fg_state(spec: WorkflowSpec, index: int) -> dict[str, Any]:
    step, names = spec.steps[index], spec.names
    after = spec.successor(index)
    state: dict[str, Any] = {
        "id": names[index],
        "name": names[index],
        "type": "Operation",
        "action_mode": "sequential",
        "actions": [{"function_ref": {"ref_name": step.function, "invoke_mode": "synchronize"}}],
        "end": after is None,
    }
    if after is not None:
        state["transition"] = names[after]
    on_error: dict[str, Any] = {}
    if step.retry is not None:
        on_error["retry_ref"] = f"{names[index]}-retry"
    if step.on_error is not None:
        on_error["transition"] = step.on_error
    if on_error:
        state["on_errors"] = [{"error": _FG_ANY_ERROR, **on_error}]
    return state


def functiongraph_flow(template: Template, name: str) -> dict[str, Any]:
    """The CreateWorkflow request body for workflow ``name``."""
    spec = template.workflows[name]
    functions = list(dict.fromkeys(step.function for step in spec.steps))
    body: dict[str, Any] = {
        "name": name,
        "start": spec.names[0],
        "functions": [{"name": fn, "operation": _fg_urn(fn)} for fn in functions],
        "states": [_fg_state(spec, i) for i in range(len(spec.steps))],
        "constants": {},
        "retries": [
            {"name": f"{n}-retry", "delay": s.retry.interval_seconds, "max_attempts": s.retry.max_attempts}
            for n, s in zip(spec.names, spec.steps, strict=True)
            if s.retry is not None
        ],
        "mode": "NORMAL",
    }
    if spec.description:
        body["description"] = spec.description[:512]
    return body


def _fg_loop_notes(template: Template, name: str) -> list[str]:
    spec = template.workflows[name]
    return [
        f"workflow {name}: step {n} (ForEach {s.for_each}, MaxConcurrency {s.concurrency}) is an Operation "
        "state in the FunctionGraph flow: CreateWorkflow's body has no loop fields; after creating the flow, "
        f"make {n} a Loop in the console (Array Path $.{s.for_each}, Parallel Iterations {s.concurrency})"
        for n, s in zip(spec.names, spec.steps, strict=True)
        if s.for_each is not None
    ]


# ------------------------------------------------------------------------------------------------- ASW


def _asw_task(step: WorkflowStep) -> dict[str, Any]:
    task: dict[str, Any] = {"Type": "Task", "Resource": _scf_resource(step.function)}
    if step.retry is not None:
        task["Retry"] = [
            {
                "ErrorEquals": [_ASW_ANY_ERROR],
                "IntervalSeconds": step.retry.interval_seconds,
                "MaxAttempts": step.retry.max_attempts,
                "BackoffRate": 1.0,
            }
        ]
    return task


def _asw_state(spec: WorkflowSpec, index: int) -> dict[str, Any]:
    step, names = spec.steps[index], spec.names
    if step.for_each is None:
        state = _asw_task(step)
    else:
        item = f"{names[index]}-item"
        state = {
            "Type": "Map",
            "ItemsPath": f"$.{step.for_each}",
            "MaxConcurrency": step.concurrency,
            "Iterator": {"StartAt": item, "States": {item: {**_asw_task(step), "End": True}}},
        }
    if step.on_error is not None:
        state["Catch"] = [{"ErrorEquals": [_ASW_ANY_ERROR], "Next": step.on_error, "ResultPath": "$.error"}]
    after = spec.successor(index)
    if after is None:
        state["End"] = True
    else:
        state["Next"] = names[after]
    return state


def asw_definition(template: Template, name: str) -> dict[str, Any]:
    """The TCSL definition (``CreateFlowService``'s ``Definition``) of workflow ``name``."""
    spec = template.workflows[name]
    return {
        "Comment": spec.description or f"opsfn workflow {name}",
        "StartAt": spec.names[0],
        "States": {n: _asw_state(spec, i) for i, n in enumerate(spec.names)},
    }


# ---------------------------------------------------------------------------------------------- output

_NO_TERRAFORM = (
    "Neither the huaweicloud nor the tencentcloud Terraform provider has a resource for these flows: they "
    "are created with the cloud's CLI below (or the console / API), after the functions are deployed."
)


def _huawei_readme(names: list[str], notes: list[str]) -> str:
    lines = [
        "# Workflows: FunctionGraph function flows",
        "",
        "Generated by `opsfn render` from template.yaml; do not edit.",
        "",
        "Each `<name>.functiongraph.json` is a KooCLI `--cli-jsonInput` file: `body` is the request body of",
        "`POST /v2/{project_id}/fgs/workflows` (CreateWorkflow). " + _NO_TERRAFORM,
        "",
        "```sh",
        "export HUAWEICLOUD_SDK_REGION=cn-north-4 HUAWEICLOUD_SDK_PROJECT_ID=<project id>",
    ]
    for name in names:
        lines += [
            f"envsubst '$HUAWEICLOUD_SDK_REGION $HUAWEICLOUD_SDK_PROJECT_ID' "
            f"< workflows/{name}.functiongraph.json > /tmp/{name}.json",
            f'hcloud FunctionGraph CreateWorkflow --cli-region="$HUAWEICLOUD_SDK_REGION" '
            f"--cli-jsonInput=/tmp/{name}.json",
        ]
    lines += ["```", "", "Flows reference the functions as `default:<name>:latest`. On the cloud an error"]
    lines += ["branch (`OnError`) receives FunctionGraph's error document, not the local runner's one."]
    return "\n".join(lines + ([""] + [f"- {note}" for note in notes] if notes else []) + [""])


def _tencent_readme(names: list[str]) -> str:
    lines = [
        "# Workflows: Tencent ASW state machines",
        "",
        "Generated by `opsfn render` from template.yaml; do not edit.",
        "",
        "Each `<name>.asw.json` is a TCSL definition for ASW `CreateFlowService` (API 2020-07-22; there is",
        "no single create-and-start action: start a run with `StartExecution`). " + _NO_TERRAFORM,
        "`TENCENTCLOUD_APPID` is the account's AppId (part of the SCF resource name, not a credential).",
        "",
        "```sh",
        "export TENCENTCLOUD_REGION=ap-guangzhou TENCENTCLOUD_APPID=<appid>",
    ]
    for name in names:
        dashed = name.replace("_", "-")
        lines += [
            f'tccli asw CreateFlowService --region "$TENCENTCLOUD_REGION" --FlowServiceName {dashed} '
            f'--Type STANDARD --IsNewRole false --RoleResource "qcs::cam::uin/<uin>:roleName/<role>" '
            "--Definition \"$(envsubst '$TENCENTCLOUD_REGION $TENCENTCLOUD_APPID' "
            f'< workflows/{name}.asw.json)"',
        ]
    lines += [
        'tccli asw StartExecution --region "$TENCENTCLOUD_REGION" '
        "--StateMachineResourceName <FlowServiceResource from CreateFlowService> --Input '{}'"
    ]
    lines += ["```", "", "Tasks invoke the SCF functions `<name with dashes>` in the default namespace."]
    lines += ["On the cloud an error branch (`OnError`, a `Catch`) receives the step's input with the"]
    lines += ["error under `error` (`ResultPath: $.error`), not the local runner's document.", ""]
    return "\n".join(lines)


def add_workflows(template: Template, target: str, rendered: Rendered) -> Rendered:
    """Add ``workflows/`` (one flow per workflow and a README) to a target's rendered files."""
    names = list(template.workflows)
    if not names:
        return rendered
    if target in HUAWEI_TARGETS:
        notes = [note for name in names for note in _fg_loop_notes(template, name)]
        for name in names:
            doc = {
                "path": {"project_id": "${HUAWEICLOUD_SDK_PROJECT_ID}"},
                "body": functiongraph_flow(template, name),
            }
            rendered.files[f"workflows/{name}.functiongraph.json"] = json.dumps(doc, indent=2) + "\n"
        rendered.files["workflows/README.md"] = _huawei_readme(names, notes)
        rendered.notes.extend(notes)
    else:
        for name in names:
            rendered.files[f"workflows/{name}.asw.json"] = (
                json.dumps(asw_definition(template, name), indent=2) + "\n"
            )
        rendered.files["workflows/README.md"] = _tencent_readme(names)
    return rendered
