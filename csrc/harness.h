/*
 * harness.h - the one header every scheme is written against, built-in or your own.
 *
 * The world it models (the November 2005 "Clean up of __alloc_pages" thread): the page allocator's
 * cpuset check reads current->cpuset->mems_allowed on every allocation. A scheme decides how a reader
 * gets a consistent (serial, mems_allowed) for its task while writers attach tasks to other cpusets,
 * rebind them and destroy them, and how a destroyed cpuset is freed.
 *
 * Everything lives in one shared arena mapped by many processes at different addresses, so shared data
 * holds arena offsets (h_off), never pointers; h_ptr()/h_offset() convert with this process's base.
 *
 * A scheme is a `struct harness_scheme` (the ops table, like rcutorture's rcu_torture_ops) made with
 * HARNESS_SCHEME(). The built-in schemes (in csrc/schemes/) use this header and nothing else; so does a
 * scheme file of your own, which defines exactly one table named harness_user_scheme:
 *
 *     #include "harness.h"
 *     static inline void my_read(struct h_ctx *ctx, struct h_task *task, struct h_snap *snap,
 *                                const int flavor, const int checks) { ... }
 *     HARNESS_SCHEME(harness_user_scheme, my_read, .name = "my-scheme", .summary = "...",
 *                    .flags = H_SCHEME_RCU_READER, .slab_mode = H_SLAB_TYPESAFE_BY_RCU,
 *                    .attach = h_publish, .destroy = h_cpuset_free);
 *
 * and runs with `python -m harness soak --scheme-file my_scheme.c` (see README, "Bring your own scheme").
 *
 * The ops table (required: name, read, attach, destroy):
 *   read     static inline reader fastpath (the 2nd argument of HARNESS_SCHEME): fill *snap, through
 *            h_cpuset_read(), with the serial and mems_allowed of a cpuset that was attached to `task` at
 *            some instant during the call; retry as often as you need. `flavor` (H_FLAVOR_QSBR/MB/MEMBARRIER)
 *            and `checks` (oracles on) are compile-time constants: pass them on to the primitives. It is
 *            compiled into a specialised loop per (RCU flavor, checks on/off, workload), so it costs what
 *            it would cost inline.
 *   attach   writer: publish cpuset `cs` as task->cpuset (called with the cpuset mutex held, like
 *            cpuset_attach). `cs` is fully initialised; the old cpuset is still task->cpuset on entry.
 *   destroy  writer: `cs` is attached to no task any more: free it by the scheme's rules (h_cpuset_free at
 *            once, h_cpuset_free_rcu after a grace period, or drop a reference).
 *   create   optional: allocate and initialise a cpuset (default h_cpuset_create).
 *   synchronize, call_rcu   optional: grace-period primitives (default: the arena's RCU).
 * The claims, which the engine acts on:
 *   slab_mode  H_SLAB_PLAIN (an empty slab page goes back to the page allocator at once) or
 *              H_SLAB_TYPESAFE_BY_RCU (objects are reused at once, pages only after a grace period).
 *   flags      H_SCHEME_RCU_READER (readers use RCU read-side critical sections), H_SCHEME_REFCOUNT (a
 *              cpuset is freed by whoever drops its last reference: h_cpuset_free leaves the count alone),
 *              H_SCHEME_BUSTED (a planted bug; `expected` names the violation kinds it must trigger),
 *              H_SCHEME_UNSAFE (no synchronisation: a throughput reference).
 *
 * Shared data holds arena offsets: h_ptr(ctx, off) -> pointer, h_offset(ctx, p) -> offset. Ordering:
 * READ_ONCE/WRITE_ONCE, smp_load_acquire/smp_store_release, smp_rmb/smp_wmb/smp_mb, rcu_dereference,
 * rcu_assign_pointer (atomics.h; h_publish is rcu_assign_pointer of task->cpuset).
 * Primitives a reader may call: h_rcu_read_lock/unlock(ctx, flavor), rcu_dereference, h_cpuset_read (the
 * only way to read a cpuset's fields: it is where the memory-safety oracles look), h_read_delay (the race
 * amplifier: call it where your race window is), h_near_miss (count a retry), task_lock/unlock,
 * read_seqcount_begin/retry, h_ref_inc_not_zero/h_ref_put. Writers may call h_cpuset_create,
 * h_cpuset_alloc/h_cpuset_init, h_cpuset_free, h_cpuset_free_rcu, h_synchronize_rcu, h_call_rcu,
 * write_seqcount_begin/end, task_lock/unlock, h_writer_delay. Each is documented where it is defined below.
 */
