"""Scaling sweep for a machine with many CPUs: readers 1..N (default up to 15, at most CPUs - 1) plus one
steady writer (a change every 10 us), deref workload, checks off, every correct scheme and RCU flavor with
`unsynchronized` as the baseline. Writes <out>/sweep-<host>.json (every figure) and .md (ns/op table).

    python bench/sweep.py                      # into bench/results/
    python bench/sweep.py --max-readers 2 --round-ms 20 --rounds 2 --out /tmp/sweep   # a smoke run
"""

from __future__ import annotations

import argparse
import json
import platform
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from measure import NCPUS, VARIANTS, Case, timed_rounds   # noqa: E402
from summary import cpu_model, fmt                       # noqa: E402


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--max-readers", type=int, default=15)
    p.add_argument("--round-ms", type=float, default=100.0)
    p.add_argument("--rounds", type=int, default=5)
    p.add_argument("--out", type=Path, default=Path(__file__).resolve().parent / "results")
    a = p.parse_args(argv)
    readers = range(1, max(1, min(a.max_readers, NCPUS - 1)) + 1)
    rows = []
    for r in readers:
        for scheme, rcu in VARIANTS:
            case = Case(scheme, rcu, "deref", r, "steady")
            rows.append(timed_rounds(case, a.round_ms / 1000, a.rounds, lambda fn, n, k: [fn() for _ in range(n * k)]))
            print(f"{case.id}: {rows[-1]['ns_per_op']:.3g} ns/op", flush=True)
    machine = {"host": platform.node(), "cpu": cpu_model(), "cpus": NCPUS, "kernel": platform.release()}
    command = "python bench/sweep.py " + " ".join(argv if argv is not None else sys.argv[1:])
    a.out.mkdir(parents=True, exist_ok=True)
    stem = a.out / f"sweep-{machine['host']}"
    stem.with_suffix(".json").write_text(json.dumps({"machine": machine, "command": command,
                                                     "date": time.strftime("%Y-%m-%d %H:%M %Z"), "rows": rows},
                                                    indent=2) + "\n")
    labels = list(dict.fromkeys(row["label"] for row in rows))
    ns = {(row["label"], row["readers"]): row["ns_per_op"] for row in rows}
    header = ["readers + 1 writer"] + labels
    md = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    md += ["| " + " | ".join([str(r)] + [fmt(ns[(lb, r)]) for lb in labels]) + " |" for r in readers]
    stem.with_suffix(".md").write_text(
        "# Scaling sweep: ns/op per reader (C-timed), deref, checks off, steady writer\n\n"
        f"Machine: {machine['cpu']}, {machine['cpus']} CPUs, kernel {machine['kernel']}. "
        f"Command: `{command}`\n\n" + "\n".join(md) + "\n")
    print(f"written: {stem}.json and {stem}.md")
    return 0


if __name__ == "__main__":
    sys.exit(main())
