"""The engine, not the scheme, decides SUCCESS: what it counts from every context is what the report says,
hung workers (and a hung reclaimer) end the run as FAILURE within the hang bound, progress stalls are
reported as they happen, and a scheme cannot reach the engine's state."""

import json
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

import harness
from harness.report.report_schema import schema_error
from harness.soak.session import Session
from harness.report.result import Result

MUTANTS = Path(__file__).resolve().parent / "mutants"


def test_a_violation_raised_outside_any_worker_is_in_the_verdict():
    """The orchestrator's own finding (as a hang is) is counted by the engine and is the report's count."""
    with Session(harness.Config(scheme="rcu-deferred", duration=0.2, seed=1)) as s:
        s.run(duration=0.2)
        lib = s.core.lib
        lib.h_report_violation(s.arena, lib.H_V_HANG, 0, 0, 0)
        rep = Result.collect(s).report
    assert rep["verdict"] == "FAILURE"
    assert rep["violations"] == rep["violations_by_kind"]["hang"] == 1
    assert rep["violations_outside_workers"] == {"hang": 1}
    assert sum(w["violations"] for w in rep["workers"]) == 0, "no worker counted it: only the engine did"


def test_reclaimer_violations_count_and_match_the_engine(scheme_cache):
    """An empty .synchronize is caught in the reclaimer process (no worker), and the report's totals are
    exactly the workers' counts plus those raised outside any worker."""
    rep = harness.run(harness.Config(scheme_file=str(MUTANTS / "empty_synchronize.c"), duration=1.0, seed=2)).report
    assert rep["verdict"] == "FAILURE"
    assert rep["violations_outside_workers"].get("gp-too-short", 0) > 0
    assert rep["violations"] == sum(rep["violations_by_kind"].values())
    assert rep["violations"] == sum(w["violations"] for w in rep["workers"]) + sum(
        rep["violations_outside_workers"].values())


def test_hung_reader_is_reported_killed_and_the_run_ends(scheme_cache, tmp_path):
    """A reader that never leaves its read function: FAILURE with a `hang` naming the worker, its role, CPU,
    what it was doing and that it was inside a read-side section; exit 1; within duration + hang bound."""
    path = tmp_path / "r.json"
    t0 = time.monotonic()
    p = subprocess.run([sys.executable, "-m", "harness", "soak", "--scheme-file", str(MUTANTS / "wait_for_even_seq.c"),
                        "--duration", "1", "--seed", "3", "--quiet", "--json", str(path)],
                       capture_output=True, text=True, timeout=120)
    wall = time.monotonic() - t0
    assert p.returncode == 1, p.stderr
    rep = json.loads(path.read_text())
    assert rep["verdict"] == "FAILURE" and rep["violations_by_kind"]["hang"] >= 1
    hang = next(h for h in rep["hangs"] if h["role"] == "reader")
    assert hang["phase"] == "read" and hang["in_read_section"] is True and hang["cpu"] in rep["config"]["cpus"]
    assert not rep["workers"][hang["worker"]]["alive"]
    assert rep["crashes"] == [], "a worker the harness killed for hanging is not a crash"
    assert "!!! hang: worker" in p.stdout and "inside a read-side critical section" in p.stdout
    assert rep["run_time_s"] >= 0 and rep["ops_per_s"] >= 0
    # the run ends within the duration plus the hang bound (plus start-up, build-cache load and tear-down)
    assert wall < 1 + 2 + 20, wall
    assert rep["first_violation"]["kind"] == "hang" and rep["first_violation"]["where"] == "read"
    text = subprocess.run([sys.executable, "-m", "harness", "report", str(path)], capture_output=True, text=True,
                          timeout=60).stdout
    assert "!!! hang: reader" in text and "in read, inside a read-side critical section: killed" in text
    assert "raised outside any worker (reclaimer, orchestrator): hang=" in text


