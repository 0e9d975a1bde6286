/*
 * buggy_scheme.c - a scheme with a subtle bug, written the way a user writes one, which the harness
 * catches on every run.
 *
 *     python -m harness soak --scheme-file examples/buggy_scheme.c --duration 2s    # exits 1: FAILURE
 *
 * Design: reference counting on a SLAB_TYPESAFE_BY_RCU cache. Under rcu_read_lock the reader takes a
 * reference with inc_not_zero, so the cpuset cannot be freed while it reads it; the task holds one
 * reference, and whoever drops the last reference frees the cpuset.
 *
 * The bug: with SLAB_TYPESAFE_BY_RCU, "the reference count was not zero" does not mean "this is still the
 * cpuset I dereferenced". Between rcu_dereference and inc_not_zero the cpuset can be freed and reallocated
 * as a *different* cpuset (same memory, refcount 1 again), and the increment succeeds on the new one. The
 * reader must recheck, under its reference, that task->cpuset still points at the object (as
 * Documentation/RCU/rculist_nulls.rst and SLAB_TYPESAFE_BY_RCU's comment in slab.h say); this one
 * does not, and reads a cpuset that was never its task's: the `identity` oracle fires.
 */
#include "harness.h"

static void put_cpuset(struct h_ctx *ctx, struct h_cpuset *cs)
{
    if (h_ref_put(&cs->refcount))
        h_cpuset_free(ctx, cs);
}

static inline void buggy_read(struct h_ctx *ctx, struct h_task *task, struct h_snap *snap, const int flavor,
                              const int checks)
{
    for (;;) {
        h_rcu_read_lock(ctx, flavor);
        struct h_cpuset *cs = h_ptr(ctx, rcu_dereference(task->cpuset));
        h_read_delay(ctx, checks);                 /* race amplifier: the window is here */
        int got = h_ref_inc_not_zero(&cs->refcount);
        h_rcu_read_unlock(ctx, flavor);
        if (got) {
            /* BUG: missing `if (READ_ONCE(task->cpuset) != h_offset(ctx, cs)) { put; retry; }` */
            h_cpuset_read(ctx, cs, snap, checks);
            put_cpuset(ctx, cs);
            return;
        }
        h_near_miss(ctx);                          /* freed under us: try again */
    }
}

/* The task's reference is taken before the pointer is published (release), the old one dropped after. */
static void refcounted_attach(struct h_ctx *ctx, struct h_task *task, struct h_cpuset *cs)
{
    struct h_cpuset *old = h_ptr(ctx, task->cpuset);
    atomic_inc_relaxed(&cs->refcount);
    rcu_assign_pointer(task->cpuset, h_offset(ctx, cs));
    put_cpuset(ctx, old);
}

HARNESS_SCHEME(harness_user_scheme, buggy_read,
               .name = "example-refcount-no-recheck",
               .summary = "inc_not_zero under rcu_read_lock on a TYPESAFE_BY_RCU slab, without the identity recheck",
               .flags = H_SCHEME_RCU_READER | H_SCHEME_REFCOUNT,   /* freed by the last put */
               .slab_mode = H_SLAB_TYPESAFE_BY_RCU,
               .attach = refcounted_attach,
               .destroy = put_cpuset);                             /* drops the hierarchy's reference */
