"""The orchestrator: create the arena, spawn one pinned worker process per CPU slot, drive rounds, watch
the workers, and tear everything down whatever happens. Python here does no per-operation work: workers
spend their lives inside h_worker_main(), and the orchestrator only posts commands and reads counters."""

from __future__ import annotations

import faulthandler
import gc
import multiprocessing as mp
import os
import signal
import time
from dataclasses import dataclass
from typing import Callable

import psutil

from harness.run import interrupts
from harness.run.config import Config
from harness.run.parse import ConfigError
from harness.build.core import Core
from harness.run.parse import FLAVORS, MEMORY_MODELS, WORKLOADS, WRITER_OPS
from harness.build.userscheme import core_for
from harness.run.faults import FaultPlan
from harness.run.resources import check_arena
from harness.run.hangwatch import HangWatch

LITMUS_TRIALS = 2000   # store-buffering trials per reader in the membarrier self-test
_FORK = mp.get_context("fork")   # the arena fd and the loaded core are inherited, nothing is pickled


class WorkerFailed(RuntimeError):
    """A worker could not start (pinning, mapping, registration): the run cannot be trusted."""


STARVED_CPU_SHARE = 0.1   # runnable, with less than this share of the wait on a CPU: starved, not hung
STARVED_WAIT_MAX = 10     # hang bounds a starved process may take in all before it counts as hung anyway


class StarvationWatch:
    """Tells a hung process from a starved one. A hung one spins (it has CPU time) or sleeps for good (not
    runnable); a starved one is runnable and gets almost no CPU, because others hold the machine's CPUs."""

    def __init__(self, pids: dict) -> None:
        self.pids = pids
        self.cpu0 = {k: self._cpu(pid) for k, pid in pids.items()}
        self.noted: set = set()

    @staticmethod
    def _cpu(pid: int) -> float | None:
        try:
            t = psutil.Process(pid).cpu_times()
        except psutil.Error:
            return None
        return t.user + t.system

    def cpu_used(self, key: object) -> float:
        now, then = self._cpu(self.pids[key]), self.cpu0.get(key)
        return 0.0 if now is None or then is None else now - then

    def starved(self, key: object, waited_s: float) -> bool:
        try:
            runnable = psutil.Process(self.pids[key]).status() == psutil.STATUS_RUNNING
        except psutil.Error:
            return False
        return runnable and self.cpu_used(key) < STARVED_CPU_SHARE * waited_s


def _reap(procs: list, timeout_s: float) -> None:
    """Wait up to timeout_s for these processes to exit, by their exit status, not by join(): join waits for a
    pipe that a child the scheme forked holds open for as long as it lives, long after the worker is gone."""
    deadline = time.monotonic() + timeout_s
    while any(p.exitcode is None for p in procs) and time.monotonic() < deadline:
        time.sleep(0.005)   # polling exit statuses; nothing depends on this sleep's length


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


