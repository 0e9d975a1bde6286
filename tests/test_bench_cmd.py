"""`python -m harness bench`: bad input is one line and exit 2 before anything runs; the statistics say
"cheaper" only when the interval excludes 1; rounds are interleaved; a real short comparison and scaling
sweep write what they print; a round with a crashed worker gives no answer, nor does one cut by SIGINT."""

import io
import json
import os
import signal
import subprocess
import sys
from pathlib import Path

import psutil
import pytest

from harness.bench import compare, noise, rounds, stats
from harness.bench.rounds import RoundResult
from harness.cli import main
from harness.soak.config import Config

STRAY_WRITES = Path(__file__).resolve().parent / "hostile" / "stray_writes.c"


def shm_entries():
    return set(os.listdir("/dev/shm"))


@pytest.mark.parametrize("argv, says", [
    (["bench", "no-such-scheme", "task-lock"], "unknown scheme 'no-such-scheme'"),
    (["bench", "task-lock", "task-lock"], "a scheme is named twice"),
    (["bench", "task-lock", "--rounds", "2"], "--rounds must be a count >= 3"),
    (["bench", "task-lock", "--rounds", "many"], "--rounds must be a count >= 3"),
    (["bench", "task-lock", "--round", "0"], "--round must be between"),
    (["bench", "task-lock", "--writer-period", "fast"], "fast"),
    (["bench", "task-lock", "--workload", "nope"], "unknown --workload 'nope'"),
    (["bench", "task-lock", "--cpus", "4096"], "4096"),
    (["bench", "--scaling", "task-lock", "--readers", "1"], "--scaling chooses the reader counts itself"),
    (["bench", "--scaling", "task-lock", "--writers", "0"], "--scaling runs without a writer and with one"),
    (["bench"], "SCHEME"),
])
def test_bad_input_is_one_line_and_exit_2(capsys, argv, says):
    before = shm_entries()
    assert main(argv) == 2
    out, err = capsys.readouterr()
    assert err.count("\n") == 1 and err.startswith("error: ") and says in err, err
    assert out == ""
    assert shm_entries() <= before


def test_plot_without_matplotlib_is_one_line(capsys, monkeypatch, tmp_path):
    monkeypatch.setitem(sys.modules, "matplotlib", None)   # import matplotlib raises ModuleNotFoundError
    assert main(["bench", "task-lock", "--plot", str(tmp_path)]) == 2
    out, err = capsys.readouterr()
    assert err == "error: --plot needs matplotlib: pip install 'cpuset-rcu-harness[plot]'\n" and out == ""


def test_a_clear_difference_is_cheaper_with_an_interval_excluding_1():
    fast = [10.0, 10.4, 9.8, 10.1, 10.3, 9.9, 10.2, 10.0]
    slow = [12.1, 12.4, 11.9, 12.2, 12.0, 12.3, 12.1, 11.8]
    r, lo, hi = stats.ratio_ci(slow, fast)
    assert 1 < lo <= r <= hi and r == pytest.approx(12.1 / 10.05)
    line = compare.pair_line("a", "b", (r, lo, hi), "deref, 1 reader, no writer", 8)
    assert line.startswith(f"a is {r:.2f}x [{lo:.2f}, {hi:.2f}] cheaper than b on deref") and "n = 8 rounds" in line


def test_overlapping_rounds_are_no_significant_difference():
    a = [10.0, 12.0, 9.0, 11.5, 10.5, 9.5, 12.5, 11.0]
    b = [10.5, 11.0, 9.8, 12.0, 10.1, 9.2, 11.9, 10.8]
    r, lo, hi = stats.ratio_ci(a, b)
    assert lo < 1 < hi
    assert compare.pair_line("b", "a", (r, lo, hi), "alloc", 8).startswith("no significant difference: a / b")


def test_median_interval_holds_the_median_and_narrows_with_rounds():
    few = [10.0, 14.0, 9.0, 12.0, 11.0]
    med, lo, hi = stats.median_ci(few)
    assert lo <= med == 11.0 <= hi
    _, lo4, hi4 = stats.median_ci(few * 4)
    assert hi4 - lo4 < hi - lo


def test_noise_verdict_names_the_load_and_suggests_more_rounds():
    busy = noise.verdict(9.0, 2, {"a": 0.02, "b": 0.03}, 15, answered=False)
    assert busy["noisy"] and "other work 9.00 CPUs' worth on the 2 CPUs" in busy["line"] and "--rounds 60" in busy["line"]
    spread = noise.verdict(0.1, 2, {"a": 0.25}, 15, answered=True)
    assert spread["noisy"] and not spread["busy"] and "25% a" in spread["line"]
    quiet = noise.verdict(0.1, 2, {"a": 0.02, "b": 0.03}, 15, answered=True)
    assert not quiet["noisy"] and quiet["line"].startswith("noise: quiet")


