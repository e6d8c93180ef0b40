"""``opsfn package``: the real functions' zips, as the platform would run them.

tests/cli/test_package.py proves layout, determinism and wheels on a synthetic function, and that each
real zip *imports* on a clean CPython 3.10. This file proves that a real zip *answers its sample events*
there. Each real function is packaged for CPython 3.10, unzipped as FunctionGraph/SCF do, and run under
``python3.10 -I -S`` (no site-packages, no user site, no PYTHON* variables: only the unpacked zip and the
standard library) on its webhook, queue and timer samples through ``index.handler`` (FunctionGraph) and
``index.main_handler`` (SCF), against the emulator on a loopback port. The zip contents are checked
against the target: every native extension and every ``.pyc`` is for CPython 3.10 on x86_64 Linux (the
build machine runs 3.11), every wheel is manylinux x86_64 or pure, and third-party packages are only
those the function's import closure needs.

``shared/`` goes into the zip as a whole (``devkit/package.py`` ships all of it, about 25 kB compressed
the function does not import); "only what that function imports" applies to the runtime dependencies,
and that is what is checked here.
"""

from __future__ import annotations

import json
import os
import subprocess
import textwrap
import zipfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from devkit.emulator.core import Emulator
from devkit.invoke import DEV_WEBHOOK_SECRET, LocalRuntime, sign_event, to_platform
from devkit.package import RUNTIME_DISTRIBUTIONS, build_package, scan_imports, target_python
from devkit.template import load_template

REPO = Path(__file__).resolve().parents[2]
TEMPLATE = load_template(REPO / "template.yaml")
PYTHON310 = target_python("3.10")
FIVE_MB = 5 * 1024 * 1024
CACHE = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "opsfn" / "wheels"

# (sample, entry point, expected) - expected: ("http", status) | ("batch", ok, failed) | ("timer", dry_run)
RUNS: list[tuple[str, str, tuple[Any, ...]]] = [
    ("license_purchase/webhook.json", "functiongraph", ("http", 200)),
    ("license_purchase/webhook.json", "scf", ("http", 200)),
    ("license_purchase/kafka_batch.json", "functiongraph", ("batch", 5, 1)),
    ("license_purchase/scf_ckafka.json", "scf", ("batch", 1, 1)),
    ("license_release/webhook_scf_apigw.json", "scf", ("http", 200)),
    ("license_release/kafka_batch.json", "functiongraph", ("batch", 4, 1)),
    ("license_reconcile/timer.json", "functiongraph", ("timer", True)),
    ("license_reconcile/scf_timer.json", "scf", ("timer", True)),
]

PROBE = textwrap.dedent(
    """
    import json, sys
    assert not any("site-packages" in p for p in sys.path), sys.path
    sys.path.insert(0, sys.argv[1])
    import index
    event = json.loads(open(sys.argv[2], encoding="utf-8").read())
    entry = index.handler if sys.argv[3] == "functiongraph" else index.main_handler
    answer = entry(event, None)
    import pydantic_core
    assert pydantic_core.__file__.startswith(sys.argv[1]), pydantic_core.__file__
    print("ANSWER" + json.dumps(answer))
    """
)


