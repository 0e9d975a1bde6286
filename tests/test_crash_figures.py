"""Figures are real when a run ends early or between ticks: after an injected worker crash the report counts
the run time and the work done until the crash (not 0), and the soak's time series keeps its last, partial
interval, so its last point holds the run's final counts."""

import json

import harness
from harness.cli import main


def test_a_crashed_reader_keeps_its_run_time_and_throughput():
    rep = harness.run(harness.Config(scheme="rcu-typesafe", readers=1, writers=1, duration=2, seed=3,
                                     inject=["worker-crash@0.3"])).report
    assert rep["verdict"] == "FAILURE" and rep["crashes"][0]["worker"] == 0
    crashed = rep["workers"][0]
    assert not crashed["alive"] and crashed["ops"] > 0
    assert rep["run_time_s"] > 0 and rep["ops_per_s"] > 0
    assert rep["ops_per_s"] == rep["ops"] / rep["run_time_s"], "throughput is the work done over the time it took"
    assert crashed["ns_per_op"] > 0, "the dead reader's own time per op, from what it published"
    assert rep["run_time_s"] < 2, "the readers' span ends at the crash, not at the duration"


def test_the_series_keeps_the_last_partial_interval(tmp_path, capsys):
    path = tmp_path / "s.json"
    assert main(["soak", "--scheme", "rcu-typesafe", "--duration", "1.5", "--interval", "1s", "--seed", "4",
                 "--quiet", "--json", str(path)]) == 0, capsys.readouterr()
    rep = json.loads(path.read_text())
    series = rep["series"]
    assert len(series) == 2, [e["t_s"] for e in series]
    assert series[-1]["t_s"] >= 1.5 and series[-1]["ops"] == rep["ops"], "the last point is the run's end"
