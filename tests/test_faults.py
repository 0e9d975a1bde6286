"""Faults injected on purpose (`--inject`) and the race amplifiers: each is survived and reported."""

import json
import signal
import subprocess
import sys

import psutil

import harness
from harness.soak.config import Config
from harness.soak.parse import allowed_cpus


def _run(**kw):
    return harness.run(Config(**kw)).report


def _events(rep):
    return [e["what"] for e in rep["events"]]


def test_reader_killed_inside_critical_section_is_reported_released_and_the_run_goes_on():
    rep = _run(readers=2, writers=1, oversubscribe=True, duration=1.5, stall_bound=100, inject=["reader-kill@0.2s"])
    assert rep["verdict"] == "SUCCESS" and rep["violations"] == 0 and rep["crashes"] == []
    stall = next(st for st in rep["stalls"] if st["worker"] == 0)
    assert stall["cpu"] == rep["workers"][0]["cpu"] and stall["t_s"] > 0.2, "the dead reader, after the kill"
    events = _events(rep)
    assert any("reader 0 SIGKILLed inside its read-side critical section" in e for e in events)
    assert any("RCU slot of dead reader 0 released after a" in e and "confirmed gone" in e for e in events)
    assert rep["gp"]["count"] > stall["gp"], "grace periods go on once the dead reader's slot is released"
    assert not rep["workers"][0]["alive"] and rep["workers"][1]["ops"] > 0


def test_reader_stalled_inside_critical_section_warns_then_recovers():
    rep = _run(duration=1.5, stall_bound=100, inject=["reader-stall@0.2s:400ms"])
    assert rep["verdict"] == "SUCCESS" and rep["crashes"] == []
    stalls = [st for st in rep["stalls"] if st["worker"] == 0]
    assert stalls and max(st["duration_s"] for st in stalls) < 0.4 + 0.1, "no stall outlasts the 0.4 s park"
    stall = stalls[0]
    assert any("reader 0 left its critical section after 0.4s" in e for e in _events(rep))
    assert rep["gp"]["count"] > stall["gp"] and rep["workers"][0]["alive"]


def test_arena_exhaustion_is_back_pressure_not_a_crash():
    rep = _run(duration=1.0, inject=["arena-exhaust@0.2s:400ms"])
    assert rep["verdict"] == "SUCCESS" and rep["status"] == "completed" and rep["crashes"] == []
    events = _events(rep)
    assert any("took all" in e for e in events) and any("pages given back" in e for e in events)
    assert sum(w["alloc_failures"] for w in rep["workers"]) > 0
    assert rep["arena"]["pages_free"] > rep["arena"]["pages_total"] // 2, "the pages came back"


def test_crashing_worker_is_reported_with_its_signal_and_ends_the_run(tmp_path):
    path = tmp_path / "r.json"
    p = subprocess.run([sys.executable, "-m", "harness", "soak", "--duration", "20", "--quiet", "--json", str(path),
                        "--inject", "worker-crash@0.2s"], capture_output=True, text=True, timeout=60, cwd=tmp_path)
    assert p.returncode == 1, p.stderr
    assert "!!! crash: worker 0" in p.stdout and "SIGSEGV" in p.stdout
    rep = json.loads(path.read_text())
    assert rep["verdict"] == "FAILURE" and rep["crashes"][0]["how"] == "killed by SIGSEGV"
    assert rep["run_time_s"] < 10, "the run ends at the crash instead of running out its duration"
    assert not list(tmp_path.glob("core*")), "no core file left behind"
    text = subprocess.run([sys.executable, "-m", "harness", "report", str(path)], capture_output=True, text=True,
                          timeout=60).stdout
    assert "!!! crash: worker 0" in text and "killed by SIGSEGV" in text


def test_orchestrator_killing_itself_takes_its_workers_and_the_next_run_works():
    p = subprocess.Popen([sys.executable, "-m", "harness", "soak", "--duration", "30", "--interval", "0.1",
                          "--inject", "orchestrator-kill@0.5s"], stdout=subprocess.PIPE, text=True)
    for line in p.stdout:   # the first status line: every worker is up and running
        if line.startswith("t="):
            break
    workers = psutil.Process(p.pid).children()
    assert workers
    assert p.wait(30) == -signal.SIGKILL
    p.stdout.close()
    _, alive = psutil.wait_procs(workers, timeout=3)
    assert not alive
    again = subprocess.run([sys.executable, "-m", "harness", "soak", "--duration", "0.3", "--quiet"],
                           capture_output=True, text=True, timeout=60)
    assert again.returncode == 0, again.stderr


def test_shuffle_rotates_workers_across_cpus_verified():
    cpus = allowed_cpus()
    rep = _run(duration=0.6, shuffle=0.1)
    assert rep["verdict"] == "SUCCESS"
    assert rep["shuffles"] >= 3
    for w in rep["workers"]:
        assert len(w["cpus_assigned"]) == rep["shuffles"] + 1
        assert set(w["cpus_seen"]) <= set(w["cpus_assigned"]), "it ran only where it was put"
        assert w["migrations"] == 0
        if len(cpus) > 1:
            assert len(set(w["cpus_assigned"])) > 1


def test_stutter_pauses_every_worker_together():
    rep = _run(duration=0.8, stutter=[0.1, 0.1])
    assert rep["verdict"] == "SUCCESS"
    for w in rep["workers"]:
        assert w["paused_ns"] >= 0.2e9, w   # three pauses of 0.1 s fall inside 0.8 s
