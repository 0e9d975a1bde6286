/*
 * harness.h - the contract a scheme is written against, built-in or your own. Nothing else is needed and
 * nothing else is reachable: the engine's state (the arena, grace-period clock, oracles, counters) lives
 * behind `struct h_arena`, which this header leaves opaque.
 *
 * The world it models (the November 2005 "Clean up of __alloc_pages" thread): the page allocator's
 * cpuset check reads current->cpuset->mems_allowed on every allocation. A scheme decides how a reader
 * gets a consistent (serial, mems_allowed) for its task while writers attach tasks to other cpusets,
 * rebind them and destroy them, and how a destroyed cpuset is freed.
 *
 * Everything lives in one shared arena mapped by many processes at different addresses, so shared data
 * holds arena offsets (h_off), never pointers; h_ptr()/h_offset() convert with this process's base. Offset 0
 * and the pages just past the world's end are guard pages: a stray access there kills the process (a crash).
 *
 * A scheme is a `struct harness_scheme` (the ops table, like rcutorture's rcu_torture_ops) made with
 * HARNESS_SCHEME(). A scheme file defines exactly one table named harness_user_scheme:
 *
 *     #include "harness.h"
 *     static inline void my_read(struct h_ctx *ctx, struct h_task *task, struct h_snap *snap,
 *                                const int flavor, const int checks) { ... }
 *     HARNESS_SCHEME(harness_user_scheme, my_read, .name = "my-scheme", .summary = "...",
 *                    .flags = H_SCHEME_RCU_READER, .slab_mode = H_SLAB_TYPESAFE_BY_RCU,
 *                    .attach = h_publish, .destroy = h_cpuset_free);
 *
 * and runs with `python -m harness soak --scheme-file my_scheme.c` (see docs/own-scheme.md).
 *
 * The ops table (required: name, read, attach, destroy):
 *   read     READER. Fill *snap, through h_cpuset_read(), with the serial and mems_allowed of a cpuset that
 *            was attached to `task` at some instant during the call; retry as often as you need. Return with
 *            every read-side section closed and every reference dropped. `flavor` (H_FLAVOR_QSBR/MB/
 *            MEMBARRIER) and `checks` (oracles on; H_CHECKS_WEAK: on, and the weak-memory emulation too) are
 *            compile-time constants: pass them to the primitives.
 *   attach   WRITER, cpuset mutex held. Make `cs` (initialised) task->cpuset; the old one is task->cpuset
 *            on entry. Nothing may free the old cpuset while a task still points at it.
 *   destroy  WRITER, cpuset mutex held. `cs` is attached to no task any more: free it by the scheme's rules
 *            (h_cpuset_free at once, h_cpuset_free_rcu after a grace period, or drop a reference).
 *   create   optional, WRITER: allocate and initialise a cpuset (default h_cpuset_create).
 *   synchronize  optional: the grace-period wait behind h_synchronize_rcu (default: the arena's RCU).
 *   call_rcu     optional: how h_call_rcu gets `head` invoked (h_rcu_invoke) after a grace period
 *                (default: the arena's reclaimer). Inside either, h_synchronize_rcu / h_call_rcu mean the
 *                arena's own implementation.
 *   shared_size  optional: bytes of shared memory private to the scheme (h_scheme_shared), zeroed at start,
 *                at most H_SCHEME_SHARED_MAX: hazard pointers, a lock of its own, per-reader state.
 *                Protection built there (hazard pointers, epochs, an RCU of the scheme's own) is declared
 *                with h_protect / h_read_section_enter (below) and checked like the engine's own.
 * The claims, which the engine acts on:
 *   slab_mode  H_SLAB_PLAIN (an empty slab page goes back to the page allocator at once) or
 *              H_SLAB_TYPESAFE_BY_RCU (objects are reused at once, pages only after a grace period).
 *   flags      H_SCHEME_RCU_READER (readers use RCU read-side critical sections: required to call
 *              h_rcu_read_lock), H_SCHEME_REFCOUNT (a cpuset is freed by whoever drops its last
 *              reference: h_cpuset_free leaves the count alone), H_SCHEME_BUSTED (a planted bug;
 *              `expected` names the violation kinds it must trigger), H_SCHEME_UNSAFE (no synchronisation:
 *              a throughput reference).
 *
 * The engine owns the clock, the counts and the verdict: grace periods are counted, stamped and checked
 * around the scheme's synchronize and call_rcu, objects are tracked through alloc / free / call_rcu /
 * callback, and in torture mode every primitive below is a checkpoint (and, at a random few, a delay).
 * A scheme calls no bookkeeping function and cannot change what the engine counted.
 */
