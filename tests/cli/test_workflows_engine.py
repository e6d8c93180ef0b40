"""The workflow runner (``devkit.workflows``): fan-out bound, retries, the error branch, old templates.

The engine is driven through its ``Invoker`` seam with functions written in the test (a concurrency
counter, scripted failures) and a fake ``sleep``, so nothing waits for real beyond a millisecond; the
last tests run a rotation_sweep-shaped workflow of stand-in functions through the real local runtime.
"""

from __future__ import annotations

import itertools
import json
import re
import sys
import textwrap
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from _cli_helpers import Project
from click.testing import CliRunner

from devkit.cli import main
from devkit.invoke import InvokeResult, LocalRuntime
from devkit.template import TemplateError, WorkflowSpec, load_template
from devkit.workflows import WorkflowStepError, execute, run_workflow


def _spec(steps: list[dict[str, Any]]) -> WorkflowSpec:
    return WorkflowSpec.model_validate({"Steps": steps})


def _ok(function: str, output: Any) -> InvokeResult:
    return InvokeResult(function, "local", {"statusCode": 200, "body": json.dumps(output)}, 200, 1.0)


def _failed(function: str, status: int = 500) -> InvokeResult:
    return InvokeResult(function, "local", {"statusCode": status, "body": '{"error": "boom"}'}, status, 1.0)


class _Sleeps:
    """A fake ``sleep`` that records the intervals asked for."""

    def __init__(self) -> None:
        self.calls: list[float] = []

    def __call__(self, seconds: float) -> None:
        self.calls.append(seconds)


# ------------------------------------------------------------------------------------------ fan-out


class _Counter:
    """An invoker that counts the calls in flight; ``barrier`` makes ``width`` of them meet."""

    def __init__(self, width: int) -> None:
        self.lock = threading.Lock()
        self.in_flight = 0
        self.peak = 0
        self.barrier = threading.Barrier(width, timeout=5)

    def __call__(self, function: str, item: Any) -> InvokeResult:
        with self.lock:
            self.in_flight += 1
            self.peak = max(self.peak, self.in_flight)
        try:
            # Returns only once `width` calls are in flight together: fewer at once times out.
            self.barrier.wait()
            time.sleep(0.001)
        finally:
            with self.lock:
                self.in_flight -= 1
        return _ok(function, {"done": item["n"]})


@pytest.mark.parametrize("limit", [1, 4])
def test_fan_out_runs_exactly_max_concurrency_items_at_once(limit: int) -> None:
    spec = _spec(
        [
            {"Name": "find", "Function": "f"},
            {
                "Name": "rotate",
                "Function": "g",
                "ForEach": "jobs",
                **({"MaxConcurrency": limit} if limit > 1 else {}),
            },
        ]
    )
    counter = _Counter(limit)
    jobs = [{"n": i} for i in range(12)]

    def invoke(function: str, data: Any) -> InvokeResult:
        return _ok(function, {"jobs": jobs}) if function == "f" else counter(function, data)

    output = execute(spec, {}, invoke)
    assert counter.peak == limit  # the barrier proves `limit` ran together, the counter that no more did
    assert output == [{"done": i} for i in range(12)]  # item order kept whatever the finishing order


def test_fan_out_over_a_missing_list_is_a_step_failure_not_a_crash() -> None:
    spec = _spec([{"Function": "f"}, {"Function": "g", "ForEach": "jobs"}])
    with pytest.raises(
        WorkflowStepError, match=r"step 1 \(g\).*'jobs' is not a list in the step's input \[step2\]"
    ) as err:
        execute(spec, {}, lambda fn, data: _ok(fn, {"jobs": "nope"}))
    assert err.value.name == "step2" and err.value.result is None


# -------------------------------------------------------------------------------------------- retry


def _scripted(failures: dict[str, int], calls: list[str]) -> Callable[[str, Any], InvokeResult]:
    """Each function fails its first ``failures[function]`` calls, then echoes its input."""
    left = dict(failures)

    def invoke(function: str, data: Any) -> InvokeResult:
        calls.append(function)
        if left.get(function, 0) > 0:
            left[function] -= 1
            return _failed(function)
        return _ok(function, {"from": function, "input": data})

    return invoke


def test_retry_reruns_a_failing_step_max_attempts_times_interval_apart() -> None:
    spec = _spec([{"Function": "a", "Retry": {"MaxAttempts": 3, "IntervalSeconds": 7}}, {"Function": "b"}])
    calls: list[str] = []
    sleeps = _Sleeps()
    output = execute(spec, {"x": 1}, _scripted({"a": 3}, calls), sleep=sleeps)
    assert calls == ["a", "a", "a", "a", "b"]  # the first call and exactly 3 retries
    assert sleeps.calls == [7, 7, 7]
    assert output["input"] == {"from": "a", "input": {"x": 1}}