#ifndef HARNESS_H
#define HARNESS_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "api.h"
#include "atomics.h"

typedef uint64_t h_off;          /* offset from the arena base; 0 is "none" */

#define H_CACHELINE 64
#define H_ALIGNED __attribute__((aligned(H_CACHELINE)))
#define H_PAGE_SIZE 1024         /* a simulated page */
#define H_CPUSET_SIZE 128
#define H_OBJS_PER_SLAB (H_PAGE_SIZE / H_CPUSET_SIZE)   /* 8: slabs empty and recycle often */
#define H_ATTACH_LOG 32          /* per-task ring of recent attachments, for the identity oracle */
#define H_MAX_LIVE 16            /* writers keep at most this many cpusets besides the root: few live
                                    objects on 8-object slabs, so slab pages empty and recycle often */
#define H_CHUNK 64               /* reader ops per call of a scheme's loop */
#define H_HELD_PAGES 4           /* pages an allocating reader holds before freeing the oldest */

#define H_CPUSET_TYPE 0xC95E7C95u   /* type tag, written by the slab constructor only */
#define H_PAGE_STAMP 0x5A6EB00Cu    /* first word of a page handed to an allocating reader */
#define H_POISON_BYTE 0x6b          /* POISON_FREE, as the kernel's page/slab poisoning */
#define H_POISON_WORD 0x6b6b6b6bu

enum h_slab_mode { H_SLAB_PLAIN = 0, H_SLAB_TYPESAFE_BY_RCU = 1 };
enum h_page_state { H_PAGE_FREE = 0, H_PAGE_USER, H_PAGE_SLAB, H_PAGE_SLAB_RCU };
enum h_cb_kind { H_CB_FREE_CPUSET = 1, H_CB_RELEASE_PAGE = 2 };

#define H_SCHEME_BUSTED 1        /* planted bug: the oracles must catch it */
#define H_SCHEME_RCU_READER 2    /* readers use RCU read-side critical sections */
#define H_SCHEME_UNSAFE 4        /* no synchronisation at all: a throughput reference only */
#define H_SCHEME_REFCOUNT 8      /* a cpuset is freed by whoever drops its last reference */

/* ---------------------------------------------------------------- shared data (all in the arena) */

struct h_rcu_head {
    h_off next;
    uint64_t queued_ns;
    uint32_t kind;
    uint32_t pad;
};

/* A cpuset object in a slab page. 128 bytes; type, seq, refcount and lock are initialised by the slab
 * constructor when the page becomes a slab page, never per allocation: a TYPESAFE_BY_RCU reader may touch
 * them on an object that has been freed and reused at any moment. */
struct h_cpuset {
    uint32_t type;
    uint32_t seq;            /* odd while free; +1 on free, +1 when (re)allocated and initialised */
    uint32_t refcount;
    uint32_t lock;
    uint64_t serial;         /* unique, increasing; the cpuset's identity */
    uint64_t mems_allowed;   /* nodemask, immutable for a serial (rebind makes a new cpuset) */
    uint64_t payload[4];     /* redundant copies of (serial, mems): a torn or mixed read shows */
    uint64_t retired_at;     /* gp_completed + 1 when handed to call_rcu; 0 while live */
    uint32_t nattached;      /* writer bookkeeping, under the cpuset mutex */
    uint32_t free_next;      /* slab free list: object index + 1 */
    struct h_rcu_head rcu;
};

