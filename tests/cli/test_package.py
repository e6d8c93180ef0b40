"""``opsfn package``: contents, sizes, determinism, and the zip working on a clean CPython 3.10.

The import test extracts the zip first, exactly as FunctionGraph and SCF do: C extensions such as
``pydantic_core._pydantic_core`` cannot be loaded by zipimport straight from a zip, so "only the zip on
sys.path" means only the *extracted* package directory on ``sys.path`` (``-I -S``: no site-packages,
no user site, no environment variables).
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import textwrap
import zipfile
from dataclasses import dataclass
from pathlib import Path

import pytest
from _cli_helpers import HANDLER, REPO, copy_shared
from click.testing import CliRunner

from devkit.cli import main
from devkit.package import scan_imports, target_python

FIVE_MB = 5 * 1024 * 1024
TEMPLATE = textwrap.dedent(
    """\
    Version: opsfn/2026-11
    Functions:
      demo:
        Handler: functions.demo.handler.handler
        CodeUri: functions/demo
    """
)


def _python310() -> str | None:
    for candidate in ("/root/.pyenv/versions/3.10.13/bin/python3.10", shutil.which("python3.10")):
        if candidate and Path(candidate).is_file():
            return candidate
    return None


def _cache() -> Path:
    """The same wheel cache as `opsfn package` uses by default, so repeated runs download nothing."""
    base = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache")
    return base / "opsfn" / "wheels"


@dataclass(frozen=True)
class Built:
    root: Path
    dist: Path
    output: str


@pytest.fixture(scope="session")
def built(tmp_path_factory: pytest.TempPathFactory) -> Built:
    """A project laid out like the real one (``functions/demo``, ``shared/``), packaged once."""
    root = tmp_path_factory.mktemp("pkgproject")
    code = root / "functions" / "demo"
    code.mkdir(parents=True)
    (root / "functions" / "__init__.py").write_text("", encoding="utf-8")
    (code / "__init__.py").write_text("", encoding="utf-8")
    (code / "handler.py").write_text(HANDLER, encoding="utf-8")
    pycache = code / "__pycache__"
    pycache.mkdir()
    (pycache / "handler.cpython-311.pyc").write_bytes(b"stale")
    copy_shared(root)
    (root / "template.yaml").write_text(TEMPLATE, encoding="utf-8")
    dist = root / "dist"
    result = CliRunner().invoke(
        main,
        ["package", "--template", str(root / "template.yaml"), "--out", str(dist), "--cache", str(_cache())],
    )
    assert result.exit_code == 0, result.output
    return Built(root, dist, result.output)


def test_zip_layout_and_size(built: Built) -> None:
    zip_path = built.dist / "demo.zip"
    size = zip_path.stat().st_size
    assert size <= FIVE_MB
    assert f"{size / 1024 / 1024:.2f} MB" in built.output
    names = set(zipfile.ZipFile(zip_path).namelist())
    assert {
        "index.py",
        "functions/__init__.py",
        "functions/demo/handler.py",
        "shared/runtime/__init__.py",
    } <= names
    # Development tooling (the fake platform contexts included) never ships.
    assert not any(n.startswith("devkit/") or "fake_contexts" in n or "triggers/testing" in n for n in names)
    # The developer's stale 3.11 byte code never ships; type stubs neither.
    assert not any(n.endswith((".pyi", ".cpython-311.pyc")) for n in names)
    pycs = {n for n in names if n.endswith(".pyc")}
    if target_python("3.10") is not None:
        # Byte code for the target version, one per module (unchecked-hash: valid after any unzip).
        sources = {n for n in names if n.endswith(".py")}
        expected = {
            f"{n.rsplit('/', 1)[0]}/__pycache__/{n.rsplit('/', 1)[1][:-3]}.cpython-310.pyc"
            if "/" in n
            else f"__pycache__/{n[:-3]}.cpython-310.pyc"
            for n in sources
        }
        assert expected <= pycs
        header = zipfile.ZipFile(zip_path).read("shared/runtime/__pycache__/__init__.cpython-310.pyc")[4:8]
        assert int.from_bytes(header, "little") == 0b01  # PEP 552 flags: hash-based, source unchecked
    else:
        assert not pycs
    # Platform wheels: the manylinux CPython 3.10 build of pydantic-core, never the build machine's 3.11.
    cores = [n for n in names if n.startswith("pydantic_core/_pydantic_core")]
    assert cores and all("cpython-310-x86_64-linux-gnu" in n for n in cores), cores
    for package in ("httpx", "pydantic", "structlog", "httpcore", "anyio", "h11", "idna", "exceptiongroup"):
        assert f"{package}/__init__.py" in names, package
    # Dev-only packages never ship.
    assert not any(n.split("/")[0] in ("devkit", "click", "yaml", "redis", "tests") for n in names)
    index = zipfile.ZipFile(zip_path).read("index.py").decode()
    assert "from functions.demo.handler import handler as handler" in index
    assert "from functions.demo.handler import main_handler" in index


def test_zip_is_deterministic(built: Built, tmp_path: Path) -> None:
    again = CliRunner().invoke(
        main,
        [
            "package",
            "demo",
            "--template",
            str(built.root / "template.yaml"),
            "--out",
            str(tmp_path),
            "--cache",
            str(_cache()),
        ],
    )
    assert again.exit_code == 0, again.output
    assert "downloading" not in again.output  # served from the cache manifest
    assert (tmp_path / "demo.zip").read_bytes() == (built.dist / "demo.zip").read_bytes()


def test_extracted_zip_imports_and_runs_on_clean_python310(built: Built, tmp_path: Path) -> None:
    python = _python310()
    if python is None:
        pytest.skip("no CPython 3.10 interpreter (python3.10) on this machine")
    target = tmp_path / "code"
    zipfile.ZipFile(built.dist / "demo.zip").extractall(target)
    event = json.loads((REPO / "events" / "_platform" / "fg_timer.json").read_text(encoding="utf-8"))
    event["user_event"] = json.dumps({"dry_run": True})
    script = textwrap.dedent(
        f"""
        import json, sys
        sys.path[:] = [{str(target)!r}] + [p for p in sys.path if "site-packages" not in p]
        import index, pydantic_core
        from anyio._backends import _asyncio  # needs exceptiongroup on 3.10 (a marker pip misjudges)
        assert pydantic_core.__file__.startswith({str(target)!r}), pydantic_core.__file__
        print(json.dumps(index.handler(json.loads(sys.argv[1]), None)))
        """
    )
    env = {"PATH": "/usr/bin:/bin", "OPSFN_STATE_DIR": str(tmp_path / "state")}
    done = subprocess.run(
        [python, "-I", "-S", "-c", script, json.dumps(event)],
        capture_output=True,
        text=True,
        timeout=60,
        env=env,
        cwd=tmp_path,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    response = json.loads(done.stdout.strip().splitlines()[-1])
    assert response["result"] == {"dry_run": True, "items": ["a", "b"]} or response.get("dry_run") is True, (
        response
    )


def test_scan_follows_project_imports_and_reports_third_party() -> None:
    modules, external = scan_imports(REPO, "shared.runtime")
    assert "shared.runtime.http" in modules and "shared.triggers" in modules
    assert {"httpx", "pydantic", "structlog"} <= external
    assert not {"click", "yaml", "devkit"} & external


def test_unknown_function_is_refused(built: Built) -> None:
    result = CliRunner().invoke(
        main, ["package", "nope", "--template", str(built.root / "template.yaml"), "--out", str(built.dist)]
    )
    assert result.exit_code != 0
    assert "unknown function(s): nope" in result.output


@pytest.fixture(scope="session")
def real_dist(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The repository's own functions, packaged once per session."""
    out = tmp_path_factory.mktemp("realdist")
    result = CliRunner().invoke(
        main,
        ["package", "--template", str(REPO / "template.yaml"), "--out", str(out), "--cache", str(_cache())],
    )
    assert result.exit_code == 0, result.output
    return out


