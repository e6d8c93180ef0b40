"""``opsfn package``: one deployable zip per function, with its dependencies built for the platform.

Why this shape:

* FunctionGraph and SCF unzip the package and import ``index`` from the code root, so each zip gets a
  top-level ``index.py`` re-exporting the template's handler (``index.handler`` for FunctionGraph,
  ``index.main_handler`` for SCF) next to ``functions/__init__.py``, ``functions/<name>/`` and ``shared/``.
* The dependencies must be wheels for the *platform* (manylinux2014 x86_64, CPython of the chosen
  version), not for the build machine: pydantic-core is a C extension. ``pip download --only-binary``
  with an explicit platform/ABI fetches exactly those, into a cache so repeated builds are offline.
* Only what the function imports is bundled: the imports are found by walking the AST of the handler
  module and every project module it reaches (lazy imports included), and only the declared runtime
  dependencies (httpx, pydantic, structlog) are bundled; pip resolves their own dependencies.
* Optional runtime dependencies are bundled when the function's configuration selects them: the Redis
  client (``redis``) when the template environment sets ``OPSFN_IDEMPOTENCY_STORE`` to ``redis://`` or
  ``rediss://``, or when asked explicitly (``opsfn package --with redis``: the store is set at deploy
  time). Without it a Redis store fails at run time, on every event.
* Zips are deterministic (fixed timestamps, sorted entries) so an unchanged function yields an
  identical artefact and deployment tools can skip it.
"""

from __future__ import annotations

import ast
import hashlib
import json
import os
import shutil
import subprocess
import sys
import zipfile
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from devkit.template import FunctionSpec, Template

__all__ = [
    "OPTIONAL_DISTRIBUTIONS",
    "RUNTIME_DISTRIBUTIONS",
    "PackageError",
    "PackageResult",
    "build_package",
    "check_python_version",
    "download_wheels",
    "missing_requirements",
    "scan_imports",
    "selected_extras",
]

# Import name -> distribution name of the declared runtime dependencies (pyproject `dependencies`).
RUNTIME_DISTRIBUTIONS = {"httpx": "httpx", "pydantic": "pydantic", "structlog": "structlog"}
OPTIONAL_DISTRIBUTIONS = {"redis": "redis"}
"""``--with`` name -> distribution of the optional runtime dependencies (pyproject extras)."""
_SHARED = "shared"
_FIXED_TIME = (2020, 1, 1, 0, 0, 0)
_DROP_SUFFIXES = (".pyc", ".pyo", ".pyi")
_DROP_NAMES = frozenset({"__pycache__", "py.typed", "RECORD", "INSTALLER", "REQUESTED"})
PLATFORM = "manylinux2014_x86_64"


class PackageError(Exception):
    """Packaging failed; the message says which function and why."""


# CPython versions the platforms run and the runtime dependencies ship wheels for.
SUPPORTED_PYTHONS = ("3.9", "3.10", "3.11", "3.12")


def check_python_version(version: str) -> None:
    """Refuse a ``--python`` outside 3.9-3.12 before any download (pip would fail late and obscurely)."""
    if version not in SUPPORTED_PYTHONS:
        raise PackageError(f"--python {version!r}: expected one of {', '.join(SUPPORTED_PYTHONS)}")


@dataclass(frozen=True)
class PackageResult:
    name: str
    path: Path
    size: int
    distributions: tuple[str, ...]
    skipped_imports: tuple[str, ...]


# --------------------------------------------------------------------------------------- import scan


def _module_file(root: Path, module: str) -> Path | None:
    base = root.joinpath(*module.split("."))
    for candidate in (base.with_suffix(".py"), base / "__init__.py"):
        if candidate.is_file():
            return candidate
    return None


def _imports_of(path: Path, module: str) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    package = module if path.name == "__init__.py" else module.rpartition(".")[0]
    found: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                parts = package.split(".")
                base = ".".join(parts[: len(parts) - node.level + 1])
                target = f"{base}.{node.module}" if node.module else base
            else:
                target = node.module or ""
            found.add(target)
            # `from pkg import module` may name submodules.
            found.update(f"{target}.{alias.name}" for alias in node.names)
    return found


