/*
 * oracle.c - the checks that judge every read in torture mode, the checkpoints every primitive a scheme
 * calls passes through (memory safety, protection held, read-side API use, and the random delays there),
 * and the read-outs Python turns into numpy arrays.
 */
#define _GNU_SOURCE
#include <sched.h>

#include "engine.h"

static const char *const violation_names[H_NVIOLATIONS] = {
    [H_V_USE_AFTER_FREE] = "use-after-free", [H_V_FOREIGN] = "foreign-memory", [H_V_TYPE] = "wrong-type",
    [H_V_TORN] = "torn-read",     [H_V_IDENTITY] = "identity",      [H_V_GP_TOO_SHORT] = "gp-too-short",
    [H_V_BAD_NODE] = "bad-node",  [H_V_REFCOUNT] = "refcount",   [H_V_DOUBLE_FREE] = "double-free",
    [H_V_DOUBLE_CALL_RCU] = "double-call-rcu", [H_V_FREE_WHILE_ATTACHED] = "free-while-attached",
    [H_V_CALLBACK_ON_LIVE] = "callback-on-live", [H_V_RCU_UNBALANCED] = "rcu-unbalanced",
    [H_V_FREE_WHILE_CLAIMED] = "free-while-claimed", [H_V_QS_IN_READER] = "qs-in-reader",
    [H_V_SYNC_IN_READER] = "sync-in-reader",
    [H_V_RCU_UNDECLARED] = "rcu-undeclared", [H_V_SUSPICIOUS_RCU] = "suspicious-rcu", [H_V_HANG] = "hang",
    [H_V_OUT_OF_BOUNDS] = "out-of-bounds", [H_V_ENGINE_CORRUPTED] = "engine-corrupted",
};

static const char *const phase_names[H_NPHASES] = {
    [H_PH_IDLE] = "idle", [H_PH_READ] = "read", [H_PH_CREATE] = "create", [H_PH_ATTACH] = "attach",
    [H_PH_DESTROY] = "destroy", [H_PH_SYNCHRONIZE] = "synchronize", [H_PH_CALLBACKS] = "callbacks",
    [H_PH_WRITER] = "writer step", [H_PH_PAUSED] = "paused", [H_PH_THROTTLED] = "throttled", [H_PH_FAULT] = "fault",
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
    [H_C_WRITER_RECYCLES] = "recycles",
    [H_C_ZONELIST_TORN] = "zonelist_torn",
};

static const char *const event_names[] = {
    [H_EV_READ] = "read",       [H_EV_RETRY] = "retry", [H_EV_CREATE] = "create",
    [H_EV_ATTACH] = "attach",   [H_EV_DESTROY] = "destroy", [H_EV_FREE] = "free",
    [H_EV_PAGE_RELEASE] = "page-release", [H_EV_VIOLATION] = "violation", [H_EV_GP_START] = "gp-start",
    [H_EV_GP_END] = "gp-end",   [H_EV_CALL_RCU] = "call-rcu",
};

static const char *const op_names[] = {
    [H_OP_NONE] = "", [H_OP_FREE] = "free", [H_OP_CALL_RCU] = "call_rcu", [H_OP_CALLBACK] = "callback",
    [H_OP_SYNCHRONIZE] = "synchronize",
};

static const char *const page_state_names[] = {
    [H_PAGE_FREE] = "free", [H_PAGE_USER] = "allocated to a reader", [H_PAGE_SLAB] = "slab",
    [H_PAGE_SLAB_RCU] = "slab waiting for a grace period", [H_PAGE_ZONELIST] = "zonelist",
};

static const char *const object_state_names[] = {
    [H_OBJ_FREE] = "free", [H_OBJ_ALLOCATED] = "allocated, not yet initialised", [H_OBJ_LIVE] = "live",
    [H_OBJ_QUEUED] = "waiting for its call_rcu callback",
};

static const char *const role_names[] = { [H_ROLE_READER] = "reader", [H_ROLE_WRITER] = "writer" };

static const char *const flavor_names[] = {
    [H_FLAVOR_QSBR] = "qsbr", [H_FLAVOR_MB] = "mb", [H_FLAVOR_MEMBARRIER] = "membarrier",
};

