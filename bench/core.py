"""The figure type every benchmark returns, module discovery, and the machine description."""

from __future__ import annotations

import datetime
import importlib
import os
import pkgutil
import platform
import statistics
import subprocess
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from types import ModuleType
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
RUNNER_MODULES = frozenset({"core", "report", "plots"})


@dataclass
class Figure:
    """One measured figure and what it is compared with.

    ``ratio`` is ``value / anchor_value`` (for times: below 1 is better; for rates: above 1 is better) and
    ``goal`` is ``("<=", 0.6)`` or ``(">=", 2.0)`` on that ratio (or on ``value`` when there is no anchor).
    ``data`` carries what plots need (phases, series); ``plot`` names the plot that draws it.
    """

    section: str
    name: str
    value: float
    unit: str
    anchor: str = ""
    anchor_value: float | None = None
    goal: tuple[str, float] | None = None
    note: str = ""
    plot: str | None = None
    data: dict[str, Any] = field(default_factory=dict)

    @property
    def ratio(self) -> float | None:
        if self.anchor_value is None or self.anchor_value == 0:
            return None
        return self.value / self.anchor_value

    @property
    def met(self) -> bool | None:
        if self.goal is None:
            return None
        subject = self.ratio if self.ratio is not None else self.value
        op, bound = self.goal
        return subject <= bound if op == "<=" else subject >= bound

    def goal_text(self) -> str:
        if self.goal is None:
            return ""
        op, bound = self.goal
        return f"{'≤' if op == '<=' else '≥'} {bound:g}{'×' if self.anchor_value is not None else ''}"


def discover(only: Sequence[str] = ()) -> list[ModuleType]:
    """The benchmark modules of this package (see the package docstring), sorted by ``ORDER`` then name."""
    package = importlib.import_module("bench")
    found = []
    for info in pkgutil.iter_modules(package.__path__):
        if info.name.startswith("_") or info.name in RUNNER_MODULES:
            continue
        if only and info.name not in only:
            continue
        module = importlib.import_module(f"bench.{info.name}")
        if callable(getattr(module, "run", None)):
            found.append(module)
    return sorted(found, key=lambda m: (getattr(m, "ORDER", 100), m.__name__))


def machine() -> dict[str, str]:
    """What the figures ran on: CPU, cores, memory, Python, load, date."""
    cpu = platform.processor() or platform.machine()
    with_cpu = Path("/proc/cpuinfo")
    if with_cpu.exists():
        for line in with_cpu.read_text(errors="replace").splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    memory = ""
    meminfo = Path("/proc/meminfo")
    if meminfo.exists():
        first = meminfo.read_text().splitlines()[0].split()
        memory = f"{int(first[1]) / 1024 / 1024:.0f} GiB"
    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
    return {
        "cpu": cpu,
        "cores": str(os.cpu_count()),
        "memory": memory,
        "python": f"{platform.python_implementation()} {platform.python_version()}",
        "os": platform.platform(terse=True),
        "load": f"{load:.2f}",
        "date": datetime.date.today().isoformat(),
    }


def median(values: Sequence[float]) -> float:
    return statistics.median(values)


def timed(fn: Callable[[], Any]) -> float:
    started = time.perf_counter()
    fn()
    return time.perf_counter() - started


def python(args: Sequence[str], *, env: dict[str, str] | None = None, timeout: float = 120) -> str:
    """Run ``python args`` in a fresh interpreter from the repository root; its stdout, or RuntimeError."""
    done = subprocess.run(
        [sys.executable, *args],
        cwd=ROOT,
        capture_output=True,
        text=True,
        env=env,
        timeout=timeout,
        check=False,
    )
    if done.returncode != 0:
        raise RuntimeError(f"probe failed ({done.returncode}): {done.stderr.strip()[-2000:]}")
    return done.stdout
