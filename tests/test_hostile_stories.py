"""Hostile cases of the violation story, hangs ended when they happen, and figures after a crash: each case
asserts the exit status and the line a user reads. Most take a real FAILURE report (busted-gp, saved once) and
change its first violation the way another raiser, another object or an older or odd report would have it,
then run `report` on it; the rest are real soaks."""

import copy
import json
from pathlib import Path

import pytest

import harness
from harness.cli import main

DEADLOCK = Path(__file__).resolve().parent / "schemes" / "lock_across_synchronize.c"


@pytest.fixture(scope="module")
def base():
    return harness.run(harness.Config(scheme="busted-gp", readers=1, writers=1, duration=10, seed=2,
                                      until_violation=True)).report


def fv_set(**fields):
    def change(r):
        r["first_violation"].update(fields)
    return change


def obj(what, **more):
    return fv_set(object_is={"what": what, **more})


def reader_read(kind, serial=77):
    return fv_set(kind=kind, worker=0, where="read", op=None, read_began_s=0.000010, serial=serial, t_s=0.000020)


def without(*keys):
    def change(r):
        for k in keys:
            r["first_violation"].pop(k)
    return change


def no_flight(r):
    r["flight_recorder"] = []


def hang(waits_on):
    def change(r):
        r["hangs"] = [{"worker": 0, "role": "reader", "cpu": 0, "phase": "read", "in_read_section": True,
                       "after_stop_s": 0.0, **({"waits_on": waits_on} if waits_on else {})}]
    return change


def repeated_reads(r):
    o = r["first_violation"]["object"]
    r["flight_recorder"] = [{"t_s": 0.00001 * i, "dur_s": 0.0, "worker": 0, "cpu": 0, "event": "read", "a": 5, "b": o}
                            for i in range(1, 4)]


def read_before_free(r):
    o = r["first_violation"]["object"]
    r["first_violation"].update(kind="use-after-free", worker=0, where="read", op=None, read_began_s=0.000010,
                                t_s=0.000030, serial=0)
    r["flight_recorder"] = [{"t_s": 0.000020, "dur_s": 0.0, "worker": 1, "cpu": 1, "event": "free", "a": 5, "b": o},
                            {"t_s": 0.000030, "dur_s": 0.0, "worker": 0, "cpu": 0, "event": "violation", "a": 0,
                             "b": o}]


# (id, change to the saved busted-gp report, lines the `report` output must hold, and must not)
REPORT_CASES = [
    ("writer-in-a-callback", lambda r: None, ["in destroy, running an RCU callback; object 0x"], ["read as serial"]),
    ("reclaimer", fv_set(worker=-1, where="callbacks", op="callback"), ["by the reclaimer on CPU"], []),
    ("orchestrator", fv_set(worker=-2, where="idle", op=None), ["by the orchestrator on CPU"], []),
    ("op-free", fv_set(op="free"), ["in destroy, freeing a cpuset;"], []),
    ("op-call-rcu", fv_set(op="call_rcu"), ["in destroy, in call_rcu;"], []),
    ("op-synchronize-once", fv_set(where="synchronize", op="synchronize"), ["in synchronize; object"],
     ["in synchronize, in synchronize_rcu"]),
    ("page-with-poison", lambda r: (obj("page", page=7, page_state="free")(r),
                                    fv_set(kind="use-after-free", detail=0x6B6B6B6B)(r)),
     ["not a cpuset: page 7 state free, where the read found poison 0x6b6b6b6b"], []),
    ("page-of-a-reader", obj("page", page=9, page_state="allocated to a reader"),
     ["not a cpuset: page 9 state allocated to a reader"], []),
    ("outside-the-arena", obj("outside"), ["address outside the arena"], []),
    ("engine-memory", obj("engine"), ["not a cpuset: the engine's own memory"], []),
    ("task-fields", obj("task", task=3), ["not a cpuset: task 3's fields"], []),
    ("no-object", lambda r: (fv_set(object=0)(r), obj("none")(r)), ["object 0x0: none"], ["story of"]),
    ("never-allocated", obj("cpuset", page=1, page_state="slab", serial=0, state="free"),
     ["cpuset serial 0 (free, never allocated since its page became a slab page)"], []),
    ("older-report", without("op", "read_began_s", "object_is"), ["first violation: gp-too-short at t="],
     ["object_is"]),
    ("unknown-object-kind", obj("weird"), ["not described ('weird')"], []),
    ("snapshot-serial", reader_read("identity"), ["in a read (begun at t=0.000010s)", "read as serial 77"], []),
    ("no-snapshot-serial", reader_read("use-after-free", serial=0), ["in a read (begun at t=0.000010s)"],
     ["read as serial"]),
    ("no-history", no_flight, ["first violation: gp-too-short"], ["story of"]),
    ("hang-waits-on", hang("something inside its read"),
     ["!!! hang: reader 0 (CPU 0) in read, inside a read-side critical section, waits on something inside its "
      "read: killed"], []),
    ("hang-older-report", hang(None), ["!!! hang: reader 0 (CPU 0) in read, inside a read-side critical section: "
                                       "killed"], ["waits on"]),
    ("repeated-reads-one-line", repeated_reads, ["read serial 5 from it (x3)"], []),
    ("violating-read-in-time-order", read_before_free, ["began the read that raised the violation below"], []),
]


