"""One bench round: a fresh soak Session of a checks-off Config, run for a fixed time, read from the engine's
own C-timed counters. Interleaving (A B C, B C A, ...) is the caller's; every round gets new, pinned workers,
so a round's numbers never carry over a previous round's state."""

from __future__ import annotations

from dataclasses import dataclass

from harness.soak import interrupts
from harness.soak.config import Config
from harness.build.core import Core
from harness.report.result import Snapshot
from harness.soak.session import Session


class RoundFailed(RuntimeError):
    """A round whose numbers cannot be trusted: a worker crashed, hung or a reader did no work."""


class Interrupted(Exception):
    """SIGINT or SIGTERM arrived: the bench stops after the round it was in."""


def scheme_label(core: Core, scheme: str, rcu: str) -> str:
    """'rcu-typesafe/qsbr' for RCU schemes; the flavor means nothing to the others."""
    sc = core.scheme(scheme)
    return f"{scheme}/{rcu}" if sc is not None and sc.uses_rcu else scheme


@dataclass
class RoundResult:
    ns_per_op: float                 # mean over readers of each reader's C-timed loop ns / ops
    ns_per_op_per_reader: list[float]
    ops_per_s: float                 # all readers together
    ops: int
    writer_ops: int
    best_window_ns_per_op: float | None   # mean over readers of each one's best 2 ms window; None: no window


def run_round(core: Core, config: Config, seconds: float) -> RoundResult:
    """config: resolved, checks off. Raises RoundFailed, or Interrupted when a signal ended the round."""
    with Session(config, core) as s:
        s.run(duration=seconds)
        snap = Snapshot.take(s)
        trouble = s.crashes or s.hangs
    if interrupts.received():
        raise Interrupted()
    if trouble:
        raise RoundFailed(f"{config.scheme}: a worker crashed or hung during a round ({trouble[0]}): "
                          "its numbers cannot be trusted; run a soak with checks on to see why")
    names = core.counter_names
    ops = snap.counters[:, names.index("ops")].astype(float)
    loop_ns = snap.counters[:, names.index("loop_ns")].astype(float)
    rd = snap.readers
    if not (ops[rd] > 0).all() or not (loop_ns[rd] > 0).all():
        raise RoundFailed(f"{config.scheme}: a reader did no operation in a {seconds:g} s round: "
                          "the machine is too busy, or the round too short (--round)")
    per_reader = loop_ns[rd] / ops[rd]
    best = snap.counters[rd, names.index("best_window_ps_per_op")] / 1000.0
    return RoundResult(float(per_reader.mean()), [round(float(v), 4) for v in per_reader],
                       float((ops[rd] / (loop_ns[rd] / 1e9)).sum()), int(ops[rd].sum()), int(ops[~rd].sum()),
                       float(best.mean()) if best.all() else None)