def test_retries_exhausted_fail_the_step_with_its_last_answer() -> None:
    spec = _spec([{"Function": "a", "Retry": {"MaxAttempts": 2}}, {"Function": "b"}])
    calls: list[str] = []
    sleeps = _Sleeps()
    with pytest.raises(WorkflowStepError) as err:
        execute(spec, {}, _scripted({"a": 5}, calls), sleep=sleeps)
    assert calls == ["a", "a", "a"] and sleeps.calls == [1, 1]  # IntervalSeconds defaults to 1
    assert err.value.index == 0 and err.value.result is not None and err.value.result.status == 500


def test_without_retry_a_failure_is_not_repeated() -> None:
    calls: list[str] = []
    with pytest.raises(WorkflowStepError):
        execute(_spec([{"Function": "a"}]), {}, _scripted({"a": 1}, calls), sleep=_Sleeps())
    assert calls == ["a"]


def test_fan_out_retries_each_failing_item_on_its_own() -> None:
    spec = _spec(
        [
            {"Function": "f"},
            {"Function": "g", "ForEach": "jobs", "MaxConcurrency": 2, "Retry": {"MaxAttempts": 1}},
        ]
    )
    attempts: dict[int, int] = {}
    lock = threading.Lock()

    def invoke(function: str, data: Any) -> InvokeResult:
        if function == "f":
            return _ok(function, {"jobs": [{"n": i} for i in range(5)]})
        with lock:
            attempts[data["n"]] = attempts.get(data["n"], 0) + 1
            first = attempts[data["n"]] == 1
        return _failed(function) if first and data["n"] % 2 else _ok(function, data["n"])

    assert execute(spec, {}, invoke, sleep=_Sleeps()) == [0, 1, 2, 3, 4]
    assert attempts == {0: 1, 1: 2, 2: 1, 3: 2, 4: 1}


# -------------------------------------------------------------------------------------- error branch


def test_on_error_routes_the_failure_to_the_named_step_with_the_error() -> None:
    spec = _spec(
        [
            {"Name": "find", "Function": "a"},
            {"Name": "rotate", "Function": "b", "OnError": "alert", "Next": "report"},
            {"Name": "alert", "Function": "c"},
            {"Name": "report", "Function": "d"},
        ]
    )
    calls: list[str] = []
    output = execute(spec, {"start": True}, _scripted({"b": 1}, calls))
    assert calls == ["a", "b", "c", "d"]
    handed = output["input"]["input"]  # report got alert's output; alert got the error document
    assert handed["step"] == "rotate"
    assert handed["input"] == {"from": "a", "input": {"start": True}}
    assert handed["error"]["status"] == 500 and handed["error"]["answer"] == {"error": "boom"}


def test_next_skips_the_error_branch_on_success() -> None:
    spec = _spec(
        [
            {"Name": "rotate", "Function": "b", "OnError": "alert", "Next": "report"},
            {"Name": "alert", "Function": "c"},
            {"Name": "report", "Function": "d"},
        ]
    )
    calls: list[str] = []
    execute(spec, {}, _scripted({}, calls))
    assert calls == ["b", "d"]


def test_a_failed_fan_out_hands_every_item_outcome_to_the_error_branch() -> None:
    spec = _spec(
        [
            {"Name": "find", "Function": "f"},
            {"Name": "rotate", "Function": "g", "ForEach": "jobs", "MaxConcurrency": 3, "OnError": "report"},
            {"Name": "report", "Function": "r"},
        ]
    )

    def invoke(function: str, data: Any) -> InvokeResult:
        if function == "f":
            return _ok(function, {"jobs": [{"n": i} for i in range(4)]})
        if function == "g":
            return _failed(function, 409) if data["n"] == 2 else _ok(function, {"rotated": data["n"]})
        return _ok(function, data)

    output = execute(spec, {}, invoke)
    error = output["error"]
    assert output["step"] == "rotate" and error["message"] == "1 of 4 items failed"
    assert error["failed"] == [{"index": 2, "item": {"n": 2}, "status": 409, "answer": {"error": "boom"}}]
    assert error["outputs"] == [{"rotated": 0}, {"rotated": 1}, None, {"rotated": 3}]  # nothing lost


def test_a_failure_in_a_later_step_without_on_error_stops_the_workflow() -> None:
    spec = _spec([{"Function": "a", "OnError": "step3"}, {"Function": "b"}, {"Function": "c"}])
    calls: list[str] = []
    with pytest.raises(WorkflowStepError, match=r"step 1 \(b\) failed: status 500 \[step2\]"):
        execute(spec, {}, _scripted({"b": 1}, calls))
    assert calls == ["a", "b"]


