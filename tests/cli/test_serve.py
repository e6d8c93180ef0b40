"""``opsfn serve``: webhooks, queue endpoint, queue folder, workflows, timers, clean stop."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import httpx
import pytest
from _cli_helpers import Project
from click.testing import CliRunner

from devkit.cli import main
from devkit.invoke import DEV_WEBHOOK_SECRET
from devkit.serve import Scheduler, ServeInfo, ServeOptions, TimerJob, run_serve, timer_jobs
from devkit.template import load_template
from shared.verify import sign_standard_webhook

T0 = datetime(2026, 11, 23, 10, 0, 30, tzinfo=timezone.utc)


class FakeClock:
    def __init__(self, now: datetime) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now


def test_rate_timer_fires_on_schedule_with_a_fake_clock(project: Project) -> None:
    clock = FakeClock(T0)
    jobs = timer_jobs(load_template(project.template), T0)
    fired: list[tuple[str, datetime, dict[str, Any]]] = []
    scheduler = Scheduler(jobs, lambda job, due: fired.append((job.function, due, job.event(due))), clock)
    assert scheduler.run_due() == 0
    assert scheduler.seconds_to_next() == 60
    clock.now = T0 + timedelta(seconds=60)
    assert scheduler.run_due() == 1
    clock.now = T0 + timedelta(seconds=119)
    assert scheduler.run_due() == 0
    clock.now = T0 + timedelta(seconds=600)  # missed periods fire once, then the schedule resumes
    assert scheduler.run_due() == 1
    assert scheduler.jobs[0].next_due == T0 + timedelta(seconds=660)
    function, due, event = fired[0]
    assert (function, due) == ("demo", T0 + timedelta(seconds=60))
    assert event["trigger_type"] == "TIMER" and json.loads(event["user_event"]) == {"dry_run": True}


def test_cron_timer_next_due() -> None:
    job = TimerJob("f", "daily", "30 2 * * *", None, "")
    job.advance(T0)
    assert job.next_due == datetime(2026, 11, 24, 2, 30, tzinfo=timezone.utc)


@pytest.fixture
def served(project: Project, tmp_path: Path) -> Iterator[tuple[ServeInfo, list[str], Path]]:
    lines: list[str] = []
    infos: list[ServeInfo] = []
    stop = threading.Event()
    queue_dir = tmp_path / "queue"
    options = ServeOptions(port=0, emulator_port=0, queue_dir=queue_dir, duration=30, poll_seconds=0.05)
    thread = threading.Thread(
        target=run_serve,
        args=(load_template(project.template), project.root, options),
        kwargs={"echo": lines.append, "ready": infos.append, "stop": stop},
    )
    thread.start()
    deadline = time.monotonic() + 10
    while not infos:
        assert thread.is_alive() and time.monotonic() < deadline, lines
        time.sleep(0.01)
    yield infos[0], lines, queue_dir
    stop.set()
    thread.join(timeout=15)
    assert not thread.is_alive()
    assert lines[-1] == "stopped"
    assert not [t.name for t in threading.enumerate() if t.name.startswith("opsfn-") and t.is_alive()]


def _signed(body: bytes) -> dict[str, str]:
    headers = sign_standard_webhook(DEV_WEBHOOK_SECRET, f"msg_{time.time_ns()}", int(time.time()), body)
    return {**headers, "content-type": "application/json"}


def test_send_signs_like_serve_verifies(
    served: tuple[ServeInfo, list[str], Path], runner: CliRunner, tmp_path: Path
) -> None:
    """`opsfn send` signs with the same development secret `opsfn serve` verifies against."""
    info, _, _ = served
    body = tmp_path / "body.json"
    body.write_text('{"name": "ada"}', encoding="utf-8")
    ok = runner.invoke(main, ["send", "/hooks/demo", "--data", str(body), "--url", info.webhook_url])
    assert ok.exit_code == 0, ok.output
    assert json.loads(ok.stdout)["hello"] == "ada"
    bad = runner.invoke(main, ["send", "/nowhere", "--data", str(body), "--url", info.webhook_url])
    assert bad.exit_code == 1
    gone = runner.invoke(main, ["send", "/hooks/demo", "--data", str(body), "--url", "http://127.0.0.1:9"])
    assert gone.exit_code == 2 and "is `opsfn serve` running?" in gone.output


def test_webhook_queue_workflow_and_feeds(served: tuple[ServeInfo, list[str], Path]) -> None:
    info, lines, queue_dir = served
    assert info.emulator_url is not None
    with httpx.Client(base_url=info.webhook_url, timeout=10) as client:
        body = b'{"name": "ada"}'
        answer = client.post("/hooks/demo", content=body, headers=_signed(body))
        assert answer.status_code == 200, answer.text
        assert answer.json()["hello"] == "ada"
        assert answer.headers["x-request-id"]
        assert client.post("/hooks/demo", content=body).status_code == 401  # verification runs for real
        assert client.get("/hooks/demo").status_code == 405
        assert client.get("/hooks/demo").headers["allow"] == "POST"  # the router knows the route's methods
        assert client.get("/queue/demo").headers["allow"] == "POST"
        assert client.post("/healthz").headers["allow"] == "GET"
        assert client.post("/nowhere").status_code == 404

        batch = client.post(
            "/queue/demo", json=[{"id": "m1", "body": {"name": "a"}}, {"id": "m2", "body": {"name": "fail"}}]
        )
        assert batch.status_code == 200
        assert (batch.json()["records_ok"], batch.json()["records_failed"]) == (1, 1)
        assert client.post("/queue/unknown", json=[]).status_code == 400

        flow = client.post("/workflows/chain", json={"name": "ada"})
        assert flow.status_code == 200, flow.text
        first = {"hello": "ADA", "items": [{"name": "ADA"}, {"name": "ADA"}]}
        second = {"hello": "ada", "items": [{"name": "ADA"}, {"name": "ada"}]}
        assert flow.json()["output"] == [first, second]
        assert client.post("/workflows/nope", json={}).status_code == 404

        # The emulator is reachable for external tools too.
        assert httpx.get(f"{info.emulator_url}/v3/projects", timeout=5).status_code in (401, 403)

    (queue_dir / "demo.json").write_text(json.dumps([{"id": "f1", "body": {"name": "x"}}]), encoding="utf-8")
    (queue_dir / "nobody.json").write_text("[]", encoding="utf-8")
    deadline = time.monotonic() + 30  # a liveness wait, generous for a loaded machine
    while not (
        (queue_dir / "done" / "demo.json").exists() and (queue_dir / "failed" / "nobody.json").exists()
    ):
        assert time.monotonic() < deadline, lines
        time.sleep(0.05)
    live = [line for line in lines if " demo " in line or " second " in line]
    assert any("webhook" in line and " 200 " in line for line in live), lines
    assert any("local_queue" in line and "1 ok/1 failed" in line for line in live), lines
    assert any(line.split()[1] == "second" for line in live)  # workflow steps are reported too


def test_cli_once_fires_timers_and_stops(runner: CliRunner, project: Project) -> None:
    result = runner.invoke(
        main, ["serve", "--once", "--port", "0", "--emulator-port", "0", "--template", str(project.template)]
    )
    assert result.exit_code == 0, result.output
    assert "POST" in result.output and "/hooks/demo  -> demo" in result.output
    fired = [line for line in result.stdout.splitlines() if " demo " in line and " timer " in line]
    assert fired and "ok" in fired[0]
    assert result.stdout.strip().endswith("stopped")


def test_cli_duration_stops_cleanly(runner: CliRunner, project: Project) -> None:
    started = time.monotonic()
    result = runner.invoke(
        main,
        [
            "serve",
            "--duration",
            "0.5",
            "--port",
            "0",
            "--emulator-port",
            "0",
            "--template",
            str(project.template),
        ],
    )
    assert result.exit_code == 0, result.output
    assert time.monotonic() - started < 10
    assert result.stdout.strip().endswith("stopped")


def test_cli_stdin_feed(runner: CliRunner, project: Project) -> None:
    feed = json.dumps({"function": "demo", "messages": [{"id": "s1", "body": {"name": "x"}}]}) + "\n"
    feed += "not json\n"
    args = ["serve", "--stdin", "--duration", "1.5", "--port", "0", "--emulator-port", "0"]
    result = runner.invoke(main, [*args, "--template", str(project.template)], input=feed)
    assert result.exit_code == 0, result.output
    assert any("local_queue" in line and "1 ok/0 failed" in line for line in result.stdout.splitlines())
    assert "stdin: expected" in result.stderr


def test_the_real_workflow_chains_release_into_reconcile() -> None:
    """offboard_then_reconcile from template.yaml: the release answer becomes the reconcile timer input."""
    from _cli_helpers import REPO

    from devkit.invoke import LocalRuntime
    from devkit.serve import run_workflow

    template = load_template(REPO / "template.yaml")
    runtime = LocalRuntime(template, REPO)
    reported: list[str] = []
    with runtime.running():
        output = run_workflow(
            runtime,
            "offboard_then_reconcile",
            {"request_id": "wf-1", "user_id": "1f0c3a9e2b7d4c58a6e1d2f3b4c5d6e7"},
            lambda r: reported.append(f"{r.function}:{r.trigger}:{r.status}"),
        )
    assert reported == ["license_release:webhook:200", "license_reconcile:timer:None"]
    assert output["dry_run"] is True and "by_status" in output


def test_taken_port_is_a_clear_error(runner: CliRunner, project: Project) -> None:
    import socket

    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = str(taken.getsockname()[1])
        args = [
            "serve",
            "--once",
            "--port",
            port,
            "--emulator-port",
            "0",
            "--template",
            str(project.template),
        ]
        result = runner.invoke(main, args)
    assert result.exit_code == 1
    assert f"cannot listen on 127.0.0.1:{port} for the webhooks (--port)" in result.stderr


def test_send_twice_with_one_id_is_answered_from_the_first_delivery(
    served: tuple[ServeInfo, list[str], Path], runner: CliRunner, tmp_path: Path
) -> None:
    """A sender re-sending the same webhook-id gets the stored first answer, marked as replayed; the id with
    another body is refused. (A fresh timestamp and signature per redelivery: tests/runtime/
    test_http_redelivery.py, with a controlled clock instead of a real sleep here.)"""
    info, _, _ = served
    body = tmp_path / "body.json"
    body.write_text('{"name": "ada"}', encoding="utf-8")
    args = ["send", "/hooks/demo", "--data", str(body), "--url", info.webhook_url, "--id", "msg_redelivered"]
    first = runner.invoke(main, args)
    again = runner.invoke(main, args)
    assert first.exit_code == again.exit_code == 0, (first.output, again.output)
    assert json.loads(again.stdout) == json.loads(first.stdout)
    assert "HTTP 200 (replayed)" in again.stderr and "(replayed)" not in first.stderr
    body.write_text('{"name": "eve"}', encoding="utf-8")
    reused = runner.invoke(main, args)
    assert reused.exit_code == 1 and "idempotency_payload_mismatch" in reused.stdout
