"""What a run is: the Config object, its defaults from the machine, and validation that turns bad input
into one clear ConfigError before anything is created."""

from __future__ import annotations

import os
import random
import shlex
from dataclasses import asdict, dataclass, field, fields

from typing import TYPE_CHECKING

from harness.faults import NEEDS_RCU_READER, Fault, parse_fault
from harness.params import DEFAULT_SCHEME, PARAMS, RANGES, U32, check_range, mode_defaults
from harness.parse import FLAVORS, MEMORY_MODELS, WORKLOADS, WRITER_OPS, ConfigError, allowed_cpus, check_allowed

if TYPE_CHECKING:
    from harness.core import Core

__all__ = ["Config", "ConfigError", "DEFAULT_SCHEME"]


@dataclass
class Config:
    """One stress run. None means "from the machine": all allowed CPUs, one writer, the rest readers."""

    scheme: str | None = None         # None: the scheme file's scheme if there is one, else DEFAULT_SCHEME
    rcu: str = "qsbr"
    memory_model: str = "native"
    workload: str = "alloc"
    cpus: list[int] | None = None
    readers: int | None = None
    writers: int = 1
    duration: float = 10.0
    ops: int = 0                      # reader ops per reader per round; 0: run for `duration`
    seed: int | None = None
    checks: bool = True               # False: oracles off, pure throughput
    until_violation: bool = False
    oversubscribe: bool = False       # allow more workers than CPUs (several per CPU)
    nodes: int = 4
    pages_per_node: int = 1024
    job_nodes: int = 0                # readers' initial job cpuset: the last K nodes; 0: every other node
    read_delay_per_mille: int | None = None   # amplifier; None: on in torture (checks) runs, off otherwise
    read_delay_max_ns: int = 50000
    writer_delay_max_ns: int | None = None    # amplifier; None: 5 us in torture runs, off otherwise
    access_delay_per_mille: int | None = None  # amplifier at every checkpoint (every primitive a scheme calls);
    access_delay_max_ns: int = 20000           # None: 2 per mille in torture runs, off otherwise
    adversarial: bool | None = None   # amplifier: the writer recycles the cpusets readers are reading; None: torture
    writer_period_ns: int = 0         # 0: writer storm; 10000: one change every 10 us
    writer_ops: list[str] = field(default_factory=lambda: list(WRITER_OPS))   # what the writer may do
    stall_ms: int = 1000
    shuffle_s: float | None = None    # amplifier: rotate workers across CPUs this often; None: 3 s in torture
    stutter_on_s: float | None = None  # amplifier: run this long, then all pause stutter_off_s together;
    stutter_off_s: float | None = None  # None: 5 s / 0.5 s in torture runs, off otherwise
    inject: list[str] = field(default_factory=list)   # faults, KIND[@AT][:FOR] (harness/faults.py)
    scheme_file: str | None = None    # a C file defining harness_user_scheme (see harness.h)
    memory_model: str = "native"      # "weak": store-store and load-load reordering emulated (torture only)

    def resolved(self, core: "Core | None" = None) -> "Config":
        """A copy with every default filled in from the machine, validated against `core` (default: the
        built-in schemes, which loads the C core). Raises ConfigError."""
        if core is None:
            from harness.core import BUILTIN   # the C core, only when a run is really being set up
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
        if workers > 256:
            raise ConfigError(f"at most 256 workers, not {workers}")
        if not c.duration > 0 and not c.ops:
            raise ConfigError(f"duration must be positive, not {c.duration:g}")
        if c.job_nodes > c.nodes:
            raise ConfigError(f"job nodes must be 0..nodes ({c.nodes}), not {c.job_nodes}")
        if c.seed is None:
            c.seed = random.randrange(1, 2**31)
        for name, value in mode_defaults(c.checks, len(c.cpus)).items():
            if getattr(c, name) is None:
                setattr(c, name, value)
        if min(c.shuffle_s, c.stutter_on_s, c.stutter_off_s) < 0:  # type: ignore[type-var]
            raise ConfigError("shuffle and stutter times must be >= 0")
        if bool(c.stutter_on_s) != bool(c.stutter_off_s):
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
        for name in RANGES:
            check_range(name, getattr(c, name), f"{name} = {getattr(c, name)}")
        if max(c.stutter_on_s, c.stutter_off_s) * 1000 > U32:  # type: ignore[operator]
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
        defaults = {**{f.name: f.default_factory() if callable(f.default_factory) else f.default  # type: ignore[misc]
                       for f in fields(Config)}, **mode_defaults(self.checks, len(self.cpus))}
        words = ["python", "-m", "harness", "soak"]
        for p in PARAMS:
            values = tuple(getattr(self, name) for name in p.fields)
            if values[0] is None or (p.repeat and not values[0]):
                continue
            if p.always or values != tuple(defaults[name] for name in p.fields):
                words += p.text(values)
        return " ".join(shlex.quote(w) for w in words)


_TYPES = {"int": (int,), "float": (int, float), "bool": (bool,), "str": (str,), "list[int]": (list,),
          "list[str]": (list,)}
_ITEMS = {"list[int]": int, "list[str]": str}


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
            raise ConfigError(f"{f.name} must be {'a list of ' + _ITEMS[kind].__name__ if kind in _ITEMS else kind}"
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
