"""The first violation's record and its story say who raised it (role, worker, CPU), in which operation, and
what the object was, for violations raised by a writer's callback, by readers inside their reads, and on a
task's fields instead of a cpuset; the read that raised it is in the story, in time order on the run's clock.
Each run stops at its first violation (milliseconds); what a busted scheme raises first is fixed by its bug."""

import pytest

import harness
from harness.report.text import story_lines, violation_line
from harness.report.story import SNAPSHOT_KINDS


def first_violation_of(scheme: str, seed: int = 5) -> dict:
    return harness.run(harness.Config(scheme=scheme, duration=10, seed=seed, until_violation=True)).report


@pytest.fixture(scope="module")
def busted_gp():
    return first_violation_of("busted-gp")


def test_a_writer_raised_violation_names_the_writer_its_operation_and_the_cpuset(busted_gp):
    """busted-gp's call_rcu runs the callback inside destroy: gp-too-short, raised by the writer, in destroy,
    in that callback, about the cpuset the callback frees (not its rcu head), with no 'read as serial'."""
    rep = busted_gp
    fv = rep["first_violation"]
    writer = rep["config"]["readers"]
    assert (fv["kind"], fv["worker"], fv["where"], fv["op"]) == ("gp-too-short", writer, "destroy", "callback")
    assert fv["read_began_s"] is None
    assert fv["object_is"] == {"what": "cpuset", "page": fv["object_is"]["page"], "page_state": "slab",
                               "serial": fv["serial"], "state": "waiting for its call_rcu callback"}
    line = violation_line(rep)
    assert f"by writer {writer} on CPU {fv['cpu']} in destroy, running an RCU callback; " in line
    assert f"object {fv['object']:#x}: cpuset serial {fv['serial']} (waiting for its call_rcu callback" in line
    story = story_lines(rep)
    assert not any("read as serial" in s for s in [line, *story]), "no reader read anything here"
    events = [e["event"] for e in rep["object_story"]]
    assert events[-3:] == ["destroy", "call-rcu", "violation"], "its life up to the callback, in order"
    assert story[-1].endswith("!!! gp-too-short in destroy, running an RCU callback")


def test_a_reader_raised_violation_shows_the_read_that_raised_it():
    """busted-slab-no-rcu: a reader reads a cpuset freed under it. The story holds that read (at its start,
    as every read) and the violation (when it was raised), in one time order."""
    rep = first_violation_of("busted-slab-no-rcu")
    fv = rep["first_violation"]
    assert fv["worker"] < rep["config"]["readers"] and fv["where"] == "read"
    assert 0 <= fv["read_began_s"] <= fv["t_s"]
    story = rep["object_story"]
    assert [e["t_s"] for e in story] == sorted(e["t_s"] for e in story)
    read = next(e for e in story if e["event"] == "violating-read")
    assert (read["t_s"], read["worker"]) == (fv["read_began_s"], fv["worker"])
    assert story.index(read) < next(i for i, e in enumerate(story) if e["event"] == "violation")
    assert f"by reader {fv['worker']} on CPU {fv['cpu']} in a read (begun at t={fv['read_began_s']:.6f}s)" \
        in violation_line(rep)
    assert any("began the read that raised the violation below" in s for s in story_lines(rep))
    assert fv["object_is"]["what"] in ("cpuset", "page")


def test_a_snapshot_violation_says_what_the_reader_read():
    """busted-publish-before-init: the reader acts on a cpuset whose fields are not written yet. Whatever the
    oracle caught first, the reader raised it in a read; where the record holds the snapshot's serial the story
    says 'read as serial N', which need not be the serial the engine created the object as."""
    rep = first_violation_of("busted-publish-before-init")
    fv = rep["first_violation"]
    assert fv["worker"] < rep["config"]["readers"] and fv["read_began_s"] is not None
    assert fv["object_is"]["what"] == "cpuset"
    said = f"read as serial {fv['serial']}" in violation_line(rep)
    assert said == (fv["kind"] in SNAPSHOT_KINDS)
    if said:
        assert any(f"(it read serial {fv['serial']})" in s for s in story_lines(rep))


def test_a_violation_on_no_cpuset_says_what_the_address_was():
    """busted-no-read-lock dereferences task->cpuset outside a read-side section: the object is the task's
    own fields, not a cpuset, and the line says so."""
    rep = first_violation_of("busted-no-read-lock")
    fv = rep["first_violation"]
    assert fv["kind"] == "suspicious-rcu"
    assert fv["object_is"] == {"what": "task", "task": fv["task"]}
    assert f"object {fv['object']:#x}: not a cpuset: task {fv['task']}'s fields" in violation_line(rep)
    assert "read as serial" not in violation_line(rep)
