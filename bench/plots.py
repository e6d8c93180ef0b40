"""PNG plots from the figures' ``data``: bulk wall time vs item count, cold start stacked by phase.

matplotlib is a dev/bench-only dependency (the ``dev`` extra); nothing in ``shared/`` or ``functions/``
imports it. Without it the plots are skipped with a message, the figures still print.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from bench.core import Figure

PHASES = ("interpreter", "libraries", "pydantic models", "own import", "client", "first call")


def draw(figures: Sequence[Figure], folder: Path) -> list[Path]:
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        print("matplotlib is not installed (pip install -e '.[dev]'): no plots")
        return []
    folder.mkdir(parents=True, exist_ok=True)
    written = []
    cold = [f for f in figures if f.plot == "cold_start"]
    if cold:
        written.append(_cold_start(plt, cold, folder / "cold_start.png"))
    bulk = [f for f in figures if f.plot == "bulk"]
    if bulk:
        written.append(_bulk(plt, bulk, folder / "bulk.png"))
    return written


def _cold_start(plt: object, figures: Sequence[Figure], path: Path) -> Path:
    """One pair of stacked bars per function: opsfn and the official-SDK program, by phase."""
    bars: list[tuple[str, dict[str, float]]] = []
    for f in figures:
        bars.append((f"{f.data['function']}\nopsfn", f.data["phases"]))
        bars.append((f"{f.data['function']}\nofficial SDK", f.data["anchor_phases"]))
    fig, ax = plt.subplots(figsize=(max(6.0, 1.3 * len(bars)), 4.5))  # type: ignore[attr-defined]
    bottoms = [0.0] * len(bars)
    for phase in PHASES:
        heights = [phases.get(phase, 0.0) for _, phases in bars]
        ax.bar(range(len(bars)), heights, bottom=bottoms, label=phase)
        bottoms = [b + h for b, h in zip(bottoms, heights, strict=True)]
    ax.set_xticks(range(len(bars)), [label for label, _ in bars], fontsize=7)
    ax.set_ylabel("ms (median of fresh interpreters)")
    ax.set_title("Cold start of each function's first job, by phase")
    ax.legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)  # type: ignore[attr-defined]
    return path


def _bulk(plt: object, figures: Sequence[Figure], path: Path) -> Path:
    """Wall time against item count, opsfn (solid) and the official-SDK sequential loop (dashed)."""
    fig, ax = plt.subplots(figsize=(7, 4.5))  # type: ignore[attr-defined]
    for f in figures:
        series = f.data["series"]
        for label, style in (("opsfn", "-o"), ("official SDK loop", "--s")):
            points = series.get(label, [])
            if points:
                xs, ys = zip(*points, strict=True)
                ax.plot(xs, ys, style, label=f"{f.data['job']}: {label}")
    ax.set_xscale("log")
    ax.set_yscale("log")
    ax.set_xlabel("items")
    ax.set_ylabel("wall time, s")
    ax.set_title("Bulk work with 50 ms injected latency per call")
    ax.legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)  # type: ignore[attr-defined]
    return path
