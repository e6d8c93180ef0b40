"""``opsfn bench``: run the benchmarks of ``bench/`` in the project checkout (they are not installed)."""

from __future__ import annotations

import sys
from pathlib import Path

import click

__all__ = ["bench_command"]


@click.command("bench")
@click.option("--quick", is_flag=True, help="CI smoke profile: under a minute in all.")
@click.option(
    "--only", multiple=True, help="Run only this bench module (repeatable): signing, cold_start, ..."
)
@click.option("--no-write", is_flag=True, help="Print the figures only; leave docs/benchmarks.md alone.")
def bench_command(quick: bool, only: tuple[str, ...], no_write: bool) -> None:
    """Measure opsfn against the official SDKs; print every figure and write docs/benchmarks.md."""
    root = Path.cwd()
    if not (root / "bench" / "__init__.py").is_file():
        raise click.ClickException("run `opsfn bench` from the opsfn checkout (no bench/ package here)")
    if str(root) not in sys.path:
        sys.path.insert(0, str(root))
    from bench.__main__ import run_all

    raise SystemExit(run_all(quick=quick, only=only, write=not no_write))
