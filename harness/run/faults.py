"""Faults injected on purpose (`--inject KIND[@AT][:FOR]`), so a soak proves it survives what real machines
do to it. Each fault is parsed up front (bad specs are bad input) and fired by the orchestrator's run loop;
the workers do the C side (csrc/fault.c)."""

from __future__ import annotations

import os
import re
import signal
from dataclasses import dataclass
from typing import TYPE_CHECKING

from harness.run.parse import parse_duration, seconds

if TYPE_CHECKING:
    from harness.run.session import Session

# kind -> (what it does, default duration in seconds or None when it takes none)
KINDS: dict[str, tuple[str, float | None]] = {
    "reader-kill": ("SIGKILL reader 0 while it is inside a read-side critical section", None),
    "reader-stall": ("park reader 0 inside a read-side critical section for FOR (default 2s)", 2.0),
    "orchestrator-kill": ("SIGKILL the orchestrator itself: the workers must follow within a second", None),
    "arena-exhaust": ("take every free page of the arena for FOR (default 1s), then give them back", 1.0),
    "worker-crash": ("make worker 0 do a wild write: it dies of SIGSEGV and the run ends", None),
}
NEEDS_RCU_READER = ("reader-kill", "reader-stall")
DEFAULT_AT_S = 1.0


@dataclass(frozen=True)
class Fault:
    kind: str
    at_s: float
    for_s: float | None

    @property
    def spec(self) -> str:
        return f"{self.kind}@{seconds(self.at_s)}" + ("" if self.for_s is None else f":{seconds(self.for_s)}")


def parse_fault(text: str) -> Fault:
    """'reader-stall@1.5s:2s' -> Fault. Raises ValueError with a one-line reason."""
    m = re.fullmatch(r"([a-z-]+)(?:@([^:]+))?(?::(.+))?", text.strip())
    if not m or m.group(1) not in KINDS:
        raise ValueError(f"unknown fault {text!r} (known: {', '.join(KINDS)}; form KIND[@AT][:FOR])")
    kind, default_for = m.group(1), KINDS[m.group(1)][1]
    at = parse_duration(m.group(2)) if m.group(2) else DEFAULT_AT_S
    if m.group(3) and default_for is None:
        raise ValueError(f"fault {kind} takes no duration: {text!r}")
    for_s = parse_duration(m.group(3)) if m.group(3) else default_for
    if at < 0 or (for_s is not None and for_s <= 0):
        raise ValueError(f"fault {text!r}: times must be positive")
    return Fault(kind, at, for_s)


class FaultPlan:
    """Fires each fault once, when the run's clock reaches it, and follows it to its end."""

    def __init__(self, faults: list[Fault]) -> None:
        self.pending = sorted(faults, key=lambda f: f.at_s)
        self.active: list[tuple[Fault, float]] = []
        self.parked: set[Fault] = set()

    def tick(self, s: "Session", t_s: float) -> None:
        while self.pending and self.pending[0].at_s <= t_s:
            fault = self.pending.pop(0)
            self._fire(s, fault)
            self.active.append((fault, t_s))
        for fault, since in list(self.active):
            if self._follow(s, fault, t_s - since):
                self.active.remove((fault, since))

    def finish(self, s: "Session") -> None:
        """The run is ending: nothing stays held."""
        for fault, _ in self.active:
            if fault.kind == "arena-exhaust":
                self._give_back(s)
        self.active.clear()

    def _fire(self, s: "Session", fault: Fault) -> None:
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

    def _follow(self, s: "Session", fault: Fault, held_s: float) -> bool:
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
    def _give_back(s: "Session") -> None:
        given = s.core.lib.h_fault_release_hog(s.arena)
        s.note(-1, f"arena-exhaust over: {given} pages given back")
