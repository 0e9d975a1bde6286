/*
 * rcu-typesafe: the thread's proposal. rcu_read_lock + rcu_dereference on a cpuset from a
 * SLAB_TYPESAFE_BY_RCU cache: a destroyed cpuset goes back to the slab at once and may be reused at once,
 * as another cpuset; only its slab page waits for a grace period. So the reader never touches foreign
 * memory, but may see a recycled object and must revalidate.
 *
 * Revalidation without taking a reference: the object's sequence count changes on every free and every
 * reallocation. If it is even and unchanged from before the field reads until after a recheck of
 * task->cpuset that still finds the same offset, then at the moment of that recheck this very allocation
 * (serial) was attached to the task, and the fields read belong to it.
 */
#include "harness.h"

static inline void typesafe_read(struct h_ctx *ctx, struct h_task *task, struct h_snap *snap, const int flavor,
                                 const int checks)
{
    h_rcu_read_lock(ctx, flavor);
    for (;;) {
        h_off off = rcu_dereference(task->cpuset);
        struct h_cpuset *cs = h_ptr(ctx, off);
        h_read_delay(ctx, checks);
        uint32_t seq = smp_load_acquire(&cs->seq);   /* before the fields */
        h_cpuset_read(ctx, cs, snap, checks);
        smp_rmb();                                   /* fields before the recheck of the pointer */
        if (!(seq & 1) && READ_ONCE(task->cpuset) == off) {
            smp_rmb();                               /* pointer recheck before the sequence recheck */
            if (READ_ONCE(cs->seq) == seq)
                break;
        }
        h_near_miss(ctx);   /* freed or reused under us: a recycled object, seen and rejected */
    }
    h_rcu_read_unlock(ctx, flavor);
}

HARNESS_SCHEME(scheme_rcu_typesafe, typesafe_read,
               .name = "rcu-typesafe",
               .summary = "rcu_read_lock + rcu_dereference + identity revalidation on a TYPESAFE_BY_RCU slab",
               .flags = H_SCHEME_RCU_READER,
               .slab_mode = H_SLAB_TYPESAFE_BY_RCU,
               .attach = h_publish,
               .destroy = h_cpuset_free);

/* ---- busted-no-revalidate: the same reader without the identity recheck ---- */

static inline void no_revalidate_read(struct h_ctx *ctx, struct h_task *task, struct h_snap *snap, const int flavor,
                                      const int checks)
{
    h_rcu_read_lock(ctx, flavor);
    struct h_cpuset *cs = h_ptr(ctx, rcu_dereference(task->cpuset));
    h_read_delay(ctx, checks);
    h_cpuset_read(ctx, cs, snap, checks);   /* BUG: cs may have been freed and reused as another cpuset */
    h_rcu_read_unlock(ctx, flavor);
}

HARNESS_SCHEME(scheme_busted_no_revalidate, no_revalidate_read,
               .name = "busted-no-revalidate",
               .summary = "typesafe reuse without the identity recheck",
               .flags = H_SCHEME_RCU_READER | H_SCHEME_BUSTED,
               .expected = "identity,torn-read",
               .slab_mode = H_SLAB_TYPESAFE_BY_RCU,
               .attach = h_publish,
               .destroy = h_cpuset_free);

/* ---- busted-slab-no-rcu: revalidating readers, but on a plain slab ---- */

HARNESS_SCHEME(scheme_busted_slab_no_rcu, typesafe_read,
               .name = "busted-slab-no-rcu",
               .summary = "typesafe readers on a plain slab: empty slab pages go back to the page allocator at once",
               .flags = H_SCHEME_RCU_READER | H_SCHEME_BUSTED,
               .expected = "use-after-free,foreign-memory,wrong-type",
               .slab_mode = H_SLAB_PLAIN,   /* BUG: should be H_SLAB_TYPESAFE_BY_RCU */
               .attach = h_publish,
               .destroy = h_cpuset_free);
