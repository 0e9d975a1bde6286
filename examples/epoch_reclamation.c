/*
 * epoch_reclamation.c - epoch-based reclamation (Fraser 2004; crossbeam-epoch), written against harness.h.
 *
 *     python -m harness soak --scheme-file examples/epoch_reclamation.c --duration 10s
 *
 * A global epoch and, per reader, an announcement: (epoch << 1) | 1 while inside, 0 outside. A reader
 * announces the epoch it loaded, fences, and only then loads task->cpuset. Destroy retires the cpuset with
 * h_cpuset_free_rcu; the engine's reclaimer frees a batch after this scheme's .synchronize, which advances
 * the epoch TWICE, each advance waiting until every active reader announces the current epoch: the
 * two-epoch rule. One advance is not enough: a reader that announced the current epoch before the first
 * advance (and loaded the old pointer) is never waited for by it.
 *
 * Annotations: h_read_section_enter after the announcement and its fence, h_read_section_exit before the
 * announcement is withdrawn. .synchronize is the scheme's own grace period: the engine times and checks it.
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
    ebr_advance(ep);
    ebr_advance(ep);                                /* the two-epoch rule */
}

HARNESS_SCHEME(harness_user_scheme, ebr_read,
               .name = "example-epochs",
               .summary = "epoch-based reclamation: announce the epoch, retire with call_rcu, two advances per grace period",
               .slab_mode = H_SLAB_PLAIN,
               .shared_size = sizeof(struct epochs),
               .attach = h_publish,
               .destroy = h_cpuset_free_rcu,
               .synchronize = ebr_synchronize);
