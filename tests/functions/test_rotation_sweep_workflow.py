"""The rotation_sweep contract test: the local workflow runner (what ``opsfn serve`` runs) with a stand-in
for key_rotation that honours the job/answer contracts, on a minimal ForEach-only workflow. The real flow -
template.yaml's rotation_sweep with the real key_rotation through ``opsfn serve`` - is tested in
test_rotation_sweep_serve.py."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import pytest
import yaml

from devkit.emulator.services.csms import CsmsBackend
from devkit.emulator.services.smn import SmnService
from devkit.invoke import LocalRuntime
from devkit.serve import run_workflow
from devkit.template import Template
from tests.functions.standins import key_rotation as standin
from tests.functions.tagwatch_helpers import DAY, add_secret, good_tags

REPO = Path(__file__).resolve().parents[2]
TOPIC = "urn:smn:cn-north-4:0000000000000000:opsfn-rotation"


def _template() -> Template:
    raw = yaml.safe_load((REPO / "template.yaml").read_text())
    functions = {name: raw["Functions"][name] for name in ("secret_tag_watch", "rotation_report")}
    functions["key_rotation"] = {
        "Handler": "tests.functions.standins.key_rotation.handler",
        "CodeUri": "tests/functions/standins",
        "Events": {"jobs": {"Type": "Kafka", "Properties": {"Instance": "k", "Topic": "rotation-jobs"}}},
    }
    steps = [
        {"Function": "secret_tag_watch"},
        {"Function": "key_rotation", "ForEach": "jobs"},
        {"Function": "rotation_report"},
    ]
    return Template.model_validate(
        {"Version": raw["Version"], "Functions": functions, "Workflows": {"rotation_sweep": {"Steps": steps}}}
    )


@pytest.fixture
def runtime(monkeypatch: pytest.MonkeyPatch) -> Any:
    monkeypatch.setenv("OPSFN_IDEMPOTENCY_STORE", "memory://")
    monkeypatch.delenv("HUAWEICLOUD_SDK_PROJECT_ID", raising=False)
    standin.ATTEMPTS.clear()
    standin.FAIL_FIRST.clear()
    runtime = LocalRuntime(_template(), REPO, target="emulator")
    with runtime.running():
        yield runtime


def _seed(runtime: LocalRuntime) -> tuple[list[str], dict[str, str]]:
    backend: CsmsBackend = runtime.emulator.service("csms").backend("0000000000000000")
    now = time.time()
    due = []
    for i in range(12):
        name = f"sweep-{i:02d}"
        old = i % 3 != 0
        add_secret(backend, name, good_tags(), now - (45 if old else 5) * DAY)
        if old:
            due.append(name)
    add_secret(backend, "no-owner", {"rotation": "enabled", "rotation-kind": "apig-app"}, now - 90 * DAY)
    add_secret(backend, "not-enrolled", {"owner": "x"}, now - 90 * DAY)
    current = {name: s.stages["SYSCURRENT"][0] for name, s in backend.secrets.items()}
    return due, current


def _current(runtime: LocalRuntime) -> dict[str, str]:
    backend: CsmsBackend = runtime.emulator.service("csms").backend("0000000000000000")
    return {name: s.stages["SYSCURRENT"][0] for name, s in backend.secrets.items()}


def _summaries(runtime: LocalRuntime) -> list[Any]:
    smn = runtime.emulator.service("smn")
    assert isinstance(smn, SmnService)
    return [m for m in smn.messages(TOPIC) if m.subject and m.subject.startswith("opsfn rotation sweep")]


def test_due_secrets_are_rotated_the_others_untouched_and_one_summary_sent(runtime: LocalRuntime) -> None:
    due, before = _seed(runtime)
    output = run_workflow(runtime, "rotation_sweep", {})
    after = _current(runtime)
    assert sorted(n for n in after if after[n] != before[n]) == due
    assert output["by_status"]["rotated"] == len(due) and output["notifications"]["smn"] == "sent"
    [summary] = _summaries(runtime)
    assert summary.subject == f"opsfn rotation sweep: {len(due)} rotated"
    # A second sweep finds nothing due: the rotations restarted each secret's clock.
    again = run_workflow(runtime, "rotation_sweep", {})
    assert again["total"] == 0 and _current(runtime) == after


def test_with_faults_the_sweep_converges_after_redelivery(runtime: LocalRuntime) -> None:
    """20 % of the rotations fail on their first attempt; the fan-out stops at the first failure (today's
    runner has no Retry), and running the sweep again - what a redelivery does - converges."""
    due, before = _seed(runtime)
    standin.FAIL_FIRST.update(due[::5])
    for _ in range(len(standin.FAIL_FIRST) + 1):
        try:
            run_workflow(runtime, "rotation_sweep", {})
            break
        except Exception:  # noqa: S112 - the failed step; the next run is the redelivery
            continue
    after = _current(runtime)
    assert sorted(n for n in after if after[n] != before[n]) == due
    assert all(standin.ATTEMPTS[n] == (2 if n in standin.FAIL_FIRST else 1) for n in due)
