/*
 * nested_unlock_imbalance.c - mutant: nested read-side sections whose levels do not balance.
 *
 * What the user meant: the rcu-deferred reader, factored. cpuset_find() follows the kernel idiom of a
 * lookup that "returns with rcu_read_lock held": it takes its own read-side section, which nests inside the
 * caller's (legal in every flavor), dereferences task->cpuset and leaves the section open for the caller.
 * The caller, which had taken rcu_read_lock itself around the whole read, unlocks once.
 *
 * The bug: two locks, one unlock. The read returns inside a read-side section; under mb or membarrier the
 * reader's slot stays announced and every grace period waits for it until the engine closes the section.
 *
 * Must raise: rcu-unbalanced (a read operation that returns with a read-side section open), on the first
 * read. Run with rcu="mb" (any flavor raises it).
 */
#include "harness.h"

/* Returns task's cpuset with rcu_read_lock held: the caller must h_rcu_read_unlock. */
static inline struct h_cpuset *cpuset_find(struct h_ctx *ctx, struct h_task *task, const int flavor)
{
    h_rcu_read_lock(ctx, flavor);
    return h_ptr(ctx, rcu_dereference(task->cpuset));
}

static inline void nested_read(struct h_ctx *ctx, struct h_task *task, struct h_snap *snap, const int flavor,
                               const int checks)
{
    h_rcu_read_lock(ctx, flavor);
    struct h_cpuset *cs = cpuset_find(ctx, task, flavor);
    h_read_delay(ctx, checks);
    h_cpuset_read(ctx, cs, snap, checks);
    h_rcu_read_unlock(ctx, flavor);   /* BUG: cpuset_find's section is still open */
}

HARNESS_SCHEME(harness_user_scheme, nested_read,
               .name = "mutant-nested-unlock-imbalance",
               .summary = "rcu-deferred reader whose nested lookup returns with rcu_read_lock held; one unlock",
               .flags = H_SCHEME_RCU_READER,
               .slab_mode = H_SLAB_PLAIN,
               .attach = h_publish,
               .destroy = h_cpuset_free_rcu);
