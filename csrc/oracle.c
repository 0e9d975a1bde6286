/*
 * oracle.c - the checks that judge every read in torture mode, the violation record and flight recorder,
 * and the read-outs Python turns into numpy arrays.
 */
#define _GNU_SOURCE
#include <sched.h>

#include "internal.h"

static const char *const violation_names[H_NVIOLATIONS] = {
    [H_V_USE_AFTER_FREE] = "use-after-free", [H_V_FOREIGN] = "foreign-memory", [H_V_TYPE] = "wrong-type",
    [H_V_TORN] = "torn-read",     [H_V_IDENTITY] = "identity",      [H_V_GP_TOO_SHORT] = "gp-too-short",
    [H_V_BAD_NODE] = "bad-node",  [H_V_REFCOUNT] = "refcount",
};

static const char *const counter_names[H_NCOUNTERS] = {
    [H_C_OPS] = "ops",
    [H_C_RETRIES] = "retries",
    [H_C_NEAR_MISSES] = "near_misses",
    [H_C_SHORTCUT] = "shortcut",
    [H_C_PAGES_ALLOCATED] = "pages_allocated",
    [H_C_ALLOC_FAILURES] = "alloc_failures",
    [H_C_UNVERIFIED] = "unverified",
    [H_C_DELAYS] = "delays",
    [H_C_WRITER_CREATES] = "creates",
    [H_C_WRITER_ATTACHES] = "attaches",
    [H_C_WRITER_REBINDS] = "rebinds",
    [H_C_WRITER_DESTROYS] = "destroys",
    [H_C_MIGRATIONS] = "migrations",
    [H_C_LOOP_NS] = "loop_ns",
    [H_C_BEST_WINDOW_PS] = "best_window_ps_per_op",
    [H_C_PAUSED_NS] = "paused_ns",
    [H_C_THROTTLED_NS] = "throttled_ns",
};

static const char *const event_names[] = {
    [H_EV_READ] = "read",       [H_EV_RETRY] = "retry", [H_EV_CREATE] = "create",
    [H_EV_ATTACH] = "attach",   [H_EV_DESTROY] = "destroy", [H_EV_FREE] = "free",
    [H_EV_PAGE_RELEASE] = "page-release", [H_EV_VIOLATION] = "violation", [H_EV_GP] = "gp",
};

const char *h_violation_name(int kind) { return kind >= 0 && kind < H_NVIOLATIONS ? violation_names[kind] : "?"; }
const char *h_counter_name(int i) { return i >= 0 && i < H_NCOUNTERS ? counter_names[i] : "?"; }
const char *h_event_name(int kind)
{
    return kind > 0 && kind < (int)(sizeof(event_names) / sizeof(event_names[0])) ? event_names[kind] : "?";
}

/* ---------------------------------------------------------------- recording */

void h_violation(struct h_ctx *ctx, int kind, h_off object, uint64_t serial, uint64_t detail)
{
    struct h_arena *a = ctx->arena;
    if (ctx->self)
        atomic_inc_relaxed(&ctx->self->stats.violations[kind]);
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
        v->task = ctx->task ? (int)(ctx->task - a->tasks) : -1;
        /* Freeze every worker's flight recorder: the report shows the events that led here. */
        smp_store_release(&a->flight_frozen, 1);
        if (a->params.stop_on_violation)
            smp_store_release(&a->stop.v, 1);
    }
}

void h_delay_ns(struct h_ctx *ctx, uint64_t ns)
{
    ctx->delays++;
    uint64_t end = h_now_ns() + ns;
    while (h_now_ns() < end)
        cpu_relax();
}

void h_check_cpu(struct h_ctx *ctx)
{
    int cpu = sched_getcpu();
    if (likely(cpu == ctx->cpu))
        return;
    /* Not where we thought: maybe a shuffle moved us. Read the assignment like a seqcount reader, so a
     * move in progress (the orchestrator's odd window) never counts as a migration. */
    struct h_worker_stats *s = &ctx->self->stats;
    uint32_t seq = smp_load_acquire(&ctx->arena->shuffle_seq);
    cpu = sched_getcpu();
    int assigned = READ_ONCE(s->cpu);
    smp_rmb();
    int moving = (seq & 1) || READ_ONCE(ctx->arena->shuffle_seq) != seq;
    if (cpu >= 0 && cpu < H_CPU_WORDS * 64)
        atomic_fetch_or_explicit(H_ATOMIC(&s->cpus_seen[cpu / 64]), 1ULL << (cpu % 64), memory_order_relaxed);
    if (!moving) {
        ctx->cpu = assigned;
        ctx->home_node = assigned % ctx->arena->params.nnodes;
    }
    if (moving || cpu == assigned)
        return;
    atomic_inc_relaxed(&s->counters[H_C_MIGRATIONS]);
}

/* ---------------------------------------------------------------- the oracles */

/*
 * Pipe count (rcutorture): grace periods completed since what we are looking at was retired. A grace
 * period that began before the retirement may end while we look (count 1); a second cannot, because it
 * began after the retirement and must wait for us. Count >= 2 means a grace period was too short.
 */
