"""The everyday things a new user hits in ``invoke``, ``send``, ``serve`` and ``package``, one by one.

Serve endpoints are driven through the ASGI app in-process (no sockets, no waiting); the CLI through
click's runner.
"""

from __future__ import annotations

import asyncio
import json
import subprocess
from pathlib import Path
from typing import Any

import httpx
import pytest
from _cli_helpers import REPO, Project
from click.testing import CliRunner

from devkit.cli import main
from devkit.demo_fixtures import DEPARTED_USER
from devkit.invoke import InvokeError, LocalRuntime, load_env_vars, missing_credentials
from devkit.serve import ServeError, ServeOptions, build_app, process_queue_dir, run_serve
from devkit.template import load_template

ENV_HANDLER = """
from pydantic import BaseModel
from shared.runtime import FunctionApp, Invocation
import os

app = FunctionApp("envecho")


class Tick(BaseModel):
    pass


@app.timer(model=Tick)
async def on_timer(tick: Tick, inv: Invocation) -> dict[str, object]:
    return {k: v for k, v in os.environ.items() if k.startswith("DEMO_")}


handler = app.functiongraph_handler
main_handler = app.scf_handler
"""
BAD_SECRET = "whsec_not*base64"


def _timer_event(path: Path) -> Path:
    event = {"version": "v1.0", "time": "2026-01-01T00:00:00Z", "trigger_type": "TIMER", "user_event": ""}
    path.write_text(json.dumps(event), encoding="utf-8")
    return path


# ---------------------------------------------------------------------------------------- invoke


def test_env_vars_file_global_then_per_function(project: Project, tmp_path: Path) -> None:
    code = project.root / project.package / "envecho"
    code.mkdir()
    (code / "__init__.py").write_text("", encoding="utf-8")
    (code / "handler.py").write_text(ENV_HANDLER, encoding="utf-8")
    text = project.template.read_text(encoding="utf-8").replace(
        "Workflows:",
        f"  envecho:\n    Handler: {project.package}.envecho.handler.handler\n"
        f"    CodeUri: {project.package}/envecho\n"
        "    Environment: {Variables: {DEMO_FROM_TEMPLATE: t, DEMO_FLAG: template}}\n"
        "Workflows:",
    )
    project.template.write_text(text, encoding="utf-8")
    env_file = tmp_path / "env.json"
    env_file.write_text(
        json.dumps(
            {
                "Parameters": {"DEMO_GLOBAL": "g", "DEMO_FLAG": "global"},
                "envecho": {"DEMO_FLAG": "mine", "DEMO_NUMBER": 3, "DEMO_BOOL": True},
                "other": {"DEMO_OTHER": "not for envecho"},
            }
        ),
        encoding="utf-8",
    )
    args = [
        "invoke",
        "envecho",
        "--event",
        str(_timer_event(tmp_path / "t.json")),
        "--env-vars",
        str(env_file),
    ]
    result = CliRunner().invoke(main, [*args, "--template", str(project.template)])
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["result"] == {
        "DEMO_FROM_TEMPLATE": "t",
        "DEMO_FLAG": "mine",  # the function's section wins over Parameters, which wins over the template
        "DEMO_GLOBAL": "g",
        "DEMO_NUMBER": "3",
        "DEMO_BOOL": "true",
    }


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("[1]", "must be a JSON object of sections"),
        ('{"Parameters": []}', "Parameters must be an object"),
        ('{"demo": {"X": {"nested": 1}}}', "demo.X must be a string, number or boolean"),
        ("{not json", "cannot read the --env-vars file"),
    ],
)
def test_env_vars_file_errors_are_clear(tmp_path: Path, content: str, message: str) -> None:
    path = tmp_path / "env.json"
    path.write_text(content, encoding="utf-8")
    with pytest.raises(InvokeError, match=message):
        load_env_vars(path, "demo")


def test_fail_on_error_exits_non_zero_on_an_error_status(project: Project) -> None:
    event = project.root / "events" / "demo" / "webhook.json"
    base = ["invoke", "demo", "--event", str(event), "--no-sign", "--template", str(project.template)]
    habit = CliRunner().invoke(main, base)
    assert habit.exit_code == 0 and json.loads(habit.stdout)["statusCode"] == 401  # unchanged default
    strict = CliRunner().invoke(main, [*base, "--fail-on-error"])
    assert strict.exit_code == 1 and json.loads(strict.stdout)["statusCode"] == 401
    signed = CliRunner().invoke(main, [*base[:-3], "--fail-on-error", "--template", str(project.template)])
    assert signed.exit_code == 0, signed.output


