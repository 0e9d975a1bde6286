"""The orchestrator: create the arena, spawn one pinned worker process per CPU slot, drive rounds, watch
the workers, and tear everything down whatever happens. Python here does no per-operation work: workers
spend their lives inside h_worker_main(), and the orchestrator only posts commands and reads counters."""

from __future__ import annotations

import multiprocessing as mp
import os
import signal
import threading
import time
from dataclasses import dataclass
from typing import Callable

import psutil

from harness.config import Config, ConfigError
from harness.core import FLAVORS, WORKLOADS, Core, core_for

ROLE_READER, ROLE_WRITER = 0, 1
_FORK = mp.get_context("fork")   # the arena fd and the loaded core are inherited, nothing is pickled


class WorkerFailed(RuntimeError):
    """A worker could not start (pinning, mapping, registration): the run cannot be trusted."""


@dataclass
class WorkerEvent:
    t_s: float
    worker: int
    what: str


def _worker_entry(core: Core, fd: int, worker: int, role: int, cpu: int, parent: int, errw: int) -> None:
    """Runs in the forked child: pin first, verify, map the arena anew, then live in C until told to exit."""
    def fail(msg: str, code: int = 2) -> None:
        os.write(errw, f"worker {worker}: {msg}\n".encode()[:500])
        os._exit(code)

    signal.signal(signal.SIGINT, signal.SIG_IGN)    # Ctrl-C is the orchestrator's: it stops us via the arena
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
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