/* struct page: descriptors live apart from page data, so poisoning data never breaks the free lists. */
struct h_page {
    uint64_t next_free;      /* page allocator free list: page index + 1 */
    uint64_t retired_at;     /* slab page waiting for a grace period: gp_completed + 1 when queued */
    uint32_t node;
    uint32_t state;          /* enum h_page_state */
    uint32_t inuse;          /* slab: allocated objects */
    uint32_t free_head;      /* slab: first free object, index + 1 */
    uint32_t partial_next;   /* slab partial list: page index + 1 */
    uint32_t partial_prev;
    struct h_rcu_head rcu;
} H_ALIGNED;

struct h_node {
    uint64_t head;           /* Treiber stack: (ABA tag << 32) | (page index + 1) */
    uint64_t nfree;
} H_ALIGNED;

struct h_task {
    uint32_t alloc_lock;     /* task_lock() */
    uint32_t mems_seq;       /* seqcount for the mems_allowed copy (today's mems_allowed_seq) */
    h_off cpuset;            /* RCU-protected: task->cpuset */
    uint64_t mems_allowed;   /* the task's own copy, for the seqcount scheme */
    uint64_t mems_serial;
    uint64_t mems_check;     /* h_mems_check(serial, mems) of the copy */
    uint64_t attach_gen;     /* bumped (release) before each publish */
    uint64_t attach_log[H_ATTACH_LOG];   /* (serial << 16) | (gen & 0xffff) */
} H_ALIGNED;

struct h_rcu_slot {          /* written only by its owner (and by the orchestrator for a dead one) */
    uint64_t ctr;            /* 0: offline/outside; else the gp_ctr value seen at lock or last QS */
    int32_t cpu;
    int32_t dead;
} H_ALIGNED;

struct h_litmus_line {       /* a reader's half of the membarrier self-test (litmus.c) */
    uint32_t x;
    uint32_t r1;
} H_ALIGNED;

struct h_fault {             /* one injected fault at a time, posted by the orchestrator (fault.c) */
    uint32_t state;          /* H_FAULT_IDLE/POSTED/ACTIVE/FINISHED */
    uint32_t kind;
    int32_t worker;
    uint64_t duration_ns;
} H_ALIGNED;

struct h_worker {
    struct h_rcu_slot slot;
    struct h_litmus_line litmus;
    struct h_worker_stats stats H_ALIGNED;
    uint64_t flight_pos H_ALIGNED;
    struct h_flight_event flight[H_FLIGHT_EVENTS];
} H_ALIGNED;

struct h_word { uint64_t v; } H_ALIGNED;   /* a hot word on its own cache line */

struct h_arena {
    uint64_t magic;
    uint64_t size;
    struct h_params params;
    h_off pages_desc;        /* struct h_page[npages] */
    h_off pages_data;        /* npages * H_PAGE_SIZE bytes */
    uint64_t npages;
    int32_t parent_pid;

    /* control: the orchestrator posts commands; workers count themselves in and out (futex words) */
    uint32_t cmd_gen H_ALIGNED;
    uint32_t cmd;
    uint64_t reader_ops;
    uint32_t ready H_ALIGNED;
    uint32_t done H_ALIGNED;
    uint32_t readers_finished;
    struct h_word stop;
    struct h_word reclaimer_stop;
    struct h_fault fault;
    uint32_t shuffle_seq H_ALIGNED;  /* odd while the orchestrator moves workers between CPUs */
    uint32_t litmus_gen H_ALIGNED;   /* membarrier self-test: trial the readers may start */
    uint32_t litmus_trials;
    uint32_t litmus_acked H_ALIGNED; /* readers done with trials so far (futex word) */
    uint32_t litmus_y H_ALIGNED;     /* the updater's flag */

