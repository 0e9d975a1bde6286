"""The end-of-run summary: what every benchmark reported (collected as plain dicts), turned into the
per-scheme table, the grace-period, detection, mutant and anchor tables, and the performance targets. Data first:
`Collector.report()` is the JSON document; the text tables and the CSV are renderings of it."""

from __future__ import annotations

import csv
import json
import os
import platform
import statistics
import time
from pathlib import Path

from anchors import REFERENCE_FOR

from harness.report.provenance import cpu_model
from measure import NCPUS, scheme_label

ANCHOR_CONFIGS = {"1R": (1, "none"), "2R": (2, "none"), "1R+U": (1, "steady")}   # refbench -> harness case
SUMMARY_COLUMNS = ["workload", "scheme", "ns_per_op_1r", "best_ns_per_op_1r", "ns_per_op_all", "readers_all",
                   "scaling", "x_unsynchronized", "ns_per_op_1r_writer", "writer_ops_per_s", "gp_p50_us", "gp_p99_us"]


class Collector:
    """Session-wide: each benchmark adds one dict of figures under a kind."""

    def __init__(self) -> None:
        self.rows: list[dict[str, object]] = []
        self.started = time.time()
        self.load_start = os.getloadavg()
        self.unavailable: dict[str, str] = {}   # what could not be measured here -> why (one line each)

    def add(self, kind: str, figures: dict[str, object]) -> None:
        self.rows.append({"kind": kind, **figures})

    def of(self, kind: str) -> list[dict]:
        return [r for r in self.rows if r["kind"] == kind]

    # ------------------------------------------------------------ the derived tables
    def _throughput(self, workload: str, label: str, readers: int, writer: str, checks: bool = False) -> dict | None:
        return next((r for r in self.of("throughput") if r["workload"] == workload and r["label"] == label
                     and r["readers"] == readers and r["writer"] == writer and r["checks"] == checks), None)

    def summary(self) -> list[dict[str, object]]:
        """One row per (workload, scheme): 1 reader, all readers, scaling, ratio to unsynchronized, writer."""
        out = []
        keys = dict.fromkeys((r["workload"], r["label"]) for r in self.of("throughput") if not r["checks"])
        for workload, label in keys:
            one = self._throughput(workload, label, 1, "none")
            alln = self._throughput(workload, label, NCPUS, "none")
            wr = self._throughput(workload, label, 1, "steady")
            base = self._throughput(workload, "unsynchronized", 1, "none") if one else \
                self._throughput(workload, "unsynchronized", 1, "steady")
            mine = one or wr
            out.append({
                "workload": workload, "scheme": label,
                "ns_per_op_1r": one and one["ns_per_op"],
                "best_ns_per_op_1r": one and one["best_window_ns_per_op"],
                "ns_per_op_all": alln and alln["ns_per_op"], "readers_all": NCPUS,
                "scaling": one and alln and alln["ops_per_s"] / one["ops_per_s"],
                "x_unsynchronized": _ratio(mine, base, "best_window_ns_per_op"),
                "ns_per_op_1r_writer": wr and wr["ns_per_op"],
                "writer_ops_per_s": wr and wr["writer_ops_per_s"],
                "gp_p50_us": wr and wr["gp_p50_us"], "gp_p99_us": wr and wr["gp_p99_us"],
            })
        return out

    def zonelist(self) -> list[dict[str, object]]:
        """alloc against alloc-subset (bench/test_zonelist_cost.py): one row per (scheme, nodes, job width, writer),
        ns per allocation of each and their ratio (best-window ns/op: subset over alloc; < 1: the list wins)."""
        rows = self.of("zonelist")
        out = []
        keys = dict.fromkeys((r["label"], r["nodes"], r["job_nodes"], r["writer"]) for r in rows)
        for label, nodes, job, writer in keys:
            pick = {r["workload"]: r for r in rows if (r["label"], r["nodes"], r["job_nodes"], r["writer"]) ==
                    (label, nodes, job, writer)}
            a, z = pick.get("alloc"), pick.get("alloc-subset")
            out.append({"scheme": label, "nodes": nodes, "job_nodes": job, "writer": writer,
                        "alloc_ns_per_op": a and a["ns_per_op"], "alloc_best_ns_per_op": a and a["best_window_ns_per_op"],
                        "subset_ns_per_op": z and z["ns_per_op"], "subset_best_ns_per_op": z and z["best_window_ns_per_op"],
                        "subset_vs_alloc": _ratio(z, a, "best_window_ns_per_op"),
                        "subset_vs_alloc_mean": _ratio(z, a, "ns_per_op")})
        return out

    def targets(self) -> list[dict[str, object]]:
        """The issue's performance targets, each with its figure and met/missed (None: not measured)."""
        out: list[dict[str, object]] = []

        def target(name: str, figure: float | None, limit: float, at_most: bool = True, how: str = "") -> None:
            met = None if figure is None else (figure <= limit if at_most else figure >= limit)
            out.append({"target": name, "figure": figure, "limit": f"{'<=' if at_most else '>='} {limit:g}",
                        "met": met, "how": how})

        anchors = {(a["mechanism"], a["config"]): a for a in self.of("anchor")}
        unmatched = []
        for ref_key, mech in REFERENCE_FOR.items():
            label = scheme_label(*ref_key) if isinstance(ref_key, tuple) else scheme_label(ref_key, "qsbr")
            for cfg, (readers, writer) in ANCHOR_CONFIGS.items():
                mine, ref = self._throughput("deref", label, readers, writer), anchors.get((mech, cfg))
                if not (mine and ref and mine["best_window_ns_per_op"]):
                    unmatched.append(f"{label} {cfg}")
                    continue
                target(f"{label} {cfg} / refbench {mech}", mine["best_window_ns_per_op"] / ref["best_window_ns_per_read"],
                       1.25, how=f"best-window ns/op {fmt(mine['best_window_ns_per_op'])} vs "
                                 f"{fmt(ref['best_window_ns_per_read'])} ({ref['mode']})")
        if unmatched:   # one line for all of them, with the reason
            why = self.unavailable.get("anchors") or ("no refbench run in this session (bench/test_anchors.py "
                                                      "not selected)" if not anchors else
                                                      "the harness benchmark or refbench run it pairs with is not "
                                                      "in this run (--bench-full-matrix, or more CPUs)")
            target(f"harness deref / refbench, {len(unmatched)} pairs", None, 1.25,
                   how=f"not measured here: {why}: {', '.join(unmatched[:4])}{', ...' if len(unmatched) > 4 else ''}")
        ts = self._throughput("deref", "rcu-typesafe/qsbr", 1, "none")
        un = self._throughput("deref", "unsynchronized", 1, "none")
        target("rcu-typesafe/qsbr / unsynchronized, 1R", _ratio(ts, un, "best_window_ns_per_op"), 1.5,
               how="best-window ns/op, deref")
        two = self._throughput("deref", "rcu-typesafe/qsbr", 2, "none")
        target("rcu-typesafe/qsbr throughput 2R / 1R", ts and two and two["ops_per_s"] / ts["ops_per_s"], 1.8,
               at_most=False, how="total reader ops/s over the timed rounds (C-timed), deref")
        target("rcu-typesafe/qsbr throughput 2R / 1R, best window", _ratio(ts, two, "best_window_ns_per_op")
               and 2 * _ratio(ts, two, "best_window_ns_per_op"), 1.8, at_most=False,  # type: ignore[operator]
               how="2 x best-window ns/op 1R / 2R, deref")
        for r in self.of("throughput"):
            if r["checks"]:
                off = self._throughput(r["workload"], r["label"], r["readers"], r["writer"])
                target(f"{r['label']} oracles on / checks off, {r['workload']}", _ratio(r, off, "best_window_ns_per_op"), 3.0,
                       how=f"best-window ns/op {fmt(r['best_window_ns_per_op'])} vs "
                           f"{fmt(off and off['best_window_ns_per_op'])}, {r['group']} (amplifiers off)")
        mutants = self.of("mutants")
        killed = sum(bool(m["killed"]) for m in mutants)
        target("mutation kill rate", killed / len(mutants) if mutants else None, 1.0, at_most=False,
               how=f"{killed}/{len(mutants)} mutants (tests/mutants/) caught with their own kind on every seed"
               + "".join(f"; missed {m['mutant']} ({m['must_raise']}, {m['caught']}/{len(m['seeds'])})"
                         for m in mutants if not m["killed"]))
        for spare, what in ((True, "a CPU left for the orchestrator"), (False, "every CPU busy")):
            loops = [r for r in self.of("throughput") if r["workload"] == "deref" and r["in_loop_fraction"] is not None
                     and (r["readers"] + (r["writer"] != "none") < NCPUS) == spare]
            worst = min(loops, key=lambda r: r["in_loop_fraction"], default=None)
            target(f"reader wall time inside the C loop, worst deref benchmark, {what}",
                   worst and worst["in_loop_fraction"], 0.95, at_most=False,
                   how=worst and f"slowest reader; {worst['label']} {worst['group']}; median over {len(loops)} "
                   f"benchmarks {statistics.median(r['in_loop_fraction'] for r in loops):.3f}; the fastest reader, "
                   f"which waits for it, {worst['in_loop_fraction_fastest_reader']:.3f}" or "")
        return out

    def report(self) -> dict[str, object]:
        return {
            "machine": {"host": platform.node(), "cpu": cpu_model(), "cpus": NCPUS, "kernel": platform.release(),
                        "python": platform.python_version(), "load_average_start": self.load_start,
                        "load_average_end": os.getloadavg()},
            "started": time.strftime("%Y-%m-%dT%H:%M:%S%z", time.localtime(self.started)),
            "summary": self.summary(),
            "grace_period": self.of("grace-period"),
            "detection": self.of("detection"),
            "mutants": self.of("mutants"),
            "anchors": self.of("anchor"),
            "zonelist": self.zonelist(),
            "targets": self.targets(),
            "benchmarks": self.of("throughput") + self.of("zonelist"),
        }

    # ------------------------------------------------------------ output
    def write(self, report: dict[str, object], json_path: Path, csv_path: Path) -> None:
        json_path.parent.mkdir(parents=True, exist_ok=True)
        json_path.write_text(json.dumps(report, indent=2, default=float) + "\n")
        with csv_path.open("w", newline="") as f:
            w = csv.DictWriter(f, fieldnames=SUMMARY_COLUMNS)
            w.writeheader()
            w.writerows(report["summary"])  # type: ignore[arg-type]


