/*
 * nested_sections.c - nested RCU read-side sections, written against harness.h.
 *
 *     python -m harness soak --scheme-file examples/nested_sections.c --rcu mb --duration 10s
 *
 * The rcu-deferred reader, factored: cpuset_read_mems() is a self-contained helper that takes
 * rcu_read_lock itself so that any caller may use it, and the read function holds rcu_read_lock around the
 * dereference too. h_rcu_read_lock nests in every flavor, as the kernel's and liburcu's do: only the
 * outermost lock and unlock announce the reader, so the inner unlock does not end the outer section.
 */
#include "harness.h"

/* May be called with or without rcu_read_lock held. */
static inline void cpuset_read_mems(struct h_ctx *ctx, const struct h_cpuset *cs, struct h_snap *snap,
                                    const int flavor, const int checks)
{
    h_rcu_read_lock(ctx, flavor);
    h_cpuset_read(ctx, cs, snap, checks);
    h_rcu_read_unlock(ctx, flavor);
}

static inline void nested_read(struct h_ctx *ctx, struct h_task *task, struct h_snap *snap, const int flavor,
                               const int checks)
{
    h_rcu_read_lock(ctx, flavor);
    struct h_cpuset *cs = h_ptr(ctx, rcu_dereference(task->cpuset));
    cpuset_read_mems(ctx, cs, snap, flavor, checks);
    h_read_delay(ctx, checks);                      /* race amplifier: the outer section after the inner one */
    h_cpuset_read(ctx, cs, snap, checks);           /* still protected by the outer section */
    h_rcu_read_unlock(ctx, flavor);
}

HARNESS_SCHEME(harness_user_scheme, nested_read,
               .name = "example-nested-sections",
               .summary = "rcu-deferred reader with a helper that nests rcu_read_lock",
               .flags = H_SCHEME_RCU_READER,
               .slab_mode = H_SLAB_PLAIN,
               .attach = h_publish,
               .destroy = h_cpuset_free_rcu);
