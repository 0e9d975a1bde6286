"""Hostile cases of a run's life: settings at their extremes, faults that cannot happen as asked, signals
from the environment, schemes that fork or never return. Each case states its exit status and the one line
(or the verdict) it must print; none may leave a process or a /dev/shm entry behind (conftest checks the
latter and our own children; the signal cases also follow every descendant, orphans included)."""

import json
import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

import psutil
import pytest

from harness.cli import main

HERE = Path(__file__).resolve().parent / "lifecycle"
FORKING, LOOPING = str(HERE / "forking_read.c"), str(HERE / "looping_read.c")
HUGE = "9" * 400   # a number of seconds no float holds

# (soak flags, the one error line must contain this): bad input, exit 2, nothing started
REFUSED = [
    (["--inject", "reader-stall@0.2:3s", "--duration", "1"], "would last until 3.2s, past the run's end (1s)"),
    (["--inject", "reader-stall", "--duration", "2.5"], "would last until 3s, past the run's end (2.5s)"),
    (["--inject", "arena-exhaust@0.5:1s", "--duration", "1"], "would last until 1.5s, past the run's end (1s)"),
    (["--inject", "arena-exhaust", "--duration", "1.5"], "would last until 2s, past the run's end (1.5s)"),
    (["--inject", "reader-stall@1ns:1ns", "--duration", "1ns"], "would fire after the run ends"),
    (["--inject", "reader-stall@0.1:1s", "--inject", "arena-exhaust@0.1:2s", "--duration", "2"],
     "would last until 2.1s, past the run's end (2s)"),
    (["--inject", "worker-crash@1", "--duration", "1"], "would fire after the run ends (1s)"),
    (["--inject", "orchestrator-kill@5", "--duration", "1"], "would fire after the run ends (1s)"),
    (["--inject", "arena-exhaust@0.1:0s"], "times must be positive"),
    (["--inject", "reader-stall@-1"], "times must be positive"),
    (["--duration", "1e-9"], "malformed duration '1e-9'"),
    (["--duration", "inf"], "malformed duration 'inf'"),
    (["--duration", HUGE], "is too long to be a number of seconds"),
    (["--duration=-1ns"], "duration must be positive"),
    (["--duration", "0ns"], "duration must be positive"),
    (["--shuffle", HUGE], "is too long to be a number of seconds"),
    (["--stutter", f"1:{HUGE}"], "is too long to be a number of seconds"),
    (["--stutter", "1ns:0"], "stutter needs both a run and a pause time"),
    (["--read-delay", f"5:{HUGE}"], "is too long to be a number of seconds"),
    (["--writer-delay", HUGE], "is too long to be a number of seconds"),
    (["--stall-bound", HUGE], "is too long to be a number of seconds"),
    (["--read-delay", "1000:4295ms"], "--read-delay 1000:4295ms is out of range: must be 0 .. 4.29 s"),
    (["--access-delay", "1000:5s"], "--access-delay 1000:5s is out of range: must be 0 .. 4.29 s"),
    (["--writer-delay", "4295ms"], "--writer-delay 4295ms is out of range: must be 0 .. 4.29 s"),
    (["--writer-period", "1h"], "--writer-period 1h is out of range: must be 0 .. 4.29 s"),
    (["--read-delay", "1001"], "--read-delay 1001 is out of range: must be 0 .. 1000 per mille"),
    (["--access-delay=-1:1us"], "--access-delay -1:1us is out of range: must be 0 .. 1000 per mille"),
    (["--stall-bound", "0.1ms"], "--stall-bound 0.1ms is out of range: must be 1 ms .. "),
    (["--interval", "0"], "--interval must be positive"),
    (["--duration", "1", "--interval", HUGE], "is too long to be a number of seconds"),
]


@pytest.mark.parametrize("args, says", REFUSED, ids=[" ".join(a)[:60] for a, _ in REFUSED])
def test_refused_with_one_line(capsys, args, says):
    assert main(["soak", "--quiet", *args]) == 2
    out, err = capsys.readouterr()
    assert not out and err.count("\n") == 1 and err.startswith("error: ") and says in err, err


