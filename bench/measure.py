"""Measuring the harness under pytest-benchmark.

One Session (workers forked, pinned and registered) per benchmark configuration; a calibration round
that doubles as the warm-up sizes a round to about `round_s`; pytest-benchmark then times rounds on workers
that are already up. A round is a whole number of iterations, and one iteration is the same number of
reader operations per reader for every scheme of a benchmark group (Case.iteration_ops), so pytest-benchmark's
own columns (time per iteration) compare schemes by the time they take for the same work. What a user reads comes from the
engine's own counters, as deltas between a Snapshot taken just before the timed rounds and one just after
(counters accumulate over rounds), plus Python's wall time of each timed round.
"""

from __future__ import annotations

import time
from dataclasses import asdict, dataclass, field

import numpy as np

import harness
from harness.soak.config import Config, mode_defaults
from harness.soak.parse import FLAVORS, allowed_cpus
from harness.bench.rounds import scheme_label as label_of
from harness.build.core import BUILTIN
from harness.report.result import Snapshot, gp_summary
from harness.soak.session import Session

NCPUS = len(allowed_cpus())
SCHEMES = [s for s in harness.schemes() if s.correct or s.unsafe]   # what throughput is measured for
VARIANTS = [(s.name, rcu) for s in SCHEMES for rcu in (FLAVORS if s.uses_rcu else ("qsbr",))]
WRITER_PERIOD_NS = {"steady": 10_000, "storm": 0}   # writer modes; "none" means no writer at all
SEED = 1                                            # fixed: the same writer sequence in every run
_CALIBRATION_START_OPS = 1 << 16
_CHUNK = 64                                         # the C loop's chunk (H_CHUNK): rounds are multiples


def scheme_label(scheme: str, rcu: str) -> str:
    """'rcu-typesafe/qsbr' for RCU schemes; the flavor means nothing to the others."""
    return label_of(BUILTIN, scheme, rcu)


@dataclass(frozen=True)
class Case:
    """One benchmark configuration: which scheme, under which conditions."""

    scheme: str
    rcu: str
    workload: str
    readers: int
    writer: str = "none"          # none | steady | storm
    checks: bool = False          # True: every oracle on (torture), race amplifiers off
    nodes: int = 4                # simulated memory nodes
    job_nodes: int = 0            # nodes in the readers' job cpuset; 0: every other node (half)
    memory_model: str = "native"  # "weak": the weak-memory emulation (checks on)

    @property
    def iteration_ops(self) -> int:
        """Reader ops per reader in one pytest-benchmark iteration: fixed per group (never calibrated), so
        every scheme in the group does the same work per iteration. Large enough that the ~0.1 ms of one
        command round trip is a few per cent of the fastest scheme's iteration (2^24 bare loads, ~8 ms)."""
        return 1 << 24 if self.workload == "deref" and not self.checks else 1 << 20

    @property
    def label(self) -> str:
        return scheme_label(self.scheme, self.rcu)

    @property
    def group(self) -> str:
        return f"{self.workload} r={self.readers} w={self.writer}{' oracles-on' if self.checks else ''}{self._nodes(' ')}" \
               f"{self._weak(' ')}"

    @property
    def id(self) -> str:
        return f"{self.workload}-r{self.readers}-{self.writer}-{self.label}{'-oracles' if self.checks else ''}" \
               f"{self._nodes('-')}{self._weak('-')}"

    def _weak(self, sep: str) -> str:
        """'' in native mode, so the other benchmarks keep their names."""
        return "" if self.memory_model == "native" else f"{sep}{self.memory_model}"

    def _nodes(self, sep: str) -> str:
        """'' at the defaults (4 nodes, half of them for the job), so the other benchmarks keep their names."""
        if self.nodes == 4 and not self.job_nodes:
            return ""
        return f"{sep}nodes={self.nodes}{sep}job={self.job_nodes or 'half'}"

    def config(self) -> Config:
        writers = 0 if self.writer == "none" else 1
        # every race amplifier off, also with the oracles on: the oracles' cost, not deliberate delays
        return Config(scheme=self.scheme, rcu=self.rcu, workload=self.workload, readers=self.readers,
                      writers=writers, writer_period=WRITER_PERIOD_NS.get(self.writer, 0), checks=self.checks,
                      seed=SEED, nodes=self.nodes, job_nodes=self.job_nodes, memory_model=self.memory_model,
                      oversubscribe=self.readers + writers > NCPUS, **mode_defaults(False, NCPUS))