#ifndef HARNESS_H
#define HARNESS_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "atomics.h"
#include "constants.h"
#include "static/reader_loop.h"

typedef uint64_t h_off;          /* offset from the arena base; 0 is "none" */

/* `checks` as a reader loop sees it: 0 off, 1 on, H_CHECKS_WEAK on with the weak-memory emulation */
#define H_CHECKS_WEAK 2

#define H_CACHELINE 64
#define H_ALIGNED __attribute__((aligned(H_CACHELINE)))
#define H_PAGE_SIZE 1024         /* a simulated page */
#define H_CPUSET_SIZE 128
#define H_OBJS_PER_SLAB (H_PAGE_SIZE / H_CPUSET_SIZE)   /* 8: slabs empty and recycle often */
#define H_MAX_LIVE 16            /* writers keep at most this many cpusets besides the root */
#define H_SCHEME_SHARED_MAX 4096 /* bytes of shared memory a scheme may claim (.shared_size) */

#define H_CPUSET_TYPE 0xC95E7C95u   /* type tag, written by the slab constructor only */
#define H_PAGE_STAMP 0x5A6EB00Cu    /* first word of a page handed to an allocating reader */
#define H_POISON_BYTE 0x6b          /* POISON_FREE, as the kernel's page/slab poisoning */
#define H_POISON_WORD 0x6b6b6b6bu

enum h_slab_mode { H_SLAB_PLAIN = 0, H_SLAB_TYPESAFE_BY_RCU = 1 };
enum h_cb_kind { H_CB_FREE_CPUSET = 1, H_CB_RELEASE_PAGE = 2, H_CB_FREE_ZONELIST = 3 };

#define H_SCHEME_BUSTED 1        /* planted bug: the oracles must catch it */
#define H_SCHEME_RCU_READER 2    /* readers use RCU read-side critical sections */
#define H_SCHEME_UNSAFE 4        /* no synchronisation at all: a throughput reference only */
#define H_SCHEME_REFCOUNT 8      /* a cpuset is freed by whoever drops its last reference */

/* ---------------------------------------------------------------- shared data a scheme sees */

struct h_rcu_head {
    h_off next;
    uint64_t queued_ns;
    uint32_t kind;           /* enum h_cb_kind */
    uint32_t queued;         /* engine: nonzero while on a callback list */
    uint64_t gp_seq;         /* engine: grace periods started when it was queued */
};

/* A cpuset object in a slab page, 128 bytes. type, seq, refcount and lock are initialised by the slab
 * constructor when the page becomes a slab page, never per allocation: a TYPESAFE_BY_RCU reader may touch
 * them on an object that has been freed and reused at any moment. seq is odd while the object is free and
 * changes on every free and every (re)initialisation. The tail is the engine's redzone: never written. */
struct h_cpuset {
    uint32_t type;
    uint32_t seq;
    uint32_t refcount;
    uint32_t lock;
    uint64_t serial;         /* unique, increasing; the cpuset's identity */
    uint64_t mems_allowed;   /* nodemask, immutable for a serial (rebind makes a new cpuset) */
    uint64_t payload[4];     /* redundant copies of (serial, mems): a torn or mixed read shows */
    struct h_rcu_head rcu;
    unsigned char engine_private_[32];
};

/* A task: "current" for a reader. The engine keeps its attach history beside it. */
struct h_task {
    uint32_t alloc_lock;     /* task_lock() */
    uint32_t mems_seq;       /* seqcount for the mems_allowed copy (today's mems_allowed_seq) */
    h_off cpuset;            /* RCU-protected: task->cpuset */
    uint64_t mems_allowed;   /* the task's own copy, for the seqcount scheme */
    uint64_t mems_serial;
    uint64_t mems_check;     /* h_mems_check(serial, mems) of the copy */
};

struct h_rcu_slot {          /* written only by its owner (and by the orchestrator for a dead one) */
    uint64_t ctr;            /* 0: offline/outside; else the gp_ctr value seen at lock or last QS */
    uint64_t read_sections;  /* torture: odd while inside a read-side section (engine-maintained) */
    h_off holding;           /* torture: the cpuset this reader touched last (the adversarial writer's aim) */
    int32_t cpu;
    int32_t dead;
} H_ALIGNED;

struct h_arena;              /* the engine's: opaque */

