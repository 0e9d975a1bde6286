/*
 * hazard_pointers.c - hazard pointers (Michael 2004; folly hazptr, libcds), written against harness.h.
 *
 *     python -m harness soak --scheme-file examples/hazard_pointers.c --duration 10s
 *
 * One hazard slot per worker in the scheme's private shared memory. A reader publishes the cpuset it is
 * about to read in its slot, fences (store->load: the publication before the recheck), and rechecks that
 * task->cpuset still points there; a writer that unpublished the cpuset before that recheck is then sure
 * to see the hazard. Destroy (the cpuset is attached to no task any more) fences, waits until no slot
 * holds it, and frees it at once on a plain slab: no grace period anywhere.
 *
 * Annotations: h_protect once the hazard is in force (after the recheck), h_unprotect before it is
 * cleared. The engine checks that no claimed cpuset is ever freed, and that no claim comes too late.
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
    for (;;) {
        off = READ_ONCE(task->cpuset);
        WRITE_ONCE(*hazard, off);
        smp_mb();                                   /* publication before the recheck */
        if (READ_ONCE(task->cpuset) == off)
            break;
        h_near_miss(ctx);                           /* moved meanwhile: the hazard may be too late */
    }
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
               .name = "example-hazard-pointers",
               .summary = "one hazard pointer per reader: publish, smp_mb, recheck; destroy waits for no hazard, frees at once",
               .slab_mode = H_SLAB_PLAIN,
               .shared_size = sizeof(struct hazards),
               .attach = h_publish,
               .destroy = hp_destroy);