    /* RCU */
    struct h_word gp_ctr;            /* read by every reader at lock / quiescent state */
    int32_t gp_futex H_ALIGNED;      /* -1 while a grace-period waiter sleeps */
    struct h_word gp_completed;      /* completed grace periods: the pipe-count clock */
    uint32_t gp_lock H_ALIGNED;      /* serialises grace periods (futex mutex) */
    uint64_t gp_max_ns;
    uint64_t gp_hist[H_HIST_BUCKETS];
    uint64_t cb_hist[H_HIST_BUCKETS];
    h_off cb_head H_ALIGNED;         /* call_rcu: MPSC list, taken whole by the reclaimer */
    uint32_t cb_sleeping H_ALIGNED;
    uint64_t cb_queued H_ALIGNED;
    uint64_t cb_done;
    struct h_stall stalls[H_MAX_STALLS];
    uint64_t nstalls;

    /* the cpuset world */
    uint32_t cpuset_sem H_ALIGNED;   /* "the cpuset semaphore": writers' structural changes, global-lock readers */
    struct h_word number_of_cpusets; /* the "cpusets have been used" short-circuit reads this */
    uint64_t next_serial H_ALIGNED;
    h_off root;
    uint32_t nlive;
    h_off live[H_MAX_LIVE];

    /* slab cache for cpusets */
    uint32_t slab_lock H_ALIGNED;
    uint32_t slab_partial;           /* page index + 1 of the most recently freed-into partial slab */
    uint64_t slab_pages;
    uint64_t slab_pages_rcu;
    uint64_t slab_objects;
    uint64_t hog_head;               /* arena exhaustion fault: pages held back, page index + 1 chain */
    uint64_t hog_pages;

    /* oracles */
    uint64_t violations H_ALIGNED;
    uint32_t first_claimed;
    uint32_t flight_frozen;
    struct h_violation first;
    uint64_t run_start_ns;

    struct h_node nodes[H_MAX_NODES];
    struct h_task tasks[H_MAX_WORKERS];
    struct h_worker workers[H_MAX_WORKERS];
};

/* ---------------------------------------------------------------- per-process context (not shared) */

struct harness_scheme;

struct h_snap {
    uint64_t serial;
    uint64_t mems;
    h_off cs;                /* the object it came from (0 for the seqcount copy / short-circuit) */
    int consistent;          /* payload agreed with (serial, mems) */
};

struct h_ctx {
    char *base;
    struct h_arena *arena;
    const struct harness_scheme *ops;
    struct h_worker *self;   /* NULL for the reclaimer */
    struct h_task *task;     /* a reader's "current" */
    int worker;
    int cpu;                 /* CPU assigned */
    int home_node;
    int flavor;
    uint64_t rng;
    uint64_t chunk_ns;       /* time of the current chunk, ns since run start */
    uint64_t retries;
    uint64_t near_misses;
    uint64_t delays;
    uint64_t shortcut;
    uint64_t pages_allocated;
    uint64_t alloc_failures;
    uint64_t unverified;
    uint64_t page_serial;
    uint32_t delay_threshold;    /* h_random() below this: delay inside the critical section */
    uint32_t held_pos;
    uint64_t held[H_HELD_PAGES]; /* page index + 1 */
    uint64_t held_stamp[H_HELD_PAGES];
};

typedef uint64_t (*h_chunk_fn)(struct h_ctx *ctx, uint64_t n);

struct harness_scheme {
    const char *name;
    const char *summary;
    int flags;
    enum h_slab_mode slab_mode;
    const char *expected;    /* busted: violation kinds it must trigger, comma-separated */
    h_chunk_fn chunk[H_NFLAVORS][2][H_NWORKLOADS];
    void (*attach)(struct h_ctx *ctx, struct h_task *task, struct h_cpuset *cs);
    void (*destroy)(struct h_ctx *ctx, struct h_cpuset *cs);
    struct h_cpuset *(*create)(struct h_ctx *ctx, uint64_t serial, uint64_t mems);
    void (*synchronize)(struct h_ctx *ctx);
    void (*call_rcu)(struct h_ctx *ctx, struct h_rcu_head *head, enum h_cb_kind kind);
};

