/*
 * hazard_no_recheck.c - mutant: a hazard pointer published and fenced, but never rechecked.
 *
 * What the user meant: examples/hazard_pointers.c. The bug: the loop that rechecks task->cpuset after the
 * fence was dropped as "redundant, we just loaded it". Between the load and the publication a writer may
 * move the task, scan the hazards (ours is not there yet) and free the cpuset: the hazard protects memory
 * that is already gone.
 *
 * Must raise: free-while-claimed (the claim finds the cpuset freed, or reused as another cpuset that was
 * never attached to the reader's task; or the free finds the claim).
 */
#include <sched.h>

#include "harness.h"

struct hazards {
    h_off slot[H_SCHEME_SHARED_MAX / sizeof(h_off)];   /* indexed by worker: one hazard each */
};
_Static_assert(sizeof(struct hazards) <= H_SCHEME_SHARED_MAX, "fits the scheme's shared memory");
#define NSLOTS (sizeof(((struct hazards *)0)->slot) / sizeof(h_off))

static inline void hp_read(struct h_ctx *ctx, struct h_task *task, struct h_snap *snap, const int flavor,
                           const int checks)
{
    (void)flavor;
    h_off *hazard = &((struct hazards *)h_scheme_shared(ctx))->slot[ctx->worker];
    h_off off;
    off = READ_ONCE(task->cpuset);
    WRITE_ONCE(*hazard, off);
    smp_mb();                                       /* BUG: published, but never rechecked */
    struct h_cpuset *cs = h_ptr(ctx, off);
    h_protect(ctx, cs);
    h_read_delay(ctx, checks);                      /* race amplifier: inside the hazard's protection */
    h_cpuset_read(ctx, cs, snap, checks);
    h_unprotect(ctx, cs);
    smp_store_release(hazard, 0);                   /* our reads of the cpuset before the slot clears */
}

/* WRITER, cpuset mutex held; no task points at cs any more. */
static void hp_destroy(struct h_ctx *ctx, struct h_cpuset *cs)
{
    struct hazards *hz = h_scheme_shared(ctx);
    h_off off = h_offset(ctx, cs);
    smp_mb();                                       /* the unpublish before the hazard scan */
    for (size_t w = 0; w < NSLOTS; w++)
        for (int spins = 0; smp_load_acquire(&hz->slot[w]) == off; spins++)
            if (spins > 100)
                sched_yield();                      /* the reader may need this CPU to finish */
            else
                cpu_relax();
    h_cpuset_free(ctx, cs);
}

HARNESS_SCHEME(harness_user_scheme, hp_read,
               .name = "mutant-hazard-no-recheck",
               .summary = "one hazard pointer per reader: publish, smp_mb, no recheck; destroy waits for no hazard, frees at once",
               .slab_mode = H_SLAB_PLAIN,
               .shared_size = sizeof(struct hazards),
               .attach = h_publish,
               .destroy = hp_destroy);
