/*
 * typesafe_seq_only_recheck.c - mutant: a TYPESAFE_BY_RCU reader that checks the object is stable, but not
 * that it is still the object it looked up.
 *
 * What the user meant: the rcu-typesafe reader, simplified. The object's sequence count changes on every
 * free and every reinitialisation, so "if it was even before the reads and unchanged after them, the
 * object was not recycled while I read it": the pointer recheck of task->cpuset was dropped as redundant.
 *
 * The bug: the sequence count proves the fields belong to one life of the object, not that this life is
 * the cpuset the task pointed at. With SLAB_TYPESAFE_BY_RCU the object can be freed and reused as another
 * cpuset between rcu_dereference and the first sequence load; the reader then reads that other cpuset,
 * consistently, and accepts it. This is the lesson of Documentation/RCU/rculist_nulls.rst: after
 * stabilising a typesafe object, recheck its key (here: that task->cpuset still points at it).
 *
 * Must raise: identity (the reader acted on a serial never attached to its task during the read). The
 * sequence count rules out torn reads, so identity is the only kind this bug can produce.
 */
#include "harness.h"

static inline void seq_only_read(struct h_ctx *ctx, struct h_task *task, struct h_snap *snap, const int flavor,
                                 const int checks)
{
    h_rcu_read_lock(ctx, flavor);
    for (;;) {
        struct h_cpuset *cs = h_ptr(ctx, rcu_dereference(task->cpuset));
        h_read_delay(ctx, checks);                    /* the window: cs may be recycled here */
        uint32_t seq = smp_load_acquire(&cs->seq);
        h_cpuset_read(ctx, cs, snap, checks);
        smp_rmb();
        if (!(seq & 1) && READ_ONCE(cs->seq) == seq)   /* BUG: no READ_ONCE(task->cpuset) == off recheck */
            break;
        h_near_miss(ctx);
    }
    h_rcu_read_unlock(ctx, flavor);
}

HARNESS_SCHEME(harness_user_scheme, seq_only_read,
               .name = "mutant-typesafe-seq-only-recheck",
               .summary = "typesafe reader that rechecks the object's sequence count but not the task's pointer",
               .flags = H_SCHEME_RCU_READER,
               .slab_mode = H_SLAB_TYPESAFE_BY_RCU,
               .attach = h_publish,
               .destroy = h_cpuset_free);
