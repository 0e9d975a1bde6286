"""The mutant table (tests/mutants/*.c, the violation kind each must raise) and how a mutant is run: the
configuration that must catch it and the timeout around the run. Used by tests/test_mutants.py,
tests/test_weak_mode.py and the benchmarks of bench/mutant_kill.py."""

from __future__ import annotations

import os
import signal
from contextlib import contextmanager
from pathlib import Path

import harness

MUTANTS_DIR = Path(__file__).resolve().parent.parent / "mutants"

# file -> (the violation kind it must raise, extra harness.Config fields for its runs)
MUTANTS: dict[str, tuple[str, dict[str, object]]] = {
    "empty_synchronize.c": ("gp-too-short", {}),
    "free_rcu_then_free.c": ("double-free", {}),
    "double_free_rcu.c": ("double-call-rcu", {}),
    "attach_get_put_swapped.c": ("free-while-attached", {}),
    "retry_relocks.c": ("rcu-unbalanced", {}),
    "nested_unlock_imbalance.c": ("rcu-unbalanced", {"rcu": "mb"}),
    "quiescent_in_reader.c": ("qs-in-reader", {}),
    "synchronize_in_reader.c": ("sync-in-reader", {}),
    "undeclared_rcu_reader.c": ("rcu-undeclared", {}),
    "read_after_unlock.c": ("suspicious-rcu", {}),
    "put_without_get.c": ("refcount", {}),
    "seqcount_no_retry.c": ("torn-read", {}),
    "typesafe_inline_call_rcu.c": ("gp-too-short", {}),
    "wait_for_even_seq.c": ("hang", {}),
    "seqcount_early_return.c": ("hang", {}),
    "typesafe_seq_only_recheck.c": ("identity", {}),
    "refcount_no_rcu_lock.c": ("suspicious-rcu", {}),
    "slowpath_double_unlock.c": ("rcu-unbalanced", {}),
    "hardcoded_qsbr_flavor.c": ("gp-too-short", {"rcu": "mb"}),
    "batched_call_rcu.c": ("callback-on-live", {}),
    # protection of the scheme's own (annotations): hazard pointers, epochs, a home-grown URCU
    # a hazard that protects an object already freed is also read: identity or use-after-free may be
    # reported before the claim is found, so these run their whole duration, not until the first violation
    "hazard_no_fence.c": ("free-while-claimed", {"memory_model": "weak", "until_violation": False}),
    "hazard_no_recheck.c": ("free-while-claimed", {"until_violation": False}),
    "epoch_one_advance.c": ("gp-too-short", {}),
    "urcu_single_flip.c": ("gp-too-short", {}),
    "srcu_reread_index.c": ("hang", {}),
    # ordering bugs x86 hides: caught in weak mode (and missed in native mode, test_weak_mode.py)
    "weak_publish_write_once.c": ("torn-read", {"memory_model": "weak"}),
    "weak_seqcount_reader_no_rmb.c": ("torn-read", {"memory_model": "weak"}),
    "weak_seqcount_writer_no_wmb.c": ("torn-read", {"memory_model": "weak"}),
    "weak_typesafe_plain_seq.c": ("torn-read", {"memory_model": "weak"}),
    "weak_inc_not_zero_relaxed.c": ("identity", {"memory_model": "weak"}),
}

RACE_DURATION_S = 3.0   # until_violation ends a race mutant's run at its first violation, usually in milliseconds
HANG_DURATION_S = 1.0   # a hang mutant's run ends at the engine's deadline after this
RUN_TIMEOUT_S = 120.0   # a run (compile included) that has not returned by then fails instead of hanging pytest

CPUS = sorted(os.sched_getaffinity(0))


def layouts() -> dict[str, dict[str, object]]:
    """'default': every allowed CPU, one writer, the rest readers; '1r1w': one reader and one writer on the
    first two allowed CPUs. With two CPUs or fewer they are the same run, so only 'default' is kept."""
    out: dict[str, dict[str, object]] = {"default": {"readers": None, "writers": 1, "oversubscribe": len(CPUS) < 2}}
    if len(CPUS) > 2:
        out["1r1w"] = {"readers": 1, "writers": 1, "cpus": CPUS[:2]}
    return out


LAYOUTS = layouts()


def duration_for(kind: str) -> float:
    return HANG_DURATION_S if kind == "hang" else RACE_DURATION_S


def mutant_config(name: str, seed: int, layout: str = "default") -> harness.Config:
    """The run that must catch mutant `name`."""
    kind, extra = MUTANTS[name]
    fields = {"until_violation": True, **LAYOUTS[layout], **extra}
    return harness.Config(scheme_file=str(MUTANTS_DIR / name), duration=duration_for(kind), seed=seed,
                          **fields)  # type: ignore[arg-type]


@contextmanager
def run_timeout(seconds: float):
    """SIGALRM raises TimeoutError inside harness.run, whose clean-up then stops, reports and kills the workers:
    an engine that never ends a run with a hung worker fails the test instead of wedging the suite."""
    def expire(signum, frame):  # type: ignore[no-untyped-def]
        raise TimeoutError(f"harness.run did not return within {seconds:g} s (is a hung worker ever given up on?)")
    previous = signal.signal(signal.SIGALRM, expire)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)
