"""``python -m bench [--quick] [--only NAME ...] [--no-write]``: run the benchmarks, print, write docs."""

from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Sequence

from bench.core import ROOT, Figure, discover, machine
from bench.report import DOC, format_figure, write_docs


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__)
    parser.add_argument("--quick", action="store_true", help="CI smoke profile: under a minute in all")
    parser.add_argument("--only", nargs="*", default=(), help="module names (signing, cold_start, ...)")
    parser.add_argument("--no-write", action="store_true", help="print only; leave docs/ untouched")
    args = parser.parse_args(argv)
    return run_all(quick=args.quick, only=args.only, write=not args.no_write)


def run_all(*, quick: bool, only: Sequence[str] = (), write: bool = True) -> int:
    """Run the discovered modules in order, print every figure as it arrives, write docs and plots."""
    if str(ROOT) not in sys.path:
        sys.path.insert(0, str(ROOT))
    host = machine()
    print("machine: " + ", ".join(f"{k} {v}" for k, v in host.items()))
    print(f"profile: {'quick' if quick else 'full'}")
    results: list[tuple[object, list[Figure], float]] = []
    for module in discover(only):
        title = getattr(module, "TITLE", module.__name__)
        print(f"\n== {title}")
        started = time.perf_counter()
        figures = module.run(quick)
        for figure in figures:
            print("  " + format_figure(figure))
        results.append((module, figures, time.perf_counter() - started))
    if write and not only:
        path = write_docs(results, host, quick=quick)
        print(f"\nwrote {path.relative_to(ROOT)} and plots in {DOC.parent.relative_to(ROOT)}/img")
    missed = [f for _, figures, _ in results for f in figures if f.met is False]
    print(f"\n{len(missed)} goal(s) missed" + "".join(f"\n  - {f.section}: {f.name}" for f in missed))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
