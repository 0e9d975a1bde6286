/*
 * epoch_one_advance.c - mutant: epoch-based reclamation that frees after one epoch advance.
 *
 * What the user meant: examples/epoch_reclamation.c. The bug: .synchronize advances the epoch once ("every
 * active reader is in the current epoch, so nobody can hold anything older"). A reader that announced the
 * current epoch before the advance, and loaded the cpuset before it was unpublished, is not waited for: the
 * two-epoch rule exists for it.
 *
 * Must raise: gp-too-short (the grace period returned while a reader inside its section when it began was
 * still inside).
 */
#include <sched.h>

#include "harness.h"

struct epochs {
    uint64_t epoch;
    uint64_t active[H_SCHEME_SHARED_MAX / sizeof(uint64_t) - 1];   /* indexed by worker */
};
_Static_assert(sizeof(struct epochs) <= H_SCHEME_SHARED_MAX, "fits the scheme's shared memory");
#define NREADERS (sizeof(((struct epochs *)0)->active) / sizeof(uint64_t))

static inline void ebr_read(struct h_ctx *ctx, struct h_task *task, struct h_snap *snap, const int flavor,
                            const int checks)
{
    (void)flavor;
    struct epochs *ep = h_scheme_shared(ctx);
    uint64_t *me = &ep->active[ctx->worker];
    uint64_t e = READ_ONCE(ep->epoch);
    WRITE_ONCE(*me, (e << 1) | 1);
    smp_mb();                                       /* the announcement before the pointer load */
    h_read_section_enter(ctx);
    struct h_cpuset *cs = h_ptr(ctx, rcu_dereference(task->cpuset));
    h_read_delay(ctx, checks);                      /* race amplifier: inside the section */
    h_cpuset_read(ctx, cs, snap, checks);
    h_read_section_exit(ctx);
    smp_store_release(me, 0);                       /* our reads before we leave */
}

/* Wait until no reader is active in an epoch other than the current one, then advance it. */
static void ebr_advance(struct epochs *ep)
{
    uint64_t e = READ_ONCE(ep->epoch);
    smp_mb();                                       /* earlier unpublishes before the scan */
    for (size_t w = 0; w < NREADERS; w++) {
        uint64_t v;
        for (int spins = 0; ((v = smp_load_acquire(&ep->active[w])) & 1) && v >> 1 != e; spins++)
            if (spins > 100)
                sched_yield();
            else
                cpu_relax();
    }
    smp_store_release(&ep->epoch, e + 1);
    smp_mb();                                       /* the new epoch before the next scan's loads */
}

static void ebr_synchronize(struct h_ctx *ctx)
{
    struct epochs *ep = h_scheme_shared(ctx);
    ebr_advance(ep);                                /* BUG: one advance is not a grace period */
}

HARNESS_SCHEME(harness_user_scheme, ebr_read,
               .name = "mutant-epoch-one-advance",
               .summary = "epoch-based reclamation: announce the epoch, retire with call_rcu, one advance per grace period",
               .slab_mode = H_SLAB_PLAIN,
               .shared_size = sizeof(struct epochs),
               .attach = h_publish,
               .destroy = h_cpuset_free_rcu,
               .synchronize = ebr_synchronize);
