"""`campaign summary DIR`: a torture.sh-style table, one line per scenario: runs, failures, errors, runs
stopped from outside (not judged), the failure rate with its 95% Wilson interval, close calls (near misses)
per hour of run time, the worst stall, median and worst reader ns/op; then each failing scenario's first
reproduce command."""

from __future__ import annotations

import statistics
from collections import defaultdict

from harness.triage.rates import wilson
from harness.campaign.store import Store
from harness.report.text import fmt_ns

HEADER = ("scenario", "runs", "fail", "err", "int", "failure rate [95% CI]", "close/h", "worst stall", "ns/op p50",
          "ns/op max")


def group(store: Store) -> dict[str, list]:
    by: dict[str, list] = defaultdict(list)
    for r in store.runs():
        by[r["scenario"]].append(r)
    return {s: by[s] for s in store.scenarios() if s in by}


def scenario_line(name: str, rows: list) -> tuple[str, ...]:
    judged = [r for r in rows if r["verdict"] in ("SUCCESS", "FAILURE")]
    k = sum(r["verdict"] == "FAILURE" for r in judged)
    n = len(judged)
    if n:
        lo, hi = wilson(k, n)
        rate = f"{k / n:6.1%} [{lo:.1%}, {hi:.1%}]"
    else:
        rate = "-"
    hours = sum(r["run_time_s"] or 0 for r in judged) / 3600
    close = f"{sum(r['near_misses'] or 0 for r in judged) / hours:.3g}" if hours else "-"
    stalls = [r["worst_stall_s"] for r in judged if r["worst_stall_s"] is not None]
    ns = [r["ns_per_op"] for r in judged if r["ns_per_op"] is not None]
    stopped = sum(r["verdict"] == "INTERRUPTED" for r in rows)
    return (name, str(len(rows)), str(k), str(len(rows) - n - stopped), str(stopped), rate, close,
            f"{max(stalls) * 1e3:.0f}ms" if stalls else "-",
            fmt_ns(statistics.median(ns)) if ns else "-", fmt_ns(max(ns)) if ns else "-")


def table(lines: list[tuple[str, ...]]) -> list[str]:
    widths = [max(len(row[i]) for row in lines) for i in range(len(lines[0]))]
    return ["  ".join(c.ljust(w) if i == 0 else c.rjust(w) for i, (c, w) in enumerate(zip(row, widths))).rstrip()
            for row in lines]


def by_scheme(groups: dict[str, list]) -> list[str]:
    """One line per scheme when the campaign has several scenarios of it: how many of them failed."""
    schemes: dict[str, list[bool]] = defaultdict(list)
    for rows in groups.values():
        name = next((r["scheme"] for r in rows if r["scheme"]), None)
        if name:
            schemes[name].append(any(r["verdict"] == "FAILURE" for r in rows))
    if all(len(v) < 2 for v in schemes.values()):
        return []
    return [f"scheme {name}: {sum(failed)}/{len(failed)} scenarios failed" for name, failed in schemes.items()]


def summary_lines(store: Store) -> list[str]:
    groups = group(store)
    if not groups:
        return [f"{store.dir}: no finished runs yet"]
    rows = [HEADER, *(scenario_line(s, rs) for s, rs in groups.items())]
    out = table(rows)
    total = sum(len(rs) for rs in groups.values())
    failing = [s for s, rs in groups.items() if any(r["verdict"] == "FAILURE" for r in rs)]
    out.append(f"{len(groups)} scenarios, {total} runs; {len(failing)} scenarios with failures")
    out += by_scheme(groups)
    for s in failing:
        first = min((r for r in groups[s] if r["verdict"] == "FAILURE"), key=lambda r: (r["started"], r["replica"]))
        out.append(f"!!! {s}: first failure (replica {first['replica']}, {first['first_kind']}): {first['command']}")
    for s, rs in groups.items():
        for r in rs:
            if r["verdict"] == "ERROR":
                out.append(f"error: {s} replica {r['replica']}: {r['error']}")
            elif r["verdict"] == "INTERRUPTED":
                out.append(f"interrupted: {s} replica {r['replica']}: stopped from outside the campaign (exit "
                           f"{r['exit_code']}), not judged; --resume runs it again")
    return out
