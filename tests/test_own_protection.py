"""Bring your own reclamation: the examples of protection the engine does not implement (hazard pointers,
epochs, a home-grown URCU) and nested RCU sections run clean on every flavor, and misuse of the annotations
(h_protect / h_unprotect, h_read_section_enter / exit) is reported as the scheme's own bug. The mutants that
break each mechanism are in tests/mutants (test_mutants.py)."""

from pathlib import Path

import pytest

import harness

EXAMPLES = Path(__file__).resolve().parent.parent / "examples"
MUTANTS = Path(__file__).resolve().parent / "mutants"
OWN = ["hazard_pointers.c", "epoch_reclamation.c", "own_urcu.c", "nested_sections.c"]


@pytest.mark.parametrize("rcu", ["qsbr", "mb", "membarrier"])
@pytest.mark.parametrize("example", OWN, ids=[Path(n).stem for n in OWN])
def test_example_runs_clean(scheme_cache, example, rcu):
    rep = harness.run(harness.Config(scheme_file=str(EXAMPLES / example), rcu=rcu, duration=0.5, seed=11)).report
    assert rep["violations"] == 0, (rep["violations_by_kind"], rep["first_violation"])
    destroys = sum(w["destroys"] for w in rep["workers"])
    assert rep["ops"] > 0 and destroys > 0, destroys   # cpusets were freed under the readers


def test_own_grace_period_waiting_for_nothing_is_found_while_it_waits(scheme_cache):
    """An SRCU whose unlock re-reads the index leaves a lock count no unlock will match: its .synchronize waits
    forever while every worker goes on. The engine names that hang during the run, from the reclaimer that waits;
    the orchestrator could name a hung worker only after the run had ended. The run stops at that first violation
    (milliseconds in); its long duration only keeps a loaded machine from ending the run before the watch's
    rounds of other workers' operations are complete."""
    duration = 20.0
    rep = harness.run(harness.Config(scheme_file=str(MUTANTS / "srcu_reread_index.c"), duration=duration, seed=1,
                                     until_violation=True)).report
    fv = rep["first_violation"]
    assert fv["kind"] == "hang" and fv["where"] == "synchronize" and fv["t_s"] < duration, fv


# A hazard-pointer reader with one misuse of the annotations each; the engine's rcu-unbalanced detail says which.
READER = """#include "harness.h"
static inline void r(struct h_ctx *ctx, struct h_task *task, struct h_snap *snap, const int flavor, const int checks)
{
    h_off *hz = (h_off *)h_scheme_shared(ctx) + ctx->worker;
    h_off off;
    do {
        off = READ_ONCE(task->cpuset);
        WRITE_ONCE(*hz, off);
        smp_mb();
    } while (READ_ONCE(task->cpuset) != off);
    struct h_cpuset *cs = h_ptr(ctx, off);
    %(read)s
    smp_store_release(hz, 0);
}
static void d(struct h_ctx *ctx, struct h_cpuset *cs)
{
    smp_mb();
    for (int w = 0; w < 256; w++)
        while (smp_load_acquire((h_off *)h_scheme_shared(ctx) + w) == h_offset(ctx, cs))
            cpu_relax();
    h_cpuset_free(ctx, cs);
}
static void a(struct h_ctx *ctx, struct h_task *task, struct h_cpuset *cs)
{
    %(attach)s
    h_publish(ctx, task, cs);
}
HARNESS_SCHEME(harness_user_scheme, r, .name = "misuse", .slab_mode = H_SLAB_PLAIN, .shared_size = 2048,
               .attach = a, .destroy = d);
"""
PROTECTED_READ = "h_protect(ctx, cs); h_cpuset_read(ctx, cs, snap, checks); h_unprotect(ctx, cs);"
MISUSES = {   # name: (read, attach, rcu-unbalanced detail)
    "unprotect-twice": (PROTECTED_READ + " h_unprotect(ctx, cs);", "", 4),
    "claim-never-released": ("h_protect(ctx, cs); h_cpuset_read(ctx, cs, snap, checks);", "", 6),
    "claim-outside-reader": (PROTECTED_READ, "h_protect(ctx, cs); h_unprotect(ctx, cs);", 3),
    "section-left-open": ("h_read_section_enter(ctx); " + PROTECTED_READ, "", 7),
}


@pytest.mark.parametrize("misuse", list(MISUSES))
def test_annotation_misuse_is_reported(scheme_cache, tmp_path, misuse):
    read, attach, detail = MISUSES[misuse]
    src = tmp_path / f"{misuse}.c"
    src.write_text(READER % {"read": read, "attach": attach})
    rep = harness.run(harness.Config(scheme_file=str(src), duration=2.0, seed=1, until_violation=True)).report
    found = {k: v for k, v in rep["violations_by_kind"].items() if v}
    assert set(found) == {"rcu-unbalanced"}, found
    assert rep["first_violation"]["kind"] == "rcu-unbalanced" and rep["first_violation"]["detail"] == detail, \
        rep["first_violation"]



# Nested sections with the oracles off (production loops): the reader probes its own announcement, which the
# nest count must keep through the inner unlock (else a grace period could end under the outer section) and
# withdraw at the outer one. A probe that fails traps: a worker crash, which the report lists.
NESTED_PROBE = """#include "harness.h"
static inline void r(struct h_ctx *ctx, struct h_task *task, struct h_snap *snap, const int flavor, const int checks)
{
    h_rcu_read_lock(ctx, flavor);
    h_rcu_read_lock(ctx, flavor);
    struct h_cpuset *cs = h_ptr(ctx, rcu_dereference(task->cpuset));
    h_rcu_read_unlock(ctx, flavor);
    if (!checks && READ_ONCE(ctx->slot->ctr) == 0)
        __builtin_trap();   /* the inner unlock ended the outer section */
    h_cpuset_read(ctx, cs, snap, checks);
    h_rcu_read_unlock(ctx, flavor);
    if (!checks && READ_ONCE(ctx->slot->ctr) != 0)
        __builtin_trap();   /* the outer unlock left the reader announced */
}
HARNESS_SCHEME(harness_user_scheme, r, .name = "nested-probe", .flags = H_SCHEME_RCU_READER,
               .slab_mode = H_SLAB_PLAIN, .attach = h_publish, .destroy = h_cpuset_free_rcu);
"""


@pytest.mark.parametrize("rcu", ["mb", "membarrier"])   # qsbr's lock announces nothing at any depth
def test_user_scheme_nests_with_checks_off(scheme_cache, tmp_path, rcu):
    src = tmp_path / "nested_probe.c"
    src.write_text(NESTED_PROBE)
    rep = harness.run(harness.Config(scheme_file=str(src), rcu=rcu, checks=False, duration=0.3, seed=1)).report
    assert rep["crashes"] == [] and rep["ops"] > 0, (rep["crashes"], rep["ops"])
