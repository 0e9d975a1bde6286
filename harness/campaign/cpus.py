"""Which CPUs of this host a scenario runs on: one lock file per CPU (flock), so every runner on the host
(the local runner's threads, Dask worker threads or processes, another campaign) gets disjoint CPU lists,
and a runner that dies gives its CPUs back with its file descriptors."""

from __future__ import annotations

import contextlib
import fcntl
import os
import tempfile
import time
from typing import Iterator

from harness.soak.parse import ConfigError, allowed_cpus

WAIT_S = 0.05   # only when the host is oversubscribed by its runners (more CPU resources advertised than CPUs)


def lock_dir() -> str:
    path = os.path.join(tempfile.gettempdir(), f"harness-cpu-locks-{os.getuid()}")
    os.makedirs(path, exist_ok=True)
    return path


def _try_take(n: int, where: str) -> list[tuple[int, int]]:
    taken: list[tuple[int, int]] = []
    for cpu in allowed_cpus():
        fd = os.open(os.path.join(where, f"cpu{cpu}.lock"), os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o600)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            os.close(fd)
            continue
        taken.append((cpu, fd))
        if len(taken) == n:
            return taken
    for _, fd in taken:
        os.close(fd)
    return []


@contextlib.contextmanager
def host_cpus(n: int) -> Iterator[list[int]]:
    """Hold n free CPUs of this host (waits while other runners hold too many)."""
    if n > len(allowed_cpus()):
        raise ConfigError(f"a scenario needs {n} CPUs but this host allows {len(allowed_cpus())}")
    where = lock_dir()
    host = os.open(os.path.join(where, "host.lock"), os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o600)
    try:
        while True:
            fcntl.flock(host, fcntl.LOCK_EX)   # one chooser at a time, so two never split the free CPUs
            taken = _try_take(n, where)
            fcntl.flock(host, fcntl.LOCK_UN)
            if taken:
                break
            time.sleep(WAIT_S)
    finally:
        os.close(host)
    try:
        yield [cpu for cpu, _ in taken]
    finally:
        for _, fd in taken:
            os.close(fd)
