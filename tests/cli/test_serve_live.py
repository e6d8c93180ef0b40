"""``opsfn serve`` (the README's main job) run as a developer runs it.

tests/cli/test_serve.py drives ``run_serve`` in a thread and stops it with ``--duration``/``--once``. Here
``opsfn serve`` is a real process on the repository's template, stopped by a real Ctrl-C: the routes are
announced, a signed webhook, a queue batch and the real workflow each print one live line, a hostile
request gets a 4xx, and SIGINT ends the process with exit code 0, "stopped" as the last line and no
traceback.
"""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import httpx

from devkit.invoke import DEV_WEBHOOK_SECRET
from devkit.template import load_template
from shared.verify import sign_standard_webhook

REPO = Path(__file__).resolve().parents[2]


def _reader(stream: object, sink: list[str]) -> None:
    for line in stream:  # type: ignore[attr-defined]
        sink.append(line.rstrip("\n"))


def test_serve_process_live_lines_and_ctrl_c(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("OPSFN_")}
    env.update({"OPSFN_STATE_DIR": str(tmp_path / "state"), "PYTHONUNBUFFERED": "1"})
    command = [sys.executable, "-c", "from devkit.cli import main; main()", "serve", "--port", "0"]
    command += ["--emulator-port", "0"]
    proc = subprocess.Popen(
        [*command, "--template", str(REPO / "template.yaml")],
        cwd=REPO,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    out: list[str] = []
    err: list[str] = []
    readers = [
        threading.Thread(target=_reader, args=(proc.stdout, out), daemon=True),
        threading.Thread(target=_reader, args=(proc.stderr, err), daemon=True),
    ]
    for reader in readers:
        reader.start()
    try:
        deadline = time.monotonic() + 20
        url = None
        while url is None:
            assert proc.poll() is None and time.monotonic() < deadline, (out, err[-20:])
            found = [m for line in out if (m := re.match(r"webhooks on (http://127\.0\.0\.1:\d+)", line))]
            url = found[0][1] if found else None
            time.sleep(0.05)
        listing = "\n".join(out)
        for route in ("/hooks/license/purchase", "/hooks/license/release", "/queue/<function>"):
            assert route in listing, listing
        workflows = ", ".join(load_template(REPO / "template.yaml").workflows)
        assert f"/workflows/<name>  ({workflows})" in listing and "offboard_then_reconcile" in workflows

        body = json.dumps({"request_id": "live-1", "user_id": "1f0c3a9e2b7d4c58a6e1d2f3b4c5d6e7"}).encode()
        headers = sign_standard_webhook(DEV_WEBHOOK_SECRET, f"msg_{time.time_ns()}", int(time.time()), body)
        with httpx.Client(base_url=url, timeout=30) as client:
            answer = client.post(
                "/hooks/license/release",
                content=body,
                headers={**headers, "content-type": "application/json"},
            )
            assert answer.status_code == 200, answer.text
            batch = client.post("/queue/license_release", json=[{"id": "q1", "body": {"oops": 1}}])
            assert batch.status_code == 200 and batch.json()["records_failed"] == 1
            flow = client.post(
                "/workflows/offboard_then_reconcile", json={"request_id": "wf", "user_id": "u1"}
            )
            assert flow.status_code == 200, flow.text
            assert client.get("/queue/license_release").status_code == 405
        deadline = time.monotonic() + 10
        while sum(" license_" in line for line in out) < 4:
            assert time.monotonic() < deadline, out
            time.sleep(0.05)
        live = [line for line in out if " license_" in line]
        assert any("license_release" in x and "webhook" in x and " 200 " in x for x in live), live
        assert any("local_queue" in x and "0 ok/1 failed" in x for x in live), live
        assert any("license_reconcile" in x and "timer" in x for x in live), live

        proc.send_signal(signal.SIGINT)
        assert proc.wait(timeout=20) == 0, (out[-5:], err[-20:])
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait(timeout=10)
    for reader in readers:
        reader.join(timeout=5)
    assert out[-1] == "stopped", out[-5:]
    assert not [line for line in err if "Traceback" in line], err[-30:]
