/*
 * batched_call_rcu.c - mutant: a batching call_rcu that never advances its consumer index.
 *
 * What the user meant: the rcu-deferred design with a cheaper call_rcu. Instead of the arena's reclaimer,
 * the writer keeps its own ring of queued callbacks and, every eight, waits for ONE grace period with
 * h_synchronize_rcu (one grace period covers every callback queued before it began) and invokes the batch
 * itself: a writer-side version of the kernel's callback batching.
 *
 * The bug: the flush walks the ring from `cons` to `prod` but never sets `cons = prod` afterwards (the
 * classic forgotten consumer-index update). From the second flush on, the callbacks of earlier batches run
 * again: on objects that are no longer queued, already freed, and by then maybe reused as live cpusets.
 *
 * Must raise: callback-on-live (a callback invoked on an object that is not queued), at the second flush,
 * in the writer, before anything else goes wrong: the first batch was run correctly, after its grace
 * period.
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

#define RING 256            /* a power of two */
#define BATCH 8

static struct h_rcu_head *ring[RING];   /* per process: only the writer queues callbacks here */
static unsigned prod, cons;

static void batching_call_rcu(struct h_ctx *ctx, struct h_rcu_head *head, enum h_cb_kind kind)
{
    head->kind = kind;
    head->queued_ns = h_now_ns();
    ring[prod++ % RING] = head;
    if (prod - cons < BATCH)
        return;
    h_synchronize_rcu(ctx);           /* one grace period for everything queued so far */
    for (unsigned i = cons; i != prod; i++)
        h_rcu_invoke(ctx, ring[i % RING]);
    /* BUG: missing `cons = prod;` */
}

HARNESS_SCHEME(harness_user_scheme, deferred_read,
               .name = "mutant-batched-call-rcu",
               .summary = "rcu-deferred with a writer-side batching call_rcu that re-runs old batches",
               .flags = H_SCHEME_RCU_READER,
               .slab_mode = H_SLAB_PLAIN,
               .attach = h_publish,
               .destroy = h_cpuset_free_rcu,
               .call_rcu = batching_call_rcu);
