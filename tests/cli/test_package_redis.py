"""``opsfn package`` bundles the Redis client when the configuration selects the Redis store, and the
unpacked zip then answers duplicate deliveries from two processes exactly once.

The proof runs as production would: the zip for CPython 3.10, unpacked, under ``python3.10 -I -S`` (only
the zip and the standard library), against a real ``redis-server`` (started by the fixture of
tests/idempotency) and the emulator on a loopback port. Two processes receive the same Kafka batch at the
same moment and each retries while the platform would redeliver (``RedeliveryRequested``); every request
must be executed by exactly one of them (the other is answered from the store) and every developer ends
with exactly one bound seat.
"""

from __future__ import annotations

import json
import subprocess
import textwrap
import uuid
import zipfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from devkit.emulator.core import Emulator
from devkit.invoke import DEV_WEBHOOK_SECRET, LocalRuntime
from devkit.package import PackageError, build_package, selected_extras
from devkit.template import load_template
from tests.cli.test_package_functions import CACHE, PYTHON310, REPO, TEMPLATE
from tests.functions.conftest import kafka, machine
from tests.idempotency.conftest import redis_url  # noqa: F401 - the real redis-server fixture

NAME = "license_purchase"

WORKER = textwrap.dedent(
    """
    import json, sys, time
    assert not any("site-packages" in p for p in sys.path), sys.path
    sys.path.insert(0, sys.argv[1])
    import index, redis
    assert redis.__file__.startswith(sys.argv[1]), redis.__file__
    event = json.loads(open(sys.argv[2], encoding="utf-8").read())
    for attempt in range(100):
        try:
            answer = index.handler(json.loads(json.dumps(event)), None)
        except Exception as exc:  # RedeliveryRequested: the platform redelivers the batch
            assert type(exc).__name__ == "RedeliveryRequested", repr(exc)
            time.sleep(0.05)
            continue
        print("ANSWER" + json.dumps({"attempts": attempt + 1, **answer}))
        break
    """
)


def test_the_environment_or_an_explicit_with_selects_redis() -> None:
    assert selected_extras({"OPSFN_IDEMPOTENCY_STORE": "redis://dcs:6379/0"}) == {"redis"}
    assert selected_extras({"OPSFN_IDEMPOTENCY_STORE": " rediss://dcs:6380/0"}) == {"redis"}
    assert selected_extras({"OPSFN_IDEMPOTENCY_STORE": "sqlite:///tmp/x.db"}) == set()
    assert selected_extras({}, ["redis"]) == {"redis"}
    with pytest.raises(PackageError, match="unknown --with"):
        selected_extras({}, ["memcached"])


@pytest.fixture(scope="module")
def redis_dist(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """license_purchase with the store set to Redis in the template environment (no --with)."""
    out = tmp_path_factory.mktemp("redis-dist")
    text = (REPO / "template.yaml").read_text(encoding="utf-8")
    text = text.replace(
        "      # OPSFN_IDEMPOTENCY_STORE: redis://dcs-host:6379/0",
        "      OPSFN_IDEMPOTENCY_STORE: redis://dcs:6379/0",
    )
    assert "      OPSFN_IDEMPOTENCY_STORE: redis://dcs" in text
    template_path = out / "template.yaml"
    template_path.write_text(text, encoding="utf-8")
    template = load_template(template_path)
    result = build_package(template, NAME, REPO, out, python_version="3.10", cache=CACHE)
    assert "redis" in result.distributions, result.distributions
    return out


def test_the_zip_carries_redis_and_what_it_needs_on_the_target(redis_dist: Path) -> None:
    """(Without the selection redis stays out: test_package_functions checks each plain zip holds only
    the distributions its imports need.)"""
    names = zipfile.ZipFile(redis_dist / f"{NAME}.zip").namelist()
    assert "redis/__init__.py" in names
    assert any(n.startswith("async_timeout/") for n in names)  # redis needs it below Python 3.11.3


@pytest.fixture
def loopback() -> Iterator[tuple[Emulator, str]]:
    from devkit.emulator.registry import build_emulator
    from devkit.emulator.server import running_server

    emulator = build_emulator()
    with running_server(emulator) as url:
        yield emulator, url


def _env(url: str, store: str, project: str, tmp: Path) -> dict[str, str]:
    from devkit.emulator.credentials import DEMO_HUAWEI_AK, DEMO_HUAWEI_SK, DEMO_REGION

    return {
        "PATH": "/usr/bin:/bin",
        "HOME": str(tmp),
        "HUAWEICLOUD_SDK_AK": DEMO_HUAWEI_AK,
        "HUAWEICLOUD_SDK_SK": DEMO_HUAWEI_SK,
        "HUAWEICLOUD_SDK_REGION": DEMO_REGION,
        "HUAWEICLOUD_SDK_PROJECT_ID": project,
        "OPSFN_WEBHOOK_SECRET": DEV_WEBHOOK_SECRET,
        "OPSFN_IDEMPOTENCY_STORE": store,
        "OPSFN_LOG_LEVEL": "ERROR",
        **{f"OPSFN_ENDPOINT_{s}": url for s in ("IAM", "IDE", "SMN")},
    }


@pytest.mark.skipif(PYTHON310 is None, reason="no CPython 3.10 interpreter on this machine")
def test_unpacked_zip_answers_duplicates_from_two_processes_exactly_once(
    redis_dist: Path,
    loopback: tuple[Emulator, str],
    redis_url: str,  # noqa: F811 - the imported fixture
    tmp_path: Path,
) -> None:
    assert PYTHON310 is not None
    emulator, url = loopback
    runtime = LocalRuntime(TEMPLATE, REPO)
    runtime.emulator = emulator
    runtime.seed()
    project = runtime._topic_urns()[0].split(":")[3]
    code = tmp_path / "code"
    zipfile.ZipFile(redis_dist / f"{NAME}.zip").extractall(code)
    run = uuid.uuid4().hex[:8]
    requests = [
        {"request_id": f"{run}-{n}", "user_id": f"u{run}{n}", "machine_code": machine(n)} for n in range(6)
    ]
    event_path = tmp_path / "batch.json"
    event_path.write_text(json.dumps(kafka(requests)), encoding="utf-8")
    env = _env(url, redis_url, project, tmp_path)
    command = [PYTHON310, "-I", "-S", "-c", WORKER, str(code), str(event_path)]
    workers = [
        subprocess.Popen(
            command, env=env, cwd=tmp_path, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
        )
        for _ in range(2)
    ]
    answers: list[dict[str, Any]] = []
    for worker in workers:
        stdout, stderr = worker.communicate(timeout=120)
        assert worker.returncode == 0 and "ANSWER" in stdout, stderr[-3000:]
        answers.append(json.loads(stdout.split("ANSWER", 1)[1]))
    executed: dict[str, int] = {}
    for answer in answers:
        assert answer["records_ok"] == len(requests) and answer["redeliver"] is False, answer
        for result in answer["results"]:
            if not result.get("replayed"):
                executed[result["id"]] = executed.get(result["id"], 0) + 1
    assert sorted(executed.values()) == [1] * len(requests), (executed, answers)
    ide = emulator.service("ide").backend(project)
    bound = [r.user_id for r in ide.licenses.values() if r.machine_code and r.user_id.startswith(f"u{run}")]
    assert sorted(bound) == sorted(r["user_id"] for r in requests)