# ---------------------------------------------------------------------------------- schema checks


@pytest.mark.parametrize(
    ("steps", "message"),
    [
        ([{"Name": "a", "Function": "f", "OnError": "zz"}], "OnError names no step: 'zz'"),
        (
            [{"Name": "a", "Function": "f", "Next": "b"}, {"Name": "b", "Function": "f", "Next": "a"}],
            "must be a later",
        ),
        ([{"Name": "a", "Function": "f"}, {"Name": "a", "Function": "f"}], "step names must be unique: a"),
        ([{"Function": "f"}, {"Name": "step1", "Function": "f"}], "step names must be unique: step1"),
        (
            [{"Function": "f", "Next": "step3"}, {"Function": "f"}, {"Function": "f"}],
            "steps no path reaches (remove them or name them in Next/OnError): ['step2']",
        ),
        ([{"Function": "f", "MaxConcurrency": 2}], "MaxConcurrency limits a fan-out: it needs ForEach"),
        ([{"Function": "f", "ForEach": "a.b"}], "String should match pattern"),
        ([{"Function": "f", "Retry": {"MaxAttempts": 9}}], "less than or equal to 8"),
        (
            [{"Function": "f", "Retry": {"MaxAttempts": 1, "IntervalSeconds": 0}}],
            "greater than or equal to 1",
        ),
        ([{"Function": "f", "ForEach": "k", "MaxConcurrency": 101}], "less than or equal to 100"),
    ],
)
def test_the_schema_refuses_broken_graphs_and_bounds(steps: list[dict[str, Any]], message: str) -> None:
    with pytest.raises(ValueError, match=re.escape(message)):
        _spec(steps)


def test_steps_of_old_templates_get_generated_names_and_run_in_order() -> None:
    spec = _spec([{"Function": "a"}, {"Function": "b", "ForEach": "items"}])
    assert spec.names == ["step1", "step2"] and spec.steps[1].concurrency == 1
    output = execute(spec, {}, lambda fn, data: _ok(fn, {"items": [1, 2]} if fn == "a" else data * 10))
    assert output == [10, 20]


# --------------------------------------------------------------------- stand-ins on the local runtime

_STANDINS = '''
"""Stand-ins shaped like rotation_sweep: find (timer) -> rotate (queue, per job) -> report (webhook)."""
from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, RootModel

from shared.runtime import FunctionApp, Invocation, RecordOutcome

ATTEMPTS: dict[str, int] = {}


class Sweep(BaseModel):
    secrets: list[str] = []


class Job(BaseModel):
    model_config = ConfigDict(extra="ignore")
    secret_name: str


class Report(RootModel[list[Any] | dict[str, Any]]):
    pass


find = FunctionApp("find")
rotate = FunctionApp("rotate")
report = FunctionApp("report")


@find.timer(model=Sweep)
async def on_sweep(sweep: Sweep, inv: Invocation) -> dict[str, object]:
    return {"jobs": [{"secret_name": s, "reason": "schedule"} for s in sweep.secrets]}


@rotate.batch(model=Job)
async def on_job(jobs: list[Job], inv: Invocation) -> list[RecordOutcome]:
    out = []
    for job in jobs:
        ATTEMPTS[job.secret_name] = ATTEMPTS.get(job.secret_name, 0) + 1
        flaky = job.secret_name.startswith("flaky") and ATTEMPTS[job.secret_name] == 1
        broken = job.secret_name.startswith("broken")
        if flaky or broken:
            out.append(RecordOutcome.failure("injected"))
        else:
            out.append(RecordOutcome.success({"secret_name": job.secret_name, "status": "rotated"}))
    return out


@report.http(model=Report)
async def on_report(doc: Report, inv: Invocation) -> dict[str, object]:
    data = doc.root
    if isinstance(data, list):
        return {"rotated": sorted(a["secret_name"] for a in data), "failed": []}
    return {
        "rotated": sorted(a["secret_name"] for a in data["error"]["outputs"] if a),
        "failed": sorted(f["item"]["secret_name"] for f in data["error"]["failed"]),
    }


for _app in (find, rotate, report):
    globals()[f"{_app.name}_handler"] = _app.functiongraph_handler
    globals()[f"{_app.name}_main"] = _app.scf_handler
'''

_counter = itertools.count()


