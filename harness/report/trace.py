"""A saved run's flight records as a Chrome / Perfetto trace (`python -m harness report RUN.json --trace
out.json`; open it in https://ui.perfetto.dev or chrome://tracing). One process per run, one track (thread)
per worker, named like "reader 0 cpu 1", and one for the reclaimer; reads as slices ("X", from when the read
began to the end of its check), everything else as instants ("i"): allocations, attaches, destroys, call_rcu,
frees, page releases, grace periods started and completed, and the first violation (global scope, so it
crosses every track). Times are microseconds since the run's start. Works on the report dict alone."""

from __future__ import annotations

import json

from harness.report.output import save

from harness.report.text import run_label

RECLAIMER, ORCHESTRATOR = -1, -2

# instant events: (name, args) from a flight-recorder entry's a and b
_INSTANTS = {
    "create": lambda a, b: (f"create serial {a}", {"serial": a, "object": hex(b)}),
    "attach": lambda a, b: (f"attach serial {b}", {"task": a, "serial": b}),
    "destroy": lambda a, b: (f"destroy serial {a}", {"serial": a, "object": hex(b)}),
    "call-rcu": lambda a, b: (f"call_rcu serial {a}" if a else "call_rcu", {"serial": a, "object": hex(b)}),
    "free": lambda a, b: (f"free serial {a}", {"serial": a, "object": hex(b)}),
    "page-release": lambda a, b: (f"page {a} released", {"page": a, "gp_completed": b}),
    "gp-start": lambda a, b: (f"grace period {a} started", {"gp": a}),
    "gp-end": lambda a, b: (f"grace period {a} completed", {"gp": a, "length_us": b / 1e3}),
}


def _us(t_s: float) -> float:
    return round(t_s * 1e6, 3)


def _track_names(r: dict) -> dict[int, str]:
    names = {}
    for i, w in enumerate(r["workers"]):
        cpus = sorted(set(w.get("cpus_assigned") or [w["cpu"]]))   # a shuffle moves a worker: every CPU it had
        names[w.get("worker", i)] = f"{w['role']} {w.get('worker', i)} cpu {','.join(map(str, cpus))}"
    names[RECLAIMER] = "reclaimer (not pinned)"
    return names


def run_events(r: dict, pid: int) -> list[dict]:
    """The trace events of one run, as process `pid`."""
    names = _track_names(r)
    tid = {w: i for i, w in enumerate(names)}   # workers 0..n-1, then the reclaimer

    def track(worker: int) -> int:
        if worker not in tid:   # the orchestrator raised it: a track of its own
            names[worker] = "orchestrator" if worker == ORCHESTRATOR else f"worker {worker}"
            tid[worker] = len(tid)
        return tid[worker]

    kinds = list(r["violations_by_kind"])
    first = r.get("first_violation")
    out: list[dict] = []
    for e in r.get("flight_recorder", []):
        base = {"pid": pid, "tid": track(e["worker"]), "ts": _us(e["t_s"]), "cat": e["event"]}
        a, b = e["a"], e["b"]
        if e["event"] == "read":
            out.append({**base, "ph": "X", "name": f"read serial {a}", "dur": max(_us(e.get("dur_s", 0.0)), 0.0),
                        "args": {"serial": a, "object": hex(b), "cpu": e["cpu"]}})
        elif e["event"] == "violation":
            if first and e["worker"] == first["worker"] and b == first["object"]:
                continue   # the first violation comes from the report's own record, below
            kind = kinds[a] if a < len(kinds) else str(a)
            out.append({**base, "ph": "i", "s": "t", "name": f"!!! {kind}", "args": {"kind": kind, "object": hex(b)}})
        elif e["event"] in _INSTANTS:
            name, args = _INSTANTS[e["event"]](a, b)
            out.append({**base, "ph": "i", "s": "t", "name": name, "args": args})
    if first:
        out.append({"pid": pid, "tid": track(first["worker"]), "ts": _us(first["t_s"]), "ph": "i", "s": "g",
                    "cat": "violation", "name": f"!!! first violation: {first['kind']}",
                    "args": {"kind": first["kind"], "object": hex(first["object"]), "serial": first["serial"],
                             "worker": first["worker"], "cpu": first["cpu"], "where": first.get("where"),
                             "task": first["task"], "detail": first["detail"]}})
    meta = [{"pid": pid, "tid": 0, "ph": "M", "name": "process_name",
             "args": {"name": f"{run_label(r)}: {r['verdict']}"}}]
    for worker, t in tid.items():
        meta.append({"pid": pid, "tid": t, "ph": "M", "name": "thread_name", "args": {"name": names[worker]}})
        meta.append({"pid": pid, "tid": t, "ph": "M", "name": "thread_sort_index", "args": {"sort_index": t}})
    return meta + sorted(out, key=lambda ev: ev["ts"])


def chrome_trace(runs: list[dict]) -> dict:
    """The trace of one or more runs (one process each, in order)."""
    return {"traceEvents": [ev for i, r in enumerate(runs) for ev in run_events(r, i + 1)],
            "displayTimeUnit": "ns",
            "otherData": {f"run {i + 1}": r["command"] for i, r in enumerate(runs)}}


def write_trace(runs: list[dict], path: str) -> tuple[int, str]:
    """Write the trace; returns how many events it holds (metadata included) and the file that holds it
    (another when `path` cannot be written, '' when none could: harness.report.output.save)."""
    trace = chrome_trace(runs)
    return len(trace["traceEvents"]), save(path, json.dumps(trace), "trace")