def scan_imports(root: Path, entry_module: str) -> tuple[set[str], set[str]]:
    """(project modules reached from ``entry_module``, top-level third-party/stdlib names imported).

    Project modules are those of ``shared`` and of the handler's top-level package (``functions``).
    """
    project = (_SHARED, entry_module.split(".")[0])
    seen: set[str] = set()
    external: set[str] = set()
    queue = [entry_module]
    while queue:
        module = queue.pop()
        if module in seen:
            continue
        path = _module_file(root, module)
        if path is None:
            if module.split(".")[0] not in project:
                external.add(module.split(".")[0])
            continue
        seen.add(module)
        # Importing a submodule imports its parent packages too.
        parts = module.split(".")
        queue.extend(".".join(parts[:i]) for i in range(1, len(parts)))
        for name in _imports_of(path, module):
            if name.split(".")[0] in project:
                queue.append(name)
            elif name:
                external.add(name.split(".")[0])
    return seen, external


# -------------------------------------------------------------------------------------------- wheels


def _pins(distributions: Iterable[str]) -> list[str]:
    """Pin each distribution to the version this checkout is tested with.

    Optional ones are capped instead (``<=``): redis-py drops old Pythons in new releases (8.2 needs
    3.11), so the build machine's version may not exist for the target; pip then takes the newest release
    for the target that is not newer than the tested one.
    """
    from importlib.metadata import PackageNotFoundError, version

    pins = []
    for dist in sorted(set(distributions)):
        operator = "<=" if dist in OPTIONAL_DISTRIBUTIONS.values() else "=="
        try:
            pins.append(f"{dist}{operator}{version(dist)}")
        except PackageNotFoundError:
            pins.append(dist)
    return pins


def selected_extras(environment: dict[str, str], explicit: Iterable[str] = ()) -> set[str]:
    """The optional dependencies a function needs: ``explicit`` plus what its environment selects."""
    chosen = set(explicit)
    unknown = chosen - set(OPTIONAL_DISTRIBUTIONS)
    if unknown:
        raise PackageError(
            f"unknown --with {', '.join(sorted(unknown))} (known: {', '.join(OPTIONAL_DISTRIBUTIONS)})"
        )
    store = environment.get("OPSFN_IDEMPOTENCY_STORE", "").strip()
    if store.startswith(("redis://", "rediss://")):
        chosen.add("redis")
    return chosen


def _marker_tools() -> tuple[Any, Any]:
    """``(Requirement, canonicalize_name)`` from ``packaging``, else from the copy pip vendors."""
    import importlib

    for base in ("packaging", "pip._vendor.packaging"):  # pip (needed to download) always carries one
        try:
            requirements = importlib.import_module(f"{base}.requirements")
            utils = importlib.import_module(f"{base}.utils")
        except ImportError:
            continue
        return requirements.Requirement, utils.canonicalize_name
    raise PackageError("neither 'packaging' nor pip's copy of it is importable")


def _target_environment(python_version: str) -> dict[str, str]:
    return {
        "python_version": python_version,
        "python_full_version": f"{python_version}.0",
        "implementation_name": "cpython",
        "platform_python_implementation": "CPython",
        "sys_platform": "linux",
        "platform_system": "Linux",
        "platform_machine": "x86_64",
        "os_name": "posix",
        "extra": "",
    }


