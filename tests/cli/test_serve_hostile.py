"""``opsfn serve``: hostile requests to the serve port get a clear 4xx, never a 500.

`opsfn serve` is what a developer points webhooks, curl and scripts at, so every malformed request must be
answered with a JSON ``{"error", "message"}`` 4xx that says what was wrong - never a 500 with a traceback
in the terminal. Covered: an oversized body, broken / non-UTF-8 / absurdly nested JSON, queue batches that
are not a list of objects, wrong methods on every kind of route, unknown paths, and a workflow input the
first step refuses (the client's fault: 4xx, not a gateway error).
"""

from __future__ import annotations

import json
import logging
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from devkit.serve import MAX_BODY, ServeInfo, ServeOptions, run_serve
from devkit.template import load_template
from shared.idempotency import reset_store_cache
from tests.cli._cli_helpers import Project, make_project


@pytest.fixture
def served(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> Iterator[tuple[ServeInfo, list[str]]]:
    monkeypatch.setenv("OPSFN_STATE_DIR", str(tmp_path / "state"))
    monkeypatch.delenv("OPSFN_WEBHOOK_SECRET", raising=False)
    reset_store_cache()
    project: Project = make_project(tmp_path)
    lines: list[str] = []
    infos: list[ServeInfo] = []
    stop = threading.Event()
    options = ServeOptions(port=0, emulator_port=0, duration=30, poll_seconds=0.05)
    thread = threading.Thread(
        target=run_serve,
        args=(load_template(project.template), project.root, options),
        kwargs={"echo": lines.append, "ready": infos.append, "stop": stop},
    )
    caplog.set_level(logging.ERROR)
    thread.start()
    deadline = time.monotonic() + 10
    while not infos:
        assert thread.is_alive() and time.monotonic() < deadline, lines
        time.sleep(0.01)
    try:
        yield infos[0], lines
    finally:
        stop.set()
        thread.join(timeout=15)
        sys.path.remove(str(project.root))
        for name in [m for m in sys.modules if m.startswith(project.package)]:
            del sys.modules[name]
        reset_store_cache()
    assert not thread.is_alive()
    assert lines[-1] == "stopped"
    tracebacks = [r.getMessage() for r in caplog.records if r.exc_info or "Traceback" in r.getMessage()]
    assert not tracebacks, tracebacks


HOSTILE: list[tuple[str, str, bytes, set[int]]] = [
    ("POST", "/hooks/demo", b"x" * (MAX_BODY + 1), {413}),
    ("POST", "/queue/demo", b"x" * (MAX_BODY + 1), {413}),
    ("POST", "/queue/demo", b"{not json", {400}),
    ("POST", "/queue/demo", b"\xff\xfe[]", {400}),
    ("POST", "/queue/demo", b"[" * 200_000 + b"]" * 200_000, {400}),
    ("POST", "/workflows/chain", b"[" * 200_000 + b"]" * 200_000, {400}),
    ("POST", "/queue/demo", b'{"id": "m1"}', {400}),
    ("POST", "/queue/demo", b'[1, null, "text", []]', {200}),
    ("POST", "/queue/nobody", b"[]", {400, 404}),
    ("POST", "/workflows/nope", b"{}", {404}),
    ("POST", "/workflows/chain", b"{not json", {400}),
    ("POST", "/workflows/chain", b'{"wrong": 1}', {400, 422}),
    ("POST", "/workflows/chain", b"[1, 2]", {400, 422}),
    ("GET", "/hooks/demo", b"", {405}),
    ("DELETE", "/hooks/demo", b"", {405}),
    ("GET", "/queue/demo", b"", {405}),
    ("PUT", "/workflows/chain", b"{}", {405}),
    ("POST", "/healthz", b"", {405}),
    ("GET", "/nowhere", b"", {404}),
    ("POST", "/", b"", {404}),
    ("POST", "/queue/", b"[]", {404}),
    ("GET", "/%ff%00/../etc/passwd", b"", {404}),
]


@pytest.mark.parametrize(
    ("method", "path", "body", "expected"),
    HOSTILE,
    ids=[f"{m} {p[:24]} {len(b)}B" for m, p, b, _ in HOSTILE],
)
def test_hostile_request_is_a_clear_4xx(
    served: tuple[ServeInfo, list[str]], method: str, path: str, body: bytes, expected: set[int]
) -> None:
    info, _lines = served
    with httpx.Client(base_url=info.webhook_url, timeout=30) as client:
        answer = client.request(method, path, content=body, headers={"content-type": "application/json"})
        assert answer.status_code in expected, (answer.status_code, answer.text[:300])
        if answer.status_code >= 400:
            doc = answer.json()
            assert doc["error"] and doc["message"], doc
            assert "Traceback" not in answer.text
        # The server is still healthy after it.
        assert client.get("/healthz").status_code == 200


def test_queue_records_that_are_not_objects_are_failed_records_not_a_crash(
    served: tuple[ServeInfo, list[str]],
) -> None:
    """A batch of scalars is either refused as a whole (400) or every item is a reported failed record."""
    info, _ = served
    answer = httpx.post(f"{info.webhook_url}/queue/demo", content=b'[1, null, "text", []]', timeout=30)
    if answer.status_code == 200:
        doc = answer.json()
        assert doc["records_failed"] == 4 and doc["records_ok"] == 0, doc
    else:
        assert answer.status_code == 400, answer.text


def test_hostile_queue_files_move_to_failed_or_report_failed_records(tmp_path: Path) -> None:
    """The ``--queue-dir`` feed: broken, deeply nested and scalar-item files never kill the watcher."""
    from devkit.invoke import InvokeResult, LocalRuntime
    from devkit.serve import process_queue_dir

    project = make_project(tmp_path)
    try:
        runtime = LocalRuntime(load_template(project.template), project.root)
        folder = tmp_path / "queue"
        folder.mkdir()
        (folder / "demo.1.json").write_text("{broken", encoding="utf-8")
        (folder / "demo.2.json").write_text("[" * 200_000 + "]" * 200_000, encoding="utf-8")
        (folder / "demo.3.json").write_text('{"function": "demo", "messages": 5}', encoding="utf-8")
        (folder / "demo.4.json").write_text(
            '[1, null, {"id": "ok", "body": {"name": "a"}}]', encoding="utf-8"
        )
        seen: list[InvokeResult] = []
        assert process_queue_dir(runtime, folder, seen.append) == 4
        # Files 1-3 never reach the function; file 4 is delivered (1 ok, 2 failed records) and, being
        # partly failed, also lands in failed/ for the developer to look at.
        assert len(seen) == 1
        assert (seen[0].response["records_ok"], seen[0].response["records_failed"]) == (1, 2)
        failed = sorted(p.name for p in (folder / "failed").iterdir())
        assert failed == ["demo.1.json", "demo.2.json", "demo.3.json", "demo.4.json"]
    finally:
        sys.path.remove(str(project.root))


def test_workflow_input_refused_by_the_first_step_says_which_field(
    served: tuple[ServeInfo, list[str]],
) -> None:
    """The first step's 400 (its field-level messages) reaches the caller; it is their input, not a 502."""
    info, _ = served
    answer = httpx.post(f"{info.webhook_url}/workflows/chain", json={"wrong": 1}, timeout=30)
    assert answer.status_code == 400, answer.text
    doc = answer.json()
    assert doc["error"] == "input_rejected" and "step 0 (demo)" in doc["message"]
    assert "name" in json.dumps(doc["step"]) and "wrong" in json.dumps(doc["step"]), doc
