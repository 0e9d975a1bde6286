"""`python -m harness shrink RUN.json`: search for a smaller configuration that still fails at a stated rate
(fewer readers, writers and CPUs, a shorter run, only the race amplifiers and writer operations it needs, the
simpler workload), greedily, one change at a time, and print it as a command.

Every candidate is run up to `trials` times with the recorded seed, each run stopping at its first violation;
it is kept when at least ceil(rate x trials) of them fail. A failing trial ends in milliseconds; a passing one runs
its whole duration, which is why the duration is shortened first."""

from __future__ import annotations

import dataclasses
import json
import math
import time
from dataclasses import dataclass, field
from typing import Callable, Iterator

from harness.soak import interrupts
from harness.soak.config import Config
from harness.soak.parse import ConfigError, cpu_ranges, seconds
from harness.report.output import save
from harness.triage.rates import percent
from harness.triage.rerun import Trial, recorded_config, trial
from harness.build.userscheme import core_for

MIN_DURATION_S = 0.1


@dataclass
class Step:
    change: str
    failures: int
    trials: int
    kept: bool


@dataclass
class Shrink:
    config: Config
    needed: int                      # failures out of `trials` that keep a candidate
    trials: int
    deadline: float
    emit: Callable[[str], None]
    steps: list[Step] = field(default_factory=list)

    def fails(self, config: Config) -> tuple[int, int, list[Trial]]:
        """Failures in up to `trials` runs, stopping as soon as the verdict is certain either way, or at a
        SIGINT or SIGTERM (then the count is incomplete: callers check interrupts.received())."""
        runs: list[Trial] = []
        while len(runs) < self.trials:
            t = None if interrupts.received() else trial(config)
            if t is None:
                break
            runs.append(t)
            failures = sum(t.failed for t in runs)
            if failures >= self.needed or failures + self.trials - len(runs) < self.needed:
                break
        return sum(t.failed for t in runs), len(runs), runs

    def attempt(self, change: str, candidate: Config) -> bool:
        try:
            candidate = candidate.resolved(core_for(candidate.scheme_file))
        except ConfigError:
            return False   # not a valid run (e.g. more workers than CPUs): not a candidate
        failures, n, _ = self.fails(candidate)
        if interrupts.received():
            return False   # not judged: the search stops here
        kept = failures >= self.needed
        self.steps.append(Step(change, failures, n, kept))
        self.emit(f"  {change:40s} fails {failures} of {n}: {'kept' if kept else 'needed, put back'}")
        if kept:
            self.config = candidate
        return kept


