"""What a run is: the Config object, its defaults from the machine, and validation that turns bad input
into one clear ConfigError before anything is created."""

from __future__ import annotations

import os
import random
import shlex
from dataclasses import asdict, dataclass, fields

from typing import TYPE_CHECKING

from harness.soak.faults import KINDS as FAULT_KINDS, NEEDS_RCU_READER, Fault, parse_fault
from harness.soak.params import (INT, U32, U64, Limit, Param, choice, delay, delay_text, ms_text, ns_bound, ns_text,
                            param, params_of, parse_bool, parse_int, parse_ms, parse_ns, parse_stutter,
                            parse_writer_ops, stutter_text)
from harness.soak.parse import (FLAVORS, MAX_NODES, MAX_WORKERS, MEMORY_MODELS, WORKLOADS, WRITER_OPS, ConfigError,
                           allowed_cpus, check_allowed, cpu_ranges, parse_cpu_list, parse_duration, seconds)

if TYPE_CHECKING:
    from harness.build.core import Core

__all__ = ["Config", "ConfigError", "DEFAULT_SCHEME", "PARAMS"]

DEFAULT_SCHEME = "rcu-typesafe"
READ_DELAY_MAX_NS, ACCESS_DELAY_MAX_NS = 50000, 20000   # a delay's MAX when only PER_MILLE is given
PER_MILLE, NS32 = Limit(0, 1000, "0 .. 1000 per mille"), Limit(0, U32, f"0 .. {ns_bound(U32)}")


