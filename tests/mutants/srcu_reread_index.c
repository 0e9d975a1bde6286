/*
 * srcu_reread_index.c - mutant: an SRCU of the scheme's own whose unlock re-reads the index.
 *
 * What the user meant: an SRCU in the style of the kernel's srcu_read_lock/unlock, in the scheme's private
 * shared memory. srcu_read_lock loads the current index, counts itself in on that index (a lock count per
 * worker and index, written by that worker only), fences, and returns the index; srcu_read_unlock fences
 * and counts itself out on the SAME index. .synchronize waits for the readers of the inactive index
 * (those that loaded the index just before the last flip), flips, and waits for the old index's readers:
 * an index is drained when its unlock counts summed over the workers equal its lock counts.
 *
 * The bug: the read function does not keep the index srcu_read_lock returned ("the index is global, read
 * it again"): its unlock loads the index anew. A reader that locked on index 0 and unlocks after a flip
 * counts its unlock on index 1: index 1 has one unlock too many, and balances while a reader is inside it.
 *
 * Must raise: hang (index 0 keeps one lock count its unlock never matches: the grace period that waits for
 * index 0 never ends. The engine finds it while it waits: the reclaimer's .synchronize goes on polling the
 * scheme's memory while every worker goes on ending operations, so it waits for nothing any reader holds).
 * The extra unlock on index 1 could also end a grace period early, but the wait on index 0 comes first in
 * every run measured.
 */
#include <sched.h>

#include "harness.h"

#define NW ((H_SCHEME_SHARED_MAX / sizeof(uint64_t) - 8) / 4)

struct srcu {
    uint64_t idx;
    uint64_t lock[2][NW];                          /* per index, per worker: written by that worker only */
    uint64_t unlock[2][NW];
};
_Static_assert(sizeof(struct srcu) <= H_SCHEME_SHARED_MAX, "fits the scheme's shared memory");

static inline uint64_t srcu_read_lock(struct h_ctx *ctx, struct srcu *sp)
{
    uint64_t i = READ_ONCE(sp->idx) & 1;
    WRITE_ONCE(sp->lock[i][ctx->worker], sp->lock[i][ctx->worker] + 1);
    smp_mb();                                       /* counted in before the section's loads */
    h_read_section_enter(ctx);
    return i;
}

static inline void srcu_read_unlock(struct h_ctx *ctx, struct srcu *sp, uint64_t i)
{
    h_read_section_exit(ctx);
    smp_mb();                                       /* the section's loads before we count out */
    WRITE_ONCE(sp->unlock[i][ctx->worker], sp->unlock[i][ctx->worker] + 1);
}

static inline void srcu_read(struct h_ctx *ctx, struct h_task *task, struct h_snap *snap, const int flavor,
                             const int checks)
{
    (void)flavor;
    struct srcu *sp = h_scheme_shared(ctx);
    uint64_t i = srcu_read_lock(ctx, sp);
    struct h_cpuset *cs = h_ptr(ctx, rcu_dereference(task->cpuset));
    h_read_delay(ctx, checks);
    h_cpuset_read(ctx, cs, snap, checks);
    srcu_read_unlock(ctx, sp, READ_ONCE(sp->idx) & 1);   /* BUG: the index lock returned was i */
}

/* Readers of index i all gone: the unlocks first, then (after a fence) the locks, as the kernel does. */
static int srcu_drained(struct srcu *sp, uint64_t i)
{
    uint64_t unlocks = 0, locks = 0;
    for (size_t w = 0; w < NW; w++)
        unlocks += smp_load_acquire(&sp->unlock[i][w]);
    smp_mb();
    for (size_t w = 0; w < NW; w++)
        locks += READ_ONCE(sp->lock[i][w]);
    return locks == unlocks;
}

static void srcu_wait(struct srcu *sp, uint64_t i)
{
    for (int spins = 0; !srcu_drained(sp, i); spins++)
        if (spins > 100)
            sched_yield();
        else
            cpu_relax();
}

static void srcu_synchronize(struct h_ctx *ctx)
{
    struct srcu *sp = h_scheme_shared(ctx);
    uint64_t i = READ_ONCE(sp->idx) & 1;
    smp_mb();                                       /* the caller's unpublish before the scans */
    srcu_wait(sp, i ^ 1);                           /* readers that loaded the index before the last flip */
    WRITE_ONCE(sp->idx, sp->idx + 1);
    smp_mb();
    srcu_wait(sp, i);                               /* the old index's readers */
    smp_mb();
}

HARNESS_SCHEME(harness_user_scheme, srcu_read,
               .name = "mutant-srcu-reread-index",
               .summary = "own SRCU whose unlock loads the index again instead of using the one lock returned",
               .slab_mode = H_SLAB_PLAIN,
               .shared_size = sizeof(struct srcu),
               .attach = h_publish,
               .destroy = h_cpuset_free_rcu,
               .synchronize = srcu_synchronize);
