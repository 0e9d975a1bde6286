"""The litmus shapes and their LKMM verdicts. The C programs are in csrc/weak/litmus_shapes.c under the same
names; a test checks that both lists agree and that each verdict is the `Result:` of the kernel's file."""

from __future__ import annotations

from dataclasses import dataclass

LB_WHY = "load buffering: a load never returns a store not yet made"
MCA_WHY = "needs a store seen by some threads before others: the emulation's stores are multi-copy atomic"
CMPXCHG_WHY = "the emulation's cmpxchg, like x86's lock cmpxchg, is a full barrier whether or not it fails"
DRAIN_WHY = ("needs the others to look between two stores of one fence's drain, a window only the one-process "
             "runner opens; a real process drains them within nanoseconds")


@dataclass(frozen=True)
class Shape:
    name: str             # the kernel's file name, without .litmus (derived shapes: a name in the same style)
    result: str           # LKMM's verdict: "Never" (forbidden) or "Sometimes" (allowed)
    threads: int
    source: str           # the kernel directory of the file, or "derived: how"
    not_emulated: str = ""   # allowed, and not producible by the emulation: why
    one_process_only: str = ""   # allowed, and producible by the one-process runner only: why

    @property
    def forbidden(self) -> bool:
        return self.result == "Never"


TOOLS = "tools/memory-model/litmus-tests"
ATOMIC = "Documentation/litmus-tests/atomic"
RCU = "Documentation/litmus-tests/rcu"

SHAPES: tuple[Shape, ...] = (
    Shape("CoRR+poonceonce+Once", "Never", 2, TOOLS),
    Shape("CoRW+poonceonce+Once", "Never", 2, TOOLS),
    Shape("CoWR+poonceonce+Once", "Never", 2, TOOLS),
    Shape("CoWW+poonceonce", "Never", 1, TOOLS),
    Shape("MP+poonceonces", "Sometimes", 2, TOOLS),
    Shape("MP+fencewmbonceonce+fencermbonceonce", "Never", 2, TOOLS),
    Shape("MP+fencewmbonceonce+poonceonces", "Sometimes", 2,
          "derived: MP+fencewmbonceonce+fencermbonceonce without the smp_rmb"),
    Shape("MP+poonceonces+fencermbonceonce", "Sometimes", 2,
          "derived: MP+fencewmbonceonce+fencermbonceonce without the smp_wmb"),
    Shape("MP+pooncerelease+poacquireonce", "Never", 2, TOOLS),
    Shape("MP+onceassign+derefonce", "Never", 2, TOOLS),
    Shape("MP+onceonce+derefonce", "Sometimes", 2,
          "derived: MP+onceassign+derefonce with WRITE_ONCE for rcu_assign_pointer"),
    Shape("MP+polocks", "Never", 2, TOOLS),
    Shape("MP+porevlocks", "Never", 2, TOOLS),
    Shape("SB+poonceonces", "Sometimes", 2, TOOLS),
    Shape("SB+fencembonceonces", "Never", 2, TOOLS),
    Shape("SB+rfionceonce-poonceonces", "Sometimes", 2, TOOLS),
    Shape("S+poonceonces", "Sometimes", 2, TOOLS),
    Shape("S+fencewmbonceonce+poacquireonce", "Never", 2, TOOLS),
    Shape("R+poonceonces", "Sometimes", 2, TOOLS),
    Shape("R+fencembonceonces", "Never", 2, TOOLS),
    Shape("LB+poonceonces", "Sometimes", 2, TOOLS, LB_WHY),
    Shape("LB+fencembonceonce+ctrlonceonce", "Never", 2, TOOLS),
    Shape("LB+poacquireonce+pooncerelease", "Never", 2, TOOLS),
    Shape("WRC+poonceonces+Once", "Sometimes", 3, TOOLS),
    Shape("WRC+pooncerelease+fencermbonceonce+Once", "Never", 3, TOOLS),
    Shape("ISA2+poonceonces", "Sometimes", 3, TOOLS),
    Shape("ISA2+pooncerelease+poacquirerelease+poacquireonce", "Never", 3, TOOLS),
    Shape("ISA2+pooncelock+pooncelock+pombonce", "Never", 3, TOOLS),
    Shape("Z6.0+pooncelock+pooncelock+pombonce", "Sometimes", 3, TOOLS, MCA_WHY),
    Shape("Z6.0+pooncelock+poonceLock+pombonce", "Never", 3, TOOLS),
    Shape("Z6.0+pooncerelease+poacquirerelease+fencembonceonce", "Sometimes", 3, TOOLS, MCA_WHY),
    Shape("IRIW+poonceonces+OnceOnce", "Sometimes", 4, TOOLS),
    Shape("IRIW+fencembonceonces+OnceOnce", "Never", 4, TOOLS),
    Shape("cmpxchg-fail-ordered-1", "Never", 2, ATOMIC),
    Shape("cmpxchg-fail-ordered-2", "Never", 2, ATOMIC),
    Shape("cmpxchg-fail-unordered-1", "Sometimes", 2, ATOMIC, CMPXCHG_WHY),
    Shape("cmpxchg-fail-unordered-2", "Sometimes", 2, ATOMIC, CMPXCHG_WHY),
    Shape("RCU+sync+free", "Never", 2, RCU),
    Shape("RCU+sync+read", "Never", 2, RCU),
    Shape("RCU+sync+free-nolock", "Sometimes", 2, "derived: RCU+sync+free without the reader's rcu_read_lock/unlock"),
    Shape("RCU+sync+read-nolock", "Sometimes", 2, "derived: RCU+sync+read without the reader's rcu_read_lock/unlock"),
    Shape("RCU+sync+read-unlocknomb", "Sometimes", 2,
          "derived: RCU+sync+read with an unlock that clears its slot without the smp_mb before it",
          one_process_only=DRAIN_WHY),
)

BY_NAME = {s.name: s for s in SHAPES}


def find(names: list[str]) -> list[Shape]:
    """The shapes named, in the order given (all of them for none); KeyError names the first unknown one."""
    if not names:
        return list(SHAPES)
    for n in names:
        if n not in BY_NAME:
            raise KeyError(n)
    return [BY_NAME[n] for n in names]