@pytest.mark.parametrize("change,present,absent", [c[1:] for c in REPORT_CASES], ids=[c[0] for c in REPORT_CASES])
def test_report_tells_the_story(base, tmp_path, capsys, change, present, absent):
    r = copy.deepcopy(base)
    change(r)
    from harness.report.story import object_story
    r["object_story"] = object_story(r)
    path = tmp_path / "r.json"
    path.write_text(json.dumps(r))
    assert main(["report", str(path)]) == 0
    out = capsys.readouterr().out
    for line in present:
        assert line in out, out
    for line in absent:
        assert line not in out, out


def test_violating_read_comes_before_the_free_it_overlapped(base, tmp_path, capsys):
    """One order on one clock: the read (at its start), the free during it, then the violation."""
    r = copy.deepcopy(base)
    read_before_free(r)
    path = tmp_path / "r.json"
    path.write_text(json.dumps(r))
    assert main(["report", str(path)]) == 0
    lines = capsys.readouterr().out.splitlines()
    at = [next(i for i, ln in enumerate(lines) if key in ln)
          for key in ("began the read that raised", "freed serial 5", "!!! use-after-free in a read")]
    assert at == sorted(at), lines


SOAK_CASES = [
    ("busted-gp-writer", ["--scheme", "busted-gp"], 1, "by writer 1 on CPU"),
    ("busted-no-read-lock-task", ["--scheme", "busted-no-read-lock"], 1, "not a cpuset: task 0's fields"),
    ("crash-figures", ["--scheme", "rcu-typesafe", "--inject", "worker-crash@0.2", "--duration", "2"], 1,
     "!!! crash: worker 0"),
]


@pytest.mark.parametrize("args,status,key", [c[1:] for c in SOAK_CASES], ids=[c[0] for c in SOAK_CASES])
def test_soak(capsys, args, status, key):
    assert main(["soak", "--readers", "1", "--writers", "1", "--seed", "7", "--until-violation", "--quiet",
                 *args]) == status
    out = capsys.readouterr().out
    assert key in out, out
    verdict = next(ln for ln in out.splitlines() if ln.startswith("FAILURE"))
    assert " ops/s=0 " not in verdict, verdict


def test_soak_deadlock_is_a_hang_naming_what_each_waits_on(scheme_cache, capsys):
    assert main(["soak", "--scheme-file", str(DEADLOCK), "--readers", "1", "--writers", "1", "--duration", "60",
                 "--seed", "7", "--until-violation"]) == 1
    out = capsys.readouterr().out
    assert "waits on a grace period held up by worker 0 (reader)" in out, out
    assert "FAILURE: violations=2 (hang=2)" in out
    assert not any(ln.startswith("t=   60") for ln in out.splitlines()), "ended long before its duration"
