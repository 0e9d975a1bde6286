"""A scheme cannot corrupt the engine into SUCCESS: a correct RCU reader with one stray write (which one:
$STRAY, see tests/hostile/stray_writes.c), each variant judged on what the engine recorded; 2 seeds each
here, 20 behind the `soak` marker. Then the figures check, and a bad layout's own tests."""

from pathlib import Path

import pytest

import harness
from harness.report.figures import inconsistencies

STRAY_WRITES = Path(__file__).resolve().parent / "hostile" / "stray_writes.c"


def crashed_on_guard(rep):
    return any("hit the guard page at world offset 0" in c["how"] for c in rep["crashes"])


def kind(name):
    return lambda rep: rep["violations_by_kind"][name] > 0


# variant number in stray_writes.c -> (name, what the report must show besides FAILURE)
VARIANTS = {
    0: ("ctx->base + 64", crashed_on_guard),
    1: ("the next object in the slab", kind("out-of-bounds")),
    2: ("the cpuset's tail", kind("out-of-bounds")),
    3: ("another worker's slot", kind("engine-corrupted")),
    4: ("*ctx->gp_ctr", kind("engine-corrupted")),
    5: ("*ctx->number_of_cpusets", kind("engine-corrupted")),
    6: ("64 KiB from ctx->shared", lambda rep: True),   # tasks, slots, page heads: whatever breaks first
    7: ("ctx->arena + 64", kind("engine-corrupted")),
    8: ("ctx->slot->dead", kind("engine-corrupted")),
}


def run_stray(monkeypatch, variant, seed):
    monkeypatch.setenv("STRAY", str(variant))
    return harness.run(harness.Config(scheme_file=str(STRAY_WRITES), duration=0.3, seed=seed)).report


def judge(rep, variant):
    name, shows = VARIANTS[variant]
    assert rep["verdict"] == "FAILURE", (name, rep["verdict"], rep["violations_by_kind"], rep["crashes"])
    assert shows(rep), (name, rep["violations_by_kind"], rep["crashes"], rep["engine_corrupted"])


@pytest.mark.parametrize("seed", [1, 2])
@pytest.mark.parametrize("variant", sorted(VARIANTS))
def test_stray_write_is_never_success(scheme_cache, monkeypatch, variant, seed):
    judge(run_stray(monkeypatch, variant, seed), variant)


@pytest.mark.soak
@pytest.mark.parametrize("seed", range(100, 120))
@pytest.mark.parametrize("variant", sorted(VARIANTS))
def test_stray_write_sweep(scheme_cache, monkeypatch, variant, seed):
    judge(run_stray(monkeypatch, variant, seed), variant)


def test_the_same_reader_without_a_stray_line_succeeds(scheme_cache, monkeypatch):
    rep = run_stray(monkeypatch, -1, 3)
    assert rep["verdict"] == "SUCCESS" and not rep["engine_corrupted"], (rep["violations_by_kind"], rep["crashes"])
    assert rep["ops"] > 1000   # the stray line's moment came and went


def test_guard_page_crash_is_named(scheme_cache, capsys, monkeypatch):
    monkeypatch.setenv("STRAY", "0")
    from harness.cli import main
    assert main(["soak", "--scheme-file", str(STRAY_WRITES), "--duration", "0.3", "--quiet"]) == 1
    out = capsys.readouterr().out
    assert "killed by SIGSEGV: a stray write at ctx->base + 64 hit the guard page at world offset 0" in out


# ---------------------------------------------------------------- the figures, each made impossible once

def clean_report():
    return {"series": [{"ops": 10, "gp_count": 1}, {"ops": 20, "gp_count": 2}],
            "gp": {"count": 2, "callbacks": 3, "callbacks_pending": 0}, "ops": 20,
            "workers": [{"worker": 0, "role": "reader", "ops": 20, "violations": 1},
                        {"worker": 1, "role": "writer", "ops": 5, "violations": 0}],
            "violations": 2, "violations_by_kind": {"torn-read": 1, "hang": 1},
            "violations_outside_workers": {"hang": 1},
            "arena": {"pages_total": 64, "pages_free": 60, "slab_pages": 2}}


def test_consistent_figures_pass():
    assert inconsistencies(clean_report(), 1.0, 64, []) == []
    fast = clean_report()   # a checks-off deref loop: 0.43 ns/op at best here, faster on a faster core
    fast["workers"][0]["ops"] = fast["ops"] = 3 * 10**9
    assert inconsistencies(fast, 1.0, 64, []) == [], "3 ops per ns is fast, not impossible"


@pytest.mark.parametrize("spoil, says", [
    (lambda r: r["series"].append({"ops": 15, "gp_count": 3}), "ops went backwards"),
    (lambda r: r["gp"].update(count=4702111234474983745), "gp=4702111234474983745 grace periods"),
    (lambda r: (r["workers"][0].update(ops=10_028_331_787), r.update(ops=10_028_331_787)), "worker 0 ops=10028331787"),
    (lambda r: r.update(ops=21), "ops=21 but the readers' own counts add up to 20"),
    (lambda r: r["violations_by_kind"].update({"torn-read": 0}), "violations=2 but 1 by kind"),
    (lambda r: r["arena"].update(pages_total=4702111234474983745), "pages_total=4702111234474983745 but"),
    (lambda r: r["arena"].update(pages_free=65), "pages_free=65 of pages_total=64"),
    (lambda r: r["gp"].update(callbacks_pending=-1), "callbacks=3 run, more than were queued"),
])
def test_impossible_figure_is_named(spoil, says):
    r = clean_report()
    spoil(r)
    found = inconsistencies(r, 1.0, 64, [])
    assert len(found) == 1 and says in found[0], found


def test_silent_worker_is_named():
    assert inconsistencies(clean_report(), 1.0, 64, [1]) == [
        "worker 1 is alive and was not hung, but reported no end of its round"]


def test_impossible_figure_fails_the_verdict(monkeypatch):
    """Result.collect turns an inconsistency into FAILURE and the report says which figure."""
    import harness.report.result
    monkeypatch.setattr(harness.report.result, "inconsistencies", lambda *a: ["gp=9 grace periods in 0.000 s"])
    rep = harness.run(harness.Config(duration=0.2, seed=4)).report
    assert rep["violations"] == 0 and rep["verdict"] == "FAILURE"
    assert rep["engine_corrupted"] == ["gp=9 grace periods in 0.000 s"]
    from harness.report.text import incident_lines
    assert "!!! engine-corrupted: gp=9 grace periods in 0.000 s" in incident_lines(rep)
