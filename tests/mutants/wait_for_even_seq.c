/*
 * wait_for_even_seq.c - mutant: a typesafe reader that waits for a freed object to come back.
 *
 * What the user meant: the rcu-typesafe reader, with the object's sequence count read the way a seqcount
 * is read: odd means "a writer is in the middle of (re)initialising it", so, like read_seqcount_begin,
 * spin until it is even and then read. Revalidation (pointer recheck, sequence recheck) follows as usual.
 *
 * The bug: the object's count is odd while the object is FREE, not while someone is writing it, and a free
 * object need not ever be allocated again. The reader spins inside its read-side section on an object
 * that nobody is going to reuse: if its slab page emptied, the page waits for a grace period, which waits
 * for this very reader; and once the writer stops (the end of the run) nothing is allocated at all. The
 * reader must instead go back to task->cpuset, which already points elsewhere.
 *
 * Must raise: hang (a worker that does not stop within the deadline after the duration). Run with a short
 * duration: the run ends at the deadline.
 */
#include "harness.h"

static inline void waiting_read(struct h_ctx *ctx, struct h_task *task, struct h_snap *snap, const int flavor,
                                const int checks)
{
    h_rcu_read_lock(ctx, flavor);
    for (;;) {
        h_off off = rcu_dereference(task->cpuset);
        struct h_cpuset *cs = h_ptr(ctx, off);
        h_read_delay(ctx, checks);
        uint32_t seq;
        while ((seq = smp_load_acquire(&cs->seq)) & 1)   /* BUG: waits for a free object to be reused */
            cpu_relax();
        h_cpuset_read(ctx, cs, snap, checks);
        smp_rmb();
        if (READ_ONCE(task->cpuset) == off) {
            smp_rmb();
            if (READ_ONCE(cs->seq) == seq)
                break;
        }
        h_near_miss(ctx);
    }
    h_rcu_read_unlock(ctx, flavor);
}

HARNESS_SCHEME(harness_user_scheme, waiting_read,
               .name = "mutant-wait-for-even-seq",
               .summary = "typesafe reader that spins until a freed object's sequence count is even again",
               .flags = H_SCHEME_RCU_READER,
               .slab_mode = H_SLAB_TYPESAFE_BY_RCU,
               .attach = h_publish,
               .destroy = h_cpuset_free);