static const char *const workload_names[] = {
    [H_WORKLOAD_DEREF] = "deref", [H_WORKLOAD_ALLOC] = "alloc", [H_WORKLOAD_UNUSED] = "unused",
    [H_WORKLOAD_ALLOC_SUBSET] = "alloc-subset",
};

static const char *const writer_op_names[] = {
    [H_WRITER_OP_CREATE] = "create", [H_WRITER_OP_ATTACH] = "attach", [H_WRITER_OP_REBIND] = "rebind",
    [H_WRITER_OP_DESTROY] = "destroy",
};

static const char *const memory_model_names[] = { [H_MEMORY_NATIVE] = "native", [H_MEMORY_WEAK] = "weak" };

#define NAME_OF(table, i) ((i) >= 0 && (i) < (int)(sizeof(table) / sizeof(table[0])) ? table[i] : "?")
const char *h_op_name(int op) { return NAME_OF(op_names, op); }
const char *h_page_state_name(int state) { return NAME_OF(page_state_names, state); }
const char *h_object_state_name(int state) { return NAME_OF(object_state_names, state); }
const char *h_role_name(int role) { return NAME_OF(role_names, role); }
const char *h_flavor_name(int flavor) { return NAME_OF(flavor_names, flavor); }
const char *h_workload_name(int workload) { return NAME_OF(workload_names, workload); }
const char *h_writer_op_name(int op) { return NAME_OF(writer_op_names, op); }
const char *h_memory_model_name(int model) { return NAME_OF(memory_model_names, model); }

const char *h_violation_name(int kind) { return kind >= 0 && kind < H_NVIOLATIONS ? violation_names[kind] : "?"; }
const char *h_counter_name(int i) { return i >= 0 && i < H_NCOUNTERS ? counter_names[i] : "?"; }
const char *h_phase_name(int phase) { return phase >= 0 && phase < H_NPHASES ? phase_names[phase] : "?"; }
const char *h_event_name(int kind)
{
    return kind > 0 && kind < (int)(sizeof(event_names) / sizeof(event_names[0])) ? event_names[kind] : "?";
}

/*
 * The first violation's record, beyond what the call site passed: the engine call it was raised in, the
 * read it belongs to (a reader's, in torture mode), and what the object is, read now from the engine's own
 * bookkeeping (a cpuset and its life, a page and its use, a task, or no object of the world at all).
 */
void h_violation_describe(struct h_ctx *ctx, struct h_violation *v)
{
    struct h_ectx *e = E(ctx);
    struct h_arena *a = ctx->arena;
    v->op = e->op;
    v->in_read = e->role == H_ROLE_READER && ctx->checks && v->phase == H_PH_READ;   /* a worker's own context */
    /* the stamp clock may run a few ns ahead of the clock that timed the violation */
    v->read_start_ns = !v->in_read ? 0 : e->read_start_ns < v->t_ns ? e->read_start_ns : v->t_ns;
    v->index = -1;
    struct h_world *w = W(ctx);
    h_off off = v->object, pages = a->pages_data, tasks = h_offset(ctx, w->tasks);
    if (!off) {
        v->object_is = H_OBJ_IS_NONE;
    } else if (off < a->page_size || off >= a->page_size + a->world_size) {   /* the guard page, or past the world */
        v->object_is = H_OBJ_IS_OUTSIDE;
    } else if (off >= pages && off < pages + a->npages * H_PAGE_STRIDE) {
        v->index = (long long)((off - pages) / H_PAGE_STRIDE);
        v->page_state = (int)READ_ONCE(h_page_desc(ctx, (uint64_t)v->index)->state);
        v->object_is = v->page_state == H_PAGE_SLAB || v->page_state == H_PAGE_SLAB_RCU ? H_OBJ_IS_CPUSET
                                                                                         : H_OBJ_IS_PAGE;
        if (v->object_is == H_OBJ_IS_CPUSET && (off - pages) % H_PAGE_STRIDE < H_PAGE_SIZE) {
            const struct h_cpuset *cs = h_ptr(ctx, off - (off - pages) % H_PAGE_STRIDE % H_CPUSET_SIZE);
            v->object_serial = READ_ONCE(h_cs_priv(ctx, cs)->serial);
            v->object_state = (int)READ_ONCE(h_cs_priv(ctx, cs)->state);
        }
    } else if (off >= tasks && off < tasks + sizeof(w->tasks)) {
        v->object_is = H_OBJ_IS_TASK;
        v->index = (long long)((off - tasks) / sizeof(w->tasks[0]));
    } else {
        v->object_is = H_OBJ_IS_ENGINE;
    }
}