/* ---------------------------------------------------------------- small helpers */

static inline void *h_ptr(const struct h_ctx *ctx, h_off off) { return ctx->base + off; }
static inline h_off h_offset(const struct h_ctx *ctx, const void *p) { return (h_off)((const char *)p - ctx->base); }

static inline uint64_t h_random(struct h_ctx *ctx)
{
    /* xorshift64*: per-worker state, no shared line touched */
    uint64_t x = ctx->rng;
    x ^= x >> 12;
    x ^= x << 25;
    x ^= x >> 27;
    ctx->rng = x;
    return x * 0x2545F4914F6CDD1DULL;
}

static inline uint64_t h_payload(uint64_t serial, uint64_t mems, int i)
{
    return (serial * 0x9E3779B97F4A7C15ULL) ^ (mems + 0x632BE59BD9B4E019ULL * (uint64_t)(i + 1));
}

static inline uint64_t h_mems_check(uint64_t serial, uint64_t mems) { return h_payload(serial, mems, 7); }

void h_spin_wait(uint32_t *lock);    /* slow path: spin, then yield */
unsigned long long h_now_ns(void);
void h_violation(struct h_ctx *ctx, int kind, h_off object, uint64_t serial, uint64_t detail);
void h_delay_ns(struct h_ctx *ctx, uint64_t ns);

static inline void h_event(struct h_ctx *ctx, int kind, uint64_t a, uint64_t b)
{
    struct h_worker *w = ctx->self;
    if (!w || READ_ONCE(ctx->arena->flight_frozen))
        return;
    uint64_t pos = w->flight_pos;
    struct h_flight_event *e = &w->flight[pos % H_FLIGHT_EVENTS];
    e->t_ns = ctx->chunk_ns;
    e->a = a;
    e->b = b;
    e->cpu = (unsigned)ctx->cpu;
    e->kind = (unsigned short)kind;
    e->worker = (unsigned short)ctx->worker;
    WRITE_ONCE(w->flight_pos, pos + 1);
}

/* ---------------------------------------------------------------- locks */

/* A test-and-test-and-set spinlock in shared memory; acquire on lock, release on unlock. The slow path
 * yields after a while so that a preempted holder on an oversubscribed machine gets to run. */
static inline void h_spin_lock(uint32_t *lock)
{
    uint32_t unlocked = 0;
    if (likely(cmpxchg_weak(lock, &unlocked, 1)))
        return;
    h_spin_wait(lock);
}

static inline void h_spin_unlock(uint32_t *lock) { smp_store_release(lock, 0); }

static inline void task_lock(struct h_task *t) { h_spin_lock(&t->alloc_lock); }
static inline void task_unlock(struct h_task *t) { h_spin_unlock(&t->alloc_lock); }

/* ---------------------------------------------------------------- seqcount (include/linux/seqlock.h) */

static inline uint32_t read_seqcount_begin(const uint32_t *s)
{
    uint32_t v;
    while ((v = smp_load_acquire(s)) & 1)   /* acquire: the protected loads come after */
        cpu_relax();
    return v;
}

static inline int read_seqcount_retry(const uint32_t *s, uint32_t start)
{
    smp_rmb();                              /* the protected loads complete before the recheck */
    return READ_ONCE(*s) != start;
}

static inline void write_seqcount_begin(uint32_t *s)
{
    WRITE_ONCE(*s, READ_ONCE(*s) + 1);
    smp_wmb();                              /* odd count visible before any protected store */
}

static inline void write_seqcount_end(uint32_t *s)
{
    smp_store_release(s, READ_ONCE(*s) + 1);  /* protected stores visible before the even count */
}

