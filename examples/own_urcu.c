/*
 * own_urcu.c - a home-grown userspace RCU with liburcu's two-phase grace period, written against harness.h.
 *
 *     python -m harness soak --scheme-file examples/own_urcu.c --duration 10s
 *
 * A global phase word (PHASE bit) and, per reader, a snapshot of it with the ACTIVE bit while inside. A
 * reader loads the phase, stores it in its slot, fences, and reads. The grace period (.synchronize) flips
 * the phase and waits for every reader still active in the old phase, twice: a reader that loaded the
 * phase just before the first flip but stored it just after that flip's wait looks current to it, and is
 * waited for by the second. With one flip that reader escapes every grace period that starts while it
 * reads (tests/mutants/urcu_single_flip.c).
 *
 * Annotations: h_read_section_enter after the slot store and its fence, h_read_section_exit before the slot
 * clears. The engine times and checks .synchronize as the scheme's own grace period.
 */
#include <sched.h>

#include "harness.h"

#define ACTIVE 1ULL
#define PHASE 2ULL

struct urcu {
    uint64_t gp;                                    /* PHASE bit */
    uint64_t reader[H_SCHEME_SHARED_MAX / sizeof(uint64_t) - 1];   /* indexed by worker */
};
_Static_assert(sizeof(struct urcu) <= H_SCHEME_SHARED_MAX, "fits the scheme's shared memory");
#define NREADERS (sizeof(((struct urcu *)0)->reader) / sizeof(uint64_t))

static inline void urcu_read(struct h_ctx *ctx, struct h_task *task, struct h_snap *snap, const int flavor,
                             const int checks)
{
    (void)flavor;
    struct urcu *u = h_scheme_shared(ctx);
    uint64_t *me = &u->reader[ctx->worker];
    uint64_t gp = READ_ONCE(u->gp);
    WRITE_ONCE(*me, gp | ACTIVE);
    smp_mb();                                       /* the slot before the pointer load */
    h_read_section_enter(ctx);
    struct h_cpuset *cs = h_ptr(ctx, rcu_dereference(task->cpuset));
    h_read_delay(ctx, checks);                      /* race amplifier: inside the section */
    h_cpuset_read(ctx, cs, snap, checks);
    h_read_section_exit(ctx);
    smp_store_release(me, 0);                       /* our reads before the slot clears */
}

/* Flip the phase, then wait until no reader is active in the old one. */
static void urcu_flip_and_wait(struct urcu *u)
{
    uint64_t gp = READ_ONCE(u->gp) ^ PHASE;
    WRITE_ONCE(u->gp, gp);
    smp_mb();                                       /* the flip before the slot loads */
    for (size_t w = 0; w < NREADERS; w++) {
        uint64_t v;
        for (int spins = 0; ((v = smp_load_acquire(&u->reader[w])) & ACTIVE) && (v & PHASE) != gp; spins++)
            if (spins > 100)
                sched_yield();
            else
                cpu_relax();
    }
}

static void urcu_synchronize(struct h_ctx *ctx)
{
    struct urcu *u = h_scheme_shared(ctx);
    smp_mb();                                       /* the caller's unpublish before the first flip */
    urcu_flip_and_wait(u);
    urcu_flip_and_wait(u);                          /* the second phase */
    smp_mb();                                       /* readers' loads done before the caller frees */
}

HARNESS_SCHEME(harness_user_scheme, urcu_read,
               .name = "example-own-urcu",
               .summary = "home-grown URCU: per-reader phase snapshot, synchronize flips and waits twice",
               .slab_mode = H_SLAB_PLAIN,
               .shared_size = sizeof(struct urcu),
               .attach = h_publish,
               .destroy = h_cpuset_free_rcu,
               .synchronize = urcu_synchronize);
