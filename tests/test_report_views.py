"""Views of saved runs: the Chrome/Perfetto trace (`report --trace`), the side-by-side comparison (`report a.json
b.json`), the plots' "no samples" and first-violation marks, the one first-violation line, and import hygiene."""

import json
import subprocess
import sys
from pathlib import Path

import pytest

from harness.cli import main
from harness.report.compare import comparison_rows, render_comparison
from harness.report.text import TORTURE_RATE, failure_text, status_line, verdict_line, violation_line
from harness.report.trace import chrome_trace

HARNESS = Path(__file__).resolve().parent.parent / "harness"


def soak(path: Path, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "harness", "soak", "--json", str(path), *args],
                          capture_output=True, text=True, timeout=60)


@pytest.fixture(scope="module")
def runs(tmp_path_factory):
    """Two real short runs of two schemes: a FAILURE (busted-no-revalidate, with a time series) and a SUCCESS
    (rcu-deferred: grace periods and call_rcu in the flight records). (failure stdout, failure path, success path)"""
    d = tmp_path_factory.mktemp("views")
    bad, good = d / "bad.json", d / "good.json"
    p = soak(bad, "--scheme", "busted-no-revalidate", "--duration", "0.6", "--interval", "0.1", "--seed", "3")
    assert p.returncode == 1, p.stderr
    q = soak(good, "--scheme", "rcu-deferred", "--duration", "0.6", "--quiet", "--seed", "3")
    assert q.returncode == 0, q.stderr
    return p.stdout, bad, good


def check_trace(trace: dict, reports: list[dict]) -> list[dict]:
    """The structure a trace viewer needs; returns the events."""
    events = trace["traceEvents"]
    assert isinstance(events, list) and events
    for e in events:
        assert e["ph"] in ("M", "X", "i") and isinstance(e["pid"], int) and isinstance(e["tid"], int)
        if e["ph"] == "X":
            assert e["ts"] >= 0 and e["dur"] >= 0 and e["name"].startswith("read serial")
        if e["ph"] == "i":
            assert e["ts"] >= 0 and e["s"] in ("t", "g")
    for pid, rep in enumerate(reports, 1):
        names = {e["tid"]: e["args"]["name"] for e in events if e["pid"] == pid and e["name"] == "thread_name"}
        workers = [n for n in names.values() if not n.startswith("reclaimer")]
        assert sorted(workers) == sorted(f"{w['role']} {w['worker']} cpu {','.join(map(str, sorted(set(w['cpus_assigned']))))}"
                                         for w in rep["workers"]), "one named track per worker"
        used = {e["tid"] for e in events if e["pid"] == pid and e["ph"] != "M"}
        assert used <= set(names), "every event is on a named track"
    return events


def test_trace_of_a_failure(runs, tmp_path, capsys):
    _, bad, _ = runs
    out = tmp_path / "trace.json"
    assert main(["report", str(bad), "--trace", str(out)]) == 0
    assert f"wrote {out}:" in capsys.readouterr().out
    rep = json.loads(bad.read_text())
    events = check_trace(json.loads(out.read_text()), [rep])
    first = rep["first_violation"]
    mark = [e for e in events if e["name"] == f"!!! first violation: {first['kind']}"]
    assert len(mark) == 1 and mark[0]["s"] == "g"
    assert mark[0]["args"]["object"] == hex(first["object"]) and mark[0]["args"]["serial"] == first["serial"]
    assert mark[0]["ts"] == pytest.approx(first["t_s"] * 1e6, abs=1e-3)
    reads = [e for e in events if e["ph"] == "X"]
    assert reads and any(e["dur"] > 0 for e in reads), "a read lasts: the recorder keeps when it began and ended"
    assert {"create", "free"} <= {e.get("cat") for e in events}


def test_trace_of_a_success_shows_grace_periods_and_call_rcu(runs):
    _, _, good = runs
    rep = json.loads(good.read_text())
    events = check_trace(chrome_trace([rep]), [rep])
    cats = {e.get("cat") for e in events}
    assert {"gp-start", "gp-end", "call-rcu", "read"} <= cats, cats
    assert not any(e.get("cat") == "violation" for e in events)
    reclaimer = next(e["tid"] for e in events if e["name"] == "thread_name" and e["args"]["name"].startswith("reclaimer"))
    assert any(e["tid"] == reclaimer and e["cat"] == "gp-end" for e in events if e["ph"] == "i")


