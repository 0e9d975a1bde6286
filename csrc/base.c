/*
 * base.c - the bottom layer: the clock, futexes and a futex mutex on shared words, the spinlock's slow
 * path, log2 histograms, busy delays, and recording what the layers above find (violations, counted in
 * the arena by kind from whatever context raised them; progress heartbeats).
 */
#define _GNU_SOURCE
#include <linux/futex.h>
#include <sched.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "engine.h"

unsigned long long h_now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (unsigned long long)ts.tv_sec * 1000000000ULL + (unsigned long long)ts.tv_nsec;
}

/* Read the clock (returned: ns since run start) and anchor the stamp clock (h_stamp_ns) there; and measure
 * its rate over everything since the first anchor, once that is long enough to be exact. A counter that does
 * not move (none on this machine, or a virtual one that stalls) leaves the stamps on the clock. */
uint64_t h_stamp_sync(struct h_ectx *e, uint64_t run_start_ns)
{
    uint64_t now = h_now_ns(), ticks = h_ticks();
    e->stamp_ns = now - run_start_ns;
    e->stamp_ticks = ticks;
    if (!e->stamp_base_ticks || ticks <= e->stamp_base_ticks) {
        e->stamp_base_ns = now;   /* the first anchor, or a counter that went back (or stands still) */
        e->stamp_base_ticks = ticks;
        e->stamp_q32 = 0;
    } else if (now - e->stamp_base_ns >= H_STAMP_CALIBRATE_NS) {
        e->stamp_q32 = (uint64_t)(((unsigned __int128)(now - e->stamp_base_ns) << 32) / (ticks - e->stamp_base_ticks));
    }
    return e->stamp_ns;
}

int h_hist_bucket(uint64_t ns)
{
    int b = ns ? 64 - __builtin_clzll(ns) : 0;
    return b < H_HIST_BUCKETS ? b : H_HIST_BUCKETS - 1;
}

/* futex on a word of the shared (memfd) mapping: not FUTEX_PRIVATE, the waiters are other processes */
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

void h_delay_ns(struct h_ctx *ctx, uint64_t ns)
{
    E(ctx)->delays++;
    uint64_t end = h_now_ns() + ns;
    /* A delay is an amplifier, never a reason to be late: it ends at the stop, so any delay the flags
     * accept (up to 4.29 s per delay, at every read) leaves a worker's stop within one undelayed chunk. */
    while (h_now_ns() < end && !READ_ONCE(ctx->arena->stop.v))
        cpu_relax();
}

/* ---------------------------------------------------------------- recording */

/* A violation, from any context: counted by kind in the arena (which is what the verdict reads), in the
 * worker's own counts when a worker raised it, and the first one of the run kept with every worker's
 * flight recorder frozen. */
void h_violation(struct h_ctx *ctx, int kind, h_off object, uint64_t serial, uint64_t detail)
{
    struct h_arena *a = ctx->arena;
    struct h_ectx *e = E(ctx);
    atomic_inc_relaxed(&a->violations_by_kind[kind]);
    if (e->self)
        atomic_inc_relaxed(&e->self->stats.violations[kind]);
    else
        atomic_inc_relaxed(&a->violations_outside[kind]);
    atomic_inc_relaxed(&a->violations);
    h_event(ctx, H_EV_VIOLATION, (uint64_t)kind, object);
    uint32_t unclaimed = 0;
    if (cmpxchg_weak(&a->first_claimed, &unclaimed, 1)) {
        struct h_violation *v = &a->first;
        v->t_ns = h_now_ns() - READ_ONCE(a->run_start_ns);
        v->object = object;
        v->serial = serial;
        v->detail = detail;
        v->kind = kind;
        v->worker = ctx->worker;
        v->cpu = sched_getcpu();
        v->task = ctx->task ? h_task_index(ctx, ctx->task) : -1;
        v->phase = ctx->worker == H_RECLAIMER ? (int)READ_ONCE(a->reclaimer_phase)
                   : ctx->worker >= 0 ? (int)READ_ONCE(a->workers[ctx->worker].stats.phase) : H_PH_IDLE;
        h_violation_describe(ctx, v);
        /* Freeze every worker's flight recorder: the report shows the events that led here. */
        smp_store_release(&a->flight_frozen, 1);
        if (a->params.stop_on_violation)
            smp_store_release(&a->stop.v, 1);
    }
}

/* Progress: a worker is alive and where it is (hang and progress-stall reports read these). */
void h_heartbeat(struct h_ectx *e, int phase)
{
    if (!e->self)
        return;
    WRITE_ONCE(e->self->stats.heartbeat_ns, h_now_ns() - READ_ONCE(e->c.arena->run_start_ns));
    WRITE_ONCE(e->self->stats.phase, phase);
}
