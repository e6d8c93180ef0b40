"""template.yaml's ``rotation_sweep`` end to end through a running ``opsfn serve`` with the real functions.

``run_serve`` runs in a thread on loopback ports with its embedded emulator; the test seeds that emulator
the way key_rotation's tests do (APIG APPs, a Tencent API key, each enrolled as a tagged CSMS secret), some
due (SYSCURRENT moved 45 days ago) and some not (5 days), then ``POST /workflows/rotation_sweep``.

Deviations from the template, both to keep real time out of the test: the ``rotate`` step's
``Retry.IntervalSeconds`` is 1 instead of 10 (the runner sleeps it for real between retries), and the
clients' retry back-off does not sleep. Signature keys are not seeded: their *set* step waits the backends'
``refresh_seconds`` on the wall clock; tests/key_rotation covers them on a fake clock.
"""

from __future__ import annotations

import asyncio
import inspect
import json
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
import yaml

import devkit.emulator.registry as registry
from devkit.emulator.core import Emulator
from devkit.emulator.credentials import (
    DEMO_HUAWEI_AK,
    DEMO_HUAWEI_SK,
    DEMO_REGION,
    DEMO_TENCENT_SECRET_ID,
    DEMO_TENCENT_SECRET_KEY,
)
from devkit.emulator.faults import FaultInjector, parse_fault_spec
from devkit.emulator.services.apig.state import DEFAULT_INSTANCE_ID
from devkit.emulator.services.csms import CsmsBackend
from devkit.serve import ServeInfo, ServeOptions, run_serve
from devkit.template import Template
from shared.config import Settings
from shared.http import make_client
from tests.functions.tagwatch_helpers import DAY
from tests.key_rotation.rotation_world import FakeClock, World, call_ok, no_sleep, setup_app, setup_tencent

REPO = Path(__file__).resolve().parents[2]
PROJECT = "0000000000000000"  # the project of template.yaml's SMN topic URNs, which serve uses locally
TOPIC = f"urn:smn:cn-north-4:{PROJECT}:opsfn-rotation"
DUE = ("app-due", "single-due", "tc-due")
FRESH = ("app-fresh", "single-fresh")  # setup_tencent makes one fixed key id per emulator


def _template(retry: bool = True) -> Template:
    raw = yaml.safe_load((REPO / "template.yaml").read_text(encoding="utf-8"))
    [rotate] = [s for s in raw["Workflows"]["rotation_sweep"]["Steps"] if s["Name"] == "rotate"]
    rotate["Retry"]["IntervalSeconds"] = 1
    if not retry:
        del rotate["Retry"]
    return Template.model_validate(raw)


@dataclass
class Served:
    info: ServeInfo
    emulator: Emulator
    lines: list[str]
    world: World

    def csms(self) -> CsmsBackend:
        backend: CsmsBackend = self.emulator.service("csms").backend(PROJECT)
        return backend

    def current(self) -> dict[str, str]:
        return {name: s.stages["SYSCURRENT"][0] for name, s in self.csms().secrets.items()}

    def value(self, name: str, stage: str = "SYSCURRENT") -> dict[str, Any]:
        secret = self.csms().secrets[name]
        return dict(json.loads(secret.version(secret.stages[stage][0]).secret_string))

    def sweep(self) -> httpx.Response:
        with httpx.Client(base_url=self.info.webhook_url, timeout=30) as client:
            return client.post("/workflows/rotation_sweep", json={})


@pytest.fixture
def served(monkeypatch: pytest.MonkeyPatch, request: pytest.FixtureRequest) -> Iterator[Served]:
    """A running ``opsfn serve``; ``@pytest.mark.parametrize("served", [False], indirect=True)`` drops the
    rotate step's Retry."""
    retry = getattr(request, "param", True)
    env = {
        "HUAWEICLOUD_SDK_AK": DEMO_HUAWEI_AK,
        "HUAWEICLOUD_SDK_SK": DEMO_HUAWEI_SK,
        "HUAWEICLOUD_SDK_REGION": DEMO_REGION,
        "HUAWEICLOUD_SDK_PROJECT_ID": PROJECT,
        "TENCENTCLOUD_SECRET_ID": DEMO_TENCENT_SECRET_ID,
        "TENCENTCLOUD_SECRET_KEY": DEMO_TENCENT_SECRET_KEY,
        "OPSFN_APIG_INSTANCE_ID": DEFAULT_INSTANCE_ID,
    }
    for key, value in env.items():
        monkeypatch.setenv(key, value)
    retry = inspect.signature(make_client).parameters["retry"].default
    original_sleep = retry.sleep
    object.__setattr__(retry, "sleep", no_sleep)  # a frozen dataclass; restored below
    built: list[Emulator] = []
    original = registry.build_emulator

    def capture(**kwargs: Any) -> Emulator:
        built.append(original(**kwargs))
        return built[-1]

    monkeypatch.setattr(registry, "build_emulator", capture)
    lines: list[str] = []
    infos: list[ServeInfo] = []
    stop = threading.Event()
    options = ServeOptions(port=0, emulator_port=0, duration=60, poll_seconds=0.05)
    thread = threading.Thread(
        target=run_serve,
        args=(_template(retry), REPO, options),
        kwargs={"echo": lines.append, "ready": infos.append, "stop": stop},
    )
    thread.start()
    deadline = time.monotonic() + 10
    while not infos:
        assert thread.is_alive() and time.monotonic() < deadline, lines
        time.sleep(0.01)
    emulator = built[0]
    apig = emulator.service("apig").backend(PROJECT)
    apig.instances[DEFAULT_INSTANCE_ID].quotas["APP_KEY_SECRET_SWITCH"] = 1
    try:
        yield Served(infos[0], emulator, lines, World(emulator, Settings.from_env(), FakeClock()))
    finally:
        stop.set()
        thread.join(timeout=15)
        object.__setattr__(retry, "sleep", original_sleep)
    assert not thread.is_alive() and lines[-1] == "stopped"


