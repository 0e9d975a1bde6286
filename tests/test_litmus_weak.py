"""The weak-memory emulation against the Linux kernel memory model: the classic litmus shapes, run in C
through the same primitives a scheme uses (csrc/weak_litmus.c), must show an outcome LKMM allows
("Sometimes") within a bounded number of trials and never show one it forbids ("Never") in a million.

The expected verdicts are LKMM's, written here as data: the `Result:` line of the kernel's
tools/memory-model/litmus-tests/<name>.litmus where that file exists, else (marked "derived") the verdict of
the nearest kernel test with the one ordering that differs removed or added, as LKMM's rules give it.
The emulated threads are interleaved by a seeded random scheduler in one process, so each count below is
the same on every run and every machine, whatever its CPU count or load. The same programs then run by real
processes on real cores (one per litmus thread, pinned, meeting in shared memory once per trial): the
emulation against real concurrency and real caches, where a missing real fence shows (it did: an emulated
smp_mb that did not reach the CPU let SB+mbonceonces through), and, with the emulation off, what x86 does.
"""

from __future__ import annotations

import os
import platform

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

# What the emulation cannot produce (docs/weak-memory.md): a load never returns a store that has not
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


CPUS = sorted(os.sched_getaffinity(0))
PROC_TRIALS = 1_000_000       # forbidden outcomes, two-thread shapes: about 1.2 s each here
PROC_TRIALS_3 = 100_000       # three threads on two CPUs take ten times longer per trial
PROC_SOMETIMES_TRIALS = 200_000   # allowed outcomes show in 0.7% to 70% of real-process trials here


def run(name: str, trials: int, weak: bool = True, seed: int = SEED) -> int:
    return lib.h_litmus_weak_run(NAMES.index(name), trials, seed, int(weak))


def run_procs(name: str, trials: int, weak: bool = True, enough: int = 0) -> int:
    seen = lib.h_litmus_weak_run_procs(NAMES.index(name), trials, SEED, int(weak), ffi.new("int[]", CPUS),
                                       len(CPUS), enough)
    assert seen >= 0, f"{name}: the litmus processes failed ({seen})"
    return seen


def threads(name: str) -> int:
    return 3 if name.startswith(("WRC", "ISA2")) else 2


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


@pytest.mark.skipif(len(CPUS) < 2, reason="two litmus processes need two CPUs to overlap")
@pytest.mark.parametrize("name", [n for n, (v, _) in LKMM.items()
                                  if v == "Sometimes" and n not in NOT_EMULATED and threads(n) == 2])
def test_real_processes_show_what_lkmm_allows(name):
    """Pinned processes on two real cores, the emulation on: the allowed outcome shows (the run stops at the
    first one; at the lowest rate measured here, 0.7%, missing it in the bound has odds below 1e-600)."""
    assert run_procs(name, PROC_SOMETIMES_TRIALS, enough=1) == 1


def test_real_processes_never_show_what_lkmm_forbids():
    seen = {n: run_procs(n, PROC_TRIALS if threads(n) == 2 else PROC_TRIALS_3)
            for n, (v, _) in LKMM.items() if v == "Never"}
    assert seen == {n: 0 for n in seen}, f"outcomes LKMM forbids were produced by real processes: {seen}"


@pytest.mark.skipif(platform.machine() not in ("x86_64", "AMD64", "i686"), reason="x86's total store order")
def test_real_processes_on_x86_do_not_reorder_message_passing():
    """What the mode is for: on x86 itself message passing never reorders, so only the emulation shows it."""
    assert run_procs("MP+poonceonces", 100_000, weak=False) == 0
    assert run_procs("MP+onceonce+derefonce", 100_000, weak=False) == 0
