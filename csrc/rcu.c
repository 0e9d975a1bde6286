/*
 * rcu.c - RCU in shared memory: grace periods over per-worker reader slots (qsbr, mb and membarrier
 * flavors), call_rcu with a reclaimer, grace-period statistics and stall detection.
 *
 * One 64-bit grace-period counter makes a single-phase wait correct (no wrap in any run's lifetime):
 * a grace period sets gp_ctr = target and waits until every slot is 0 (offline / outside) or >= target
 * (passed a quiescent state / entered after the flip). Waiters block on a futex, never spin for long:
 * on an oversubscribed machine a spinning waiter stretches a grace period to a scheduler tick.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <linux/futex.h>
#include <linux/membarrier.h>
#include <sched.h>
#include <stdio.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "internal.h"

#define H_GP_SPINS 100
#define H_GP_SLEEP_MS 10

unsigned long long h_now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (unsigned long long)ts.tv_sec * 1000000000ULL + (unsigned long long)ts.tv_nsec;
}

int h_hist_bucket(uint64_t ns)
{
    int b = ns ? 64 - __builtin_clzll(ns) : 0;
    return b < H_HIST_BUCKETS ? b : H_HIST_BUCKETS - 1;
}

int h_futex_wait(uint32_t *word, uint32_t expected, int timeout_ms)
{
    struct timespec ts = { timeout_ms / 1000, (long)(timeout_ms % 1000) * 1000000L };
    return (int)syscall(SYS_futex, word, FUTEX_WAIT, expected, timeout_ms >= 0 ? &ts : NULL, NULL, 0);
}

void h_futex_wake(uint32_t *word, int n) { syscall(SYS_futex, word, FUTEX_WAKE, n, NULL, NULL, 0); }

void h_spin_wait(uint32_t *lock)
{
    for (unsigned spins = 0;; spins++) {
        uint32_t unlocked = 0;
        if (READ_ONCE(*lock) == 0 && cmpxchg_weak(lock, &unlocked, 1))
            return;
        if (spins < 1000)
            cpu_relax();
        else
            sched_yield();   /* the holder may be preempted on our CPU */
    }
}

/* A futex mutex (0 free, 1 locked, 2 locked with sleepers) for grace periods, which can take milliseconds. */
void h_mutex_lock(uint32_t *m)
{
    uint32_t c = 0;
    if (cmpxchg_weak(m, &c, 1))
        return;
    if (c != 2)
        c = xchg(m, 2);
    while (c != 0) {
        h_futex_wait(m, 2, -1);
        c = xchg(m, 2);
    }
}

void h_mutex_unlock(uint32_t *m)
{
    if (xchg(m, 0) == 2)
        h_futex_wake(m, 1);
}

/* ---------------------------------------------------------------- read side, slow parts */

void h_rcu_wake_gp(struct h_ctx *ctx)
{
    uint32_t *f = (uint32_t *)&ctx->arena->gp_futex;
    if (READ_ONCE(*f) == (uint32_t)-1) {
        WRITE_ONCE(*f, 0);
        h_futex_wake(f, 1);
    }
}

void h_rcu_online(struct h_ctx *ctx)
{
    WRITE_ONCE(ctx->self->slot.ctr, ctx->flavor == H_FLAVOR_QSBR ? READ_ONCE(ctx->arena->gp_ctr.v) : 0);
    smp_mb();   /* the slot is visible before this reader's first dereference */
}

void h_rcu_offline(struct h_ctx *ctx)
{
    smp_store_release(&ctx->self->slot.ctr, 0);   /* our earlier loads stay before it */
    smp_mb();
    h_rcu_maybe_wake(ctx);
}

/* ---------------------------------------------------------------- grace periods */

static long membarrier(int cmd) { return syscall(SYS_membarrier, cmd, 0, 0); }