def _seed(served: Served) -> dict[str, dict[str, Any]]:
    """Enrol every secret, tag its kind, and move its SYSCURRENT back to make it due or not."""

    async def enrol_all() -> dict[str, dict[str, Any]]:
        world = served.world
        return {
            "app-due": await setup_app(world, "app-due"),
            "single-due": await setup_app(world, "single-due", strategy="single"),
            "tc-due": await setup_tencent(world, "tc-due"),
            "app-fresh": await setup_app(world, "app-fresh"),
            "single-fresh": await setup_app(world, "single-fresh", strategy="single"),
        }

    values = asyncio.run(enrol_all())
    backend, now = served.csms(), time.time()
    for name, value in values.items():
        secret = backend.secrets[name]
        backend.tag(secret, "rotation-kind", str(value["kind"]))
        version, _ = secret.stages["SYSCURRENT"]
        secret.stages["SYSCURRENT"] = (version, int(now - (45 if name in DUE else 5) * DAY))
    return values


def _summaries(served: Served) -> list[Any]:
    smn = served.emulator.service("smn")
    return [m for m in smn.messages(TOPIC) if m.subject and m.subject.startswith("opsfn rotation sweep")]


def _assert_end_state(served: Served, before: dict[str, str], values: dict[str, dict[str, Any]]) -> None:
    """Exactly the due secrets moved once (SYSPREVIOUS is the enrolled current), and the gateways take the
    new credentials."""
    after = served.current()
    assert sorted(n for n in after if after[n] != before[n]) == sorted(DUE)
    for name in DUE:
        assert served.csms().secrets[name].stages["SYSPREVIOUS"][0] == before[name], name
        new = served.value(name)
        assert new.get("rotation_id") not in (None, "enrol")
        assert asyncio.run(call_ok(new)), f"{name}: the gateway refuses the new credential"
    for name in FRESH:
        assert asyncio.run(call_ok(values[name])), f"{name}: an untouched secret still works"


def _secret_strings(served: Served) -> list[str]:
    """Every secret credential ever stored in CSMS (old and new), to look for in answers and logs."""
    found = []
    for secret in served.csms().secrets.values():
        for version in secret.versions:
            value = json.loads(version.secret_string)
            found += [str(value[k]) for k in ("app_secret", "access_key_secret") if k in value]
    return found


def test_due_secrets_rotated_others_untouched_one_summary(
    served: Served, capfd: pytest.CaptureFixture[str]
) -> None:
    values = _seed(served)
    before = served.current()
    answer = served.sweep()
    assert answer.status_code == 200, answer.text
    output = answer.json()["output"]
    assert {k: n for k, n in output["by_status"].items() if n} == {"rotated": len(DUE)}, output
    assert output["notifications"]["smn"] == "sent"
    _assert_end_state(served, before, values)
    [summary] = _summaries(served)
    assert all(name in summary.message for name in DUE)
    assert not any(name in summary.message for name in FRESH)
    captured = capfd.readouterr()
    seen = answer.text + summary.message + "\n".join(served.lines) + captured.out + captured.err
    leaked = [s for s in _secret_strings(served) if s in seen]
    assert not leaked, "a secret value reached the answer, the summary or the logs"


@pytest.mark.parametrize("served", [False], indirect=True)
def test_with_20_percent_faults_redelivery_converges(served: Served) -> None:
    """20 % of the emulator's answers fail (5xx, 429, dropped connections; fixed seed) while the sweep runs.
    The rotate step has no Retry here; faults fail some key_rotation calls (asserted on serve's live lines)
    and the workflow is re-POSTed - what a redelivery does - until a sweep finds nothing due; the end
    state is the fault-free one, each due secret rotated exactly once."""
    values = _seed(served)
    before = served.current()
    served.emulator.faults = injector = FaultInjector(seed=1212)
    injector.extend(parse_fault_spec("*:error=0.1,throttle=0.05,drop=0.05"))
    answers = []
    for _ in range(12):
        answer = served.sweep()
        answers.append(answer.status_code)
        output = answer.json().get("output") if answer.status_code == 200 else None
        if output and output.get("total") == 0:
            break
    else:
        pytest.fail(f"the sweep did not settle: {answers}")
    assert injector.total() > 0, "no fault was injected"
    failed = [line for line in served.lines if " key_rotation " in line and " 502 " in line]
    assert failed, "the faults never failed a rotation, so nothing was recovered"
    served.emulator.faults = None
    _assert_end_state(served, before, values)
