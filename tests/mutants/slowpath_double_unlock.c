/*
 * slowpath_double_unlock.c - mutant: the slow path leaves the read-side section, then the exit leaves it again.
 *
 * What the user meant: examples/good_scheme.c's design with a single optimistic attempt: a lockless
 * TYPESAFE_BY_RCU fastpath revalidated by sequence count and pointer recheck, and, if that attempt fails,
 * the task_lock slowpath (attach publishes under task_lock, so plain loads are safe there). The slowpath
 * must not run inside the read-side section, so it drops it first.
 *
 * The bug: the function was restructured around one exit label, and the rcu_read_unlock at the label
 * runs after the slowpath as well, whose section was already closed: an unlock without a lock. Under the
 * mb and membarrier flavors that second unlock would clear the reader's slot behind the back of any
 * enclosing section; under qsbr it is silent, which is how it survives testing.
 *
 * Must raise: rcu-unbalanced (h_rcu_read_unlock without h_rcu_read_lock), on the first failed fastpath
 * attempt. Default (qsbr) flavor.
 */
#include "harness.h"

static inline void fast_slow_read(struct h_ctx *ctx, struct h_task *task, struct h_snap *snap, const int flavor,
                                  const int checks)
{
    h_rcu_read_lock(ctx, flavor);
    h_off off = rcu_dereference(task->cpuset);
    struct h_cpuset *cs = h_ptr(ctx, off);
    h_read_delay(ctx, checks);
    uint32_t seq = smp_load_acquire(&cs->seq);
    h_cpuset_read(ctx, cs, snap, checks);
    smp_rmb();
    if (!(seq & 1) && READ_ONCE(task->cpuset) == off) {
        smp_rmb();
        if (READ_ONCE(cs->seq) == seq)
            goto out;
    }
    h_near_miss(ctx);
    h_rcu_read_unlock(ctx, flavor);   /* the slowpath runs outside the section */

    task_lock(task);
    h_cpuset_read(ctx, h_ptr(ctx, READ_ONCE(task->cpuset)), snap, checks);
    task_unlock(task);
out:
    h_rcu_read_unlock(ctx, flavor);   /* BUG: also reached from the slowpath, already unlocked */
}

static void locked_attach(struct h_ctx *ctx, struct h_task *task, struct h_cpuset *cs)
{
    task_lock(task);
    rcu_assign_pointer(task->cpuset, h_offset(ctx, cs));
    task_unlock(task);
}

HARNESS_SCHEME(harness_user_scheme, fast_slow_read,
               .name = "mutant-slowpath-double-unlock",
               .summary = "typesafe fastpath + task_lock slowpath; the exit label unlocks RCU a second time",
               .flags = H_SCHEME_RCU_READER,
               .slab_mode = H_SLAB_TYPESAFE_BY_RCU,
               .attach = locked_attach,
               .destroy = h_cpuset_free);