RECLAIMER_HANG = """#include "harness.h"
static inline void r(struct h_ctx *ctx, struct h_task *t, struct h_snap *s, const int flavor, const int checks)
{
    h_rcu_read_lock(ctx, flavor);
    h_cpuset_read(ctx, h_ptr(ctx, rcu_dereference(t->cpuset)), s, checks);
    h_rcu_read_unlock(ctx, flavor);
}
static volatile int forever = 1;
static void spin_sync(struct h_ctx *ctx) { (void)ctx; while (forever) ; }   /* never returns */
HARNESS_SCHEME(harness_user_scheme, r, .name = "sync-never-returns", .flags = H_SCHEME_RCU_READER,
               .attach = h_publish, .destroy = h_cpuset_free_rcu, .synchronize = spin_sync);
"""


def test_hung_reclaimer_is_reported_killed_and_the_run_ends(scheme_cache, tmp_path):
    """A .synchronize that never returns hangs the reclaimer (its own process): reported as a hang of the
    reclaimer in `synchronize`, killed, FAILURE."""
    f = tmp_path / "sync_never_returns.c"
    f.write_text(RECLAIMER_HANG)
    rep = harness.run(harness.Config(scheme_file=str(f), duration=0.5, seed=4)).report
    assert rep["verdict"] == "FAILURE"
    hang = next(h for h in rep["hangs"] if h["worker"] == "reclaimer")
    assert hang["phase"] == "synchronize"
    assert schema_error(json.loads(json.dumps(rep))) is None   # "reclaimer" where a worker's index goes
    assert rep["violations_outside_workers"]["hang"] >= 1


def test_progress_stall_is_reported_while_it_happens(scheme_cache):
    """A seqcount writer that leaves its write section open starves its task's readers (and itself): a
    progress stall is reported for a worker that stops making progress, before the run ends in a hang."""
    rep = harness.run(harness.Config(scheme_file=str(MUTANTS / "seqcount_early_return.c"), duration=1.5,
                                     stall_bound=200, seed=5)).report
    assert rep["progress_stalls"], rep["events"]
    st = rep["progress_stalls"][0]
    assert st["t_s"] < 1.5, "seen during the run, not after it"
    assert (st["role"], st["phase"]) in (("writer", "attach"), ("reader", "read")), st
    assert any(e["what"].startswith("progress stall: worker") for e in rep["events"])
    assert rep["violations_by_kind"]["hang"] >= 1


def test_scheme_cannot_reach_the_engine_state(scheme_cache, tmp_path):
    """harness.h leaves the arena opaque: a scheme that pokes the grace-period counter does not compile."""
    f = tmp_path / "poke.c"
    f.write_text(RECLAIMER_HANG.replace("(void)ctx; while (forever) ;", "ctx->arena->gp_ctr.v++;"))
    p = subprocess.run([sys.executable, "-m", "harness", "list", "--scheme-file", str(f)], capture_output=True,
                       text=True, timeout=120)
    assert p.returncode == 2 and ("incomplete type" in p.stderr or "undefined type" in p.stderr), p.stderr


def test_scheme_private_shared_memory_is_bounded(scheme_cache, tmp_path):
    f = tmp_path / "greedy.c"
    f.write_text(RECLAIMER_HANG.replace(".synchronize = spin_sync", ".shared_size = 1 << 20"))
    p = subprocess.run([sys.executable, "-m", "harness", "soak", "--scheme-file", str(f), "--duration", "0.2"],
                       capture_output=True, text=True, timeout=120)
    assert p.returncode == 2 and len(p.stderr.splitlines()) == 1 and "shared_size" in p.stderr, p.stderr


def test_overlapping_faults_on_different_targets_both_happen(tmp_path):
    """A reader stall and an arena exhaustion at the same time: both happen, as asked."""
    rep = harness.run(harness.Config(duration=1.2, stall_bound=100, seed=7,
                                     inject=["reader-stall@0.2s:300ms", "arena-exhaust@0.3s:300ms"])).report
    events = [e["what"] for e in rep["events"]]
    assert any("reader 0 parked" in e for e in events) and any("took all" in e for e in events)
    assert rep["verdict"] == "SUCCESS"