def _candidates(c: Config, first_violation_s: float) -> Iterator[tuple[str, Config]]:
    """Smaller configurations than c, most profitable first."""
    r = dataclasses.replace
    workers = c.readers + c.writers  # type: ignore[operator]
    bound = max(MIN_DURATION_S, math.ceil(40 * first_violation_s) / 10)   # 4x the slowest failure, in 0.1 s
    if bound < c.duration:
        yield f"duration {seconds(c.duration)} -> {seconds(bound)} s", r(c, duration=bound)
    elif c.duration / 2 >= MIN_DURATION_S:
        yield f"duration {seconds(c.duration)} -> {seconds(c.duration / 2)} s", r(c, duration=c.duration / 2)
    if c.readers > 1:  # type: ignore[operator]
        yield f"readers {c.readers} -> 1", r(c, readers=1)
        if c.readers // 2 > 1:  # type: ignore[operator]
            yield f"readers {c.readers} -> {c.readers // 2}", r(c, readers=c.readers // 2)  # type: ignore[operator]
    if c.writers > 0:
        yield f"writers {c.writers} -> {c.writers - 1}", r(c, writers=c.writers - 1)
    if len(c.cpus) > workers:  # type: ignore[arg-type]
        yield f"CPUs {cpu_ranges(c.cpus)} -> {cpu_ranges(c.cpus[:workers])}", r(c, cpus=c.cpus[:workers])  # type: ignore[index]
    elif len(c.cpus) > 1:  # type: ignore[arg-type]
        fewer = c.cpus[:-1]  # type: ignore[index]
        yield f"CPUs {cpu_ranges(c.cpus)} -> {cpu_ranges(fewer)} (oversubscribed)", r(c, cpus=fewer, oversubscribe=True)
    amplifiers = (("read delay off", "read_delay", [0, c.read_delay[1]]),
                  ("access delay off", "access_delay", [0, c.access_delay[1]]),
                  ("writer delay off", "writer_delay", 0), ("adversarial writer off", "adversarial", False),
                  ("shuffle off", "shuffle", 0.0), ("stutter off", "stutter", [0.0, 0.0]))
    for change, name, off in amplifiers:
        if getattr(c, name) != off:
            yield change, r(c, **{name: off})
    if c.workload != "deref":
        yield f"workload {c.workload} -> deref", r(c, workload="deref")
    if len(c.writer_ops) > 1 and c.writers:
        for op in c.writer_ops:
            yield f"writer without {op}", r(c, writer_ops=[o for o in c.writer_ops if o != op])


def shrink(path: str, trials: int, rate: float, budget_s: float, emit: Callable[[str], None],
           json_path: str | None = None) -> dict:
    report, config = recorded_config(path)
    if report["verdict"] != "FAILURE":
        raise ConfigError(f"{path} records a {report['verdict']} run: there is no failure to shrink")
    if not config.checks:
        raise ConfigError(f"{path} ran with checks off: nothing could fail")
    if not 0 < rate <= 1 or trials < 1:
        raise ConfigError(f"--rate must be in (0, 1] and --trials >= 1, not {rate} and {trials}")
    s = Shrink(config.resolved(core_for(config.scheme_file)), math.ceil(rate * trials), trials, time.monotonic() + budget_s, emit)
    emit(f"shrink: a candidate is kept when it fails in at least {s.needed} of {trials} runs "
         f"(rate >= {percent(rate)}), each run with the recorded seed, stopping at its first violation")
    failures, n, runs = s.fails(s.config)
    emit(f"  {'the recorded command':40s} fails {failures} of {n}")
    if failures < s.needed and not interrupts.received():
        raise ConfigError(f"the recorded run fails only {failures} of {n} times here, below the rate asked "
                          f"({percent(rate)}): try `repro` for its rate, then a lower --rate or more --trials")
    first = max((t.first_violation_s or 0.0 for t in runs), default=0.0)
    # A pass lists the candidates of the configuration so far and keeps the first that still fails; a change
    # once put back is not tried again (delta debugging would, at the price of many full-length passing runs).
    exhausted, changed, rejected = False, True, set()
    while changed and not exhausted:
        changed = False
        for change, candidate in _candidates(s.config, first):
            if change in rejected:
                continue
            if time.monotonic() > s.deadline:
                exhausted = True
                emit(f"  budget of {seconds(budget_s)} s spent: stopping here")
                break
            if s.attempt(change, candidate):
                changed = True
                break
            if interrupts.received():
                exhausted = True
                break
            rejected.add(change)
    sig = interrupts.received()
    if sig:
        emit(f"  interrupted by {sig.name}: stopping here, with the smallest command found so far")
    needed = [change for change, _ in _candidates(s.config, first) if change in rejected]
    command = s.config.command()
    emit(f"{'smallest failing command so far' if sig else 'smaller failing command'} (fails at least {s.needed} of "
         f"{trials} runs here):")
    emit(f"  {command}")
    if needed and not exhausted:
        emit(f"it needs what these changes would take away: {'; '.join(needed)}")
    result = {"report": path, "recorded_command": report["command"], "command": command,
              "config": s.config.to_dict(), "trials": trials, "rate": rate, "needed_failures": s.needed,
              "steps": [st.__dict__ for st in s.steps], "needs": needed if not exhausted else None,
              "budget_spent": exhausted and not sig, "interrupted": sig.name if sig else None}
    if json_path:
        save(json_path, json.dumps(result, indent=1), "shrink result")
    return result
