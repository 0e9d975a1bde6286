/*
 * synchronize_in_reader.c - mutant: a reader's slow path waits for a grace period from inside its section.
 *
 * What the user meant: the rcu-typesafe reader, with a back-off for writer storms. When the revalidation
 * fails because the cpuset was freed under us (odd sequence count), "wait for the grace period that will
 * settle the recycled object, then look again", instead of spinning on retries.
 *
 * The bug: h_synchronize_rcu is called with the read-side section still open. A grace period waits for
 * every reader that is inside a section, this one included, so in a real kernel this never returns
 * (lockdep: "Illegal synchronize_rcu() in RCU read-side critical section"). It is also a blocking call
 * made from the allocator fastpath.
 *
 * Must raise: sync-in-reader (h_synchronize_rcu from inside a read-side section, or from a reader's read
 * function), on the first failed revalidation that saw a freed object. Default (qsbr) flavor.
 */
#include "harness.h"

static inline void backoff_read(struct h_ctx *ctx, struct h_task *task, struct h_snap *snap, const int flavor,
                                const int checks)
{
    h_rcu_read_lock(ctx, flavor);
    for (;;) {
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
        if (seq & 1)
            h_synchronize_rcu(ctx);   /* BUG: waits for ourselves: we are inside rcu_read_lock */
    }
    h_rcu_read_unlock(ctx, flavor);
}

HARNESS_SCHEME(harness_user_scheme, backoff_read,
               .name = "mutant-synchronize-in-reader",
               .summary = "typesafe reader that calls synchronize_rcu inside its section to back off",
               .flags = H_SCHEME_RCU_READER,
               .slab_mode = H_SLAB_TYPESAFE_BY_RCU,
               .attach = h_publish,
               .destroy = h_cpuset_free);