/* ---------------------------------------------------------------- placement */

void h_check_cpu(struct h_ctx *ctx)
{
    struct h_ectx *e = E(ctx);
    int cpu = sched_getcpu();
    if (likely(cpu == e->cpu))
        return;
    /* Not where we thought: maybe a shuffle moved us. Read the assignment like a seqcount reader, so a
     * move in progress (the orchestrator's odd window) never counts as a migration. */
    struct h_worker_stats *s = &e->self->stats;
    uint32_t seq = smp_load_acquire(&ctx->arena->shuffle_seq);
    cpu = sched_getcpu();
    int assigned = READ_ONCE(s->cpu);
    smp_rmb();
    int moving = (seq & 1) || READ_ONCE(ctx->arena->shuffle_seq) != seq;
    if (cpu >= 0 && cpu < H_CPU_WORDS * 64)
        atomic_fetch_or_explicit(H_ATOMIC(&s->cpus_seen[cpu / 64]), 1ULL << (cpu % 64), memory_order_relaxed);
    if (!moving) {
        e->cpu = assigned;
        e->home_node = assigned % ctx->arena->params.nnodes;
    }
    if (moving || cpu == assigned)
        return;
    atomic_inc_relaxed(&s->counters[H_C_MIGRATIONS]);
}

/* ---------------------------------------------------------------- the oracles on what a reader saw */

/*
 * Pipe count (rcutorture): grace periods completed since what we are looking at was retired. A grace
 * period that began before the retirement may end while we look (count 1); a second cannot, because it
 * began after the retirement and must wait for us. Count >= 2 means a grace period was too short.
 */
static void pipe_check(struct h_ctx *ctx, const struct h_cpuset *cs, uint64_t serial)
{
    struct h_arena *a = ctx->arena;
    struct h_ectx *e = E(ctx);
    uint64_t retired = READ_ONCE(h_cs_priv(ctx, cs)->retired_at);   /* stamps are gp_completed + 1, never 0 */
    if (!retired) {
        const struct h_page *pg = h_page_of(ctx, cs);
        if (READ_ONCE(pg->state) == H_PAGE_SLAB_RCU)
            retired = READ_ONCE(pg->retired_at);
    }
    if (!retired) {
        e->self->stats.pipe_hist[0]++;
        return;
    }
    smp_rmb();   /* the retirement stamp before the clock */
    uint64_t pipe = smp_load_acquire(&a->gp_completed.v) + 1 - retired;
    e->self->stats.pipe_hist[pipe < H_PIPE_BUCKETS ? pipe : H_PIPE_BUCKETS - 1]++;
    if (pipe == 1)
        e->near_misses++;
    if (pipe >= 2)
        h_violation(ctx, H_V_GP_TOO_SHORT, h_offset(ctx, cs), serial, pipe);
}

/* h_cpuset_read's checks: the type tag, the payload against (serial, mems), the pipe count. The memory
 * itself (a page given back or someone else's) was judged by the checkpoints on the field loads. */
void h_cpuset_read_check(struct h_ctx *ctx, const struct h_cpuset *cs, struct h_snap *snap)
{
    if (!h_on_slab_page(ctx, cs))
        return;
    uint32_t type = READ_ONCE(cs->type);
    if (unlikely(type != H_CPUSET_TYPE))
        h_violation(ctx, H_V_TYPE, snap->cs, snap->serial, type);
    int ok = 1;
    for (int i = 0; i < 4; i++)
        ok &= READ_ONCE(cs->payload[i]) == h_payload(snap->serial, snap->mems, i);
    snap->consistent = ok;
    pipe_check(ctx, cs, snap->serial);
}

static inline void maybe_delay(struct h_ectx *e);

/*
 * alloc-subset, from h_cpuset_read (inside the scheme's protection): copy the cpuset's zonelist for this
 * reader's home node into the snapshot. The block's serial, read before and after the copy, must be the
 * serial read from the cpuset; else the list is torn or stale (a recycled cpuset's new list, a retired
 * one being poisoned or reused) and zl_ok says so, for h_check_snapshot to judge once the scheme has
 * settled on this snapshot. With checks on, the block must still be a zonelist page: a freed one is
 * use-after-free, one an allocating reader owns is foreign-memory (the block's grace period was too short,
 * or the scheme read a cpuset it did not protect).
 */
