/*
 * empty_synchronize.c - mutant: a synchronize_rcu that does not wait.
 *
 * What the user meant: the rcu-deferred design (rcu_read_lock + rcu_dereference readers, destroyed cpusets
 * handed to call_rcu). They brought their own grace-period primitive, ported from a !SMP build where
 * Tiny RCU's synchronize_rcu() is a no-op: on one CPU, the caller reaching synchronize_rcu() is itself
 * proof that every reader has finished (readers cannot be preempted inside their critical sections).
 *
 * The bug: that argument needs one CPU and non-preemptible readers. Here readers run on other CPUs at the
 * same moment, so returning at once ends the grace period while a reader that was inside its read-side
 * section when it began is still inside, and the default reclaimer then frees the cpuset under it.
 *
 * Must raise: gp-too-short. The engine counts and checks the grace period around .synchronize: a reader
 * inside a section when it began is still inside when it returns (and the callbacks queued before it run
 * after "a" grace period that waited for nobody). That is seen when the grace period returns, before the
 * callbacks free anything, so it comes before any use-after-free a reader could then see.
 */
#include "harness.h"

static inline void deferred_read(struct h_ctx *ctx, struct h_task *task, struct h_snap *snap, const int flavor,
                                 const int checks)
{
    h_rcu_read_lock(ctx, flavor);
    struct h_cpuset *cs = h_ptr(ctx, rcu_dereference(task->cpuset));
    h_read_delay(ctx, checks);
    h_cpuset_read(ctx, cs, snap, checks);
    h_rcu_read_unlock(ctx, flavor);
}

/* "Tiny RCU": a context that may block is a quiescent state, so there is nothing to wait for. */
static void tiny_synchronize(struct h_ctx *ctx)
{
    (void)ctx;   /* BUG: true on a uniprocessor only */
}

HARNESS_SCHEME(harness_user_scheme, deferred_read,
               .name = "mutant-empty-synchronize",
               .summary = "rcu-deferred with a Tiny-RCU style synchronize that returns at once",
               .flags = H_SCHEME_RCU_READER,
               .slab_mode = H_SLAB_PLAIN,
               .attach = h_publish,
               .destroy = h_cpuset_free_rcu,
               .synchronize = tiny_synchronize);
