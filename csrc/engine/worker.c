/*
 * worker.c - what a pinned worker process runs: the command protocol with the orchestrator, the reader
 * driver around a scheme's specialised loop, and the writer that creates, attaches, rebinds and destroys
 * cpusets. Python calls h_worker_main() once; every per-operation step happens here.
 */
#define _GNU_SOURCE
#include <limits.h>
#include <sched.h>
#include <stdio.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <signal.h>
#include <time.h>
#include <unistd.h>

#include "engine.h"

#define H_WINDOW_NS 2000000ULL   /* best sustained ns/op over any 2 ms window filters host noise */

int h_sched_getcpu(void) { return sched_getcpu(); }

/* ---------------------------------------------------------------- orchestrator side of the protocol */

int h_post_command(void *arena, int cmd, unsigned long long reader_ops)
{
    struct h_arena *a = arena;
    if (cmd == H_CMD_RUN) {
        WRITE_ONCE(a->stop.v, 0);
        WRITE_ONCE(a->done, 0);
        WRITE_ONCE(a->readers_finished, 0);
        WRITE_ONCE(a->reader_ops, reader_ops);
        WRITE_ONCE(a->run_start_ns, h_now_ns());
    } else if (cmd == H_CMD_LITMUS) {
        WRITE_ONCE(a->done, 0);
        WRITE_ONCE(a->litmus_gen, 0);
        WRITE_ONCE(a->litmus_acked, 0);
        WRITE_ONCE(a->litmus_trials, (uint32_t)reader_ops);
    }
    WRITE_ONCE(a->cmd, (uint32_t)cmd);
    smp_store_release(&a->cmd_gen, READ_ONCE(a->cmd_gen) + 1);   /* the command before its generation */
    h_futex_wake(&a->cmd_gen, INT_MAX);
    return 0;
}

int h_wait_count(void *arena, int which, int target, int timeout_ms)
{
    struct h_arena *a = arena;
    uint32_t *w = which ? &a->done : &a->ready;
    uint64_t deadline = h_now_ns() + (uint64_t)timeout_ms * 1000000ULL;
    uint32_t v;
    while ((v = smp_load_acquire(w)) < (uint32_t)target) {
        uint64_t now = h_now_ns();
        if (now >= deadline)
            break;
        h_futex_wait(w, v, (int)((deadline - now) / 1000000ULL) + 1);
    }
    return (int)smp_load_acquire(w);
}

void h_request_stop(void *arena) { smp_store_release(&((struct h_arena *)arena)->stop.v, 1); }
int h_stop_requested(void *arena) { return (int)smp_load_acquire(&((struct h_arena *)arena)->stop.v); }

static void count_in(uint32_t *word)
{
    atomic_fetch_add_explicit(H_ATOMIC(word), 1, memory_order_release);
    h_futex_wake(word, INT_MAX);
}

/* ---------------------------------------------------------------- worker start-up */

/* The orchestrator is gone (SIGKILLed, say): this process's group goes with it, so whatever the scheme
 * forked goes too (a child keeps no parent-death signal of its own). The group is this worker's alone
 * (spawn.py, reclaimer.py: setpgid before h_worker_init). */
static void orchestrator_died(int sig)
{
    (void)sig;
    killpg(0, SIGKILL);
}

int h_worker_init(int parent_pid)
{
    /* Die with the orchestrator, even when it is SIGKILLed: nothing may outlive it. */
    struct sigaction sa = { 0 };
    sa.sa_handler = orchestrator_died;
    if (sigaction(SIGHUP, &sa, NULL) != 0 || prctl(PR_SET_PDEATHSIG, SIGHUP) != 0)
        return -1;
    if (getppid() != parent_pid)   /* it died before the line above took effect */
        return -2;
    /* A crashing worker must not leave a core file behind either. */
    struct rlimit no_core = { 0, 0 };
    return setrlimit(RLIMIT_CORE, &no_core);
}

int h_worker_register(void *arena, int worker, int role, int cpu, char *err, int errlen)
{
    struct h_arena *a = arena;
    struct h_worker *w = &a->workers[worker];
    w->stats.role = role;
    w->stats.pid = getpid();
    w->stats.cpu = cpu;
    w->slot_cpu = cpu;
    h_world(a)->slots[worker].cpu = cpu;
    int now = sched_getcpu();
    if (now >= 0 && now < H_CPU_WORDS * 64)
        w->stats.cpus_seen[now / 64] |= 1ULL << (now % 64);
    if (now != cpu) {
        snprintf(err, (size_t)errlen, "worker %d was pinned to CPU %d but runs on CPU %d", worker, cpu, now);
        return -1;
    }
    if (a->params.flavor == H_FLAVOR_MEMBARRIER && (h_scheme(a->params.scheme)->flags & H_SCHEME_RCU_READER))
        return h_membarrier_register(err, errlen);
    return 0;
}