/* ---------------------------------------------------------------- RCU read side */

void h_rcu_wake_gp(struct h_ctx *ctx);

static inline void h_rcu_maybe_wake(struct h_ctx *ctx)
{
    if (unlikely(READ_ONCE(ctx->arena->gp_futex) == -1))
        h_rcu_wake_gp(ctx);
}

/*
 * qsbr: lock/unlock are compiler barriers; the reader announces quiescent states between chunks.
 * mb: the slot store is followed by smp_mb so that the grace-period waiter, which reads the slot after
 *     its own smp_mb, either sees us inside or we see the newly published pointer (store->load, Dekker).
 * membarrier: compiler barriers only; the waiter's membarrier(GLOBAL_EXPEDITED) supplies the smp_mb on
 *     our CPU at the moment it matters.
 */
static inline void h_rcu_read_lock(struct h_ctx *ctx, const int flavor)
{
    if (flavor == H_FLAVOR_QSBR) {
        barrier();
        return;
    }
    WRITE_ONCE(ctx->self->slot.ctr, READ_ONCE(ctx->arena->gp_ctr.v));
    if (flavor == H_FLAVOR_MB)
        smp_mb();
    else
        barrier();
}

static inline void h_rcu_read_unlock(struct h_ctx *ctx, const int flavor)
{
    if (flavor == H_FLAVOR_QSBR) {
        barrier();
        return;
    }
    if (flavor == H_FLAVOR_MB) {
        smp_mb();                           /* critical-section loads complete before we leave */
        WRITE_ONCE(ctx->self->slot.ctr, 0);
        smp_mb();                           /* slot store before the waiter-flag load (no lost wake-up) */
    } else {
        barrier();
        WRITE_ONCE(ctx->self->slot.ctr, 0);
        barrier();
    }
    h_rcu_maybe_wake(ctx);
}

/* QSBR: announce that this reader holds no reference taken before now. Cheap unless a grace period began. */
static inline void h_rcu_quiescent_state(struct h_ctx *ctx)
{
    uint64_t gp = READ_ONCE(ctx->arena->gp_ctr.v);
    if (likely(gp == READ_ONCE(ctx->self->slot.ctr)))
        return;
    smp_store_release(&ctx->self->slot.ctr, gp);   /* earlier critical-section loads stay before it */
    smp_mb();                                      /* ...and later ones after it; then the flag load */
    h_rcu_maybe_wake(ctx);
}

void h_rcu_online(struct h_ctx *ctx);
void h_rcu_offline(struct h_ctx *ctx);

/* ---------------------------------------------------------------- reading a cpuset (where the oracles look) */

void h_pipe_check(struct h_ctx *ctx, const struct h_cpuset *cs, uint64_t serial);

/*
 * Read a cpuset's identity and nodemask into *snap. With checks on, the memory itself is judged first:
 * touching a page that was given back to the page allocator (poison) or handed to someone else (a page
 * stamp) is a use-after-free even if the scheme would have retried afterwards; and the pipe count of
 * what we see (grace periods completed since it was retired) goes into the histogram.
 */
static inline void h_cpuset_read(struct h_ctx *ctx, const struct h_cpuset *cs, struct h_snap *snap, const int checks)
{
    snap->cs = h_offset(ctx, cs);
    snap->serial = READ_ONCE(cs->serial);
    snap->mems = READ_ONCE(cs->mems_allowed);
    if (!checks) {
        snap->consistent = 1;
        return;
    }
    uint32_t type = READ_ONCE(cs->type);
    if (unlikely(type != H_CPUSET_TYPE))
        h_violation(ctx, type == H_POISON_WORD ? H_V_USE_AFTER_FREE : (type == H_PAGE_STAMP ? H_V_FOREIGN : H_V_TYPE),
                    snap->cs, snap->serial, type);
    int ok = 1;
    for (int i = 0; i < 4; i++)
        ok &= READ_ONCE(cs->payload[i]) == h_payload(snap->serial, snap->mems, i);
    snap->consistent = ok;
    if (likely(type == H_CPUSET_TYPE))   /* a pipe count read out of poison would mean nothing */
        h_pipe_check(ctx, cs, snap->serial);
}

