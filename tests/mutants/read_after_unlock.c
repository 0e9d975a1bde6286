/*
 * read_after_unlock.c - mutant: the pointer is used after rcu_read_unlock.
 *
 * What the user meant: the rcu-deferred reader with the shortest possible critical section: "only the
 * rcu_dereference needs protecting", so the pointer is loaded under rcu_read_lock, the lock is dropped,
 * and the cpuset is read afterwards.
 *
 * The bug: an RCU-protected pointer is only good until rcu_read_unlock. After it, a grace period may
 * complete and the callback free the cpuset while the reader is still reading it (the textbook
 * "rcu_dereference() result used outside the read-side critical section").
 *
 * Must raise: suspicious-rcu (a cpuset accessed, here through h_cpuset_read, outside any read-side section,
 * reference or lock), on the first read: the use-after-free it leads to needs a race, the suspicious
 * access does not.
 */
#include "harness.h"

static inline void short_section_read(struct h_ctx *ctx, struct h_task *task, struct h_snap *snap,
                                      const int flavor, const int checks)
{
    h_rcu_read_lock(ctx, flavor);
    struct h_cpuset *cs = h_ptr(ctx, rcu_dereference(task->cpuset));
    h_rcu_read_unlock(ctx, flavor);
    h_read_delay(ctx, checks);
    h_cpuset_read(ctx, cs, snap, checks);   /* BUG: cs is no longer protected */
}

HARNESS_SCHEME(harness_user_scheme, short_section_read,
               .name = "mutant-read-after-unlock",
               .summary = "rcu-deferred reader that reads the cpuset after rcu_read_unlock",
               .flags = H_SCHEME_RCU_READER,
               .slab_mode = H_SLAB_PLAIN,
               .attach = h_publish,
               .destroy = h_cpuset_free_rcu);
