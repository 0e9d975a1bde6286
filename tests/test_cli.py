"""The command line contract: exit codes, one-line errors, the JSON report."""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from harness.report.report_schema import schema_error
from harness.build.userscheme import core_for

GOOD_SCHEME = Path(__file__).resolve().parent.parent / "examples" / "good_scheme.c"


def harness_cli(*args, timeout=60):
    return subprocess.run([sys.executable, "-m", "harness", *args], capture_output=True, text=True, timeout=timeout)


def test_list_marks_busted_schemes():
    out = harness_cli("list").stdout.splitlines()
    assert any("busted-gp" in l and "busted" in l.split()[2] for l in out)
    assert any(l.split()[:2] == ["workload", "unused"] for l in out)


def test_soak_json_report(tmp_path):
    path = tmp_path / "r.json"
    p = harness_cli("soak", "--duration", "1", "--seed", "9", "--json", str(path), "--quiet")
    assert p.returncode == 0, p.stderr
    rep = json.loads(path.read_text())
    for key in ("violations", "violations_by_kind", "first_violation_s", "ops", "ops_per_s", "near_misses", "gp",
                "workers", "config"):
        assert key in rep
    assert rep["violations"] == 0 and rep["first_violation_s"] is None and rep["ops"] > 0
    assert {"count", "p50_ns", "p99_ns"} <= set(rep["gp"])
    assert all({"role", "pid", "cpu", "cpus_seen", "ops"} <= set(w) for w in rep["workers"])
    assert "--seed 9" in p.stdout and "SUCCESS" in p.stdout


def test_soak_exit_1_on_violation(tmp_path):
    p = harness_cli("soak", "--scheme", "busted-gp", "--duration", "5", "--until-violation", "--seed", "1", "--quiet")
    assert p.returncode == 1 and "FAILURE" in p.stdout


@pytest.mark.parametrize("args", [
    ["--scheme", "nope"], ["--rcu", "nope"], ["--workload", "nope"], ["--cpus", "4096"], ["--cpus", "0-x"],
    ["--cpus", "3-1"], ["--readers", str(len(os.sched_getaffinity(0)) + 1)], ["--duration", "0"],
    ["--duration", "-5"], ["--duration", "abc"], ["--writers", "-1"],
    ["--inject", "bogus"], ["--inject", "reader-stall@x"], ["--inject", "worker-crash:2s"],
    ["--inject", "reader-kill", "--readers", "1"], ["--inject", "reader-stall", "--scheme", "task-lock"],
    ["--inject", "arena-exhaust@20s", "--duration", "1"], ["--stutter", "5s"], ["--shuffle", "-1"],
    ["--stall-bound", "soon"], ["--inject", "reader-stall@0.5:2s", "--inject", "worker-crash@1"],
    ["--inject", "arena-exhaust@0.5:2s", "--inject", "arena-exhaust@1:1s"], ["--access-delay", "x"],
    ["--access-delay", "2000"], ["--read-delay", "5:soon"], ["--seed", "-5"], ["--seed", str(2**64)],
    ["--json", "/nonexistent-dir/r.json"], ["--stall-bound", "0"], ["--writer-ops", "attach,bogus"],
    ["--writer-ops", ""], ["--memory-model", "strong"], ["--memory-model", "weak", "--no-checks"],
])
def test_bad_input_one_line_exit_2(args):
    before = set(os.listdir("/dev/shm"))
    p = harness_cli("soak", *args)
    assert p.returncode == 2
    assert len(p.stderr.strip().splitlines()) == 1 and p.stderr.startswith("error: "), p.stderr
    assert "Traceback" not in p.stderr
    assert set(os.listdir("/dev/shm")) == before


def test_config_refuses_what_the_flags_cannot_say():
    """Config from Python gets the checks the flags' parsers give the command line."""
    from harness.soak.config import Config
    from harness.soak.parse import ConfigError
    for bad, says in (({"writer_ops": []}, "writer operations"), ({"writer_ops": ["fork"]}, "writer operations"),
                      ({"memory_model": "strong"}, "unknown memory model")):
        with pytest.raises(ConfigError, match=says):
            Config(**bad).resolved()


