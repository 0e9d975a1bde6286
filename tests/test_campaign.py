"""Campaigns on real runs: a correct and a busted scheme run locally and through a real Dask LocalCluster,
summary, compare (a real regression flagged, noise not), bisect-step (good / bad / skip), bad campaign files,
and resume after an interrupt. Scenarios are short (0.3-0.5 s, stopping at the first violation)."""

from __future__ import annotations

import os
import signal
import sqlite3
import shutil
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from harness.campaign.cpus import host_cpus
from harness.campaign.stats import fisher_p, mannwhitney_p, runs_for_good
from harness.triage.rates import wilson
from harness.cli import main
from harness.soak.parse import ConfigError, allowed_cpus

HERE = Path(__file__).resolve().parent
GOOD = (HERE.parent / "examples" / "good_scheme.c").read_text()
# a regression every run shows (qs-in-reader on the 16th read), so the tests never depend on a race's odds
REGRESSED = (HERE / "mutants" / "quiescent_in_reader.c").read_text()
BROKEN = GOOD.replace("#include \"harness.h\"", "#include \"harness.h\"\nthis does not compile;")
assert BROKEN != GOOD

BUILTIN = """replicas = {replicas}
[matrix]
scheme = ["rcu-typesafe", "busted-gp"]
workload = "alloc"
duration = "0.5s"
until_violation = true
"""


def campaign_file(directory: Path, text: str, name: str = "c.toml") -> str:
    directory.mkdir(parents=True, exist_ok=True)
    (directory / name).write_text(text)
    return str(directory / name)


def index(directory) -> list[sqlite3.Row]:
    db = sqlite3.connect(os.path.join(directory, "index.sqlite"))
    db.row_factory = sqlite3.Row
    return db.execute("select * from runs order by scenario, replica").fetchall()


def verdicts(directory) -> dict[str, list[str]]:
    out: dict[str, list[str]] = {}
    for r in index(directory):
        out.setdefault(r["scenario"], []).append(r["verdict"])
    return out


@pytest.fixture(scope="module")
def build_cache(tmp_path_factory):
    """One scheme-file build cache for the module (the soak subprocesses inherit it), not the shared one."""
    path = str(tmp_path_factory.mktemp("cache"))
    old = os.environ.get("HARNESS_CACHE_DIR")
    os.environ["HARNESS_CACHE_DIR"] = path
    yield path
    if old is None:
        del os.environ["HARNESS_CACHE_DIR"]
    else:
        os.environ["HARNESS_CACHE_DIR"] = old


def scheme_campaign(root: Path, name: str, source: str, replicas: int) -> tuple[str, int]:
    """A campaign of one scheme file, root/name/scheme.c (same file name, so the scenario ids match)."""
    (root / name).mkdir(parents=True)
    (root / name / "scheme.c").write_text(source)
    text = f'replicas = {replicas}\n[matrix]\nscheme_file = "scheme.c"\nduration = "0.3s"\nuntil_violation = true\n'
    out = str(root / name / "out")
    return out, main(["campaign", "run", campaign_file(root / name, text), "--out", out])


@pytest.fixture(scope="module")
def schemes(tmp_path_factory, build_cache):
    """OLD: the correct scheme, 4 runs; NEW: a regressed one, 3 runs; SAME: the correct scheme again, 2 runs."""
    root = tmp_path_factory.mktemp("schemes")
    return {name: scheme_campaign(root, name, src, n)
            for name, src, n in (("old", GOOD, 4), ("new", REGRESSED, 3), ("same", GOOD, 2))}


def running_soak_logs(proc: subprocess.Popen, out: Path, count: int) -> list[Path]:
    """The logs of `count` soaks of a campaign, once each is up: its log (in the campaign's work directory)
    has its start line."""
    while True:
        logs = list((out / ".running").glob("*/log")) if (out / ".running").is_dir() else []
        if len(logs) == count and all("reproduce:" in log.read_text() for log in logs):
            return logs
        assert proc.poll() is None, proc.communicate()
        time.sleep(0.02)   # a poll interval; the soaks' start lines are the synchronization


