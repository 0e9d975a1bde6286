/*
 * forking_read.c - a correct reader that, once per reader process, forks a child which never exits (a user
 * who shells out, or a library that starts a helper). The harness must leave no such child behind when the
 * run ends, however it ends.
 */
#include <unistd.h>
#include "harness.h"

static inline void forking_read(struct h_ctx *ctx, struct h_task *task, struct h_snap *snap, const int flavor,
                                const int checks)
{
    static int forked;
    if (!forked) {
        forked = 1;
        if (fork() == 0)
            for (;;)
                pause();
    }
    h_rcu_read_lock(ctx, flavor);
    h_cpuset_read(ctx, h_ptr(ctx, rcu_dereference(task->cpuset)), snap, checks);
    h_rcu_read_unlock(ctx, flavor);
}

HARNESS_SCHEME(harness_user_scheme, forking_read,
               .name = "forking-read",
               .summary = "rcu-deferred's reader, forking a child that never exits",
               .flags = H_SCHEME_RCU_READER,
               .slab_mode = H_SLAB_PLAIN,
               .attach = h_publish,
               .destroy = h_cpuset_free_rcu);