/* ---------------------------------------------------------------- readers */

static void publish_reader_counters(struct h_ectx *e, uint64_t ops)
{
    unsigned long long *c = e->self->stats.counters;
    WRITE_ONCE(c[H_C_OPS], ops);
    WRITE_ONCE(c[H_C_RETRIES], e->c.retries);
    WRITE_ONCE(c[H_C_NEAR_MISSES], e->c.retries + e->near_misses);
    WRITE_ONCE(c[H_C_SHORTCUT], e->c.shortcut);
    WRITE_ONCE(c[H_C_PAGES_ALLOCATED], e->pages_allocated);
    WRITE_ONCE(c[H_C_ALLOC_FAILURES], e->alloc_failures);
    WRITE_ONCE(c[H_C_UNVERIFIED], e->unverified);
    WRITE_ONCE(c[H_C_DELAYS], e->delays);
    WRITE_ONCE(c[H_C_ZONELIST_TORN], e->zonelist_torn);
}

/*
 * Stutter (rcutorture): every worker runs stutter_on_ms, then all pause stutter_off_ms together, the
 * phases read off the one CLOCK_MONOTONIC every process shares, so no message is needed. A paused reader
 * is quiescent (offline), as a sleeping kernel thread is. Returns the ns spent paused.
 */
static uint64_t stutter(struct h_ectx *e, uint64_t now, int resume_phase)
{
    struct h_ctx *ctx = &e->c;
    const struct h_params *p = &ctx->arena->params;
    uint64_t on = p->stutter_on_ms * 1000000ULL, period = on + p->stutter_off_ms * 1000000ULL;
    uint64_t start = READ_ONCE(ctx->arena->run_start_ns);
    if (!p->stutter_off_ms || (now - start) % period < on)
        return 0;
    uint64_t resume = now + period - (now - start) % period, paused_at = now;
    int reader = e->role == H_ROLE_READER;
    if (reader)
        h_rcu_offline(ctx);
    while ((now = h_now_ns()) < resume && !READ_ONCE(ctx->arena->stop.v)) {
        h_heartbeat(e, H_PH_PAUSED);
        uint64_t left = resume - now < 10000000ULL ? resume - now : 10000000ULL;
        struct timespec ts = { 0, (long)left };
        nanosleep(&ts, NULL);
    }
    if (reader)
        h_rcu_online(ctx);
    h_heartbeat(e, resume_phase);
    uint64_t paused = h_now_ns() - paused_at;   /* from when we stopped, not from the phase's start */
    e->self->stats.counters[H_C_PAUSED_NS] += paused;
    return paused;
}

