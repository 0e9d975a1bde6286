/*
 * rcu-deferred: a destroyed cpuset is freed only after a grace period (call_rcu / kfree_rcu), so a reader
 * inside rcu_read_lock can use what it dereferenced without any recheck. The slab is a plain one.
 * Three busted schemes break one rule each.
 */
#include "harness.h"

static inline void deferred_read(struct h_ctx *ctx, struct h_task *task, struct h_snap *snap, const int flavor,
                                 const int checks)
{
    h_rcu_read_lock(ctx, flavor);
    struct h_cpuset *cs = h_ptr(ctx, rcu_dereference(task->cpuset));
    h_read_delay(ctx, checks);
    h_cpuset_read(ctx, cs, snap, checks);
    h_rcu_read_unlock(ctx, flavor);
}

HARNESS_SCHEME(scheme_rcu_deferred, deferred_read,
               .name = "rcu-deferred",
               .summary = "rcu_read_lock + rcu_dereference; destroyed cpusets freed by call_rcu after a grace period",
               .flags = H_SCHEME_RCU_READER,
               .slab_mode = H_SLAB_PLAIN,
               .attach = h_publish,
               .destroy = h_cpuset_free_rcu);

/* ---- busted-gp: rcutorture's "busted": synchronize does not wait, call_rcu callbacks run at once ---- */

static void busted_synchronize(struct h_ctx *ctx)
{
    (void)ctx;   /* BUG: returns without waiting for any reader */
}

static void busted_call_rcu(struct h_ctx *ctx, struct h_rcu_head *head, enum h_cb_kind kind)
{
    (void)kind;
    h_rcu_invoke(ctx, head);   /* BUG: the callback runs now, not after a grace period */
}

HARNESS_SCHEME(scheme_busted_gp, deferred_read,
               .name = "busted-gp",
               .summary = "synchronize_rcu returns without waiting; call_rcu callbacks run at once",
               .flags = H_SCHEME_RCU_READER | H_SCHEME_BUSTED,
               .expected = "gp-too-short,use-after-free,identity,torn-read",
               .slab_mode = H_SLAB_PLAIN,
               .attach = h_publish,
               .destroy = h_cpuset_free_rcu,
               .synchronize = busted_synchronize,
               .call_rcu = busted_call_rcu);

/* ---- busted-no-read-lock: the dereference happens outside any read-side critical section ---- */

static inline void no_read_lock_read(struct h_ctx *ctx, struct h_task *task, struct h_snap *snap, const int flavor,
                                     const int checks)
{
    /* BUG: the pointer is loaded before the critical section begins (for QSBR: a quiescent state is
     * announced between loading it and using it), so a grace period need not wait for this use. */
    struct h_cpuset *cs = h_ptr(ctx, rcu_dereference(task->cpuset));
    h_read_delay(ctx, checks);
    if (flavor == H_FLAVOR_QSBR)
        h_rcu_quiescent_state(ctx);
    h_rcu_read_lock(ctx, flavor);
    h_read_delay(ctx, checks);
    h_cpuset_read(ctx, cs, snap, checks);
    h_rcu_read_unlock(ctx, flavor);
}

HARNESS_SCHEME(scheme_busted_no_read_lock, no_read_lock_read,
               .name = "busted-no-read-lock",
               .summary = "rcu_dereference outside any read-side critical section",
               .flags = H_SCHEME_RCU_READER | H_SCHEME_BUSTED,
               .expected = "suspicious-rcu,gp-too-short,use-after-free,identity,torn-read",
               .slab_mode = H_SLAB_PLAIN,
               .attach = h_publish,
               .destroy = h_cpuset_free_rcu);

/* ---- busted-publish-before-init: rcu_assign_pointer before the object's fields are written ---- */

#define PENDING_MAX (H_MAX_LIVE + 2)
static struct { h_off cs; uint64_t serial, mems; } pending[PENDING_MAX];   /* per writer process */

/* create hands back an allocated, not yet initialised object and remembers what it should become */
static struct h_cpuset *pbi_create(struct h_ctx *ctx, uint64_t serial, uint64_t mems)
{
    struct h_cpuset *cs = h_cpuset_alloc(ctx);
    if (!cs)
        return NULL;
    for (int i = 0; i < PENDING_MAX; i++)
        if (!pending[i].cs) {
            pending[i].cs = h_offset(ctx, cs);
            pending[i].serial = serial;
            pending[i].mems = mems;
            return cs;
        }
    h_cpuset_init(ctx, cs, serial, mems);
    return cs;
}

static void pbi_init_pending(struct h_ctx *ctx, struct h_cpuset *cs)
{
    for (int i = 0; i < PENDING_MAX; i++)
        if (pending[i].cs == h_offset(ctx, cs)) {
            h_cpuset_init(ctx, cs, pending[i].serial, pending[i].mems);
            pending[i].cs = 0;
        }
}

static void pbi_attach(struct h_ctx *ctx, struct h_task *task, struct h_cpuset *cs)
{
    rcu_assign_pointer(task->cpuset, h_offset(ctx, cs));   /* BUG: published first... */
    h_writer_delay(ctx);
    pbi_init_pending(ctx, cs);                              /* ...initialised after */
}

static void pbi_destroy(struct h_ctx *ctx, struct h_cpuset *cs)
{
    pbi_init_pending(ctx, cs);
    h_cpuset_free_rcu(ctx, cs);
}

HARNESS_SCHEME(scheme_busted_publish_before_init, deferred_read,
               .name = "busted-publish-before-init",
               .summary = "the pointer is published before the new cpuset's fields are written",
               .flags = H_SCHEME_RCU_READER | H_SCHEME_BUSTED,
               .expected = "identity,torn-read,wrong-type",
               .slab_mode = H_SLAB_PLAIN,
               .attach = pbi_attach,
               .destroy = pbi_destroy,
               .create = pbi_create);
