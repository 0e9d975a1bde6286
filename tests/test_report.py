"""The soak's time series and live display, and `python -m harness report` (text and plots)."""

import io
import json
import re
import subprocess
import sys

import psutil
import pytest

import harness
from harness.cli import main
from harness.soak.monitor import Monitor

PLOTS = {"throughput.png", "op_latency.png", "gp_latency.png", "pipe_count.png"}


@pytest.fixture(scope="module")
def soak(tmp_path_factory):
    """One short soak with plain status lines every 0.1 s: (stdout, report path, report)."""
    path = tmp_path_factory.mktemp("soak") / "run.json"
    p = subprocess.run([sys.executable, "-m", "harness", "soak", "--duration", "1", "--interval", "0.1", "--seed", "7",
                        "--json", str(path)], capture_output=True, text=True, timeout=60)
    assert p.returncode == 0, p.stderr
    return p.stdout, path, json.loads(path.read_text())


def test_series_in_report(soak):
    out, _, rep = soak
    series = rep["series"]
    assert len(series) >= 5
    t = [e["t_s"] for e in series]
    assert t == sorted(t) and len(set(t)) == len(t)
    readers = [i for i, w in enumerate(rep["workers"]) if w["role"] == "reader"]
    for prev, e in zip(series, series[1:]):
        assert len(e["worker_ops"]) == len(rep["workers"])
        assert all(b >= a for a, b in zip(prev["worker_ops"], e["worker_ops"]))
    for e in series:
        assert e["ops"] == sum(e["worker_ops"][i] for i in readers)
        assert e["rss_orchestrator_bytes"] > 0 and e["rss_workers_bytes"] > 0
        assert e["pages_total"] == rep["arena"]["pages_total"]
    assert series[-1]["ops"] > 0 and series[-1]["ops"] <= rep["ops"]
    assert rep["rss"]["max_total_bytes"] >= rep["rss"]["orchestrator_bytes"] + rep["rss"]["workers_bytes"] > 0
    assert rep["op_latency"]["p50_ns"] > 0 and sum(rep["op_latency"]["hist"]) > 0
    status = [line for line in out.splitlines() if line.startswith("t=")]
    assert len(status) == len(series)
    assert all("rss=" in line and "pages_used=" in line and " of 1s " in line for line in status)
    assert series[0]["t_s"] < 0.2, "the run's clock starts with the run, not with start-up"


def test_quiet_prints_no_status_but_keeps_the_series(tmp_path):
    path = tmp_path / "q.json"
    p = subprocess.run([sys.executable, "-m", "harness", "soak", "--duration", "0.5", "--interval", "0.1", "--quiet",
                        "--json", str(path)], capture_output=True, text=True, timeout=60)
    assert p.returncode == 0, p.stderr
    lines = p.stdout.splitlines()
    assert lines[0].startswith("start:") and lines[-1].startswith("reproduce:")
    assert any(line.startswith("SUCCESS") for line in lines)
    assert not any(line.startswith("t=") for line in lines)
    assert json.loads(path.read_text())["series"]


def test_live_display_shows_every_worker():
    from rich.console import Console
    buf = io.StringIO()
    with harness.Session(harness.Config(duration=0.3, seed=11)) as s:
        monitor = Monitor(s, "live", console=Console(file=buf, force_terminal=True, width=160))
        with monitor:
            s.run(duration=0.3, interval=0.1, on_interval=monitor)
        children = {p.pid for p in psutil.Process().children()}
        assert set(s.child_pids) == children and len(children) == s.nworkers + 1, "workers and the reclaimer"
        assert monitor.series[-1]["rss_workers_bytes"] == pytest.approx(   # the reclaimer's memory counts too
            sum(psutil.Process(pid).memory_info().rss for pid in s.child_pids), rel=0.2)
    assert monitor.series
    text = re.sub(r"\x1b\[[0-9;?]*[a-zA-Z]", "", buf.getvalue())
    last = monitor.series[-1]
    for w in range(s.nworkers):
        role = "reader" if w < s.config.readers else "writer"
        assert re.search(rf"\b{w}\b.*{role}.*{s.config.cpu_of(w)}.*{last['worker_ops'][w]:,}", text), text
    assert "rss=" in text


def test_report_text(soak, capsys):
    _, path, rep = soak
    assert main(["report", str(path)]) == 0
    out = capsys.readouterr().out
    assert "SUCCESS" in out.splitlines()[0]
    assert f"command: {rep['command']}" in out
    assert all(str(w["pid"]) in out for w in rep["workers"])
    for section in ("violations: 0", "grace periods:", "op latency", "pipe count", "rss:"):
        assert section in out