static void run_reader(struct h_ectx *e)
{
    struct h_ctx *ctx = &e->c;
    struct h_arena *a = ctx->arena;
    const struct h_params *p = &a->params;
    struct h_worker_stats *s = &e->self->stats;
    h_chunk_fn chunk = ctx->ops->chunk[p->flavor][p->checks ? (p->memory_model == H_MEMORY_WEAK ? H_CHECKS_WEAK : 1) : 0][p->workload];
    const int qsbr = (ctx->ops->flags & H_SCHEME_RCU_READER) && p->flavor == H_FLAVOR_QSBR;
    const uint64_t target = READ_ONCE(a->reader_ops), run_start = READ_ONCE(a->run_start_ns);
    uint64_t base_ops = s->counters[H_C_OPS], ops = 0, best_ps = s->counters[H_C_BEST_WINDOW_PS];
    uint64_t base_loop_ns = s->counters[H_C_LOOP_NS];
    uint64_t t_start = h_now_ns(), window_t = t_start, window_ops = 0, paused = 0;

    WRITE_ONCE(s->t_start_ns, t_start - run_start);
    h_heartbeat(e, H_PH_READ);
    h_rcu_online(ctx);
    for (uint64_t chunks = 1;; chunks++) {
        uint64_t n = target && target - ops < H_CHUNK ? target - ops : H_CHUNK;
        if (!n)
            break;
        if (p->checks) {   /* torture: the clock for the flight recorder, progress and placement, every chunk */
            e->chunk_ns = h_stamp_sync(e, run_start);
            WRITE_ONCE(s->heartbeat_ns, e->chunk_ns);
            h_check_cpu(ctx);
        }
        chunk(ctx, n);
        ops += n;
        if (qsbr)
            h_rcu_quiescent_state(ctx);
        if (chunks % 16) {
            if (READ_ONCE(a->stop.v))   /* a slow chunk (long delays) still stops within one chunk */
                break;
            continue;
        }
        /* every 1024 ops: counters for the live status, progress, placement, the best-window clock, one
         * timed op */
        publish_reader_counters(e, base_ops + ops);
        h_heartbeat(e, H_PH_READ);
        h_check_cpu(ctx);
        h_fault_check(ctx);
        uint64_t now = h_now_ns();
        /* the round's time so far, with the ops just published: a reader that dies keeps what it did */
        WRITE_ONCE(s->counters[H_C_LOOP_NS], base_loop_ns + (now - t_start - paused));
        WRITE_ONCE(s->t_end_ns, now - run_start);
        uint64_t pause = stutter(e, now, H_PH_READ);
        if (pause) {   /* a pause is not reader time: restart the window after it */
            paused += pause;
            now = window_t = h_now_ns();
            window_ops = ops;
        }
        if (now - window_t >= H_WINDOW_NS) {
            uint64_t ps = (now - window_t) * 1000 / (ops - window_ops);
            if (!best_ps || ps < best_ps)
                best_ps = ps;
            window_t = now;
            window_ops = ops;
        }
        if (target && ops == target)   /* the sampled op must not overshoot a fixed round: ops > target never ends */
            break;
        chunk(ctx, 1);
        ops++;
        s->op_latency_hist[h_hist_bucket(h_now_ns() - now)]++;
        if (READ_ONCE(a->stop.v))
            break;
    }
    uint64_t t_end = h_now_ns();
    if (qsbr)
        h_rcu_quiescent_state(ctx);
    h_rcu_offline(ctx);
    h_release_held_pages(ctx);
    publish_reader_counters(e, base_ops + ops);
    h_heartbeat(e, H_PH_IDLE);
    WRITE_ONCE(s->counters[H_C_LOOP_NS], base_loop_ns + (t_end - t_start - paused));
    WRITE_ONCE(s->counters[H_C_BEST_WINDOW_PS], best_ps);
    WRITE_ONCE(s->t_end_ns, t_end - run_start);
    /* A fixed-size round ends when the last reader is through: stop the writers with it. */
    if (target && atomic_add_return_relaxed(&a->readers_finished, 1) == (uint32_t)p->nreaders)
        smp_store_release(&a->stop.v, 1);
}

/* ---------------------------------------------------------------- writers */

static struct h_cpuset *cs_at(struct h_ctx *ctx, h_off off) { return h_ptr(ctx, off); }

static uint64_t random_mems(struct h_ctx *ctx)
{
    int n = ctx->arena->params.nnodes;
    uint64_t all = n >= 64 ? ~0ULL : (1ULL << n) - 1, m;
    while (!(m = h_random(ctx) & all))
        ;
    return m;
}

static struct h_task *random_task(struct h_ctx *ctx)
{
    const struct h_params *p = &ctx->arena->params;
    uint64_t r = h_random(ctx);
    /* Mostly the readers' own tasks: that is where a race can be seen. */
    int t = p->nreaders && (r & 3) ? (int)((r >> 8) % (uint64_t)p->nreaders) : (int)((r >> 8) % (uint64_t)h_ntasks(p));
    return &W(ctx)->tasks[t].t;
}

/* Make `task` use `cs`, through the scheme's publish; the attach log first, for the identity oracle. */
static void attach(struct h_ectx *e, struct h_task *task, struct h_cpuset *cs)
{
    struct h_ctx *ctx = &e->c;
    struct h_cpuset *old = cs_at(ctx, task->cpuset);
    if (old == cs)
        return;
    h_log_attach(ctx, task, h_cs_priv(ctx, cs)->serial, h_cs_priv(ctx, cs)->mems);
    h_heartbeat(e, H_PH_ATTACH);
    ctx->ops->attach(ctx, task, cs);
    h_weak_sync(H_WF_DRAIN);   /* the engine reads task->cpuset back */
    h_event(ctx, H_EV_ATTACH, (uint64_t)h_task_index(ctx, task), h_cs_priv(ctx, cs)->serial);
    e->self->stats.counters[H_C_WRITER_ATTACHES]++;
}