# (soak flags): settings the parser accepts, at their extremes, on a correct scheme: SUCCESS, exit 0
ACCEPTED = [
    ["--read-delay", "1000:4s"],
    ["--access-delay", "1000:4s"],
    ["--writer-delay", "4s"],
    ["--read-delay", "1000:4294967295ns", "--access-delay", "1000:4294967295ns", "--writer-delay", "4294967295ns"],
    ["--scheme", "rcu-deferred", "--read-delay", "1000:4s", "--rcu", "mb"],
    ["--scheme", "refcount", "--access-delay", "1000:4s"],
    ["--writer-period", "4s"],
    ["--stall-bound", "1ms", "--read-delay", "1000:1s"],
    ["--inject", "reader-stall@0.1:0.2s"],                # ends exactly as the run does
    ["--inject", "arena-exhaust@0:0.3s"],
    ["--shuffle", "1ns"],
    ["--stutter", "1ns:1ns"],
    ["--stutter", "1ms:4s"],
]


@pytest.mark.parametrize("args", ACCEPTED, ids=[" ".join(a)[:60] for a in ACCEPTED])
def test_accepted_setting_never_fails_a_correct_scheme(capsys, args):
    assert main(["soak", "--quiet", "--duration", "0.3", "--seed", "3", *args]) == 0, capsys.readouterr().out
    out = capsys.readouterr().out
    assert any(line.startswith("SUCCESS: violations=0") for line in out.splitlines()), out
    assert "hang" not in out


def _running(proc: psutil.Process) -> bool:
    try:
        return proc.status() != psutil.STATUS_ZOMBIE   # a zombie is dead, waiting for whoever adopted it
    except psutil.NoSuchProcess:
        return False


def _descendants_gone(tree: list[psutil.Process]) -> bool:
    """Every process of the soak's tree, orphans reparented elsewhere included, is dead within 1 s."""
    deadline = time.monotonic() + 1.0
    while any(_running(p) for p in tree) and time.monotonic() < deadline:
        time.sleep(0.01)   # polling for a death that must come within the deadline
    return not any(_running(p) for p in tree)


def _start(tmp_path, *args, ready=lambda line: True):  # type: ignore[no-untyped-def]
    """A soak in a session of its own, once a status line (every worker up and running) says it is `ready`;
    its process tree, and its report's path."""
    path = tmp_path / "r.json"
    p = subprocess.Popen([sys.executable, "-m", "harness", "soak", "--interval", "0.1", "--json", str(path), *args],
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, start_new_session=True)
    for line in p.stdout:
        if line.startswith("t=") and ready(line):
            break
    return p, [psutil.Process(p.pid), *psutil.Process(p.pid).children(recursive=True)], path


def _to_group(p, tree, sig):  # type: ignore[no-untyped-def]
    os.killpg(p.pid, sig)


def _to_every_process(p, tree, sig):  # type: ignore[no-untyped-def]
    """What a supervisor that signals the whole tree (or a `kill -- -PGID` of old) does."""
    for proc in tree:
        try:
            proc.send_signal(sig)
        except psutil.NoSuchProcess:
            pass


def _then_sigterm_to_group(p, tree, sig):  # type: ignore[no-untyped-def]
    """`sig`, then a SIGTERM while stopping: a second signal (the same one twice could merge into one; a
    lower-numbered one is handled first even when both are pending at once)."""
    assert sig < signal.SIGTERM
    os.killpg(p.pid, sig)
    os.killpg(p.pid, signal.SIGTERM)


def _counted(name: str, at_least: int):  # type: ignore[no-untyped-def]
    """A status line whose `name=` count is at least this."""
    return lambda line: int(re.search(rf" {name}=(\d+)", line).group(1)) >= at_least  # type: ignore[union-attr]


ONE_READER = ["--readers", "1", "--writers", "1"]
LOOPS = _counted("ops", 4096)   # looping_read's reader has published 4096 reads: its next one never returns

# (soak flags, when to send, how, which signal, exit status, verdict, the line the output must hold)
SIGNALLED = [
    ([], None, _to_group, signal.SIGTERM, 143, "INTERRUPTED", "interrupted by SIGTERM: stopping the run"),
    ([], None, _to_group, signal.SIGINT, 130, "INTERRUPTED", "interrupted by SIGINT: stopping the run"),
    ([], None, _to_every_process, signal.SIGTERM, 143, "INTERRUPTED", "interrupted by SIGTERM: stopping the run"),
    (["--scheme-file", FORKING], None, _to_group, signal.SIGTERM, 143, "INTERRUPTED", "interrupted by SIGTERM"),
    (["--scheme-file", LOOPING, *ONE_READER], LOOPS, _then_sigterm_to_group, signal.SIGINT, 130, "INTERRUPTED",
     "worker 0 killed unfinished: a second signal cut the wait for it short"),
    (["--scheme-file", LOOPING, *ONE_READER], LOOPS, _to_group, signal.SIGINT, 1, "FAILURE",
     "!!! hang: worker 0 (reader"),
    (["--scheme", "busted-gp", *ONE_READER], _counted("violations", 1), _to_group, signal.SIGTERM, 1, "FAILURE",
     "interrupted by SIGTERM: stopping the run"),
]