uint64_t h_zonelist_read(struct h_ctx *ctx, const struct h_cpuset *cs, uint64_t serial, uint64_t mems, int checks)
{
    struct h_ectx *e = E(ctx);
    struct h_arena *a = ctx->arena;
    if (checks) {
        if (!h_on_slab_page(ctx, cs))
            return 0;   /* not a cpuset any more: its checkpoints have judged that */
        maybe_delay(e);   /* amplifier: between the cpuset's fields and its list */
    }
    uint32_t zl = READ_ONCE(h_cs_priv(ctx, cs)->zonelist);
    if (!zl || zl - 1 >= a->npages)
        return zl == 0;   /* no block (the arena was out of pages): ok, the walk filters by mems */
    const struct h_zonelist *z = (const struct h_zonelist *)(const void *)h_page_data(ctx, zl - 1);
    if (checks) {
        uint32_t st = READ_ONCE(h_page_desc(ctx, zl - 1)->state);
        if (st != H_PAGE_ZONELIST) {
            h_violation(ctx, st == H_PAGE_USER ? H_V_FOREIGN : H_V_USE_AFTER_FREE, h_offset(ctx, z), serial, st);
            return 0;
        }
    }
    uint64_t s1 = smp_load_acquire(&z->serial);
    uint32_t n = READ_ONCE(z->n);
    if (n > H_MAX_NODES)
        return 0;   /* not a list (poison): no list, and not ok */
    memcpy(e->zl, z->nodes, sizeof(e->zl));
    uint32_t start = READ_ONCE(z->start[e->home_node]);
    e->zl_start = start < n ? start : 0;
    e->zl_n = n;
    if (!++e->zl_tag)
        e->zl_tag = 1;
    uint64_t tag = (uint64_t)e->zl_tag << 1;
    if (!checks)
        return tag | 1;
    smp_rmb();   /* the copy before the second look at the serial */
    uint64_t s2 = READ_ONCE(z->serial), mask = 0;
    for (uint32_t i = 0; i < n; i++)
        mask |= e->zl[i] < H_MAX_NODES ? 1ULL << e->zl[i] : 0;
    return tag | (s1 == s2 && s1 == serial && mask == mems && start < n);
}

/* Torture mode only (every caller runs with checks on): the attach log is the torture context's engine's. */
uint64_t h_attach_gen(const struct h_task *task)
{
    return smp_load_acquire(&task_rec(h_torture_ctx(), task)->attach_gen);
}

/* Torture: a read begins; its start goes to the flight recorder with the read (h_check_snapshot). */
uint64_t h_read_begin(struct h_ctx *ctx, const struct h_task *task)
{
    E(ctx)->read_start_ns = h_stamp_ns(E(ctx));
    return E(ctx)->read_gen0 = h_attach_gen(task);
}

/* The attach-log entry for generation g, if it is for `serial`: 1 and its nodemask, read consistently. */
static int logged(const struct h_task_rec *r, uint64_t g, uint64_t serial, uint64_t *mems)
{
    uint64_t e1 = READ_ONCE(r->attach_log[g % H_ATTACH_LOG]);
    if ((e1 & 0xffff) != (g & 0xffff) || e1 >> 16 != serial)
        return 0;
    smp_rmb();
    *mems = READ_ONCE(r->attach_mems[g % H_ATTACH_LOG]);
    smp_rmb();
    return READ_ONCE(r->attach_log[g % H_ATTACH_LOG]) == e1;
}

/* The identity search: 1 and the nodemask logged if `serial` was attached to the reader's task at some
 * generation in [lo, g1]; 0 if not; -1 if the log has moved on past lo (nothing can be said). */
static int attached_between(struct h_task_rec *r, uint64_t lo, uint64_t g1, uint64_t serial, uint64_t *mems)
{
    if (g1 - lo >= H_ATTACH_LOG - 1)
        return -1;
    for (uint64_t g = g1;; g--) {
        if (logged(r, g, serial, mems))
            return 1;
        if (g == lo)
            break;
    }
    return smp_load_acquire(&r->attach_gen) - lo >= H_ATTACH_LOG - 1 ? -1 : 0;
}

