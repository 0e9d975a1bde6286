/*
 * hazard_no_fence.c - mutant: a hazard pointer published without the fence before the recheck.
 *
 * What the user meant: examples/hazard_pointers.c. The bug: no smp_mb between publishing the hazard and
 * rechecking task->cpuset ("x86 keeps stores in order"). It keeps stores in order with stores, not with
 * later loads: the recheck can read task->cpuset before the hazard is visible, the writer's scan misses the
 * hazard, and the cpuset is freed while the reader reads it.
 *
 * Must raise: free-while-claimed (the free finds the reader's claim, or the claim finds the cpuset already
 * freed). Run with memory_model="weak", which emulates the store buffer x86 has.
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
        /* BUG: no smp_mb here: the recheck's load may pass the hazard's store */
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
               .name = "mutant-hazard-no-fence",
               .summary = "one hazard pointer per reader: publish, recheck (no fence); destroy waits for no hazard, frees at once",
               .slab_mode = H_SLAB_PLAIN,
               .shared_size = sizeof(struct hazards),
               .attach = h_publish,
               .destroy = hp_destroy);