def test_cloud_target_names_the_missing_credentials(
    project: Project, monkeypatch: pytest.MonkeyPatch
) -> None:
    for name in ("HUAWEICLOUD_SDK_AK", "HUAWEICLOUD_SDK_SK", "HUAWEICLOUD_SDK_PROJECT_ID"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("TENCENTCLOUD_SECRET_ID", "AKIDexample")
    monkeypatch.delenv("TENCENTCLOUD_SECRET_KEY", raising=False)
    lines: list[str] = []
    runtime = LocalRuntime(load_template(project.template), project.root, target="cloud", echo=lines.append)
    with runtime.running():
        pass
    assert "configured" not in lines[0].replace("credentials missing", "")
    assert "HUAWEICLOUD_SDK_AK, HUAWEICLOUD_SDK_SK, HUAWEICLOUD_SDK_PROJECT_ID" in lines[0]
    assert "TENCENTCLOUD_SECRET_KEY" in lines[0] and "TENCENTCLOUD_SECRET_ID" not in lines[0]
    full = {"HUAWEICLOUD_SDK_AK": "a", "HUAWEICLOUD_SDK_SK": "b", "HUAWEICLOUD_SDK_PROJECT_ID": "p"}
    assert missing_credentials({**full, "TENCENTCLOUD_SECRET_ID": "i", "TENCENTCLOUD_SECRET_KEY": "k"}) == {}


# ------------------------------------------------------------------------------------------ send


def test_malformed_webhook_secret_stops_send_in_one_line(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("OPSFN_WEBHOOK_SECRET", f"{BAD_SECRET}")
    body = tmp_path / "b.json"
    body.write_text("{}", encoding="utf-8")
    result = CliRunner().invoke(
        main, ["send", "/hooks/x", "--data", str(body), "--url", "http://127.0.0.1:9"]
    )
    assert result.exit_code == 1
    assert result.output.strip().splitlines() == [
        "Error: OPSFN_WEBHOOK_SECRET entry 1: a Standard Webhooks secret must be 'whsec_' + base64"
    ]
    assert "not*base64" not in result.output  # the value never shows


def test_malformed_webhook_secret_stops_serve_before_serving(
    project: Project, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(
        "OPSFN_WEBHOOK_SECRET", f"whsec_b3BzZm4tbG9jYWwtZGV2ZWxvcG1lbnQtc2VjcmV0ISE=,{BAD_SECRET}"
    )
    with pytest.raises(ServeError, match="OPSFN_WEBHOOK_SECRET entry 2"):
        run_serve(load_template(project.template), project.root, ServeOptions(port=0, emulator_port=0))
    result = CliRunner().invoke(main, ["serve", "--once", "--port", "0", "--template", str(project.template)])
    assert result.exit_code == 1 and "Traceback" not in result.output and "webhooks on" not in result.output


def test_send_takes_a_sample_event(project: Project, monkeypatch: pytest.MonkeyPatch) -> None:
    """The envelope's body is sent, to the envelope's path, signed; the sample file is what README shows."""
    sent: list[httpx.Request] = []

    def fake(method: str, url: str, **kwargs: Any) -> httpx.Response:
        sent.append(httpx.Request(method, url, content=kwargs["content"], headers=kwargs["headers"]))
        return httpx.Response(200, text='{"ok": true}')

    monkeypatch.setattr(httpx, "request", fake)
    sample = project.root / "events" / "demo" / "webhook.json"
    result = CliRunner().invoke(main, ["send", "--data", str(sample)])
    assert result.exit_code == 0, result.output
    assert sent[0].url.path == "/hooks/demo" and json.loads(sent[0].content) == {"name": "ada"}
    assert "webhook-signature" in sent[0].headers
    plain = CliRunner().invoke(main, ["send", "--data", "-"], input=b'{"name": "x"}')
    assert plain.exit_code == 1 and "give PATH" in plain.output


def test_readme_send_example_files_are_the_envelopes_bodies() -> None:
    """``events/<fn>/bodies/<name>.json`` is exactly the body of ``events/<fn>/<name>.json``."""
    bodies = sorted(REPO.glob("events/*/bodies/*.json"))
    assert bodies
    for body in bodies:
        envelope = json.loads((body.parent.parent / body.name).read_text(encoding="utf-8"))
        assert json.loads(envelope["body"]) == json.loads(body.read_text(encoding="utf-8")), body
    readme = (REPO / "README.md").read_text(encoding="utf-8")
    for path in {m for m in readme.split() if m.startswith("events/") and m.endswith(".json")}:
        assert (REPO / path).is_file(), path


# ----------------------------------------------------------------------------------------- serve


def _post(runtime: LocalRuntime, path: str, payload: Any) -> httpx.Response:
    async def go() -> httpx.Response:
        transport = httpx.ASGITransport(app=build_app(runtime, lambda _: None))
        async with httpx.AsyncClient(transport=transport, base_url="http://serve") as client:
            return await client.post(path, json=payload)

    return asyncio.run(go())


def test_queue_takes_plain_json_objects(project: Project) -> None:
    runtime = LocalRuntime(load_template(project.template), project.root, target="emulator")
    with runtime.running():
        answer = _post(
            runtime, "/queue/demo", [{"name": "a"}, {"name": "b"}, {"id": "m3", "body": {"name": "c"}}]
        )
    assert answer.status_code == 200, answer.text
    results = answer.json()["results"]
    assert [r["result"] for r in results] == [{"hello": "a"}, {"hello": "b"}, {"hello": "c"}]


def test_function_without_queue_handler_is_404() -> None:
    template = load_template(REPO / "template.yaml")
    runtime = LocalRuntime(template, REPO, target="emulator")
    with runtime.running():
        answer = _post(runtime, "/queue/license_reconcile", [{"dry_run": True}])
    assert answer.status_code == 404 and "has no queue handler" in answer.json()["message"]


def test_once_fires_timers_and_workflows(project: Project) -> None:
    """Each workflow runs once on its first step's plain sample body (else ``{}``)."""
    bodies = project.root / "events" / "demo" / "bodies"
    bodies.mkdir()
    (bodies / "webhook.json").write_text('{"name": "ada"}', encoding="utf-8")
    lines: list[str] = []
    options = ServeOptions(port=0, emulator_port=0, once=True)
    run_serve(load_template(project.template), project.root, options, echo=lines.append)
    assert any(" demo " in line and " timer " in line for line in lines), lines
    assert "workflow chain: done" in lines
    assert any(line.split()[1:2] == ["second"] for line in lines if line[:1].isdigit()), lines


@pytest.mark.parametrize("name", ["demo.json", "demo-1.json", "demo_batch.json", "demo.2.json"])
def test_queue_dir_files_named_function_star(project: Project, tmp_path: Path, name: str) -> None:
    folder = tmp_path / "q"
    folder.mkdir()
    (folder / name).write_text('[{"name": "x"}]', encoding="utf-8")
    runtime = LocalRuntime(load_template(project.template), project.root, target="emulator")
    with runtime.running():
        assert process_queue_dir(runtime, folder, lambda _: None) == 1
    assert (folder / "done" / name).exists()


# --------------------------------------------------------------------------------------- package


@pytest.mark.parametrize("version", ["3.8", "3.13", "2.7", "3.1O"])
def test_python_outside_the_supported_range_is_refused_up_front(project: Project, version: str) -> None:
    args = ["package", "--python", version, "--template", str(project.template)]
    result = CliRunner().invoke(main, args)
    assert result.exit_code == 1 and "expected one of 3.9, 3.10, 3.11, 3.12" in result.output
    assert "packaging" not in result.output  # nothing started


def test_deploy_folder_is_ignored_by_git() -> None:
    ignored = subprocess.run(
        ["git", "check-ignore", "-q", "deploy/functiongraph-terraform/main.tf.json"], cwd=REPO, check=False
    )
    assert ignored.returncode == 0


@pytest.mark.parametrize(
    ("spec", "message"),
    [
        ("idee:error=0.1", "unknown service 'idee'"),
        ("ide:BuyLicences:error=0.1", "ide: unknown operation 'BuyLicences'"),
        ("*:Nope:drop=0.1", "unknown operation 'Nope'"),
    ],
)
def test_fault_for_an_unknown_service_or_operation_is_an_error(spec: str, message: str) -> None:
    result = CliRunner().invoke(main, ["emulator", "--port", "65001", "--fault", spec])
    assert result.exit_code == 2 and message in result.output and "Traceback" not in result.output


@pytest.mark.parametrize(
    "spec", ["ide:CreateLicenses:error=0.2", "tencent_apigw:CreateService:throttle=1", "*:drop=0"]
)
def test_known_fault_targets_pass_the_check(spec: str) -> None:
    from devkit.emulator.fault_targets import unknown_fault_targets
    from devkit.emulator.faults import parse_fault_spec
    from devkit.emulator.registry import build_emulator

    assert unknown_fault_targets(build_emulator(), parse_fault_spec(spec)) == []


def test_reconcile_demo_on_the_embedded_emulator_has_seats_to_report() -> None:
    """``opsfn invoke license_reconcile`` on a fresh emulator reports drift, not an empty account."""
    event = REPO / "events" / "license_reconcile" / "timer.json"
    args = ["invoke", "license_reconcile", "--event", str(event), "--template", str(REPO / "template.yaml")]
    result = CliRunner().invoke(main, args)
    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout)["result"]
    assert report["total"] == 6 and report["bound"] == 3 and report["free"] == 2
    assert len(report["frozen"]) == 1 and [d["user_id"] for d in report["departed"]] == [DEPARTED_USER]
    assert "6 CodeArts IDE seats" in result.stderr
