"""`--memory-model weak` end to end: the option (Config, CLI, report, reproduce line, pytest plugin), every
correct scheme clean under the emulation, and the ordering-bug mutants (tests/mutants/weak_*.c) missed in
native mode, so that the mode is what finds them (test_mutants.py shows weak mode catches each on 3 seeds).
The emulation itself is judged against LKMM in test_litmus_weak.py."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

import harness
from harness.soak.parse import FLAVORS, WORKLOADS, ConfigError
from support.mutants import MUTANTS, MUTANTS_DIR, RUN_TIMEOUT_S, run_timeout

EXAMPLES = Path(__file__).resolve().parent.parent / "examples"
CORRECT = [s for s in harness.schemes() if s.correct]
WEAK_MUTANTS = [name for name, (_, extra) in MUTANTS.items() if extra.get("memory_model") == "weak"]
SHORT_S = 0.6
SOAK_S = 600.0


def _cases() -> list[tuple[str, str, str]]:
    """(scheme, flavor, workload): every correct scheme under every flavor it has, the workloads dealt out in
    turn so each appears with every scheme kind; the full matrix is in the soak below."""
    cases = []
    for s in CORRECT:
        for rcu in FLAVORS if s.uses_rcu else ("qsbr",):
            cases.append((s.name, rcu, WORKLOADS[len(cases) % len(WORKLOADS)]))
    return cases


def _clean(**fields: object) -> dict:
    rep = harness.run(harness.Config(memory_model="weak", **fields)).report  # type: ignore[arg-type]
    assert rep["config"]["memory_model"] == "weak"
    assert rep["verdict"] == "SUCCESS" and rep["violations"] == 0, (rep["violations_by_kind"], rep["command"])
    assert rep["ops"] > 0
    return rep


def test_config_validates_the_memory_model():
    with pytest.raises(ConfigError, match="unknown memory model 'tso'"):
        harness.Config(memory_model="tso").resolved()
    with pytest.raises(ConfigError, match="needs the checks on"):
        harness.Config(memory_model="weak", checks=False).resolved()
    c = harness.Config(memory_model="weak", seed=5).resolved()
    assert "--memory-model weak" in c.command()
    assert "--memory-model" not in harness.Config(seed=5).resolved().command()


def test_cli_rejects_weak_without_checks_in_one_line():
    out = subprocess.run([sys.executable, "-m", "harness", "soak", "--memory-model", "weak", "--no-checks"],
                         capture_output=True, text=True, timeout=60)
    assert out.returncode == 2
    assert out.stderr.strip().count("\n") == 0 and "--memory-model weak needs the checks on" in out.stderr


@pytest.mark.parametrize("scheme,rcu,workload", _cases())
def test_correct_scheme_clean_in_weak_mode(scheme, rcu, workload):
    rep = _clean(scheme=scheme, rcu=rcu, workload=workload, duration=SHORT_S)
    assert "--memory-model weak" in rep["command"]


@pytest.mark.parametrize("rcu", FLAVORS)
def test_correct_example_clean_in_weak_mode_through_the_plugin(harness_stress, scheme_cache, rcu):
    """The pytest plugin takes memory_model like any Config field; a violation would fail the test."""
    result = harness_stress(scheme_file=str(EXAMPLES / "good_scheme.c"), rcu=rcu, duration=SHORT_S,
                            memory_model="weak")
    assert result.report["config"]["memory_model"] == "weak"


@pytest.mark.parametrize("name", WEAK_MUTANTS, ids=[Path(n).stem for n in WEAK_MUTANTS])
def test_ordering_bug_is_missed_in_native_mode(scheme_cache, name):
    """The same file with the same seed, native: x86 hides the reordering, the run is clean."""
    with run_timeout(RUN_TIMEOUT_S):
        rep = harness.run(harness.Config(scheme_file=str(MUTANTS_DIR / name), duration=1.5, seed=1,
                                         until_violation=True)).report
    assert rep["verdict"] == "SUCCESS", (rep["violations_by_kind"], rep["command"])


@pytest.mark.soak
@pytest.mark.parametrize("scheme,rcu,workload", _cases())
def test_correct_scheme_clean_in_a_ten_minute_weak_soak(scheme, rcu, workload):
    _clean(scheme=scheme, rcu=rcu, workload=workload, duration=SOAK_S)