def test_local_campaign_summary(tmp_path, capsys):
    out = str(tmp_path / "out")
    path = campaign_file(tmp_path, BUILTIN.format(replicas=2))
    assert main(["campaign", "run", path, "--out", out]) == 1   # a failure: exit 1
    text = capsys.readouterr().out
    v = verdicts(out)
    assert v == {"rcu-typesafe_alloc_1r1w_0.5s_until_violation=True": ["SUCCESS"] * 2,
                 "busted-gp_alloc_1r1w_0.5s_until_violation=True": ["FAILURE"] * 2}, v
    assert "campaign: 4/4 done" in text
    for r in index(out):
        assert os.path.isfile(os.path.join(out, r["json_path"])) and r["command"].startswith("python -m harness soak")
    assert main(["campaign", "summary", out]) == 0
    table = capsys.readouterr().out.splitlines()
    busted = next(ln for ln in table if ln.startswith("busted-gp"))
    correct = next(ln for ln in table if ln.startswith("rcu-typesafe"))
    lo, hi = wilson(2, 2)
    assert f"100.0% [{lo:.1%}, {hi:.1%}]" in busted and "0.0% [0.0%, " in correct
    assert any(ln.startswith("!!! busted-gp") and "--scheme busted-gp" in ln for ln in table)
    assert not any(ln.startswith("!!! rcu-typesafe") for ln in table)


CLUSTER = """
import os, sys
from distributed import LocalCluster
n = len(os.sched_getaffinity(0))
with LocalCluster(n_workers=1, threads_per_worker=n, processes=True, resources={"CPU": n},
                  dashboard_address=None, silence_logs=40) as cluster:
    print(cluster.scheduler_address, flush=True)
    sys.stdin.read()   # until the test closes our stdin
"""


def test_dask_campaign(tmp_path, capsys):
    """Through a real distributed.LocalCluster (in its own process tree, which the test ends)."""
    out = str(tmp_path / "out")
    cluster = subprocess.Popen([sys.executable, "-c", CLUSTER], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                               stderr=subprocess.DEVNULL, text=True)
    try:
        address = cluster.stdout.readline().strip()
        assert address.startswith("tcp://")
        path = campaign_file(tmp_path, BUILTIN.format(replicas=1))
        rc = main(["campaign", "run", path, "--out", out, "--scheduler", address])
    finally:
        cluster.stdin.close()
        cluster.wait(timeout=60)
    assert rc == 1
    assert "campaign: 2/2 done" in capsys.readouterr().out
    rows = index(out)
    assert sorted(r["verdict"] for r in rows) == ["FAILURE", "SUCCESS"]
    assert all((r["verdict"] == "FAILURE") == r["scenario"].startswith("busted-gp") for r in rows)
    assert all(r["attempts"] == 1 and r["json_path"] for r in rows)


def test_compare_flags_a_real_regression(schemes, capsys):
    (old, rc_old), (new, rc_new) = schemes["old"], schemes["new"]
    assert (rc_old, rc_new) == (0, 1)
    capsys.readouterr()
    assert main(["campaign", "compare", old, new]) == 1
    text = capsys.readouterr().out
    p = fisher_p(0, 4, 3, 3)
    assert p < 0.05
    assert f"failure rate 0/4 -> 3/3, Fisher's exact test p = {p:.3g}" in text and "REGRESSED" in text


def test_compare_does_not_flag_noise(schemes, capsys):
    """Two campaigns of the same correct scheme: no failure on either side, and ns/op samples of 4 and 2
    runs, whose smallest possible two-sided Mann-Whitney p is 2/15 > 0.05: noise alone cannot be flagged."""
    (old, _), (same, rc_same) = schemes["old"], schemes["same"]
    assert rc_same == 0
    capsys.readouterr()
    assert main(["campaign", "compare", old, same]) == 0
    text = capsys.readouterr().out
    assert "no significant change" in text and "no significant regression" in text


def test_bisect_step_good_bad_skip(schemes, capsys):
    """Against the known-bad NEW campaign (3/3 failures), with its scheme file rewritten as a bisection's
    checkout would: the correct scheme is good, the regressed one bad, a file that does not compile skipped."""
    new, _ = schemes["new"]
    path = Path(new).parent / "scheme.c"
    try:
        path.write_text(GOOD)
        assert main(["bisect-step", new, "--confidence", "0.9"]) == 0
        need = runs_for_good(0.9, wilson(3, 3)[0])
        assert f"good: {need} clean runs" in capsys.readouterr().out
        path.write_text(REGRESSED)
        assert main(["bisect-step", new, "--confidence", "0.9"]) == 1
        assert "bad: a failure on run" in capsys.readouterr().out
        path.write_text(BROKEN)
        assert main(["bisect-step", new, "--confidence", "0.9"]) == 125
        assert "skip: the soak could not run here (exit 2)" in capsys.readouterr().out
    finally:
        path.write_text(REGRESSED)