void h_pipe_check(struct h_ctx *ctx, const struct h_cpuset *cs, uint64_t serial)
{
    struct h_arena *a = ctx->arena;
    uint64_t retired = READ_ONCE(cs->retired_at);   /* stamps are gp_completed + 1, never 0 */
    if (!retired) {
        const struct h_page *pg = h_page_of(ctx, cs);
        if (READ_ONCE(pg->state) == H_PAGE_SLAB_RCU)
            retired = READ_ONCE(pg->retired_at);
    }
    if (!retired) {
        ctx->self->stats.pipe_hist[0]++;
        return;
    }
    smp_rmb();   /* the retirement stamp before the clock */
    uint64_t pipe = smp_load_acquire(&a->gp_completed.v) + 1 - retired;
    ctx->self->stats.pipe_hist[pipe < H_PIPE_BUCKETS ? pipe : H_PIPE_BUCKETS - 1]++;
    if (pipe == 1)
        ctx->near_misses++;
    if (pipe >= 2)
        h_violation(ctx, H_V_GP_TOO_SHORT, h_offset(ctx, cs), serial, pipe);
}

/*
 * Consistency and identity of the snapshot a reader acted on: its payload agrees with (serial, mems), and
 * the serial is one that was attached to the reader's task at some instant during the read, i.e. appears
 * in the task's attach log between the generation seen before the read (less one: the writer bumps the
 * generation just before publishing) and the one seen after it.
 */
void h_check_snapshot(struct h_ctx *ctx, const struct h_snap *snap, uint64_t g0, uint64_t g1)
{
    struct h_task *t = ctx->task;
    if (!snap->consistent)
        h_violation(ctx, H_V_TORN, snap->cs, snap->serial, snap->mems);
    uint64_t lo = g0 ? g0 - 1 : 0;
    if (g1 - lo >= H_ATTACH_LOG - 1) {
        ctx->unverified++;
        return;
    }
    for (uint64_t g = g1;; g--) {
        uint64_t e = READ_ONCE(t->attach_log[g % H_ATTACH_LOG]);
        if ((e & 0xffff) == (g & 0xffff) && e >> 16 == snap->serial)
            return;
        if (g == lo)
            break;
    }
    if (smp_load_acquire(&t->attach_gen) - lo >= H_ATTACH_LOG - 1) {   /* the log moved on under us */
        ctx->unverified++;
        return;
    }
    h_violation(ctx, H_V_IDENTITY, snap->cs, snap->serial, snap->mems);
}

/* ---------------------------------------------------------------- read-outs */

void h_get_worker_stats(void *arena, int worker, struct h_worker_stats *out)
{
    *out = ((struct h_arena *)arena)->workers[worker].stats;
}

void h_get_global_stats(void *arena, struct h_global_stats *out)
{
    struct h_arena *a = arena;
    memset(out, 0, sizeof(*out));
    out->gp_count = READ_ONCE(a->gp_completed.v);
    memcpy(out->gp_hist, a->gp_hist, sizeof(out->gp_hist));
    memcpy(out->cb_hist, a->cb_hist, sizeof(out->cb_hist));
    out->gp_max_ns = READ_ONCE(a->gp_max_ns);
    out->cb_queued = READ_ONCE(a->cb_queued);
    out->cb_done = READ_ONCE(a->cb_done);
    out->slab_pages = READ_ONCE(a->slab_pages);
    out->slab_pages_rcu_pending = READ_ONCE(a->slab_pages_rcu);
    out->slab_objects = READ_ONCE(a->slab_objects);
    for (int n = 0; n < a->params.nnodes; n++)
        out->pages_free += READ_ONCE(a->nodes[n].nfree);
    out->pages_total = a->npages;
    out->number_of_cpusets = READ_ONCE(a->number_of_cpusets.v);
    out->violations = READ_ONCE(a->violations);
    out->nstalls = READ_ONCE(a->nstalls);
    out->run_start_ns = READ_ONCE(a->run_start_ns);
    out->arena_bytes = a->size;
}

void h_get_first_violation(void *arena, struct h_violation *out)
{
    struct h_arena *a = arena;
    if (smp_load_acquire(&a->first_claimed))
        *out = a->first;
    else
        memset(out, 0, sizeof(*out));
}

int h_get_flight(void *arena, int worker, struct h_flight_event *out)
{
    struct h_worker *w = &((struct h_arena *)arena)->workers[worker];
    uint64_t end = READ_ONCE(w->flight_pos);
    uint64_t start = end > H_FLIGHT_EVENTS ? end - H_FLIGHT_EVENTS : 0;
    for (uint64_t i = start; i < end; i++)
        out[i - start] = w->flight[i % H_FLIGHT_EVENTS];
    return (int)(end - start);
}

int h_get_stalls(void *arena, struct h_stall *out, int max)
{
    struct h_arena *a = arena;
    uint64_t n = smp_load_acquire(&a->nstalls);
    uint64_t start = n > H_MAX_STALLS ? n - H_MAX_STALLS : 0;
    int k = 0;
    for (uint64_t i = start; i < n && k < max; i++)
        out[k++] = a->stalls[i % H_MAX_STALLS];
    return k;
}