/* Torture: was `serial` attached to the reader's task since its current read began (-1: cannot tell)? */
int h_attached_during_read(struct h_ctx *ctx, uint64_t serial)
{
    struct h_ectx *e = E(ctx);
    uint64_t mems, lo = e->read_gen0 ? e->read_gen0 - 1 : 0;
    return attached_between(task_rec(ctx, ctx->task), lo, h_attach_gen(ctx->task), serial, &mems);
}

/*
 * Consistency and identity of the snapshot a reader acted on: its payload agrees with (serial, mems), the
 * serial is one that was attached to the reader's task at some instant during the read, i.e. appears in
 * the task's attach log between the generation seen before the read (less one: the writer bumps the
 * generation just before publishing) and the one seen after it, and its nodemask is the one the engine
 * logged for that serial (a scheme that fills in a snapshot itself cannot claim consistency it lacks).
 * Then the torture bookkeeping of the operation that just ended.
 */
void h_check_snapshot(struct h_ctx *ctx, const struct h_snap *snap, uint64_t g0, uint64_t g1)
{
    struct h_ectx *e = E(ctx);
    struct h_task_rec *r = task_rec(ctx, ctx->task);
    e->verified = 0;
    if (!snap->consistent)
        h_violation(ctx, H_V_TORN, snap->cs, snap->serial, snap->mems);
    if (snap->zl_want && !snap->zl_ok) {   /* alloc-subset: acting on a list that is not this cpuset's */
        e->zonelist_torn++;
        if (snap->consistent)
            h_violation(ctx, H_V_TORN, snap->cs, snap->serial, snap->mems);
    }
    uint64_t lo = g0 ? g0 - 1 : 0, mems = 0;
    int found = attached_between(r, lo, g1, snap->serial, &mems);
    if (found < 0) {   /* the log moved on */
        e->unverified++;
    } else if (found) {
        e->verified = 1;
        e->verified_mems = mems;
        if (mems != snap->mems && snap->consistent)
            h_violation(ctx, H_V_TORN, snap->cs, snap->serial, snap->mems);
    } else {
        h_violation(ctx, H_V_IDENTITY, snap->cs, snap->serial, snap->mems);
    }
    if (!READ_ONCE(ctx->arena->flight_frozen)) {
        uint64_t now = h_stamp_ns(e);
        h_event_at(ctx, H_EV_READ, snap->serial, snap->cs, e->read_start_ns, now - e->read_start_ns);
    }
    h_torture_end_of_op(e, H_PH_READ);
}

/* ---------------------------------------------------------------- torture-mode checkpoints */

static struct h_ctx *torture_ctx;   /* this process's, set once its context exists */

struct h_ctx *h_torture_ctx(void) { return torture_ctx; }
void h_torture_enable(struct h_ectx *e) { torture_ctx = e->c.checks ? &e->c : NULL; }

/* The amplifier at every checkpoint: rarely, a short stall, so windows the author did not think of open. */
static inline __attribute__((always_inline)) void maybe_delay(struct h_ectx *e)
{
    if (e->access_delay_threshold && unlikely((uint32_t)h_random(&e->c) < e->access_delay_threshold))
        h_delay_ns(&e->c, h_random(&e->c) % ((uint64_t)e->access_delay_max_ns + 1));   /* 64-bit: max may be UINT32_MAX */
}

/* What keeps a cpuset alive for this context: a read-side section (RCU's or the scheme's own), a claim, a
 * reference, a lock, or owning it (a writer under the cpuset mutex, the reclaimer). lockdep's
 * rcu_dereference_check, for every access. Whether the declared protection really protects is judged by
 * what happens to the object: the grace-period check, the claim checks (claims.c), the object oracles. */
static int in_section(const struct h_ectx *e) { return e->nesting > 0 || e->sections > 0; }
static int protected(const struct h_ectx *e)
{
    return in_section(e) || e->claims > 0 || e->refs > 0 || e->locks > 0 || e->owner;
}

