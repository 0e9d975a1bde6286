/*
 * weak_inc_not_zero_relaxed.c - mutant (weak memory): a refcount reader whose inc_not_zero has no
 * acquire, followed by the identity recheck.
 *
 * What the user meant: the refcount scheme (inc_not_zero under rcu_read_lock, recheck task->cpuset, read,
 * put) with refcount_inc_not_zero() as the kernel had it before 6.13: no ordering on success
 * (h_ref_inc_not_zero_relaxed), because "the reference is what protects the object".
 *
 * The bug: without acquire, the recheck of task->cpuset and the field loads after the increment may be
 * satisfied before it (load-load reordering past a relaxed RMW): the recheck sees the offset the task had
 * before the object was freed and reused, the reference lands on the object's next life, and the reader
 * returns the old life's identity, or a mix of the two.
 *
 * Must raise: identity (the serial returned was no longer the task's at any moment of the read).
 * Memory model: weak (native: SUCCESS).
 */
#include "harness.h"

static void ref_put(struct h_ctx *ctx, struct h_cpuset *cs)
{
    if (h_ref_put(&cs->refcount))
        h_cpuset_free(ctx, cs);
}

static inline void relaxed_ref_read(struct h_ctx *ctx, struct h_task *task, struct h_snap *snap, const int flavor,
                                    const int checks)
{
    for (;;) {
        h_rcu_read_lock(ctx, flavor);
        h_off off = rcu_dereference(task->cpuset);
        struct h_cpuset *cs = h_ptr(ctx, off);
        h_read_delay(ctx, checks);
        int got = h_ref_inc_not_zero_relaxed(&cs->refcount);   /* BUG: no acquire */
        h_rcu_read_unlock(ctx, flavor);
        if (got) {
            if (READ_ONCE(task->cpuset) == off) {   /* identity recheck, under our reference */
                h_cpuset_read(ctx, cs, snap, checks);
                ref_put(ctx, cs);
                return;
            }
            ref_put(ctx, cs);
        }
        h_near_miss(ctx);
    }
}

static void refcount_attach(struct h_ctx *ctx, struct h_task *task, struct h_cpuset *cs)
{
    struct h_cpuset *old = h_ptr(ctx, task->cpuset);
    atomic_inc_relaxed(&cs->refcount);
    rcu_assign_pointer(task->cpuset, h_offset(ctx, cs));
    ref_put(ctx, old);
}

HARNESS_SCHEME(harness_user_scheme, relaxed_ref_read,
               .name = "weak-inc-not-zero-relaxed",
               .summary = "refcount reader whose hand-written inc_not_zero has no acquire",
               .flags = H_SCHEME_RCU_READER | H_SCHEME_REFCOUNT,
               .slab_mode = H_SLAB_TYPESAFE_BY_RCU,
               .attach = refcount_attach,
               .destroy = ref_put);
