"""Fires the injected faults (faults.py parses them) during a run, when the run's clock reaches each, and
follows each to its end; the workers do the C side (csrc/engine/fault.c). s, in every method: the Session."""

from __future__ import annotations

import os
import signal

from harness.soak.faults import Fault


class FaultPlan:
    """Fires each fault once, when the run's clock reaches it, and follows it to its end."""

    def __init__(self, faults: list[Fault]) -> None:
        self.pending = sorted(faults, key=lambda f: f.at_s)
        self.active: list[tuple[Fault, float]] = []
        self.parked: set[Fault] = set()

    def tick(self, s, t_s: float) -> None:
        while self.pending and self.pending[0].at_s <= t_s:
            fault = self.pending.pop(0)
            self._fire(s, fault)
            self.active.append((fault, t_s))
        for fault, since in list(self.active):
            if self._follow(s, fault, t_s - since):
                self.active.remove((fault, since))

    def finish(self, s) -> None:
        """The run is ending: nothing stays held."""
        for fault, _ in self.active:
            if fault.kind == "arena-exhaust":
                self._give_back(s)
        self.active.clear()

    def _fire(self, s, fault: Fault) -> None:
        lib = s.core.lib
        if fault.kind == "orchestrator-kill":
            s.note(-1, f"injected {fault.spec}: the orchestrator SIGKILLs itself")
            os.kill(os.getpid(), signal.SIGKILL)
        elif fault.kind in ("reader-kill", "reader-stall"):
            ns = 0 if fault.for_s is None else int(fault.for_s * 1e9)
            lib.h_fault_post(s.arena, 0, lib.H_FAULT_PARK, ns)
        elif fault.kind == "worker-crash":
            s.expect_crash(0)
            lib.h_fault_post(s.arena, 0, lib.H_FAULT_CRASH, 0)
        elif fault.kind == "arena-exhaust":
            taken = lib.h_fault_hog_pages(s.arena)
            s.note(-1, f"injected {fault.spec}: took all {taken} free pages of the arena for {fault.for_s:g}s")

    def _follow(self, s, fault: Fault, held_s: float) -> bool:
        """True once the fault is over."""
        lib = s.core.lib
        if fault.kind in ("reader-kill", "reader-stall"):
            state = lib.h_fault_state(s.arena)
            if state == lib.H_FAULT_POSTED:
                return 0 in s.dead   # the reader died before it got there
            if fault.kind == "reader-kill":
                s.kill_worker(0, f"injected {fault.spec}: reader 0 SIGKILLed inside its read-side critical section")
                return True
            if state == lib.H_FAULT_ACTIVE and fault not in self.parked:
                self.parked.add(fault)
                s.note(0, f"injected {fault.spec}: reader 0 parked inside its read-side critical section")
            if state == lib.H_FAULT_FINISHED:
                s.note(0, f"reader 0 left its critical section after {fault.for_s:g}s; grace periods go on")
                return True
            return False
        if fault.kind == "arena-exhaust":
            if held_s < (fault.for_s or 0):
                lib.h_fault_hog_pages(s.arena)   # pages freed meanwhile are taken too: the arena stays dry
                return False
            self._give_back(s)
            return True
        return True

    @staticmethod
    def _give_back(s) -> None:
        given = s.core.lib.h_fault_release_hog(s.arena)
        s.note(-1, f"arena-exhaust over: {given} pages given back")
