"""Units of the engine, each driven through the real arena and worker processes."""


import numpy as np

import harness
from harness.soak.config import Config
from harness.soak.parse import allowed_cpus
from harness.build.core import BUILTIN
from harness.report.result import Result, Snapshot
from harness.soak.membarrier_selftest import LITMUS_TRIALS
from harness.soak.session import Session


def test_workers_run_where_pinned():
    r = harness.run(harness.Config(scheme="rcu-typesafe", duration=0.3, seed=3))
    for w in r.report["workers"]:
        assert w["cpus_seen"] == [w["cpu"]]
        assert w["migrations"] == 0


def test_typesafe_slab_pages_wait_for_a_grace_period():
    """In typesafe mode empty slab pages are queued for a grace period, never returned directly, and
    every read sees at most pipe count 1."""
    r = harness.run(harness.Config(scheme="rcu-typesafe", workload="deref", duration=0.5, seed=5))
    rep = r.report
    assert rep["gp"]["callbacks"] > 0            # page releases went through call_rcu
    assert rep["near_misses"] > 0                # readers saw recycled objects and revalidated
    assert sum(rep["pipe_hist"][2:]) == 0


def test_plain_slab_freed_object_is_caught_at_the_field_load():
    """busted-slab-no-rcu: on a plain slab a freed cpuset must never be touched. The checkpoint on the
    reader's field load names it KASAN-style, with the field's offset in the object (detail), while its page
    is still a slab page. Which comes first in a run is a race: the reader may also load from the object
    after its emptied page was given back and poisoned (then the detail is the poison word read there).
    Both are caught at the load; every seed must be use-after-free with a detail that matches what the
    object was, and the slab form must show up within a few seeds."""
    slab_form = 0
    for seed in range(1, 6):
        r = harness.run(harness.Config(scheme="busted-slab-no-rcu", duration=5, seed=seed, until_violation=True))
        first = r.report["first_violation"]
        assert first["kind"] == "use-after-free"
        if first["object_is"]["page_state"] == "slab":
            assert first["detail"] < 128, hex(first["detail"])
            slab_form += 1
        else:
            assert first["object_is"]["page_state"] == "free" and first["detail"] == 0x6B6B6B6B, first
    assert slab_form >= 1


def test_synchronize_waits_for_a_parked_reader():
    """A reader stalled inside its critical section holds up the grace period (reported as a stall); the
    grace period completes once it leaves."""
    cfg = harness.Config(scheme="rcu-deferred", rcu="mb", workload="deref", duration=1.0, seed=2,
                         read_delay=[100, 30_000_000], stall_bound=10)
    r = harness.run(cfg)
    rep = r.report
    assert rep["violations"] == 0
    assert rep["stalls"], "a reader parked for up to 30 ms must be reported against a 10 ms bound"
    assert rep["gp"]["max_ns"] >= 10_000_000
    assert rep["gp"]["count"] > 0


def test_counters_are_numpy_and_rounds_accumulate():
    with harness.Session(harness.Config(scheme="seqcount", workload="deref", checks=False, seed=4)) as s:
        s.run(reader_ops=100_000)
        snap1 = Snapshot.take(s)
        s.run(reader_ops=100_000)
        snap2 = Snapshot.take(s)
    ops1 = snap1.counter(s, "ops")[snap1.readers]
    ops2 = snap2.counter(s, "ops")[snap2.readers]
    assert snap1.counters.dtype == np.uint64
    assert (ops1 >= 100_000).all() and (ops2 - ops1 >= 100_000).all()


def test_scheme_table_names_expected_kinds_for_every_busted_scheme():
    for sc in BUILTIN.schemes:
        if sc.busted:
            assert sc.expected and set(sc.expected) <= set(BUILTIN.violation_names)


def test_membarrier_reaches_every_reader_process():
    """The start-up litmus: with membarrier() the store-buffering outcome never shows, in any reader."""
    with Session(Config(rcu="membarrier", writers=0, readers=len(allowed_cpus()), duration=0.1)) as s:
        st = s.membarrier_selftest
        assert st is not None and st["trials"] == LITMUS_TRIALS * s.config.readers
        assert st["forbidden_with_membarrier"] == 0
        s.run(duration=0.1)
        assert Result.collect(s).report["membarrier_selftest"] == st


def test_arena_size_follows_the_readme_formula():
    """docs/platform.md, "Memory a run needs": arena_bytes = 1191936 + roundup(320 P, 4096) + roundup(41216 + 1120 P, 4096),
    P = nodes x pages."""
    def roundup(n):
        return -(-n // 4096) * 4096
    for nodes, pages in ((1, 16), (4, 1024)):
        rep = harness.run(Config(nodes=nodes, pages_per_node=pages, duration=0.05)).report
        p = nodes * pages
        assert rep["arena"]["bytes"] == 1191936 + roundup(320 * p) + roundup(41216 + 1120 * p)
