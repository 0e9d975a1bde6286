/*
 * fault.c - what real machines do to a soak, on demand: a reader parked inside its read-side critical
 * section (for a while, or until the orchestrator SIGKILLs it there), a worker that crashes, the arena
 * running out of pages (the hog is in arena.c, beside the allocator); and the bookkeeping that lets the orchestrator move workers between CPUs
 * (rcutorture's shuffle) without the placement check crying wolf.
 */
#define _GNU_SOURCE
#include <time.h>

#include "engine.h"

/* ---------------------------------------------------------------- orchestrator side */

void h_fault_post(void *arena, int worker, int kind, unsigned long long duration_ns)
{
    struct h_arena *a = arena;
    WRITE_ONCE(a->fault.worker, worker);
    WRITE_ONCE(a->fault.kind, (uint32_t)kind);
    WRITE_ONCE(a->fault.duration_ns, duration_ns);
    smp_store_release(&a->fault.state, H_FAULT_POSTED);   /* the fault's fields before its state */
}

int h_fault_state(void *arena) { return (int)smp_load_acquire(&((struct h_arena *)arena)->fault.state); }

/* Shuffle: between begin and end a worker may still run on its old CPU; h_check_cpu lets that pass. */
void h_shuffle_begin(void *arena)
{
    struct h_arena *a = arena;
    smp_store_release(&a->shuffle_seq, READ_ONCE(a->shuffle_seq) + 1);   /* odd before any CPU changes */
}

void h_set_worker_cpu(void *arena, int worker, int cpu)
{
    struct h_arena *a = arena;
    struct h_worker *w = &a->workers[worker];
    WRITE_ONCE(w->stats.cpu, cpu);
    WRITE_ONCE(w->slot_cpu, cpu);
    WRITE_ONCE(h_world(a)->slots[worker].cpu, cpu);
}

void h_shuffle_end(void *arena)
{
    struct h_arena *a = arena;
    smp_store_release(&a->shuffle_seq, READ_ONCE(a->shuffle_seq) + 1);   /* new CPUs before even */
}

/* ---------------------------------------------------------------- worker side */

static void park(struct h_ctx *ctx, uint64_t duration_ns)
{
    struct h_arena *a = ctx->arena;
    uint64_t until = duration_ns ? h_now_ns() + duration_ns : UINT64_MAX;
    h_rcu_read_lock(ctx, ctx->flavor);   /* qsbr: no-op, but no quiescent state is reported while parked */
    smp_store_release(&a->fault.state, H_FAULT_ACTIVE);
    h_heartbeat(E(ctx), H_PH_FAULT);
    /* preempted inside the critical section: sleep, so the CPU stays free for everyone else */
    for (uint64_t now; (now = h_now_ns()) < until && !READ_ONCE(a->stop.v);) {
        uint64_t left = until - now < 1000000ULL ? until - now : 1000000ULL;
        struct timespec ts = { 0, (long)left };
        nanosleep(&ts, NULL);
        h_heartbeat(E(ctx), H_PH_FAULT);
    }
    h_rcu_read_unlock(ctx, ctx->flavor);
}

/* Called by a worker between chunks: run the fault posted for it, if any. */
void h_fault_check(struct h_ctx *ctx)
{
    struct h_fault *f = &ctx->arena->fault;
    if (likely(READ_ONCE(f->worker) != ctx->worker) || smp_load_acquire(&f->state) != H_FAULT_POSTED)
        return;
    if (f->kind == H_FAULT_CRASH) {
        smp_store_release(&f->state, H_FAULT_ACTIVE);
        *(volatile int *)(uintptr_t)16 = 1;   /* a real wild write, not raise(): the kernel delivers SIGSEGV */
    }
    park(ctx, f->duration_ns);
    smp_store_release(&f->state, H_FAULT_FINISHED);
}