@dataclass
class Config:
    """One stress run: every field is a parameter (harness/soak/params.py), under the one name the command line
    (--NAME), the pytest plugin, campaign files and the JSON report use. None means "from the machine" (all
    allowed CPUs, one writer, the rest readers) or "from the mode" (the race amplifiers: on with the checks)."""

    scheme: str | None = param(
        None, help=f"scheme name (default: the --scheme-file's scheme if one is given, else {DEFAULT_SCHEME})",
        parse=str, always=True)
    rcu: str = param("qsbr", help=f"RCU flavor: {', '.join(FLAVORS)}", parse=choice("--rcu", FLAVORS), always=True)
    memory_model: str = param(
        "native", help="native: the machine's own ordering; weak: the primitives emulate the store-store and "
        "load-load reorderings of Arm/POWER that x86 hides (LKMM's; needs the checks on)",
        parse=choice("--memory-model", MEMORY_MODELS))
    workload: str = param("alloc", help=", ".join(WORKLOADS), parse=choice("--workload", WORKLOADS), always=True)
    cpus: list[int] | None = param(None, help="CPU list, e.g. 0,2-3 (default: every allowed CPU)",
                                   parse=parse_cpu_list, show=cpu_ranges, always=True)
    readers: int | None = param(None, help="reader processes (default: CPUs minus writers)", parse=parse_int,
                                always=True, limits=(Limit(1, MAX_WORKERS, f"1 .. {MAX_WORKERS}"),))
    writers: int = param(1, help="writer processes", parse=parse_int, always=True,
                         limits=(Limit(0, MAX_WORKERS - 1, f"0 .. {MAX_WORKERS - 1}"),))
    duration: float = param(10.0, help="seconds, or with an ns/us/ms/s/m/h suffix", parse=parse_duration,
                            show=seconds, always=True, unit="s")
    ops: int = param(0, help="reader ops per reader instead of a duration (0: the duration)", parse=parse_int,
                     limits=(Limit(0, U64, "0 .. 2**64-1"),))
    seed: int | None = param(None, help="0 .. 2**64-1 (default: random, printed)", parse=parse_int, always=True,
                             limits=(Limit(0, U64, "0 .. 2**64-1"),))
    checks: bool = param(True, help="oracles and race amplifiers (--no-checks: pure throughput)", parse=parse_bool)
    until_violation: bool = param(False, help="stop at the first violation", parse=parse_bool)
    oversubscribe: bool = param(False, help="allow more workers than CPUs", parse=parse_bool)
    nodes: int = param(4, help=f"simulated memory nodes, 1..{MAX_NODES}", parse=parse_int,
                       limits=(Limit(1, MAX_NODES, f"1 .. {MAX_NODES}"),))
    pages_per_node: int = param(1024, help="simulated pages per node", parse=parse_int,
                                limits=(Limit(16, INT, "16 .. 2**31-1"),))
    job_nodes: int = param(0, help="the readers' initial job cpuset: the last K nodes, far from the low home nodes "
                           "(0: every other node)", parse=parse_int, limits=(Limit(0, MAX_NODES, f"0 .. {MAX_NODES}"),))
    writer_period: int = param(0, help="one writer change per period, e.g. 10us (0: a writer storm)",
                               parse=parse_ns, show=ns_text, limits=(NS32,), unit="ns")
    writer_ops: list[str] = param(
        list(WRITER_OPS), help="the writer's operations, a list of " + ", ".join(WRITER_OPS) +
        " (fewer than 2 live cpusets always means a create)", parse=parse_writer_ops, show=",".join, metavar="OPS")
    writer_delay: int | None = param(
        None, help="amplifier: a random delay up to MAX between writer steps", parse=parse_ns, show=ns_text,
        metavar="MAX", mode=lambda checks, ncpus: 5000 if checks else 0, limits=(NS32,), unit="ns")
    read_delay: list[int] | None = param(
        None, help="amplifier: chance per read of a delay up to MAX where the scheme calls h_read_delay (0: off)",
        parse=delay("--read-delay", READ_DELAY_MAX_NS), show=delay_text, metavar="PER_MILLE[:MAX]",
        mode=lambda checks, ncpus: [20 if checks else 0, READ_DELAY_MAX_NS], limits=(PER_MILLE, NS32),
        unit="[per mille, ns]")
    access_delay: list[int] | None = param(
        None, help="amplifier: chance of a delay up to MAX at every checkpoint (every primitive a scheme calls: "
        "loads, atomics, locks, unlock, put, write sections) (0: off)",
        parse=delay("--access-delay", ACCESS_DELAY_MAX_NS), show=delay_text, metavar="PER_MILLE[:MAX]",
        mode=lambda checks, ncpus: [2 if checks else 0, ACCESS_DELAY_MAX_NS], limits=(PER_MILLE, NS32),
        unit="[per mille, ns]")
    adversarial: bool | None = param(
        None, help="amplifier: the writer recycles, twice, the very cpuset a reader is reading", parse=parse_bool,
        mode=lambda checks, ncpus: checks)
    shuffle: float | None = param(
        None, help="amplifier: rotate workers across CPUs this often (1 CPU: off; 0: off)", parse=parse_duration,
        show=seconds, metavar="PERIOD", mode=lambda checks, ncpus: 3.0 if checks and ncpus > 1 else 0.0, unit="s")
    stutter: list[float] | None = param(
        None, help="amplifier: all workers run RUN, then pause PAUSE together (0: off)", parse=parse_stutter,
        show=stutter_text, metavar="RUN:PAUSE", mode=lambda checks, ncpus: [5.0, 0.5] if checks else [0.0, 0.0],
        unit="[s, s]")
    stall_bound: int = param(
        1000, help="report a reader holding up a grace period, or any worker making no progress, this long; a "
        "worker that has not stopped max(2s, twice this) after the run is hung (FAILURE)", parse=parse_ms,
        show=ms_text, limits=(Limit(1, U32, f"1 ms .. {ns_bound(U32 * 10**6)}"),), unit="ms")
    inject: list[str] = param(
        [], help="inject a fault (may repeat): " + "; ".join(f"{kind}: {what}" for kind, (what, _) in
                                                               FAULT_KINDS.items()),
        parse=str, metavar="KIND[@AT][:FOR]", repeat=True)
    scheme_file: str | None = param(
        None, help="a C file defining harness_user_scheme (see harness.h): compiled, cached, run like a built-in",
        parse=str)

    def resolved(self, core: "Core | None" = None) -> "Config":
        """A copy with every default filled in from the machine, validated against `core` (default: the
        built-in schemes, which loads the C core). Raises ConfigError."""
        if core is None:
            from harness.build.core import BUILTIN   # the C core, only when a run is really being set up
            core = BUILTIN
        check_types(self)
        c = Config(**{f.name: getattr(self, f.name) for f in fields(self)})
        if c.scheme_file:
            c.scheme_file = os.path.abspath(c.scheme_file)   # the reproduce line works from anywhere
        if c.scheme is None:
            c.scheme = core.user.name if core.user else DEFAULT_SCHEME
        if core.scheme(c.scheme) is None:
            names = ", ".join(s.name for s in core.schemes)
            raise ConfigError(f"unknown scheme {c.scheme!r} (known: {names})")
        if c.rcu not in FLAVORS:
            raise ConfigError(f"unknown RCU flavor {c.rcu!r} (known: {', '.join(FLAVORS)})")
        if c.workload not in WORKLOADS:
            raise ConfigError(f"unknown workload {c.workload!r} (known: {', '.join(WORKLOADS)})")
        if c.memory_model not in MEMORY_MODELS:
            raise ConfigError(f"unknown memory model {c.memory_model!r} (known: {', '.join(MEMORY_MODELS)})")
        if c.memory_model == "weak" and not c.checks:
            raise ConfigError("--memory-model weak needs the checks on (it shows reorderings to the oracles): "
                              "drop --no-checks")
        allowed = allowed_cpus()
        c.cpus = list(allowed if c.cpus is None else c.cpus)
        if not c.cpus:
            raise ConfigError("the CPU list is empty")
        check_allowed(c.cpus)
        if not c.writer_ops or set(c.writer_ops) - set(WRITER_OPS):
            raise ConfigError(f"writer operations must be some of {', '.join(WRITER_OPS)}, not {c.writer_ops}")
        c.writer_ops = [op for op in WRITER_OPS if op in c.writer_ops]
        if c.readers is None:
            c.readers = max(1, len(c.cpus) - c.writers)
        workers = c.readers + c.writers
        if workers > len(c.cpus) and not c.oversubscribe:
            raise ConfigError(f"{workers} workers ({c.readers} readers + {c.writers} writers) but only "
                              f"{len(c.cpus)} CPUs: use fewer or pass --oversubscribe")
        if workers > MAX_WORKERS:
            raise ConfigError(f"at most {MAX_WORKERS} workers, not {workers}")
        if not c.duration > 0 and not c.ops:
            raise ConfigError(f"duration must be positive, not {c.duration:g}")
        if c.job_nodes > c.nodes:
            raise ConfigError(f"job nodes must be 0..nodes ({c.nodes}), not {c.job_nodes}")
        if c.seed is None:
            c.seed = random.randrange(1, 2**31)
        for name, value in mode_defaults(c.checks, len(c.cpus)).items():
            if getattr(c, name) is None:
                setattr(c, name, value)
        for p in PARAMS:
            p.check(getattr(c, p.name), f"{p.name} = {getattr(c, p.name)}")
        if len(c.stutter) != 2:  # type: ignore[arg-type]
            raise ConfigError(f"stutter must be [RUN, PAUSE] in seconds, not {c.stutter}")
        if min(c.shuffle, *c.stutter) < 0:  # type: ignore[misc]
            raise ConfigError("shuffle and stutter times must be >= 0")
        if bool(c.stutter[0]) != bool(c.stutter[1]):  # type: ignore[index]
            raise ConfigError("stutter needs both a run and a pause time, e.g. --stutter 5s:500ms")
        for fault in c.faults:
            if fault.kind in NEEDS_RCU_READER and not core.scheme(c.scheme).uses_rcu:  # type: ignore[union-attr]
                raise ConfigError(f"--inject {fault.kind} needs a scheme with RCU readers, not {c.scheme}")
            if fault.kind == "reader-kill" and c.readers < 2:
                raise ConfigError("--inject reader-kill needs at least 2 readers, so the run can go on without one")
            if not c.ops and fault.at_s >= c.duration:
                raise ConfigError(f"--inject {fault.spec} would fire after the run ends ({c.duration:g}s)")
            past_s = fault.at_s + (fault.for_s or 0.0) - c.duration
            if not c.ops and fault.for_s is not None and past_s > 1e-9:   # by more than the parser's 1 ns
                raise ConfigError(f"--inject {fault.spec} would last until {fault.at_s + fault.for_s:g}s, past the "
                                  f"run's end ({c.duration:g}s): it could not happen as asked; shorten it or run longer")
        clash = overlapping_faults(c.faults)
        if clash:
            a, b = clash
            raise ConfigError(f"--inject {a.spec} and --inject {b.spec} overlap on {fault_target(a)}: a fault "
                              "there could not happen as asked; move one of them in time")
        if max(c.stutter) * 1000 > U32:  # type: ignore[arg-type]
            raise ConfigError(f"stutter times must be at most {U32 / 1000:.0f} s (milliseconds in 32 bits)")
        return c

    @property
    def faults(self) -> list[Fault]:
        try:
            return [parse_fault(spec) for spec in self.inject]
        except ValueError as e:
            raise ConfigError(str(e)) from None

    def cpu_of(self, worker: int) -> int:
        assert self.cpus is not None
        return self.cpus[worker % len(self.cpus)]

    def to_dict(self) -> dict[str, object]:
        return asdict(self)

    def command(self) -> str:
        """The soak command that reproduces this run (seed included), from the parameter table: the flags a
        reader needs to see, and every other one that is not at its default for this mode, shell-quoted."""
        assert self.cpus is not None
        defaults = {**{p.name: p.default for p in PARAMS}, **mode_defaults(self.checks, len(self.cpus))}
        words = ["python", "-m", "harness", "soak"]
        for p in PARAMS:
            value = getattr(self, p.name)
            if value is None or (p.repeat and not value):
                continue
            if p.always or value != defaults[p.name]:
                words += p.text(value)
        return " ".join(shlex.quote(w) for w in words)