def calibrate(session: Session, round_s: float) -> int:
    """Reader ops per round so that the slowest reader spends about round_s in the C loop, sized from the
    C-timed ns/op (host noise in Python's wall time must not shrink the rounds); these rounds are the warm-up."""
    names = session.core.counter_names
    ops = _CALIBRATION_START_OPS
    while True:
        before = Snapshot.take(session)
        session.run(reader_ops=ops)
        after = Snapshot.take(session)
        rd = after.readers
        loop_ns = int((after.counters[rd, names.index("loop_ns")] - before.counters[rd, names.index("loop_ns")]).max())
        if loop_ns >= round_s * 1e9 / 4:
            return max(_CHUNK, int(ops * round_s * 1e9 / loop_ns) // _CHUNK * _CHUNK)
        ops *= 4


@dataclass
class Rounds:
    """Each timed round as Python sees it (post the command ... every worker done), and how long the reader
    that finished last spent in the C loop during it (its C-timed span: the part that is not the harness)."""

    session: Session
    wall_ns: list[int] = field(default_factory=list)
    slowest_loop_ns: list[int] = field(default_factory=list)

    def timed(self, **run_args) -> None:  # type: ignore[no-untyped-def]
        t0 = time.perf_counter_ns()
        self.session.run(**run_args)
        self.wall_ns.append(time.perf_counter_ns() - t0)
        snap = Snapshot.take(self.session)   # t_start/t_end: this round's span of each reader, C-timed
        self.slowest_loop_ns.append(int((snap.t_end_ns - snap.t_start_ns)[snap.readers].max()))


def _us(ns: float | None) -> float | None:
    return None if ns is None else ns / 1000.0


def latency_figures(before: Snapshot, after: Snapshot) -> dict[str, object]:
    """Grace periods and call_rcu -> callback latency over the interval between two snapshots."""
    gb, ga = before.glob, after.glob
    gp = gp_summary(ga["gp_hist"] - gb["gp_hist"], int(ga["gp_count"]) - int(gb["gp_count"]),  # type: ignore[operator]
                    int(ga["gp_max_ns"]))  # type: ignore[arg-type]
    cb = gp_summary(ga["cb_hist"] - gb["cb_hist"], int(ga["cb_done"]) - int(gb["cb_done"]), 0)  # type: ignore[operator]
    return {"grace_periods": gp["count"], "gp_p50_us": _us(gp["p50_ns"]), "gp_p99_us": _us(gp["p99_ns"]),  # type: ignore[arg-type]
            "gp_max_us_session": _us(gp["max_ns"]),  # type: ignore[arg-type]
            "callbacks": cb["count"], "cb_p50_us": _us(cb["p50_ns"]), "cb_p99_us": _us(cb["p99_ns"])}  # type: ignore[arg-type]


def figures(session: Session, before: Snapshot, after: Snapshot, rounds: Rounds) -> dict[str, object]:
    """Everything a user reads about the timed rounds, from counter deltas and the rounds' wall time."""
    names = session.core.counter_names
    delta = after.counters.astype(np.int64) - before.counters.astype(np.int64)
    ops, loop_ns = delta[:, names.index("ops")], delta[:, names.index("loop_ns")]
    rd = after.readers
    r_ops, r_loop = ops[rd], loop_ns[rd]
    ns_per_op = r_loop / r_ops
    ops_per_s = r_ops / (r_loop / 1e9)
    w_ops, w_loop = ops[~rd], loop_ns[~rd]
    wall_ns = sum(rounds.wall_ns)
    best = after.counter(session, "best_window_ps_per_op")[rd] / 1000.0
    return {
        "iterations": len(rounds.wall_ns),
        "ops": int(r_ops.sum()),
        "ns_per_op": float(ns_per_op.mean()),
        "ns_per_op_per_reader": ns_per_op.round(4).tolist(),
        "best_window_ns_per_op": float(best.mean()) if best.all() else None,   # 0: no 2 ms window completed
        "ops_per_s": float(ops_per_s.sum()),
        "ops_per_s_per_reader": ops_per_s.round(0).tolist(),
        "slowest_vs_fastest": float(ns_per_op.max() / ns_per_op.min()),
        "writer_ops": int(w_ops.sum()),
        "writer_ops_per_s": float((w_ops / (w_loop / 1e9)).sum()) if len(w_ops) and w_loop.all() else 0.0,
        **latency_figures(before, after),
        "retries": int(delta[rd, names.index("retries")].sum()),
        "near_misses": int(delta[rd, names.index("near_misses")].sum()),
        # share of the rounds' wall time (as Python saw them, post to collect) that the reader setting their
        # length, the slowest, spent inside the C loop: what is left is the harness's own cost per round
        "in_loop_fraction": sum(rounds.slowest_loop_ns) / wall_ns if wall_ns else None,
        # the fastest reader's share: with fixed-size rounds it waits for the slowest (host noise shows here)
        "in_loop_fraction_fastest_reader": float(r_loop.min() / wall_ns) if wall_ns else None,
        "cpus": sorted({c for seen in after.cpus_seen for c in seen}),
    }


def timed_rounds(case: Case, round_s: float, rounds: int, repeat) -> dict[str, object]:  # type: ignore[no-untyped-def]
    """Start and pin the workers for `case`, calibrate, then `repeat(fn, rounds, iterations)` times `rounds`
    rounds of `iterations` calls of fn, each call one iteration of case.iteration_ops reader ops
    (pytest-benchmark's pedantic, or a plain loop). Returns the case and its figures."""
    with Session(case.config()) as session:
        iterations = max(1, round(calibrate(session, round_s) / case.iteration_ops))
        timer = Rounds(session)
        before = Snapshot.take(session)
        repeat(lambda: timer.timed(reader_ops=case.iteration_ops), rounds, iterations)
        after = Snapshot.take(session)
        return {**asdict(case), "label": case.label, "group": case.group, "reader_ops_per_iteration":
                case.iteration_ops, "iterations_per_round": iterations, **figures(session, before, after, timer)}


def measure(benchmark, case: Case, round_s: float, rounds: int) -> dict[str, object]:  # type: ignore[no-untyped-def]
    """Time `rounds` rounds of fixed reader work for `case`; fill benchmark.extra_info; return the figures."""
    benchmark.group = case.group
    info = timed_rounds(case, round_s, rounds,
                        lambda fn, n, k: benchmark.pedantic(fn, rounds=n, iterations=k, warmup_rounds=0))
    benchmark.extra_info.update(info)
    return info