def missing_requirements(wheels: Iterable[Path], python_version: str) -> list[str]:
    """Requirements of ``wheels`` that apply on the target Python but have no wheel in the set.

    pip evaluates environment markers against the interpreter *running* pip, not the
    ``--python-version`` target, so a 3.11 build machine skips ``exceptiongroup; python_version <
    "3.11"`` that anyio needs on 3.10. The markers are therefore re-evaluated here for the target.
    """
    requirement_cls, canonical = _marker_tools()
    env = _target_environment(python_version)
    wheels = list(wheels)
    have = {canonical(w.name.split("-")[0]) for w in wheels}
    missing: dict[str, str] = {}
    for wheel in wheels:
        with zipfile.ZipFile(wheel) as wz:
            meta = next(n for n in wz.namelist() if n.endswith(".dist-info/METADATA"))
            text = wz.read(meta).decode("utf-8", "replace")
        for line in text.splitlines():
            if not line.startswith("Requires-Dist:"):
                continue
            req = requirement_cls(line.split(":", 1)[1].strip())
            if req.marker is not None and not req.marker.evaluate(env):
                continue
            name = canonical(req.name)
            if name not in have:
                missing[name] = f"{req.name}{req.specifier}"
    return sorted(missing.values())


def _pip_download(requirements: list[str], python_version: str, dest: Path) -> None:
    digits = python_version.replace(".", "")
    command = [
        sys.executable,
        "-m",
        "pip",
        "download",
        "--quiet",
        "--disable-pip-version-check",
        "--only-binary=:all:",
        "--platform",
        PLATFORM,
        "--python-version",
        python_version,
        "--implementation",
        "cp",
        "--abi",
        f"cp{digits}",
        "--dest",
        str(dest),
        *requirements,
    ]
    # The command is a fixed argument list (no shell); requirements are pinned names from this checkout.
    done = subprocess.run(command, capture_output=True, text=True, check=False)  # noqa: S603
    if done.returncode != 0:
        raise PackageError(f"pip download failed ({done.returncode}): {done.stderr.strip()[-2000:]}")


def download_wheels(
    requirements: list[str],
    python_version: str,
    cache: Path,
    *,
    echo: Callable[[str], None] = lambda _: None,
) -> list[Path]:
    """Wheels for ``requirements`` (and their dependencies) on manylinux2014 x86_64 / CPython
    ``python_version``, cached: a later build with the same set reuses the files without asking the
    index again."""
    digits = python_version.replace(".", "")
    key = hashlib.sha256(json.dumps([requirements, python_version, PLATFORM]).encode()).hexdigest()[:16]
    folder = cache / f"cp{digits}-{PLATFORM}"
    manifest = folder / f"manifest-{key}.json"
    if manifest.is_file():
        files = [folder / name for name in json.loads(manifest.read_text(encoding="utf-8"))]
        # A manifest from an older resolver may lack marker-only dependencies: re-check the closure.
        if all(f.is_file() for f in files) and not missing_requirements(files, python_version):
            return files
    folder.mkdir(parents=True, exist_ok=True)
    staging = folder / f"download-{key}"
    shutil.rmtree(staging, ignore_errors=True)
    staging.mkdir()
    echo(f"  downloading wheels for CPython {python_version} {PLATFORM}: {' '.join(requirements)}")
    wanted = list(requirements)
    for _round in range(5):
        _pip_download(wanted, python_version, staging)
        wanted = missing_requirements(staging.glob("*.whl"), python_version)
        if not wanted:
            break
        echo(f"  adding dependencies the target Python needs: {' '.join(wanted)}")
    else:
        raise PackageError(f"dependencies did not converge: {' '.join(wanted)}")
    names = sorted(p.name for p in staging.glob("*.whl"))
    # pip runs quietly (its progress bar needs a terminal, and its chatter would bury ours): say what
    # arrived, so a slow first build shows where the time and the megabytes went.
    total = sum((staging / name).stat().st_size for name in names)
    echo(f"  downloaded {len(names)} wheel(s), {total / 1024 / 1024:.2f} MB; cached in {folder}")
    for name in names:
        echo(f"    {name}")
        (staging / name).replace(folder / name)
    shutil.rmtree(staging, ignore_errors=True)
    manifest.write_text(json.dumps(names), encoding="utf-8")
    return [folder / name for name in names]


# ----------------------------------------------------------------------------------------------- zip


def _keep(rel: str) -> bool:
    parts = rel.split("/")
    if any(part in _DROP_NAMES for part in parts):
        return False
    return not rel.endswith(_DROP_SUFFIXES)