static struct h_cpuset *random_target(struct h_ctx *ctx, const struct h_cpuset *not)
{
    struct h_arena *a = ctx->arena;
    uint32_t i = (uint32_t)(h_random(ctx) % (a->nlive + 1));
    struct h_cpuset *cs = i < a->nlive ? cs_at(ctx, a->live[i]) : cs_at(ctx, a->root);
    return cs == not ? cs_at(ctx, a->root) : cs;
}

/* WRITER, cpuset mutex held (the count changes under it alone): the world's count, from the engine's shadow;
 * a world count the engine did not write is engine-corrupted. */
static void set_number_of_cpusets(struct h_ctx *ctx, int delta)
{
    struct h_arena *a = ctx->arena;
    uint64_t *count = &W(ctx)->number_of_cpusets.v, seen = a->number_of_cpusets_shadow;
    a->number_of_cpusets_shadow += (uint64_t)(int64_t)delta;
    /* one atomic step from the value the engine wrote (release: the count before any attach to the new
     * cpuset), so that no stray store between a check and the update goes unseen */
    if (!atomic_compare_exchange_strong_explicit(H_ATOMIC(count), &seen, a->number_of_cpusets_shadow,
                                                 memory_order_release, memory_order_relaxed)) {
        h_violation(ctx, H_V_ENGINE_CORRUPTED, h_offset(ctx, count), 0, seen);
        smp_store_release(count, a->number_of_cpusets_shadow);
    }
}

static struct h_cpuset *create(struct h_ectx *e)
{
    struct h_ctx *ctx = &e->c;
    struct h_arena *a = ctx->arena;
    if (a->nlive >= H_MAX_LIVE)
        return NULL;
    uint64_t serial = a->next_serial++;
    h_heartbeat(e, H_PH_CREATE);
    struct h_cpuset *cs = h_engine_create(ctx, serial, random_mems(ctx));
    if (!cs) {
        e->alloc_failures++;
        return NULL;
    }
    a->live[a->nlive++] = h_offset(ctx, cs);
    /* before any task can be attached to it: a reader that sees the task moved sees the count */
    set_number_of_cpusets(ctx, +1);
    h_event(ctx, H_EV_CREATE, serial, h_offset(ctx, cs));
    e->self->stats.counters[H_C_WRITER_CREATES]++;
    return cs;
}

/* Move every task off cs (to heir), then let the scheme free it: the cpuset_rmdir path. */
static void destroy(struct h_ectx *e, struct h_cpuset *cs, struct h_cpuset *heir)
{
    struct h_ctx *ctx = &e->c;
    struct h_arena *a = ctx->arena;
    h_off off = h_offset(ctx, cs);
    for (int i = 0; i < h_ntasks(&a->params); i++)
        if (W(ctx)->tasks[i].t.cpuset == off)
            attach(e, &W(ctx)->tasks[i].t, heir);
    for (uint32_t i = 0; i < a->nlive; i++)
        if (a->live[i] == off) {
            a->live[i] = a->live[--a->nlive];
            break;
        }
    set_number_of_cpusets(ctx, -1);
    h_event(ctx, H_EV_DESTROY, h_cs_priv(ctx, cs)->serial, off);
    e->self->stats.counters[H_C_WRITER_DESTROYS]++;
    h_writer_delay(ctx);   /* amplifier: between unpublishing and freeing */
    h_heartbeat(e, H_PH_DESTROY);
    ctx->ops->destroy(ctx, cs);
    h_weak_sync(H_WF_DRAIN);
}

/*
 * The adversarial writer (torture): find the cpuset a reader touched last (its slot says which), and
 * recycle it under the reader twice: destroy it, create a cpuset (the LIFO slab hands back the same
 * memory), attach it to that reader's task, and again. A reader that revalidates badly meets its own
 * object reused, as another cpuset, inside one read.
 */
static int adversarial_step(struct h_ectx *e)
{
    struct h_ctx *ctx = &e->c;
    struct h_arena *a = ctx->arena;
    int r = (int)(h_random(ctx) % (uint64_t)a->params.nreaders);
    h_off held = READ_ONCE(W(ctx)->slots[r].holding);
    uint32_t i = 0;
    while (i < a->nlive && a->live[i] != held)
        i++;
    if (i == a->nlive)
        return 0;
    struct h_cpuset *victim = cs_at(ctx, held);
    e->self->stats.counters[H_C_WRITER_RECYCLES]++;
    for (int round = 0; round < 2 && victim; round++) {
        destroy(e, victim, random_target(ctx, victim));
        victim = create(e);
        if (victim)
            attach(e, &W(ctx)->tasks[r].t, victim);
    }
    return 1;
}

