"""The mutant suite: realistic buggy schemes, each written the way a user writes one against harness.h
(tests/mutants/*.c), and the exact violation kind the engine must raise for each. A mutant counts as killed
only if its own kind is reported, on every seed and every CPU layout; another kind does not count.

Race mutants run until their first violation (capped at RACE_DURATION_S); hang mutants run HANG_DURATION_S and
are caught when a worker fails to stop within the engine's deadline after it. tests/mutants/README.md lists
what each file gets wrong."""

from __future__ import annotations

import os
import re
import signal
from contextlib import contextmanager
from pathlib import Path

import pytest

import harness
from harness.build.core import BUILTIN

MUTANTS_DIR = Path(__file__).resolve().parent / "mutants"

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

# Every kind the engine reports (report["violations_by_kind"] always has all of them).
KINDS = ("use-after-free", "foreign-memory", "wrong-type", "torn-read", "identity", "gp-too-short", "bad-node",
         "refcount", "double-free", "double-call-rcu", "free-while-attached", "callback-on-live", "rcu-unbalanced",
         "free-while-claimed", "qs-in-reader", "sync-in-reader", "rcu-undeclared", "suspicious-rcu", "hang")

RACE_DURATION_S = 3.0   # until_violation ends a race mutant's run at its first violation, usually in milliseconds
HANG_DURATION_S = 1.0   # a hang mutant's run ends at the engine's deadline after this
SEEDS = [1, 2, 3]
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
    """The run that must catch mutant `name` (also used by bench/test_mutant_detection.py)."""
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


# Mutants run on every seed in the default suite except these, which run on the first seed there and on
# the others under `-m soak` (the default suite's time budget).
FIRST_SEED_ONLY = {"nested_unlock_imbalance.c", "hazard_no_fence.c", "hazard_no_recheck.c", "epoch_one_advance.c",
                   "urcu_single_flip.c", "srcu_reread_index.c"}


def mutant_runs():
    for name in MUTANTS:
        for layout in LAYOUTS:
            for seed in SEEDS:
                marks = [pytest.mark.soak] if name in FIRST_SEED_ONLY and seed != SEEDS[0] else []
                yield pytest.param(name, layout, seed, marks=marks, id=f"{Path(name).stem}-{layout}-{seed}")


@pytest.mark.parametrize("name,layout,seed", list(mutant_runs()))
def test_mutant_is_killed(scheme_cache, name, layout, seed):
    kind = MUTANTS[name][0]
    config = mutant_config(name, seed, layout)
    with run_timeout(RUN_TIMEOUT_S):
        rep = harness.run(config).report
    found = {k: v for k, v in rep["violations_by_kind"].items() if v}
    why = (f"{name} must raise {kind!r}; got {found or 'nothing'}; first violation {rep['first_violation']}; "
           f"reproduce: {rep['command']}")
    assert kind in rep["violations_by_kind"], f"no kind {kind!r} in the report: {sorted(rep['violations_by_kind'])}"
    assert rep["violations_by_kind"][kind] > 0, why
    assert rep["verdict"] == "FAILURE", why


def test_every_mutant_file_is_in_the_table():
    files = sorted(p.name for p in MUTANTS_DIR.glob("*.c"))
    assert sorted(MUTANTS) == files, (f"not in MUTANTS (orphans): {sorted(set(files) - set(MUTANTS))}; "
                                      f"in MUTANTS but missing: {sorted(set(MUTANTS) - set(files))}")
    assert len(MUTANTS) >= 14


def test_table_names_real_kinds_and_config_fields():
    unknown = {kind for kind, _ in MUTANTS.values()} - set(BUILTIN.violation_names)
    assert not unknown, f"not a kind the engine reports: {unknown} (known: {BUILTIN.violation_names})"
    reserved = {"scheme_file", "seed", "duration", "until_violation"} | {k for lay in LAYOUTS.values() for k in lay}
    assert not {n: sorted(set(extra) & reserved) for n, (_, extra) in MUTANTS.items() if set(extra) & reserved}


def test_each_mutant_documents_its_kind():
    """The file's header comment and tests/mutants/README.md name the same kind as the table."""
    readme = (MUTANTS_DIR / "README.md").read_text()
    row = re.compile(r"^\|\s*`([\w.]+\.c)`\s*\|.*\|\s*`([\w-]+)`\s*\|", re.M)   # | `file.c` | ... | `kind` |
    rows = {m.group(1): m.group(2) for m in row.finditer(readme)}
    for name, (kind, _) in MUTANTS.items():
        text = (MUTANTS_DIR / name).read_text()
        head = text.split("*/", 1)[0]
        assert re.search(rf"Must raise: {re.escape(kind)}\b", head), f"{name}: header does not say 'Must raise: {kind}'"
        assert "H_SCHEME_BUSTED" not in text, f"{name}: a user would not claim H_SCHEME_BUSTED"
        assert rows.get(name) == kind, f"{name}: README.md says {rows.get(name)!r}, the table {kind!r}"
