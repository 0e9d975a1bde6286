/*
 * retry_relocks.c - mutant: rcu_read_lock moved into the retry loop, rcu_read_unlock left after it.
 *
 * What the user meant: the rcu-typesafe reader (docs/own-scheme.md): under rcu_read_lock,
 * dereference, read, and keep the result only if the object's sequence count and the task's pointer say
 * it was not recycled meanwhile; otherwise retry.
 *
 * The bug: a refactor moved h_rcu_read_lock to the top of the loop body ("each attempt is its own critical
 * section") but left the single h_rcu_read_unlock after the loop. Every retry takes the lock once more,
 * and the read returns with one read-side section per retry still open. Sections nest, so nothing
 * complains at the lock; the outermost section simply never ends.
 *
 * Must raise: rcu-unbalanced (a read op that returns with a read-side section still open), on the first
 * read that retries.
 */
#include "harness.h"

static inline void relock_read(struct h_ctx *ctx, struct h_task *task, struct h_snap *snap, const int flavor,
                               const int checks)
{
    for (;;) {
        h_rcu_read_lock(ctx, flavor);   /* BUG: taken again on every retry... */
        h_off off = rcu_dereference(task->cpuset);
        struct h_cpuset *cs = h_ptr(ctx, off);
        h_read_delay(ctx, checks);
        uint32_t seq = smp_load_acquire(&cs->seq);
        h_cpuset_read(ctx, cs, snap, checks);
        smp_rmb();
        if (!(seq & 1) && READ_ONCE(task->cpuset) == off) {
            smp_rmb();
            if (READ_ONCE(cs->seq) == seq)
                break;
        }
        h_near_miss(ctx);
    }
    h_rcu_read_unlock(ctx, flavor);     /* ...but released once */
}

HARNESS_SCHEME(harness_user_scheme, relock_read,
               .name = "mutant-retry-relocks",
               .summary = "typesafe reader whose retry loop re-enters rcu_read_lock without unlocking",
               .flags = H_SCHEME_RCU_READER,
               .slab_mode = H_SLAB_TYPESAFE_BY_RCU,
               .attach = h_publish,
               .destroy = h_cpuset_free);
