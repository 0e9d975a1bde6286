"""Faults injected on purpose (`--inject KIND[@AT][:FOR]`), so a soak proves it survives what real machines
do to it. Each fault is parsed here, up front (bad specs are bad input); fault_plan.py fires them during the
run."""

from __future__ import annotations

import re
from dataclasses import dataclass

from harness.soak.parse import parse_duration, seconds

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
