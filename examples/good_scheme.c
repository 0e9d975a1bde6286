/*
 * good_scheme.c - a correct scheme, written the way a user of the harness writes one.
 *
 *     python -m harness soak --scheme-file examples/good_scheme.c --duration 10s
 *
 * Design: a lockless fastpath with a locked slowpath.
 *
 *   Fastpath (almost every read): rcu_read_lock, rcu_dereference(task->cpuset), read the cpuset, and
 *   revalidate. Cpusets come from a SLAB_TYPESAFE_BY_RCU cache, so a destroyed cpuset may be reused *at
 *   once* as another cpuset while we look at it: the memory stays a cpuset (its slab page goes back to the
 *   page allocator only after a grace period), but its identity may change under us. So we keep what we
 *   read only if the object's sequence count (odd while free, bumped on every free and reallocation) was
 *   even and unchanged across the reads, and task->cpuset still points at it afterwards.
 *
 *   Slowpath (after a few failed revalidations, e.g. under a writer storm): task_lock(task). Our attach
 *   also publishes under task_lock, so while we hold it task->cpuset cannot change, and a cpuset that is
 *   attached to a task is never destroyed: plain loads are enough.
 */
#include "harness.h"

#define FAST_TRIES 3

static inline void example_read(struct h_ctx *ctx, struct h_task *task, struct h_snap *snap, const int flavor,
                                const int checks)
{
    h_rcu_read_lock(ctx, flavor);
    for (int tries = 0; tries < FAST_TRIES; tries++) {
        h_off off = rcu_dereference(task->cpuset);
        struct h_cpuset *cs = h_ptr(ctx, off);
        h_read_delay(ctx, checks);                    /* race amplifier: our window is here */
        uint32_t seq = smp_load_acquire(&cs->seq);    /* the sequence before the fields... */
        h_cpuset_read(ctx, cs, snap, checks);
        smp_rmb();                                    /* ...the fields before the pointer recheck... */
        if (!(seq & 1) && READ_ONCE(task->cpuset) == off) {
            smp_rmb();                                /* ...the pointer recheck before the sequence recheck */
            if (READ_ONCE(cs->seq) == seq) {
                h_rcu_read_unlock(ctx, flavor);
                return;
            }
        }
        h_near_miss(ctx);                             /* recycled under us: seen and rejected */
    }
    h_rcu_read_unlock(ctx, flavor);

    task_lock(task);
    h_cpuset_read(ctx, h_ptr(ctx, READ_ONCE(task->cpuset)), snap, checks);
    task_unlock(task);
}

/* Called with the cpuset mutex held. rcu_assign_pointer orders the cpuset's initialisation before the
 * pointer; task_lock makes the slowpath's plain loads safe. */
static void example_attach(struct h_ctx *ctx, struct h_task *task, struct h_cpuset *cs)
{
    task_lock(task);
    rcu_assign_pointer(task->cpuset, h_offset(ctx, cs));
    task_unlock(task);
}

HARNESS_SCHEME(harness_user_scheme, example_read,
               .name = "example-typesafe-fallback",
               .summary = "RCU + TYPESAFE_BY_RCU fastpath with seqcount/pointer revalidation, task_lock slowpath",
               .flags = H_SCHEME_RCU_READER,
               .slab_mode = H_SLAB_TYPESAFE_BY_RCU,   /* reuse at once, but memory stays a cpuset */
               .attach = example_attach,
               .destroy = h_cpuset_free);            /* no grace period: the slab mode provides it */
