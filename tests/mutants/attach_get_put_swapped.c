/*
 * attach_get_put_swapped.c - mutant: attach takes the reference on the wrong cpuset.
 *
 * What the user meant: cpusets whose lifetime is counted, css_get/css_put style. The hierarchy holds one
 * reference from create until destroy and every task holds one on the cpuset it is attached to; whoever
 * drops the last reference frees the cpuset. Readers take no reference at all (they would all write one
 * shared cache line): they are the lockless TYPESAFE_BY_RCU readers of examples/good_scheme.c, revalidated
 * by sequence count and pointer recheck, with a task_lock slowpath; so an immediate free is safe for them.
 *
 * The bug: in attach, get and put are swapped: the task's new reference is taken on the OLD cpuset and the
 * old reference is dropped from the NEW one (the two arguments look alike; an inverted helper pair like
 * this is a common refcount bug). A freshly created cpuset has only the hierarchy's reference, so the put
 * right after publishing it drops the count to zero and frees it while the task now points at it.
 * (Note that dropping the old reference *before* publishing, with get and put otherwise right, would do no
 * harm here: the hierarchy's reference keeps the old cpuset alive until destroy, which the engine calls
 * only after every task has left it.)
 *
 * Must raise: free-while-attached (freeing a cpuset some task's ->cpuset still points at), on the first
 * attach to a new cpuset, in the writer. Only the writer touches the counts, so nothing else can come
 * first.
 */
#include "harness.h"

static inline void typesafe_read(struct h_ctx *ctx, struct h_task *task, struct h_snap *snap, const int flavor,
                                 const int checks)
{
    h_rcu_read_lock(ctx, flavor);
    for (int tries = 0; tries < 3; tries++) {
        h_off off = rcu_dereference(task->cpuset);
        struct h_cpuset *cs = h_ptr(ctx, off);
        h_read_delay(ctx, checks);
        uint32_t seq = smp_load_acquire(&cs->seq);
        h_cpuset_read(ctx, cs, snap, checks);
        smp_rmb();
        if (!(seq & 1) && READ_ONCE(task->cpuset) == off) {
            smp_rmb();
            if (READ_ONCE(cs->seq) == seq) {
                h_rcu_read_unlock(ctx, flavor);
                return;
            }
        }
        h_near_miss(ctx);
    }
    h_rcu_read_unlock(ctx, flavor);

    task_lock(task);   /* slowpath: attach publishes under task_lock */
    h_cpuset_read(ctx, h_ptr(ctx, READ_ONCE(task->cpuset)), snap, checks);
    task_unlock(task);
}

static void cpuset_get(struct h_cpuset *cs) { atomic_inc_relaxed(&cs->refcount); }

static void cpuset_put(struct h_ctx *ctx, struct h_cpuset *cs)
{
    if (h_ref_put(&cs->refcount))
        h_cpuset_free(ctx, cs);
}

static void counted_attach(struct h_ctx *ctx, struct h_task *task, struct h_cpuset *cs)
{
    struct h_cpuset *old = h_ptr(ctx, task->cpuset);
    cpuset_get(old);                                       /* BUG: should be cpuset_get(cs) */
    task_lock(task);
    rcu_assign_pointer(task->cpuset, h_offset(ctx, cs));
    task_unlock(task);
    cpuset_put(ctx, cs);                                   /* BUG: should be cpuset_put(ctx, old) */
}

HARNESS_SCHEME(harness_user_scheme, typesafe_read,
               .name = "mutant-attach-get-put-swapped",
               .summary = "counted cpusets whose attach gets the old cpuset and puts the new one",
               .flags = H_SCHEME_RCU_READER | H_SCHEME_REFCOUNT,
               .slab_mode = H_SLAB_TYPESAFE_BY_RCU,
               .attach = counted_attach,
               .destroy = cpuset_put);   /* the hierarchy's reference */
