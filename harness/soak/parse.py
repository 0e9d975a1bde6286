"""The command line's vocabulary and syntax, as a leaf module: durations, CPU lists, the C core's names and
limits, and the one error type bad input raises. It imports nothing from the harness, so the pytest plugin
and `harness.soak.config` can parse options without loading the C core."""

from __future__ import annotations

import math
import os
import re
from decimal import Decimal

# The C core's names, by the index C reads (csrc/engine/api.h, csrc/include/constants.h): here so that parsing
# options loads no C; harness.build.core refuses to load an engine whose h_*_name() tables or limits say
# otherwise (check_agrees_with).
FLAVORS = ("qsbr", "mb", "membarrier")                   # H_FLAVOR_*, h_flavor_name()
WORKLOADS = ("deref", "alloc", "unused", "alloc-subset")  # H_WORKLOAD_*, h_workload_name()
WRITER_OPS = ("create", "attach", "rebind", "destroy")   # bit H_WRITER_OP_* of struct h_params.writer_ops
MEMORY_MODELS = ("native", "weak")   # H_MEMORY_*; weak: the primitives emulate LKMM's reorderings (csrc/weak/weak.c)
MAX_WORKERS = 256                    # H_MAX_WORKERS
MAX_NODES = 64                       # H_MAX_NODES


class ConfigError(ValueError):
    """Bad input: the command line prints str(error) and exits 2. One line, except a scheme file that does not
    compile: then the compiler's own lines follow."""


def allowed_cpus() -> list[int]:
    return sorted(os.sched_getaffinity(0))


def check_allowed(cpus: "range | list[int]") -> None:
    """A CPU this process may not run on is bad input. Stops at the first: a range longer than the allowed set
    is refused within len(allowed) + 1 steps, however long it is."""
    allowed = allowed_cpus()
    known = set(allowed)
    outside = next((cpu for cpu in cpus if cpu not in known), None)
    if outside is not None:
        raise ConfigError(f"CPU {outside} does not exist or is not allowed here (allowed: {cpu_ranges(allowed)})")


def parse_cpu_list(text: str) -> list[int]:
    """'0,2-3' -> [0, 2, 3] (the taskset / stress-ng --taskset syntax). Every CPU must be one this process
    may run on, checked before a range is expanded, so '0-99999999' is one line, not a list of a hundred
    million numbers."""
    cpus: list[int] = []
    for part in text.split(","):
        m = re.fullmatch(r"\s*(\d+)\s*(?:-\s*(\d+)\s*)?", part)
        if not m:
            raise ConfigError(f"malformed CPU list {text!r}: expected e.g. 0,2-3")
        lo, hi = int(m.group(1)), int(m.group(2) or m.group(1))
        if hi < lo:
            raise ConfigError(f"malformed CPU list {text!r}: range {lo}-{hi} runs backwards")
        check_allowed(range(lo, hi + 1))
        cpus.extend(range(lo, hi + 1))
    if len(set(cpus)) != len(cpus):
        raise ConfigError(f"CPU list {text!r} names a CPU twice")
    return cpus


_UNITS = {"": 1.0, "ns": 1e-9, "us": 1e-6, "ms": 0.001, "s": 1.0, "m": 60.0, "h": 3600.0}


def parse_duration(text: str) -> float:
    """'30', '30s', '10m', '2h', '0.5', '200ms', '50us' -> seconds."""
    m = re.fullmatch(r"\s*(-?\d+(?:\.\d+)?)\s*(ns|us|ms|[smh]?)\s*", text)
    if not m:
        raise ConfigError(f"malformed duration {text!r}: expected e.g. 200ms, 30s, 10m, 2h")
    value = float(m.group(1)) * _UNITS[m.group(2)]
    if not math.isfinite(value):
        raise ConfigError(f"duration {text!r} is too long to be a number of seconds")
    return value


def seconds(x: float | None) -> str:
    """A duration as the command line reads it back exactly: 600.0 -> '600', 0.1 -> '0.1', 1e-09 ->
    '0.000000001': the shortest digits that give back the same float (repr's), never in exponent form, which
    parse_duration does not read."""
    x = float(x or 0)
    return str(int(x)) if x == int(x) else format(Decimal(repr(x)), "f")


def cpu_ranges(cpus: list[int]) -> str:
    """[0, 1, 2, 5] -> '0-2,5'; in the list's order ([2, 0, 1] -> '2,0-1'), which decides which worker runs
    where, so the reproduce line's --cpus gives back the very same placement."""
    runs: list[list[int]] = []
    for cpu in cpus:
        if runs and runs[-1][1] == cpu - 1:
            runs[-1][1] = cpu
        else:
            runs.append([cpu, cpu])
    return ",".join(str(lo) if lo == hi else f"{lo}-{hi}" for lo, hi in runs)


def writable_file(path: str, flag: str) -> None:
    """An output file the command can create or replace, checked before any work: a non-empty path, not a
    directory nor a device (/dev/full), writable if it exists, in a directory that exists and is writable.
    What only the write can tell (/proc, a full disk) harness.report.output.save handles."""
    if not path:
        raise ConfigError(f"{flag}: the path is empty")
    if os.path.isdir(path):
        raise ConfigError(f"{flag} {path}: is a directory")
    if os.path.exists(path) and not os.path.isfile(path):
        raise ConfigError(f"{flag} {path}: is not a regular file")
    if os.path.exists(path) and not os.access(path, os.W_OK):
        raise ConfigError(f"{flag} {path}: is not writable")
    parent = os.path.dirname(os.path.abspath(path))
    if not os.path.isdir(parent) or not os.access(parent, os.W_OK):
        raise ConfigError(f"{flag} {path}: directory {parent} does not exist or is not writable")


def writable_dir(path: str, flag: str) -> None:
    """An output directory the command can use or create: a non-empty path, a directory if it exists, else
    one whose nearest existing parent is a writable directory."""
    if not path:
        raise ConfigError(f"{flag}: the path is empty")
    if os.path.exists(path):
        if not os.path.isdir(path):
            raise ConfigError(f"{flag} {path}: exists and is not a directory")
        if not os.access(path, os.W_OK):
            raise ConfigError(f"{flag} {path}: directory is not writable")
        return
    parent = os.path.dirname(os.path.abspath(path))
    while not os.path.exists(parent):
        parent = os.path.dirname(parent)
    if not os.path.isdir(parent) or not os.access(parent, os.W_OK):
        raise ConfigError(f"{flag} {path}: cannot be created in {parent} (not a writable directory)")
