/*
 * put_without_get.c - mutant: a reader's failure path drops a reference it never took.
 *
 * What the user meant: the refcount scheme (refscale's typesafe_ref): under rcu_read_lock, dereference,
 * take a reference with inc_not_zero, recheck that the task still points at the cpuset, read, put. The two
 * ways to lose the race (the count was already zero; the task moved on) were merged into one "drop what we
 * took and retry" branch.
 *
 * The bug: when inc_not_zero failed we took nothing, but the merged branch puts anyway (the goto-out_put
 * pattern where one label serves paths with and without the reference). The count of a cpuset that is
 * being freed goes from 0 to "minus one" (0xffffffff): the object is free, and any later inc_not_zero on
 * it now succeeds.
 *
 * Must raise: refcount, the first time inc_not_zero fails: a put on a count that was already 0, and a
 * reader operation that dropped one more reference than it took (the engine balances every reader's gets
 * and puts at the end of each read, so the kind is raised in the very operation that has the bug). As a
 * rule the cpuset is already free when the bogus put lands, so the put is also a use-after-free (a write
 * to a free object; typesafe-by-RCU lets a reader only read one), reported first, in the same operation.
 */
#include "harness.h"

static void cpuset_put(struct h_ctx *ctx, struct h_cpuset *cs)
{
    if (h_ref_put(&cs->refcount))
        h_cpuset_free(ctx, cs);
}

static inline void refcount_read(struct h_ctx *ctx, struct h_task *task, struct h_snap *snap, const int flavor,
                                 const int checks)
{
    for (;;) {
        h_rcu_read_lock(ctx, flavor);
        h_off off = rcu_dereference(task->cpuset);
        struct h_cpuset *cs = h_ptr(ctx, off);
        h_read_delay(ctx, checks);
        if (!h_ref_inc_not_zero(&cs->refcount) || READ_ONCE(task->cpuset) != off) {
            cpuset_put(ctx, cs);   /* BUG: also when inc_not_zero failed and we hold nothing */
            h_rcu_read_unlock(ctx, flavor);
            h_near_miss(ctx);
            continue;
        }
        h_rcu_read_unlock(ctx, flavor);
        h_cpuset_read(ctx, cs, snap, checks);
        cpuset_put(ctx, cs);
        return;
    }
}

static void refcount_attach(struct h_ctx *ctx, struct h_task *task, struct h_cpuset *cs)
{
    struct h_cpuset *old = h_ptr(ctx, task->cpuset);
    atomic_inc_relaxed(&cs->refcount);
    rcu_assign_pointer(task->cpuset, h_offset(ctx, cs));
    cpuset_put(ctx, old);
}

HARNESS_SCHEME(harness_user_scheme, refcount_read,
               .name = "mutant-put-without-get",
               .summary = "refcount reader whose merged failure branch puts when inc_not_zero failed",
               .flags = H_SCHEME_RCU_READER | H_SCHEME_REFCOUNT,
               .slab_mode = H_SLAB_TYPESAFE_BY_RCU,
               .attach = refcount_attach,
               .destroy = cpuset_put);
