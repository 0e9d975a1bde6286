/*
 * lock_across_synchronize.c - a scheme that deadlocks, written the way a user writes one.
 *
 * What the user meant: readers read task->cpuset under the scheme's own spinlock, inside a read-side
 * section, and the writer publishes under that lock and waits for a grace period before letting go of it,
 * "so that no reader can see a half-made change".
 *
 * The bug: synchronize_rcu with the lock held. The grace period waits for every reader inside a read-side
 * section; a reader inside one waits for the lock; the writer holding the lock waits for the grace period.
 * AB-BA: once the writer attaches while a reader is online, nobody moves again.
 */
#include "harness.h"

static inline void locked_read(struct h_ctx *ctx, struct h_task *task, struct h_snap *snap, const int flavor,
                               const int checks)
{
    uint32_t *lock = h_scheme_shared(ctx);
    h_rcu_read_lock(ctx, flavor);
    h_spin_lock(lock);
    h_cpuset_read(ctx, h_ptr(ctx, rcu_dereference(task->cpuset)), snap, checks);
    h_spin_unlock(lock);
    h_rcu_read_unlock(ctx, flavor);
}

static void locked_attach(struct h_ctx *ctx, struct h_task *task, struct h_cpuset *cs)
{
    uint32_t *lock = h_scheme_shared(ctx);
    h_spin_lock(lock);
    h_publish(ctx, task, cs);
    h_synchronize_rcu(ctx);   /* BUG: waits for readers, who wait for this lock */
    h_spin_unlock(lock);
}

static void locked_destroy(struct h_ctx *ctx, struct h_cpuset *cs)
{
    uint32_t *lock = h_scheme_shared(ctx);
    h_spin_lock(lock);
    h_cpuset_free(ctx, cs);
    h_spin_unlock(lock);
}

HARNESS_SCHEME(harness_user_scheme, locked_read,
               .name = "lock-across-synchronize",
               .summary = "readers take the scheme's lock inside a read-side section; the writer holds it across synchronize_rcu",
               .flags = H_SCHEME_RCU_READER,
               .slab_mode = H_SLAB_PLAIN,
               .shared_size = sizeof(uint32_t),
               .attach = locked_attach,
               .destroy = locked_destroy);
