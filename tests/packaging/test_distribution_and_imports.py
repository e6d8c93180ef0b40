"""Packaging facts and what runtime code may import.

The packaging promises: one distribution with the ``opsfn`` console script, runtime dependencies exactly
httpx/pydantic/structlog, a ``redis`` extra, the official SDKs only as dev dependencies,
``requires-python >= 3.10``. And ``shared/`` and ``functions/`` - the code bundled into function zips -
import nothing else at module level (an SDK import would pull megabytes into a cold start; ``redis`` is
allowed only lazily, inside a function, for the optional store), and are valid Python 3.10 syntax.
"""

from __future__ import annotations

import ast
import importlib.metadata
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
PYPROJECT = (ROOT / "pyproject.toml").read_text()
RUNTIME_THIRD_PARTY = {"httpx", "pydantic", "structlog"}
LAZY_ONLY = {"redis"}
FIRST_PARTY = {"shared", "functions"}


def _name(requirement: str) -> str:
    match = re.match(r"[A-Za-z0-9_.-]+", requirement)
    assert match is not None
    return match.group(0).lower()


def test_distribution_dependencies_and_script() -> None:
    """Read from the metadata pip built out of pyproject.toml (what an install really gets)."""
    meta = importlib.metadata.metadata("opsfn")
    assert meta["Requires-Python"] == ">=3.10"
    by_extra: dict[str, set[str]] = {}
    for requirement in meta.get_all("Requires-Dist") or []:
        extra = re.search(r'extra == "([^"]+)"', requirement)
        by_extra.setdefault(extra.group(1) if extra else "", set()).add(_name(requirement))
    assert by_extra[""] == RUNTIME_THIRD_PARTY
    assert by_extra["redis"] == {"redis"}
    sdks = {
        "huaweicloudsdkcore",
        "huaweicloudsdkapig",
        "huaweicloudsdkcsms",
        "tencentcloud-sdk-python-apigateway",
    }
    assert sdks | {"pytest", "hypothesis", "ruff", "mypy"} <= by_extra["dev"]
    assert not any(sdks & names for extra, names in by_extra.items() if extra != "dev")
    (script,) = [e for e in importlib.metadata.entry_points(group="console_scripts") if e.name == "opsfn"]
    assert script.value == "devkit.cli:main"
    assert re.search(r"(?m)^strict = true$", PYPROJECT) and re.search(
        r'(?m)^target-version = "py310"$', PYPROJECT
    )


def _runtime_files() -> list[Path]:
    return sorted(p for top in ("shared", "functions") for p in (ROOT / top).rglob("*.py"))


def _imports(tree: ast.Module) -> list[tuple[str, bool]]:
    """(top-level module name, imported at module level?) for every import that can run.

    Imports under ``if TYPE_CHECKING:`` never run and are skipped; imports inside a function run lazily.
    """
    nested: set[int] = set()
    never_run: set[int] = set()
    for node in ast.walk(tree):
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            nested.update(id(inner) for inner in ast.walk(node) if inner is not node)
        if isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test):
            never_run.update(id(inner) for stmt in node.body for inner in ast.walk(stmt))
    found = []
    for node in ast.walk(tree):
        if id(node) in never_run:
            continue
        if isinstance(node, ast.Import):
            found += [(alias.name.split(".")[0], id(node) not in nested) for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            found.append((node.module.split(".")[0], id(node) not in nested))
    return found


def test_runtime_code_imports_only_the_allowed_packages() -> None:
    files = _runtime_files()
    assert any(p.name == "auth.py" for p in files)
    allowed = set(sys.stdlib_module_names) | RUNTIME_THIRD_PARTY | FIRST_PARTY
    problems = []
    for path in files:
        for module, top_level in _imports(ast.parse(path.read_text(), str(path))):
            if module in allowed or (module in LAZY_ONLY and not top_level):
                continue
            problems.append(f"{path.relative_to(ROOT)}: {module}{' (module level)' if top_level else ''}")
    assert problems == []


PY310 = next(
    (
        c
        for c in ("/root/.pyenv/versions/3.10.13/bin/python3.10", shutil.which("python3.10") or "")
        if c and Path(c).exists()
    ),
    "",
)


@pytest.mark.skipif(not PY310, reason="no CPython 3.10 interpreter on this machine")
def test_runtime_code_is_python_3_10_syntax() -> None:
    """Compile every runtime file with a real 3.10 (no ``except*``, no 3.11-only grammar) and check the
    3.11-only standard-library names the linter's py310 target does not catch."""
    files = [str(p) for p in _runtime_files()]
    script = "import sys\nfor f in sys.argv[1:]:\n    compile(open(f, encoding='utf-8').read(), f, 'exec')\n"
    result = subprocess.run([PY310, "-c", script, *files], capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr[-2000:]
    too_new = re.compile(
        r"\b(tomllib|datetime\.UTC|typing\.Self|StrEnum|ExceptionGroup|asyncio\.TaskGroup)\b"
    )
    offenders = [f for f in files if too_new.search(Path(f).read_text())]
    assert offenders == []