struct h_snap {
    uint64_t serial;
    uint64_t mems;
    h_off cs;                /* the object it came from (0 for the seqcount copy / short-circuit) */
    int consistent;          /* payload agreed with (serial, mems) */
    /* alloc-subset, the engine's (a scheme never touches these): h_cpuset_read, inside the scheme's
     * protection, copies the cpuset's zonelist for this reader's home node into the engine's context and
     * tags this snapshot with that copy. Scalars only, so that a snapshot stays in registers. */
    int zl_want;             /* set by the reader loop: copy the list (a compile-time constant there) */
    int zl_ok;               /* the list copied is the one built for `serial` (else torn or stale) */
    uint32_t zl_tag;         /* which copy is this snapshot's; 0: none (no cpuset read: the walk filters by mems) */
};

/* Per-process context of one worker (or the reclaimer). Schemes read these fields through the primitives;
 * the engine keeps more of its own beyond them. */
struct h_ctx {
    char *base;
    struct h_arena *arena;
    const struct harness_scheme *ops;
    struct h_task *task;          /* a reader's "current" */
    struct h_rcu_slot *slot;      /* this worker's RCU reader slot; NULL for the reclaimer */
    uint64_t *gp_ctr;             /* the grace-period counter readers snapshot */
    int32_t *gp_futex;            /* -1 while a grace-period waiter sleeps */
    const uint64_t *number_of_cpusets;
    void *shared;                 /* the scheme's private shared memory (.shared_size bytes) */
    h_off root;
    uint64_t all_mems;
    int worker;
    int flavor;
    int checks;                   /* torture mode: oracles and checkpoints on */
    uint32_t delay_threshold;     /* h_random() below this: h_read_delay delays */
    uint32_t read_delay_max_ns;
    uint64_t rng;
    uint64_t retries;
    uint64_t shortcut;
    int rcu_nest;                 /* mb / membarrier, checks off: open h_rcu_read_lock levels inside the outermost */
};

typedef uint64_t (*h_chunk_fn)(struct h_ctx *ctx, uint64_t n);

struct harness_scheme {
    const char *name;
    const char *summary;
    int flags;
    enum h_slab_mode slab_mode;
    const char *expected;    /* busted: violation kinds it must trigger, comma-separated */
    size_t shared_size;
    h_chunk_fn chunk[H_NFLAVORS][3][H_NWORKLOADS];   /* [flavor][checks: off, on, on + weak memory][workload] */
    void (*attach)(struct h_ctx *ctx, struct h_task *task, struct h_cpuset *cs);
    void (*destroy)(struct h_ctx *ctx, struct h_cpuset *cs);
    struct h_cpuset *(*create)(struct h_ctx *ctx, uint64_t serial, uint64_t mems);
    void (*synchronize)(struct h_ctx *ctx);
    void (*call_rcu)(struct h_ctx *ctx, struct h_rcu_head *head, enum h_cb_kind kind);
};

/* ---------------------------------------------------------------- helpers: any context */

static inline void *h_ptr(const struct h_ctx *ctx, h_off off) { return ctx->base + off; }
static inline h_off h_offset(const struct h_ctx *ctx, const void *p) { return (h_off)((const char *)p - ctx->base); }
static inline void *h_scheme_shared(const struct h_ctx *ctx) { return ctx->shared; }

/* xorshift64*: one generator for every random choice (workers, the weak-memory emulation, litmus runs) */
static inline uint64_t h_xorshift(uint64_t *state)
{
    uint64_t x = *state;
    x ^= x >> 12;
    x ^= x << 25;
    x ^= x >> 27;
    *state = x;
    return x * 0x2545F4914F6CDD1DULL;
}

/* per-worker state, no shared line touched */
static inline uint64_t h_random(struct h_ctx *ctx) { return h_xorshift(&ctx->rng); }

static inline uint64_t h_payload(uint64_t serial, uint64_t mems, int i)
{
    return (serial * 0x9E3779B97F4A7C15ULL) ^ (mems + 0x632BE59BD9B4E019ULL * (uint64_t)(i + 1));
}

static inline uint64_t h_mems_check(uint64_t serial, uint64_t mems) { return h_payload(serial, mems, 7); }

/**
 * The monotonic clock (CLOCK_MONOTONIC), in ns. Any context; never blocks; orders nothing.
 */
unsigned long long h_now_ns(void);

/* ---------------------------------------------------------------- torture-mode checkpoints (engine) */


static inline void h_checkpoint(const void *p, int kind)
{
    struct h_ctx *t = h_torture_ctx();
    if (unlikely(t != NULL))
        h_torture_access(t, p, kind);
}

