/*
 * rcu.c - RCU in shared memory: grace periods over per-worker reader slots (qsbr, mb and membarrier
 * flavors), call_rcu with a reclaimer, and the engine's ownership of the grace-period clock.
 *
 * One 64-bit grace-period counter makes a single-phase wait correct (no wrap in any run's lifetime):
 * a grace period sets gp_ctr = target and waits until every slot is 0 (offline / outside) or >= target
 * (passed a quiescent state / entered after the flip). Waiters block on a futex, never spin for long:
 * on an oversubscribed machine a spinning waiter stretches a grace period to a scheduler tick.
 *
 * The clock is the engine's, never the scheme's (rcutorture's rule): h_synchronize_rcu counts a grace
 * period as started before the scheme's .synchronize runs and as completed after it returns, and in
 * torture mode checks that every reader inside a read-side section when it started has left it; h_call_rcu
 * stamps the head with the grace periods started so far, and h_rcu_invoke refuses to call that a grace
 * period unless one started after it has completed. A scheme with an empty or short grace period is
 * caught whatever else it does, and it calls no bookkeeping function.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <linux/membarrier.h>
#include <sched.h>
#include <stdio.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "engine.h"

#define H_GP_SPINS 100
#define H_GP_SLEEP_MS 10

/* ---------------------------------------------------------------- read side, slow parts */

void h_rcu_wake_gp(struct h_ctx *ctx)
{
    uint32_t *f = (uint32_t *)ctx->gp_futex;
    if (READ_ONCE(*f) == (uint32_t)-1) {
        WRITE_ONCE(*f, 0);
        h_futex_wake(f, 1);
    }
}

/* A reader comes online: under qsbr it holds up grace periods from now until its next quiescent state.
 * A scheme without RCU readers never holds one up. */
void h_rcu_online(struct h_ctx *ctx)
{
    int qsbr = ctx->flavor == H_FLAVOR_QSBR && (ctx->ops->flags & H_SCHEME_RCU_READER);
    WRITE_ONCE(ctx->slot->ctr, qsbr ? READ_ONCE(*ctx->gp_ctr) : 0);
    smp_mb();   /* the slot is visible before this reader's first dereference */
}

