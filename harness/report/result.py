"""What a run measured, as data: numpy arrays per worker and a JSON-ready dict (the report contract). Its
text is harness.report.text's."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from harness.report.figures import inconsistencies
from harness.report.provenance import provenance
from harness.report.story import object_story
from harness.build.core import BUILTIN
from harness.soak.session import Session


def hist_percentile(hist: np.ndarray, q: float) -> float | None:
    """Percentile of a log2 histogram (bucket b holds values in [2^(b-1), 2^b)), interpolated in the bucket."""
    total = int(hist.sum())
    if not total:
        return None
    rank = q / 100.0 * total
    cum = np.cumsum(hist)
    b = int(np.searchsorted(cum, rank, side="left"))
    lo = 0.0 if b == 0 else 2.0 ** (b - 1)
    hi = 1.0 if b == 0 else 2.0 ** b
    before = float(cum[b - 1]) if b else 0.0
    frac = (rank - before) / float(hist[b]) if hist[b] else 0.0
    return lo + (hi - lo) * min(max(frac, 0.0), 1.0)


def _cpus(words: np.ndarray) -> list[int]:
    return [64 * i + b for i, w in enumerate(words.tolist()) for b in range(64) if w >> b & 1]


@dataclass
class Snapshot:
    """Every counter of every worker at one instant (cheap: a few memcpy's out of the arena)."""

    t_s: float
    counters: np.ndarray          # (workers, counters) uint64
    violations: np.ndarray        # (workers, kinds) uint64
    op_latency_hist: np.ndarray   # (workers, 64)
    pipe_hist: np.ndarray         # (workers, 10)
    cpus_seen: list[list[int]]
    t_start_ns: np.ndarray
    t_end_ns: np.ndarray
    roles: np.ndarray
    pids: np.ndarray
    cpus: np.ndarray
    phases: np.ndarray
    glob: dict[str, object] = field(default_factory=dict)

    @classmethod
    def take(cls, s: Session) -> "Snapshot":
        ffi, lib = s.core.ffi, s.core.lib
        ws = ffi.new("struct h_worker_stats *")
        rows: dict[str, list] = {k: [] for k in ("c", "v", "l", "p", "cs", "ts", "te", "r", "pid", "cpu", "ph")}
        for w in range(s.nworkers):
            lib.h_get_worker_stats(s.arena, w, ws)
            rows["c"].append(np.frombuffer(ffi.buffer(ws.counters), dtype=np.uint64).copy())
            rows["v"].append(np.frombuffer(ffi.buffer(ws.violations), dtype=np.uint64).copy())
            rows["l"].append(np.frombuffer(ffi.buffer(ws.op_latency_hist), dtype=np.uint64).copy())
            rows["p"].append(np.frombuffer(ffi.buffer(ws.pipe_hist), dtype=np.uint64).copy())
            rows["cs"].append(_cpus(np.frombuffer(ffi.buffer(ws.cpus_seen), dtype=np.uint64)))
            rows["ts"].append(ws.t_start_ns)
            rows["te"].append(ws.t_end_ns)
            rows["r"].append(ws.role)
            rows["pid"].append(ws.pid)
            rows["cpu"].append(ws.cpu)
            rows["ph"].append(ws.phase)
        g = ffi.new("struct h_global_stats *")
        lib.h_get_global_stats(s.arena, g)
        glob = {name: (np.frombuffer(ffi.buffer(getattr(g, name)), dtype=np.uint64).copy()
                       if f.type.kind == "array" else int(getattr(g, name)))
                for name, f in ffi.typeof("struct h_global_stats").fields}
        return cls(s.elapsed(), np.array(rows["c"]), np.array(rows["v"]), np.array(rows["l"]), np.array(rows["p"]),
                   rows["cs"], np.array(rows["ts"], dtype=np.uint64), np.array(rows["te"], dtype=np.uint64),
                   np.array(rows["r"]), np.array(rows["pid"]), np.array(rows["cpu"]), np.array(rows["ph"]), glob)

    def counter(self, s: Session, name: str) -> np.ndarray:
        return self.counters[:, s.core.counter_names.index(name)]

    @property
    def readers(self) -> np.ndarray:
        return self.roles == BUILTIN.lib.H_ROLE_READER   # every build shares csrc/engine/api.h


def flight_records(s: Session) -> list[dict[str, object]]:
    """Every worker's flight recorder and the reclaimer's (worker -1, cpu None: not pinned), by time: the last
    H_FLIGHT_EVENTS events of each (the reclaimer's H_RECLAIMER_FLIGHT_EVENTS), up to the first violation (which
    froze them all) or the run's end."""
    ffi, lib, core = s.core.ffi, s.core.lib, s.core
    buf = ffi.new(f"struct h_flight_event[{lib.H_RECLAIMER_FLIGHT_EVENTS}]")
    flight = []
    for w in [*range(s.nworkers), lib.H_RECLAIMER]:
        for i in range(lib.h_get_flight(s.arena, w, buf)):
            e = buf[i]
            flight.append({"t_s": e.t_ns / 1e9, "dur_s": e.dur_ns / 1e9, "worker": w,
                           "cpu": None if w == lib.H_RECLAIMER else e.cpu,
                           "event": core.event_name(e.kind), "a": int(e.a), "b": int(e.b)})
    flight.sort(key=lambda e: (e["t_s"], e["worker"]))
    return flight


_OBJECT_IS = {"H_OBJ_IS_NONE": "none", "H_OBJ_IS_CPUSET": "cpuset", "H_OBJ_IS_PAGE": "page",
              "H_OBJ_IS_TASK": "task", "H_OBJ_IS_ENGINE": "engine", "H_OBJ_IS_OUTSIDE": "outside"}


def object_is(core, v) -> dict[str, object]:  # type: ignore[no-untyped-def]
    """What the first violation's object was when it was raised: {"what": cpuset|page|task|engine|outside|none}
    with the page (index, state), the task's index, or the cpuset's engine serial and life state."""
    what = next(name for const, name in _OBJECT_IS.items() if getattr(core.lib, const) == v.object_is)
    out: dict[str, object] = {"what": what}
    if what in ("cpuset", "page"):
        out.update(page=int(v.index), page_state=core.page_state_name(v.page_state))
    if what == "cpuset":
        out.update(serial=int(v.object_serial), state=core.object_state_name(v.object_state))
    if what == "task":
        out["task"] = int(v.index)
    return out


def hist_summary(hist: np.ndarray) -> dict[str, object]:
    return {f"p{q}_ns": hist_percentile(hist, q) for q in (50, 90, 99)}


def gp_summary(hist: np.ndarray, count: int, max_ns: int) -> dict[str, object]:
    return {"count": count, "max_ns": max_ns, **hist_summary(hist)}


def rss_summary(series: list[dict[str, object]]) -> dict[str, object] | None:
    """Resident memory from the series: the last sample, and the largest total seen (None: no samples)."""
    if not series:
        return None
    last = series[-1]
    return {"orchestrator_bytes": last["rss_orchestrator_bytes"], "workers_bytes": last["rss_workers_bytes"],
            "max_total_bytes": max(int(e["rss_orchestrator_bytes"]) + int(e["rss_workers_bytes"])  # type: ignore
                                   for e in series)}


@dataclass
class Result:
    """A finished run. `report` is the JSON contract; the arrays stay available for analysis."""

    report: dict[str, object]
    snapshot: Snapshot

    @property
    def violations(self) -> int:
        return int(self.report["violations"])  # type: ignore[arg-type]

    @classmethod
    def collect(cls, s: Session, series: list[dict[str, object]] | None = None) -> "Result":
        snap = Snapshot.take(s)
        core, lib, ffi = s.core, s.core.lib, s.core.ffi
        readers = snap.readers
        ops = snap.counter(s, "ops")
        loop_ns = snap.counter(s, "loop_ns")
        total_ops = int(ops[readers].sum())
        # the readers' span: from the first start to the last end (a reader publishes its end so far with its
        # counts every 1024 ops, so one killed or crashed midway counts what it did until then; one that never
        # published has no end, and never makes the span, or throughput, negative)
        finished = readers & (snap.t_end_ns >= snap.t_start_ns) & (snap.t_end_ns > 0)
        span_ns = max(0, int(snap.t_end_ns[finished].max()) - int(snap.t_start_ns[readers].min())) \
            if finished.any() else 0
        g = snap.glob
        # The verdict is the engine's count, from every context (readers, writers, the reclaimer, the
        # orchestrator), never a sum a scheme or a lost worker could make smaller.
        by_kind = g["violations_by_kind"]
        outside = g["violations_outside_workers"]
        first = ffi.new("struct h_violation *")
        lib.h_get_first_violation(s.arena, first)
        first_v = None
        if int(by_kind.sum()):
            first_v = {"kind": core.violation_names[first.kind], "t_s": first.t_ns / 1e9, "worker": first.worker,
                       "cpu": first.cpu, "task": first.task, "object": int(first.object), "serial": int(first.serial),
                       "detail": int(first.detail), "where": core.phase_name(first.phase),
                       "op": core.op_name(first.op) or None,
                       "read_began_s": first.read_start_ns / 1e9 if first.in_read else None,
                       "object_is": object_is(core, first)}
        flight = flight_records(s)
        stalls_buf = ffi.new(f"struct h_stall[{lib.H_MAX_STALLS}]")
        stalls = [{"t_s": st.t_ns / 1e9, "worker": st.worker, "cpu": st.cpu, "duration_s": st.duration_ns / 1e9,
                   "gp": int(st.gp)}
                  for st in (stalls_buf[i] for i in range(lib.h_get_stalls(s.arena, stalls_buf, lib.H_MAX_STALLS)))]
        lat = snap.op_latency_hist[readers].sum(axis=0)
        workers = []
        for w in range(s.nworkers):
            reader = bool(readers[w])
            wops = int(ops[w])
            entry: dict[str, object] = {
                "worker": w, "role": "reader" if reader else "writer", "pid": int(snap.pids[w]),
                "cpu": int(snap.cpus[w]), "cpus_seen": snap.cpus_seen[w], "cpus_assigned": s.cpus_assigned[w],
                "ops": wops,
                "ns_per_op": (int(loop_ns[w]) / wops) if reader and wops else None,
                "best_window_ns_per_op": (int(snap.counter(s, "best_window_ps_per_op")[w]) / 1000) or None,
                "alive": w not in s.dead,
                **{name: int(snap.counters[w, i]) for i, name in enumerate(core.counter_names)
                   if name not in ("ops", "loop_ns", "best_window_ps_per_op")},
                "violations": int(snap.violations[w].sum()),
            }
            workers.append(entry)
        c = s.config
        report: dict[str, object] = {
            # a signal from outside ends the run, it does not decide it: what ran before it still fails it
            "status": "interrupted" if s.interrupted else "completed",
            "verdict": "FAILURE" if int(by_kind.sum()) or s.crashes else
                       "INTERRUPTED" if s.interrupted else "SUCCESS",
            "interrupted": s.interrupted,
            "violations": int(by_kind.sum()),
            "violations_by_kind": {name: int(by_kind[i]) for i, name in enumerate(core.violation_names)},
            "violations_outside_workers": {name: int(outside[i]) for i, name in enumerate(core.violation_names)
                                           if outside[i]},
            "first_violation_s": first_v["t_s"] if first_v else None,
            "first_violation": first_v,
            "ops": total_ops,
            "ops_per_s": total_ops / (span_ns / 1e9) if span_ns else 0.0,
            "run_time_s": span_ns / 1e9,
            "near_misses": int(snap.counter(s, "near_misses")[readers].sum()),
            "retries": int(snap.counter(s, "retries")[readers].sum()),
            "unverified_reads": int(snap.counter(s, "unverified")[readers].sum()),
            "writer_ops": int(ops[~readers].sum()),
            "pipe_hist": snap.pipe_hist.sum(axis=0).tolist(),
            "op_latency": {**hist_summary(lat), "hist": lat.tolist()},   # readers, one op in 1024 timed
            "gp": {**gp_summary(g["gp_hist"], int(g["gp_count"]), int(g["gp_max_ns"])),  # type: ignore[arg-type]
                   "hist": g["gp_hist"].tolist(),  # type: ignore[union-attr]
                   "callbacks": int(g["cb_done"]), "callbacks_pending": int(g["cb_queued"]) - int(g["cb_done"]),
                   "callback_latency": gp_summary(g["cb_hist"], int(g["cb_done"]), 0)},  # type: ignore[arg-type]
            "stalls": stalls,
            "progress_stalls": s.progress_stalls,
            "hangs": s.hangs,
            "membarrier_selftest": s.membarrier_selftest,
            "crashes": s.crashes,
            "faults_injected": [f.spec for f in c.faults],
            "shuffles": s.shuffles,
            "arena": {"bytes": int(g["arena_bytes"]), "pages_total": int(g["pages_total"]),
                      "pages_free": int(g["pages_free"]), "slab_pages": int(g["slab_pages"]),
                      "slab_pages_rcu_pending": int(g["slab_pages_rcu_pending"]),
                      "slab_objects": int(g["slab_objects"]), "number_of_cpusets": int(g["number_of_cpusets"])},
            "workers": workers,
            "events": [{"t_s": e.t_s, "worker": e.worker, "what": e.what} for e in s.events],
            "flight_recorder": flight,
            "object_story": [],   # filled below, from the flight recorder
            "series": series or [],
            "rss": rss_summary(series or []),
            "config": c.to_dict(),
            "command": c.command(),
            **provenance(c.scheme_file),
        }
        report["object_story"] = object_story(report)
        hung = {h["worker"] for h in s.hangs}
        silent = [w for w in range(s.nworkers) if w not in s.dead and w not in hung and not snap.t_end_ns[w]]
        corrupted = inconsistencies(report, snap.t_s, c.nodes * c.pages_per_node, silent)
        report["engine_corrupted"] = corrupted
        if corrupted:   # figures that cannot all be true: the engine's own state was written, nothing else holds
            report["verdict"] = "FAILURE"
        return cls(report, snap)