#ifdef H_ENGINE
#define H_TORTURE(fn, ...) ((void)0)
#else
#define H_TORTURE(fn, ...)                                                                                  \
    do {                                                                                                    \
        struct h_ctx *t_ = h_torture_ctx();                                                                 \
        if (unlikely(t_ != NULL))                                                                           \
            fn(t_, ##__VA_ARGS__);                                                                          \
    } while (0)
#endif

/* ---------------------------------------------------------------- locks: any context */

/* A test-and-test-and-set spinlock in shared memory; acquire on lock, release on unlock. The slow path
 * yields after a while so that a preempted holder on an oversubscribed machine gets to run. Holding one
 * protects the cpusets it guards (the engine counts what is held). */
static inline void h_spin_lock(uint32_t *lock)
{
    uint32_t unlocked = 0;
    if (!likely(cmpxchg_weak(lock, &unlocked, 1))) {
        h_spin_wait(lock);
        H_WEAK_FENCE(H_WF_FLUSH, (void)0);   /* the slow path's acquire, for the weak-memory emulation */
    }
    H_TORTURE(h_torture_lock, 1);
}

static inline void h_spin_unlock(uint32_t *lock)
{
    H_TORTURE(h_torture_lock, -1);
    smp_store_release(lock, 0);
}

static inline void task_lock(struct h_task *t) { h_spin_lock(&t->alloc_lock); }
static inline void task_unlock(struct h_task *t) { h_spin_unlock(&t->alloc_lock); }

/* ---------------------------------------------------------------- seqcount (include/linux/seqlock.h) */

/* READER: wait for an even count; acquire: the protected loads come after. */
static inline uint32_t read_seqcount_begin(const uint32_t *s)
{
    uint32_t v;
    while ((v = smp_load_acquire(s)) & 1)
        cpu_relax();
    return v;
}

/* READER: nonzero if a writer ran since `start` (retry); the protected loads complete before the recheck. */
static inline int read_seqcount_retry(const uint32_t *s, uint32_t start)
{
    smp_rmb();
    return READ_ONCE(*s) != start;
}

/* WRITER, serialised by a lock: the odd count is visible before any protected store. */
static inline void write_seqcount_begin(uint32_t *s)
{
    WRITE_ONCE(*s, READ_ONCE(*s) + 1);
    smp_wmb();
    H_TORTURE(h_torture_delay);   /* amplifier: readers meet the open write section */
}

/* WRITER: the protected stores are visible before the even count (release). */
static inline void write_seqcount_end(uint32_t *s)
{
    smp_store_release(s, READ_ONCE(*s) + 1);
}

/* ---------------------------------------------------------------- RCU read side: READER */

static inline void h_rcu_maybe_wake(struct h_ctx *ctx)
{
    if (unlikely(READ_ONCE(*ctx->gp_futex) == -1))
        h_rcu_wake_gp(ctx);
}

/* The slot side of entering and leaving a read-side section (h_rcu_read_lock/unlock below).
 * qsbr: compiler barriers; the reader announces quiescent states between chunks.
 * mb: the slot store is followed by smp_mb so that the grace-period waiter, which reads the slot after
 *     its own smp_mb, either sees us inside or we see the newly published pointer (store->load, Dekker).
 * membarrier: compiler barriers only; the waiter's membarrier(GLOBAL_EXPEDITED) supplies the smp_mb on
 *     our CPU at the moment it matters. */
static inline void h_rcu_enter_slot(struct h_ctx *ctx, const int flavor)
{
    if (flavor == H_FLAVOR_QSBR) {
        barrier();
        return;
    }
    WRITE_ONCE(ctx->slot->ctr, READ_ONCE(*ctx->gp_ctr));
    if (flavor == H_FLAVOR_MB)
        smp_mb();
    else
        barrier();
}

static inline void h_rcu_leave_slot(struct h_ctx *ctx, const int flavor)
{
    if (flavor == H_FLAVOR_QSBR) {
        barrier();
        return;
    }
    if (flavor == H_FLAVOR_MB) {
        smp_mb();                           /* critical-section loads complete before we leave */
        WRITE_ONCE(ctx->slot->ctr, 0);
        smp_mb();                           /* slot store before the waiter-flag load (no lost wake-up) */
    } else {
        barrier();
        WRITE_ONCE(ctx->slot->ctr, 0);
        barrier();
    }
    h_rcu_maybe_wake(ctx);
}

/*
 * READER: begin / end a read-side critical section. Only a scheme that claims H_SCHEME_RCU_READER may
 * call them. They nest in every flavor, liburcu style: only the outermost lock and unlock touch the slot.
 * qsbr's lock is a compiler barrier at any depth; under mb and membarrier an announced slot (ctr != 0)
 * means "already inside", and only inner levels are counted, so a section that does not nest costs one
 * load of its own slot word and one of the count, no store. Every lock has its unlock before `read`
 * returns. In torture mode the engine does the same through its checkpoint, which checks those rules.
 * With checks off, nesting is compiled in where H_RCU_NESTING is defined: always for a scheme file (the
 * scheme-file build defines it), never for the built-in schemes, which do not nest and keep the bare
 * outermost lock and unlock in their production loops.
 */
static inline void h_rcu_read_lock(struct h_ctx *ctx, const int flavor)
{
    if (unlikely(h_torture_ctx() != NULL))
        h_torture_rcu_lock(ctx, flavor);
#ifdef H_RCU_NESTING
    else if (flavor != H_FLAVOR_QSBR && unlikely(READ_ONCE(ctx->slot->ctr) != 0))
        ctx->rcu_nest++;
#endif
    else
        h_rcu_enter_slot(ctx, flavor);
}

static inline void h_rcu_read_unlock(struct h_ctx *ctx, const int flavor)
{
    if (unlikely(h_torture_ctx() != NULL))
        h_torture_rcu_unlock(ctx, flavor);
#ifdef H_RCU_NESTING
    else if (flavor != H_FLAVOR_QSBR && unlikely(ctx->rcu_nest != 0))
        ctx->rcu_nest--;
#endif
    else
        h_rcu_leave_slot(ctx, flavor);
}

/* QSBR READER, outside any read-side section: this reader holds no reference taken before now. Cheap
 * unless a grace period began. The engine calls it between chunks; a scheme rarely needs to. */
static inline void h_rcu_quiescent_state(struct h_ctx *ctx)
{
    if (unlikely(h_torture_ctx() != NULL) && !h_torture_qs(ctx))
        return;   /* inside a read-side section: reported, not announced */
    uint64_t gp = READ_ONCE(*ctx->gp_ctr);
    if (likely(gp == READ_ONCE(ctx->slot->ctr)))
        return;
    smp_store_release(&ctx->slot->ctr, gp);   /* earlier critical-section loads stay before it */
    smp_mb();                                 /* ...and later ones after it; then the flag load */
    h_rcu_maybe_wake(ctx);
}

/* ---------------------------------------------------------------- protection of the scheme's own: READER */

/*
 * Annotations for protection the engine does not implement (hazard pointers, epochs, an RCU of the
 * scheme's own, a lock held on an object with a recheck). They declare; the engine checks by what happens
 * to the objects. Declared protection counts as protection at every checkpoint (no suspicious-rcu). Each
 * enter / protect has its exit / unprotect before `read` returns (else rcu-unbalanced, as is an exit or
 * unprotect without one, or a claim from a context that is not a reader). With checks off they compile
 * to nothing.
 */

/* READER, in `read`: inside a read-side section of the scheme's own from here, one its .synchronize must
 * wait for. Call it AFTER the announcement that makes the grace period wait (the slot store and its
 * fence). Nests, with itself and with h_rcu_read_lock. A .synchronize (h_synchronize_rcu times it) that
 * returns while a reader that was inside when it began is still inside is gp-too-short. Declare sections
 * only where the scheme's own .synchronize waits for them: the arena's grace period does not. */
static inline void h_read_section_enter(struct h_ctx *ctx)
{
    (void)ctx;
    H_TORTURE(h_torture_section, 1);
}

/* READER: leaving that section. Call it BEFORE the announcement is withdrawn. */
static inline void h_read_section_exit(struct h_ctx *ctx)
{
    (void)ctx;
    H_TORTURE(h_torture_section, -1);
}

/* READER, in `read`: the cpuset `obj` is protected by this reader's own means from here: call it once the
 * protection is in force (a hazard pointer published, fenced and the pointer rechecked; the object's lock
 * taken and its identity rechecked). A cpuset freed or queued for a grace period while a claim covers it,
 * or claimed when it was already free or not attached to the reader's task since the read began (the
 * claim came too late for the freer to see it), is free-while-claimed. At most 8 at once. */
static inline void h_protect(struct h_ctx *ctx, const void *obj)
{
    (void)ctx;
    (void)obj;
    H_TORTURE(h_torture_protect, obj);
}

/* READER: the claim ends; call it BEFORE the protection is withdrawn (the hazard cleared, the lock dropped). */
static inline void h_unprotect(struct h_ctx *ctx, const void *obj)
{
    (void)ctx;
    (void)obj;
    H_TORTURE(h_torture_unprotect, obj);
}

/* ---------------------------------------------------------------- reading a cpuset: READER */


/*
 * Read a cpuset's identity and nodemask into *snap: the one way a reader reads a cpuset's fields. With
 * checks on the engine judges the memory and the moment (poison, a foreign page, the type tag, the
 * payload, the pipe count, protection held) before the scheme gets to retry.
 */
static inline void h_cpuset_read(struct h_ctx *ctx, const struct h_cpuset *cs, struct h_snap *snap, const int checks)
{
    snap->cs = h_offset(ctx, cs);
    snap->serial = READ_ONCE(cs->serial);
    snap->mems = READ_ONCE(cs->mems_allowed);
    snap->consistent = 1;
    if (checks)
        h_cpuset_read_check(ctx, cs, snap);
    if (snap->zl_want) {   /* alloc-subset: the cpuset's zonelist, under the same protection as its fields */
        uint64_t zl_ = h_zonelist_read(ctx, cs, snap->serial, snap->mems, checks);
        snap->zl_ok = (int)(zl_ & 1);
        snap->zl_tag = (uint32_t)(zl_ >> 1);
    }
}

/* Race amplifier at a place of the scheme's choosing: a random short delay, only in torture runs. The
 * engine also delays at random checkpoints of its own; this one is where you believe the window is. */
static inline void h_read_delay(struct h_ctx *ctx, const int checks)
{
    if (checks && ctx->delay_threshold && unlikely((uint32_t)h_random(ctx) < ctx->delay_threshold))
        h_delay_ns(ctx, h_random(ctx) % ((uint64_t)ctx->read_delay_max_ns + 1));   /* 64-bit: max may be UINT32_MAX */
}

/* Count a retry (a revalidation that failed): a near miss in the report. */
static inline void h_near_miss(struct h_ctx *ctx) { ctx->retries++; }

/* inc_not_zero with the given order on success (`ordered`: what the weak-memory emulation must honour) */
#define H_REF_INC_NOT_ZERO(ref, ordered, success_order)                                                   \
    ({ uint32_t old_ = READ_ONCE(*(ref));                                                                   \
       int taken_ = 1;                                                                                      \
       do {                                                                                                 \
           if (old_ == 0) {                                                                                 \
               taken_ = 0;                                                                                  \
               break;                                                                                       \
           }                                                                                                \
       } while (!H_WEAK_RMW(ref, ordered, ordered, atomic_compare_exchange_weak_explicit(                   \
                    H_ATOMIC(ref), &old_, old_ + 1, success_order, memory_order_relaxed)));                 \
       if (taken_)                                                                                          \
           H_CHECKPOINT(ref, H_ACC_INC);                                                                    \
       taken_; })

/* Take a reference unless the count is zero, with acquire ordering: the identity recheck that follows
 * must not be satisfied early. Holding the reference protects the cpuset until h_ref_put. */
static inline int h_ref_inc_not_zero(uint32_t *ref) { return H_REF_INC_NOT_ZERO(ref, 1, memory_order_acquire); }

/* The same with no ordering on success: refcount_inc_not_zero() before Linux 6.13 (a control dependency
 * orders later stores, nothing orders later loads). Enough where nothing is revalidated after it; not
 * before an identity recheck on a TYPESAFE_BY_RCU object (`--memory-model weak` shows why). */
static inline int h_ref_inc_not_zero_relaxed(uint32_t *ref)
{
    return H_REF_INC_NOT_ZERO(ref, 0, memory_order_relaxed);
}

/* Drop a reference; 1 when it was the last (release: our reads happen before whoever frees it). */
static inline int h_ref_put(uint32_t *ref)
{
    H_TORTURE(h_torture_delay);   /* amplifier: the last moments under the reference */
    if (atomic_sub_return_release(ref, 1) != 0)
        return 0;
    H_WEAK_FENCE(H_WF_FLUSH, atomic_thread_fence(memory_order_acquire));
    return 1;
}

/* ---------------------------------------------------------------- writer side (and the reclaimer) */

/* WRITER: the usual attach, rcu_assign_pointer (release), so the cpuset's initialisation is visible first. */
static inline void h_publish(struct h_ctx *ctx, struct h_task *task, struct h_cpuset *cs)
{
    rcu_assign_pointer(task->cpuset, h_offset(ctx, cs));
}

/**
 * Take a cpuset object from the slab (a new slab page from the page allocator when no slab page has room).
 * Its type, seq, refcount and lock are the slab constructor's; serial, mems_allowed and the payload are
 * not written yet: h_cpuset_init() them before anything can see the object.
 * @param ctx  the caller's context.
 * @return the object, or NULL when the arena has no free page.
 * Who: WRITER (.create), cpuset mutex held. Blocks: no (spins on the slab's lock, held for a few stores).
 * Ordering: none beyond the slab lock's acquire and release.
 */
struct h_cpuset *h_cpuset_alloc(struct h_ctx *ctx);

/**
 * Make `cs` the cpuset (`serial`, `mems`): its fields, its payload, and (alloc-subset) its zonelist, then a
 * reference count of 1 and an even seq.
 * @param ctx     the caller's context.
 * @param cs      an object from h_cpuset_alloc() that nothing has published yet.
 * @param serial  the new cpuset's identity (the writer's, unique and increasing).
 * @param mems    its nodemask.
 * Who: WRITER (.create). Blocks: no.
 * Ordering: every field before the refcount (release), the refcount before the even seq (release); the
 * publish that follows (h_publish) orders all of it before the pointer.
 */
void h_cpuset_init(struct h_ctx *ctx, struct h_cpuset *cs, uint64_t serial, uint64_t mems);

/**
 * h_cpuset_alloc() and h_cpuset_init(): the default .create.
 * @return the initialised cpuset, or NULL when the arena has no free page.
 * Who: WRITER, cpuset mutex held. Blocks: no. Ordering: as h_cpuset_init().
 */
struct h_cpuset *h_cpuset_create(struct h_ctx *ctx, uint64_t serial, uint64_t mems);

/**
 * Free `cs` now: back to its slab (poisoned, seq made odd); a slab page left empty goes back to the page
 * allocator at once (H_SLAB_PLAIN) or after a grace period (H_SLAB_TYPESAFE_BY_RCU). Freeing twice, freeing
 * with a call_rcu pending, or freeing a cpuset a task still points at are violations; so is a free that
 * meets a reader's h_protect claim.
 * @param ctx  the caller's context.
 * @param cs   a cpuset whose last reference the caller owns.
 * Who: any context that owns the last reference (.destroy, a callback, the reader that dropped it).
 * Blocks: no. Ordering: the caller's earlier accesses to `cs` come before it is reusable.
 */
void h_cpuset_free(struct h_ctx *ctx, struct h_cpuset *cs);

/**
 * Free `cs` after a grace period: h_call_rcu() on its head.
 * @param cs  a cpuset no task points at any more; once per object.
 * Who: WRITER (.destroy), or the scheme's own code that owns the last reference. Blocks: no.
 * Ordering: the free happens after every read-side section that began before the call has ended.
 */
void h_cpuset_free_rcu(struct h_ctx *ctx, struct h_cpuset *cs);

/**
 * Wait for a grace period: every read-side section that began before the call has ended when it returns.
 * Runs the scheme's .synchronize when it has one (timed and checked by the engine), else the arena's RCU.
 * Who: WRITER or the reclaimer, never from inside a read-side section nor from a reader (sync-in-reader).
 * Blocks: yes (sleeps on a futex until the readers have passed a quiescent state; grace periods are
 * serialised by a mutex). Ordering: as synchronize_rcu().
 */
void h_synchronize_rcu(struct h_ctx *ctx);

/**
 * Have `head` invoked (h_rcu_invoke) after a grace period: the scheme's .call_rcu when it has one, else the
 * arena's reclaimer process.
 * @param head  an rcu head not queued now (queuing it twice is double-call-rcu).
 * @param kind  what invoking it does (H_CB_FREE_CPUSET: h_cpuset_free of the cpuset it is in).
 * Who: WRITER, the reclaimer, a callback. Blocks: no (may wake the reclaimer).
 * Ordering: as call_rcu(): the caller's earlier stores are visible to the callback.
 */
void h_call_rcu(struct h_ctx *ctx, struct h_rcu_head *head, enum h_cb_kind kind);

/**
 * Invoke one queued callback now. A callback on a head that is not queued is callback-on-live; one run
 * before a grace period that started after it was queued has completed is gp-too-short.
 * @param head  a head the scheme's .call_rcu was given.
 * Who: a scheme's own .call_rcu machinery, once a grace period has passed since the call. Blocks: no.
 */
void h_rcu_invoke(struct h_ctx *ctx, struct h_rcu_head *head);

/**
 * The writers' race amplifier: a random busy delay of at most --writer-delay (5us with checks on, else 0),
 * ended early by the run's stop. Who: WRITER, between steps. Blocks: spins. Ordering: none.
 */
void h_writer_delay(struct h_ctx *ctx);

/* ---------------------------------------------------------------- the reader loop, specialised per scheme */


/*
 * One reader operation. deref: the cpuset_mems_allowed() read alone. alloc/unused: the __alloc_pages
 * model, where the read is skipped while only the root cpuset exists (number_of_cpusets == 1).
 * alloc-subset: the same, but the read also copies the cpuset's subset zonelist for the home node and
 * the allocation walks that list with no per-node mems_allowed test.
 */
#define H_READER_OP(ctx, task, read, flavor, checks, workload)                                              \
    do {                                                                                                    \
        struct h_snap snap_;                                                                                \
        uint64_t g0_ = 0;                                                                                   \
        snap_.zl_want = (workload) == H_WORKLOAD_ALLOC_SUBSET;                                              \
        if ((workload) == H_WORKLOAD_ALLOC_SUBSET) {                                                        \
            snap_.zl_tag = 0;                                                                               \
            snap_.zl_ok = 1;                                                                                \
        }                                                                                                   \
        if (checks)                                                                                         \
            g0_ = h_read_begin(ctx, task);                                                                  \
        if ((checks) == H_CHECKS_WEAK) /* after the oracle's clock: no load of the op moves above it */      \
            h_weak_fence(h_weak_ctx(), H_WF_FULL);                                                          \
        if ((workload) == H_WORKLOAD_DEREF || READ_ONCE(*(ctx)->number_of_cpusets) > 1) {                  \
            read(ctx, task, &snap_, flavor, checks);                                                        \
        } else {                                                                                            \
            snap_.serial = 1;                                                                               \
            snap_.mems = (ctx)->all_mems;                                                                   \
            snap_.cs = (ctx)->root;                                                                         \
            snap_.consistent = 1;                                                                           \
            (ctx)->shortcut++;                                                                              \
        }                                                                                                   \
        if (checks)                                                                                         \
            h_check_snapshot(ctx, &snap_, g0_, h_attach_gen(task));                                         \
        if ((workload) == H_WORKLOAD_ALLOC_SUBSET)                                                          \
            h_alloc_page_subset(ctx, &snap_, checks);                                                       \
        else if ((workload) != H_WORKLOAD_DEREF)                                                            \
            h_alloc_page(ctx, snap_.mems, checks);                                                          \
    } while (0)

#define H_DEFINE_CHUNK(sym, read, F, K, W)                                                                  \
    __attribute__((flatten)) /* the scheme's read and the oracles' inline parts: one loop, no calls */       \
    static uint64_t sym##_chunk_##F##K##W(struct h_ctx *ctx, uint64_t n)                                   \
    {                                                                                                       \
        /* "current" is fixed for a reader: hoisted, or every barrier in read() would reload it */      \
        struct h_task *const task = ctx->task;                                                          \
        /* a checks-off loop runs only where there is no torture context: every checkpoint folds away */ \
        if (!(K) && h_torture_ctx() != NULL)                                                            \
            __builtin_unreachable();                                                                    \
        /* ...and only a weak-memory loop (K == H_CHECKS_WEAK) runs where the emulation is on */          \
        if (((K) == H_CHECKS_WEAK) != (h_weak_ctx() != NULL))                                           \
            __builtin_unreachable();                                                                    \
        for (uint64_t i = 0; i < n; i++)                                                                    \
            H_READER_OP(ctx, task, read, F, K, W);                                                      \
        if ((K) == H_CHECKS_WEAK) /* nothing held back past the chunk: the engine's code runs next */    \
            h_weak_fence(h_weak_ctx(), H_WF_DRAIN);                                                     \
        return n;                                                                                           \
    }

#define H_DEFINE_CHUNKS_FK(sym, read, F, K)                                                                 \
    H_DEFINE_CHUNK(sym, read, F, K, 0) H_DEFINE_CHUNK(sym, read, F, K, 1) H_DEFINE_CHUNK(sym, read, F, K, 2)     \
    H_DEFINE_CHUNK(sym, read, F, K, 3)
#define H_DEFINE_CHUNKS_F(sym, read, F)                                                                     \
    H_DEFINE_CHUNKS_FK(sym, read, F, 0) H_DEFINE_CHUNKS_FK(sym, read, F, 1) H_DEFINE_CHUNKS_FK(sym, read, F, 2)
#define H_CHUNKS_FK(sym, F, K)                                                                              \
    { sym##_chunk_##F##K##0, sym##_chunk_##F##K##1, sym##_chunk_##F##K##2, sym##_chunk_##F##K##3 }
#define H_CHUNKS_F(sym, F) { H_CHUNKS_FK(sym, F, 0), H_CHUNKS_FK(sym, F, 1), H_CHUNKS_FK(sym, F, 2) }

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
