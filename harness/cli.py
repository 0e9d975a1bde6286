"""Command line: `python -m harness list | soak | report`. Exit status: 0 no violation, 1 any violation, 2 bad
arguments or environment (one line, or a scheme file's compiler messages; no traceback, nothing left
behind), 130 interrupted."""

from __future__ import annotations

import argparse
import json
import os
import signal
import sys
import time
from typing import Sequence

from harness.config import DEFAULT_SCHEME, Config
from harness.parse import ConfigError, parse_cpu_list, parse_duration
from harness.core import Core
from harness.parse import FLAVORS, WORKLOADS
from harness.userscheme import core_for
from harness.faults import KINDS
from harness.monitor import Monitor, emit
from harness.provenance import harness_version
from harness.story import story_lines
from harness.report_text import ReportError, load_runs, render, render_scaling
from harness.result import Result
from harness.session import Session, WorkerFailed
from harness.campaign import cli as campaign_cli

WORKLOAD_HELP = {
    "deref": "the cpuset_mems_allowed() read alone",
    "alloc": "the whole __alloc_pages model: cpuset check, zonelist walk, page alloc, stamp, free",
    "unused": "the allocation path while only the root cpuset exists (number_of_cpusets == 1 short-circuit)",
    "alloc-subset": "alloc with subset zonelists: each cpuset carries its nodes in fallback order per home node, "
                    "the walk takes the first with a free page, no per-node mems_allowed test",
}


class _DefaultsHelp(argparse.ArgumentDefaultsHelpFormatter):
    """--help shows each default; one that depends on the machine or the mode (None) says so in its text."""

    def _get_help_string(self, action: argparse.Action) -> str:
        if action.default is None or isinstance(action.default, bool) or action.default == []:
            return action.help or ""
        return super()._get_help_string(action) or ""


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
    p.add_argument("--version", action="version", version=f"%(prog)s {harness_version()}")
    sub = p.add_subparsers(dest="command", required=True, parser_class=_Parser)
    ls = sub.add_parser("list", help="schemes (busted ones marked) and workloads")
    ls.add_argument("--scheme-file", default=None, help="also list the scheme this C file defines")
    s = sub.add_parser("soak", help="an affinity-pinned stress run",
                       formatter_class=_DefaultsHelp)
    s.add_argument("--scheme", default=None,
                   help=f"default: the --scheme-file's scheme if one is given, else {DEFAULT_SCHEME}")
    s.add_argument("--scheme-file", default=None,
                   help="a C file defining harness_user_scheme (see harness.h): compiled, cached, run like a built-in")
    s.add_argument("--rcu", default="qsbr", help=f"RCU flavor: {', '.join(FLAVORS)}")
    s.add_argument("--workload", default="alloc", help=", ".join(WORKLOADS))
    s.add_argument("--cpus", default=None, help="CPU list, e.g. 0,2-3 (default: all allowed)")
    s.add_argument("--nodes", type=_int, default=4, help="simulated memory nodes, 1..64")
    s.add_argument("--job-nodes", type=_int, default=0,
                   help="the readers' initial job cpuset: the last K nodes, far from the low home nodes (0: every other node)")
    s.add_argument("--readers", type=_int, default=None, help="default: CPUs minus writers")
    s.add_argument("--writers", type=_int, default=1, help="writer processes")
    s.add_argument("--duration", default="10s", help="seconds, or with s/m/h suffix")
    s.add_argument("--seed", type=_int, default=None, help="0 .. 2**64-1 (default: random, printed)")
    s.add_argument("--json", dest="json_path", default=None, help="write the report here")
    s.add_argument("--ops", type=_int, default=0, help="reader ops per reader instead of a duration (0: the duration)")
    s.add_argument("--pages-per-node", type=_int, default=1024, help="simulated pages per node")
    s.add_argument("--writer-period", default="0", help="one writer change per period, e.g. 10us (0: a writer storm)")
    s.add_argument("--writer-delay", default=None, metavar="MAX",
                   help="amplifier: random delay up to MAX between writer steps (default 5us with checks on)")
    s.add_argument("--no-checks", action="store_true", help="oracles off: pure throughput")
    s.add_argument("--until-violation", action="store_true", help="stop at the first violation")
    s.add_argument("--oversubscribe", action="store_true", help="allow more workers than CPUs")
    s.add_argument("--interval", default="1s", help="status line period")
    s.add_argument("--quiet", action="store_true", help="no status lines")
    s.add_argument("--shuffle", default=None, metavar="PERIOD",
                   help="rotate workers across CPUs this often (default: 3s with checks on, else off; 0: off)")
    s.add_argument("--stutter", default=None, metavar="RUN:PAUSE",
                   help="all workers run RUN, then pause PAUSE together (default: 5s:500ms with checks on; 0: off)")
    s.add_argument("--stall-bound", default="1s",
                   help="report a reader holding up a grace period, or any worker making no progress, this long; "
                        "a worker that has not stopped max(2s, twice this) after the run is hung (FAILURE)")
    s.add_argument("--read-delay", default=None, metavar="PER_MILLE[:MAX]",
                   help="amplifier: chance per read of a delay up to MAX where the scheme calls h_read_delay "
                        "(default 20:50us with checks on; 0: off)")
    s.add_argument("--access-delay", default=None, metavar="PER_MILLE[:MAX]",
                   help="amplifier: chance of a delay up to MAX at every checkpoint (every primitive a scheme "
                        "calls: loads, atomics, locks, unlock, put, write sections) (default 2:20us with checks on; 0: off)")
    s.add_argument("--adversarial", action=argparse.BooleanOptionalAction, default=None,
                   help="amplifier: the writer recycles, twice, the very cpuset a reader is reading (default: on with checks)")
    s.add_argument("--inject", action="append", default=[], metavar="KIND[@AT][:FOR]",
                   help="inject a fault: " + "; ".join(f"{k}: {what}" for k, (what, _) in KINDS.items()))
    cache = sub.add_parser("cache", help="the scheme-file build cache: where, what, how big; --clear empties it")
    cache.add_argument("--clear", action="store_true", help="remove every build, engine object set and leftover")
    r = sub.add_parser("report", help="render a saved JSON report as text, and optionally as plots")
    r.add_argument("path", metavar="RUN.json", help="a soak --json report, a list of them, or {\"runs\": [...]}")
    r.add_argument("--plot", metavar="DIR", default=None, help="also write PNG plots here (needs the plot extra)")
    campaign_cli.add_parsers(sub)
    return p