def _index_py(fn: FunctionSpec) -> str:
    """The zip's entry module. The cyclic garbage collector is paused while the handler imports: an import
    allocates thousands of long-lived objects (modules, classes, pydantic validators) and every collection
    in between would only walk them again (about 5 % of a first job's instructions under callgrind).
    ``gc.freeze()`` then moves them out of the collected generations for the instance's lifetime."""
    return (
        '"""Platform entry point generated by `opsfn package`: FunctionGraph calls index.handler and\n'
        'SCF calls index.main_handler (both resolve file.function from the code root)."""\n\n'
        "import gc\n\n"
        "gc.disable()  # the import's objects live as long as the instance: collecting them wastes time\n"
        "try:\n"
        f"    from {fn.module} import {fn.attribute} as handler\n"
        f"    from {fn.module} import main_handler\n"
        "finally:\n"
        "    gc.freeze()\n"
        "    gc.enable()\n\n"
        '__all__ = ["handler", "main_handler"]\n'
    )


def _write(zf: zipfile.ZipFile, arcname: str, data: bytes) -> None:
    info = zipfile.ZipInfo(arcname, date_time=_FIXED_TIME)
    info.compress_type = zipfile.ZIP_DEFLATED
    info.external_attr = 0o644 << 16
    zf.writestr(info, data, compresslevel=9)


def _project_files(root: Path, fn: FunctionSpec, name: str, modules: set[str]) -> dict[str, bytes]:
    """The function's ``CodeUri`` folder, the ``__init__.py`` of its parent packages and ``shared/``.

    All of ``shared/`` ships (handlers may import parts of it lazily by name); other functions never do.
    """
    files: dict[str, bytes] = {}
    code = (root / fn.code_uri).resolve()
    top = fn.module.split(".")[0]
    for folder in (root / _SHARED, code):
        if not folder.is_dir():
            raise PackageError(f"{name}: folder {folder} does not exist")
        for path in sorted(folder.rglob("*")):
            rel = path.relative_to(root).as_posix()
            if path.is_file() and _keep(rel) and path.suffix in (".py", ".json", ".txt", ".csv"):
                files[rel] = path.read_bytes()
    parts = fn.module.split(".")
    for i in range(1, len(parts)):
        init = root.joinpath(*parts[:i], "__init__.py")
        if init.is_file():
            files[init.relative_to(root).as_posix()] = init.read_bytes()
    code_module = ".".join(code.relative_to(root.resolve()).parts)
    foreign = sorted(
        m
        for m in modules
        if m.startswith(f"{top}.")
        and m.count(".") > 1
        and not (m == code_module or m.startswith(code_module + "."))
    )
    if foreign:
        raise PackageError(f"{name}: imports code outside its CodeUri ({', '.join(foreign)})")
    return files


def target_python(python_version: str) -> str | None:
    """An interpreter of exactly ``python_version`` (byte code is version-specific), or None."""
    if f"{sys.version_info.major}.{sys.version_info.minor}" == python_version:
        return sys.executable
    pyenv = Path(os.environ.get("PYENV_ROOT") or Path.home() / ".pyenv")
    candidates = [shutil.which(f"python{python_version}")]
    candidates += [
        str(p) for p in sorted(pyenv.glob(f"versions/{python_version}.*/bin/python{python_version}"))
    ]
    for found in filter(None, candidates):
        probe = subprocess.run(  # noqa: S603 - a local interpreter found on PATH or under pyenv
            [found, "-c", "import sys; print(f'{sys.version_info.major}.{sys.version_info.minor}')"],
            capture_output=True,
            text=True,
            check=False,
            timeout=60,
        )
        if probe.returncode == 0 and probe.stdout.strip() == python_version:
            return found
    return None


