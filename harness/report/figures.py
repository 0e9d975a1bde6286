"""The figures a verdict rests on, checked against each other and against the clock before any verdict: a
report whose figures cannot all be true is `engine-corrupted: <which figure>`, FAILURE, never SUCCESS."""

from __future__ import annotations

from typing import Any

# No grace period (a futex mutex, two clock reads, the scheme's wait) and no reader operation (at least a
# load and the loop's own instructions: a CPU cycle) takes less than these on any machine: more than elapsed
# time allows is not a count the engine made. A checks-off deref loop does 1.5 ops/ns on this 2-CPU guest
# (0.43 ns/op at best), so the bound for ops is ten per ns, a 10 GHz core doing one op per cycle.
MIN_GP_NS = 20
MIN_OP_NS = 0.1
MONOTONIC = ("ops", "gp_count", "violations", "stalls", "near_misses")


def inconsistencies(report: dict[str, Any], elapsed_s: float, pages_total: int, silent: list[int]) -> list[str]:
    """Each figure of `report` that contradicts another or the elapsed time, in words. `pages_total` is what
    the configuration asked for; `silent`: workers alive and not hung that report no end of their round."""
    out = []
    elapsed_ns = max(elapsed_s, 0.0) * 1e9
    series = report.get("series") or []
    for name in MONOTONIC:
        values = [e[name] for e in series if name in e]
        drops = [(a, b) for a, b in zip(values, values[1:]) if b < a]
        if drops:
            out.append(f"{name} went backwards between status samples ({drops[0][0]} then {drops[0][1]})")
    gp = report["gp"]["count"]
    if gp * MIN_GP_NS > elapsed_ns:
        out.append(f"gp={gp} grace periods in {elapsed_s:.3f} s (more than one per {MIN_GP_NS} ns)")
    workers = report["workers"]
    for w in workers:
        if w["ops"] * MIN_OP_NS > elapsed_ns:
            out.append(f"worker {w['worker']} ops={w['ops']} in {elapsed_s:.3f} s (more than one per {MIN_OP_NS} ns)")
    reader_ops = sum(w["ops"] for w in workers if w["role"] == "reader")
    if reader_ops != report["ops"]:
        out.append(f"ops={report['ops']} but the readers' own counts add up to {reader_ops}")
    by_kind = sum(report["violations_by_kind"].values())
    raised = sum(w["violations"] for w in workers) + sum(report["violations_outside_workers"].values())
    if not report["violations"] == by_kind == raised:
        out.append(f"violations={report['violations']} but {by_kind} by kind and {raised} by who raised them")
    arena = report["arena"]
    if arena["pages_total"] != pages_total:
        out.append(f"pages_total={arena['pages_total']} but the arena was made with {pages_total}")
    for name in ("pages_free", "slab_pages"):
        if not 0 <= arena[name] <= arena["pages_total"]:
            out.append(f"{name}={arena[name]} of pages_total={arena['pages_total']}")
    cb = report["gp"]
    if cb["callbacks_pending"] < 0:
        out.append(f"callbacks={cb['callbacks']} run, more than were queued")
    out += [f"worker {w} is alive and was not hung, but reported no end of its round" for w in silent]
    return out