def _real_functions() -> list[str]:
    from devkit.template import load_template

    return list(load_template(REPO / "template.yaml").functions)


@pytest.mark.parametrize("name", _real_functions())
def test_real_function_zip_imports_on_python310(real_dist: Path, name: str, tmp_path: Path) -> None:
    zip_path = real_dist / f"{name}.zip"
    assert zip_path.stat().st_size <= FIVE_MB
    names = zipfile.ZipFile(zip_path).namelist()
    assert f"functions/{name}/handler.py" in names
    foreign = [
        n
        for n in names
        if n.startswith("functions/") and n.count("/") > 1 and f"/{name}/" not in n and "__pycache__" not in n
    ]
    assert not foreign
    python = _python310()
    if python is None:
        pytest.skip("no CPython 3.10 interpreter (python3.10) on this machine")
    target = tmp_path / "code"
    zipfile.ZipFile(zip_path).extractall(target)
    script = (
        f"import sys; sys.path[:] = [{str(target)!r}] + [p for p in sys.path if 'site-packages' not in p]; "
        "import index; assert callable(index.handler) and callable(index.main_handler); print('ok')"
    )
    done = subprocess.run(
        [python, "-I", "-S", "-c", script],
        capture_output=True,
        text=True,
        timeout=60,
        cwd=tmp_path,
        check=False,
    )
    assert done.returncode == 0 and done.stdout.strip() == "ok", done.stderr