@pytest.mark.parametrize("args, ready, send, sig, code, verdict, says", SIGNALLED,
                         ids=[f"{' '.join(a)[-22:]} {s.__name__} {g.name}" for a, _, s, g, *_ in SIGNALLED])
def test_signal_ends_the_run_with_a_verdict_and_leaves_nothing(tmp_path, scheme_cache, args, ready, send, sig, code,
                                                               verdict, says):
    shm = set(os.listdir("/dev/shm"))
    p, tree, path = _start(tmp_path, "--duration", "60", "--seed", "4", *args, ready=ready or (lambda line: True))
    send(p, tree, sig)
    out, err = p.communicate(timeout=60)
    assert p.returncode == code, out + err
    assert _descendants_gone(tree)
    assert set(os.listdir("/dev/shm")) <= shm
    rep = json.loads(path.read_text())
    assert rep["verdict"] == verdict and rep["status"] == "interrupted" and rep["interrupted"]["signal"] == sig.name
    assert not rep["crashes"] and rep["ops"] > 0
    assert (rep["violations"] > 0) == (verdict == "FAILURE")
    assert any(line.startswith(f"{verdict}: violations=") for line in out.splitlines()) and says in out, out
    assert "Traceback" not in err


def test_forking_scheme_leaves_no_child_when_the_run_ends(tmp_path, scheme_cache):
    p, tree, path = _start(tmp_path, "--duration", "0.5", "--scheme-file", FORKING, *ONE_READER)
    out, err = p.communicate(timeout=60)
    assert p.returncode == 0 and json.loads(path.read_text())["verdict"] == "SUCCESS", out + err
    assert len(tree) == 1 + 2 + 1 + 1   # the orchestrator, the workers, the reclaimer, what the reader forked
    assert _descendants_gone(tree)


def test_forking_scheme_leaves_no_child_when_the_orchestrator_is_sigkilled(tmp_path, scheme_cache):
    """SIGKILL to the orchestrator alone: its workers die with it, and so does what a reader forked (a child
    keeps no parent-death signal: the worker takes its process group down with it)."""
    p, tree, _ = _start(tmp_path, "--duration", "60", "--scheme-file", FORKING, *ONE_READER)
    assert len(tree) == 1 + 2 + 1 + 1   # the orchestrator, the workers, the reclaimer, what the reader forked
    p.kill()
    p.communicate(timeout=60)
    assert _descendants_gone(tree)


def _failing_report(tmp_path):  # type: ignore[no-untyped-def]
    path = tmp_path / "f.json"
    assert main(["soak", "--quiet", "--scheme", "busted-gp", "--duration", "3", "--until-violation", "--seed", "1",
                 "--readers", "1", "--writers", "1", "--json", str(path)]) == 1
    return path


@pytest.mark.parametrize("command, says", [
    (["repro", "--runs", "1000"], "interrupted by SIGTERM after"),
    (["shrink", "--trials", "1000", "--rate", "1"], "interrupted by SIGTERM: stopping here"),
])
def test_repro_and_shrink_stopped_by_a_signal_print_and_save_what_they_have(tmp_path, capsys, command, says):
    run = _failing_report(tmp_path)
    capsys.readouterr()
    out_json = tmp_path / "out.json"
    p = subprocess.Popen([sys.executable, "-m", "harness", command[0], str(run), *command[1:], "--json", str(out_json)],
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, start_new_session=True)
    for line in p.stdout:   # repro: one rerun done, there is something to print and save; shrink: searching
        if line.startswith(("run 1/", "shrink: ")):
            break
    tree = [psutil.Process(p.pid), *psutil.Process(p.pid).children(recursive=True)]
    os.killpg(p.pid, signal.SIGTERM)
    out, err = p.communicate(timeout=60)
    assert p.returncode == 143, out + err
    assert says in out and "Traceback" not in err, out + err
    saved = json.loads(out_json.read_text())
    assert saved["interrupted"] == "SIGTERM"
    if command[0] == "repro":
        assert 1 <= saved["runs"] < 1000 and saved["runs_asked"] == 1000
        assert f"reproduced in {saved['failures']} of {saved['runs']} runs" in out
    else:
        assert "smallest failing command so far" in out and saved["command"].startswith("python -m harness soak")
    assert _descendants_gone(tree)
