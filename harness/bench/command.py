"""The `bench` subcommand: its flags (the run's own from the soak parameter table) and what it prints."""

from __future__ import annotations

import argparse
import json
import sys
from typing import Callable

from harness.soak import interrupts
from harness.bench import compare, noise, plot, scaling
from harness.bench.rounds import Interrupted, RoundFailed, scheme_label
from harness.soak.config import PARAMS, Config
from harness.soak.monitor import emit
from harness.report.output import save
from harness.soak.params import Param
from harness.soak.parse import ConfigError, cpu_ranges, parse_duration
from harness.build.userscheme import core_for

RUN_FLAGS = ("--workload", "--rcu", "--cpus", "--readers", "--writers", "--writer-period", "--nodes", "--seed",
             "--scheme-file")
DEFAULT_ROUNDS, DEFAULT_SCALING_ROUNDS, DEFAULT_ROUND = 15, 5, "400ms"


def add_parser(sub: argparse._SubParsersAction, add_param: Callable[[argparse.ArgumentParser, Param], None],
               formatter: type) -> None:
    b = sub.add_parser("bench", help="compare schemes' speed, checks off: medians and ratios with 95%% intervals",
                       formatter_class=formatter)
    b.add_argument("schemes", nargs="+", metavar="SCHEME", help="schemes to compare (see `list`)")
    for param in PARAMS:
        if param.flag in RUN_FLAGS:
            add_param(b, param)
    b.add_argument("--rounds", default=None, metavar="N", help=f"interleaved rounds per scheme (default: {DEFAULT_ROUNDS}; "
                   f"{DEFAULT_SCALING_ROUNDS} per point with --scaling)")
    b.add_argument("--round", dest="round_time", metavar="TIME", default=DEFAULT_ROUND, help="length of one round")
    b.add_argument("--scaling", action="store_true", help="1..N readers, and 1..N-1 readers + a writer, N the CPUs: "
                   "total ops/s and ns/op against readers")
    b.add_argument("--json", dest="json_path", metavar="FILE", default=None, help="write the rounds, medians, intervals, ratios here")
    b.add_argument("--plot", metavar="DIR", default=None, help="also write a PNG plot here (needs the plot extra)")


def _configs(args: argparse.Namespace) -> tuple:
    """(core, {label: resolved Config}): every scheme checked before anything runs; one seed for all."""
    given: dict[str, object] = {"checks": False}
    for param in PARAMS:
        value = getattr(args, param.name, None) if param.flag in RUN_FLAGS else None
        if value is not None:
            given[param.name] = param.from_text(value)
    if args.scaling and "readers" in given:
        raise ConfigError("--scaling chooses the reader counts itself (1..N): drop --readers")
    if args.scaling and "writers" in given:
        raise ConfigError("--scaling runs without a writer and with one: drop --writers")
    if len(set(args.schemes)) != len(args.schemes):
        raise ConfigError(f"a scheme is named twice: {' '.join(args.schemes)}")
    core = core_for(given.get("scheme_file"))  # type: ignore[arg-type]
    configs: dict[str, Config] = {}
    seed = None
    for name in args.schemes:
        c = Config(**{**given, "scheme": name, "seed": seed if seed is not None else given.get("seed")}).resolved(core)
        seed = c.seed
        configs[scheme_label(core, name, c.rcu)] = c
    return core, configs


def _count(text: str | None, default: int) -> int:
    if text is None:
        return default
    if not text.isdigit() or int(text) < 3:
        raise ConfigError(f"--rounds must be a count >= 3 (an interval needs a few rounds), not {text!r}")
    return int(text)


def cmd_bench(args: argparse.Namespace) -> int:
    """0 when every round ran, 1 when a round could not be trusted (a crash, a hang, a reader that did nothing),
    128 + the signal when SIGINT or SIGTERM stopped it."""
    rounds = _count(args.rounds, DEFAULT_SCALING_ROUNDS if args.scaling else DEFAULT_ROUNDS)
    seconds = parse_duration(args.round_time)
    if not 0.01 <= seconds <= 60:
        raise ConfigError(f"--round must be between 10ms and 60s, not {args.round_time!r}")
    if args.plot:
        try:
            import matplotlib  # noqa: F401
        except ModuleNotFoundError:
            raise ConfigError("--plot needs matplotlib: pip install 'cpuset-rcu-harness[plot]'") from None
    core, configs = _configs(args)
    first = next(iter(configs.values()))
    other_before = noise.other_work(first.cpus or [])
    emit(f"bench: {', '.join(configs)}; checks off; CPUs {cpu_ranges(first.cpus)}; seed {first.seed}; "
         f"{rounds} interleaved rounds of {seconds:g} s" + (" per point" if args.scaling else ""))
    try:
        if args.scaling:
            rows = scaling.sweep(core, configs, rounds, seconds, emit)
            lines, data = scaling.render(rows, first), {"scaling": rows}
        else:
            emit(f"on {compare.conditions(first)}")
            results = compare.interleaved(core, configs, rounds, seconds, emit)
            report = compare.summarize(results, first, other_before)
            lines = compare.render(report)
            data = {**report, "round_results": {k: [r.__dict__ for r in v] for k, v in results.items()}}
    except Interrupted:
        sig = interrupts.received()
        emit(f"bench: interrupted by {sig.name if sig else 'a signal'}: no answer")
        return sig.exit_code if sig else 130
    except RoundFailed as e:
        print(f"error: {e}", file=sys.stderr)
        return 1
    if args.scaling:
        ncpus = len(first.cpus or [])
        lines.append("noise: " + noise.other_work_text(other_before, ncpus))
    for line in lines:
        emit(line)
    data = {"command": "bench", "schemes": list(configs), "configs": {k: c.to_dict() for k, c in configs.items()},
            "rounds_per_scheme": rounds, "round_s": seconds, "other_work_before_cpus": other_before, **data}
    if args.json_path:
        save(args.json_path, json.dumps(data, indent=1), "bench results")
    if args.plot:
        title = f"{compare.conditions(first)}, checks off, n = {rounds} rounds"
        path = plot.scaling(data["scaling"], title, args.plot) if args.scaling else \
            plot.comparison(data, title, args.plot)
        emit(f"wrote {path}")
    return 0
