"""Command line: `python -m harness list | soak | bench | report | repro | shrink | cache | litmus`. Exit status: 0 no
violation (repro: no rerun failed; shrink: a smaller failing command was printed), 1 any violation (repro: some rerun
failed; bench: a round whose workers crashed or hung), 2 bad arguments or environment (one line, or a scheme file's compiler messages; no traceback,
nothing left behind; bisect-step: 128), 128 + the signal when SIGINT or SIGTERM stopped it (130, 143;
a soak that found a violation before the signal still exits 1). An output file that cannot be written
changes none of these: its content goes to a file in the temp directory, named on stderr (harness.report.output)."""

from __future__ import annotations

import argparse
import json
import re
import sys
import time
from typing import Sequence

from harness.soak import interrupts
from harness.soak.config import PARAMS, Config, config_from_texts
from harness.soak.params import Param
from harness.report.output import save
from harness.soak.parse import WORKLOADS, ConfigError, parse_duration, writable_dir, writable_file
from harness.build.core import Core
from harness.build.userscheme import core_for
from harness.soak.monitor import Monitor, emit
from harness.report.provenance import harness_version
from harness.report.compare import render_comparison, render_scaling
from harness.report.text import ReportError, end_lines, load_runs, render
from harness.report.result import Result
from harness.soak.session import Session, WorkerFailed
from harness.report.trace import write_trace
from harness.campaign import cli as campaign_cli
from harness.campaign.store import StoreLost
from harness.bench import command as bench_command
from harness.litmus import cli as litmus_cli

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
        flag = re.fullmatch(r"argument (--[\w-]+)(?:/[\w-]+)*: expected one argument", message)
        if flag:   # argparse takes a value that starts with '-' (-1s) for a flag: say how to give it
            message += f" (a value that starts with '-' is written {flag.group(1)}=VALUE)"
        raise ConfigError(message)


def _count(text: str) -> int:
    if not text.isdigit() or int(text) < 1:
        raise argparse.ArgumentTypeError(f"expected a count >= 1, not {text!r}")
    return int(text)


def _rate(text: str) -> float:
    try:
        rate = float(text)
    except ValueError:
        rate = -1.0
    if not 0 < rate <= 1:
        raise argparse.ArgumentTypeError(f"expected a rate in (0, 1], not {text!r}")
    return rate


def build_parser() -> argparse.ArgumentParser:
    p = _Parser(prog="python -m harness", description=__doc__)
    p.add_argument("--version", action="version", version=f"%(prog)s {harness_version()}")
    sub = p.add_subparsers(dest="command", required=True, parser_class=_Parser)
    ls = sub.add_parser("list", help="schemes (busted ones marked) and workloads")
    ls.add_argument("--scheme-file", default=None, help="also list the scheme this C file defines")
    s = sub.add_parser("soak", help="an affinity-pinned stress run",
                       formatter_class=_DefaultsHelp)
    for param in PARAMS:
        add_param(s, param)
    s.add_argument("--json", dest="json_path", default=None, help="write the report here")
    s.add_argument("--interval", default="1s", help="status line period")
    s.add_argument("--quiet", action="store_true", help="no status lines")
    rp = sub.add_parser("repro", help="rerun a recorded run N times: its failure rate with a 95%% interval",
                        formatter_class=_DefaultsHelp)
    rp.add_argument("path", metavar="RUN.json", help="a soak --json report")
    rp.add_argument("--runs", type=_count, default=10, help="how many reruns")
    rp.add_argument("--json", dest="json_path", default=None, help="also write the rate and every rerun here")
    sh = sub.add_parser("shrink", help="search for a smaller configuration that still fails, as a command",
                        formatter_class=_DefaultsHelp)
    sh.add_argument("path", metavar="RUN.json", help="a soak --json report of a FAILURE")
    sh.add_argument("--trials", type=_count, default=3, help="runs per candidate")
    sh.add_argument("--rate", type=_rate, default=0.5, help="share of a candidate's runs that must fail, 0..1")
    sh.add_argument("--budget", default="10m", help="stop searching after this long")
    sh.add_argument("--json", dest="json_path", default=None, help="also write the steps and the result here")
    cache = sub.add_parser("cache", help="the scheme-file build cache: where, what, how big; --clear empties it")
    cache.add_argument("--clear", action="store_true", help="remove every build, engine object set and leftover")
    r = sub.add_parser("report", help="render saved JSON reports as text (several: side by side), plots, a trace")
    r.add_argument("paths", nargs="+", metavar="RUN.json",
                   help="a soak --json report, a list of them, or {\"runs\": [...]}; two or more files: a comparison")
    r.add_argument("--plot", metavar="DIR", default=None, help="also write PNG plots here (needs the plot extra)")
    r.add_argument("--trace", metavar="OUT.json", default=None,
                   help="also write every worker's flight records as a Chrome/Perfetto trace (ui.perfetto.dev)")
    campaign_cli.add_parsers(sub)
    bench_command.add_parser(sub, add_param, _DefaultsHelp)
    litmus_cli.add_parser(sub, _DefaultsHelp)
    return p


def cmd_list(core: Core) -> int:
    for sc in core.schemes:
        mark = "yours" if sc is core.user else "busted" if sc.busted else "unsafe" if sc.unsafe else "correct"
        origin = " (scheme file)" if sc is core.user else ""
        emit(f"scheme   {sc.name:28s} {mark:8s} {sc.summary}{origin}")
    for w in WORKLOADS:
        emit(f"workload {w:28s} {'':8s} {WORKLOAD_HELP[w]}")
    return 0


