"""`bench --scaling`: reader throughput against the number of readers, as refscale reports it: total reader
ops/s and ns/op for 1..N readers without a writer, and 1..N-1 readers beside a writer on a CPU of its own,
N the CPUs the run may use (every power of two up to N, and N)."""

from __future__ import annotations

from typing import Callable

from harness.bench import stats
from harness.bench.compare import interleaved
from harness.soak.config import Config
from harness.build.core import Core
from harness.soak.params import ns_text


def reader_counts(ncpus: int) -> list[int]:
    return sorted({1 << i for i in range(ncpus.bit_length()) if 1 << i <= ncpus} | {ncpus})


def points(ncpus: int) -> list[tuple[int, int]]:
    """(readers, writers) of every point: the writer needs a CPU of its own, so it has one reader count less."""
    return [(r, 0) for r in reader_counts(ncpus)] + [(r, 1) for r in reader_counts(ncpus - 1) if ncpus > 1]


def sweep(core: Core, configs: dict[str, Config], rounds: int, seconds: float,
          progress: Callable[[str], None]) -> list[dict]:
    """One row per (point, scheme): medians over interleaved rounds of total ops/s and ns/op."""
    ncpus = len(next(iter(configs.values())).cpus or [])
    rows = []
    for readers, writers in points(ncpus):
        at = {k: Config(**{**c.to_dict(), "readers": readers, "writers": writers}) for k, c in configs.items()}
        progress(f"{readers} reader{'s' if readers > 1 else ''}{' + writer' if writers else ''}:")
        results = interleaved(core, at, rounds, seconds, lambda line: progress("  " + line))
        for k, rs in results.items():
            ops, lo, hi = stats.median_ci([r.ops_per_s for r in rs])
            rows.append({"scheme": k, "readers": readers, "writers": writers, "ops_per_s": ops,
                         "ops_per_s_ci": [lo, hi], "ns_per_op": stats.median_ci([r.ns_per_op for r in rs])[0],
                         "rounds": [r.__dict__ for r in rs]})
    return rows


def render(rows: list[dict], config: Config) -> list[str]:
    period = ns_text(config.writer_period) if config.writer_period else "0 (a storm)"
    out = [f"scaling on {config.workload}, checks off, writer period {period}; medians of interleaved rounds",
           f"{'readers':>7} {'writer':6} {'scheme':28s} {'total Mops/s':>12} {'95% CI':>17} {'ns/op':>9}"]
    for r in rows:
        lo, hi = r["ops_per_s_ci"]
        out.append(f"{r['readers']:7d} {'yes' if r['writers'] else 'no':6} {r['scheme']:28s} {r['ops_per_s'] / 1e6:12.2f} "
                   f"{f'[{lo / 1e6:.2f}, {hi / 1e6:.2f}]':>17} {r['ns_per_op']:9.2f}")
    return out