def cmd_list(core: Core) -> int:
    for sc in core.schemes:
        mark = "yours" if sc is core.user else "busted" if sc.busted else "unsafe" if sc.unsafe else "correct"
        origin = " (scheme file)" if sc is core.user else ""
        emit(f"scheme   {sc.name:28s} {mark:8s} {sc.summary}{origin}")
    for w in WORKLOADS:
        emit(f"workload {w:28s} {'':8s} {WORKLOAD_HELP[w]}")
    return 0


def _stutter(text: str | None) -> tuple[float | None, float | None]:
    if text is None:
        return None, None
    if text.strip() == "0":
        return 0.0, 0.0
    run, sep, pause = text.partition(":")
    if not sep:
        raise ConfigError(f"malformed --stutter {text!r}: expected RUN:PAUSE, e.g. 5s:500ms, or 0")
    return parse_duration(run), parse_duration(pause)


def _delay(text: str | None, flag: str) -> tuple[int | None, int | None]:
    """'20:50us' -> (20, 50000); '5' -> (5, None); '0' -> (0, None); None -> (None, None)."""
    if text is None:
        return None, None
    rate, sep, most = text.partition(":")
    try:
        per_mille = int(rate)
    except ValueError:
        raise ConfigError(f"malformed {flag} {text!r}: expected PER_MILLE[:MAX], e.g. 20:50us") from None
    return per_mille, round(parse_duration(most) * 1e9) if sep else None


