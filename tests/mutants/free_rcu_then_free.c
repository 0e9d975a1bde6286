/*
 * free_rcu_then_free.c - mutant: a kfree() left behind by a kfree_rcu() conversion.
 *
 * What the user meant: convert their lock-based scheme (readers under task_lock, the old cpuset freed at
 * once) to RCU: readers take rcu_read_lock instead, and the free is deferred past a grace period. They
 * changed the release helper to h_cpuset_free_rcu...
 *
 * The bug: ...but destroy still ends with the synchronous h_cpuset_free it had before, the way a
 * conversion patch misses one of two frees on a teardown path. The object is freed at once while its
 * callback is still pending, and the callback frees it a second time after the grace period.
 *
 * Must raise: double-free. h_cpuset_free on an object whose call_rcu is pending is a double free, and it is
 * seen on the first destroy, in the writer, before any memory has been given back (so before any reader
 * can see a freed cpuset).
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

/* was: h_cpuset_free(ctx, cs); readers may still be looking, so wait a grace period first */
static void cpuset_release(struct h_ctx *ctx, struct h_cpuset *cs)
{
    h_cpuset_free_rcu(ctx, cs);
}

static void cpuset_destroy(struct h_ctx *ctx, struct h_cpuset *cs)
{
    cpuset_release(ctx, cs);
    h_cpuset_free(ctx, cs);   /* BUG: the old synchronous free, left behind by the conversion */
}

HARNESS_SCHEME(harness_user_scheme, deferred_read,
               .name = "mutant-free-rcu-then-free",
               .summary = "destroy defers the free with call_rcu, then frees at once as well",
               .flags = H_SCHEME_RCU_READER,
               .slab_mode = H_SLAB_PLAIN,
               .attach = h_publish,
               .destroy = cpuset_destroy);
