"""repro (a recorded run's failure rate with its interval) and shrink (a smaller failing command), run as a
user runs them: on the JSON report of a real soak."""

import json
import shlex
import subprocess
import sys
from pathlib import Path

import pytest

from harness.triage.rates import wilson

ROOT = Path(__file__).resolve().parent.parent
UNLOCKED = ROOT / "tests" / "mutants" / "read_after_unlock.c"   # reads after unlock: flagged on every read


def harness_cli(*args, timeout=180):
    return subprocess.run([sys.executable, "-m", "harness", *map(str, args)], capture_output=True, text=True,
                          timeout=timeout)


def soak_json(tmp_path, name, *args):
    path = tmp_path / name
    p = harness_cli("soak", "--quiet", "--json", path, *args)
    assert p.returncode in (0, 1), p.stderr
    return path


def test_wilson_interval_matches_known_values():
    from scipy import stats
    for k, n in ((0, 1), (1, 1), (0, 10), (3, 7), (5, 10), (1, 300), (299, 300)):
        ci = stats.binomtest(k, n).proportion_ci(confidence_level=0.95, method="wilson")
        assert wilson(k, n) == pytest.approx((ci.low, ci.high), abs=1e-9), (k, n)
    assert wilson(5, 10) == pytest.approx((0.2366, 0.7634), abs=1e-4)
    assert wilson(0, 10)[0] == 0.0 and wilson(0, 10)[1] == pytest.approx(0.2775, abs=1e-4)
    assert wilson(3, 3)[0] == pytest.approx(0.4385, abs=1e-4) and wilson(3, 3)[1] == 1.0


def test_repro_gives_the_rate_with_its_interval(scheme_cache, tmp_path):
    run = soak_json(tmp_path, "f.json", "--scheme-file", UNLOCKED, "--duration", "3", "--until-violation",
                    "--seed", "5")
    out = tmp_path / "repro.json"
    p = harness_cli("repro", run, "--runs", "3", "--json", out)
    assert p.returncode == 1, p.stderr
    assert "reproduced in 3 of 3 runs: 100% (95% CI 44%-100%, Wilson); time to first violation: median" in p.stdout
    rep = json.loads(out.read_text())
    assert rep["failures"] == 3 and rep["kinds"] == ["suspicious-rcu"] and len(rep["first_violation_s"]) == 3
    assert rep["ci95"] == pytest.approx(list(wilson(3, 3)))


def test_repro_of_a_clean_run_and_of_a_changed_scheme_file(scheme_cache, tmp_path):
    mine = tmp_path / "mine.c"
    mine.write_text(UNLOCKED.read_text())
    clean = soak_json(tmp_path, "ok.json", "--duration", "0.2", "--seed", "3")
    p = harness_cli("repro", clean, "--runs", "2")
    assert p.returncode == 0 and "reproduced in 0 of 2 runs: 0% (95% CI 0%-66%, Wilson)" in p.stdout, p.stdout
    run = soak_json(tmp_path, "f.json", "--scheme-file", mine, "--duration", "1", "--until-violation")
    mine.write_text(mine.read_text() + "\n/* edited */\n")
    p = harness_cli("repro", run)
    assert p.returncode == 2 and p.stderr.count("\n") == 1 and "changed since the run" in p.stderr, p.stderr


def test_shrink_finds_a_smaller_failing_command(scheme_cache, tmp_path):
    # A bug flagged on every read: every candidate that reads fails every trial, so the search and the reruns
    # below have one outcome (the example's race, which needs luck, once failed all 5 reruns of its command).
    run = soak_json(tmp_path, "b.json", "--scheme-file", UNLOCKED, "--duration", "5", "--seed", "5",
                    "--read-delay", "30:20us")
    out = tmp_path / "shrink.json"
    p = harness_cli("shrink", run, "--budget", "60s", "--json", out)
    assert p.returncode == 0, p.stderr
    result = json.loads(out.read_text())
    c, before = result["config"], json.loads(run.read_text())["config"]
    assert c["duration"] < before["duration"] and c["readers"] <= before["readers"]
    assert sum(step["kept"] for step in result["steps"]) >= 2
    assert p.stdout.splitlines()[-2].strip() == result["command"] or result["command"] in p.stdout
    words = shlex.split(result["command"])
    assert words[:4] == ["python", "-m", "harness", "soak"]
    reruns = [harness_cli(*words[3:], "--until-violation", "--quiet").returncode for _ in range(3)]
    assert reruns == [1, 1, 1], reruns   # the smaller command still fails, every time


def test_shrink_and_repro_refuse_what_they_cannot_use(tmp_path):
    clean = soak_json(tmp_path, "ok.json", "--duration", "0.2", "--seed", "3")
    for args, says in ((("shrink", clean), "records a SUCCESS run: there is no failure to shrink"),
                       (("shrink", clean, "--rate", "2"), "expected a rate in (0, 1]"),
                       (("repro", clean, "--runs", "0"), "expected a count >= 1"),
                       (("repro", tmp_path / "none.json"), "cannot read"),
                       (("repro", clean, "--json", tmp_path / "no" / "r.json"), "does not exist")):
        p = harness_cli(*args)
        assert p.returncode == 2 and p.stderr.count("\n") == 1 and says in p.stderr, (args, p.stderr)