def _soak_in_background(*extra):
    p = subprocess.Popen([sys.executable, "-m", "harness", "soak", "--duration", "60", "--interval", "0.2", *extra],
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    for line in p.stdout:   # the first status line: every worker is up, pinned and running
        if line.startswith("t="):
            break
    return p


@pytest.mark.parametrize("signame, code", [("SIGINT", 130), ("SIGTERM", 143)])
def test_interrupt_writes_report_and_exits_128_plus_signal(tmp_path, signame, code):
    import signal
    path = tmp_path / "r.json"
    p = _soak_in_background("--json", str(path))
    p.send_signal(getattr(signal, signame))
    out, _ = p.communicate(timeout=30)
    assert p.returncode == code
    rep = json.loads(path.read_text())
    assert rep["status"] == "interrupted" and rep["ops"] > 0 and rep["interrupted"]["signal"] == signame
    assert rep["verdict"] == "INTERRUPTED" and any(l.startswith("INTERRUPTED: violations=0") for l in out.splitlines())
    assert rep["series"] and rep["series"][-1]["ops"] <= rep["ops"]   # at least the status line we waited for
    assert schema_error(rep) is None


def test_orchestrator_sigkill_leaves_nothing():
    import signal

    import psutil
    p = _soak_in_background()
    workers = psutil.Process(p.pid).children()
    assert workers
    p.send_signal(signal.SIGKILL)
    p.wait(10)
    gone, alive = psutil.wait_procs(workers, timeout=3)
    assert not alive


def test_output_reader_leaving_does_not_end_the_run(tmp_path):
    """`soak | head -1`: the rest of the output is dropped, the run finishes, writes its report, exits 0."""
    path = tmp_path / "r.json"
    p = subprocess.Popen([sys.executable, "-m", "harness", "soak", "--duration", "0.5", "--interval", "0.05",
                          "--json", str(path)], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    assert p.stdout.readline().startswith("start:")
    p.stdout.close()
    assert p.wait(60) == 0
    assert "Traceback" not in p.stderr.read()
    assert json.loads(path.read_text())["verdict"] == "SUCCESS"


def test_no_grace_period_shows_no_latency():
    p = harness_cli("soak", "--scheme", "task-lock", "--duration", "0.3", "--quiet")
    assert p.returncode == 0 and " gp=0 gp_p50=- gp_p99=-" in p.stdout, p.stdout


def test_version_and_help_with_defaults():
    v = harness_cli("--version")
    assert v.returncode == 0 and v.stdout.startswith("python -m harness 0.")
    h = harness_cli("soak", "--help").stdout
    assert "(default: alloc)" in h and "(default: 1s)" in h


def test_reproduce_line_is_exact_and_complete(tmp_path, monkeypatch):
    """The reproduce line parses back, through the soak flags, into the very same run: every parameter of the
    table set away from its default (durations that %g would mangle, a scheme file by its absolute path,
    amplifier settings, faults) survives the round trip, and the defaults stay off the line."""
    import shlex
    from dataclasses import asdict
    from harness.cli import build_parser, config_from_args
    from harness.soak.config import Config
    from harness.soak.config import PARAMS
    monkeypatch.chdir(tmp_path)
    scheme = tmp_path / "my scheme.c"
    scheme.write_text(GOOD_SCHEME.read_text())
    c = Config(duration=300 * 3600, writer_period=10_000, nodes=16, pages_per_node=64, ops=5, writers=0,
               readers=1, shuffle=0.25, stutter=[0.1, 0.05], inject=["reader-stall@0.5s:0.125s"],
               writer_delay=1500, read_delay=[7, 3000], access_delay=[0, 20000],
               adversarial=False, job_nodes=3, stall_bound=250, until_violation=True, oversubscribe=True, seed=2**64 - 1,
               rcu="mb", workload="deref", writer_ops=["destroy", "attach"],
               scheme_file=str(scheme.name)).resolved(core_for(str(scheme)))
    cmd = c.command()
    assert "--duration 1080000 " in cmd and "--writer-period 10us" in cmd and "--writer-delay 1500ns" in cmd
    assert shlex.quote(str(scheme)) in cmd
    words = shlex.split(cmd)
    assert words[:4] == ["python", "-m", "harness", "soak"]
    back = config_from_args(build_parser().parse_args(words[3:])).resolved(core_for(str(scheme)))
    assert asdict(back) == asdict(c)
    given = {w.replace("--no-", "--") for w in words if w.startswith("--")}
    assert {p.flag for p in PARAMS} - given <= {"--memory-model", "--checks"}   # the two left at their default
    plain = Config(seed=1).resolved().command()   # at the defaults only what a reader needs to see
    assert [w for w in plain.split() if w.startswith("--")] == [p.flag for p in PARAMS if p.always]


def test_report_records_where_it_came_from(tmp_path):
    path = tmp_path / "r.json"
    p = harness_cli("soak", "--duration", "0.2", "--quiet", "--json", str(path))
    assert p.returncode == 0, p.stderr
    rep = json.loads(path.read_text())
    assert rep["harness_version"] and rep["machine"]["cpus_allowed"] and rep["machine"]["kernel"]
    assert "scheme_file_sha256" in rep
