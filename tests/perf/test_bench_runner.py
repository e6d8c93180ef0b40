"""The benchmark runner's plumbing: module discovery, goal verdicts, the docs page it rewrites."""

from __future__ import annotations

import ssl
from pathlib import Path

import pytest

import shared.http as shared_http
from bench import report
from bench.core import Figure, discover
from bench.reconcile_bulk import ideal_seconds
from bench.serve_throughput import _percentile


def test_discovery_finds_modules_with_run_and_skips_the_runner() -> None:
    names = [m.__name__ for m in discover()]
    assert {"bench.signing", "bench.cold_start", "bench.serve_throughput", "bench.reconcile_bulk"} <= set(
        names
    )
    assert not {"bench.core", "bench.report", "bench.plots"} & set(names)
    assert names.index("bench.signing") < names.index("bench.cold_start")  # ORDER 10 before 20


def test_goal_verdicts_read_the_ratio_in_the_goal_direction() -> None:
    faster = Figure("s", "rate", 300.0, "signatures/s", "sdk", 100.0, (">=", 2.0))
    slower = Figure("s", "time", 80.0, "ms", "sdk", 100.0, ("<=", 0.6))
    plain = Figure("s", "overhead", 25.0, "ms", goal=("<=", 20.0))
    assert (faster.ratio, faster.met) == (3.0, True)
    assert slower.ratio == pytest.approx(0.8) and slower.met is False
    assert plain.ratio is None and plain.met is False
    assert "MISSED" in report.format_figure(slower) and "0.80×" in report.format_figure(slower)


def test_docs_keep_hand_written_text_outside_the_markers(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    page = tmp_path / "benchmarks.md"
    page.write_text(
        f"# Benchmarks\n\nintro\n\n{report.BEGIN}\nold figures\n{report.END}\n\n## Analysis\nkept\n"
    )
    monkeypatch.setattr(report, "DOC", page)
    monkeypatch.setattr("bench.plots.draw", lambda figures, folder: [])

    class Module:
        __name__ = "bench.example"
        TITLE = "Example"
        NOTES = "method notes"

    figure = Figure("s", "thing", 2.0, "ms", "anchor", 4.0, ("<=", 0.6))
    report.write_docs([(Module, [figure], 1.0)], {"cpu": "test"}, quick=True)
    text = page.read_text()
    assert "old figures" not in text and "intro" in text and "## Analysis\nkept" in text
    assert "| thing | 2.0 ms | anchor | 4.0 ms | 0.50× | ≤ 0.6× | met |" in text and "method notes" in text


def test_plain_http_endpoint_skips_the_trust_store_but_still_verifies() -> None:
    shared_http.shared_ssl_context.cache_clear()
    client = shared_http.make_client("http://127.0.0.1:8600", None, service="ide")
    context = shared_http._tls_for("http://127.0.0.1:8600", None)
    assert isinstance(context, ssl.SSLContext)
    assert context.verify_mode is ssl.CERT_REQUIRED and context.check_hostname
    assert context.get_ca_certs() == [] and shared_http.shared_ssl_context.cache_info().currsize == 0
    assert shared_http._tls_for("https://iam.example.com", None) is shared_http.shared_ssl_context()
    assert client.base_url.scheme == "http"


def test_bulk_ideal_counts_sequential_pages_concurrent_unbinds_and_one_post() -> None:
    # 5,000 seats: 50 pages one after another, 500 leavers 8 at a time (63 rounds), one SMN post.
    assert ideal_seconds(5000) == pytest.approx(0.05 * (50 + 63 + 1))
    assert ideal_seconds(1) == pytest.approx(0.05 * (1 + 1 + 1))  # one seat, its holder gone
    assert ideal_seconds(5000, concurrency=1) == pytest.approx(0.05 * (50 + 500 + 1))


def test_latency_percentiles_pick_ranked_samples() -> None:
    samples = [float(n) for n in range(100, 0, -1)]
    assert _percentile(samples, 0.5) in (50.0, 51.0) and _percentile(samples, 0.99) == 99.0
    assert _percentile([7.0], 0.99) == 7.0


def test_cold_start_probe_ends_at_the_answer_not_at_the_exit() -> None:
    """A platform keeps the instance after its first answer: the probe's clock stops at the MARK line,
    and the teardown after it (here a 0.6 s sleep, plus 200 KiB on stderr that must not block the pipe)
    is reported apart."""
    import sys
    import time

    from bench.cold_start import MARK, _spawn

    program = (
        "import sys, time\n"
        f"print({MARK!r} + '{{}}', flush=True)\n"
        "sys.stderr.write('x' * 200_000)\n"
        "time.sleep(0.6)\n"
    )
    started = time.perf_counter()
    answered, out, err, code = _spawn([sys.executable, "-c", program], {})
    ended = time.perf_counter()
    assert code == 0 and answered is not None
    assert out.startswith(MARK) and len(err) == 200_000
    assert ended - answered >= 0.55
    assert answered - started < ended - started - 0.55