/* Race amplifier: a random short delay inside the critical section, only in torture runs. */
static inline void h_read_delay(struct h_ctx *ctx, const int checks)
{
    if (checks && ctx->delay_threshold && unlikely((uint32_t)h_random(ctx) < ctx->delay_threshold))
        h_delay_ns(ctx, h_random(ctx) % (ctx->arena->params.read_delay_max_ns + 1));
}

static inline void h_near_miss(struct h_ctx *ctx) { ctx->retries++; }

/* inc_not_zero with acquire ordering: the identity recheck that follows must not be satisfied early. */
static inline int h_ref_inc_not_zero(uint32_t *ref)
{
    uint32_t old = READ_ONCE(*ref);
    do {
        if (old == 0)
            return 0;
    } while (!atomic_compare_exchange_weak_explicit(H_ATOMIC(ref), &old, old + 1, memory_order_acquire,
                                                    memory_order_relaxed));
    return 1;
}

/* Returns 1 when this was the last reference (release: our reads happen before whoever frees it). */
static inline int h_ref_put(uint32_t *ref)
{
    if (atomic_sub_return_release(ref, 1) != 0)
        return 0;
    atomic_thread_fence(memory_order_acquire);
    return 1;
}

/* ---------------------------------------------------------------- writer side (arena.c, rcu.c) */

/* The usual attach: rcu_assign_pointer (release), so the cpuset's initialisation is visible first. */
static inline void h_publish(struct h_ctx *ctx, struct h_task *task, struct h_cpuset *cs)
{
    rcu_assign_pointer(task->cpuset, h_offset(ctx, cs));
}


struct h_cpuset *h_cpuset_alloc(struct h_ctx *ctx);            /* slab object, fields not yet written */
void h_cpuset_init(struct h_ctx *ctx, struct h_cpuset *cs, uint64_t serial, uint64_t mems);
struct h_cpuset *h_cpuset_create(struct h_ctx *ctx, uint64_t serial, uint64_t mems);  /* alloc + init */
void h_cpuset_free(struct h_ctx *ctx, struct h_cpuset *cs);    /* back to the slab now */
void h_cpuset_free_rcu(struct h_ctx *ctx, struct h_cpuset *cs); /* back to the slab after a grace period */
void h_synchronize_rcu(struct h_ctx *ctx);
void h_call_rcu(struct h_ctx *ctx, struct h_rcu_head *head, enum h_cb_kind kind);
void h_rcu_invoke(struct h_ctx *ctx, struct h_rcu_head *head);  /* run one callback now */
void h_gp_complete(struct h_ctx *ctx, uint64_t started_ns);    /* account one completed grace period */
void h_writer_delay(struct h_ctx *ctx);

/* ---------------------------------------------------------------- the reader loop, specialised per scheme */

struct h_task;
void h_check_snapshot(struct h_ctx *ctx, const struct h_snap *snap, uint64_t g0, uint64_t g1);
void h_check_cpu(struct h_ctx *ctx);
void h_alloc_page(struct h_ctx *ctx, uint64_t mems, const int checks);

/*
 * One reader operation. deref: the cpuset_mems_allowed() read alone. alloc/unused: the __alloc_pages
 * model, where the read is skipped while only the root cpuset exists (number_of_cpusets == 1).
 */