def add_param(parser: argparse.ArgumentParser, param: Param) -> None:
    """One parameter as a flag; its default in --help is its Config field's (or its mode's)."""
    text = param.default_text()
    default = f" (default: {text})" if text else ""
    if param.switch:
        parser.add_argument(param.flag, action=argparse.BooleanOptionalAction, default=None,
                            help=param.help + default)
    else:
        parser.add_argument(param.flag, action="append" if param.repeat else "store", default=None,
                            metavar=param.metavar, help=param.help + default)


def config_from_args(args: argparse.Namespace) -> Config:
    """The Config the soak flags ask for: every flag given, through its parameter's parser; the rest default."""
    return config_from_texts({p.name: getattr(args, p.name) for p in PARAMS if getattr(args, p.name) is not None})


def cmd_soak(args: argparse.Namespace) -> int:
    config = config_from_args(args)
    interval = parse_duration(args.interval)
    if not interval > 0:
        raise ConfigError(f"--interval must be positive, not {args.interval!r}")
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
        with monitor:   # a SIGINT or SIGTERM (interrupts.caught) ends the round early, cleanly
            s.run(duration=None if c.ops else c.duration, reader_ops=c.ops, interval=interval,
                  on_interval=monitor)
        monitor.show_events(s)      # what the run's end brought (hangs, deaths), before the verdict
        result = Result.collect(s, series=monitor.series)
    rep = result.report
    for line in end_lines(rep, 0 if args.quiet else monitor.events_shown):
        emit(line)
    if args.json_path:   # after the verdict: a path that fails loses neither it nor the report (save falls back)
        save(args.json_path, json.dumps(rep, indent=1), "report")
    return exit_code(rep["verdict"])


def exit_code(verdict: str) -> int:
    """FAILURE 1 (even when a signal ended the run: what ran before it failed), INTERRUPTED 128 + the signal
    (130 SIGINT, 143 SIGTERM), SUCCESS 0."""
    sig = interrupts.received()
    return 1 if verdict == "FAILURE" else sig.exit_code if verdict == "INTERRUPTED" and sig else 0


def cmd_cache(args: argparse.Namespace) -> int:
    from harness.build.userscheme import MAX_BUILDS, cache_dir, cache_entries, clear_cache   # no C core, no compiler
    out = cache_dir()
    try:
        writable_dir(str(out), "build cache")   # what a soak with a scheme file would refuse, refused here too
    except ConfigError as e:
        raise ConfigError(f"{e} (set HARNESS_CACHE_DIR to a usable directory)") from None
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
    """One file: each run in full (a file of several runs: then a scaling table). Several files: one table,
    a column per run, against the first."""
    runs = [r for path in args.paths for r in load_runs(path)]
    if args.plot:
        try:
            from harness.report.plots import write_plots
        except ModuleNotFoundError as e:
            if e.name != "matplotlib":
                raise
            raise ReportError("--plot needs matplotlib: pip install 'cpuset-rcu-harness[plot]'") from None
    if len(args.paths) > 1:
        emit(render_comparison(runs))
    else:
        emit("\n\n".join(render(r) for r in runs))
        if len(runs) > 1:
            emit("\n" + render_scaling(runs))
    if args.plot:
        for path in write_plots(runs, args.plot):
            emit(f"wrote {path}")
    if args.trace:
        events, where = write_trace(runs, args.trace)
        if where:
            emit(f"wrote {where}: {events} trace events, {len(runs)} run(s); open it in https://ui.perfetto.dev")
    return 0


def run_command(args: argparse.Namespace) -> int:
    """soak, repro, shrink or bench: commands that run workers, and end early and cleanly on SIGINT or SIGTERM."""
    if args.command == "repro":
        from harness.triage.repro import repro
        summary = repro(args.path, args.runs, emit, args.json_path)
        return exit_code("INTERRUPTED" if summary["interrupted"] else "FAILURE" if summary["failures"] else "SUCCESS")
    if args.command == "shrink":
        from harness.triage.shrink import shrink
        result = shrink(args.path, args.trials, args.rate, parse_duration(args.budget), emit, args.json_path)
        return exit_code("INTERRUPTED" if result["interrupted"] else "SUCCESS")
    if args.command == "bench":
        return bench_command.cmd_bench(args)
    return cmd_soak(args)


def main(argv: Sequence[str] | None = None) -> int:
    words = list(sys.argv[1:] if argv is None else argv)
    try:
        args = build_parser().parse_args(words)
        for flag, dest, check in (("--json", "json_path", writable_file), ("--trace", "trace", writable_file),
                                  ("--plot", "plot", writable_dir)):   # a campaign's --out: campaign/run.py
            if getattr(args, dest, None) is not None:   # output paths: checked before any work, so none is lost
                check(getattr(args, dest), flag)
        if args.command in ("campaign", "bisect-step"):
            return campaign_cli.main(args)
        if args.command == "list":
            return cmd_list(core_for(args.scheme_file))
        if args.command == "report":
            return cmd_report(args)
        if args.command == "cache":
            return cmd_cache(args)
        if args.command == "litmus":
            return litmus_cli.main(args)
        with interrupts.caught():
            return run_command(args)
    except (ConfigError, WorkerFailed, ReportError, StoreLost) as e:
        print(f"error: {e}", file=sys.stderr)
        return campaign_cli.BISECT_ABORT if words[:1] == ["bisect-step"] else 2
    except KeyboardInterrupt:
        return 130


if __name__ == "__main__":
    sys.exit(main())
