"""Command line: `python -m harness list | soak`. Exit status: 0 no violation, 1 any violation, 2 bad
arguments or environment (one line, or a scheme file's compiler messages; no traceback, nothing left
behind), 130 interrupted."""

from __future__ import annotations

import argparse
import json
import signal
import sys
from typing import Sequence

from harness.config import DEFAULT_SCHEME, Config, ConfigError, parse_cpu_list, parse_duration
from harness.core import FLAVORS, WORKLOADS, Core, core_for
from harness.result import Result
from harness.session import Session, WorkerFailed

WORKLOAD_HELP = {
    "deref": "the cpuset_mems_allowed() read alone",
    "alloc": "the whole __alloc_pages model: cpuset check, zonelist walk, page alloc, stamp, free",
    "unused": "the allocation path while only the root cpuset exists (number_of_cpusets == 1 short-circuit)",
}


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> None:   # one line, exit 2
        raise ConfigError(message)


def _int(text: str) -> int:
    try:
        return int(text)
    except ValueError:
        raise ConfigError(f"not an integer: {text!r}") from None


def build_parser() -> argparse.ArgumentParser:
    p = _Parser(prog="python -m harness", description=__doc__)
    sub = p.add_subparsers(dest="command", required=True, parser_class=_Parser)
    ls = sub.add_parser("list", help="schemes (busted ones marked) and workloads")
    ls.add_argument("--scheme-file", default=None, help="also list the scheme this C file defines")
    s = sub.add_parser("soak", help="an affinity-pinned stress run")
    s.add_argument("--scheme", default=None,
                   help=f"default: the --scheme-file's scheme if one is given, else {DEFAULT_SCHEME}")
    s.add_argument("--scheme-file", default=None,
                   help="a C file defining harness_user_scheme (see harness.h): compiled, cached, run like a built-in")
    s.add_argument("--rcu", default="qsbr", help=f"RCU flavor: {', '.join(FLAVORS)}")
    s.add_argument("--workload", default="alloc", help=f"one of {', '.join(WORKLOADS)}")
    s.add_argument("--cpus", default=None, help="CPU list, e.g. 0,2-3 (default: all allowed)")
    s.add_argument("--readers", type=_int, default=None, help="default: CPUs minus writers")
    s.add_argument("--writers", type=_int, default=1)
    s.add_argument("--duration", default="10s", help="seconds, or with s/m/h suffix")
    s.add_argument("--seed", type=_int, default=None)
    s.add_argument("--json", dest="json_path", default=None, help="write the report here")
    s.add_argument("--no-checks", action="store_true", help="oracles off: pure throughput")
    s.add_argument("--until-violation", action="store_true", help="stop at the first violation")
    s.add_argument("--oversubscribe", action="store_true", help="allow more workers than CPUs")
    s.add_argument("--interval", default="1s", help="status line period")
    s.add_argument("--quiet", action="store_true", help="no status lines")
    return p


def cmd_list(core: Core) -> int:
    for sc in core.schemes:
        mark = "busted" if sc.busted else ("unsafe" if sc.unsafe else "correct")
        origin = " (scheme file)" if sc is core.user else ""
        print(f"scheme   {sc.name:28s} {mark:8s} {sc.summary}{origin}")
    for w in WORKLOADS:
        print(f"workload {w:28s} {'':8s} {WORKLOAD_HELP[w]}")
    return 0


def _status(s: Session, last: dict[str, float]) -> None:
    from harness.result import Snapshot
    snap = Snapshot.take(s)
    ops = int(snap.counter(s, "ops")[snap.readers].sum())
    dt = max(snap.t_s - last.get("t", 0.0), 1e-9)
    rate = (ops - last.get("ops", 0)) / dt
    last.update(t=snap.t_s, ops=ops)
    g = snap.glob
    print(f"t={snap.t_s:7.1f}s ops={ops} ops/s={rate:,.0f} gp={g['gp_count']} "
          f"cb_pending={int(g['cb_queued']) - int(g['cb_done'])} slab_pages={g['slab_pages']} "
          f"violations={g['violations']} near_misses={int(snap.counter(s, 'near_misses')[snap.readers].sum())} "
          f"gp_max={int(g['gp_max_ns']) / 1e6:.2f}ms stalls={g['nstalls']}", flush=True)


def cmd_soak(args: argparse.Namespace) -> int:
    config = Config(scheme=args.scheme, rcu=args.rcu, workload=args.workload,
                    cpus=None if args.cpus is None else parse_cpu_list(args.cpus), readers=args.readers,
                    writers=args.writers, duration=parse_duration(args.duration), seed=args.seed, checks=not args.no_checks,
                    until_violation=args.until_violation, oversubscribe=args.oversubscribe, scheme_file=args.scheme_file)
    interrupted = False

    def on_term(signum: int, frame: object) -> None:
        raise KeyboardInterrupt

    signal.signal(signal.SIGTERM, on_term)
    with Session(config) as s:
        c = s.config
        print(f"start: scheme={c.scheme} rcu={c.rcu} workload={c.workload} cpus={c.cpus} readers={c.readers} "
              f"writers={c.writers} duration={c.duration:g}s seed={c.seed} checks={'on' if c.checks else 'off'}")
        print(f"reproduce: {c.command()}", flush=True)
        last: dict[str, float] = {}
        try:
            s.run(duration=c.duration, interval=parse_duration(args.interval),
                  on_interval=None if args.quiet else (lambda sess: _status(sess, last)))
        except KeyboardInterrupt:   # run() has already stopped the workers and waited for them
            interrupted = True
        result = Result.collect(s, status="interrupted" if interrupted else "completed")
    rep = result.report
    if args.json_path:
        with open(args.json_path, "w") as f:
            json.dump(rep, f, indent=1)
    print(result.verdict_line())
    if rep["first_violation"]:
        print(f"first violation: {rep['first_violation']}")
    for e in rep["events"]:  # type: ignore[union-attr]
        print(f"event: {e['what']}")
    print(f"reproduce: {rep['command']}")
    if interrupted:
        return 130
    return 1 if rep["violations"] else 0


def main(argv: Sequence[str] | None = None) -> int:
    try:
        args = build_parser().parse_args(argv)
        if args.command == "list":
            return cmd_list(core_for(args.scheme_file))
        return cmd_soak(args)
    except (ConfigError, WorkerFailed) as e:
        print(f"error: {e}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 130


if __name__ == "__main__":
    sys.exit(main())