def test_the_rendered_scf_src_is_the_unpacked_package(built: Built) -> None:
    """The SCF component uploads a folder (`src`: a local directory, or a COS bucket/key; no local zip):
    the folder `opsfn render --target scf` names is the one `opsfn package` leaves, with the zip's files."""
    import yaml

    out = built.root / "deploy" / "scf"
    args = ["render", "--target", "scf", "--template", str(built.root / "template.yaml"), "--out", str(out)]
    rendered = CliRunner().invoke(main, [*args, "--dist", str(built.dist)], catch_exceptions=False)
    assert rendered.exit_code == 0, rendered.output
    doc = yaml.safe_load((out / "demo" / "serverless.yml").read_text(encoding="utf-8"))
    src = (out / "demo" / doc["inputs"]["src"]["src"]).resolve()
    assert src == (built.dist / "demo").resolve()
    assert f"{built.dist / 'demo'}{os.sep}  the same files unpacked" in built.output
    unpacked = {p.relative_to(src).as_posix() for p in src.rglob("*") if p.is_file()}
    assert unpacked == set(zipfile.ZipFile(built.dist / "demo.zip").namelist())
    assert (src / "index.py").read_bytes() == zipfile.ZipFile(built.dist / "demo.zip").read("index.py")


@pytest.mark.parametrize("fails", [False, True], ids=["imports", "import-fails"])
def test_index_pauses_the_collector_only_while_the_handler_imports(tmp_path: Path, fails: bool) -> None:
    """The entry module freezes the import's objects and always turns the collector back on, also when
    the handler's import raises (the platform reports that error; the instance must not run without GC)."""
    from devkit.package import _index_py
    from devkit.template import FunctionSpec

    handler = tmp_path / "functions" / "demo" / "handler.py"
    handler.parent.mkdir(parents=True)
    for folder in (handler.parent.parent, handler.parent):
        (folder / "__init__.py").write_text("", encoding="utf-8")
    body = "raise ImportError('broken handler')\n" if fails else "import gc\nDURING = gc.isenabled()\n"
    handler.write_text(body + "handler = main_handler = print\n", encoding="utf-8")
    spec = FunctionSpec.model_validate(
        {"Handler": "functions.demo.handler.handler", "CodeUri": "functions/demo"}
    )
    (tmp_path / "index.py").write_text(_index_py(spec), encoding="utf-8")
    script = (
        f"import gc, sys\nsys.path.insert(0, {str(tmp_path)!r})\n"
        "try:\n    import index\nexcept ImportError as exc:\n    print('failed', exc)\n"
        "else:\n    print('during', sys.modules['functions.demo.handler'].DURING)\n"
        "print('enabled', gc.isenabled(), 'frozen', gc.get_freeze_count() > 0)\n"
    )
    done = subprocess.run(
        [sys.executable, "-I", "-c", script],
        capture_output=True,
        text=True,
        cwd=tmp_path,
        timeout=60,
        check=True,
    )
    lines = done.stdout.splitlines()
    assert lines[-1] == "enabled True frozen True"
    assert lines[0] == ("failed broken handler" if fails else "during False")
