"""The machine's memory against what a run asks for, checked before anything is created: the arena is one
shared mapping of `needed` bytes, touched in full at start, so a size the machine cannot hold is one line,
not the OOM killer. Available is the least of MemAvailable, the cgroup's headroom (memory.max less
memory.current) and the address space RLIMIT_AS leaves this process (the arena is mapped in it and in every
worker, each under the same limit)."""

from __future__ import annotations

import resource

MIB = 1 << 20


def _meminfo_available() -> int | None:
    try:
        with open("/proc/meminfo") as f:
            for line in f:
                if line.startswith("MemAvailable:"):
                    return int(line.split()[1]) * 1024
    except OSError:
        pass
    return None


def _cgroup_headroom() -> int | None:
    """cgroup v2: memory.max less memory.current of this process's cgroup (None: no limit, or not v2)."""
    try:
        with open("/proc/self/cgroup") as f:
            path = next((line.strip().split("::", 1)[1] for line in f if line.startswith("0::")), None)
        if path is None:
            return None
        base = f"/sys/fs/cgroup{path.rstrip('/')}"
        with open(f"{base}/memory.max") as f:
            limit = f.read().strip()
        if limit == "max":
            return None
        with open(f"{base}/memory.current") as f:
            return max(0, int(limit) - int(f.read()))
    except (OSError, ValueError):
        return None


def _address_space_left() -> int | None:
    soft, _ = resource.getrlimit(resource.RLIMIT_AS)
    if soft == resource.RLIM_INFINITY:
        return None
    try:
        with open("/proc/self/status") as f:
            size = next(int(line.split()[1]) * 1024 for line in f if line.startswith("VmSize:"))
    except (OSError, StopIteration):
        size = 0
    return max(0, soft - size)


def check_arena(needed: int, what: str) -> None:
    """ConfigError when `needed` bytes do not fit; `what` says which settings ask. Under RLIMIT_AS the arena
    counts twice: a forked worker holds the orchestrator's mapping beside its own."""
    from harness.soak.parse import ConfigError
    for avail, name, copies in ((_meminfo_available(), "MemAvailable", 1),
                                (_cgroup_headroom(), "the cgroup's memory.max", 1),
                                (_address_space_left(), "RLIMIT_AS", 2)):
        if avail is not None and needed * copies > avail:
            raise ConfigError(f"{what} need an arena of {needed / MIB:,.0f} MiB{' mapped twice' if copies > 1 else ''}"
                              f" but only {avail / MIB:,.0f} MiB is available ({name}): use fewer --nodes or "
                              "--pages-per-node")
