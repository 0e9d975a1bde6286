"""The benchmark summary (bench/summary.py) keeps its promises without running a benchmark: a table column
no row fills is not printed, and anchor targets that cannot be measured are one line with the reason."""

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "bench"))

from summary import Collector, render, table  # noqa: E402


def test_a_column_nobody_fills_is_not_printed():
    lines = table(["scheme", "ns/op 1R", "ns/op 2R", "GP p50 us"], [["a", 1.5, None, None], ["b", 2.5, None, 3.0]])
    assert lines[0].split() == ["scheme", "ns/op", "1R", "GP", "p50", "us"]
    assert lines[2].split() == ["a", "1.5", "-"] and lines[3].split() == ["b", "2.5", "3"]


def deref_row(label, readers, writer, best):
    return {"workload": "deref", "label": label, "readers": readers, "writer": writer, "checks": False,
            "ns_per_op": best, "best_window_ns_per_op": best, "ops_per_s": 1e9 / best, "in_loop_fraction": None,
            "writer_ops_per_s": 0.0, "gp_p50_us": None, "gp_p99_us": None, "group": "g"}


def test_unmeasurable_anchor_targets_are_one_line_with_the_reason():
    c = Collector()
    c.add("throughput", deref_row("rcu-typesafe/qsbr", 1, "none", 2.0))
    c.unavailable["anchors"] = "refbench cannot be built: liburcu not found: apt-get install liburcu-dev"
    anchors = [t for t in c.targets() if "refbench" in t["target"]]
    assert len(anchors) == 1 and anchors[0]["met"] is None
    assert "liburcu not found: apt-get install liburcu-dev" in anchors[0]["how"]
    out = "\n".join(render(c.report()))
    assert out.count("liburcu not found") == 1


def test_a_measured_anchor_pair_is_its_own_target():
    c = Collector()
    c.add("throughput", deref_row("rcu-typesafe/qsbr", 1, "none", 1.8))
    c.add("anchor", {"mechanism": "qsbr", "config": "1R", "mode": "threads", "ns_per_read": 1.6,
                     "best_window_ns_per_read": 1.6, "upd_ops_per_s": None, "upd_lat_p50_us": None})
    pair, = [t for t in c.targets() if t["target"] == "rcu-typesafe/qsbr 1R / refbench qsbr"]
    assert pair["figure"] == 1.8 / 1.6 and pair["met"] is True
    rest, = [t for t in c.targets() if t["target"].startswith("harness deref / refbench")]
    assert "is not in this run" in rest["how"]


def test_the_oracle_cost_runs_turn_every_amplifier_off():
    """The summary's torture / checks-off ratio measures the oracles, not deliberate delays: a checks-on
    benchmark case has every race amplifier at its checks-off value."""
    from measure import Case

    from harness.soak.config import mode_defaults

    config = Case("rcu-typesafe", "qsbr", "alloc", 1, "steady", checks=True).config()
    assert config.checks
    for name, off in mode_defaults(False, 2).items():
        assert getattr(config, name) == off, name