int h_membarrier_available(char *err, int errlen)
{
    long q = membarrier(MEMBARRIER_CMD_QUERY);
    if (q < 0 || !(q & MEMBARRIER_CMD_GLOBAL_EXPEDITED) || !(q & MEMBARRIER_CMD_REGISTER_GLOBAL_EXPEDITED)) {
        snprintf(err, (size_t)errlen,
                 "the membarrier flavor needs membarrier(MEMBARRIER_CMD_GLOBAL_EXPEDITED) (Linux 4.16+); "
                 "this kernel answers %ld", q);
        return 0;
    }
    return 1;
}

int h_membarrier_register(char *err, int errlen)
{
    if (membarrier(MEMBARRIER_CMD_REGISTER_GLOBAL_EXPEDITED) != 0) {
        snprintf(err, (size_t)errlen, "membarrier(REGISTER_GLOBAL_EXPEDITED): %s", strerror(errno));
        return -1;
    }
    return 0;
}

/* The updater's half of the asymmetric barrier: a full barrier here, and on the membarrier flavor one
 * forced on every CPU running a registered reader process, standing in for the barriers they omit. */
static void smp_mb_master(const struct h_ctx *ctx)
{
    if (ctx->arena->params.flavor == H_FLAVOR_MEMBARRIER)
        membarrier(MEMBARRIER_CMD_GLOBAL_EXPEDITED);
    else
        smp_mb();
}

static void record_stall(struct h_ctx *ctx, int worker, uint64_t waited_ns, uint64_t gp)
{
    struct h_arena *a = ctx->arena;
    uint64_t n = a->nstalls;   /* only the grace-period holder writes stalls (gp_lock) */
    struct h_stall *s = &a->stalls[n % H_MAX_STALLS];
    s->t_ns = h_now_ns() - READ_ONCE(a->run_start_ns);
    s->duration_ns = waited_ns;
    s->gp = gp;
    s->worker = worker;
    s->cpu = READ_ONCE(a->workers[worker].slot.cpu);
    smp_store_release(&a->nstalls, n + 1);
}

static int reader_done(struct h_rcu_slot *slot, uint64_t target)
{
    uint64_t c = smp_load_acquire(&slot->ctr);
    return c == 0 || c >= target || READ_ONCE(slot->dead);
}

static void wait_for_reader(struct h_ctx *ctx, int worker, uint64_t target, uint64_t t0)
{
    struct h_arena *a = ctx->arena;
    struct h_rcu_slot *slot = &a->workers[worker].slot;
    uint32_t *f = (uint32_t *)&a->gp_futex;
    uint64_t stall_ns = (uint64_t)a->params.stall_ms * 1000000ULL, next_report = stall_ns;
    for (int spins = 0; !reader_done(slot, target);) {
        if (spins++ < H_GP_SPINS) {
            cpu_relax();
            continue;
        }
        WRITE_ONCE(*f, (uint32_t)-1);
        smp_mb_master(ctx);   /* flag store before the slot load; pairs with the reader's unlock/QS */
        if (reader_done(slot, target)) {
            WRITE_ONCE(*f, 0);
            break;
        }
        h_futex_wait(f, (uint32_t)-1, H_GP_SLEEP_MS);
        uint64_t waited = h_now_ns() - t0;
        if (stall_ns && waited >= next_report && !reader_done(slot, target)) {
            record_stall(ctx, worker, waited, target);
            next_report += stall_ns;
        }
    }
}

void h_gp_complete(struct h_ctx *ctx, uint64_t started_ns)
{
    struct h_arena *a = ctx->arena;
    uint64_t ns = h_now_ns() - started_ns;
    a->gp_hist[h_hist_bucket(ns)]++;
    if (ns > a->gp_max_ns)
        a->gp_max_ns = ns;
    smp_store_release(&a->gp_completed.v, READ_ONCE(a->gp_completed.v) + 1);
}

