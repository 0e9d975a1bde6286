"""--until-violation and a scheme that deadlocks: the run ends as `hang` once every worker has been stuck for
the hang bound, naming what each waits on, long before its --duration (60 s here) would have ended it."""

from pathlib import Path

import harness

DEADLOCK = Path(__file__).resolve().parent / "schemes" / "lock_across_synchronize.c"


def test_a_deadlock_ends_the_run_as_hang_when_it_happens(scheme_cache):
    config = harness.Config(scheme_file=str(DEADLOCK), readers=1, writers=1, duration=60, seed=1,
                            until_violation=True)
    rep = harness.run(config).report
    ended = [e["t_s"] for e in rep["events"] if e["what"].startswith("!!! hang:")]
    assert len(ended) == 2 and max(ended) < 30, "ended at the hang (the run's clock), not at the end of its 60 s"
    assert rep["verdict"] == "FAILURE" and rep["violations_by_kind"]["hang"] == 2, rep["violations_by_kind"]
    hangs = {h["role"]: h for h in rep["hangs"]}
    assert set(hangs) == {"reader", "writer"}
    reader, writer = hangs["reader"], hangs["writer"]
    assert writer["phase"] == "synchronize"
    assert writer["waits_on"] == (f"a grace period held up by worker {reader['worker']} (reader) for "
                                  f"{writer['waits_on'].rsplit(' for ', 1)[1]}")
    assert reader["phase"] == "read" and reader["in_read_section"] is True
    assert reader["waits_on"].startswith("something inside its read (inside a read-side critical section")
    assert all(h["stalled_s"] >= 2.0 for h in rep["hangs"]), "stuck for the hang bound (2 s) first"
    assert not any(w["alive"] for w in rep["workers"]) and rep["crashes"] == []
    assert rep["first_violation"]["kind"] == "hang"
    assert rep["first_violation"]["read_began_s"] is None, "raised by the orchestrator, not inside anyone's read"
    from harness.report.report_schema import schema_error
    assert schema_error(rep) is None, "the report of a hang found early is a valid report"