def _reclaimer_entry(core: Core, fd: int, parent: int) -> None:
    """The call_rcu reclaimer, in a process of its own: a scheme's grace period or callback that never
    returns can then be killed like any hung worker, and it dies with the orchestrator as they do."""
    interrupts.ignore_in_child()
    os.setpgid(0, 0)
    faulthandler.disable()   # its death (a scheme's stray write into its layout) is the orchestrator's to report
    try:
        if core.lib.h_worker_init(parent) != 0:
            os._exit(3)
        err = core.ffi.new("char[256]")
        arena = core.lib.h_arena_map(fd, err, 256)
        if arena == core.ffi.NULL:
            os._exit(2)
        core.lib.h_reclaimer_main(arena)
        os._exit(0)
    except BaseException:   # noqa: BLE001 - a child must never unwind into the parent's code
        os._exit(2)


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
        self._killed: set[int] = set()               # workers we killed on purpose
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
        self._reclaimer = None                       # the reclaimer process
        self.hangs: list[dict[str, object]] = []     # workers (or the reclaimer) that would not stop
        self.progress_stalls: list[dict[str, object]] = []
        self._stalled: set[int] = set()              # workers in a progress stall right now
        self.stalled_s: dict[int, float] = {}        # live worker -> seconds without progress, at the last tick
        self._hang_watch = HangWatch(self, StarvationWatch, STARVED_WAIT_MAX)   # --until-violation: all stuck
        self.membarrier_selftest: dict[str, int] | None = None
        self.interrupted: dict[str, object] | None = None   # the signal that stopped the run, and when
        self._groups: list[int] = []                 # process groups of the workers, the reclaimer and their children
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
            proc = _FORK.Process(target=_worker_entry, name=f"harness-{w}", daemon=True,
                                 args=(core, self.fd, w, role, c.cpu_of(w), os.getpid(), self._errw))
            with interrupts.blocked():
                proc.start()
            self.procs.append(proc)
            self._groups.append(proc.pid)
            self.cpus_assigned.append([c.cpu_of(w)])
        while lib.h_wait_count(self.arena, 0, nworkers, 100) < nworkers:
            failed = [p for p in self.procs if p.exitcode is not None]
            if failed:
                raise WorkerFailed(self._worker_errors() or f"{failed[0].name} exited with {failed[0].exitcode}")
        if c.rcu == "membarrier" and self.scheme.uses_rcu:
            self.membarrier_selftest = self._membarrier_selftest()
        self._reclaimer = _FORK.Process(target=_reclaimer_entry, name="harness-reclaimer", daemon=True,
                                        args=(core, self.fd, os.getpid()))
        with interrupts.blocked():
            self._reclaimer.start()
        self._groups.append(self._reclaimer.pid)

    def _membarrier_selftest(self) -> dict[str, int]:
        """Prove that membarrier() reaches every reader process before trusting a run to it: the
        store-buffering litmus (csrc/litmus.c) must never show its forbidden outcome with membarrier();
        the same trials with a plain compiler barrier show whether this machine can show it at all."""
        lib = self.core.lib
        result = {"trials": LITMUS_TRIALS * self.config.readers}
        for key, use_membarrier in (("forbidden_with_compiler_barrier_only", 0), ("forbidden_with_membarrier", 1)):
            lib.h_post_command(self.arena, lib.H_CMD_LITMUS, LITMUS_TRIALS)
            forbidden = lib.h_membarrier_selftest(self.arena, LITMUS_TRIALS, use_membarrier)
            if forbidden < 0 or lib.h_wait_count(self.arena, 1, self.nworkers, 5000) < self.nworkers:
                raise WorkerFailed("membarrier self-test: the reader processes did not answer within 5 s")
            result[key] = forbidden
        if result["forbidden_with_membarrier"]:
            raise ConfigError(f"membarrier self-test failed: {result['forbidden_with_membarrier']} of "
                              f"{result['trials']} store-buffering trials showed the outcome a full barrier "
                              "forbids, so membarrier(GLOBAL_EXPEDITED) does not reach the reader processes here")
        return result

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
        self._killed.add(worker)
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
            if w not in self._killed:
                self.crashes.append({"worker": w, "pid": p.pid, "how": how, "injected": w in self._expected_crash})
                self.core.lib.h_request_stop(self.arena)
            if w < self.config.readers:
                self._unreleased[w] = len(self._stalls_of(w))
            else:
                self.core.lib.h_rcu_release_slot(self.arena, w)
        self._release_dead_readers(force=False)
        return newly

    def _stray_access(self, worker: int) -> str:
        """Where a worker's fatal access went (its SIGSEGV handler recorded it), as ': <words>', or ''."""
        buf = self.core.ffi.new("char[200]")
        n = self.core.lib.h_worker_fault_text(self.arena, worker, buf, 200)
        return f": {self.core.ffi.string(buf).decode()}" if n > 0 else ""

    def _release_dead_readers(self, force: bool) -> None:
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

    def _shuffle(self) -> None:
        """rcutorture's shuffle: rotate every live worker to the next CPU of the run, verified."""
        lib, cpus = self.core.lib, self.config.cpus
        assert cpus is not None
        self.shuffles += 1
        lib.h_shuffle_begin(self.arena)
        try:
            for w, p in enumerate(self.procs):
                if w in self.dead:
                    continue
                cpu = cpus[(cpus.index(self.cpus_assigned[w][-1]) + 1) % len(cpus)]
                lib.h_set_worker_cpu(self.arena, w, cpu)
                try:
                    proc = psutil.Process(p.pid)
                    proc.cpu_affinity([cpu])
                    got = proc.cpu_affinity()
                except psutil.NoSuchProcess:
                    continue
                if got != [cpu]:
                    self.note(w, f"shuffle: worker {w} asked for CPU {cpu}, affinity reads back {got}")
                self.cpus_assigned[w].append(cpu)
        finally:
            lib.h_shuffle_end(self.arena)

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
                    self._shuffle()
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
                    break   # stopping: the rest is _wait_done's, under the hang bound
                if now >= next_tick:
                    next_tick += interval
                    if self._check_progress() > self.hang_bound_s and duration is None:
                        lib.h_request_stop(self.arena)   # a fixed round a worker cannot finish: end it
                    if self.config.until_violation and self._hang_watch.check(self.stalled_s):
                        lib.h_request_stop(self.arena)   # every worker hung: reported and killed now
                    if on_interval:
                        on_interval(self)
        finally:
            lib.h_request_stop(self.arena)
            self.faults.finish(self)
            self._release_dead_readers(force=True)   # a writer may wait for one in synchronize_rcu
            self._wait_done()
            self._wait_reclaimer()
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

    def _worker_stats(self, w: int):  # type: ignore[no-untyped-def]
        ws = self.core.ffi.new("struct h_worker_stats *")
        self.core.lib.h_get_worker_stats(self.arena, w, ws)
        return ws

    def _run_clock_ns(self) -> int:
        g = self.core.ffi.new("struct h_global_stats *")
        self.core.lib.h_get_global_stats(self.arena, g)
        return self.core.lib.h_now_ns() - g.run_start_ns

    def _state(self, w: int, ws) -> dict[str, object]:  # type: ignore[no-untyped-def]
        """Where worker w is, as the report's hang and progress-stall entries record it."""
        return {"worker": w, "role": self.core.role_name(ws.role), "cpu": ws.cpu,
                "phase": self.core.phase_name(ws.phase), "in_read_section": bool(ws.in_read_section)}

    @staticmethod
    def _where(st: dict[str, object]) -> str:
        inside = "inside" if st["in_read_section"] else "outside"
        return (f"worker {st['worker']} ({st['role']}, CPU {st['cpu']}) in {st['phase']}, {inside} a read-side "
                "critical section")

    def _check_progress(self) -> float:
        """rcutorture's writer-stall check, for every worker: one whose heartbeat (every chunk of reads in
        torture, every 1024 reads otherwise, every writer step) has not moved for longer than the stall bound,
        while not paused, parked by a fault or done, is in a progress stall (a livelocked retry loop, a reader
        starved by a writer that never ends its write section). Reported once per episode, as it happens.
        Returns the longest such stall now, in seconds."""
        lib = self.core.lib
        now_ns = self._run_clock_ns()
        longest = 0.0
        self.stalled_s = {}
        for w in range(self.nworkers):
            if w in self.dead:
                continue
            ws = self._worker_stats(w)
            idle = ws.state != lib.H_WORKER_RUNNING or ws.phase in (lib.H_PH_PAUSED, lib.H_PH_FAULT, lib.H_PH_IDLE)
            stalled_ns = 0 if idle else now_ns - ws.heartbeat_ns
            longest = max(longest, stalled_ns / 1e9)
            self.stalled_s[w] = stalled_ns / 1e9
            if not self.config.stall_bound or stalled_ns <= self.config.stall_bound * 1_000_000:
                self._stalled.discard(w)
                continue
            if w in self._stalled:
                continue
            self._stalled.add(w)
            st = self._state(w, ws)
            self.progress_stalls.append({"t_s": now_ns / 1e9, **st, "stalled_s": stalled_ns / 1e9})
            self.note(w, f"progress stall: {self._where(st)}, no progress for {stalled_ns / 1e9:.2f} s")
        return longest

    def _wait_done(self) -> None:
        """After a stop every live worker finishes its chunk within milliseconds. One that has not within
        the hang bound is hung: reported as a `hang` violation (role, CPU, what it was doing, whether inside
        a read-side section), then killed, so the run always ends. One that was runnable all along but hardly
        got a CPU (an overloaded machine) is starved, not hung: it is given more time, up to a limit."""
        lib = self.core.lib
        start = time.monotonic()
        watch = StarvationWatch({w: p.pid for w, p in enumerate(self.procs) if w not in self.dead})
        deadline = start + self.hang_bound_s
        while True:
            while time.monotonic() < deadline and not interrupts.hurry():
                self.check_workers()
                live = self.nworkers - len(self.dead)
                if lib.h_wait_count(self.arena, 1, live, 50) >= live:
                    return
            where = lambda w: self._where(self._state(w, self._worker_stats(w)))  # noqa: E731
            if interrupts.hurry() or not self._waited_for_starved(watch, self._unfinished(), start, where):
                break
            deadline = time.monotonic() + self.hang_bound_s
        for w in self._unfinished():
            if interrupts.hurry():   # not hung: its wait was cut short
                self.kill_worker(w, f"worker {w} killed unfinished: a second signal cut the wait for it short")
                continue
            ws = self._worker_stats(w)
            st = self._state(w, ws)
            waited = time.monotonic() - start
            self.hangs.append({**st, "after_stop_s": round(waited, 3)})
            lib.h_report_violation(self.arena, lib.H_V_HANG, w, 0, ws.phase)
            self.kill_worker(w, f"!!! hang: {self._where(st)} did not stop within {waited:.3g} s: killed")
        _reap([p for w, p in enumerate(self.procs) if w in self._killed], 1.0)
        self.check_workers()
        self._release_dead_readers(force=True)

    def _unfinished(self) -> list[int]:
        """Live workers still in their round (state 2: running)."""
        return [w for w, p in enumerate(self.procs)
                if w not in self.dead and p.exitcode is None and self._worker_stats(w).state == self.core.lib.H_WORKER_RUNNING]

    def _waited_for_starved(self, watch: "StarvationWatch", late: list, start: float,
                            name: Callable[[object], str]) -> bool:
        """True when some of `late` were starved of CPU since `start` and the wait may go on: noted once each."""
        waited = time.monotonic() - start
        starved = [w for w in late if watch.starved(w, waited)]
        if not starved or waited >= STARVED_WAIT_MAX * self.hang_bound_s:
            return False
        for w in starved:
            if w not in watch.noted:
                watch.noted.add(w)
                self.note(w if isinstance(w, int) else -1,
                          f"{name(w)} was runnable but had {watch.cpu_used(w) * 1000:.0f} ms of CPU in {waited:.2f} s "
                          f"since the stop (an overloaded machine): waiting up to "
                          f"{STARVED_WAIT_MAX * self.hang_bound_s:g} s before calling it hung")
        return True

    @property
    def child_pids(self) -> list[int]:
        """Every process this session started: the workers, then the reclaimer (while it runs)."""
        return [p.pid for p in self.procs] + ([self._reclaimer.pid] if self._reclaimer is not None else [])

    def _wait_reclaimer(self) -> None:
        """The reclaimer must be idle, or still making progress, once the workers stopped: one stuck in a
        scheme's grace period or callbacks for the hang bound is hung, reported and killed."""
        lib, r = self.core.lib, self._reclaimer
        if r is None or r.exitcode is not None:
            return
        beat = lib.h_reclaimer_heartbeat(self.arena)
        start = time.monotonic()
        watch = StarvationWatch({"reclaimer": r.pid})
        deadline = start + self.hang_bound_s
        while True:
            while time.monotonic() < deadline:
                if lib.h_reclaimer_phase(self.arena) == lib.H_PH_IDLE or lib.h_reclaimer_heartbeat(self.arena) != beat:
                    return
                if interrupts.hurry():
                    return   # close() stops it, killing it if it must
                time.sleep(0.01)   # polling a phase word; nothing waits on this sleep's length
            if not self._waited_for_starved(watch, ["reclaimer"], start, lambda _: "the reclaimer"):
                break
            deadline = time.monotonic() + self.hang_bound_s
        phase = self.core.phase_name(lib.h_reclaimer_phase(self.arena))
        self.hangs.append({"worker": "reclaimer", "role": "reclaimer", "cpu": None, "phase": phase,
                           "in_read_section": False, "after_stop_s": self.hang_bound_s})
        lib.h_report_violation(self.arena, lib.H_V_HANG, lib.H_RECLAIMER, 0, lib.h_reclaimer_phase(self.arena))
        r.kill()
        _reap([r], 2.0)
        self._reclaimer = None
        self.note(-1, f"!!! hang: the reclaimer, in {phase}, made no progress for {self.hang_bound_s:g} s: killed")

    # ---------------------------------------------------------------- tear-down
    def close(self) -> None:
        lib = self.core.lib
        if self.arena != self.core.ffi.NULL:
            lib.h_request_stop(self.arena)
            lib.h_post_command(self.arena, lib.H_CMD_EXIT, 0)
        _reap(self.procs, 2.0)
        for p in self.procs:
            if p.exitcode is None:
                p.kill()
        _reap(self.procs, 1.0)
        if self._reclaimer is not None:
            lib.h_reclaimer_stop(self.arena)
            _reap([self._reclaimer], 5.0)
            if self._reclaimer.exitcode is None:
                self._reclaimer.kill()
                _reap([self._reclaimer], 1.0)
            self._reclaimer = None
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
        for pgid in self._groups:
            try:
                os.killpg(pgid, signal.SIGKILL)
            except (ProcessLookupError, PermissionError):
                pass
        self._groups.clear()

    def __enter__(self) -> "Session":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
