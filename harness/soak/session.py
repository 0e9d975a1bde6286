"""The orchestrator: create the arena, spawn one pinned worker process per CPU slot, drive rounds, watch
the workers, and tear everything down whatever happens. Python here does no per-operation work: workers
spend their lives inside h_worker_main(), and the orchestrator only posts commands and reads counters.
This module holds the session's state, its rounds and its tear-down; each other job has a module of its own:
spawning and pinning (spawn.py), the membarrier self-test, progress stalls and the wait after a stop
(progress.py, hangwatch.py for --until-violation), the reclaimer process (reclaimer.py), faults (fault_plan.py)."""

from __future__ import annotations

import gc
import os
import signal
import time
from dataclasses import dataclass
from typing import Callable

import psutil

from harness.build.core import Core
from harness.build.userscheme import core_for
from harness.soak import interrupts, progress, reclaimer
from harness.soak.config import Config
from harness.soak.fault_plan import FaultPlan
from harness.soak.hangwatch import HangWatch
from harness.soak.membarrier_selftest import membarrier_selftest
from harness.soak.parse import FLAVORS, MEMORY_MODELS, WORKLOADS, WRITER_OPS, ConfigError
from harness.soak.resources import check_arena
from harness.soak.spawn import FORK, WorkerFailed, reap, shuffle, worker_entry

__all__ = ["Session", "WorkerEvent", "WorkerFailed"]


@dataclass
class WorkerEvent:
    t_s: float
    worker: int
    what: str