def _ratio(a: dict | None, b: dict | None, key: str) -> float | None:
    return a[key] / b[key] if a and b and a[key] and b[key] else None


def fmt(v: object, digits: int = 3) -> str:
    if v is None or v == "":
        return "-"
    if isinstance(v, float):
        return f"{v:,.0f}" if abs(v) >= 1000 else f"{v:.{digits}g}"
    return str(v)


def table(headers: list[str], rows: list[list[object]]) -> list[str]:
    """Aligned text; a column no row has a value in is not printed."""
    keep = [i for i in range(len(headers)) if i == 0 or any(row[i] is not None and row[i] != "" for row in rows)]
    headers, rows = [headers[i] for i in keep], [[row[i] for i in keep] for row in rows]
    cells = [headers] + [[fmt(v) for v in row] for row in rows]
    widths = [max(len(r[i]) for r in cells) for i in range(len(headers))]
    line = lambda r: "  ".join(c.rjust(w) if i else c.ljust(w) for i, (c, w) in enumerate(zip(r, widths)))  # noqa: E731
    return [line(cells[0]), line(["-" * w for w in widths])] + [line(r) for r in cells[1:]]


def render(report: dict) -> list[str]:
    """The report as text tables, for the terminal summary."""
    m = report["machine"]
    out = [f"machine: {m['cpu']}, {m['cpus']} CPUs, kernel {m['kernel']}; load average at start "
           f"{m['load_average_start'][0]:.2f}, at end {m['load_average_end'][0]:.2f}",
           "ns/op: C-timed reader loop time per op, mean over readers; best = best 2 ms window (filters host noise);",
           f"scaling = total reader ops/s with {m['cpus']} readers / with 1; x unsync = best-window ns/op over "
           "unsynchronized's (1R, else 1R+W); W = steady writer (one change every 10 us)", ""]
    for workload in dict.fromkeys(r["workload"] for r in report["summary"]):
        rows = [r for r in report["summary"] if r["workload"] == workload]
        out.append(f"throughput, workload {workload}, checks off")
        out += table(["scheme", "ns/op 1R", "best 1R", f"ns/op {m['cpus']}R", "scaling", "x unsync",
                      "ns/op 1R+W", "writer ops/s", "GP p50 us", "GP p99 us"],
                     [[r["scheme"], r["ns_per_op_1r"], r["best_ns_per_op_1r"], r["ns_per_op_all"], r["scaling"],
                       r["x_unsynchronized"], r["ns_per_op_1r_writer"], r["writer_ops_per_s"], r["gp_p50_us"],
                       r["gp_p99_us"]] for r in rows])
        out.append("")
    if report["grace_period"]:
        out.append("grace periods (rcu-deferred; 0 busy: synchronize from the orchestrator, else a writer storm)")
        out += table(["flavor", "readers busy", "GPs", "sync p50 us", "sync p99 us", "callbacks", "cb p50 us",
                      "cb p99 us"],
                     [[g["rcu"], g["busy"], g["grace_periods"], g["gp_p50_us"], g["gp_p99_us"], g["callbacks"],
                       g["cb_p50_us"], g["cb_p99_us"]] for g in report["grace_period"]])
        out.append("")
    if report["detection"]:
        out.append("time to first violation (seconds, one fresh run per seed)")
        out += table(["scheme", "amplifiers", "caught", "median s", "max s"],
                     [[d["scheme"], d["amplifiers"], f"{d['caught']}/{len(d['seeds'])}", d["median_s"], d["max_s"]]
                      for d in report["detection"]])
        out.append("")
    if report.get("mutants"):
        out.append("mutants: caught = runs that reported the mutant's own kind; seconds to the first violation")
        out += table(["mutant", "kind", "caught", "median s", "worst s"],
                     [[m["mutant"], m["must_raise"], f"{m['caught']}/{len(m['seeds'])}", m["median_s"], m["worst_s"]]
                      for m in report["mutants"]])
        out.append("")
    if report["anchors"]:
        out.append("refbench anchors, same session (ns per read)")
        out += table(["mechanism", "config", "mode", "ns/read", "best", "upd ops/s", "upd p50 us"],
                     [[a["mechanism"], a["config"], a["mode"], a["ns_per_read"], a["best_window_ns_per_read"],
                       a["upd_ops_per_s"], a["upd_lat_p50_us"]] for a in report["anchors"]])
        out.append("")
    if report.get("zonelist"):
        out.append("subset zonelists: ns per allocation, alloc (walk asks mems_allowed per node) vs alloc-subset "
                   "(walk over the cpuset's precomputed list); 1 reader, checks off; job = nodes in the readers' "
                   "cpuset; W = steady writer; ratio = best-window subset / alloc (< 1: the list is faster)")
        out += table(["scheme", "nodes", "job", "writer", "alloc ns", "alloc best", "subset ns", "subset best", "ratio"],
                     [[z["scheme"], z["nodes"], z["job_nodes"], z["writer"], z["alloc_ns_per_op"],
                       z["alloc_best_ns_per_op"], z["subset_ns_per_op"], z["subset_best_ns_per_op"],
                       z["subset_vs_alloc"]] for z in report["zonelist"]])
        out.append("")
    out.append("targets (reported, not asserted)")
    out += table(["target", "figure", "limit", "result", "how"],
                 [[t["target"], t["figure"], t["limit"],
                   {True: "met", False: "MISSED", None: "not measured"}[t["met"]], t["how"]]
                  for t in report["targets"]])
    return out
