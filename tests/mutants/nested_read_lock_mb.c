/*
 * nested_read_lock_mb.c - mutant: a helper that takes rcu_read_lock again, under a flavor that cannot nest.
 *
 * What the user meant: the rcu-deferred reader, factored: cpuset_read_mems() is a self-contained helper
 * that takes rcu_read_lock itself so that any caller may use it; the read function also holds
 * rcu_read_lock around the dereference. In the kernel rcu_read_lock nests, so this is fine there.
 *
 * The bug: this RCU's mb and membarrier flavors keep one slot per reader, not a nesting count (like a
 * minimal userspace RCU). The helper's unlock clears the slot and ends the OUTER section too: the rest of
 * the outer section is unprotected and a grace period no longer waits for it.
 *
 * Must raise: rcu-nested (a nested h_rcu_read_lock under the mb or membarrier flavor), on the first read.
 * Run with rcu="mb".
 */
#include "harness.h"

/* May be called with or without rcu_read_lock held. */
static inline void cpuset_read_mems(struct h_ctx *ctx, const struct h_cpuset *cs, struct h_snap *snap,
                                    const int flavor, const int checks)
{
    h_rcu_read_lock(ctx, flavor);     /* BUG: nests inside the caller's section */
    h_cpuset_read(ctx, cs, snap, checks);
    h_rcu_read_unlock(ctx, flavor);   /* under mb: ends the caller's section too */
}

static inline void nested_read(struct h_ctx *ctx, struct h_task *task, struct h_snap *snap, const int flavor,
                               const int checks)
{
    h_rcu_read_lock(ctx, flavor);
    struct h_cpuset *cs = h_ptr(ctx, rcu_dereference(task->cpuset));
    h_read_delay(ctx, checks);
    cpuset_read_mems(ctx, cs, snap, flavor, checks);
    h_rcu_read_unlock(ctx, flavor);
}

HARNESS_SCHEME(harness_user_scheme, nested_read,
               .name = "mutant-nested-read-lock",
               .summary = "rcu-deferred reader whose helper nests rcu_read_lock (run under mb)",
               .flags = H_SCHEME_RCU_READER,
               .slab_mode = H_SLAB_PLAIN,
               .attach = h_publish,
               .destroy = h_cpuset_free_rcu);
