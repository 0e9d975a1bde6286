/*
 * litmus.c - start-up self-test that membarrier(GLOBAL_EXPEDITED) really reaches the reader processes.
 *
 * The membarrier flavor's readers use compiler barriers only; the updater's membarrier() must act as an
 * smp_mb on every CPU running a registered reader. If it silently did not (a kernel or registration
 * problem), grace periods would be too short only under rare timing. So before a run we check the
 * property directly with the store-buffering litmus test, one updater (this process) against every
 * reader process at once:
 *
 *     reader i:  WRITE_ONCE(x_i, 1); barrier();    r1_i = READ_ONCE(y);
 *     updater:   WRITE_ONCE(y, 1);   membarrier(); r2_i = READ_ONCE(x_i);
 *
 * r1_i == 0 && r2_i == 0 needs both stores to be delayed past both loads: x86 store buffers allow it with
 * plain barriers, a full barrier on both sides forbids it. Run once with barrier() in place of membarrier()
 * as well, to show that the test can see the reordering on this machine at all.
 */
#define _GNU_SOURCE
#include <limits.h>
#include <linux/membarrier.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "engine.h"

#define H_LITMUS_TIMEOUT_NS 5000000000ULL
#define H_LITMUS_SPINS 2000
/* Random skew, in empty loop iterations, so that the two sides' windows overlap in some trials: the
 * reader starts a cache-line transfer after the updater, so the updater waits longer. */
#define H_LITMUS_READER_SKEW 64
#define H_LITMUS_UPDATER_SKEW 128

static void skew(struct h_ctx *ctx, uint64_t max)
{
    for (volatile uint64_t n = h_random(ctx) % max; n; n--)
        ;
}

/* Spin briefly, then sleep on the futex: a waiter may share its CPU with the side it waits for. */
static int wait_at_least(uint32_t *word, uint32_t target, uint64_t deadline)
{
    uint32_t v;
    for (int spins = 0; (v = smp_load_acquire(word)) < target;) {
        if (spins++ < H_LITMUS_SPINS) {
            cpu_relax();
            continue;
        }
        if (h_now_ns() > deadline)
            return 0;
        h_futex_wait(word, v, 1);
    }
    return 1;
}

/* The reader's side, run by every reader on H_CMD_LITMUS. */
void h_litmus_reader(struct h_ctx *ctx)
{
    struct h_arena *a = ctx->arena;
    struct h_litmus_line *me = &E(ctx)->self->litmus;
    uint32_t trials = READ_ONCE(a->litmus_trials);
    uint64_t deadline = h_now_ns() + H_LITMUS_TIMEOUT_NS;
    for (uint32_t t = 1; t <= trials; t++) {
        if (!wait_at_least(&a->litmus_gen, t, deadline))
            return;
        skew(ctx, H_LITMUS_READER_SKEW);
        WRITE_ONCE(me->x, 1);
        barrier();   /* the membarrier flavor's read side: the compiler's barrier, no fence */
        uint32_t r1 = READ_ONCE(a->litmus_y);
        WRITE_ONCE(me->r1, r1);
        atomic_fetch_add_explicit(H_ATOMIC(&a->litmus_acked), 1, memory_order_release);   /* r1 before the ack */
        h_futex_wake(&a->litmus_acked, 1);
    }
}

int h_membarrier_selftest(void *arena, int trials, int use_membarrier)
{
    struct h_arena *a = arena;
    struct h_ectx e;
    h_ctx_init(&e, arena, H_ORCHESTRATOR);
    struct h_ctx *ctx = &e.c;
    const int nreaders = a->params.nreaders;
    uint32_t r2[H_MAX_WORKERS];
    uint64_t deadline = h_now_ns() + H_LITMUS_TIMEOUT_NS;
    int forbidden = 0;
    for (uint32_t t = 1; t <= (uint32_t)trials; t++) {
        /* every reader acked trial t-1 and waits for t: reset the litmus state while nobody runs it */
        for (int i = 0; i < nreaders; i++)
            WRITE_ONCE(a->workers[i].litmus.x, 0);
        WRITE_ONCE(a->litmus_y, 0);
        smp_store_release(&a->litmus_gen, t);   /* the resets before the start signal */
        h_futex_wake(&a->litmus_gen, INT_MAX);
        skew(ctx, H_LITMUS_UPDATER_SKEW);
        WRITE_ONCE(a->litmus_y, 1);
        if (use_membarrier)
            syscall(SYS_membarrier, MEMBARRIER_CMD_GLOBAL_EXPEDITED, 0, 0);
        else
            barrier();
        for (int i = 0; i < nreaders; i++)
            r2[i] = READ_ONCE(a->workers[i].litmus.x);
        if (!wait_at_least(&a->litmus_acked, t * (uint32_t)nreaders, deadline))
            return -1;
        for (int i = 0; i < nreaders; i++)
            forbidden += !r2[i] && !READ_ONCE(a->workers[i].litmus.r1);
    }
    return forbidden;
}
