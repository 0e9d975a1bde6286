/*
 * typesafe_inline_call_rcu.c - mutant: "my scheme never uses call_rcu", so a call_rcu that runs at once.
 *
 * What the user meant: the rcu-typesafe design of examples/good_scheme.c (revalidating readers, destroy
 * frees with h_cpuset_free at once). Since destroy never defers anything, the user concluded the scheme
 * needs no grace periods at all, and plugged in a call_rcu that invokes the callback immediately, to keep
 * the reclaimer (and its grace periods) out of the measurements.
 *
 * The bug: SLAB_TYPESAFE_BY_RCU is itself a call_rcu user. Objects are reused at once, but an empty slab
 * page goes back to the page allocator through call_rcu, after a grace period; that grace period is what
 * makes it safe for a revalidating reader to touch a freed object at all. With the callback run inline the
 * page is poisoned and handed out while readers may still be looking into it.
 *
 * Must raise: gp-too-short (a call_rcu callback that runs before any grace period completed after it was
 * queued), at the first empty slab page, in the writer, before the page is given back.
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
        uint32_t seq = smp_load_acquire(&cs->seq);
        h_cpuset_read(ctx, cs, snap, checks);
        smp_rmb();
        if (!(seq & 1) && READ_ONCE(task->cpuset) == off) {
            smp_rmb();
            if (READ_ONCE(cs->seq) == seq)
                break;
        }
        h_near_miss(ctx);
    }
    h_rcu_read_unlock(ctx, flavor);
}

/* "Nothing of ours is ever deferred": run the callback now. */
static void inline_call_rcu(struct h_ctx *ctx, struct h_rcu_head *head, enum h_cb_kind kind)
{
    head->kind = kind;
    head->queued_ns = h_now_ns();
    h_rcu_invoke(ctx, head);   /* BUG: no grace period between queueing and invoking */
}

HARNESS_SCHEME(harness_user_scheme, typesafe_read,
               .name = "mutant-typesafe-inline-call-rcu",
               .summary = "typesafe readers with a call_rcu that invokes at once (slab pages skip their grace period)",
               .flags = H_SCHEME_RCU_READER,
               .slab_mode = H_SLAB_TYPESAFE_BY_RCU,
               .attach = h_publish,
               .destroy = h_cpuset_free,
               .call_rcu = inline_call_rcu);