void h_synchronize_rcu(struct h_ctx *ctx)
{
    struct h_arena *a = ctx->arena;
    h_mutex_lock(&a->gp_lock);
    uint64_t t0 = h_now_ns();
    uint64_t target = READ_ONCE(a->gp_ctr.v) + 1;
    WRITE_ONCE(a->gp_ctr.v, target);
    smp_mb_master(ctx);   /* unpublish and flip before reading any slot (pairs with read_lock's barrier) */
    for (int i = 0; i < a->params.nworkers; i++)
        wait_for_reader(ctx, i, target, t0);
    smp_mb_master(ctx);   /* readers' critical-section loads are done before the caller frees anything */
    h_gp_complete(ctx, t0);
    h_mutex_unlock(&a->gp_lock);
}

/* ---------------------------------------------------------------- call_rcu and the reclaimer */

void h_call_rcu(struct h_ctx *ctx, struct h_rcu_head *head, enum h_cb_kind kind)
{
    struct h_arena *a = ctx->arena;
    head->kind = kind;
    head->queued_ns = h_now_ns();
    h_off off = h_offset(ctx, head), old = READ_ONCE(a->cb_head);
    do {
        WRITE_ONCE(head->next, old);
    } while (!cmpxchg_weak(&a->cb_head, &old, off));   /* release: the head's fields go with it */
    atomic_inc_relaxed(&a->cb_queued);
    smp_mb();   /* push before the sleeping-flag load; pairs with the reclaimer's flag store + smp_mb */
    if (READ_ONCE(a->cb_sleeping))
        h_futex_wake(&a->cb_sleeping, 1);
}

void h_rcu_invoke(struct h_ctx *ctx, struct h_rcu_head *head)
{
    struct h_arena *a = ctx->arena;
    a->cb_hist[h_hist_bucket(h_now_ns() - head->queued_ns)]++;
    if (head->kind == H_CB_FREE_CPUSET)
        h_cpuset_free(ctx, (struct h_cpuset *)((char *)head - offsetof(struct h_cpuset, rcu)));
    else
        h_release_page(ctx, (struct h_page *)((char *)head - offsetof(struct h_page, rcu)));
    atomic_inc_relaxed(&a->cb_done);
}

/* Take every queued callback, wait one grace period, run them; sleep on a futex while there are none. */
void h_reclaimer_main(void *arena)
{
    struct h_ctx ctx;
    h_ctx_init(&ctx, arena, -1);
    struct h_arena *a = ctx.arena;
    for (;;) {
        h_off list = xchg(&a->cb_head, 0);
        if (!list) {
            if (READ_ONCE(a->reclaimer_stop.v))
                break;
            WRITE_ONCE(a->cb_sleeping, 1);
            smp_mb();
            if (!READ_ONCE(a->cb_head) && !READ_ONCE(a->reclaimer_stop.v))
                h_futex_wait(&a->cb_sleeping, 1, 100);
            WRITE_ONCE(a->cb_sleeping, 0);
            continue;
        }
        ctx.ops->synchronize(&ctx);
        while (list) {
            struct h_rcu_head *head = h_ptr(&ctx, list);
            list = READ_ONCE(head->next);
            h_rcu_invoke(&ctx, head);
        }
    }
}

void h_reclaimer_stop(void *arena)
{
    struct h_arena *a = arena;
    WRITE_ONCE(a->reclaimer_stop.v, 1);
    smp_mb();
    h_futex_wake(&a->cb_sleeping, 1);
}

/* Grace periods on demand from the orchestrator (benchmarks: latency with no reader busy, or with a round
 * running), through the scheme's synchronize like the reclaimer's; each one lands in gp_hist. */
void h_gp_probe(void *arena, int count)
{
    struct h_ctx ctx;
    h_ctx_init(&ctx, arena, -1);
    for (int i = 0; i < count; i++)
        ctx.ops->synchronize(&ctx);
}

/* A dead reader can never leave its critical section: take it out of every grace period from now on. */
void h_rcu_release_slot(void *arena, int worker)
{
    struct h_arena *a = arena;
    smp_store_release(&a->workers[worker].slot.dead, 1);
    smp_mb();
    uint32_t *f = (uint32_t *)&a->gp_futex;
    WRITE_ONCE(*f, 0);
    h_futex_wake(f, 1);
}
