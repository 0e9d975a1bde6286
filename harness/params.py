"""The one table of a run's parameters: each soak flag, the Config fields it sets, how its text is read and
written back, and its help. It drives the `soak` flags (with their defaults in --help), `Config.command()`
(the reproduce line), the pytest plugin's --harness-* options and ini keys, and the start line; the JSON
holds the Config fields themselves. Like harness.parse, it loads neither the C core nor numpy.

Defaults that depend on the run are None in Config and filled by `mode_defaults` (torture runs, with
checks on, turn the race amplifiers on; the CPU count decides shuffling)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Callable

from harness.faults import KINDS as FAULT_KINDS
from harness.parse import (FLAVORS, MEMORY_MODELS, WORKLOADS, WRITER_OPS, ConfigError, cpu_ranges, parse_cpu_list,
                           parse_duration, seconds)

DEFAULT_SCHEME = "rcu-typesafe"


MAX_WORKERS = 256          # H_MAX_WORKERS (csrc/api.h)
MAX_NODES = 64             # H_MAX_NODES
U32, U64, INT = 2**32 - 1, 2**64 - 1, 2**31 - 1


def _ns_bound(ns: int) -> str:
    return f"{ns / 1e9:.3g} s"


# The range of every integer Config field, from the C type it lands in (struct h_params, h_post_command) or
# the engine's own limits: (lowest, highest, how the bounds read).
RANGES: dict[str, tuple[int, int, str]] = {
    "readers": (1, MAX_WORKERS, f"1 .. {MAX_WORKERS}"),
    "writers": (0, MAX_WORKERS - 1, f"0 .. {MAX_WORKERS - 1}"),
    "ops": (0, U64, "0 .. 2**64-1"),
    "seed": (0, U64, "0 .. 2**64-1"),
    "nodes": (1, MAX_NODES, f"1 .. {MAX_NODES}"),
    "pages_per_node": (16, INT, "16 .. 2**31-1"),
    "job_nodes": (0, MAX_NODES, f"0 .. {MAX_NODES}"),
    "read_delay_per_mille": (0, 1000, "0 .. 1000 per mille"),
    "access_delay_per_mille": (0, 1000, "0 .. 1000 per mille"),
    **{name: (0, U32, f"0 .. {_ns_bound(U32)}") for name in
       ("read_delay_max_ns", "access_delay_max_ns", "writer_delay_max_ns", "writer_period_ns")},
    "stall_ms": (1, U32, f"1 ms .. {_ns_bound(U32 * 10**6)}"),
}


def check_range(field: str, value: int, said: str) -> None:
    """`said` is how the user gave it (a flag and its text, or a Config field and its value)."""
    lo, hi, bounds = RANGES[field]
    if not lo <= value <= hi:
        raise ConfigError(f"{said} is out of range: must be {bounds}")


def _int(text: str) -> int:
    try:
        return int(text.strip())
    except ValueError:
        raise ConfigError(f"not an integer: {text!r}") from None


def _ns(text: str) -> int:
    return round(parse_duration(text) * 1e9)


def ns_text(ns: int) -> str:
    """10000 -> '10us', 1500 -> '1500ns', 0 -> '0': exact, in the largest unit that divides it."""
    for unit, size in (("s", 10**9), ("ms", 10**6), ("us", 10**3)):
        if ns and ns % size == 0:
            return f"{ns // size}{unit}"
    return f"{ns}ns" if ns else "0"


def _bool(text: str) -> bool:
    t = text.strip().lower()
    if t in ("1", "true", "yes", "on"):
        return True
    if t in ("0", "false", "no", "off"):
        return False
    raise ConfigError(f"not a boolean: {text!r} (expected on/off, true/false, 1/0)")


def _delay(flag: str) -> Callable[[str], tuple[int, int | None]]:
    """'20:50us' -> (20, 50000); '5' -> (5, None: the default maximum); '0' -> off."""
    def parse(text: str) -> tuple[int, int | None]:
        rate, sep, most = text.partition(":")
        try:
            per_mille = int(rate)
        except ValueError:
            raise ConfigError(f"malformed {flag} {text!r}: expected PER_MILLE[:MAX], e.g. 20:50us") from None
        return per_mille, _ns(most) if sep else None
    return parse


def _stutter(text: str) -> tuple[float, float]:
    if text.strip() == "0":
        return 0.0, 0.0
    run, sep, pause = text.partition(":")
    if not sep:
        raise ConfigError(f"malformed --stutter {text!r}: expected RUN:PAUSE, e.g. 5s:500ms, or 0")
    return parse_duration(run), parse_duration(pause)


def _writer_ops(text: str) -> tuple[list[str]]:
    ops = [op.strip() for op in text.split(",")]
    unknown = [op for op in ops if op not in WRITER_OPS]
    if unknown or not text.strip():
        raise ConfigError(f"malformed --writer-ops {text!r}: expected a list of {', '.join(WRITER_OPS)}")
    return ([op for op in WRITER_OPS if op in ops],)


def _choice(flag: str, known: tuple[str, ...]) -> Callable[[str], tuple[str]]:
    def parse(text: str) -> tuple[str]:
        if text not in known:
            raise ConfigError(f"unknown {flag} {text!r} (known: {', '.join(known)})")
        return (text,)
    return parse


@dataclass(frozen=True)
class Param:
    flag: str                                  # "--rcu"
    fields: tuple[str, ...]                    # the Config fields it sets
    help: str                                  # says the default when it depends on the run
    parse: Callable[[str], tuple[Any, ...]]    # the flag's text -> one value per field
    show: Callable[..., str]                   # one value per field -> the flag's text
    default: str | None = None                 # the flag's text by default; None: from the machine or the mode
    metavar: str | None = None
    always: bool = False                       # in every reproduce line (what a reader needs to see)
    switch: bool = False                       # a boolean: --flag / --no-flag
    repeat: bool = False                       # may be given many times (a list field)

    @property
    def name(self) -> str:
        return self.flag[2:]

    def text(self, values: tuple[Any, ...]) -> list[str]:
        """The command-line words that set these values."""
        if self.switch:
            return [self.flag if values[0] else f"--no-{self.name}"]
        if self.repeat:
            return [w for v in values[0] for w in (self.flag, self.show(v))]
        return [self.flag, self.show(*values)]


def _one(parse: Callable[[str], Any]) -> Callable[[str], tuple[Any]]:
    return lambda text: (parse(text),)


PARAMS: tuple[Param, ...] = (
    Param("--scheme", ("scheme",), f"scheme name (default: the --scheme-file's scheme if one is given, else "
          f"{DEFAULT_SCHEME})", lambda t: (t,), str, always=True),
    Param("--rcu", ("rcu",), f"RCU flavor: {', '.join(FLAVORS)}", _choice("--rcu", FLAVORS), str, "qsbr", always=True),
    Param("--memory-model", ("memory_model",), "native: the machine's own ordering; weak: the primitives "
          "emulate the store-store and load-load reorderings of Arm/POWER that x86 hides (LKMM's; needs the checks "
          "on)", _choice(
          "--memory-model", MEMORY_MODELS), str, "native"),
    Param("--workload", ("workload",), ", ".join(WORKLOADS), _choice("--workload", WORKLOADS), str, "alloc",
          always=True),
    Param("--cpus", ("cpus",), "CPU list, e.g. 0,2-3 (default: every allowed CPU)", _one(parse_cpu_list),
          cpu_ranges, always=True),
    Param("--readers", ("readers",), "reader processes (default: CPUs minus writers)", _one(_int), str,
          always=True),
    Param("--writers", ("writers",), "writer processes", _one(_int), str, "1", always=True),
    Param("--duration", ("duration",), "seconds, or with an ns/us/ms/s/m/h suffix", _one(parse_duration),
          seconds, "10", always=True),
    Param("--ops", ("ops",), "reader ops per reader instead of a duration (0: the duration)", _one(_int), str, "0"),
    Param("--seed", ("seed",), "0 .. 2**64-1 (default: random, printed)", _one(_int), str, always=True),
    Param("--checks", ("checks",), "oracles and race amplifiers (--no-checks: pure throughput)", _one(_bool),
          str, "on", switch=True),
    Param("--until-violation", ("until_violation",), "stop at the first violation", _one(_bool), str, "off",
          switch=True),
    Param("--oversubscribe", ("oversubscribe",), "allow more workers than CPUs", _one(_bool), str, "off",
          switch=True),
    Param("--nodes", ("nodes",), "simulated memory nodes, 1..64", _one(_int), str, "4"),
    Param("--pages-per-node", ("pages_per_node",), "simulated pages per node", _one(_int), str, "1024"),
    Param("--job-nodes", ("job_nodes",), "the readers' initial job cpuset: the last K nodes, far from the low "
          "home nodes (0: every other node)", _one(_int), str, "0"),
    Param("--writer-period", ("writer_period_ns",), "one writer change per period, e.g. 10us (0: a writer "
          "storm)", _one(_ns), ns_text, "0"),
    Param("--writer-ops", ("writer_ops",), "the writer's operations, a list of " + ", ".join(WRITER_OPS) +
          " (fewer than 2 live cpusets always means a create)", _writer_ops, ",".join, ",".join(WRITER_OPS),
          metavar="OPS"),
    Param("--writer-delay", ("writer_delay_max_ns",), "amplifier: a random delay up to MAX between writer steps "
          "(default: 5us with checks on, else 0)", _one(_ns), ns_text, metavar="MAX"),
    Param("--read-delay", ("read_delay_per_mille", "read_delay_max_ns"), "amplifier: chance per read of a "
          "delay up to MAX where the scheme calls h_read_delay (default: 20:50us with checks on; 0: off)",
          _delay("--read-delay"), lambda rate, most: f"{rate}:{ns_text(most)}", metavar="PER_MILLE[:MAX]"),
    Param("--access-delay", ("access_delay_per_mille", "access_delay_max_ns"), "amplifier: chance of a delay "
          "up to MAX at every checkpoint (every primitive a scheme calls: loads, atomics, locks, unlock, put, "
          "write sections) (default: 2:20us with checks on; 0: off)", _delay("--access-delay"),
          lambda rate, most: f"{rate}:{ns_text(most)}", metavar="PER_MILLE[:MAX]"),
    Param("--adversarial", ("adversarial",), "amplifier: the writer recycles, twice, the very cpuset a reader "
          "is reading (default: on with checks)", _one(_bool), str, switch=True),
    Param("--shuffle", ("shuffle_s",), "amplifier: rotate workers across CPUs this often (default: 3s with "
          "checks on and 2+ CPUs, else off; 0: off)", _one(parse_duration), seconds, metavar="PERIOD"),
    Param("--stutter", ("stutter_on_s", "stutter_off_s"), "amplifier: all workers run RUN, then pause PAUSE "
          "together (default: 5s:500ms with checks on; 0: off)", _stutter,
          lambda on, off: f"{seconds(on)}:{seconds(off)}" if on else "0", metavar="RUN:PAUSE"),
    Param("--stall-bound", ("stall_ms",), "report a reader holding up a grace period, or any worker making no "
          "progress, this long; a worker that has not stopped max(2s, twice this) after the run is hung "
          "(FAILURE)", _one(lambda t: round(parse_duration(t) * 1000)), lambda ms: ns_text(ms * 10**6), "1s"),
    Param("--inject", ("inject",), "inject a fault (may repeat): " + "; ".join(
          f"{kind}: {what}" for kind, (what, _) in FAULT_KINDS.items()),
          lambda t: ([t],), str, metavar="KIND[@AT][:FOR]", repeat=True),
    Param("--scheme-file", ("scheme_file",), "a C file defining harness_user_scheme (see harness.h): compiled, "
          "cached, run like a built-in", lambda t: (t,), str),
)


def mode_defaults(checks: bool, ncpus: int) -> dict[str, Any]:
    """What the None ("from the mode") fields become: torture runs (checks on) turn every race amplifier on,
    as rcutorture does; throughput runs turn them off."""
    return {"read_delay_per_mille": 20 if checks else 0, "read_delay_max_ns": 50000,
            "writer_delay_max_ns": 5000 if checks else 0,
            "access_delay_per_mille": 2 if checks else 0, "access_delay_max_ns": 20000,
            "adversarial": checks,
            "shuffle_s": 3.0 if checks and ncpus > 1 else 0.0,
            "stutter_on_s": 5.0 if checks else 0.0, "stutter_off_s": 0.5 if checks else 0.0}


def values_from_text(param: Param, text: str) -> dict[str, Any]:
    """One flag's text -> the Config fields it sets (a field given None keeps its default); an integer out of
    its field's range is refused here, before anything runs."""
    values = {f: v for f, v in zip(param.fields, param.parse(text)) if v is not None}
    for name, value in values.items():
        if name in RANGES:
            check_range(name, value, f"{param.flag} {text}")
    return values