def test_trace_of_two_runs_one_process_each(runs):
    _, bad, good = runs
    reps = [json.loads(bad.read_text()), json.loads(good.read_text())]
    events = check_trace(chrome_trace(reps), reps)
    procs = {e["pid"]: e["args"]["name"] for e in events if e["name"] == "process_name"}
    assert procs[1].endswith("FAILURE") and procs[2].endswith("SUCCESS")


@pytest.mark.parametrize("where", ["missing-dir/t.json", "."])
def test_bad_trace_path_one_line_exit_2_before_any_work(tmp_path, capsys, where):
    target = tmp_path / where
    # the run file does not exist either: the --trace error comes first, so it was checked before anything
    assert main(["report", str(tmp_path / "no-such-run.json"), "--trace", str(target)]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and err.startswith(f"error: --trace {target}")


def test_compare_two_runs(runs, capsys):
    _, bad, good = runs
    assert main(["report", str(good), str(bad)]) == 0
    out = capsys.readouterr().out
    lines = out.splitlines()
    assert lines[0] == "== 2 runs side by side (changes against #1) =="
    assert lines[1] == ("#1, #2: ops/s and ns/op are torture throughput (oracles on: not a speed figure; "
                        "`harness bench` compares speed)")
    row = {line.split()[0]: line for line in lines[1:] if line.startswith("  ") and line.split()}
    assert "rcu-deferred" in row["scheme"] and "busted-no-revalidate" in row["scheme"]
    assert "SUCCESS" in row["verdict"] and "FAILURE" in row["verdict"]
    for label in ("ops/s", "grace", "near", "CPUs", "readers", "writers", "duration"):
        assert label in row, label
    g, b = json.loads(good.read_text()), json.loads(bad.read_text())
    cells = {r[0]: r[1:] for r in comparison_rows([g, b])}
    assert cells["ops/s"][0] == f"{g['ops_per_s']:,.0f}"
    assert cells["ops/s"][1] == f"{b['ops_per_s']:,.0f} ({(b['ops_per_s'] - g['ops_per_s']) / g['ops_per_s'] * 100:+.1f}%)"
    kind = b["first_violation"]["kind"]
    assert cells[f"  {kind}"] == ["0", f"{b['violations_by_kind'][kind]:,} (new)"]
    assert cells["violations"][1].startswith(f"{b['violations']:,}")
    assert f"#1: {g['command']}" in out and f"#2: {b['command']}" in out


def test_torture_rates_say_they_are_not_speed_figures(runs):
    out, bad, good = runs
    status = [line for line in out.splitlines() if line.startswith("t=")]
    assert status and all(" (torture throughput: not a speed figure) " in line for line in status)
    verdict, = [line for line in out.splitlines() if line.startswith("FAILURE:")]
    assert " (torture throughput) " in verdict and verdict.endswith(f"; {TORTURE_RATE}")
    b, g = json.loads(bad.read_text()), json.loads(good.read_text())
    assert "torture" not in status_line(b["series"][0], checks=False)
    speed = {**g, "config": {**g["config"], "checks": False}}
    assert "torture" not in verdict_line(speed)
    assert render_comparison([speed, speed]).splitlines()[1].startswith("  ")
    assert render_comparison([speed, g]).splitlines()[1].startswith("#2: ops/s and ns/op are torture throughput")


def test_first_violation_is_one_line_everywhere(runs, capsys):
    out, bad, _ = runs
    rep = json.loads(bad.read_text())
    line = violation_line(rep)
    fv = rep["first_violation"]
    assert line.startswith(f"first violation: {fv['kind']} at t={fv['t_s']:.6f}s by reader {fv['worker']} on CPU "
                           f"{fv['cpu']} in a read (begun at t={fv['read_began_s']:.6f}s); object {fv['object']:#x}: ")
    assert line.endswith(f"(task {fv['task']}, detail {fv['detail']})")
    assert line in out.splitlines(), "the soak's own output"
    assert main(["report", str(bad)]) == 0
    assert line in capsys.readouterr().out.splitlines(), "report"
    assert line in failure_text(rep).splitlines(), "the pytest plugin's failure message"
    assert "{'kind'" not in out


@pytest.fixture
def plt():
    matplotlib = pytest.importorskip("matplotlib")
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    yield plt
    plt.close("all")


def texts(fig) -> list[str]:
    return [t.get_text() for ax in fig.axes for t in ax.texts]


def test_plots_with_no_samples_say_so(runs, plt):
    from harness.report.plots import log2_hist_figure, pipe_count_figure, throughput_figure
    _, bad, _ = runs
    rep = {**json.loads(bad.read_text()), "series": [], "pipe_hist": [0] * 10}
    for fig in (throughput_figure(rep), pipe_count_figure(rep), log2_hist_figure([0] * 64, "gp", rep, {})):
        assert "no samples" in texts(fig)
        assert not fig.axes[0].lines and not fig.axes[0].patches, "nothing drawn but the note"
    full = json.loads(bad.read_text())
    assert full["series"] and any(full["pipe_hist"])
    assert "no samples" not in texts(throughput_figure(full)) + texts(pipe_count_figure(full))


def test_time_series_marks_the_first_violation(runs, plt):
    from harness.report.plots import throughput_figure
    _, bad, good = runs
    rep = json.loads(bad.read_text())
    assert rep["series"], "the failing run has a time series"
    fig = throughput_figure(rep)
    first = rep["first_violation"]
    marks = [ln for ln in fig.axes[0].lines if ln.get_label().startswith("first violation: ")]
    assert len(marks) == 1 and list(marks[0].get_xdata()) == [first["t_s"]] * 2
    assert first["kind"] in marks[0].get_label()
    assert f"first violation ({first['kind']})" in texts(fig)
    assert not [ln for ln in throughput_figure(json.loads(good.read_text())).axes[0].lines
                if ln.get_label().startswith("first violation")]


# --------------------------------------------------------------------------- import hygiene

MODULES = sorted(".".join(p.relative_to(HARNESS).with_suffix("").parts) for p in HARNESS.rglob("*.py")
                 if p.stem not in ("__init__", "__main__"))
# what must stay light: the plugin (loaded in every pytest run), the config, and every module that works on a
# saved report (text, comparison, trace, story)
LIGHT = ("soak.config", "soak.parse", "soak.faults", "soak.resources", "pytest_plugin", "report.text", "report.compare",
         "report.trace", "report.story", "report.provenance", "report.report_schema", "report.output")
HEAVY = ("harness.build.core", "harness._core", "numpy", "cffi")


def test_the_light_modules_import_alone_and_stay_light():
    code = ("import json, sys, importlib; importlib.import_module(sys.argv[1]); "
            f"print(json.dumps([m for m in {list(HEAVY)!r} if m in sys.modules]))")
    assert set(LIGHT) <= set(MODULES)
    for m in LIGHT:
        p = subprocess.run([sys.executable, "-c", code, f"harness.{m}"], capture_output=True, text=True, timeout=60)
        assert p.returncode == 0, f"harness.{m} alone: {p.stderr}"
        assert json.loads(p.stdout) == [], f"importing harness.{m} loads {p.stdout}"


def test_every_module_imports_alone():
    """Each module imported with no harness module loaded before it (one interpreter, the harness modules
    dropped from sys.modules between imports: third-party ones stay, which is what keeps this fast)."""
    code = ("import importlib, sys\n"
            "for m in sys.argv[1:]:\n"
            "    for k in [k for k in sys.modules if k == 'harness' or k.startswith('harness.')]:\n"
            "        del sys.modules[k]\n"
            "    print(m, flush=True)\n"
            "    importlib.import_module('harness.' + m)\n")
    p = subprocess.run([sys.executable, "-c", code, *MODULES], capture_output=True, text=True, timeout=120)
    assert p.returncode == 0, f"harness.{p.stdout.split()[-1]} alone: {p.stderr}"
    assert p.stdout.split() == MODULES