@pytest.fixture
def sweep_template(tmp_path: Path) -> Iterator[Path]:
    pkg = f"opsfn_wf_standins_{next(_counter)}"
    (tmp_path / pkg).mkdir()
    (tmp_path / pkg / "__init__.py").write_text("", encoding="utf-8")
    (tmp_path / pkg / "standins.py").write_text(_STANDINS, encoding="utf-8")
    template = tmp_path / "template.yaml"
    template.write_text(
        textwrap.dedent(
            f"""\
            Version: opsfn/2026-11
            Functions:
              find:
                Handler: {pkg}.standins.find_handler
                CodeUri: {pkg}
                Events:
                  tick: {{Type: Timer, Properties: {{Rate: 1d}}}}
              rotate:
                Handler: {pkg}.standins.rotate_handler
                CodeUri: {pkg}
                Events:
                  jobs: {{Type: Kafka, Properties: {{Instance: k, Topic: rotation-jobs}}}}
              report:
                Handler: {pkg}.standins.report_handler
                CodeUri: {pkg}
                Events:
                  hook: {{Type: Webhook, Properties: {{Path: /hooks/report, Verification: none}}}}
            Workflows:
              sweep:
                Steps:
                  - {{Name: find, Function: find}}
                  - {{Name: rotate, Function: rotate, ForEach: jobs, MaxConcurrency: 4,
                     Retry: {{MaxAttempts: 2, IntervalSeconds: 5}}, OnError: report}}
                  - {{Name: report, Function: report}}
            """
        ),
        encoding="utf-8",
    )
    sys.path.insert(0, str(tmp_path))
    yield template
    sys.path.remove(str(tmp_path))
    for name in [m for m in sys.modules if m.startswith(pkg)]:
        del sys.modules[name]


def _sweep(template_path: Path, secrets: list[str]) -> tuple[Any, list[str], list[float]]:
    runtime = LocalRuntime(load_template(template_path), template_path.parent)
    lines: list[str] = []
    sleeps = _Sleeps()
    with runtime.running():
        output = run_workflow(
            runtime,
            "sweep",
            {"secrets": secrets},
            lambda r: lines.append(f"{r.function}:{r.trigger}"),
            sleeps,
        )
    return output, lines, sleeps.calls


def test_rotation_sweep_shape_runs_on_the_local_runtime_with_retries(sweep_template: Path) -> None:
    secrets = ["s1", "flaky-2", "s3", "flaky-4", "s5"]
    output, lines, sleeps = _sweep(sweep_template, secrets)
    assert output == {"rotated": sorted(secrets), "failed": []}
    assert lines.count("rotate:local_queue") == 7  # five jobs, two of them retried once
    assert lines[0] == "find:timer" and lines[-1] == "report:webhook"
    assert sleeps == [5, 5]


def test_rotation_sweep_shape_reports_what_failed_through_the_error_branch(sweep_template: Path) -> None:
    output, lines, sleeps = _sweep(sweep_template, ["s1", "broken-2", "s3"])
    assert output == {"rotated": ["s1", "s3"], "failed": ["broken-2"]}
    assert lines.count("rotate:local_queue") == 5 and sleeps == [5, 5]  # the broken job: 1 call + 2 retries


def test_a_template_whose_on_error_names_no_step_fails_validation(sweep_template: Path) -> None:
    sweep_template.write_text(sweep_template.read_text().replace("OnError: report", "OnError: nowhere"))
    with pytest.raises(
        TemplateError, match=re.escape("Workflows.sweep: Value error, step 'rotate': OnError names no step")
    ):
        load_template(sweep_template)


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        ("OnError: nowhere", "Workflows.chain: Value error, step 'step2': OnError names no step: 'nowhere'"),
        ("Next: step1", "Workflows.chain: Value error, step 'step2': Next 'step1' must be a later step"),
    ],
)
def test_opsfn_validate_reports_a_bad_next_or_on_error_target(
    runner: CliRunner, project: Project, extra: str, message: str
) -> None:
    text = project.template.read_text(encoding="utf-8")
    project.template.write_text(
        text.replace("        ForEach: items", f"        ForEach: items\n        {extra}")
    )
    result = runner.invoke(main, ["validate", "--template", str(project.template)])
    assert result.exit_code == 1
    assert message in result.stderr and "Traceback" not in result.output


def test_opsfn_validate_accepts_the_old_workflow_and_a_full_one(runner: CliRunner, project: Project) -> None:
    text = project.template.read_text(encoding="utf-8")
    assert runner.invoke(main, ["validate", "--template", str(project.template)]).exit_code == 0
    full = "\n".join(
        f"        {line}" for line in ("ForEach: items", "MaxConcurrency: 3", "Retry: {MaxAttempts: 2}")
    )
    project.template.write_text(text.replace("        ForEach: items", full))
    result = runner.invoke(main, ["validate", "--template", str(project.template)])
    assert result.exit_code == 0, result.output