def test_crash_after_a_stall_fails_the_run_and_throughput_stays_sane(tmp_path):
    """Faults on worker 0 one after the other both happen; the crash fails the run; ops/s is not negative."""
    rep = harness.run(harness.Config(duration=3, stall_bound=100, seed=8,
                                     inject=["reader-stall@0.2s:300ms", "worker-crash@0.8s"])).report
    assert any("reader 0 left its critical section" in e["what"] for e in rep["events"])
    assert rep["crashes"] and rep["crashes"][0]["how"] == "killed by SIGSEGV"
    assert rep["verdict"] == "FAILURE" and rep["ops_per_s"] >= 0 and rep["run_time_s"] >= 0


def test_bad_node_is_judged_against_the_nodemask_really_attached(scheme_cache):
    """A reader that hands the allocator a torn nodemask (its serial was attached, its mask never was with
    it) allocates on nodes that cpuset does not allow: bad-node, judged against the engine's log, not
    against the mask the scheme handed over (which the allocator obeyed)."""
    mutant = str(MUTANTS / "seqcount_no_retry.c")
    rep = harness.run(harness.Config(scheme_file=mutant, duration=1.0, seed=9)).report
    assert rep["violations_by_kind"]["bad-node"] > 0, rep["violations_by_kind"]
    deref = harness.run(harness.Config(scheme_file=mutant, workload="deref", duration=0.5, seed=9)).report
    assert deref["violations_by_kind"]["torn-read"] > 0 and deref["violations_by_kind"]["bad-node"] == 0, \
        "no allocation, no bad node"


def test_fixed_round_that_cannot_finish_ends_in_a_hang(scheme_cache):
    """A round of fixed size (Config.ops, as benchmarks run) has no duration to end it: once a worker has
    made no progress for the hang bound the round is stopped, and the hung workers reported and killed."""
    t0 = time.monotonic()
    rep = harness.run(harness.Config(scheme_file=str(MUTANTS / "seqcount_early_return.c"), ops=10**9,
                                     seed=10)).report
    assert rep["verdict"] == "FAILURE" and rep["hangs"], rep["violations_by_kind"]
    assert rep["ops"] < 10**9
    assert time.monotonic() - t0 < 30


def test_progress_stall_and_hang_lines_come_as_they_happen(scheme_cache):
    """On the command line a progress stall is printed while the run goes on (between status lines), and
    the hang before the verdict, not after it."""
    p = subprocess.run([sys.executable, "-m", "harness", "soak", "--scheme-file",
                        str(MUTANTS / "seqcount_early_return.c"), "--duration", "1.5", "--interval", "0.1",
                        "--stall-bound", "200ms", "--seed", "5"], capture_output=True, text=True, timeout=120)
    assert p.returncode == 1, p.stderr
    lines = p.stdout.splitlines()
    verdict = next(i for i, line in enumerate(lines) if line.startswith("FAILURE:"))
    stall = next(i for i, line in enumerate(lines) if line.startswith("event: ") and "progress stall" in line)
    hang = next(i for i, line in enumerate(lines) if "!!! hang:" in line)
    assert stall < hang < verdict
    assert any(line.startswith("t=") for line in lines[stall + 1:verdict]), "status lines went on after the stall"


def test_torture_amplifiers_reach_the_engine():
    """The access delays and the adversarial writer are what the config says: on, they act; off, they do not
    (a setting that never reached the C side once left both silently off)."""
    on = harness.run(harness.Config(scheme="rcu-typesafe", workload="deref", duration=0.5, seed=12,
                                    read_delay=[0, 0], access_delay=[1000, 0],
                                    adversarial=True)).report
    off = harness.run(harness.Config(scheme="rcu-typesafe", workload="deref", duration=0.5, seed=12,
                                     read_delay=[0, 0], access_delay=[0, 0], adversarial=False)).report
    reader_delays = lambda rep: sum(w["delays"] for w in rep["workers"] if w["role"] == "reader")  # noqa: E731
    recycles = lambda rep: sum(w["recycles"] for w in rep["workers"])  # noqa: E731
    assert reader_delays(on) > on["ops"] and reader_delays(off) == 0
    assert recycles(on) > 0 and recycles(off) == 0
    assert on["violations"] == off["violations"] == 0


