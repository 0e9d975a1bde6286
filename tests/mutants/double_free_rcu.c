/*
 * double_free_rcu.c - mutant: two call_rcu()s for one object (an offline/free split that both free).
 *
 * What the user meant: the rcu-deferred design, with teardown split the way cgroup splits css_offline()
 * from css_free(): "offline" unhooks the cpuset and schedules its memory to go after a grace period,
 * "destroy" runs offline and then releases what is left.
 *
 * The bug: both halves end in h_cpuset_free_rcu ("belt and braces": whoever wrote destroy did not know that
 * offline already queued the free). The rcu_head is queued a second time while it is still on the callback
 * list, which in a real kernel corrupts the list (debug-objects reports "active state 1 ... call_rcu").
 *
 * Must raise: double-call-rcu (h_cpuset_free_rcu twice on one object), on the first destroy, in the writer,
 * before any callback runs.
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

/* css_offline(): no task uses it and it is out of the hierarchy; free its memory after a grace period */
static void cpuset_offline(struct h_ctx *ctx, struct h_cpuset *cs)
{
    h_cpuset_free_rcu(ctx, cs);
}

static void cpuset_destroy(struct h_ctx *ctx, struct h_cpuset *cs)
{
    cpuset_offline(ctx, cs);
    h_writer_delay(ctx);
    h_cpuset_free_rcu(ctx, cs);   /* BUG: css_free(): the second call_rcu on the same rcu_head */
}

HARNESS_SCHEME(harness_user_scheme, deferred_read,
               .name = "mutant-double-free-rcu",
               .summary = "offline and destroy both queue the cpuset's rcu_head",
               .flags = H_SCHEME_RCU_READER,
               .slab_mode = H_SLAB_PLAIN,
               .attach = h_publish,
               .destroy = cpuset_destroy);
