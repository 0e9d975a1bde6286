/*
 * refcount_no_rcu_lock.c - mutant: inc_not_zero without rcu_read_lock ("the reference protects it").
 *
 * What the user meant: the refcount scheme, but "we use reference counts, not RCU": the reader takes a
 * reference with inc_not_zero, rechecks that the task still points at the cpuset, reads it and puts it.
 * Since the reference keeps the cpuset alive, the user saw no need for rcu_read_lock and left
 * H_SCHEME_RCU_READER out of the claims.
 *
 * The bug: the reference protects the object only once it is taken. Loading task->cpuset and touching
 * the object's refcount to take it happen with nothing held: the cpuset may already be freed, and with a
 * TYPESAFE_BY_RCU slab its page may go back to the page allocator, because only a read-side section holds
 * that page back (inc_not_zero needs RCU or typesafe-by-RCU under it; kref_get_unless_zero's comment
 * says as much).
 *
 * Must raise: suspicious-rcu (rcu_dereference, and the refcount operation on a cpuset, outside any
 * read-side section, reference or lock), on the first read.
 */
#include "harness.h"

static void cpuset_put(struct h_ctx *ctx, struct h_cpuset *cs)
{
    if (h_ref_put(&cs->refcount))
        h_cpuset_free(ctx, cs);
}

static inline void unlocked_ref_read(struct h_ctx *ctx, struct h_task *task, struct h_snap *snap,
                                     const int flavor, const int checks)
{
    (void)flavor;
    for (;;) {
        h_off off = rcu_dereference(task->cpuset);      /* BUG: no rcu_read_lock around this... */
        struct h_cpuset *cs = h_ptr(ctx, off);
        h_read_delay(ctx, checks);
        if (h_ref_inc_not_zero(&cs->refcount)) {         /* ...nor this */
            if (READ_ONCE(task->cpuset) == off) {
                h_cpuset_read(ctx, cs, snap, checks);
                cpuset_put(ctx, cs);
                return;
            }
            cpuset_put(ctx, cs);
        }
        h_near_miss(ctx);
    }
}

static void refcount_attach(struct h_ctx *ctx, struct h_task *task, struct h_cpuset *cs)
{
    struct h_cpuset *old = h_ptr(ctx, task->cpuset);
    atomic_inc_relaxed(&cs->refcount);
    rcu_assign_pointer(task->cpuset, h_offset(ctx, cs));
    cpuset_put(ctx, old);
}

HARNESS_SCHEME(harness_user_scheme, unlocked_ref_read,
               .name = "mutant-refcount-no-rcu-lock",
               .summary = "refcount reader that takes its reference with no read-side section around it",
               .flags = H_SCHEME_REFCOUNT,
               .slab_mode = H_SLAB_TYPESAFE_BY_RCU,
               .attach = refcount_attach,
               .destroy = cpuset_put);