void h_rcu_offline(struct h_ctx *ctx)
{
    smp_store_release(&ctx->slot->ctr, 0);   /* our earlier loads stay before it */
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
static void smp_mb_master(int flavor)
{
    if (flavor == H_FLAVOR_MEMBARRIER)
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
    s->cpu = READ_ONCE(a->workers[worker].slot_cpu);
    smp_store_release(&a->nstalls, n + 1);
}

/*
 * The arena's grace period in three steps: h_gp_flip, h_gp_reader_passed for every reader, h_gp_end.
 * wait_for_readers below is made of them; the litmus suite (weak_litmus.c: RCU+sync+free, RCU+sync+read)
 * runs them a step at a time between emulated readers, so LKMM's verdicts judge this very code.
 */

/* Begin the grace period that ends once every reader has passed `target`. The barrier before the flip
 * puts the caller's updates (the unpublish) before it: a reader whose lock reads the new count is taken as
 * entered after the grace period began, so it must also see the new pointer (liburcu's synchronize_rcu
 * begins the same way). A full barrier here is enough where the reader's lock orders its load of the count
 * before its loads of pointers: mb's smp_mb does, and under membarrier x86 does (loads are not reordered
 * with older loads). Elsewhere a membarrier reader orders nothing there, so the barrier it is given must
 * fall between the unpublish and the flip: membarrier() itself (as liburcu's urcu-memb). The emulation's
 * fence too: the caller's stores may be held there. */
void h_gp_flip(uint64_t *gp_ctr, uint64_t target, int flavor)
{
    h_weak_sync(H_WF_FULL);
#if defined(__x86_64__) || defined(__i386__)
    (void)flavor;
    smp_mb();
#else
    smp_mb_master(flavor);
#endif
    WRITE_ONCE(*gp_ctr, target);
    smp_mb_master(flavor);   /* flip before reading any slot (pairs with read_lock's barrier) */
}

/* Outside (0), or announced at or after the flip. dead: the engine's own record (its shadow), never the
 * world's word a scheme could set. */
int h_gp_reader_passed(const struct h_rcu_slot *slot, const int32_t *dead, uint64_t target)
{
    uint64_t c = smp_load_acquire(&slot->ctr);
    return c == 0 || c >= target || READ_ONCE(*dead);
}

/* Every reader has passed: their critical-section accesses are done before the caller frees anything. */
void h_gp_end(int flavor)
{
    smp_mb_master(flavor);
    h_weak_sync(H_WF_FULL);   /* the caller's later loads read memory, not what it saw before */
}

static void wait_for_reader(struct h_ctx *ctx, int worker, uint64_t target, uint64_t t0)
{
    struct h_arena *a = ctx->arena;
    struct h_rcu_slot *slot = &W(ctx)->slots[worker];
    const int32_t *dead = &a->workers[worker].slot_dead;
    uint32_t *f = (uint32_t *)&W(ctx)->gp_futex;
    uint64_t stall_ns = (uint64_t)a->params.stall_ms * 1000000ULL, next_report = stall_ns;
    for (int spins = 0; !h_gp_reader_passed(slot, dead, target);) {
        if (spins++ < H_GP_SPINS) {
            cpu_relax();
            continue;
        }
        WRITE_ONCE(*f, (uint32_t)-1);
        smp_mb_master(a->params.flavor);   /* flag store before the slot load; pairs with the reader's unlock/QS */
        if (h_gp_reader_passed(slot, dead, target)) {
            WRITE_ONCE(*f, 0);
            break;
        }
        h_futex_wait(f, (uint32_t)-1, H_GP_SLEEP_MS);
        uint64_t waited = h_now_ns() - t0;
        if (stall_ns && waited >= next_report && !h_gp_reader_passed(slot, dead, target)) {
            record_stall(ctx, worker, waited, target);
            next_report += stall_ns;
        }
    }
}

/* The arena's grace period: what runs when a scheme has no .synchronize of its own. Under gp_lock. */
static void wait_for_readers(struct h_ctx *ctx, uint64_t t0)
{
    struct h_arena *a = ctx->arena;
    uint64_t target = READ_ONCE(a->gp_ctr_shadow.v) + 1;   /* the engine's count, whatever the world holds */
    WRITE_ONCE(a->gp_ctr_shadow.v, target);
    h_gp_flip(&W(ctx)->gp_ctr.v, target, a->params.flavor);
    for (int i = 0; i < a->params.nworkers; i++)
        wait_for_reader(ctx, i, target, t0);
    h_gp_end(a->params.flavor);
}

/*
 * A grace period, through the scheme's .synchronize, with the engine's clock and check around it. In
 * torture mode each worker's read-side section count is read before it starts: a reader that was inside
 * then (odd count) and still shows the same count when it returns has not left the section the grace
 * period had to wait for.
 */
static void synchronize_rcu(struct h_ctx *ctx)
{
    struct h_ectx *e = E(ctx);
    struct h_arena *a = ctx->arena;
    h_weak_sync(H_WF_FULL);   /* weak memory: a grace-period wait orders everything around it */
    if (e->in_gp) {   /* the scheme's .synchronize asks for the arena's own grace period */
        wait_for_readers(ctx, h_now_ns());
        return;
    }
    if (ctx->checks && (e->nesting > 0 || e->role == H_ROLE_READER)) {
        /* a reader waiting for readers waits for itself */
        h_violation(ctx, H_V_SYNC_IN_READER, 0, 0, (uint64_t)e->nesting);
        return;
    }
    int n = a->params.nworkers;
    uint64_t inside[H_MAX_WORKERS];
    h_heartbeat(e, H_PH_SYNCHRONIZE);
    h_mutex_lock(&a->gp_lock);
    h_gp_shadow_check(ctx);   /* gp_ctr and the slots, before a grace period trusts them */
    e->in_gp = 1;
    if (ctx->checks)
        for (int w = 0; w < n; w++)
            inside[w] = smp_load_acquire(&W(ctx)->slots[w].read_sections);
    uint64_t t0 = h_now_ns(), gp = READ_ONCE(a->gp_started.v) + 1;
    smp_store_release(&a->gp_started.v, gp);
    h_event(ctx, H_EV_GP_START, gp, 0);
    if (ctx->ops->synchronize) {
        if (ctx->checks)
            h_own_gp_begin(e);   /* judged by progress while it waits (own_gp.c) */
        ctx->ops->synchronize(ctx);
        e->gp_watch = 0;
    } else
        wait_for_readers(ctx, t0);
    uint64_t ns = h_now_ns() - t0;
    a->gp_hist[h_hist_bucket(ns)]++;
    if (ns > a->gp_max_ns)
        a->gp_max_ns = ns;
    smp_store_release(&a->gp_completed.v, READ_ONCE(a->gp_completed.v) + 1);
    h_event(ctx, H_EV_GP_END, gp, ns);
    if (ctx->checks)
        for (int w = 0; w < n; w++)
            if ((inside[w] & 1) && !READ_ONCE(a->workers[w].slot_dead) &&
                smp_load_acquire(&W(ctx)->slots[w].read_sections) == inside[w])
                h_violation(ctx, H_V_GP_TOO_SHORT, READ_ONCE(W(ctx)->slots[w].holding), 0, (uint64_t)w);
    h_gp_shadow_check(ctx);   /* ...and after: a slot the grace period took as passed was real */
    e->in_gp = 0;
    h_mutex_unlock(&a->gp_lock);
}

void h_synchronize_rcu(struct h_ctx *ctx)
{
    int outer = h_op_enter(ctx, H_OP_SYNCHRONIZE);
    synchronize_rcu(ctx);
    E(ctx)->op = outer;
}

/* ---------------------------------------------------------------- call_rcu and the reclaimer */

static struct h_cpuset *head_cpuset(struct h_rcu_head *head)
{
    return (struct h_cpuset *)((char *)head - offsetof(struct h_cpuset, rcu));
}


/* What a violation about a callback names: the cpuset it frees, or the data of the page it releases (a
 * head's own address would match nothing the flight recorder saw). */
static h_off head_object(struct h_ctx *ctx, struct h_rcu_head *head, enum h_cb_kind kind)
{
    if (kind == H_CB_FREE_CPUSET)
        return h_offset(ctx, head_cpuset(head));
    uint64_t idx = h_head_page(ctx, head);
    return idx < ctx->arena->npages ? h_offset(ctx, h_page_data(ctx, idx)) : h_offset(ctx, head);
}

/* The arena's queue: an MPSC list the reclaimer takes whole. */
static void enqueue(struct h_ctx *ctx, struct h_rcu_head *head)
{
    struct h_arena *a = ctx->arena;
    h_off off = h_offset(ctx, head), old = READ_ONCE(a->cb_head);
    do {
        WRITE_ONCE(head->next, old);
    } while (!cmpxchg_weak(&a->cb_head, &old, off));   /* release: the head's fields go with it */
    smp_mb();   /* push before the sleeping-flag load; pairs with the reclaimer's flag store + smp_mb */
    if (READ_ONCE(a->cb_sleeping))
        h_futex_wake(&a->cb_sleeping, 1);
}

/*
 * Queue a callback, with object debugging: a cpuset queued twice, queued after it was freed, or queued
 * while a task still points at it is a violation; the first two are refused, so no list can become a
 * cycle. The head is stamped with the grace periods started so far; then the scheme's .call_rcu (or the
 * arena's queue) takes it.
 */
static void call_rcu(struct h_ctx *ctx, struct h_rcu_head *head, enum h_cb_kind kind)
{
    struct h_ectx *e = E(ctx);
    struct h_arena *a = ctx->arena;
    h_weak_sync(H_WF_DRAIN);   /* weak memory: the scheme's stores before the engine reads the object */
    if (e->in_call_rcu) {   /* the scheme's .call_rcu hands it to the arena's queue */
        enqueue(ctx, head);
        return;
    }
    if (kind == H_CB_FREE_CPUSET) {
        struct h_cpuset *cs = head_cpuset(head);
        struct h_cpuset_priv *priv = h_cs_priv(ctx, cs);
        uint32_t state = READ_ONCE(priv->state);
        if (state == H_OBJ_FREE || state == H_OBJ_QUEUED) {
            h_violation(ctx, state == H_OBJ_FREE ? H_V_DOUBLE_FREE : H_V_DOUBLE_CALL_RCU, h_offset(ctx, cs),
                        priv->serial, state);
            return;
        }
        if (h_cpuset_attached(ctx, cs))
            h_violation(ctx, H_V_FREE_WHILE_ATTACHED, h_offset(ctx, cs), priv->serial, 1);
        WRITE_ONCE(priv->retired_at, READ_ONCE(a->gp_completed.v) + 1);
        WRITE_ONCE(priv->state, H_OBJ_QUEUED);
        h_claims_check(ctx, h_offset(ctx, cs), priv->serial);
    } else if (READ_ONCE(head->queued)) {
        h_violation(ctx, H_V_DOUBLE_CALL_RCU, head_object(ctx, head, kind), 0, kind);
        return;
    }
    head->kind = kind;
    head->queued_ns = h_now_ns();
    head->gp_seq = smp_load_acquire(&a->gp_started.v);
    WRITE_ONCE(head->queued, 1);
    atomic_inc_relaxed(&a->cb_queued);
    if (kind == H_CB_FREE_CPUSET)
        h_event(ctx, H_EV_CALL_RCU, h_cs_priv(ctx, head_cpuset(head))->serial, h_offset(ctx, head_cpuset(head)));
    else
        h_event(ctx, H_EV_CALL_RCU, 0, h_offset(ctx, head));
    if (ctx->ops->call_rcu) {
        e->in_call_rcu = 1;
        ctx->ops->call_rcu(ctx, head, kind);
        e->in_call_rcu = 0;
    } else {
        enqueue(ctx, head);
    }
}

void h_call_rcu(struct h_ctx *ctx, struct h_rcu_head *head, enum h_cb_kind kind)
{
    int outer = h_op_enter(ctx, H_OP_CALL_RCU);
    call_rcu(ctx, head, kind);
    E(ctx)->op = outer;
}

void h_cpuset_free_rcu(struct h_ctx *ctx, struct h_cpuset *cs) { h_call_rcu(ctx, &cs->rcu, H_CB_FREE_CPUSET); }

/* Free now; a TYPESAFE_BY_RCU slab page that became empty waits for a grace period. */
static void free_cpuset(struct h_ctx *ctx, struct h_cpuset *cs, int from_callback)
{
    uint64_t zonelist, serial = h_cs_priv(ctx, cs)->serial;
    h_weak_sync(H_WF_DRAIN);
    int64_t page = h_slab_free(ctx, cs, from_callback, &zonelist);
    h_claims_check(ctx, h_offset(ctx, cs), serial);   /* freed (its page perhaps given back): claims on it broken */
    atomic_inc_relaxed(&ctx->arena->frees);
    h_weak_sync(H_WF_FORGET);   /* the odd sequence and the refcount, stored directly */
    if (zonelist)   /* alloc-subset on a TYPESAFE_BY_RCU slab: a recycled object's reader may read it */
        h_call_rcu(ctx, h_page_head(ctx, zonelist - 1), H_CB_FREE_ZONELIST);
    if (page >= 0) {
        h_call_rcu(ctx, h_page_head(ctx, (uint64_t)page), H_CB_RELEASE_PAGE);
    }
}

void h_cpuset_free(struct h_ctx *ctx, struct h_cpuset *cs)
{
    int outer = h_op_enter(ctx, H_OP_FREE);
    free_cpuset(ctx, cs, 0);
    E(ctx)->op = outer;
}

/*
 * Run one callback. It must be queued (a callback on a live object, or one run twice, is refused and
 * reported), and a grace period that started after it was queued must have completed: one that had not
 * is a grace period too short, whoever ran the callback.
 */
static void rcu_invoke(struct h_ctx *ctx, struct h_rcu_head *head)
{
    struct h_arena *a = ctx->arena;
    h_weak_sync(H_WF_DRAIN);
    if (!xchg(&head->queued, 0)) {
        uint64_t serial = head->kind == H_CB_FREE_CPUSET ? h_cs_priv(ctx, head_cpuset(head))->serial : 0;
        h_violation(ctx, H_V_CALLBACK_ON_LIVE, head_object(ctx, head, head->kind), serial, head->kind);
        return;
    }
    uint64_t completed = smp_load_acquire(&a->gp_completed.v);
    if (completed < head->gp_seq + 1)
        h_violation(ctx, H_V_GP_TOO_SHORT, head_object(ctx, head, head->kind),
                    head->kind == H_CB_FREE_CPUSET ? h_cs_priv(ctx, head_cpuset(head))->serial : 0, 0);
    a->cb_hist[h_hist_bucket(h_now_ns() - head->queued_ns)]++;
    uint64_t page = h_head_page(ctx, head);
    if (head->kind == H_CB_FREE_CPUSET)
        free_cpuset(ctx, head_cpuset(head), 1);
    else if (page == a->npages)   /* a page's callback on a head that is no page's: its kind was overwritten */
        h_violation(ctx, H_V_ENGINE_CORRUPTED, h_offset(ctx, head), 0, head->kind);
    else if (head->kind == H_CB_FREE_ZONELIST)
        h_zonelist_release(ctx, h_page_desc(ctx, page));
    else
        h_release_page(ctx, h_page_desc(ctx, page));
    atomic_inc_relaxed(&a->cb_done);
}

void h_rcu_invoke(struct h_ctx *ctx, struct h_rcu_head *head)
{
    int outer = h_op_enter(ctx, H_OP_CALLBACK);
    rcu_invoke(ctx, head);
    E(ctx)->op = outer;
}

static void reclaimer_phase(struct h_arena *a, uint32_t phase)
{
    WRITE_ONCE(a->reclaimer_heartbeat, h_now_ns() - READ_ONCE(a->run_start_ns));
    WRITE_ONCE(a->reclaimer_phase, phase);
}

/* Take every queued callback, wait one grace period, run them; sleep on a futex while there are none.
 * Every head on the list is queued: one that is not means the list was corrupted, and the walk stops
 * there rather than loop. */
void h_reclaimer_main(void *arena)
{
    struct h_ectx e;
    h_ctx_init(&e, arena, H_RECLAIMER);
    h_torture_enable(&e);   /* a scheme's .synchronize and callbacks run here: checkpoints too */
    struct h_ctx *ctx = &e.c;
    struct h_arena *a = ctx->arena;
    for (;;) {
        h_off list = xchg(&a->cb_head, 0);
        if (!list) {
            reclaimer_phase(a, H_PH_IDLE);
            if (READ_ONCE(a->reclaimer_stop.v))
                break;
            WRITE_ONCE(a->cb_sleeping, 1);
            smp_mb();
            if (!READ_ONCE(a->cb_head) && !READ_ONCE(a->reclaimer_stop.v))
                h_futex_wait(&a->cb_sleeping, 1, 100);
            WRITE_ONCE(a->cb_sleeping, 0);
            continue;
        }
        reclaimer_phase(a, H_PH_SYNCHRONIZE);
        h_synchronize_rcu(ctx);
        reclaimer_phase(a, H_PH_CALLBACKS);
        while (list) {
            struct h_rcu_head *head = h_ptr(ctx, list);
            if (!READ_ONCE(head->queued)) {
                h_violation(ctx, H_V_DOUBLE_CALL_RCU, list, 0, 2);
                break;
            }
            list = READ_ONCE(head->next);
            h_rcu_invoke(ctx, head);
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

int h_reclaimer_phase(void *arena) { return (int)READ_ONCE(((struct h_arena *)arena)->reclaimer_phase); }
unsigned long long h_reclaimer_heartbeat(void *arena) { return READ_ONCE(((struct h_arena *)arena)->reclaimer_heartbeat); }

/* Grace periods on demand from the orchestrator (benchmarks: latency with no reader busy, or with a round
 * running), through h_synchronize_rcu like the reclaimer's; each one lands in gp_hist. */
void h_gp_probe(void *arena, int count)
{
    struct h_ectx e;
    h_ctx_init(&e, arena, H_ORCHESTRATOR);
    for (int i = 0; i < count; i++)
        h_synchronize_rcu(&e.c);
}

/* A dead reader can never leave its critical section: take it out of every grace period from now on. */
void h_rcu_release_slot(void *arena, int worker)
{
    struct h_arena *a = arena;
    WRITE_ONCE(h_world(a)->slots[worker].dead, 1);
    smp_store_release(&a->workers[worker].slot_dead, 1);   /* what grace periods read */
    smp_mb();
    uint32_t *f = (uint32_t *)&h_world(a)->gp_futex;
    WRITE_ONCE(*f, 0);
    h_futex_wake(f, 1);
}
