"""``opsfn emulator`` as a user runs it - the installed console script in a subprocess.

The other emulator tests drive the click command in-process and the server through a fixture; here the
real executable is started with ``--fault``/``--seed`` flags and the faults are watched arriving over a
socket. The ``opsfn`` script from the virtual environment runs on a free loopback port, signed calls are
made with ``HuaweiAKSKAuth`` and the emulator's documented demo keys, and the faults are observed: a
throttled operation answers 429 with ``Retry-After`` while its neighbours are untouched, ``error`` answers
503, a ``drop`` closes the connection, a wrong key gets 401, and the same seed replays the same fault
sequence.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx
import pytest

from devkit.emulator.credentials import DEMO_HUAWEI_AK, DEMO_HUAWEI_SK
from shared.auth import HuaweiAKSKAuth

OPSFN = Path(sys.executable).with_name("opsfn")
PROJECT = "0a1b2c3d4e5f60718293a4b5c6d7e8f9"

pytestmark = pytest.mark.skipif(not OPSFN.exists(), reason="the opsfn console script is not installed")


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


@contextmanager
def running(*flags: str) -> Iterator[str]:
    """Start ``opsfn emulator`` with ``flags``; yield its base URL once it accepts connections."""
    port = _free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith(("HUAWEICLOUD_", "TENCENTCLOUD_"))}
    proc = subprocess.Popen(
        [str(OPSFN), "emulator", "--port", str(port), "--log-level", "warning", *flags],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        env=env,
        text=True,
    )
    try:
        deadline = time.monotonic() + 15
        while True:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
                break
            except OSError:
                if proc.poll() is not None or time.monotonic() > deadline:
                    output = proc.stdout.read() if proc.stdout else ""
                    pytest.fail(f"opsfn emulator did not start: {output[-2000:]}")
                time.sleep(0.05)
        yield f"http://127.0.0.1:{port}"
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        if proc.stdout:
            proc.stdout.close()


def _client(base_url: str, sk: str = DEMO_HUAWEI_SK) -> httpx.Client:
    return httpx.Client(base_url=base_url, auth=HuaweiAKSKAuth(DEMO_HUAWEI_AK, sk), timeout=5.0)


def test_installed_script_documents_every_flag() -> None:
    result = subprocess.run([str(OPSFN), "emulator", "--help"], capture_output=True, text=True, timeout=30)
    assert result.returncode == 0
    for flag in ("--host", "--port", "--fault", "--seed", "--ide-quota", "--log-level"):
        assert flag in result.stdout
    for kind in ("latency", "throttle", "error", "drop", "timeout", "Retry-After"):
        assert kind in result.stdout
    assert "OPSFN_ENDPOINT_" in result.stdout and "with_endpoints" in result.stdout


def test_a_bad_fault_flag_exits_with_a_usage_error() -> None:
    result = subprocess.run(
        [str(OPSFN), "emulator", "--fault", "csms:melt=0.5"], capture_output=True, text=True, timeout=30
    )
    assert result.returncode == 2 and "--fault" in result.stderr
    assert "Traceback" not in result.stderr


def test_fault_flags_reach_the_wire_per_operation() -> None:
    with (
        running("--seed", "7", "--fault", "csms:ListSecrets:throttle=1.0", "--fault", "iam:drop=1.0") as url,
        _client(url) as client,
    ):
        throttled = client.get(f"/v1/{PROJECT}/secrets")
        assert throttled.status_code == 429
        assert float(throttled.headers["Retry-After"]) >= 0
        created = client.post(f"/v1/{PROJECT}/secrets", json={"name": "cli-audit", "secret_string": "v"})
        assert created.status_code == 200, created.text  # another CSMS operation is not affected
        with pytest.raises(httpx.TransportError):
            client.get("/v3/projects")
        assert client.get(f"/v1/{PROJECT}/secrets/cli-audit").status_code == 200


def test_wrong_key_is_401_over_the_socket() -> None:
    with running() as url, _client(url, sk="not-the-demo-secret") as client:
        refused = client.get(f"/v1/{PROJECT}/secrets")
    assert refused.status_code == 401
    assert refused.json()["error_code"] == "APIGW.0301"
    assert "not-the-demo-secret" not in refused.text


def _statuses(url: str, calls: int) -> list[int]:
    with _client(url) as client:
        return [client.get(f"/v1/{PROJECT}/secrets").status_code for _ in range(calls)]


def test_the_same_seed_replays_the_same_faults() -> None:
    flags = ("--seed", "11", "--fault", "csms:error=0.5")
    with running(*flags) as url:
        first = _statuses(url, 24)
    with running(*flags) as url:
        second = _statuses(url, 24)
    assert first == second
    assert set(first) == {200, 503}  # a rate of 0.5 over 24 calls shows both outcomes