/*
 * The amplifier at the scheme's own shared memory, where user-written protocols break (announce windows,
 * phase and epoch loads, hazard publication): a reader that protects nothing yet (or any more) and
 * touches it rarely waits there until the world has moved on under what it loaded before. While a grace
 * period is in progress, until one that begins after this access has completed: what the reader loaded is
 * stale by a whole grace period, and the next section it enters is held open until a grace period that
 * began after it entered completes (h_outlast_hold), which must wait for it (else gp-too-short). With none
 * in progress (hazard pointers, locks: no grace period at all), until a cpuset is freed or a grace period
 * starts. All bounded, so a grace period or a free that waits for this reader costs the bound, not a hang.
 */
#define H_OUTLAST_MAX_NS 5000000ULL
#define H_HOLD_MAX_NS 1000000ULL
static void wait_gp_completed(struct h_ectx *e, uint64_t gp, uint64_t max_ns)
{
    struct h_arena *a = e->c.arena;
    uint64_t deadline = h_now_ns() + max_ns;
    while (smp_load_acquire(&a->gp_completed.v) < gp && h_now_ns() < deadline && !READ_ONCE(a->stop.v))
        sched_yield();   /* on an oversubscribed CPU the grace period's waiter may need ours */
}

static void wait_free_or_gp(struct h_ectx *e, uint64_t frees, uint64_t started)
{
    struct h_arena *a = e->c.arena;
    uint64_t deadline = h_now_ns() + H_OUTLAST_MAX_NS;
    while (READ_ONCE(a->frees) == frees && smp_load_acquire(&a->gp_started.v) == started &&
           h_now_ns() < deadline && !READ_ONCE(a->stop.v))
        sched_yield();
}

static void maybe_outlast_gp(struct h_ectx *e)
{
    struct h_arena *a = e->c.arena;
    if (!e->access_delay_threshold || likely((uint32_t)h_random(&e->c) >= e->access_delay_threshold) ||
        e->role != H_ROLE_READER || protected(e))
        return;
    e->delays++;
    uint64_t frees = READ_ONCE(a->frees), started = smp_load_acquire(&a->gp_started.v);
    if (started <= READ_ONCE(a->gp_completed.v)) {
        wait_free_or_gp(e, frees, started);
        return;
    }
    wait_gp_completed(e, started + 1, H_OUTLAST_MAX_NS);   /* the one running, then one begun after us */
    e->outlasted = 1;
}

void h_outlast_hold(struct h_ectx *e)
{
    if (!e->outlasted)
        return;
    e->outlasted = 0;
    wait_gp_completed(e, smp_load_acquire(&e->c.arena->gp_started.v) + 1, H_HOLD_MAX_NS);
}

static int in_scheme_shared(const struct h_ctx *ctx, const void *p)
{
    const char *c = p, *s = (const char *)ctx->shared;
    return c >= s && c < s + H_SCHEME_SHARED_MAX;
}

void h_torture_delay(struct h_ctx *ctx) { maybe_delay(E(ctx)); }

/*
 * A scheme's access at p (a READ_ONCE, acquire, atomic, lock word, refcount...). Outside the simulated
 * pages (tasks, the scheme's own memory) only rcu_dereference is judged: it needs a read-side section or
 * a lock. Inside them the memory must be a slab page (else use-after-free: given back; foreign-memory:
 * someone's page), the context must hold something that protects it, and the object must not be free:
 * on a TYPESAFE_BY_RCU slab a free object may be read (that is what revalidation is for) and its lock
 * taken, but nothing else written; on a plain slab a free object is never touched.
 */
