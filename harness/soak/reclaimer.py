"""The call_rcu reclaimer, a process of its own: started after the workers, checked for a hang once they
stop, and stopped (killed if it must be) when the session closes."""

from __future__ import annotations

import faulthandler
import os
import time

from harness.build.core import Core
from harness.soak import interrupts
from harness.soak.spawn import FORK, reap
from harness.soak.starvation import StarvationWatch, waited_for_starved


def reclaimer_entry(core: Core, fd: int, parent: int) -> None:
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


def start(s) -> None:
    """Fork the reclaimer (the workers are up: it maps the same arena); its process group dies with the run."""
    s.reclaimer = FORK.Process(target=reclaimer_entry, name="harness-reclaimer", daemon=True,
                               args=(s.core, s.fd, os.getpid()))
    with interrupts.blocked():
        s.reclaimer.start()
    s.groups.append(s.reclaimer.pid)


def wait_idle(s) -> None:
    """The reclaimer must be idle, or still making progress, once the workers stopped: one stuck in a
    scheme's grace period or callbacks for the hang bound is hung, reported and killed."""
    lib, r = s.core.lib, s.reclaimer
    if r is None or r.exitcode is not None:
        return
    beat = lib.h_reclaimer_heartbeat(s.arena)
    start = time.monotonic()
    watch = StarvationWatch({"reclaimer": r.pid})
    deadline = start + s.hang_bound_s
    while True:
        while time.monotonic() < deadline:
            if lib.h_reclaimer_phase(s.arena) == lib.H_PH_IDLE or lib.h_reclaimer_heartbeat(s.arena) != beat:
                return
            if interrupts.hurry():
                return   # close() stops it, killing it if it must
            time.sleep(0.01)   # polling a phase word; nothing waits on this sleep's length
        if not waited_for_starved(s, watch, ["reclaimer"], start, lambda _: "the reclaimer"):
            break
        deadline = time.monotonic() + s.hang_bound_s
    phase = s.core.phase_name(lib.h_reclaimer_phase(s.arena))
    s.hangs.append({"worker": "reclaimer", "role": "reclaimer", "cpu": None, "phase": phase,
                    "in_read_section": False, "after_stop_s": s.hang_bound_s})
    lib.h_report_violation(s.arena, lib.H_V_HANG, lib.H_RECLAIMER, 0, lib.h_reclaimer_phase(s.arena))
    r.kill()
    reap([r], 2.0)
    s.reclaimer = None
    s.note(-1, f"!!! hang: the reclaimer, in {phase}, made no progress for {s.hang_bound_s:g} s: killed")


def stop(s) -> None:
    """Ask it to exit; kill it if it does not within 5 s."""
    if s.reclaimer is None:
        return
    s.core.lib.h_reclaimer_stop(s.arena)
    reap([s.reclaimer], 5.0)
    if s.reclaimer.exitcode is None:
        s.reclaimer.kill()
        reap([s.reclaimer], 1.0)
    s.reclaimer = None
