"""Benchmarks: run with `pytest --benchmark-only`; plain `pytest` skips them.

Options (prefixed --bench-, so they cannot collide with a harness plugin's --harness-* options):
  --bench-full-matrix   the whole throughput matrix, not only the informative corners
  --bench-round-ms N    target wall time of one timed round (default 100)
  --bench-rounds N      timed rounds per benchmark (default 5)
  --bench-seeds N       seeds (= rounds) per detection benchmark (default 5)
  --bench-anchor-s S    seconds per refbench run (default 0.3)

At the end the summary (per-scheme table, grace periods, detection, anchors, targets) is printed and written
as JSON and CSV beside pytest-benchmark's own JSON: `--benchmark-json out.json` gives out.summary.json and
out.summary.csv; without it they go to .benchmarks/harness-summary.{json,csv}.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pytest

from summary import Collector, render

_HERE = Path(__file__).resolve().parent


@dataclass(frozen=True)
class BenchOptions:
    round_s: float
    rounds: int
    seeds: int
    anchor_s: float


def pytest_addoption(parser):
    g = parser.getgroup("harness benchmarks")
    g.addoption("--bench-full-matrix", action="store_true", help="run the whole throughput matrix")
    g.addoption("--bench-round-ms", type=float, default=100.0, help="wall time of one timed round (ms)")
    g.addoption("--bench-rounds", type=int, default=5, help="timed rounds per throughput benchmark")
    g.addoption("--bench-seeds", type=int, default=5, help="seeds (rounds) per detection benchmark")
    g.addoption("--bench-anchor-s", type=float, default=0.3, help="seconds per refbench reference run")


def pytest_configure(config):
    config.addinivalue_line("markers", "full_matrix: only with --bench-full-matrix")
    config._harness_bench = Collector()


def _benchmarks_wanted(config) -> bool:
    return config.getoption("benchmark_only") or config.getoption("benchmark_enable")


def pytest_collection_modifyitems(config, items):
    wanted = _benchmarks_wanted(config)
    full = config.getoption("bench_full_matrix")
    skip_bench = pytest.mark.skip(reason="benchmark: run `pytest --benchmark-only`")
    skip_full = pytest.mark.skip(reason="full matrix: add --bench-full-matrix")
    for item in items:
        if _HERE not in item.path.resolve().parents:
            continue
        if not wanted:
            item.add_marker(skip_bench)
        elif item.get_closest_marker("full_matrix") and not full:
            item.add_marker(skip_full)


@pytest.fixture(scope="session")
def bench_opts(pytestconfig) -> BenchOptions:
    o = pytestconfig.getoption
    return BenchOptions(o("bench_round_ms") / 1000.0, o("bench_rounds"), o("bench_seeds"), o("bench_anchor_s"))


@pytest.fixture(scope="session")
def bench_results(pytestconfig) -> Collector:
    return pytestconfig._harness_bench


def _summary_paths(config) -> tuple[Path, Path]:
    js = config.getoption("benchmark_json")
    if js:
        base = Path(js)
        return base.with_suffix(".summary.json"), base.with_suffix(".summary.csv")
    root = Path(str(config.rootpath)) / ".benchmarks"
    return root / "harness-summary.json", root / "harness-summary.csv"


@pytest.hookimpl(trylast=True)   # after pytest-benchmark's own tables
def pytest_terminal_summary(terminalreporter, config):
    collector: Collector = config._harness_bench
    if not collector.rows:
        return
    report = collector.report()
    json_path, csv_path = _summary_paths(config)
    collector.write(report, json_path, csv_path)
    terminalreporter.section("harness benchmark summary")
    for line in render(report):
        terminalreporter.write_line(line)
    terminalreporter.write_line(f"written: {json_path} and {csv_path}")
