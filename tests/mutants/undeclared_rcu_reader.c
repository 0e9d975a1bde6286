/*
 * undeclared_rcu_reader.c - mutant: RCU readers in a scheme that does not claim them.
 *
 * What the user meant: start from the task-lock scheme (readers hold task_lock around the dereference, a
 * lock-based scheme with no flags) and turn it into rcu-deferred: rcu_read_lock in the reader, call_rcu
 * in destroy.
 *
 * The bug: the ops table was copied from the lock-based scheme and still claims nothing: .flags lacks
 * H_SCHEME_RCU_READER. The claim is what tells the engine that readers hold RCU read-side sections, the way
 * a kernel subsystem must be built with RCU for rcu_read_lock to mean anything; grace periods are not
 * obliged to wait for read-side sections nobody declared.
 *
 * Must raise: rcu-undeclared (h_rcu_read_lock from a scheme whose flags lack H_SCHEME_RCU_READER), on the
 * first read.
 */
#include "harness.h"

static inline void converted_read(struct h_ctx *ctx, struct h_task *task, struct h_snap *snap, const int flavor,
                                  const int checks)
{
    h_rcu_read_lock(ctx, flavor);   /* was: task_lock(task) */
    struct h_cpuset *cs = h_ptr(ctx, rcu_dereference(task->cpuset));
    h_read_delay(ctx, checks);
    h_cpuset_read(ctx, cs, snap, checks);
    h_rcu_read_unlock(ctx, flavor);   /* was: task_unlock(task) */
}

HARNESS_SCHEME(harness_user_scheme, converted_read,
               .name = "mutant-undeclared-rcu-reader",
               .summary = "rcu-deferred reader in an ops table that does not claim H_SCHEME_RCU_READER",
               /* BUG: no .flags = H_SCHEME_RCU_READER (copied from the task-lock scheme's table) */
               .slab_mode = H_SLAB_PLAIN,
               .attach = h_publish,
               .destroy = h_cpuset_free_rcu);