/* The writer's operations and their shares of the steps (percent): create a cpuset and attach a task to it,
 * move a task, rebind (copy-update a cpuset's mems), destroy. */
static const unsigned wop_share[H_NWRITER_OPS] = {
    [H_WRITER_OP_CREATE] = 25, [H_WRITER_OP_ATTACH] = 35, [H_WRITER_OP_REBIND] = 20, [H_WRITER_OP_DESTROY] = 20,
};

/* The operation for a draw r in [0, 100) among the enabled ones (mask), each keeping its share relative to
 * the others; with all enabled, r maps as it always has. */
static int pick_writer_op(unsigned mask, uint64_t r)
{
    unsigned total = 0, at = 0;
    for (int op = 0; op < H_NWRITER_OPS; op++)
        total += (mask >> op & 1) ? wop_share[op] : 0;
    uint64_t x = r * total / 100;
    for (int op = 0; op < H_NWRITER_OPS; op++) {
        if (!(mask >> op & 1))
            continue;
        at += wop_share[op];
        if (x < at)
            return op;
    }
    return H_WRITER_OP_CREATE;   /* unreachable with a mask Config accepts (at least one operation) */
}

/* One structural change, under the cpuset mutex like the kernel's cpuset code. Whatever the enabled
 * operations, fewer than two live cpusets means a create: nothing else has anything to work on. */
static void writer_step(struct h_ectx *e)
{
    struct h_ctx *ctx = &e->c;
    struct h_arena *a = ctx->arena;
    uint64_t r = h_random(ctx) % 100;
    h_mutex_lock(&a->cpuset_mutex);
    e->owner = 1;   /* holding the cpuset mutex: the writer may touch any cpuset */
    if (a->params.workload == H_WORKLOAD_UNUSED) {
        /* only the root exists: re-attach it, which still runs the scheme's publish */
        struct h_task *t = random_task(ctx);
        struct h_cpuset *root = cs_at(ctx, a->root);
        h_log_attach(ctx, t, h_cs_priv(ctx, root)->serial, h_cs_priv(ctx, root)->mems);
        h_heartbeat(e, H_PH_ATTACH);
        ctx->ops->attach(ctx, t, root);
        h_weak_sync(H_WF_DRAIN);
        e->self->stats.counters[H_C_WRITER_ATTACHES]++;
    } else if (a->params.adversarial && r < 20 && a->params.nreaders && adversarial_step(e)) {
        /* done */
    } else {
        switch (a->nlive < 2 ? H_WRITER_OP_CREATE : pick_writer_op(a->params.writer_ops, r)) {
        case H_WRITER_OP_CREATE: {
            struct h_cpuset *cs = create(e);
            if (cs)
                attach(e, random_task(ctx), cs);
            break;
        }
        case H_WRITER_OP_ATTACH: {
            struct h_task *t = random_task(ctx);
            attach(e, t, random_target(ctx, cs_at(ctx, t->cpuset)));
            break;
        }
        case H_WRITER_OP_REBIND: {
            /* a cpuset's mems change by copy-update: a new cpuset, its tasks moved, the old destroyed */
            struct h_cpuset *old = cs_at(ctx, a->live[h_random(ctx) % a->nlive]);
            struct h_cpuset *cs = create(e);
            if (cs) {
                destroy(e, old, cs);
                e->self->stats.counters[H_C_WRITER_REBINDS]++;
            }
            break;
        }
        default: {
            struct h_cpuset *victim = cs_at(ctx, a->live[h_random(ctx) % a->nlive]);
            destroy(e, victim, random_target(ctx, victim));
        }
        }
    }
    h_weak_sync(H_WF_DRAIN | H_WF_FORGET);   /* nothing held back past a writer step, nothing cached over it */
    e->owner = 0;
    if (ctx->checks)
        h_torture_end_of_op(e, H_PH_WRITER);
    h_mutex_unlock(&a->cpuset_mutex);
}

