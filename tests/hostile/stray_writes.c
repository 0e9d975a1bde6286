/*
 * stray_writes.c - a correct RCU reader (rcu-deferred's) with one stray line in its read, the kind of bug
 * the code under test has: which line is chosen by $STRAY (read once per worker), so that one build serves
 * every variant. After a thousand reads the line runs once.
 */
#include <stdlib.h>

#include "harness.h"

static inline void stray(struct h_ctx *ctx, struct h_cpuset *cs, int which)
{
    switch (which) {
    case 0:   /* the scribble as reported: a small offset from the arena base */
        memset((char *)ctx->base + 64, 0x41, 4096);
        break;
    case 1:   /* one object too far: the neighbour in the slab, or past the page's end */
        memset(cs + 1, 0x41, sizeof(*cs));
        break;
    case 2:   /* an overrun of the rcu head into the cpuset's tail */
        memset((char *)&cs->rcu + sizeof(cs->rcu), 0x41, 16);
        break;
    case 3:   /* another worker's RCU slot */
        memset(ctx->slot + 1, 0x41, sizeof(*ctx->slot));
        break;
    case 4:   /* the grace-period counter, through the context's own pointer */
        WRITE_ONCE(*ctx->gp_ctr, READ_ONCE(*ctx->gp_ctr) + 1000);
        break;
    case 5:   /* the cpusets-in-use count, cast writable */
        WRITE_ONCE(*(uint64_t *)ctx->number_of_cpusets, 1);
        break;
    case 6:   /* far past the end of the scheme's own shared memory */
        memset(ctx->shared, 0x41, 64 * 1024);
        break;
    case 7:   /* the scribble through the engine's opaque pointer */
        memset((char *)ctx->arena + 64, 0x41, 4096);
        break;
    case 8:   /* its own slot marked dead: grace periods would stop waiting for this reader */
        WRITE_ONCE(ctx->slot->dead, 1);
        break;
    }
}

static inline void stray_read(struct h_ctx *ctx, struct h_task *task, struct h_snap *snap, const int flavor,
                              const int checks)
{
    static int n, which = -1;
    if (which < 0)
        which = atoi(getenv("STRAY") ? getenv("STRAY") : "-2");
    h_rcu_read_lock(ctx, flavor);
    struct h_cpuset *cs = h_ptr(ctx, rcu_dereference(task->cpuset));
    if (++n == 1000)
        stray(ctx, cs, which);
    h_cpuset_read(ctx, cs, snap, checks);
    h_rcu_read_unlock(ctx, flavor);
}

HARNESS_SCHEME(harness_user_scheme, stray_read,
               .name = "stray-writes",
               .summary = "rcu-deferred's reader with one stray write ($STRAY picks which)",
               .flags = H_SCHEME_RCU_READER,
               .slab_mode = H_SLAB_PLAIN,
               .attach = h_publish,
               .destroy = h_cpuset_free_rcu);