def test_bisect_step_from_one_run_json(schemes, capsys):
    new, _ = schemes["new"]
    run = next(os.path.join(new, r["json_path"]) for r in index(new))
    assert main(["bisect-step", run, "--confidence", "0.5"]) == 1
    out = capsys.readouterr().out
    assert f"known-bad failure rate 1/1 (95% Wilson lower bound {wilson(1, 1)[0]:.3g}" in out


@pytest.mark.parametrize("text, words", [
    ("[matrix]\nscheme = 'rcu-typesafe'\nspeed = 3\n", "unknown key 'speed'"),
    ("colour = 1\n[matrix]\nscheme = 'rcu-typesafe'\n", "unknown key 'colour'"),
    ("[matrix]\nscheme = 'rcu-nonesuch'\n", "unknown scheme 'rcu-nonesuch'"),
    ("replicas = 2\n", "no [matrix] table"),
    ("[matrix]\n", "is empty"),
    ("[matrix]\nscheme = []\n", "empty list"),
    ("budget = '100ms'\n[matrix]\nscheme = 'rcu-typesafe'\nduration = '1s'\n", "cannot fit one scenario"),
    ("[matrix]\nscheme = 'rcu-typesafe'\ncpus = '0'\n", "sets --cpus itself"),
    ("[matrix]\nscheme = 'rcu-typesafe'\nrcu = 'srcu'\n", "rcu: unknown --rcu 'srcu'"),
    ("[matrix]\nscheme = 'rcu-typesafe'\nmemory_model = 'strong'\n", "memory_model: unknown --memory-model 'strong'"),
    ("[matrix\n", "not valid TOML"),
    ("[matrix]\nscheme = 'rcu-typesafe'\nnodes = 'many'\n", "nodes: not an integer: 'many'"),
    ("[matrix]\nscheme = 'rcu-typesafe'\nuntil_violation = 'yes'\n", "expected true or false"),
    ("[matrix]\nscheme = 'rcu-typesafe'\nnodes = true\n", "expected a value for --nodes"),
])
def test_bad_campaign_file_one_line_exit_2(tmp_path, capsys, text, words):
    assert main(["campaign", "run", campaign_file(tmp_path, text), "--out", str(tmp_path / "out")]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and err.startswith("error: ") and words in err, err
    assert not (tmp_path / "out").exists()


def test_unreachable_scheduler_one_line_exit_2_nothing_written(tmp_path, capsys):
    path = campaign_file(tmp_path, BUILTIN.format(replicas=1))
    assert main(["campaign", "run", path, "--out", str(tmp_path / "out"), "--scheduler", "no-such-address"]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "cannot reach the Dask scheduler no-such-address" in err
    assert not (tmp_path / "out").exists()


def test_resume_after_interrupt_skips_finished_runs(tmp_path, capsys):
    out = str(tmp_path / "out")
    text = "replicas = 3\n[matrix]\nscheme = 'rcu-typesafe'\nduration = '0.5s'\n"
    # Started as from a terminal, whatever started pytest: a shell that runs the suite in the background has
    # SIGINT ignored, and Python leaves an inherited SIG_IGN as it is (no KeyboardInterrupt ever comes).
    proc = subprocess.Popen([sys.executable, "-m", "harness", "campaign", "run", campaign_file(tmp_path, text),
                             "--out", out], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL))
    for line in proc.stdout:   # the campaign's own progress line says when the first run is in
        if line.startswith("campaign: 1/3 done"):
            proc.send_signal(signal.SIGINT)
            break
    rest, err = proc.communicate(timeout=60)
    assert proc.returncode == 130, err
    assert f"resume with: python -m harness campaign run --resume {out}" in err
    before = {(r["replica"], r["started"], r["seed"]) for r in index(out)}
    assert 1 <= len(before) < 3
    assert main(["campaign", "run", "--resume", out]) == 0
    assert f"{3 - len(before)} runs to go" in capsys.readouterr().out
    after = index(out)
    assert sorted(r["replica"] for r in after) == [0, 1, 2]
    assert before <= {(r["replica"], r["started"], r["seed"]) for r in after}   # finished runs kept as they were


def test_campaign_directory_removed_mid_campaign_is_one_line_exit_2(tmp_path):
    """The directory removed while two runs go on: the first result cannot be recorded, so the campaign stops
    the soak still running and says so in one line (exit 2), without recreating the directory elsewhere."""
    import psutil
    out = tmp_path / "out"
    text = "[matrix]\nscheme = 'rcu-typesafe'\nreaders = 1\nwriters = 0\nduration = ['0.5s', '60s']\n"
    proc = subprocess.Popen([sys.executable, "-m", "harness", "campaign", "run", campaign_file(tmp_path, text),
                             "--out", str(out)], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    try:
        running_soak_logs(proc, out, 2)
        shutil.rmtree(out)
        _, err = proc.communicate(timeout=60)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    assert proc.returncode == 2, err
    assert err.count("\n") == 1 and err.startswith(f"error: campaign directory {out} was removed or replaced")
    assert not out.exists()
    left = [p for p in psutil.process_iter(["cmdline", "status"]) if p.info["status"] != psutil.STATUS_ZOMBIE
            and any(str(out) in a for a in p.info["cmdline"] or [])]
    assert not left, "the 60 s soak outlived its campaign"


def test_cpu_hour_budget_stops_and_resume_continues(tmp_path, capsys):
    """A budget that fits one 0.3 s run of 2 CPUs (0.6 CPU-seconds) but not two."""
    out = str(tmp_path / "out")
    text = "replicas = 3\ncpu_hours = 0.00025\n[matrix]\nscheme = 'rcu-typesafe'\nduration = '0.3s'\n"
    assert main(["campaign", "run", campaign_file(tmp_path, text), "--out", out]) == 0
    assert f"budget reached: 2 runs left; continue with: python -m harness campaign run --resume {out}" \
        in capsys.readouterr().out
    assert len(index(out)) == 1
    # the same file into the same directory adds replicas 3-5 (results accumulate); the budget runs one of them
    assert main(["campaign", "run", campaign_file(tmp_path, text), "--out", out]) == 0
    assert sorted(r["replica"] for r in index(out)) == [0, 3]


def test_cpu_locks_are_disjoint():
    ncpus = len(allowed_cpus())
    held: list[list[int]] = []
    inner_done = threading.Event()

    def take_rest():
        with host_cpus(ncpus - 1) as cpus:
            held.append(cpus)
        inner_done.set()

    with host_cpus(1) as mine:
        if ncpus > 1:
            t = threading.Thread(target=take_rest)
            t.start()
            t.join()
            assert inner_done.is_set() and not set(held[0]) & set(mine)
            assert sorted(held[0] + mine) == allowed_cpus()
    with pytest.raises(ConfigError, match="needs"):
        with host_cpus(ncpus + 1):
            pass


def test_statistics():
    assert runs_for_good(0.95, 0.1) == 29                      # ln(0.05)/ln(0.9) = 28.4
    assert 0.27 < wilson(0, 10)[1] < 0.31                     # about the rule of three's 3/n
    assert fisher_p(1, 10, 3, 10) > 0.05                       # a raw difference is not a regression
    assert mannwhitney_p([100.0 + i for i in range(8)], [200.0 + i for i in range(8)]) < 0.01
    assert mannwhitney_p([1.0], []) is None


def test_every_soak_flag_is_a_campaign_key():
    """Keys come from the soak's parameter table: the memory model and the writer's operations are matrix
    axes like any other, and reach the soak as its own flags."""
    from harness.campaign.spec import parse
    c = parse("[matrix]\nscheme = 'rcu-typesafe'\nmemory_model = ['native', 'weak']\nwriter_ops = 'attach,destroy'\n"
              "adversarial = false\n")
    args = sorted(" ".join(s.soak_args()) for s in c.scenarios)
    assert len(args) == 2 and all("--writer-ops attach,destroy" in a and "--no-adversarial" in a for a in args)
    assert "--memory-model weak" in args[1] and "--memory-model native" in args[0]


def test_soak_stopped_from_outside_is_recorded_interrupted(tmp_path, capsys):
    """SIGTERM to one soak of a campaign (not to the campaign): the run is INTERRUPTED, shown by summary,
    pending for --resume, and the campaign does not exit 0. The soak's log in DIR/.running says when it runs."""
    import psutil
    out = tmp_path / "out"
    text = "[matrix]\nscheme = 'rcu-typesafe'\nduration = '60s'\n"
    proc = subprocess.Popen([sys.executable, "-m", "harness", "campaign", "run", campaign_file(tmp_path, text),
                             "--out", str(out)], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        running_soak_logs(proc, out, 1)
        soak = next(p for p in psutil.Process(proc.pid).children(recursive=True)
                    if "soak" in p.cmdline() and "harness" in p.cmdline())
        soak.send_signal(signal.SIGTERM)
        _, err = proc.communicate(timeout=60)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    assert proc.returncode == 130, err
    assert "1 runs were stopped from outside the campaign and not judged; run them again with: python -m harness " \
           f"campaign run --resume {out}" in err
    assert [r["verdict"] for r in index(out)] == ["INTERRUPTED"]
    assert not (out / ".running").exists()
    assert main(["campaign", "summary", str(out)]) == 0
    table = capsys.readouterr().out.splitlines()
    assert table[0].split()[:5] == ["scenario", "runs", "fail", "err", "int"] and table[1].split()[1:5] == \
        ["1", "0", "0", "1"]
    assert any(ln.startswith("interrupted: rcu-typesafe_1r1w_60s replica 0: stopped from outside") for ln in table)
    from harness.campaign.store import Store
    assert [(j["scenario"], j["replica"]) for j in Store(str(out), create=False).pending()] == \
        [("rcu-typesafe_1r1w_60s", 0)]


def test_resume_recovers_what_a_killed_campaign_finished(tmp_path, capsys):
    """A SIGKILLed campaign leaves the report of a soak that finished in DIR/.running (the soak outlived it):
    --resume records it instead of running it again, and clears the work directory."""
    import json

    import harness
    from harness.campaign.store import Store
    out = tmp_path / "out"
    scenario = "rcu-typesafe_alloc_1r1w_0.2s"
    store = Store(str(out))
    store.plan(str(tmp_path / "c.toml"), "[matrix]\nscheme = 'rcu-typesafe'\nduration = '0.2s'\n",
               [{"scenario": scenario, "replica": r, "args": ["--scheme", "rcu-typesafe", "--duration", "0.2s"],
                 "cpus": 2, "duration": 0.2} for r in (0, 1)])
    store.db.close()
    finished = out / ".running" / f"{scenario}#0-k1ll3d"
    finished.mkdir(parents=True)
    (finished / "run.json").write_text(json.dumps(harness.run(harness.Config(duration=0.2, seed=6)).report))
    half = out / ".running" / f"{scenario}#1-k1ll3d"
    half.mkdir()
    (half / "run.json").write_text('{"verdict": "SUCC')   # cut short: not a report, run again
    assert main(["campaign", "run", "--resume", str(out)]) == 0
    text = capsys.readouterr().out
    assert f"campaign {out}: 1 runs that finished as the campaign was killed recovered" in text
    assert f"campaign {out}: 1 runs to go" in text
    rows = {r["replica"]: r for r in index(out)}
    assert rows[0]["seed"] == 6 and rows[0]["verdict"] == "SUCCESS" and rows[1]["verdict"] == "SUCCESS"
    assert not (out / ".running").exists()


class _TwoCpuDask:
    """A Dask client whose only worker advertises 1 CPU."""

    def scheduler_info(self):
        return {"workers": {"tcp://w:1": {"resources": {"CPU": 1}}}}


def test_dask_resources_refused_before_anything_is_planned(tmp_path, capsys):
    from harness.campaign.dask_runner import DaskRunner
    from harness.campaign.run import _run
    out = tmp_path / "out"
    with pytest.raises(ConfigError, match="needs 2 CPUs, but no Dask worker advertises that many"):
        _run(campaign_file(tmp_path, BUILTIN.format(replicas=6)), str(out), None, "fake",
             lambda: DaskRunner(_TwoCpuDask()))
    assert not out.exists()


def test_bisect_step_aborts_when_a_soak_is_stopped_from_outside(tmp_path, monkeypatch, capsys):
    """An INTERRUPTED soak is no evidence for "good": bisect-step exits 130, which aborts `git bisect run`."""
    import json

    import harness
    import harness.campaign.bisect as bisect
    rep = harness.run(harness.Config(scheme="busted-gp", until_violation=True, duration=2, seed=1)).report
    assert rep["verdict"] == "FAILURE"
    path = tmp_path / "bad.json"
    path.write_text(json.dumps(rep))

    class Interrupted:
        def run(self, jobs, on_result, on_tick, tick_s):
            on_result({**jobs[0], "verdict": "INTERRUPTED", "exit_code": 143, "log": ""})
            return "stopped"
    monkeypatch.setattr(bisect, "LocalRunner", Interrupted)
    assert main(["bisect-step", str(path), "--confidence", "0.9"]) == 130
    assert "a soak was stopped from outside (exit 130/143): aborting the bisection" in capsys.readouterr().out


CLUSTER_OF_TWO = CLUSTER.replace("n_workers=1, threads_per_worker=n", "n_workers=2, threads_per_worker=1")


def test_lost_dask_worker_is_an_event_and_its_run_counts_two_attempts(tmp_path, capsys):
    """SIGKILL the Dask worker whose soak is running: the campaign prints the loss as an event, the run is rerun
    (on the other worker, or the nanny's new one) and counts 2 attempts, and the lost attempt's work directory
    (its soak stopped by SIGTERM through setpriv --pdeathsig) is removed: nothing is left in the cluster's temp
    directory."""
    import psutil
    temp = tmp_path / "temp"
    temp.mkdir()
    cluster = subprocess.Popen([sys.executable, "-c", CLUSTER_OF_TWO], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                               stderr=subprocess.DEVNULL, text=True, env={**os.environ, "TMPDIR": str(temp)})
    killed: list[int] = []

    def kill_the_worker_of_the_first_soak() -> None:
        while True:   # the soak is up once its log has its start line
            logs = list(temp.glob("harness-campaign-*/log"))
            if logs and "reproduce:" in logs[0].read_text():
                break
            time.sleep(0.02)   # a poll interval; the soak's start line is the synchronization
        soak = next(p for p in psutil.Process(cluster.pid).children(recursive=True)
                    if "soak" in p.cmdline() and "harness" in p.cmdline())
        killed.append(soak.parent().pid)
        soak.parent().kill()

    try:
        address = cluster.stdout.readline().strip()
        killer = threading.Thread(target=kill_the_worker_of_the_first_soak, daemon=True)
        killer.start()
        text = "[matrix]\nscheme = 'rcu-typesafe'\nduration = '2s'\n"
        rc = main(["campaign", "run", campaign_file(tmp_path, text), "--out", str(tmp_path / "out"),
                   "--scheduler", address])
        killer.join(60)
    finally:
        cluster.stdin.close()
        cluster.wait(timeout=60)
    out = capsys.readouterr().out
    assert rc == 0 and killed, out
    assert any(ln.startswith("event: Dask worker tcp://") and " lost" in ln for ln in out.splitlines()), out
    rows = index(tmp_path / "out")
    assert [(r["verdict"], r["attempts"]) for r in rows] == [("SUCCESS", 2)]
    left = [p.name for p in temp.glob("harness-*") if not p.name.startswith("harness-cpu-locks-")]
    assert not left, left   # neither the lost attempt's work directory nor a report its soak could not write


@pytest.mark.parametrize("code, report, verdict", [
    (0, '{"verdict": "SUCCESS"}', "SUCCESS"),
    (1, '{"verdict": "FAILURE"}', "FAILURE"),
    (130, '{"verdict": "FAILURE"}', "FAILURE"),        # a violation found, then stopped from outside: kept
    (143, '{"verdict": "FAILURE"}', "FAILURE"),
    (130, '{"verdict": "INTERRUPTED"}', "INTERRUPTED"),
    (143, None, "INTERRUPTED"),                        # stopped before it could write a report
    (130, None, "INTERRUPTED"),
    (2, None, "ERROR"),
    (1, None, "ERROR"),                                # a FAILURE exit with no report to show for it
    (0, '{"verdict": "SUCC', "ERROR"),                 # a report cut short
    (-9, None, "ERROR"),
])
def test_a_runs_verdict_is_its_reports_then_its_exit_status(code, report, verdict):
    from harness.campaign.execute import run_verdict
    assert run_verdict(code, report) == verdict