static void pace(struct h_ctx *ctx, uint64_t *next)
{
    unsigned period = ctx->arena->params.writer_period_ns;
    if (!period) {
        h_writer_delay(ctx);
        return;
    }
    *next += period;
    uint64_t now = h_now_ns();
    if (*next < now) {   /* fell behind (preempted): do not burst to catch up */
        *next = now;
        return;
    }
    if (*next - now > 100000) {
        struct timespec ts = { 0, (long)(*next - now - 50000) };
        nanosleep(&ts, NULL);
    }
    while (h_now_ns() < *next && !READ_ONCE(ctx->arena->stop.v))
        cpu_relax();
}

/*
 * Back-pressure: when the reclaimer falls behind (it is one process, and on an oversubscribed machine it
 * may wait long for a CPU), retired cpusets pin slab pages until the arena runs dry. Like a kernel that
 * cannot free memory as fast as it is asked to, the writer then waits for the callback backlog to drain.
 * Returns the ns it waited.
 */
static uint64_t throttle(struct h_ectx *e)
{
    struct h_arena *a = e->c.arena;
    uint64_t limit = a->npages / 8 > 64 ? a->npages / 8 : 64, t0 = 0;
    while (READ_ONCE(a->cb_queued) - READ_ONCE(a->cb_done) > limit && !READ_ONCE(a->stop.v)) {
        if (!t0)
            t0 = h_now_ns();
        h_heartbeat(e, H_PH_THROTTLED);
        struct timespec ts = { 0, 100000 };
        nanosleep(&ts, NULL);
    }
    return t0 ? h_now_ns() - t0 : 0;
}

static void run_writer(struct h_ectx *e)
{
    struct h_ctx *ctx = &e->c;
    struct h_arena *a = ctx->arena;
    struct h_worker_stats *s = &e->self->stats;
    const uint64_t run_start = READ_ONCE(a->run_start_ns);
    uint64_t ops = s->counters[H_C_OPS], t_start = h_now_ns(), next = t_start, paused = 0;
    WRITE_ONCE(s->t_start_ns, t_start - run_start);
    while (!READ_ONCE(a->stop.v)) {
        s->counters[H_C_THROTTLED_NS] += throttle(e);
        e->chunk_ns = h_now_ns() - run_start;
        h_heartbeat(e, H_PH_WRITER);
        writer_step(e);
        WRITE_ONCE(s->counters[H_C_OPS], ++ops);
        pace(ctx, &next);
        if (!(ops % 64)) {
            h_check_cpu(ctx);
            h_fault_check(ctx);
            paused += stutter(e, h_now_ns(), H_PH_WRITER);
            WRITE_ONCE(s->counters[H_C_ALLOC_FAILURES], e->alloc_failures);
            WRITE_ONCE(s->counters[H_C_DELAYS], e->delays);
        }
    }
    uint64_t t_end = h_now_ns();
    h_heartbeat(e, H_PH_IDLE);
    WRITE_ONCE(s->counters[H_C_LOOP_NS], s->counters[H_C_LOOP_NS] + (t_end - t_start - paused));
    WRITE_ONCE(s->t_end_ns, t_end - run_start);
}

/* ---------------------------------------------------------------- the command loop */

int h_worker_main(void *arena, int worker)
{
    struct h_arena *a = arena;
    struct h_ectx e;
    h_ctx_init(&e, arena, worker);
    h_segv_watch(&e);
    h_torture_enable(&e);
    h_weak_enable(&e);
    struct h_worker_stats *s = &e.self->stats;
    uint32_t seen = smp_load_acquire(&a->cmd_gen);
    WRITE_ONCE(s->state, H_WORKER_READY);
    count_in(&a->ready);
    for (;;) {
        uint32_t gen;
        while ((gen = smp_load_acquire(&a->cmd_gen)) == seen) {
            h_futex_wait(&a->cmd_gen, seen, 250);
            if (getppid() != a->parent_pid)
                return 3;   /* the orchestrator is gone */
        }
        seen = gen;
        if (READ_ONCE(a->cmd) == H_CMD_EXIT) {
            WRITE_ONCE(s->state, H_WORKER_EXITED);
            return 0;
        }
        WRITE_ONCE(s->state, H_WORKER_RUNNING);
        if (READ_ONCE(a->cmd) == H_CMD_LITMUS) {
            if (s->role == H_ROLE_READER)
                h_litmus_reader(&e.c);
        } else if (s->role == H_ROLE_READER)
            run_reader(&e);
        else
            run_writer(&e);
        WRITE_ONCE(s->state, H_WORKER_DONE);
        count_in(&a->done);
    }
}