def test_writer_does_only_the_operations_asked_for():
    """--writer-ops reaches the writer: with only `attach`, nothing is rebound or destroyed and a cpuset is
    created only while fewer than two live; with only `rebind`, rebinds happen (shrink relies on both)."""
    def writer(ops: list[str]) -> dict:
        rep = harness.run(harness.Config(workload="deref", duration=0.3, seed=14, writer_ops=ops,
                                         adversarial=False)).report
        assert rep["violations"] == 0
        return next(w for w in rep["workers"] if w["role"] == "writer")
    attach = writer(["attach"])
    assert attach["attaches"] > 100 and attach["rebinds"] == attach["destroys"] == 0 and attach["creates"] <= 2
    rebind = writer(["rebind"])
    assert rebind["rebinds"] > 100 and rebind["rebinds"] == rebind["destroys"]


def _can_raise_priority() -> bool:
    try:
        os.setpriority(os.PRIO_PROCESS, 0, os.getpriority(os.PRIO_PROCESS, 0))   # a no-op that needs no right
        return os.geteuid() == 0
    except OSError:
        return False


@pytest.mark.skipif(not _can_raise_priority(), reason="starving a worker needs a nice -20 competitor (root)")
def test_a_starved_worker_is_waited_for_not_called_hung():
    """A reader that is runnable but gets no CPU after the stop (a nice -20 spinner pinned to its CPU, the
    reader at nice 19: an overloaded machine) is not a hang: the run waits for it, says so, and ends clean.
    Without that, a correct scheme on a busy machine was reported hung (seen in campaigns under load)."""
    cpu = sorted(os.sched_getaffinity(0))[0]
    config = harness.Config(scheme="rcu-deferred", workload="deref", readers=1, writers=0, cpus=[cpu], seed=15)
    with Session(config) as s:
        os.setpriority(os.PRIO_PROCESS, s.child_pids[0], 19)
        hog = subprocess.Popen([sys.executable, "-c", f"import os, sys, time; os.sched_setaffinity(0, {{{cpu}}}); "
                                "os.nice(-20); print('spinning', flush=True); t = time.monotonic()\n"
                                "while time.monotonic() - t < 3.5: pass"], stdout=subprocess.PIPE, text=True)
        try:
            assert hog.stdout.readline() == "spinning\n"   # the competitor holds the CPU before the stop
            s.run(duration=0.3)
        finally:
            hog.kill()
            hog.wait()
        result = Result.collect(s)
    rep = result.report
    assert rep["hangs"] == [] and rep["violations"] == 0, rep["hangs"]
    assert any("was runnable but had" in e["what"] for e in rep["events"]), rep["events"]


DOUBLE_ENQUEUE = RECLAIMER_HANG.replace(
    "static volatile int forever = 1;\nstatic void spin_sync(struct h_ctx *ctx) { (void)ctx; while (forever) ; }   /* never returns */",
    "static void twice(struct h_ctx *ctx, struct h_rcu_head *head, enum h_cb_kind kind)\n"
    "{ h_call_rcu(ctx, head, kind); h_call_rcu(ctx, head, kind); }   /* the arena's queue, twice: a cycle */"
).replace(".synchronize = spin_sync", ".call_rcu = twice")


def test_reclaimer_stops_at_a_corrupted_callback_list(scheme_cache, tmp_path):
    """A .call_rcu that hands one head to the arena's queue twice makes the list a cycle: the reclaimer
    stops at the head that is no longer queued (double-call-rcu) instead of walking it forever."""
    f = tmp_path / "double_enqueue.c"
    f.write_text(DOUBLE_ENQUEUE)
    rep = harness.run(harness.Config(scheme_file=str(f), duration=0.5, seed=13)).report
    assert rep["violations_outside_workers"].get("double-call-rcu", 0) > 0, rep["violations_by_kind"]
    assert rep["hangs"] == []
