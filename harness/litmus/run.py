"""Runs litmus shapes in C (harness._core): `trials` of one in one process, where a seeded scheduler
interleaves the emulated threads, or by real processes, one per litmus thread, pinned to this process's
CPUs. Python only starts each run and reads one count back."""

from __future__ import annotations

import os
from dataclasses import dataclass

from harness.build.core import BUILTIN
from harness.litmus.shapes import Shape

_lib, _ffi = BUILTIN.lib, BUILTIN.ffi


def c_shapes() -> dict[str, tuple[int, int]]:
    """The shapes csrc/weak/litmus_shapes.c defines: name -> (its index, its thread count)."""
    return {_ffi.string(_lib.h_litmus_weak_name(i)).decode(): (i, _lib.h_litmus_weak_threads(i))
            for i in range(_lib.h_litmus_weak_count())}


def placement(threads: int, cpus: list[int]) -> list[int]:
    """The CPU of each litmus thread. With a CPU each, one each. With fewer CPUs, consecutive threads share
    one (blocks, not round robin): the last thread, the observer of WRC, ISA2 and Z6.0, then shares with
    the fewest, and runs beside the first writer instead of only after it (with round robin, ISA2's first
    and last threads share a CPU, and the observer cannot look while the writer's stores are held)."""
    if threads <= len(cpus):
        return cpus[:threads]
    return [cpus[i * len(cpus) // threads] for i in range(threads)]


class LitmusFailed(RuntimeError):
    """A litmus process could not be started or stopped answering."""


@dataclass(frozen=True)
class Outcome:
    shape: Shape
    trials: int
    seen: int
    weak: bool
    procs: bool = False

    @property
    def verdict(self) -> str:
        if self.shape.forbidden:
            return "FORBIDDEN OBSERVED" if self.seen else "ok"
        if self.seen:
            return "ok"
        if self.weak and self.shape.not_emulated:
            return f"allowed; not producible by this emulation ({self.shape.not_emulated})"
        if self.weak and self.procs and self.shape.one_process_only:
            return f"allowed; not producible by real processes ({self.shape.one_process_only})"
        return "allowed, not seen"

    def as_json(self) -> dict:
        return {"shape": self.shape.name, "lkmm": self.shape.result, "source": self.shape.source,
                "trials": self.trials, "seen": self.seen, "verdict": self.verdict}


def run(shape: Shape, trials: int, weak: bool, procs: bool, seed: int = 1,
        cpus: list[int] | None = None, enough: int = 0) -> Outcome:
    """procs: stop once `enough` outcomes were seen (0: run every trial)."""
    index, _ = c_shapes()[shape.name]
    if procs:
        where = placement(shape.threads, sorted(os.sched_getaffinity(0)) if cpus is None else cpus)
        seen = _lib.h_litmus_weak_run_procs(index, trials, seed, int(weak), _ffi.new("int[]", where), len(where),
                                            enough)
        if seen < 0:
            raise LitmusFailed(f"{shape.name}: a litmus process could not be started or stopped answering")
    else:
        seen = _lib.h_litmus_weak_run(index, trials, seed, int(weak))
    return Outcome(shape, trials, seen, weak, procs)