def cmd_soak(args: argparse.Namespace) -> int:
    stutter_on, stutter_off = _stutter(args.stutter)
    read_rate, read_max = _delay(args.read_delay, "--read-delay")
    access_rate, access_max = _delay(args.access_delay, "--access-delay")
    delays = {k: v for k, v in (("read_delay_max_ns", read_max), ("access_delay_max_ns", access_max)) if v is not None}
    config = Config(scheme=args.scheme, rcu=args.rcu, workload=args.workload,
                    cpus=None if args.cpus is None else parse_cpu_list(args.cpus), readers=args.readers,
                    writers=args.writers, duration=parse_duration(args.duration), seed=args.seed, checks=not args.no_checks,
                    until_violation=args.until_violation, oversubscribe=args.oversubscribe,
                    shuffle_s=None if args.shuffle is None else parse_duration(args.shuffle),
                    stutter_on_s=stutter_on, stutter_off_s=stutter_off,
                    stall_ms=round(parse_duration(args.stall_bound) * 1000), inject=args.inject,
                    scheme_file=args.scheme_file, read_delay_per_mille=read_rate, access_delay_per_mille=access_rate,
                    adversarial=args.adversarial, ops=args.ops, job_nodes=args.job_nodes, nodes=args.nodes,
                    pages_per_node=args.pages_per_node,
                    writer_period_ns=round(parse_duration(args.writer_period) * 1e9),
                    writer_delay_max_ns=None if args.writer_delay is None else round(parse_duration(args.writer_delay) * 1e9),
                    **delays)
    if args.json_path:   # checked before the run, so a finished run is never lost to a bad path
        parent = os.path.dirname(os.path.abspath(args.json_path))
        if not os.path.isdir(parent) or not os.access(parent, os.W_OK):
            raise ConfigError(f"--json {args.json_path}: directory {parent} does not exist or is not writable")
    interval = parse_duration(args.interval)
    if not interval > 0:
        raise ConfigError(f"--interval must be positive, not {args.interval!r}")
    interrupted = False

    def on_term(signum: int, frame: object) -> None:
        raise KeyboardInterrupt

    signal.signal(signal.SIGTERM, on_term)
    with Session(config) as s:
        c = s.config
        emit("start: " + " ".join(f"{k}={v}" for k, v in c.to_dict().items()))   # every parameter
        if s.membarrier_selftest:
            st = s.membarrier_selftest
            emit(f"membarrier self-test: {st['forbidden_with_membarrier']} of {st['trials']} store-buffering trials "
                  f"forbidden with membarrier() (must be 0); {st['forbidden_with_compiler_barrier_only']} with a "
                  "compiler barrier only (the test's sensitivity here)")
        emit(f"reproduce: {c.command()}")
        monitor = Monitor(s, "quiet" if args.quiet else "live" if sys.stdout.isatty() else "plain")
        try:
            with monitor:
                s.run(duration=None if c.ops else c.duration, reader_ops=c.ops, interval=interval,
                      on_interval=monitor)
        except KeyboardInterrupt:   # run() has already stopped the workers and waited for them
            interrupted = True
        monitor.show_events(s)      # what the run's end brought (hangs, deaths), before the verdict
        result = Result.collect(s, status="interrupted" if interrupted else "completed", series=monitor.series)
    rep = result.report
    if args.json_path:
        with open(args.json_path, "w") as f:
            json.dump(rep, f, indent=1)
    emit(result.verdict_line())
    if rep["first_violation"]:
        emit(f"first violation: {rep['first_violation']}")
        for line in story_lines(rep, s.core.violation_names):
            emit(line)
    for line in result.incident_lines(0 if args.quiet else monitor.events_shown):
        emit(line)
    emit(f"reproduce: {rep['command']}")
    if interrupted:
        return 130
    return 1 if rep["verdict"] == "FAILURE" else 0


def cmd_cache(args: argparse.Namespace) -> int:
    from harness.userscheme import MAX_BUILDS, cache_dir, cache_entries, clear_cache   # no C core, no compiler
    out = cache_dir()
    if args.clear:
        emit(f"cache {out}: removed {clear_cache(out)} entries")
        return 0
    entries = cache_entries(out)
    size = sum(f.stat().st_size for group in entries.values() for p in group
               for f in ([p] if p.is_file() else p.rglob("*")) if f.is_file())
    emit(f"cache {out}: {len(entries['builds'])} scheme-file builds (at most {MAX_BUILDS} kept), "
         f"{len(entries['engines'])} engine object sets, {len(entries['leftovers'])} leftovers of killed builds, "
         f"{size / 2**20:.1f} MiB")
    for p in entries["builds"]:
        emit(f"  {p.name}  {time.strftime('%Y-%m-%d %H:%M', time.localtime(p.stat().st_mtime))}")
    return 0


def cmd_report(args: argparse.Namespace) -> int:
    runs = load_runs(args.path)
    if args.plot and os.path.exists(args.plot) and not os.path.isdir(args.plot):
        raise ReportError(f"--plot {args.plot}: exists and is not a directory")
    if args.plot:
        try:
            from harness.plots import write_plots
        except ModuleNotFoundError as e:
            if e.name != "matplotlib":
                raise
            raise ReportError("--plot needs matplotlib: pip install 'cpuset-rcu-harness[plot]'") from None
    emit("\n\n".join(render(r) for r in runs))
    if len(runs) > 1:
        emit("\n" + render_scaling(runs))
    if args.plot:
        for path in write_plots(runs, args.plot):
            emit(f"wrote {path}")
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    try:
        args = build_parser().parse_args(argv)
        if args.command in ("campaign", "bisect-step"):
            return campaign_cli.main(args)
        if args.command == "list":
            return cmd_list(core_for(args.scheme_file))
        if args.command == "report":
            return cmd_report(args)
        if args.command == "cache":
            return cmd_cache(args)
        return cmd_soak(args)
    except (ConfigError, WorkerFailed, ReportError) as e:
        print(f"error: {e}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 130


if __name__ == "__main__":
    sys.exit(main())