void h_torture_access(struct h_ctx *ctx, const void *p, int kind)
{
    struct h_ectx *e = E(ctx);
    maybe_delay(e);
    if (in_scheme_shared(ctx, p)) {
        maybe_outlast_gp(e);
        if (e->gp_watch)   /* the scheme's own grace period polls: is it waiting for anything? */
            h_own_gp_poll(e);
    }
    if (kind == H_ACC_DEREF) {
        if (!(in_section(e) || e->claims > 0 || e->locks > 0 || e->owner))
            h_violation(ctx, H_V_SUSPICIOUS_RCU, h_offset(ctx, p), 0, kind);
        return;
    }
    /* h_in_pages, h_page_of and h_cs_priv in one division: this runs at every access of every read */
    const struct h_arena *a = ctx->arena;
    uint64_t off = (uint64_t)((const char *)p - (const char *)h_ptr(ctx, a->pages_data));
    uint64_t idx = off / H_PAGE_STRIDE, in_page = off % H_PAGE_STRIDE;
    if (idx >= a->npages || in_page >= H_PAGE_SIZE)
        return;
    const struct h_page *pg = h_page_desc(ctx, idx);
    const struct h_cpuset *cs = (const struct h_cpuset *)((const char *)p - in_page % H_CPUSET_SIZE);
    h_off obj = h_offset(ctx, cs);
    uint32_t pstate = READ_ONCE(pg->state);
    if (pstate == H_PAGE_FREE || pstate == H_PAGE_USER) {
        h_violation(ctx, pstate == H_PAGE_FREE ? H_V_USE_AFTER_FREE : H_V_FOREIGN, obj, 0,
                    READ_ONCE(*(const uint32_t *)((uintptr_t)p & ~(uintptr_t)3)));
        return;
    }
    /* the writer reads it now and then (adversarial_step): stored only when it changes, so the line
     * stays ours between changes */
    if (ctx->slot && ctx->slot->holding != obj)
        WRITE_ONCE(ctx->slot->holding, obj);
    const struct h_cpuset_priv *priv =
        (const struct h_cpuset_priv *)(const void *)((const char *)a + a->cs_privs) + idx * H_OBJS_PER_SLAB +
        in_page / H_CPUSET_SIZE;
    uint64_t field = in_page % H_CPUSET_SIZE;
    if (unlikely(!protected(e)))
        h_violation(ctx, H_V_SUSPICIOUS_RCU, obj, READ_ONCE(priv->serial), field);
    uint32_t ostate = READ_ONCE(priv->state);
    if (ostate == H_OBJ_FREE && !(ctx->ops->slab_mode == H_SLAB_TYPESAFE_BY_RCU &&
                                  (kind == H_ACC_READ || field == offsetof(struct h_cpuset, lock))))
        h_violation(ctx, H_V_USE_AFTER_FREE, obj, READ_ONCE(priv->serial), field);
    if (field == offsetof(struct h_cpuset, refcount)) {
        if (kind == H_ACC_INC) {
            e->refs++;
        } else if (kind == H_ACC_DEC) {
            if (ostate != H_OBJ_FREE && READ_ONCE(cs->refcount) == 0)   /* a put with no reference left */
                h_violation(ctx, H_V_REFCOUNT, obj, READ_ONCE(priv->serial), 0);
            e->refs--;
        }
    }
}

void h_torture_lock(struct h_ctx *ctx, int delta)
{
    struct h_ectx *e = E(ctx);
    e->locks += delta;
    if (e->locks < 0)
        e->locks = 0;
    maybe_delay(e);
}

/* The slot's section count turns odd when this context enters its first section of any kind (RCU's or the
 * scheme's own) and even when it leaves its last: the grace-period check reads it. Release: the scheme's
 * announcement (the RCU slot store, or its own) comes first, so a grace period that sees the odd count
 * started after the announcement and must wait for this reader; on leaving, the section's loads come first. */
void h_section_mark(struct h_ctx *ctx)
{
    smp_store_release(&ctx->slot->read_sections, READ_ONCE(ctx->slot->read_sections) + 1);
}

/*
 * Entering a read-side section in torture mode: only a scheme that claims RCU readers may. Sections nest in
 * every flavor (a nest count, liburcu style): the outermost lock takes the slot, then the section count
 * turns odd, and inner levels touch neither.
 */
void h_torture_rcu_lock(struct h_ctx *ctx, int flavor)
{
    struct h_ectx *e = E(ctx);
    if (!(ctx->ops->flags & H_SCHEME_RCU_READER))
        h_violation(ctx, H_V_RCU_UNDECLARED, 0, 0, 0);
    if (!ctx->slot)
        return;
    if (e->nesting++ > 0)
        return;
    h_rcu_enter_slot(ctx, flavor);
    if (!e->sections)
        h_section_mark(ctx);   /* odd: inside */
    /* weak memory: mb's smp_mb, and membarrier's (the emulated buffer is beyond the IPI's reach) */
    if (flavor != H_FLAVOR_QSBR)
        h_weak_sync(H_WF_FULL);
}

/* Leaving one: an unlock without a lock is reported and ignored. The count turns even before the slot is
 * released, so no grace period can end while it still reads odd. */
