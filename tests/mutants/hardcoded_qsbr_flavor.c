/*
 * hardcoded_qsbr_flavor.c - mutant: the reader passes a flavor constant instead of its `flavor` argument.
 *
 * What the user meant: the rcu-deferred reader. It was first written and tested under the default qsbr
 * flavor, with H_FLAVOR_QSBR spelled out in the lock and unlock calls (copied from a qsbr-only snippet).
 *
 * The bug: `flavor` is the flavor the run uses; the read function must pass it on. Under rcu="mb" the
 * qsbr lock and unlock are mere compiler barriers: the reader never publishes that it is inside a
 * read-side section, so a grace period, which under mb looks only at the readers' slots, waits for
 * nobody, and the cpuset can be freed under the reader.
 *
 * Must raise: gp-too-short (a grace period returned while a reader that was inside a read-side section
 * when it began was still inside), before the callback frees what that reader holds. Run with rcu="mb".
 */
#include "harness.h"

static inline void qsbr_only_read(struct h_ctx *ctx, struct h_task *task, struct h_snap *snap, const int flavor,
                                  const int checks)
{
    (void)flavor;
    h_rcu_read_lock(ctx, H_FLAVOR_QSBR);     /* BUG: should be `flavor` */
    struct h_cpuset *cs = h_ptr(ctx, rcu_dereference(task->cpuset));
    h_read_delay(ctx, checks);
    h_cpuset_read(ctx, cs, snap, checks);
    h_rcu_read_unlock(ctx, H_FLAVOR_QSBR);   /* BUG: likewise */
}

HARNESS_SCHEME(harness_user_scheme, qsbr_only_read,
               .name = "mutant-hardcoded-qsbr-flavor",
               .summary = "rcu-deferred reader that always passes H_FLAVOR_QSBR (run under mb)",
               .flags = H_SCHEME_RCU_READER,
               .slab_mode = H_SLAB_PLAIN,
               .attach = h_publish,
               .destroy = h_cpuset_free_rcu);