def test_report_plots(soak, tmp_path, capsys):
    pytest.importorskip("matplotlib")
    _, path, _ = soak
    assert main(["report", str(path), "--plot", str(tmp_path / "plots")]) == 0
    files = {f.name: f.read_bytes() for f in (tmp_path / "plots").iterdir()}
    assert set(files) == PLOTS
    assert all(data.startswith(b"\x89PNG") and len(data) > 10000 for data in files.values())


@pytest.mark.parametrize("wrap", [lambda runs: runs, lambda runs: {"runs": runs}])
def test_several_runs_make_a_scaling_plot(soak, tmp_path, capsys, wrap):
    pytest.importorskip("matplotlib")
    _, _, rep = soak
    runs = []
    for readers in (1, 2):
        r = json.loads(json.dumps(rep))
        r["config"]["readers"] = readers
        r["ops_per_s"] = rep["ops_per_s"] * readers
        runs.append(r)
    path = tmp_path / "runs.json"
    path.write_text(json.dumps(wrap(runs)))
    assert main(["report", str(path), "--plot", str(tmp_path / "plots")]) == 0
    assert "== scaling ==" in capsys.readouterr().out
    names = {f.name for f in (tmp_path / "plots").iterdir()}
    assert names == {"scaling.png"} | {f"run{i}-{p}" for i in (0, 1) for p in PLOTS}


@pytest.mark.parametrize("content", ["not json", "{}", "[]", '{"runs": [1]}', '{"verdict": "SUCCESS"}', None])
def test_bad_report_file_one_line_exit_2(tmp_path, capsys, content):
    path = tmp_path / "r.json"
    if content is not None:
        path.write_text(content)
    assert main(["report", str(path)]) == 2
    err = capsys.readouterr().err
    assert len(err.strip().splitlines()) == 1 and err.startswith("error: ") and str(path) in err


def test_bad_report_file_from_the_command_line(tmp_path):
    path = tmp_path / "r.json"
    path.write_text('{"workers": 1}')
    p = subprocess.run([sys.executable, "-m", "harness", "report", str(path), "--plot", str(tmp_path)],
                       capture_output=True, text=True, timeout=60)
    assert p.returncode == 2 and p.stdout == "" and "Traceback" not in p.stderr
    assert p.stderr.startswith("error: ") and len(p.stderr.strip().splitlines()) == 1


def test_plot_without_matplotlib_one_line_exit_2(soak, tmp_path, capsys, monkeypatch):
    _, path, _ = soak
    monkeypatch.setitem(sys.modules, "matplotlib", None)
    monkeypatch.delitem(sys.modules, "harness.report.plots", raising=False)
    assert main(["report", str(path), "--plot", str(tmp_path / "plots")]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "matplotlib" in err and "[plot]" in err
    assert not (tmp_path / "plots").exists()


def test_plot_onto_an_existing_file_one_line_exit_2(soak, tmp_path, capsys):
    _, path, _ = soak
    target = tmp_path / "plots"
    target.write_text("not a directory")
    assert main(["report", str(path), "--plot", str(target)]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "exists and is not a directory" in err


def test_failure_tells_the_objects_story(tmp_path):
    """On FAILURE the command line and `report` show what happened to the object the first violation names:
    freed, reused as another serial, and who read it."""
    path = tmp_path / "f.json"
    p = subprocess.run([sys.executable, "-m", "harness", "soak", "--scheme", "busted-no-revalidate", "--duration", "5",
                        "--until-violation", "--quiet", "--seed", "3", "--json", str(path)],
                       capture_output=True, text=True, timeout=60)
    assert p.returncode == 1, p.stderr
    rep = json.loads(path.read_text())
    story = rep["object_story"]
    assert story and all(e["b"] == rep["first_violation"]["object"] or e["event"] == "attach" for e in story)
    assert {"free", "create", "violation"} <= {e["event"] for e in story}
    out = p.stdout
    assert f"story of object {rep['first_violation']['object']:#x}: cpuset serial" in out
    assert "freed serial" in out and "allocated and initialised it as serial" in out
    assert f"!!! {rep['first_violation']['kind']} in a read (begun at t=" in out
    text = subprocess.run([sys.executable, "-m", "harness", "report", str(path)], capture_output=True, text=True,
                          timeout=60).stdout
    assert "allocated and initialised it as serial" in text
