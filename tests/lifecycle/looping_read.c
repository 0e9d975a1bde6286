/*
 * looping_read.c - a reader that, after a while, never returns from its read (a retry loop whose exit
 * condition never comes true). A real scheme bug: the run must end as a hang, and a second Ctrl-C must
 * still get the user out at once, with a verdict.
 */
#include "harness.h"

static inline void looping_read(struct h_ctx *ctx, struct h_task *task, struct h_snap *snap, const int flavor,
                                const int checks)
{
    static unsigned long reads;
    h_rcu_read_lock(ctx, flavor);
    h_cpuset_read(ctx, h_ptr(ctx, rcu_dereference(task->cpuset)), snap, checks);
    h_rcu_read_unlock(ctx, flavor);
    if (++reads > 100000)
        for (;;)
            cpu_relax();
}

HARNESS_SCHEME(harness_user_scheme, looping_read,
               .name = "looping-read",
               .summary = "rcu-deferred's reader, stuck in an endless loop after 100000 reads",
               .flags = H_SCHEME_RCU_READER,
               .slab_mode = H_SLAB_PLAIN,
               .attach = h_publish,
               .destroy = h_cpuset_free_rcu);
