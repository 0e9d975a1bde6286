/*
 * Lock-based schemes: the code before RCU. A reader holds a lock across the dereference and the read, so
 * a writer that changes the pointer under the same lock may free the old cpuset at once.
 */
#include "harness.h"

/* ---- global-lock: one lock for everything, the then cpuset semaphore (cpuset_sem) ---- */

/* The semaphore is the scheme's own, in its private shared memory (.shared_size). */
static inline uint32_t *cpuset_sem(struct h_ctx *ctx) { return h_scheme_shared(ctx); }

static inline void global_lock_read(struct h_ctx *ctx, struct h_task *task, struct h_snap *snap, const int flavor,
                                    const int checks)
{
    (void)flavor;
    h_spin_lock(cpuset_sem(ctx));
    struct h_cpuset *cs = h_ptr(ctx, READ_ONCE(task->cpuset));
    h_read_delay(ctx, checks);
    h_cpuset_read(ctx, cs, snap, checks);
    h_spin_unlock(cpuset_sem(ctx));
}

/* The writer changes the pointer under the semaphore; a destroyed cpuset has no task, so it is freed at once. */
static void global_lock_attach(struct h_ctx *ctx, struct h_task *task, struct h_cpuset *cs)
{
    h_spin_lock(cpuset_sem(ctx));
    WRITE_ONCE(task->cpuset, h_offset(ctx, cs));
    h_spin_unlock(cpuset_sem(ctx));
}

HARNESS_SCHEME(scheme_global_lock, global_lock_read,
               .name = "global-lock",
               .summary = "readers take the one cpuset semaphore around the dereference",
               .slab_mode = H_SLAB_PLAIN,
               .shared_size = sizeof(uint32_t),
               .attach = global_lock_attach,
               .destroy = h_cpuset_free);

/* ---- task-lock: task_lock(current) around the dereference, as before the 2005 proposal ---- */

static inline void task_lock_read(struct h_ctx *ctx, struct h_task *task, struct h_snap *snap, const int flavor,
                                  const int checks)
{
    (void)flavor;
    task_lock(task);
    struct h_cpuset *cs = h_ptr(ctx, READ_ONCE(task->cpuset));
    h_read_delay(ctx, checks);
    h_cpuset_read(ctx, cs, snap, checks);
    task_unlock(task);
}

static void task_lock_attach(struct h_ctx *ctx, struct h_task *task, struct h_cpuset *cs)
{
    task_lock(task);
    WRITE_ONCE(task->cpuset, h_offset(ctx, cs));
    task_unlock(task);
}

HARNESS_SCHEME(scheme_task_lock, task_lock_read,
               .name = "task-lock",
               .summary = "task_lock(current) around the dereference; the old cpuset is freed at once",
               .slab_mode = H_SLAB_PLAIN,
               .attach = task_lock_attach,
               .destroy = h_cpuset_free);

/* ---- busted-task-lock: the writer changes the pointer without task_lock, then frees the old cpuset ---- */

HARNESS_SCHEME(scheme_busted_task_lock, task_lock_read,
               .name = "busted-task-lock",
               .summary = "task-lock readers, but the writer swaps the pointer without taking task_lock",
               .flags = H_SCHEME_BUSTED,
               .expected = "identity,use-after-free,torn-read",
               .slab_mode = H_SLAB_PLAIN,
               .attach = h_publish,   /* BUG: no task_lock, yet the old cpuset is freed at once */
               .destroy = h_cpuset_free);