void h_torture_rcu_unlock(struct h_ctx *ctx, int flavor)
{
    struct h_ectx *e = E(ctx);
    if (!ctx->slot)
        return;
    if (e->nesting == 0) {
        h_violation(ctx, H_V_RCU_UNBALANCED, 0, 0, 1);
        return;
    }
    maybe_delay(e);   /* amplifier: the section's last moment */
    if (--e->nesting > 0)
        return;
    if (flavor != H_FLAVOR_QSBR)
        h_weak_sync(H_WF_FULL);
    if (!e->sections) {
        h_section_mark(ctx);   /* even: out */
        smp_wmb();             /* ...before the slot store that lets a grace period end */
    }
    h_rcu_leave_slot(ctx, flavor);
}

int h_torture_qs(struct h_ctx *ctx)
{
    struct h_ectx *e = E(ctx);
    if (e->nesting > 0) {
        h_violation(ctx, H_V_QS_IN_READER, 0, 0, (uint64_t)e->nesting);
        return 0;
    }
    return 1;
}

/*
 * After each reader operation and writer step: every read-side section closed, every reference the
 * reader took dropped exactly once. A section left open is closed here (after the report), so one bug
 * does not stall every grace period that follows.
 */
void h_torture_end_of_op(struct h_ectx *e, int phase)
{
    struct h_ctx *ctx = &e->c;
    if (e->nesting) {
        h_violation(ctx, H_V_RCU_UNBALANCED, 0, 0, (uint64_t)e->nesting);
        e->nesting = 1;
        h_torture_rcu_unlock(ctx, ctx->flavor);   /* closes it for the scheme */
    }
    h_claims_end_of_op(e);
    if (phase == H_PH_READ && e->refs) {
        h_violation(ctx, H_V_REFCOUNT, 0, 0, (uint64_t)(int64_t)e->refs);   /* leaked, or dropped twice */
        e->refs = 0;
    }
    e->locks = 0;
    h_own_gp_op_ended(e);
}

/* The orchestrator's findings (a worker that would not stop): counted like the engine's own. */
void h_report_violation(void *arena, int kind, int worker, unsigned long long object, unsigned long long detail)
{
    struct h_ectx e;
    h_ctx_init(&e, arena, H_ORCHESTRATOR);
    e.c.worker = worker;   /* the record names the worker it is about; the count is the orchestrator's */
    h_violation(&e.c, kind, object, 0, detail);
}

/* ---------------------------------------------------------------- read-outs */

void h_get_worker_stats(void *arena, int worker, struct h_worker_stats *out)
{
    struct h_arena *a = arena;
    const struct h_rcu_slot *slot = &h_world(a)->slots[worker];
    *out = a->workers[worker].stats;
    out->in_read_section = (READ_ONCE(slot->read_sections) & 1) ||
                           (a->params.flavor != H_FLAVOR_QSBR && READ_ONCE(slot->ctr) != 0);
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
    for (int n = 0; n < a->params.nnodes && n < H_MAX_NODES; n++)
        out->pages_free += READ_ONCE(a->nodes[n].nfree);
    out->pages_total = a->npages;
    out->number_of_cpusets = READ_ONCE(h_world(a)->number_of_cpusets.v);
    out->violations = READ_ONCE(a->violations);
    for (int k = 0; k < H_NVIOLATIONS; k++) {
        out->violations_by_kind[k] = READ_ONCE(a->violations_by_kind[k]);
        out->violations_outside_workers[k] = READ_ONCE(a->violations_outside[k]);
    }
    out->nstalls = READ_ONCE(a->nstalls);
    out->run_start_ns = READ_ONCE(a->run_start_ns);
    out->arena_bytes = a->size + a->world_size;
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
    struct h_arena *a = arena;
    const struct h_flight_event *ring = worker == H_RECLAIMER ? a->reclaimer_flight : a->workers[worker].flight;
    uint64_t *pos = worker == H_RECLAIMER ? &a->reclaimer_flight_pos : &a->workers[worker].flight_pos;
    uint64_t end = READ_ONCE(*pos), size = worker == H_RECLAIMER ? H_RECLAIMER_FLIGHT_EVENTS : H_FLIGHT_EVENTS;
    uint64_t start = end > size ? end - size : 0;
    for (uint64_t i = start; i < end; i++)
        out[i - start] = ring[i % size];
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
