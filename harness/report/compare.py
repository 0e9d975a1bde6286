"""Several saved runs as one table: `python -m harness report a.json b.json ...` (a column per run, each
numeric row also as its difference from the first run) and the scaling table of one file holding several
runs. A report's own text is harness.report.text's; this module only lays runs side by side."""

from __future__ import annotations

from typing import Callable

from harness.soak.parse import cpu_ranges
from harness.report.text import TORTURE_RATE, fmt_ns, title, torture


def reader_ns_per_op(r: dict) -> float | None:
    """The readers' mean cost of one operation: their loop time over their operations."""
    readers = [w for w in r["workers"] if w["role"] == "reader" and w.get("ns_per_op") is not None and w["ops"]]
    ops = sum(w["ops"] for w in readers)
    return sum(w["ns_per_op"] * w["ops"] for w in readers) / ops if ops else None


def _cpus(r: dict) -> str:
    cpus = r["config"].get("cpus")
    return f"{cpu_ranges(cpus)} ({len(cpus)})" if cpus else "-"


def _count(n: float | None) -> str:
    return "-" if n is None else f"{n:,.0f}"


# (label, value of a run, how a value reads); a row whose values are numbers also gets its change in %
Row = tuple[str, Callable[[dict], object], Callable[[object], str]]
_TEXT = str
ROWS: list[Row] = [
    ("scheme", lambda r: r["config"].get("scheme"), _TEXT),
    ("flavor", lambda r: r["config"].get("rcu"), _TEXT),
    ("workload", lambda r: r["config"].get("workload"), _TEXT),
    ("memory model", lambda r: r["config"].get("memory_model"), _TEXT),
    ("CPUs", _cpus, _TEXT),
    ("readers", lambda r: r["config"].get("readers"), _count),
    ("writers", lambda r: r["config"].get("writers"), _count),
    ("duration (s)", lambda r: r["config"].get("duration"), lambda v: f"{v:g}"),
    ("run time (s)", lambda r: r.get("run_time_s"), lambda v: f"{v:.2f}"),
    ("reader ops", lambda r: r["ops"], _count),
    ("ops/s", lambda r: r["ops_per_s"], _count),
    ("ns/op (readers)", reader_ns_per_op, lambda v: f"{v:.1f}"),
    ("writer ops", lambda r: r.get("writer_ops"), _count),
    ("grace periods", lambda r: r["gp"]["count"], _count),
    ("gp p50", lambda r: r["gp"].get("p50_ns"), fmt_ns),
    ("gp p99", lambda r: r["gp"].get("p99_ns"), fmt_ns),
    ("gp max", lambda r: r["gp"].get("max_ns") or None, fmt_ns),
    ("near misses", lambda r: r.get("near_misses"), _count),
    ("violations", lambda r: r["violations"], _count),
]


def _change(v: object, base: object) -> str:
    if not isinstance(v, (int, float)) or not isinstance(base, (int, float)) or isinstance(v, bool):
        return ""
    if base == 0:
        return " (=)" if v == 0 else " (new)"
    return f" ({(v - base) / base * 100:+.1f}%)"


def comparison_rows(runs: list[dict]) -> list[list[str]]:
    """The table as cells: a label, then one cell per run; rows no run has a value for are left out, and
    violations get a row per kind any run saw."""
    kinds = [k for k in dict.fromkeys(k for r in runs for k in r["violations_by_kind"])
             if any(r["violations_by_kind"].get(k) for r in runs)]
    rows = [*ROWS, *((f"  {k}", (lambda r, k=k: r["violations_by_kind"].get(k, 0)), _count) for k in kinds),
            ("verdict", lambda r: r["verdict"], _TEXT)]
    table = []
    for label, value, fmt in rows:
        values = [value(r) for r in runs]
        if all(v is None for v in values):
            continue
        cells = ["-" if v is None else fmt(v) for v in values]
        table.append([label, cells[0], *(c + ("" if v is None else _change(v, values[0]))
                                         for c, v in zip(cells[1:], values[1:]))])
    return table


def render_comparison(runs: list[dict]) -> str:
    """Runs side by side, one column each; numbers also as their change from the first run (#1)."""
    head = ["", *(f"#{i + 1}" for i in range(len(runs)))]
    table = [head, *comparison_rows(runs)]
    widths = [max(len(row[i]) for row in table) for i in range(len(head))]
    out = [f"== {len(runs)} runs side by side (changes against #1) =="]
    tortured = [f"#{i + 1}" for i, r in enumerate(runs) if torture(r)]
    if tortured:
        out.append(f"{', '.join(tortured)}: ops/s and ns/op are torture throughput ({TORTURE_RATE})")
    out += ["  " + "  ".join(c.ljust(w) if i == 0 else c.rjust(w) for i, (c, w) in enumerate(zip(row, widths)))
            for row in table]
    out += [""] + [f"#{i + 1}: {r['command']}" for i, r in enumerate(runs)]
    return "\n".join(out)


def render_scaling(runs: list[dict]) -> str:
    """Several runs side by side: reader ops/s against readers, per scheme and flavor."""
    out = ["== scaling ==", f"  {'scheme / rcu / workload':40} {'readers':>7} {'writers':>7} {'ops/s':>14} verdict"]
    for r in sorted(runs, key=lambda r: (title(r), r["config"].get("readers") or 0)):
        c = r["config"]
        out.append(f"  {title(r):40} {c.get('readers')!s:>7} {c.get('writers')!s:>7} {r['ops_per_s']:>14,.0f} "
                   f"{r['verdict']}")
    return "\n".join(out)