_TYPES = {"int": (int,), "float": (int, float), "bool": (bool,), "str": (str,), "list[int]": (list,),
          "list[str]": (list,), "list[float]": (list,)}
_ITEMS = {"list[int]": (int,), "list[str]": (str,), "list[float]": (int, float)}


PARAMS: tuple[Param, ...] = params_of(Config)


def mode_defaults(checks: bool, ncpus: int) -> dict[str, object]:
    """What the None ("from the mode") fields become: torture runs (checks on) turn every race amplifier on,
    as rcutorture does; throughput runs turn them off."""
    return {p.name: p.mode(checks, ncpus) for p in PARAMS if p.mode is not None}


def config_from_texts(texts: dict[str, object], name_errors: bool = False) -> Config:
    """A Config from parameters given as text, by name (a repeatable one: a list of texts), through each
    parameter's own parser: what the command line, the pytest plugin and campaign files hand over.
    name_errors: an error starts with the parameter's name (a campaign key's, where no flag was typed)."""
    by_name = {p.name: p for p in PARAMS}
    values = {}
    for name, text in texts.items():
        p = by_name[name]
        try:
            if p.repeat:
                values[name] = [p.from_text(t) for t in (text if isinstance(text, list) else [text])]
            else:
                values[name] = p.from_text(str(text))
        except ConfigError as e:
            raise ConfigError(f"{name}: {e}" if name_errors else str(e)) from None
    return Config(**values)


