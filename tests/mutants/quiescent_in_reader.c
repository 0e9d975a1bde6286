/*
 * quiescent_in_reader.c - mutant: cond_resched() inside an RCU read-side critical section.
 *
 * What the user meant: the rcu-deferred reader, made "friendly" to writers. Under QSBR a grace period
 * waits until every reader announces a quiescent state, and a reader that stalls inside h_read_delay
 * holds up everybody's grace period; so, like a kernel loop that calls cond_resched() every so often,
 * the reader announces a quiescent state periodically, to let waiting grace periods through.
 *
 * The bug: the announcement is made inside the read-side section, between the dereference and the use.
 * A quiescent state says "I hold no RCU-protected pointer", which is false right there: the grace period
 * may end, the callback may free the cpuset, and the reader then reads freed memory. (This is exactly why
 * cond_resched() inside rcu_read_lock() is a bug on a !PREEMPT kernel.)
 *
 * Must raise: qs-in-reader (h_rcu_quiescent_state inside a read-side section), on the 16th read.
 * Default (qsbr) flavor.
 */
#include "harness.h"

static inline void friendly_read(struct h_ctx *ctx, struct h_task *task, struct h_snap *snap, const int flavor,
                                 const int checks)
{
    static unsigned long reads;   /* per reader process */
    h_rcu_read_lock(ctx, flavor);
    struct h_cpuset *cs = h_ptr(ctx, rcu_dereference(task->cpuset));
    h_read_delay(ctx, checks);
    if (++reads % 16 == 0)
        h_rcu_quiescent_state(ctx);   /* BUG: "cond_resched()": we still hold cs */
    h_cpuset_read(ctx, cs, snap, checks);
    h_rcu_read_unlock(ctx, flavor);
}

HARNESS_SCHEME(harness_user_scheme, friendly_read,
               .name = "mutant-quiescent-in-reader",
               .summary = "rcu-deferred reader that announces a quiescent state inside its critical section",
               .flags = H_SCHEME_RCU_READER,
               .slab_mode = H_SLAB_PLAIN,
               .attach = h_publish,
               .destroy = h_cpuset_free_rcu);
