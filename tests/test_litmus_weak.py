"""The weak-memory emulation against the Linux kernel memory model: the classic litmus shapes, run in C
through the same primitives a scheme uses (csrc/weak_litmus.c), must show an outcome LKMM allows
("Sometimes") within a bounded number of trials and never show one it forbids ("Never") in a million.

The expected verdicts are LKMM's, written here as data: the `Result:` line of the kernel's
tools/memory-model/litmus-tests/<name>.litmus where that file exists, else (marked "derived") the verdict of
the nearest kernel test with the one ordering that differs removed or added, as LKMM's rules give it.
The emulated threads are interleaved by a seeded random scheduler in one process, so each count below is
the same on every run and every machine, whatever its CPU count or load.
"""

from __future__ import annotations

import pytest

from harness.core import BUILTIN

# name -> (LKMM's verdict, where it comes from)
LKMM: dict[str, tuple[str, str]] = {
    "MP+poonceonces": ("Sometimes", "kernel"),
    "MP+wmbonceonce+rmbonceonce": ("Never", "kernel"),
    "MP+wmbonceonce+poonceonces": ("Sometimes", "derived: MP+wmbonceonce+rmbonceonce without the smp_rmb"),
    "MP+poonceonces+rmbonceonce": ("Sometimes", "derived: MP+wmbonceonce+rmbonceonce without the smp_wmb"),
    "MP+pooncerelease+poacquireonce": ("Never", "kernel"),
    "MP+onceassign+derefonce": ("Never", "kernel"),
    "MP+onceonce+derefonce": ("Sometimes", "derived: MP+onceassign+derefonce with WRITE_ONCE for rcu_assign_pointer"),
    "SB+poonceonces": ("Sometimes", "kernel"),
    "SB+mbonceonces": ("Never", "kernel"),
    "WRC+pooncerelease+rmbonceonce+Once": ("Never", "kernel"),
    "ISA2+pooncerelease+poacquirerelease+poacquireonce": ("Never", "kernel"),
    "ISA2+poonceonces": ("Sometimes", "kernel"),
    "LB+poonceonces": ("Sometimes", "kernel"),
}

# What the emulation cannot produce (README, "Weak-memory mode"): a load never returns a store that has not
# been made yet, so load buffering never shows. Allowed and never shown: incomplete, never unsound.
NOT_EMULATED = {"LB+poonceonces"}

NEVER_TRIALS = 1_000_000
SOMETIMES_TRIALS = 100_000
# Measured over a million trials (seed 1): every allowed outcome shows in at least 0.057% of trials
# (ISA2+poonceonces, the rarest: three threads must line up), most in 0.4% to 58%. At a rate of 0.03% the
# chance of missing one in SOMETIMES_TRIALS is (1 - 0.0003) ** 100000 < 1e-13.
SOMETIMES_MIN_RATE = 0.0003
SEED = 1

lib = BUILTIN.lib
ffi = BUILTIN.ffi
NAMES = [ffi.string(lib.h_litmus_weak_name(i)).decode() for i in range(lib.h_litmus_weak_count())]


def run(name: str, trials: int, weak: bool = True, seed: int = SEED) -> int:
    return lib.h_litmus_weak_run(NAMES.index(name), trials, seed, int(weak))


def test_every_shape_has_its_lkmm_verdict():
    assert sorted(NAMES) == sorted(LKMM)
    assert NOT_EMULATED <= {n for n, (verdict, _) in LKMM.items() if verdict == "Sometimes"}


@pytest.mark.parametrize("name", [n for n, (v, _) in LKMM.items() if v == "Sometimes" and n not in NOT_EMULATED])
def test_allowed_outcome_is_observed(name):
    seen = run(name, SOMETIMES_TRIALS)
    assert seen >= SOMETIMES_MIN_RATE * SOMETIMES_TRIALS, f"{name}: LKMM allows it, seen {seen}/{SOMETIMES_TRIALS}"


def test_forbidden_outcomes_never_in_a_million_trials():
    """All the Never shapes, a million trials each, in one test (C does the trials: a few seconds)."""
    seen = {n: run(n, NEVER_TRIALS) for n, (v, _) in LKMM.items() if v == "Never"}
    assert seen == {n: 0 for n in seen}, f"outcomes LKMM forbids were produced: {seen}"


@pytest.mark.parametrize("name", sorted(NOT_EMULATED))
def test_documented_limitation_stays_as_documented(name):
    assert run(name, SOMETIMES_TRIALS) == 0


def test_native_mode_does_not_reorder():
    """What weak mode adds: the same message-passing and store-buffering programs with the emulation off
    never show their reordered outcome."""
    assert run("MP+poonceonces", SOMETIMES_TRIALS, weak=False) == 0
    assert run("SB+poonceonces", SOMETIMES_TRIALS, weak=False) == 0
    assert run("MP+poonceonces", SOMETIMES_TRIALS, weak=True) > 0


def test_a_seed_replays_its_counts():
    assert run("MP+poonceonces", 5000, seed=7) == run("MP+poonceonces", 5000, seed=7)
