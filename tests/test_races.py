"""Race detection: correct schemes never flagged, every busted scheme caught, every time."""

from pathlib import Path

import pytest

import harness
from harness.soak.parse import FLAVORS, WORKLOADS

CORRECT = [s.name for s in harness.schemes() if s.correct]
BUSTED = [s for s in harness.schemes() if s.busted]


@pytest.mark.parametrize("workload", WORKLOADS)
@pytest.mark.parametrize("rcu", FLAVORS)
@pytest.mark.parametrize("scheme", CORRECT)
def test_correct_scheme_never_flagged(scheme, rcu, workload):
    r = harness.run(harness.Config(scheme=scheme, rcu=rcu, workload=workload, duration=0.4, seed=7))
    rep = r.report
    assert rep["violations"] == 0, rep["first_violation"]
    assert rep["ops"] > 0
    assert all(w["cpus_seen"] == [w["cpu"]] for w in rep["workers"])


@pytest.mark.parametrize("seed", [1, 2, 3])
@pytest.mark.parametrize("scheme", BUSTED, ids=lambda s: s.name)
def test_busted_scheme_caught(scheme, seed):
    r = harness.run(harness.Config(scheme=scheme.name, duration=5, seed=seed, until_violation=True))
    rep = r.report
    caught = {k for k, v in rep["violations_by_kind"].items() if v}
    assert caught & set(scheme.expected), (rep["violations_by_kind"], scheme.expected)
    assert rep["first_violation_s"] is not None and rep["first_violation_s"] <= 5
    assert rep["flight_recorder"], "the flight recorder shows what led to the first violation"


@pytest.mark.parametrize("rcu", ["mb", "membarrier"])
@pytest.mark.parametrize("scheme", ["busted-gp", "busted-no-read-lock", "busted-no-revalidate"])
def test_busted_rcu_caught_on_other_flavors(scheme, rcu):
    r = harness.run(harness.Config(scheme=scheme, rcu=rcu, duration=5, seed=11, until_violation=True))
    assert r.report["violations"] > 0


EXAMPLES = Path(__file__).resolve().parent.parent / "examples"
# Long enough that both rcutorture amplifiers fire at their torture defaults: shuffle every 3 s, stutter
# 5 s on / 0.5 s off; and every other amplifier (read and access delays, the adversarial writer) is on.
TORTURE_DEFAULTS_S = 6.0


def _clean_with_every_amplifier(**config):
    rep = harness.run(harness.Config(duration=TORTURE_DEFAULTS_S, seed=11, **config)).report
    assert rep["violations"] == 0, (rep["violations_by_kind"], rep["first_violation"])
    assert rep["hangs"] == [] and rep["crashes"] == []   # a progress stall is a warning about timing, not a verdict
    assert rep["shuffles"] >= 1 and all(w["paused_ns"] > 0 for w in rep["workers"]), "shuffle and stutter fired"
    c = rep["config"]
    assert c["read_delay"][0] and c["access_delay"][0] and c["adversarial"]
    return rep


@pytest.mark.parametrize("scheme", CORRECT)
def test_correct_scheme_clean_with_every_torture_default(scheme):
    _clean_with_every_amplifier(scheme=scheme)


def test_correct_example_clean_with_every_torture_default(tmp_path, monkeypatch):
    monkeypatch.setenv("HARNESS_CACHE_DIR", str(tmp_path))
    _clean_with_every_amplifier(scheme_file=str(EXAMPLES / "good_scheme.c"))


@pytest.mark.soak
@pytest.mark.parametrize("rcu", ["mb", "membarrier"])
@pytest.mark.parametrize("scheme", [s.name for s in harness.schemes() if s.correct and s.uses_rcu])
def test_correct_rcu_scheme_clean_with_every_torture_default_other_flavors(scheme, rcu):
    _clean_with_every_amplifier(scheme=scheme, rcu=rcu)