def precompile(tree: Path, python_version: str) -> dict[str, bytes]:
    """Byte-compile the unpacked package with the target interpreter; return the ``.pyc`` files by path.

    Why: the platforms unpack the zip into a code folder that may be read-only, so without shipped byte
    code every cold start compiles every imported module from source (about 140 ms for a handler here).
    ``unchecked-hash`` pycs are used without comparing source timestamps, which zip extraction does not
    preserve exactly. Empty when no interpreter of that version is available (sources still work).
    """
    python = target_python(python_version)
    if python is None:
        return {}
    # -s: record paths relative to the code root (the build folder means nothing on the platform);
    # PYTHONHASHSEED=0: frozenset constants marshal in a fixed order, so rebuilding gives the same zip.
    command = [python, "-m", "compileall", "-q", "-j", "0", "-s", str(tree)]
    done = subprocess.run(  # noqa: S603 - the interpreter from target_python, our own tree
        [*command, "--invalidation-mode", "unchecked-hash", str(tree)],
        capture_output=True,
        text=True,
        check=False,
        timeout=600,
        env={**os.environ, "PYTHONHASHSEED": "0"},
    )
    if done.returncode != 0:
        raise PackageError(f"byte-compiling {tree.name} with {python} failed: {done.stdout[-500:]}")
    return {path.relative_to(tree).as_posix(): path.read_bytes() for path in sorted(tree.rglob("*.pyc"))}


def build_package(
    template: Template,
    name: str,
    root: Path,
    out: Path,
    *,
    python_version: str = "3.10",
    cache: Path,
    echo: Callable[[str], None] = lambda _: None,
    extras: Iterable[str] = (),
) -> PackageResult:
    """Build ``out/<name>.zip`` and leave its unpacked tree in ``out/<name>/`` (SCF's ``src``);
    ``extras`` names optional dependencies to bundle (see :func:`selected_extras`)."""
    fn = template.functions[name]
    modules, external = scan_imports(root, fn.module)
    if fn.module not in modules:
        raise PackageError(f"{name}: handler module {fn.module!r} not found under {root}")
    wanted = sorted(RUNTIME_DISTRIBUTIONS[n] for n in external if n in RUNTIME_DISTRIBUTIONS)
    for extra in sorted(selected_extras(template.environment(fn), extras)):
        echo(f"  {name}: bundling {extra!r} (selected by the configuration)")
        wanted.append(OPTIONAL_DISTRIBUTIONS[extra])
    wheels = download_wheels(_pins(wanted), python_version, cache, echo=echo) if wanted else []
    provided: set[str] = set()
    for wheel in wheels:
        with zipfile.ZipFile(wheel) as wz:
            provided.update(n.split("/")[0].removesuffix(".py") for n in wz.namelist())
    stdlib = set(sys.stdlib_module_names)
    skipped = tuple(sorted(n for n in external if n not in provided and n not in stdlib))
    for skip in skipped:
        echo(f"  {name}: optional import {skip!r} is not a runtime dependency; not bundled")
    files = _project_files(root, fn, name, modules)
    files["index.py"] = _index_py(fn).encode()
    for wheel in wheels:
        with zipfile.ZipFile(wheel) as wz:
            for entry in wz.infolist():
                if not entry.is_dir() and _keep(entry.filename):
                    files.setdefault(entry.filename, wz.read(entry))
    out.mkdir(parents=True, exist_ok=True)
    tree = out / name
    shutil.rmtree(tree, ignore_errors=True)
    for rel, data in files.items():
        target = tree / rel
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(data)
    compiled = precompile(tree, python_version)
    if compiled:
        files.update(compiled)
    else:
        echo(f"  {name}: no CPython {python_version} here to precompile with; the zip carries sources only")
    zip_path = out / f"{name}.zip"
    tmp = zip_path.with_suffix(".zip.tmp")
    with zipfile.ZipFile(tmp, "w") as zf:
        for rel in sorted(files):
            _write(zf, rel, files[rel])
    tmp.replace(zip_path)
    dists = tuple(sorted(w.name.split("-")[0] for w in wheels))
    return PackageResult(name, zip_path, zip_path.stat().st_size, dists, skipped)
