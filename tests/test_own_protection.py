"""Bring your own reclamation: the examples of protection the engine does not implement (hazard pointers,
epochs, a home-grown URCU) and nested RCU sections run clean on every flavor, and misuse of the annotations
(h_protect / h_unprotect, h_read_section_enter / exit) is reported as the scheme's own bug. The mutants that
break each mechanism are in tests/mutants (test_mutants.py)."""

from pathlib import Path

import pytest

import harness

EXAMPLES = Path(__file__).resolve().parent.parent / "examples"
OWN = ["hazard_pointers.c", "epoch_reclamation.c", "own_urcu.c", "nested_sections.c"]


@pytest.mark.parametrize("rcu", ["qsbr", "mb", "membarrier"])
@pytest.mark.parametrize("example", OWN, ids=[Path(n).stem for n in OWN])
def test_example_runs_clean(scheme_cache, example, rcu):
    rep = harness.run(harness.Config(scheme_file=str(EXAMPLES / example), rcu=rcu, duration=0.5, seed=11)).report
    assert rep["violations"] == 0, (rep["violations_by_kind"], rep["first_violation"])
    destroys = sum(w["destroys"] for w in rep["workers"])
    assert rep["ops"] > 0 and destroys > 0, destroys   # cpusets were freed under the readers


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