def test_other_work_is_measured_on_the_bench_cpus(tmp_path, monkeypatch):
    """The busy share of the bench's CPUs over the window, from /proc/stat: 1 of 2 CPUs busy is 1 CPU's worth."""
    stats = iter(["cpu0 100 0 0 900 0 0 0 0\ncpu1 0 0 0 1000 0 0 0 0\n",
                  "cpu0 200 0 0 900 0 0 0 0\ncpu1 0 0 0 1100 0 0 0 0\n"])
    real_open = open
    monkeypatch.setattr(noise, "open", lambda path, *a: io.StringIO(next(stats)) if path == "/proc/stat"
                        else real_open(path, *a), raising=False)
    assert noise.other_work([0, 1], seconds=0) == pytest.approx(1.0)


def test_rounds_are_interleaved_with_the_order_rotated(monkeypatch):
    order = []

    def fake_round(core, config, seconds):
        order.append((config.scheme, config.seed))
        return RoundResult(1.0, [1.0], 1e9, 1, 0, 1.0)

    monkeypatch.setattr(compare, "run_round", fake_round)
    configs = {k: Config(scheme=k, seed=7) for k in ("a", "b", "c")}
    compare.interleaved(None, configs, 3, 0.1, lambda line: None)
    assert order == [("a", 7), ("b", 7), ("c", 7), ("b", 8), ("c", 8), ("a", 8), ("c", 9), ("a", 9), ("b", 9)]


def test_a_short_comparison_writes_what_it_prints(capsys, tmp_path):
    path = tmp_path / "bench.json"
    assert main(["bench", "rcu-typesafe", "task-lock", "--workload", "deref", "--writer-period", "10us",
                 "--rounds", "3", "--round", "50ms", "--json", str(path)]) == 0
    out = capsys.readouterr().out
    data = json.loads(path.read_text())
    assert data["schemes"] == ["rcu-typesafe/qsbr", "task-lock"]
    assert all(not c["checks"] for c in data["configs"].values())
    for label, rounds in data["round_results"].items():
        assert len(rounds) == 3 and all(r["ns_per_op"] > 0 and r["ops"] > 0 for r in rounds)
    pair, = data["pairs"]
    assert f"answer: {pair['answer']}" in out
    best = pair["best_window"]   # 50 ms rounds hold 2 ms windows
    assert f"answer, best 2 ms windows (preemption filtered out): {best['answer']}" in out
    assert best["ci_low"] <= best["ratio"] <= best["ci_high"]
    medians = {k: v["median_ns_per_op"] for k, v in data["medians"].items()}
    assert pair["ratio"] == pytest.approx(medians[pair["slower"]] / medians[pair["faster"]])
    assert data["noise"]["line"] in out


def test_scaling_runs_1_to_n_readers_with_and_without_a_writer(capsys, tmp_path):
    path = tmp_path / "scaling.json"
    assert main(["bench", "--scaling", "task-lock", "--workload", "deref", "--rounds", "3", "--round", "30ms",
                 "--json", str(path)]) == 0
    rows = json.loads(path.read_text())["scaling"]
    n = len(os.sched_getaffinity(0))
    assert {(r["readers"], r["writers"]) for r in rows} >= {(1, 0), (n, 0)} | ({(1, 1)} if n > 1 else set())
    assert all(r["ops_per_s"] > 0 and len(r["rounds"]) == 3 for r in rows)
    assert "total Mops/s" in capsys.readouterr().out


def test_a_round_with_a_crashed_worker_gives_no_answer(capsys, monkeypatch):
    monkeypatch.setenv("STRAY", "0")   # the reader writes to the guard page: SIGSEGV
    assert main(["bench", "--scheme-file", str(STRAY_WRITES), "stray-writes", "rcu-typesafe",
                 "--rounds", "3", "--round", "50ms"]) == 1
    out, err = capsys.readouterr()
    assert "answer:" not in out and err.startswith("error: stray-writes: a worker crashed or hung")


def test_a_round_where_a_reader_did_nothing_gives_no_answer(capsys, monkeypatch):
    """A reader that never ran in a round (a machine too busy) has no ns/op: the bench gives no answer."""
    take = rounds.Snapshot.take

    def reader_idle(session):  # type: ignore[no-untyped-def]
        snap = take(session)
        snap.counters[snap.readers, session.core.counter_names.index("ops")] = 0
        return snap
    monkeypatch.setattr(rounds.Snapshot, "take", reader_idle)
    assert main(["bench", "rcu-typesafe", "task-lock", "--rounds", "3", "--round", "50ms"]) == 1
    out, err = capsys.readouterr()
    assert "answer:" not in out and err.startswith("error: rcu-typesafe: a reader did no operation"), err


def test_sigint_stops_the_bench_with_no_answer_and_nothing_left():
    p = subprocess.Popen([sys.executable, "-m", "harness", "bench", "rcu-typesafe", "task-lock", "--rounds", "50",
                          "--round", "200ms", "--seed", "7"], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    assert p.stdout.readline().startswith("bench: ")
    assert p.stdout.readline().startswith("on alloc")
    assert p.stdout.readline().startswith("round 1/50")   # a round is done: the next one is running
    p.send_signal(signal.SIGINT)
    out, err = p.communicate(timeout=60)
    assert p.returncode == 130, (out, err)
    assert "bench: interrupted by SIGINT: no answer" in out and "answer:" not in out and "Traceback" not in err
    # forked workers keep the command line they were forked from: none of them may outlive the command
    left = [q for q in psutil.process_iter(["cmdline"]) if q.info["cmdline"] == p.args]
    assert not left, left