class Session:
    """Workers up and pinned, waiting for rounds. Use as a context manager; close() always cleans up."""

    def __init__(self, config: Config, core: Core | None = None) -> None:
        """core: what to run on; by default the built-in one, or the build with config.scheme_file."""
        self.core = core = core or core_for(config.scheme_file)
        self.config = config.resolved(core)
        self.scheme = core.scheme(self.config.scheme)
        self.events: list[WorkerEvent] = []
        self.dead: set[int] = set()
        self.procs: list = []
        self.arena = core.ffi.NULL
        self.fd = -1
        self._errr = self._errw = -1
        self._reclaimer: threading.Thread | None = None
        self._t0 = time.monotonic()
        try:
            self._start()
        except BaseException:
            self.close()
            raise

    # ---------------------------------------------------------------- start-up
    def _params(self):  # type: ignore[no-untyped-def]
        c = self.config
        p = self.core.ffi.new("struct h_params *")
        p.nworkers = c.readers + c.writers
        p.nreaders = c.readers
        p.nnodes = c.nodes
        p.pages_per_node = c.pages_per_node
        p.scheme = self.scheme.index
        p.flavor = FLAVORS.index(c.rcu)
        p.workload = WORKLOADS.index(c.workload)
        p.checks = int(c.checks)
        p.seed = c.seed
        p.read_delay_per_mille = c.read_delay_per_mille
        p.read_delay_max_ns = c.read_delay_max_ns
        p.writer_delay_max_ns = c.writer_delay_max_ns
        p.writer_period_ns = c.writer_period_ns
        p.stall_ms = c.stall_ms
        p.stop_on_violation = int(c.until_violation)
        return p

    def _start(self) -> None:
        core, lib, c = self.core, self.core.lib, self.config
        err = core.ffi.new("char[256]")
        if c.rcu == "membarrier" and self.scheme.uses_rcu and not lib.h_membarrier_available(err, 256):
            raise ConfigError(core.error_text(err))
        self.fd = lib.h_arena_create(self._params(), err, 256)
        if self.fd < 0:
            raise ConfigError(core.error_text(err))
        self.arena = lib.h_arena_map(self.fd, err, 256)
        if self.arena == core.ffi.NULL:
            raise ConfigError(core.error_text(err))
        self._errr, self._errw = os.pipe()
        os.set_blocking(self._errr, False)
        os.set_inheritable(self.fd, True)
        nworkers = c.readers + c.writers
        for w in range(nworkers):
            role = ROLE_READER if w < c.readers else ROLE_WRITER
            proc = _FORK.Process(target=_worker_entry, name=f"harness-{w}", daemon=True,
                                 args=(core, self.fd, w, role, c.cpu_of(w), os.getpid(), self._errw))
            proc.start()
            self.procs.append(proc)
        while lib.h_wait_count(self.arena, 0, nworkers, 100) < nworkers:
            failed = [p for p in self.procs if p.exitcode is not None]
            if failed:
                raise WorkerFailed(self._worker_errors() or f"{failed[0].name} exited with {failed[0].exitcode}")
        # Threads only after every fork: the reclaimer runs call_rcu callbacks, blocking in C without the GIL.
        self._reclaimer = threading.Thread(target=lib.h_reclaimer_main, args=(self.arena,), name="reclaimer",
                                           daemon=True)
        self._reclaimer.start()

    def _worker_errors(self) -> str:
        try:
            return os.read(self._errr, 65536).decode(errors="replace").strip().splitlines()[0]
        except (BlockingIOError, IndexError):
            return ""

    # ---------------------------------------------------------------- running
    @property
    def nworkers(self) -> int:
        return len(self.procs)

    def elapsed(self) -> float:
        return time.monotonic() - self._t0

    def check_workers(self) -> list[int]:
        """Workers that died since the last look: each is recorded, and a dead reader's RCU slot released
        so grace periods go on without it."""
        newly = []
        for w, p in enumerate(self.procs):
            if w in self.dead or p.exitcode is None:
                continue
            self.dead.add(w)
            newly.append(w)
            code = p.exitcode
            how = f"killed by {signal.Signals(-code).name}" if code < 0 else f"exited with status {code}"
            gone = not psutil.pid_exists(p.pid) or psutil.Process(p.pid).status() == psutil.STATUS_ZOMBIE
            self.events.append(WorkerEvent(self.elapsed(), w, f"worker {w} (pid {p.pid}) {how}"
                                           f"{'' if gone else ' (pid still present)'}; its RCU slot was released"))
            self.core.lib.h_rcu_release_slot(self.arena, w)
        return newly

    def run(self, duration: float | None = None, reader_ops: int = 0, interval: float = 0.1,
            on_interval: Callable[["Session"], None] | None = None) -> None:
        """One round: until every reader has done reader_ops, or `duration` passed, or a stop."""
        lib = self.core.lib
        live = self.nworkers - len(self.dead)
        lib.h_post_command(self.arena, lib.H_CMD_RUN, reader_ops)
        start = time.monotonic()
        next_tick = start + interval
        try:
            while True:
                wait_ms = max(1, int(min(0.05, max(0.0, next_tick - time.monotonic())) * 1000))
                done = lib.h_wait_count(self.arena, 1, live, wait_ms)
                if self.check_workers():
                    live = self.nworkers - len(self.dead)
                    if not any(w < self.config.readers for w in range(self.nworkers) if w not in self.dead):
                        lib.h_request_stop(self.arena)
                if done >= live:
                    break
                now = time.monotonic()
                if duration is not None and now - start >= duration:
                    lib.h_request_stop(self.arena)
                if now >= next_tick:
                    next_tick += interval
                    if on_interval:
                        on_interval(self)
        finally:
            lib.h_request_stop(self.arena)
            self._wait_done()

    def _wait_done(self) -> None:
        """After a stop every live worker finishes its chunk within milliseconds; one that does not is hung."""
        lib = self.core.lib
        deadline = time.monotonic() + 5.0
        while time.monotonic() < deadline:
            self.check_workers()
            live = self.nworkers - len(self.dead)
            if lib.h_wait_count(self.arena, 1, live, 50) >= live:
                return
        for w, p in enumerate(self.procs):
            if w not in self.dead and p.exitcode is None:
                p.kill()
        self.events.append(WorkerEvent(self.elapsed(), -1, "workers did not stop within 5 s and were killed"))
        for p in self.procs:
            p.join(1.0)
        self.check_workers()

    # ---------------------------------------------------------------- tear-down
    def close(self) -> None:
        lib = self.core.lib
        if self.arena != self.core.ffi.NULL:
            lib.h_request_stop(self.arena)
            lib.h_post_command(self.arena, lib.H_CMD_EXIT, 0)
        for p in self.procs:
            p.join(2.0)
            if p.exitcode is None:
                p.kill()
                p.join(1.0)
        if self._reclaimer is not None:
            lib.h_reclaimer_stop(self.arena)
            self._reclaimer.join(5.0)
            if not self._reclaimer.is_alive():
                self._reclaimer = None
        if self.arena != self.core.ffi.NULL and self._reclaimer is None:   # never unmap under a live thread
            lib.h_arena_unmap(self.arena)
            self.arena = self.core.ffi.NULL
        for fd in (self.fd, self._errr, self._errw):
            if fd >= 0:
                os.close(fd)
        self.fd = self._errr = self._errw = -1

    def __enter__(self) -> "Session":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
