"""Watching the workers' progress: the progress-stall check on every tick of a round, and the wait after a
stop, where a worker that does not finish within the hang bound is reported as a `hang` and killed."""

from __future__ import annotations

import time

from harness.soak import interrupts
from harness.soak.spawn import reap
from harness.soak.starvation import StarvationWatch, waited_for_starved


def check_progress(s) -> float:
    """rcutorture's writer-stall check, for every worker: one whose heartbeat (every chunk of reads in
    torture, every 1024 reads otherwise, every writer step) has not moved for longer than the stall bound,
    while not paused, parked by a fault or done, is in a progress stall (a livelocked retry loop, a reader
    starved by a writer that never ends its write section). Reported once per episode, as it happens.
    Returns the longest such stall now, in seconds."""
    lib = s.core.lib
    now_ns = s.run_clock_ns()
    longest = 0.0
    s.stalled_s = {}
    for w in range(s.nworkers):
        if w in s.dead:
            continue
        ws = s.worker_stats(w)
        idle = ws.state != lib.H_WORKER_RUNNING or ws.phase in (lib.H_PH_PAUSED, lib.H_PH_FAULT, lib.H_PH_IDLE)
        stalled_ns = 0 if idle else now_ns - ws.heartbeat_ns
        longest = max(longest, stalled_ns / 1e9)
        s.stalled_s[w] = stalled_ns / 1e9
        if not s.config.stall_bound or stalled_ns <= s.config.stall_bound * 1_000_000:
            s.stalled_now.discard(w)
            continue
        if w in s.stalled_now:
            continue
        s.stalled_now.add(w)
        st = s.worker_state(w, ws)
        s.progress_stalls.append({"t_s": now_ns / 1e9, **st, "stalled_s": stalled_ns / 1e9})
        s.note(w, f"progress stall: {s.where(st)}, no progress for {stalled_ns / 1e9:.2f} s")
    return longest


def wait_done(s) -> None:
    """After a stop every live worker finishes its chunk within milliseconds. One that has not within
    the hang bound is hung: reported as a `hang` violation (role, CPU, what it was doing, whether inside
    a read-side section), then killed, so the run always ends. One that was runnable all along but hardly
    got a CPU (an overloaded machine) is starved, not hung: it is given more time, up to a limit."""
    lib = s.core.lib
    start = time.monotonic()
    watch = StarvationWatch({w: p.pid for w, p in enumerate(s.procs) if w not in s.dead})
    deadline = start + s.hang_bound_s
    while True:
        while time.monotonic() < deadline and not interrupts.hurry():
            s.check_workers()
            live = s.nworkers - len(s.dead)
            if lib.h_wait_count(s.arena, 1, live, 50) >= live:
                return
        where = lambda w: s.where(s.worker_state(w, s.worker_stats(w)))  # noqa: E731
        if interrupts.hurry() or not waited_for_starved(s, watch, unfinished(s), start, where):
            break
        deadline = time.monotonic() + s.hang_bound_s
    for w in unfinished(s):
        if interrupts.hurry():   # not hung: its wait was cut short
            s.kill_worker(w, f"worker {w} killed unfinished: a second signal cut the wait for it short")
            continue
        ws = s.worker_stats(w)
        st = s.worker_state(w, ws)
        waited = time.monotonic() - start
        s.hangs.append({**st, "after_stop_s": round(waited, 3)})
        lib.h_report_violation(s.arena, lib.H_V_HANG, w, 0, ws.phase)
        s.kill_worker(w, f"!!! hang: {s.where(st)} did not stop within {waited:.3g} s: killed")
    reap([p for w, p in enumerate(s.procs) if w in s.killed], 1.0)
    s.check_workers()
    s.release_dead_readers(force=True)


def unfinished(s) -> list[int]:
    """Live workers still in their round (running)."""
    return [w for w, p in enumerate(s.procs)
            if w not in s.dead and p.exitcode is None and s.worker_stats(w).state == s.core.lib.H_WORKER_RUNNING]