class Session:
    """Workers up and pinned, waiting for rounds. Use as a context manager; close() always cleans up."""

    def __init__(self, config: Config, core: Core | None = None) -> None:
        """core: what to run on; by default the built-in one, or the build with config.scheme_file."""
        self.core = core = core or core_for(config.scheme_file)
        self.config = config.resolved(core)
        self.scheme = core.scheme(self.config.scheme)
        self.events: list[WorkerEvent] = []
        self.dead: set[int] = set()
        self.crashes: list[dict[str, object]] = []   # workers that died unasked: the run cannot be trusted
        self.killed: set[int] = set()                # workers we killed on purpose
        self._expected_crash: set[int] = set()       # injected crashes: still crashes, but not news
        self._unreleased: dict[int, int] = {}        # dead reader -> stalls recorded when it died
        self.faults = FaultPlan(self.config.faults)
        self.cpus_assigned: list[list[int]] = []
        self.shuffles = 0
        self._run_s = 0.0                            # run time over all rounds: the faults' clock
        self.procs: list = []
        self.arena = core.ffi.NULL
        self.fd = -1
        self._errr = self._errw = -1
        self.reclaimer = None                        # the reclaimer process
        self.hangs: list[dict[str, object]] = []     # workers (or the reclaimer) that would not stop
        self.progress_stalls: list[dict[str, object]] = []
        self.stalled_now: set[int] = set()           # workers in a progress stall right now
        self.stalled_s: dict[int, float] = {}        # live worker -> seconds without progress, at the last tick
        self._hang_watch = HangWatch(self)           # --until-violation: every worker stuck
        self.membarrier_selftest: dict[str, int] | None = None
        self.interrupted: dict[str, object] | None = None   # the signal that stopped the run, and when
        self.groups: list[int] = []                   # process groups of the workers, the reclaimer and their children
        self._t0 = time.monotonic()                  # moved to the first round's start: the run's clock
        try:
            self._start()
        except BaseException:
            self.close()
            raise

    # ---------------------------------------------------------------- start-up
    def _params(self):  # type: ignore[no-untyped-def]
        """struct h_params from the config: every field named alike is copied, the rest derived here, and a
        field of the C struct that neither covers is an error, not a silently zero setting (that once left
        the access delays and the adversarial writer off whatever the config said)."""
        c = self.config
        derived = {"nworkers": c.readers + c.writers, "nreaders": c.readers, "nnodes": c.nodes,
                   "scheme": self.scheme.index, "flavor": FLAVORS.index(c.rcu),
                   "workload": WORKLOADS.index(c.workload), "stop_on_violation": int(c.until_violation),
                   "memory_model": MEMORY_MODELS.index(c.memory_model),
                   "writer_period_ns": c.writer_period, "writer_delay_max_ns": c.writer_delay,
                   "read_delay_per_mille": c.read_delay[0], "read_delay_max_ns": c.read_delay[1],
                   "access_delay_per_mille": c.access_delay[0], "access_delay_max_ns": c.access_delay[1],
                   "stutter_on_ms": round(c.stutter[0] * 1000), "stutter_off_ms": round(c.stutter[1] * 1000),
                   "stall_ms": c.stall_bound, "writer_ops": sum(1 << WRITER_OPS.index(op) for op in c.writer_ops)}
        p = self.core.ffi.new("struct h_params *")
        for name, _ in self.core.ffi.typeof("struct h_params").fields:
            if name in derived:
                setattr(p, name, derived[name])
            elif hasattr(c, name):
                setattr(p, name, int(getattr(c, name)))
            else:
                raise AssertionError(f"struct h_params.{name} has no Config field and is not derived")
        return p

    def _start(self) -> None:
        core, lib, c = self.core, self.core.lib, self.config
        err = core.ffi.new("char[256]")
        if c.rcu == "membarrier" and self.scheme.uses_rcu and not lib.h_membarrier_available(err, 256):
            raise ConfigError(core.error_text(err))
        params = self._params()
        check_arena(lib.h_arena_bytes(params), f"{c.nodes} nodes x {c.pages_per_node} pages")
        self.fd = lib.h_arena_create(params, err, 256)
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
            role = lib.H_ROLE_READER if w < c.readers else lib.H_ROLE_WRITER
            proc = FORK.Process(target=worker_entry, name=f"harness-{w}", daemon=True,
                                args=(core, self.fd, w, role, c.cpu_of(w), os.getpid(), self._errw))
            with interrupts.blocked():
                proc.start()
            self.procs.append(proc)
            self.groups.append(proc.pid)
            self.cpus_assigned.append([c.cpu_of(w)])
        while lib.h_wait_count(self.arena, 0, nworkers, 100) < nworkers:
            failed = [p for p in self.procs if p.exitcode is not None]
            if failed:
                raise WorkerFailed(self._worker_errors() or f"{failed[0].name} exited with {failed[0].exitcode}")
        if c.rcu == "membarrier" and self.scheme.uses_rcu:
            self.membarrier_selftest = membarrier_selftest(self)
        reclaimer.start(self)

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
        """Seconds since the first round started (before that, since the session was created)."""
        return time.monotonic() - self._t0

    def note(self, worker: int, what: str) -> None:
        self.events.append(WorkerEvent(self.elapsed(), worker, what))

    def expect_crash(self, worker: int) -> None:
        self._expected_crash.add(worker)

    def kill_worker(self, worker: int, why: str) -> None:
        self.killed.add(worker)
        self.procs[worker].kill()
        self.note(worker, why)

    def _stalls_of(self, worker: int) -> list[tuple[float, float]]:
        """(t_s, duration_s) of each grace-period stall recorded against `worker`."""
        lib, ffi = self.core.lib, self.core.ffi
        buf = ffi.new(f"struct h_stall[{lib.H_MAX_STALLS}]")
        n = lib.h_get_stalls(self.arena, buf, lib.H_MAX_STALLS)
        return [(buf[i].t_ns / 1e9, buf[i].duration_ns / 1e9) for i in range(n) if buf[i].worker == worker]

    def check_workers(self) -> list[int]:
        """Workers that died since the last look. Each is recorded; one we did not kill is a crash and
        ends the run. A dead reader can hold up grace periods forever, as a reader preempted inside its
        critical section would: its RCU slot is released once the stall detector has reported it."""
        newly = []
        for w, p in enumerate(self.procs):
            if w in self.dead or p.exitcode is None:
                continue
            self.dead.add(w)
            newly.append(w)
            code = p.exitcode
            how = f"killed by {signal.Signals(-code).name}" if code < 0 else f"exited with status {code}"
            if code == -signal.SIGSEGV:
                how += self._stray_access(w)
            self.note(w, f"worker {w} (pid {p.pid}) {how}")
            if w not in self.killed:
                self.crashes.append({"worker": w, "pid": p.pid, "how": how, "injected": w in self._expected_crash})
                self.core.lib.h_request_stop(self.arena)
            if w < self.config.readers:
                self._unreleased[w] = len(self._stalls_of(w))
            else:
                self.core.lib.h_rcu_release_slot(self.arena, w)
        self.release_dead_readers(force=False)
        return newly

    def _stray_access(self, worker: int) -> str:
        """Where a worker's fatal access went (its SIGSEGV handler recorded it), as ': <words>', or ''."""
        buf = self.core.ffi.new("char[200]")
        n = self.core.lib.h_worker_fault_text(self.arena, worker, buf, 200)
        return f": {self.core.ffi.string(buf).decode()}" if n > 0 else ""

    def release_dead_readers(self, force: bool) -> None:
        for w, stalls_then in list(self._unreleased.items()):
            stalls = self._stalls_of(w)
            if not (force or len(stalls) > stalls_then or not self.config.stall_bound):
                continue
            pid = self.procs[w].pid
            gone = not psutil.pid_exists(pid) or psutil.Process(pid).status() == psutil.STATUS_ZOMBIE
            why = (f"after a {stalls[-1][1] * 1e3:.0f} ms grace-period stall" if len(stalls) > stalls_then
                   else "as the run ends")
            self.note(w, f"RCU slot of dead reader {w} released {why}; pid {pid} "
                         f"{'confirmed gone' if gone else 'STILL PRESENT'}")
            self.core.lib.h_rcu_release_slot(self.arena, w)
            del self._unreleased[w]

    def run(self, duration: float | None = None, reader_ops: int = 0, interval: float = 0.1,
            on_interval: Callable[["Session"], None] | None = None) -> None:
        """One round: until every reader has done reader_ops, or `duration` passed, or a stop."""
        lib = self.core.lib
        live = self.nworkers - len(self.dead)
        gc_was_enabled = gc.isenabled()
        gc.disable()   # a collection of a big host process (pytest) would delay noticing the round's end
        lib.h_post_command(self.arena, lib.H_CMD_RUN, reader_ops)
        start = time.monotonic()
        if not self._run_s:
            self._t0 = start
        next_tick = start + interval
        shuffle_s = self.config.shuffle or 0.0
        next_shuffle = start + shuffle_s
        try:
            while True:
                now = time.monotonic()
                self.faults.tick(self, self._run_s + now - start)
                if shuffle_s and now >= next_shuffle:
                    next_shuffle += shuffle_s
                    shuffle(self)
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
                if interrupts.received():
                    self._interrupt(interrupts.received())   # type: ignore[arg-type]
                if lib.h_stop_requested(self.arena):
                    break   # stopping: the rest is progress.wait_done's, under the hang bound
                if now >= next_tick:
                    next_tick += interval
                    if progress.check_progress(self) > self.hang_bound_s and duration is None:
                        lib.h_request_stop(self.arena)   # a fixed round a worker cannot finish: end it
                    if self.config.until_violation and self._hang_watch.check(self.stalled_s):
                        lib.h_request_stop(self.arena)   # every worker hung: reported and killed now
                    if on_interval:
                        on_interval(self)
        finally:
            lib.h_request_stop(self.arena)
            self.faults.finish(self)
            self.release_dead_readers(force=True)   # a writer may wait for one in synchronize_rcu
            progress.wait_done(self)
            reclaimer.wait_idle(self)
            lib.h_arena_sweep(self.arena)   # every redzone and shadow, with nobody left to move them
            self._run_s += time.monotonic() - start
            if gc_was_enabled:
                gc.enable()

    def _interrupt(self, sig: "interrupts.Received") -> None:
        """A signal from outside (Ctrl-C, `timeout`, a CI runner) ends the round like its duration would, and
        any later round at once."""
        if not self.interrupted:
            self.interrupted = {"signal": sig.name, "t_s": round(self.elapsed(), 3), "at_unix_s": sig.at}
            self.note(-2, f"interrupted by {sig.name}: stopping the run")
        self.core.lib.h_request_stop(self.arena)

    @property
    def hang_bound_s(self) -> float:
        """How long after a stop a worker may take to finish before it counts as hung."""
        return max(2.0, 2 * self.config.stall_bound / 1000)

    def worker_stats(self, w: int):  # type: ignore[no-untyped-def]
        ws = self.core.ffi.new("struct h_worker_stats *")
        self.core.lib.h_get_worker_stats(self.arena, w, ws)
        return ws

    def run_clock_ns(self) -> int:
        g = self.core.ffi.new("struct h_global_stats *")
        self.core.lib.h_get_global_stats(self.arena, g)
        return self.core.lib.h_now_ns() - g.run_start_ns

    def worker_state(self, w: int, ws) -> dict[str, object]:  # type: ignore[no-untyped-def]
        """Where worker w is, as the report's hang and progress-stall entries record it."""
        return {"worker": w, "role": self.core.role_name(ws.role), "cpu": ws.cpu,
                "phase": self.core.phase_name(ws.phase), "in_read_section": bool(ws.in_read_section)}

    @staticmethod
    def where(st: dict[str, object]) -> str:
        inside = "inside" if st["in_read_section"] else "outside"
        return (f"worker {st['worker']} ({st['role']}, CPU {st['cpu']}) in {st['phase']}, {inside} a read-side "
                "critical section")

    @property
    def child_pids(self) -> list[int]:
        """Every process this session started: the workers, then the reclaimer (while it runs)."""
        return [p.pid for p in self.procs] + ([self.reclaimer.pid] if self.reclaimer is not None else [])

    # ---------------------------------------------------------------- tear-down
    def close(self) -> None:
        lib = self.core.lib
        if self.arena != self.core.ffi.NULL:
            lib.h_request_stop(self.arena)
            lib.h_post_command(self.arena, lib.H_CMD_EXIT, 0)
        reap(self.procs, 2.0)
        for p in self.procs:
            if p.exitcode is None:
                p.kill()
        reap(self.procs, 1.0)
        reclaimer.stop(self)
        self._kill_descendants()
        for p in self.procs:
            p.join(1.0)   # at once now that nothing holds its pipe: multiprocessing forgets the process
        if self.arena != self.core.ffi.NULL:
            lib.h_arena_unmap(self.arena)
            self.arena = self.core.ffi.NULL
        for fd in (self.fd, self._errr, self._errw):
            if fd >= 0:
                os.close(fd)
        self.fd = self._errr = self._errw = -1

    def _kill_descendants(self) -> None:
        """Whatever a scheme forked (and never reaped, or left running) is in its worker's process group:
        SIGKILLed with it, so nothing outlives the run. A group's id stays taken while any member lives, so
        a group that is already empty is the only one killpg can miss, and it fails with ESRCH."""
        for pgid in self.groups:
            try:
                os.killpg(pgid, signal.SIGKILL)
            except (ProcessLookupError, PermissionError):
                pass
        self.groups.clear()

    def __enter__(self) -> "Session":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
