"""Spawning and pinning the worker processes: each forked child pins itself to its CPU and reads the
affinity back before it maps the arena; rcutorture's shuffle moves every live worker to the next CPU of the
run, verified the same way."""

from __future__ import annotations

import faulthandler
import multiprocessing as mp
import os
import time

import psutil

from harness.build.core import Core
from harness.soak import interrupts


FORK = mp.get_context("fork")   # the arena fd and the loaded core are inherited, nothing is pickled


class WorkerFailed(RuntimeError):
    """A worker could not start (pinning, mapping, registration): the run cannot be trusted."""


def reap(procs: list, timeout_s: float) -> None:
    """Wait up to timeout_s for these processes to exit, by their exit status, not by join(): join waits for a
    pipe that a child the scheme forked holds open for as long as it lives, long after the worker is gone."""
    deadline = time.monotonic() + timeout_s
    while any(p.exitcode is None for p in procs) and time.monotonic() < deadline:
        time.sleep(0.005)   # polling exit statuses; nothing depends on this sleep's length


def worker_entry(core: Core, fd: int, worker: int, role: int, cpu: int, parent: int, errw: int) -> None:
    """Runs in the forked child: pin first, verify, map the arena anew, then live in C until told to exit."""
    def fail(msg: str, code: int = 2) -> None:
        os.write(errw, f"worker {worker}: {msg}\n".encode()[:500])
        os._exit(code)

    interrupts.ignore_in_child()   # Ctrl-C and SIGTERM are the orchestrator's: it stops us via the arena
    os.setpgid(0, 0)               # a group of our own: whatever the scheme forks dies with us (Session.close)
    faulthandler.disable()   # a crash is the orchestrator's to report (a host's faulthandler would print here)
    try:
        if core.lib.h_worker_init(parent) != 0:
            os._exit(3)                              # the orchestrator is already gone
        me = psutil.Process()
        me.cpu_affinity([cpu])
        got = me.cpu_affinity()
        if got != [cpu]:
            fail(f"asked for CPU {cpu}, affinity reads back {got}")
        err = core.ffi.new("char[256]")
        arena = core.lib.h_arena_map(fd, err, 256)
        if arena == core.ffi.NULL:
            fail(core.error_text(err))
        if core.lib.h_worker_register(arena, worker, role, cpu, err, 256) != 0:
            fail(core.error_text(err))
        os._exit(core.lib.h_worker_main(arena, worker))
    except BaseException as e:   # noqa: BLE001 - a child must never unwind into the parent's code
        fail(f"{type(e).__name__}: {e}")


def shuffle(s) -> None:
    """rcutorture's shuffle: rotate every live worker to the next CPU of the run, verified."""
    lib, cpus = s.core.lib, s.config.cpus
    assert cpus is not None
    s.shuffles += 1
    lib.h_shuffle_begin(s.arena)
    try:
        for w, p in enumerate(s.procs):
            if w in s.dead:
                continue
            cpu = cpus[(cpus.index(s.cpus_assigned[w][-1]) + 1) % len(cpus)]
            lib.h_set_worker_cpu(s.arena, w, cpu)
            try:
                proc = psutil.Process(p.pid)
                proc.cpu_affinity([cpu])
                got = proc.cpu_affinity()
            except psutil.NoSuchProcess:
                continue
            if got != [cpu]:
                s.note(w, f"shuffle: worker {w} asked for CPU {cpu}, affinity reads back {got}")
            s.cpus_assigned[w].append(cpu)
    finally:
        lib.h_shuffle_end(s.arena)
