/*
 * weak_publish_write_once.c - mutant (weak memory): the new cpuset is published with WRITE_ONCE instead of
 * rcu_assign_pointer.
 *
 * What the user meant: rcu-deferred (rcu_read_lock + rcu_dereference, call_rcu frees), with an attach that
 * stores the offset "atomically", which it does: WRITE_ONCE neither tears nor fuses the store.
 *
 * The bug: WRITE_ONCE has no release ordering. The cpuset's initialisation (h_cpuset_create's stores) may
 * become visible to a reader after the offset does: the reader follows the new offset into an object whose
 * fields are not all there yet. x86 keeps stores in order, so a native run never shows it; Arm and POWER
 * do, and so does `--memory-model weak`.
 *
 * Must raise: torn-read (the payload the engine checks is still the object's previous contents).
 * Memory model: weak (native: SUCCESS).
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

static void plain_publish(struct h_ctx *ctx, struct h_task *task, struct h_cpuset *cs)
{
    WRITE_ONCE(task->cpuset, h_offset(ctx, cs));   /* BUG: should be rcu_assign_pointer */
}

HARNESS_SCHEME(harness_user_scheme, deferred_read,
               .name = "weak-publish-write-once",
               .summary = "rcu-deferred, but the attach publishes with WRITE_ONCE (no release)",
               .flags = H_SCHEME_RCU_READER,
               .slab_mode = H_SLAB_PLAIN,
               .attach = plain_publish,
               .destroy = h_cpuset_free_rcu);