@pytest.fixture(scope="module")
def dist(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("audit-dist")
    for name in TEMPLATE.functions:
        build_package(TEMPLATE, name, REPO, out, python_version="3.10", cache=CACHE)
    return out


@pytest.fixture(scope="module")
def loopback() -> Iterator[tuple[Emulator, str]]:
    from devkit.emulator.registry import build_emulator
    from devkit.emulator.server import running_server

    emulator = build_emulator()
    with running_server(emulator) as url:
        yield emulator, url


def _env(name: str, url: str, runtime: LocalRuntime, tmp: Path) -> dict[str, str]:
    from devkit.emulator.credentials import DEMO_HUAWEI_AK, DEMO_HUAWEI_SK, DEMO_REGION

    urns = runtime._topic_urns()
    env = {
        "PATH": "/usr/bin:/bin",
        "HOME": str(tmp),
        "HUAWEICLOUD_SDK_AK": DEMO_HUAWEI_AK,
        "HUAWEICLOUD_SDK_SK": DEMO_HUAWEI_SK,
        "HUAWEICLOUD_SDK_REGION": DEMO_REGION,
        "HUAWEICLOUD_SDK_PROJECT_ID": urns[0].split(":")[3],
        "OPSFN_WEBHOOK_SECRET": DEV_WEBHOOK_SECRET,
        "OPSFN_IDEMPOTENCY_STORE": "memory://",
        "OPSFN_LOG_LEVEL": "ERROR",
        "OPSFN_STATE_DIR": str(tmp / "state"),
        **{f"OPSFN_ENDPOINT_{s}": url for s in ("IAM", "IDE", "CSMS", "APIG", "SMN", "TENCENT_APIGW")},
    }
    env.update(TEMPLATE.environment(TEMPLATE.functions[name]))
    return env


@pytest.mark.skipif(PYTHON310 is None, reason="no CPython 3.10 interpreter on this machine")
@pytest.mark.parametrize(("sample", "platform", "expected"), RUNS, ids=[f"{s}@{p}" for s, p, _ in RUNS])
def test_real_zip_answers_its_sample_on_clean_python310(
    dist: Path,
    loopback: tuple[Emulator, str],
    tmp_path: Path,
    sample: str,
    platform: str,
    expected: tuple[Any, ...],
) -> None:
    assert PYTHON310 is not None
    emulator, url = loopback
    name = sample.split("/")[0]
    code = tmp_path / "code"
    zipfile.ZipFile(dist / f"{name}.zip").extractall(code)
    runtime = LocalRuntime(TEMPLATE, REPO)
    runtime.emulator = emulator
    emulator.reset()
    runtime.seed()
    event = json.loads((REPO / "events" / sample).read_text(encoding="utf-8"))
    if runtime.needs_signature(name, event):
        event = sign_event(event, DEV_WEBHOOK_SECRET)  # signed now: verification runs in the zip
    event_path = tmp_path / "event.json"
    event_path.write_text(json.dumps(to_platform(event, platform)), encoding="utf-8")
    done = subprocess.run(
        [PYTHON310, "-I", "-S", "-c", PROBE, str(code), str(event_path), platform],
        capture_output=True,
        text=True,
        timeout=60,
        env=_env(name, url, runtime, tmp_path),
        cwd=tmp_path,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    answer = json.loads(done.stdout.split("ANSWER", 1)[1])
    if expected[0] == "http":
        assert answer["statusCode"] == expected[1], answer
    elif expected[0] == "batch":
        assert (answer["records_ok"], answer["records_failed"]) == expected[1:], answer
    else:
        assert answer["ok"] is True and answer["result"]["dry_run"] is expected[1], answer


def _python310_magic() -> bytes:
    assert PYTHON310 is not None
    out = subprocess.run(
        [
            PYTHON310,
            "-I",
            "-c",
            "import importlib.util,sys; sys.stdout.write(importlib.util.MAGIC_NUMBER.hex())",
        ],
        capture_output=True,
        text=True,
        check=True,
        timeout=30,
    ).stdout
    return bytes.fromhex(out)


@pytest.mark.parametrize("name", list(TEMPLATE.functions))
def test_real_zip_contents_are_for_the_target_and_only_what_is_imported(dist: Path, name: str) -> None:
    zip_path = dist / f"{name}.zip"
    assert zip_path.stat().st_size <= FIVE_MB
    archive = zipfile.ZipFile(zip_path)
    names = archive.namelist()
    # Native code: CPython 3.10, x86_64 Linux only.
    natives = [n for n in names if n.endswith(".so")]
    assert natives and all(".cpython-310-x86_64-linux-gnu.so" in n for n in natives), natives
    # Wheels: manylinux x86_64 or pure Python, for cp310 when not pure.
    for wheel_file in (n for n in names if n.endswith(".dist-info/WHEEL")):
        tags = [
            line.split(": ", 1)[1]
            for line in archive.read(wheel_file).decode().splitlines()
            if line.startswith("Tag: ")
        ]
        assert tags, wheel_file
        for tag in tags:
            interp, _abi, plat = tag.split("-")
            assert plat == "any" or (plat.startswith("manylinux") and plat.endswith("x86_64")), tag
            assert plat == "any" or interp == "cp310", tag
    # Byte code: only for 3.10, with 3.10's magic number.
    pycs = [n for n in names if n.endswith(".pyc")]
    if PYTHON310 is not None:
        magic = _python310_magic()
        assert pycs and all(".cpython-310.pyc" in n for n in pycs)
        assert all(archive.read(n)[:4] == magic for n in pycs[:: max(1, len(pycs) // 50)])
    # Third-party packages: exactly the wheels of the distributions the function's imports need.
    fn = TEMPLATE.functions[name]
    _modules, external = scan_imports(REPO, fn.module)
    needed = {RUNTIME_DISTRIBUTIONS[n] for n in external if n in RUNTIME_DISTRIBUTIONS}
    dists = {n.split("/")[0].split("-")[0].lower().replace("_", "-") for n in names if ".dist-info/" in n}
    assert {d.lower() for d in needed} <= dists
    assert not dists & {"redis", "click", "pyyaml", "croniter", "uvicorn", "huaweicloudsdkcore", "hypothesis"}
    tops = {n.split("/")[0] for n in names if "/" in n and ".dist-info/" not in n}
    assert not tops & {"devkit", "tests", "bench", "yaml", "redis", "click", "croniter", "uvicorn"}
    folders = {n.split("/")[1] for n in names if n.startswith("functions/") and n.count("/") > 1}
    assert folders - {"__pycache__"} == {name}  # no other function's code


def test_downloads_report_progress_and_a_cache_hit_is_silent(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Progress on long work: the download is announced, then what arrived (count, MB, each wheel)."""
    import devkit.package as package

    def fake_pip(requirements: list[str], python_version: str, dest: Path) -> None:
        for req in requirements:
            name = req.split("=")[0]
            with zipfile.ZipFile(dest / f"{name}-1.0-py3-none-any.whl", "w") as wheel:
                wheel.writestr(f"{name}-1.0.dist-info/METADATA", f"Name: {name}\nVersion: 1.0\n")
                wheel.writestr(f"{name}/__init__.py", "x = 1\n" * 1000)

    monkeypatch.setattr(package, "_pip_download", fake_pip)
    lines: list[str] = []
    files = package.download_wheels(["alpha==1.0", "beta==1.0"], "3.10", tmp_path, echo=lines.append)
    assert len(files) == 2
    assert lines[0].startswith(
        "  downloading wheels for CPython 3.10 manylinux2014_x86_64: alpha==1.0 beta==1.0"
    )
    assert lines[1].startswith("  downloaded 2 wheel(s), ") and " MB; cached in " in lines[1]
    assert lines[2:] == ["    alpha-1.0-py3-none-any.whl", "    beta-1.0-py3-none-any.whl"]
    again: list[str] = []
    assert package.download_wheels(["alpha==1.0", "beta==1.0"], "3.10", tmp_path, echo=again.append) == files
    assert again == []


def test_readme_states_the_sizes_opsfn_package_prints(dist: Path) -> None:
    """The README's "about N MB each with byte code (M MB without)" matches the zips built here."""
    import re

    readme = (REPO / "README.md").read_text(encoding="utf-8").replace("\n", " ")
    match = re.search(r"about ([\d.]+) MB each with byte code.*?\(([\d.]+) MB when no interpreter", readme)
    assert match is not None
    stated = float(match[1]) if PYTHON310 is not None else float(match[2])
    for name in TEMPLATE.functions:
        size = (dist / f"{name}.zip").stat().st_size / 1024 / 1024  # as `opsfn package` prints it
        # "about": the wheels are the newest releases the pins allow on the day, so a fresh venv may build
        # a few hundred kB more or less than the figure measured when the README was written.
        assert abs(size - stated) <= 0.3, (name, round(size, 2), stated)
