"""`python -m harness litmus`: the parser and the table it prints. Exit 0: no outcome LKMM forbids was
observed; 1: one was; 2: bad input (one line)."""

from __future__ import annotations

import argparse
import json

from harness.litmus.run import LitmusFailed, run
from harness.litmus.shapes import find
from harness.soak.monitor import emit
from harness.report.output import save
from harness.soak.parse import ConfigError


MAX = 2 ** 62   # the C runners count in long long


def _number(lowest: int):
    def parse(text: str) -> int:
        if not (text.isascii() and text.isdigit()) or not lowest <= int(text) <= MAX:
            raise argparse.ArgumentTypeError(f"expected a whole number from {lowest} to {MAX}, not {text!r}")
        return int(text)
    return parse


def add_parser(sub: argparse._SubParsersAction, formatter: type) -> None:
    p = sub.add_parser("litmus", help="the kernel memory model's litmus shapes, through the scheme primitives",
                       formatter_class=formatter,
                       description="Run the Linux kernel memory model's litmus tests through the primitives a "
                                   "scheme uses, and compare each outcome count with the kernel file's verdict. "
                                   "Exit 0: no outcome LKMM forbids was observed; 1: one was; 2: bad input.")
    p.add_argument("shapes", nargs="*", metavar="SHAPE", help="kernel litmus file names (default: every shape)")
    p.add_argument("--list", action="store_true", help="print the shapes with their LKMM verdicts, run nothing")
    p.add_argument("--trials", type=_number(1), default=20000, help="trials per shape")
    p.add_argument("--procs", action="store_true",
                   help="one pinned process per litmus thread on this process's CPUs (default: one process, "
                        "a seeded interleaving of the threads)")
    p.add_argument("--memory-model", choices=("weak", "native"), default="weak",
                   help="weak: the emulation of LKMM's reorderings; native: the machine's own")
    p.add_argument("--seed", type=_number(0), default=1, help="the one-process scheduler's seed")
    p.add_argument("--json", dest="json_path", default=None, help="also write every row here")


def _shapes(names: list[str]):
    try:
        return find(names)
    except KeyError as e:
        raise ConfigError(f"unknown litmus shape {e.args[0]!r} (python -m harness litmus --list)") from None


def main(args: argparse.Namespace) -> int:
    shapes = _shapes(args.shapes)
    if args.list:
        for s in shapes:
            note = (f"   allowed; not producible by this emulation ({s.not_emulated})" if s.not_emulated else
                    f"   allowed; not producible by real processes ({s.one_process_only})" if s.one_process_only else "")
            emit(f"{s.name:52s} {s.result:9s} {s.threads} threads  {s.source}{note}")
        return 0
    weak = args.memory_model == "weak"
    mode = "real processes" if args.procs else f"one process, seed {args.seed}"
    emit(f"{'shape':52s} {'LKMM':9s} {'seen/trials':>15s}  verdict   ({args.memory_model} memory, {mode})")
    rows = []
    for s in shapes:
        try:
            o = run(s, args.trials, weak, args.procs, args.seed)
        except LitmusFailed as e:
            raise ConfigError(str(e)) from None
        rows.append(o)
        emit(f"{s.name:52s} {s.result:9s} {f'{o.seen}/{o.trials}':>15s}  {o.verdict}")
    forbidden = [o.shape.name for o in rows if o.verdict == "FORBIDDEN OBSERVED"]
    emit(f"{len(rows)} shapes: " + (f"FORBIDDEN OUTCOME OBSERVED in {', '.join(forbidden)}" if forbidden
                                    else "no outcome LKMM forbids was observed"))
    if args.json_path:
        table = {"memory_model": args.memory_model, "procs": args.procs, "seed": args.seed,
                 "rows": [o.as_json() for o in rows]}
        save(args.json_path, json.dumps(table, indent=1), "litmus table")
    return 1 if forbidden else 0
