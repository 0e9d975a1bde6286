/*
 * refcount: refscale's typesafe_ref. Under rcu_read_lock, dereference, take a reference with
 * inc_not_zero (acquire: the recheck that follows cannot be satisfied by a stale view), recheck that the
 * task still points at it, read, put. The last put frees into a TYPESAFE_BY_RCU slab. Every reader writes
 * the shared refcount line: expect it to collapse as readers are added.
 */
#include "harness.h"

static void ref_put(struct h_ctx *ctx, struct h_cpuset *cs)
{
    if (h_ref_put(&cs->refcount))
        h_cpuset_free(ctx, cs);
}

#define REFCOUNT_READ(name, get)                                                                            \
    static inline void name(struct h_ctx *ctx, struct h_task *task, struct h_snap *snap, const int flavor, \
                            const int checks)                                                              \
    {                                                                                                       \
        for (;;) {                                                                                          \
            h_rcu_read_lock(ctx, flavor);                                                                   \
            h_off off = rcu_dereference(task->cpuset);                                                     \
            struct h_cpuset *cs = h_ptr(ctx, off);                                                          \
            h_read_delay(ctx, checks);                                                                      \
            int got = get(&cs->refcount);                                                                   \
            h_rcu_read_unlock(ctx, flavor);                                                                 \
            if (got) {                                                                                      \
                if (READ_ONCE(task->cpuset) == off) { /* identity recheck, under our reference */          \
                    h_cpuset_read(ctx, cs, snap, checks);                                                   \
                    ref_put(ctx, cs);                                                                       \
                    return;                                                                                 \
                }                                                                                           \
                ref_put(ctx, cs);                                                                           \
            }                                                                                               \
            h_near_miss(ctx);                                                                               \
        }                                                                                                   \
    }

REFCOUNT_READ(refcount_read, h_ref_inc_not_zero)

static void refcount_attach(struct h_ctx *ctx, struct h_task *task, struct h_cpuset *cs)
{
    struct h_cpuset *old = h_ptr(ctx, task->cpuset);
    atomic_inc_relaxed(&cs->refcount);                     /* the task's reference... */
    rcu_assign_pointer(task->cpuset, h_offset(ctx, cs));  /* ...taken before anyone can see it (release) */
    ref_put(ctx, old);
}

/* destroy drops the hierarchy's reference; whoever drops the last one frees */
HARNESS_SCHEME(scheme_refcount, refcount_read,
               .name = "refcount",
               .summary = "inc_not_zero under rcu_read_lock, identity recheck, read, put",
               .flags = H_SCHEME_RCU_READER | H_SCHEME_REFCOUNT,
               .slab_mode = H_SLAB_TYPESAFE_BY_RCU,
               .attach = refcount_attach,
               .destroy = ref_put);

/* ---- busted-refcount: a plain increment instead of inc_not_zero resurrects a freed cpuset ---- */

static inline int plain_get(uint32_t *ref)
{
    atomic_inc_relaxed(ref);   /* BUG: succeeds on a count of zero */
    return 1;
}

REFCOUNT_READ(busted_refcount_read, plain_get)

HARNESS_SCHEME(scheme_busted_refcount, busted_refcount_read,
               .name = "busted-refcount",
               .summary = "plain increment instead of inc_not_zero: resurrects a freed cpuset",
               .flags = H_SCHEME_RCU_READER | H_SCHEME_REFCOUNT | H_SCHEME_BUSTED,
               .expected = "refcount,use-after-free,identity,double-free",
               .slab_mode = H_SLAB_TYPESAFE_BY_RCU,
               .attach = refcount_attach,
               .destroy = ref_put);
