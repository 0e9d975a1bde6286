/*
 * weak_typesafe_plain_seq.c - mutant (weak memory): a typesafe reader that reads the object's sequence count
 * with READ_ONCE instead of smp_load_acquire.
 *
 * What the user meant: rcu-typesafe (revalidate the recycled object by its sequence count and a recheck of
 * task->cpuset), reasoning that the field loads come after the count in the program, so they read the
 * object's contents of that count or newer, and the recheck catches "newer".
 *
 * The bug: a plain load does not order the loads after it. The field loads may be satisfied before the
 * count is (load-load reordering): they return the previous life's serial and nodemask while the count, read
 * later, is already the new life's, and the recheck (same offset, same count) passes.
 *
 * Must raise: torn-read (serial and nodemask of one life, the payload of the other).
 * Memory model: weak (native: SUCCESS).
 */
#include "harness.h"

static inline void plain_seq_read(struct h_ctx *ctx, struct h_task *task, struct h_snap *snap, const int flavor,
                                  const int checks)
{
    h_rcu_read_lock(ctx, flavor);
    for (;;) {
        h_off off = rcu_dereference(task->cpuset);
        struct h_cpuset *cs = h_ptr(ctx, off);
        h_read_delay(ctx, checks);
        uint32_t seq = READ_ONCE(cs->seq);   /* BUG: should be smp_load_acquire */
        h_cpuset_read(ctx, cs, snap, checks);
        smp_rmb();
        if (!(seq & 1) && READ_ONCE(task->cpuset) == off) {
            smp_rmb();
            if (READ_ONCE(cs->seq) == seq)
                break;
        }
        h_near_miss(ctx);
    }
    h_rcu_read_unlock(ctx, flavor);
}

HARNESS_SCHEME(harness_user_scheme, plain_seq_read,
               .name = "weak-typesafe-plain-seq",
               .summary = "rcu-typesafe whose reader loads the sequence count without acquire",
               .flags = H_SCHEME_RCU_READER,
               .slab_mode = H_SLAB_TYPESAFE_BY_RCU,
               .attach = h_publish,
               .destroy = h_cpuset_free);