#define H_READER_OP(ctx, task, read, flavor, checks, workload)                                          \
    do {                                                                                                    \
        struct h_snap snap_;                                                                                \
        uint64_t g0_ = 0;                                                                                   \
        if (checks)                                                                                         \
            g0_ = smp_load_acquire(&(task)->attach_gen);                                                    \
        if ((workload) == H_WORKLOAD_DEREF || READ_ONCE((ctx)->arena->number_of_cpusets.v) > 1) {          \
            read(ctx, task, &snap_, flavor, checks);                                                    \
        } else {                                                                                            \
            snap_.serial = 1;                                                                               \
            snap_.mems = (ctx)->arena->params.nnodes >= 64 ? ~0ULL : (1ULL << (ctx)->arena->params.nnodes) - 1; \
            snap_.cs = (ctx)->arena->root;                                                                  \
            snap_.consistent = 1;                                                                           \
            (ctx)->shortcut++;                                                                              \
        }                                                                                                   \
        if (checks) {                                                                                       \
            h_check_snapshot(ctx, &snap_, g0_, smp_load_acquire(&(task)->attach_gen));                 \
            h_event(ctx, H_EV_READ, snap_.serial, snap_.cs);                                                \
        }                                                                                                   \
        if ((workload) != H_WORKLOAD_DEREF)                                                                 \
            h_alloc_page(ctx, snap_.mems, checks);                                                          \
    } while (0)

#define H_DEFINE_CHUNK(sym, read, F, K, W)                                                                  \
    __attribute__((flatten)) /* the scheme's read and the oracles' inline parts: one loop, no calls */       \
    static uint64_t sym##_chunk_##F##K##W(struct h_ctx *ctx, uint64_t n)                                   \
    {                                                                                                       \
        /* "current" is fixed for a reader: hoisted, or every barrier in read() would reload it */      \
        struct h_task *const task = ctx->task;                                                          \
        for (uint64_t i = 0; i < n; i++)                                                                    \
            H_READER_OP(ctx, task, read, F, K, W);                                                      \
        return n;                                                                                           \
    }

#define H_DEFINE_CHUNKS_FK(sym, read, F, K)                                                                 \
    H_DEFINE_CHUNK(sym, read, F, K, 0) H_DEFINE_CHUNK(sym, read, F, K, 1) H_DEFINE_CHUNK(sym, read, F, K, 2)
#define H_DEFINE_CHUNKS_F(sym, read, F) H_DEFINE_CHUNKS_FK(sym, read, F, 0) H_DEFINE_CHUNKS_FK(sym, read, F, 1)
#define H_CHUNKS_FK(sym, F, K) { sym##_chunk_##F##K##0, sym##_chunk_##F##K##1, sym##_chunk_##F##K##2 }
#define H_CHUNKS_F(sym, F) { H_CHUNKS_FK(sym, F, 0), H_CHUNKS_FK(sym, F, 1) }

/*
 * HARNESS_SCHEME(sym, read_fn, .name = "...", .attach = ..., ...) defines `const struct harness_scheme sym`
 * with read_fn compiled inline into one reader loop per (flavor, checks, workload).
 * read_fn: static inline void read_fn(struct h_ctx *ctx, struct h_task *task, struct h_snap *snap,
 *                                     const int flavor, const int checks)
 */
#ifdef HARNESS_USER_SCHEME
/* A scheme file (`soak --scheme-file`) defines exactly this symbol; declared here so that a definition of
 * another type is a compile error in that file. registry.c puts it first in the scheme table. */
extern const struct harness_scheme harness_user_scheme;
#endif

#define HARNESS_SCHEME(sym, read_fn, ...)                                                                   \
    H_DEFINE_CHUNKS_F(sym, read_fn, 0)                                                                      \
    H_DEFINE_CHUNKS_F(sym, read_fn, 1)                                                                      \
    H_DEFINE_CHUNKS_F(sym, read_fn, 2)                                                                      \
    const struct harness_scheme sym = {                                                                     \
        .chunk = { H_CHUNKS_F(sym, 0), H_CHUNKS_F(sym, 1), H_CHUNKS_F(sym, 2) },                           \
        __VA_ARGS__                                                                                         \
    }

#endif
