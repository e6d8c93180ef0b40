"""opsfn benchmarks: each figure measured next to its anchor (what a user would write instead) in one run.

Run ``opsfn bench`` or ``python -m bench`` from the repository root (``--quick`` for the CI smoke profile).

The interface a benchmark module implements, so new ones plug in without touching the runner: a module in
this package that defines

* ``run(quick: bool) -> list[bench.core.Figure]`` - measure and return the figures (anchors, ratios, goals
  inside each :class:`~bench.core.Figure`); ``quick`` must keep the module to a few seconds;
* optionally ``TITLE: str`` (the section heading in ``docs/benchmarks.md``), ``ORDER: int`` (sections are
  sorted by it, default 100) and ``NOTES: str`` (markdown printed under the section's table: method and
  caveats).

is discovered by :func:`bench.core.discover`. Modules whose name starts with ``_`` and the runner's own
modules (``core``, ``report``, ``plots``) are not benchmarks.
"""