def check_types(c: Config) -> None:
    """Every field of the type its annotation says (None where it allows None): a Config built in Python (the
    pytest plugin's harness_stress(readers="x"), a report's config) gets one line, not a TypeError later."""
    for f in fields(c):
        kind, _, optional = str(f.type).partition(" | ")
        value = getattr(c, f.name)
        if value is None and optional:
            continue
        ok = isinstance(value, _TYPES[kind]) and (kind == "bool" or not isinstance(value, bool))
        if ok and kind in _ITEMS:
            ok = all(isinstance(v, _ITEMS[kind]) and not isinstance(v, bool) for v in value)
        if not ok:
            item = kind[5:-1].replace("float", "number")
            raise ConfigError(f"{f.name} must be {'a list of ' + item if kind in _ITEMS else kind}"
                              f"{' or None' if optional else ''}, not {value!r}")


def fault_target(f: Fault) -> str:
    """What a fault occupies: worker 0 (the faults a worker runs), the arena's pages, or the whole run."""
    return {"arena-exhaust": "the arena", "orchestrator-kill": "the whole run"}.get(f.kind, "worker 0")


def overlapping_faults(faults: list[Fault]) -> tuple[Fault, Fault] | None:
    """Two faults that would share their target at the same time (a kill or crash holds it to the end; an
    orchestrator-kill ends everything after it), or None."""
    def span(f: Fault) -> tuple[float, float]:
        ends = f.kind in ("reader-kill", "worker-crash", "orchestrator-kill")
        return f.at_s, float("inf") if ends else f.at_s + (f.for_s or 0.0)
    ordered = sorted(faults, key=lambda f: f.at_s)
    for i, a in enumerate(ordered):
        for b in ordered[i + 1:]:
            same = fault_target(a) == fault_target(b) or "orchestrator-kill" in (a.kind, b.kind)
            if same and b.at_s <= span(a)[1]:
                return a, b
    return None
