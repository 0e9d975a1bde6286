/*
 * engine.h - the engine's own header: the arena's layout (two mappings, below) and what the engine's files
 * share. Schemes never include it (they see include/harness.h alone, where the arena is opaque). The engine
 * is layered, each file calling only the ones below it (tools/check_layers.py holds the order and checks it
 * on the compiled objects), lowest first:
 *
 *   base.c         clock, futex, mutex, spin wait, histograms, delays, the torture context, heartbeats
 *   weak/weak.c    the weak-memory emulation
 *   arena.c        the arena, the page allocator, the cpuset slab, object debugging, attach logs, violations
 *   integrity.c    the engine's own memory: shadows, redzones, stray writes (SIGSEGV)
 *   claims.c       protection the scheme declares (its own sections, h_protect claims)
 *   own_gp.c       progress of a scheme's own grace period
 *   rcu.c          read-side slow paths, grace periods (and their clock), call_rcu, the reclaimer
 *   oracle.c       the checks on what readers see, the torture-mode checkpoints, the read-outs for Python
 *   fault.c        injected faults
 *   weak/          the litmus shapes, their runner, the membarrier self-test
 *   schemes/       the built-in schemes (and a scheme file), which see include/ only
 *   registry.c     the scheme table; the entry points that name an arena's scheme
 *   worker.c       the worker driver: readers, writers, amplifiers, the command loop
 */
#ifndef HARNESS_ENGINE_H
#define HARNESS_ENGINE_H

#define H_ENGINE 1   /* bare accesses: the engine's own loads and stores are not checkpoints */
#include "harness.h"
#include "api.h"
#include "gp_steps.h"

#define H_CHUNK 64               /* reader ops per call of a scheme's loop */
#define H_HELD_PAGES 4           /* pages an allocating reader holds before freeing the oldest */
#define H_ATTACH_LOG 32          /* per-task ring of recent attachments, for the identity oracle */

enum h_page_state { H_PAGE_FREE = 0, H_PAGE_USER, H_PAGE_SLAB, H_PAGE_SLAB_RCU, H_PAGE_ZONELIST };

/*
 * alloc-subset: a cpuset's subset zonelists, one simulated page beside it, built by the writer when it
 * creates the cpuset (a rebind is a new cpuset, so a new block: copy-update) and never written again until
 * the page is freed (poisoned). nodes[] is mems_allowed in ascending node order; the walk for home node h
 * starts at start[h] (the first allowed node >= h, cyclic) and wraps: the ring order of the `alloc` walk,
 * filtered in advance. serial is stored last (release): a reader that finds it equal before and after the
 * copy, and equal to the serial it read from the cpuset, copied the list built for that cpuset.
 */
struct h_zonelist {
    uint64_t serial;         /* the cpuset it was built for */
    uint64_t mems;
    uint32_t n;              /* nodes in the list */
    uint32_t pad_;
    uint8_t nodes[H_MAX_NODES];
    uint8_t start[H_MAX_NODES];
};
_Static_assert(sizeof(struct h_zonelist) <= H_PAGE_SIZE, "a zonelist block fits a page");
/* Object debugging: where a cpuset is in its life (debugobjects' states). */
enum h_obj_state { H_OBJ_FREE = 0, H_OBJ_ALLOCATED, H_OBJ_LIVE, H_OBJ_QUEUED };

/* The engine's part of a cpuset, kept in the engine's mapping (one per slab object: h_cs_priv), out of the
 * scheme's reach; the object's own tail (engine_private_) is a redzone. */
struct h_cpuset_priv {
    uint64_t retired_at;     /* grace periods completed + 1 when handed to call_rcu; 0 while live */
    uint64_t serial;         /* what the engine created it as: its truth, whatever the scheme wrote */
    uint64_t mems;
    uint16_t state;          /* enum h_obj_state */
    uint16_t free_next;      /* slab free list: object index + 1 */
    uint32_t zonelist;       /* alloc-subset: page index + 1 of its zonelist block (kept after a free: a
                              * typesafe reader of a recycled object may still find the retired block) */
};
_Static_assert(sizeof(struct h_cpuset) == H_CPUSET_SIZE, "cpuset size");

/* struct page: descriptors live apart from page data, so poisoning data never breaks the free lists. */
struct h_page {
    uint64_t next_free;      /* page allocator free list: page index + 1 */
    uint64_t retired_at;     /* slab page waiting for a grace period: gp_completed + 1 when queued */
    uint16_t node;
    uint16_t state;          /* enum h_page_state */
    uint16_t inuse;          /* slab: allocated objects */
    uint16_t free_head;      /* slab: first free object, index + 1 */
    uint32_t partial_next;   /* slab partial list: page index + 1 */
    uint32_t partial_prev;
} H_ALIGNED;
_Static_assert(sizeof(struct h_page) == 64, "a page descriptor is one cache line");

struct h_node {
    uint64_t head;           /* Treiber stack: (ABA tag << 32) | (page index + 1) */
    uint64_t nfree;
} H_ALIGNED;

/* A task's attach history (the engine's, beside the task in the world): (serial << 16 | gen) and the
 * serial's nodemask, per generation. */
struct h_task_rec {
    uint64_t attach_gen;     /* bumped (release) before each publish */
    uint64_t attach_log[H_ATTACH_LOG];
    uint64_t attach_mems[H_ATTACH_LOG];
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

#define H_MAX_CLAIMS 8   /* objects one reader may hold h_protect claims on at once */

/* A reader's claims (h_protect): written by their owner, scanned by whoever frees or queues a cpuset. */
struct h_claims {
    h_off obj[H_MAX_CLAIMS];   /* 0: an empty entry */
} H_ALIGNED;

struct h_worker {
    struct h_claims claims;
    struct h_litmus_line litmus;
    int32_t slot_cpu;        /* shadows of what the engine wrote into the world's slot: cpu... */
    int32_t slot_dead;       /* ...and dead */
    uint64_t segv_off;       /* a fatal stray access: its address less ctx->base (integrity.c)... */
    int32_t segv_write;      /* ...0 unknown, 1 a read, 2 a write... */
    int32_t segv_where;      /* ...and which guard it hit (0: none recorded) */
    uint64_t ops_ended H_ALIGNED;   /* torture: operations it ended with nothing open (own_gp.c); own line */
    struct h_worker_stats stats H_ALIGNED;
    uint64_t flight_pos H_ALIGNED;
    struct h_flight_event flight[H_FLIGHT_EVENTS];
} H_ALIGNED;

struct h_word { uint64_t v; } H_ALIGNED;   /* a hot word on its own cache line */

/*
 * Two mappings of one memfd. The world is what ctx->base points into, all a scheme may touch: this header
 * (at world offset one page: offset 0 to there is a PROT_NONE guard, so h_off 0 "none" and a small offset
 * from ctx->base fault), the page rcu heads, and the simulated pages, each behind a redzone. The engine's
 * mapping (struct h_arena: params, control words, the verdict's counts, grace-period clock, recorders, page
 * descriptors, attach logs, shadows) is placed by each process at its own random distance past the world,
 * with PROT_NONE between: no offset from ctx->base names it. A write into a guard page kills the writer
 * (SIGSEGV, a crash the verdict names); a write into a redzone is out-of-bounds; a write through the
 * context's own pointers that the engine's shadows do not expect is engine-corrupted.
 */
struct h_task_line { struct h_task t; } H_ALIGNED;

struct h_world {
    struct h_word gp_ctr;            /* read by every reader at lock / quiescent state (shadow: gp_ctr_shadow) */
    int32_t gp_futex H_ALIGNED;      /* -1 while a grace-period waiter sleeps */
    struct h_word number_of_cpusets; /* the "cpusets have been used" short-circuit reads this */
    unsigned char scheme_shared[H_SCHEME_SHARED_MAX] H_ALIGNED;
    struct h_task_line tasks[H_MAX_WORKERS];
    struct h_rcu_slot slots[H_MAX_WORKERS];
};

#define H_REDZONE 64                 /* before every simulated page, and after the last */
#define H_PAGE_STRIDE (H_PAGE_SIZE + H_REDZONE)
#define H_REDZONE_BYTE 0xbb          /* SLUB_RED_INACTIVE */
#define H_REDZONE_WORD 0xbbbbbbbbbbbbbbbbULL
#define H_OBJ_REDZONE (H_CPUSET_SIZE - offsetof(struct h_cpuset, engine_private_))   /* a cpuset's tail */

/* Process-local, in a private page just below the engine's mapping: where this process put the world (the
 * start of its reservation), and the engine header's fixed part (sizes, layout, params) as it was mapped,
 * which a stray write through ctx->arena cannot change for the orchestrator (arena.c puts it back). */
struct h_local {
    char *world;
    const struct harness_scheme *ops;   /* the arena's scheme, in this process's build (h_arena_map) */
    size_t reservation_size;
    unsigned char header[1024];
};
extern uint64_t h_sys_page;   /* the system's page size, this process's (set when it maps an arena) */

struct h_arena {
    uint64_t magic;
    uint64_t size;           /* bytes of the engine's mapping (memfd offset 0) */
    uint64_t world_size;     /* bytes of the world's mapping (memfd offset `size`), from world offset page_size */
    uint64_t page_size;
    struct h_params params;
    uint64_t pages_desc;     /* struct h_page[npages]: offset in the engine's mapping */
    uint64_t cs_privs;       /* struct h_cpuset_priv[npages * H_OBJS_PER_SLAB]: offset in the engine's mapping */
    h_off page_heads;        /* struct h_rcu_head[npages]: world offset (a page's call_rcu head) */
    h_off pages_data;        /* world offset of page 0; page i at pages_data + i * H_PAGE_STRIDE, redzones between */
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
    uint32_t reclaimer_phase H_ALIGNED;
    uint64_t reclaimer_heartbeat;
    struct h_fault fault;
    uint32_t shuffle_seq H_ALIGNED;  /* odd while the orchestrator moves workers between CPUs */
    uint32_t litmus_gen H_ALIGNED;   /* membarrier self-test: trial the readers may start */
    uint32_t litmus_trials;
    uint32_t litmus_acked H_ALIGNED; /* readers done with trials so far (futex word) */
    uint32_t litmus_y H_ALIGNED;     /* the updater's flag */

    /* RCU */
    struct h_word gp_ctr_shadow;     /* what the engine last wrote to the world's gp_ctr */
    struct h_word gp_started;        /* grace periods begun: the engine's clock, around the scheme's sync */
    struct h_word gp_completed;      /* grace periods completed: the pipe-count clock */
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
    uint32_t cpuset_mutex H_ALIGNED; /* writers' structural changes (the kernel's cpuset mutex) */
    uint64_t number_of_cpusets_shadow;   /* what the engine last wrote to the world's number_of_cpusets */
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

    /* the verdict: counted here, from every context */
    uint64_t violations H_ALIGNED;
    uint64_t violations_by_kind[H_NVIOLATIONS];
    uint64_t violations_outside[H_NVIOLATIONS];
    uint32_t claims_used;            /* set by the first h_protect: frees scan the claim tables from then on */
    uint64_t frees;                  /* cpusets freed so far (the shared-memory amplifier waits for the next) */
    uint32_t first_claimed;
    uint32_t flight_frozen;
    struct h_violation first;
    uint64_t run_start_ns;
    uint64_t reclaimer_flight_pos;   /* the reclaimer's flight recorder (grace periods, callbacks) */
    struct h_flight_event reclaimer_flight[H_RECLAIMER_FLIGHT_EVENTS];   /* a batch of frees per grace period */

    struct h_node nodes[H_MAX_NODES];
    struct h_task_rec tasks[H_MAX_WORKERS];
    struct h_worker workers[H_MAX_WORKERS];
};
#define H_HEADER_BYTES offsetof(struct h_arena, cmd_gen)   /* written once, at creation */
_Static_assert(H_HEADER_BYTES <= sizeof(((struct h_local *)0)->header), "the header copy fits");

/* ---------------------------------------------------------------- the engine's per-process context */

struct h_ectx {
    struct h_ctx c;              /* what a scheme sees; first, so a scheme's ctx is ours */
    struct h_worker *self;       /* NULL for the reclaimer and the orchestrator */
    int role;                    /* H_ROLE_READER / H_ROLE_WRITER, or -1 */
    int cpu;                     /* CPU assigned */
    int home_node;
    uint64_t chunk_ns;           /* time of the current chunk, ns since run start */
    uint64_t read_start_ns;      /* torture: when the current read began, ns since run start */
    uint64_t stamp_ns, stamp_ticks;   /* torture: the stamp clock's anchor (h_stamp_sync: ns since run start)... */
    uint64_t stamp_base_ns, stamp_base_ticks, stamp_q32;   /* ...its first (absolute ns), its rate (ns per tick << 32, 0: not yet) */
    uint64_t near_misses;
    uint64_t delays;
    uint64_t pages_allocated;
    uint64_t alloc_failures;
    uint64_t unverified;
    uint64_t zonelist_torn;      /* alloc-subset: snapshots acted on with a torn or stale zonelist */
    uint32_t zl_tag;             /* alloc-subset: the last copy of a zonelist (h_zonelist_read)... */
    uint32_t zl_n;               /* ...its nodes (0: no list), */
    uint32_t zl_start;           /* ...where the home node's walk starts, */
    uint8_t zl[H_MAX_NODES];     /* ...and the cpuset's nodes, ascending; the walk wraps */
    uint64_t page_serial;
    uint32_t held_pos;
    uint64_t held[H_HELD_PAGES];        /* page index + 1 */
    uint64_t held_stamp[H_HELD_PAGES];
    /* torture-mode bookkeeping: what protects this context's accesses right now */
    int nesting;                 /* open h_rcu_read_lock levels */
    int sections;                /* open read-side sections of the scheme's own (h_read_section_enter) */
    int claims;                  /* entries this reader holds in its claim table (h_protect) */
    uint64_t read_gen0;          /* torture: the task's attach generation when the current read began */
    int outlasted;               /* waited out a grace period at the scheme's shared memory: hold the next section */
    int refs;                    /* references taken (and not dropped) by this reader */
    int locks;                   /* spinlocks held */
    int owner;                   /* a writer holding the cpuset mutex, or the reclaimer: owns what it touches */
    int in_gp;                   /* inside h_synchronize_rcu: a nested call means the arena's own wait */
    int gp_watch;                /* inside the scheme's own .synchronize, not yet reported stuck (own_gp.c)... */
    uint32_t gp_polls;           /* ...its accesses to the scheme's memory since the last progress check, */
    int gp_rounds;               /* ...rounds in which every other worker ended H_OWN_GP_OPS operations, */
    uint64_t gp_seen[H_MAX_WORKERS];   /* ...and each worker's ops_ended when the current round began */
    int in_call_rcu;             /* inside the scheme's .call_rcu: h_call_rcu means the arena's queue */
    int op;                      /* H_OP_*: the engine call running now (a violation's record names it) */
    int verified;                /* the last snapshot's serial was found in the attach log... */
    uint64_t verified_mems;      /* ...with this nodemask */
    uint32_t access_delay_threshold;
    uint32_t access_delay_max_ns;
};

static inline struct h_ectx *E(struct h_ctx *c) { return (struct h_ectx *)c; }
static inline struct h_local *h_local(const struct h_arena *a) { return (struct h_local *)((char *)a - h_sys_page); }
static inline struct h_world *h_world(const struct h_arena *a) { return (struct h_world *)(h_local(a)->world + h_sys_page); }
static inline struct h_world *W(const struct h_ctx *ctx) { return h_world(ctx->arena); }
static inline int h_task_index(const struct h_ctx *ctx, const struct h_task *t)
{
    return (int)((const struct h_task_line *)(const void *)t - W(ctx)->tasks);
}
static inline struct h_task_rec *task_rec(const struct h_ctx *ctx, const struct h_task *t)
{
    return &ctx->arena->tasks[h_task_index(ctx, t)];
}

/* Enter an engine call (H_OP_*) for the violation record; returns the call it was inside, to restore. */
static inline int h_op_enter(struct h_ctx *ctx, int op)
{
    int outer = E(ctx)->op;
    E(ctx)->op = op;
    return outer;
}

/* ---------------------------------------------------------------- base.c */

int h_futex_wait(uint32_t *word, uint32_t expected, int timeout_ms);
void h_futex_wake(uint32_t *word, int n);
void h_mutex_lock(uint32_t *m);
void h_mutex_unlock(uint32_t *m);
int h_hist_bucket(uint64_t ns);
void h_heartbeat(struct h_ectx *e, int phase);
void h_wait_gp_completed(struct h_arena *a, uint64_t gp, uint64_t max_ns);
void h_torture_enable(struct h_ectx *e);   /* h_torture_ctx() is this context from now on (checks on) */

/* The amplifier at every checkpoint: rarely, a short stall, so windows the author did not think of open. */
static inline __attribute__((always_inline)) void h_maybe_delay(struct h_ectx *e)
{
    if (e->access_delay_threshold && unlikely((uint32_t)h_random(&e->c) < e->access_delay_threshold))
        h_delay_ns(&e->c, h_random(&e->c) % ((uint64_t)e->access_delay_max_ns + 1));   /* 64-bit: max may be UINT32_MAX */
}

/* The slot's section count turns odd when this context enters its first section of any kind (RCU's or the
 * scheme's own) and even when it leaves its last: the grace-period check reads it. Release: the scheme's
 * announcement (the RCU slot store, or its own) comes first, so a grace period that sees the odd count
 * started after the announcement and must wait for this reader; on leaving, the section's loads come first. */
static inline void h_section_mark(struct h_ctx *ctx)
{
    smp_store_release(&ctx->slot->read_sections, READ_ONCE(ctx->slot->read_sections) + 1);
}

/*
 * The per-read stamps of torture mode (a read's start and end, for the flight recorder and the violation
 * record): the CPU's tick counter, scaled to CLOCK_MONOTONIC ns since run start from the last anchor, which
 * the reader sets at every chunk (h_stamp_sync). A tick read costs half of clock_gettime's vDSO call (7.5
 * against 16 ns here), and a read takes two. The rate is measured over the run so far (at least
 * H_STAMP_CALIBRATE_NS), so a stamp strays from the clock by a few ns within a chunk; until then, and where
 * there is no counter, the clock.
 */
#define H_STAMP_CALIBRATE_NS 10000000ULL
static inline uint64_t h_ticks(void)
{
#if defined(__x86_64__) || defined(__i386__)
    return __builtin_ia32_rdtsc();   /* invariant TSC: the rate is constant and the CPUs agree */
#elif defined(__aarch64__)
    uint64_t t;
    __asm__ __volatile__("isb; mrs %0, cntvct_el0" : "=r"(t));
    return t;
#else
    return 0;
#endif
}
uint64_t h_stamp_sync(struct h_ectx *e, uint64_t run_start_ns);
static inline uint64_t h_stamp_ns(struct h_ectx *e)
{
    if (!e->stamp_q32)
        return h_now_ns() - READ_ONCE(e->c.arena->run_start_ns);
    return e->stamp_ns + (uint64_t)(((unsigned __int128)(h_ticks() - e->stamp_ticks) * e->stamp_q32) >> 32);
}

/* One flight-recorder entry: a worker's own ring, or the reclaimer's (the orchestrator keeps none). Stops
 * once the first violation froze every ring. t_ns is ns since run start. */
static inline void h_event_at(struct h_ctx *ctx, int kind, uint64_t a, uint64_t b, uint64_t t_ns, uint64_t dur_ns)
{
    struct h_worker *w = E(ctx)->self;
    struct h_arena *ar = ctx->arena;
    if (READ_ONCE(ar->flight_frozen) || (!w && ctx->worker != H_RECLAIMER))
        return;
    uint64_t *posp = w ? &w->flight_pos : &ar->reclaimer_flight_pos;
    uint64_t pos = *posp;
    struct h_flight_event *e = w ? &w->flight[pos % H_FLIGHT_EVENTS] : &ar->reclaimer_flight[pos % H_RECLAIMER_FLIGHT_EVENTS];
    e->t_ns = t_ns;
    e->dur_ns = dur_ns;
    e->a = a;
    e->b = b;
    e->cpu = w ? (unsigned)E(ctx)->cpu : ~0u;   /* the reclaimer is not pinned */
    e->kind = (unsigned short)kind;
    e->worker = (unsigned short)ctx->worker;
    WRITE_ONCE(*posp, pos + 1);
}

static inline void h_event(struct h_ctx *ctx, int kind, uint64_t a, uint64_t b)
{
    if (!READ_ONCE(ctx->arena->flight_frozen))
        h_event_at(ctx, kind, a, b, h_now_ns() - READ_ONCE(ctx->arena->run_start_ns), 0);
}

/* ---------------------------------------------------------------- arena.c */

void h_violation(struct h_ctx *ctx, int kind, h_off object, uint64_t serial, uint64_t detail);
static inline int h_ntasks(const struct h_params *p)
{
    return p->nworkers + 8 <= H_MAX_WORKERS ? p->nworkers + 8 : H_MAX_WORKERS;
}
void h_ctx_init(struct h_ectx *e, void *arena, int worker);

/* Where an address of the world lies among the simulated pages, and the engine's records of that page and
 * object. Inline: torture mode asks these at every checkpoint of every read. */
static inline struct h_page *h_page_desc(const struct h_ctx *ctx, uint64_t idx)
{
    return (struct h_page *)(void *)((char *)ctx->arena + ctx->arena->pages_desc) + idx;
}

static inline char *h_page_data(const struct h_ctx *ctx, uint64_t idx)
{
    return (char *)h_ptr(ctx, ctx->arena->pages_data) + idx * H_PAGE_STRIDE;
}

static inline uint64_t h_page_index(const struct h_ctx *ctx, const void *p)
{
    return (uint64_t)((const char *)p - (const char *)h_ptr(ctx, ctx->arena->pages_data)) / H_PAGE_STRIDE;
}

static inline struct h_page *h_page_of(const struct h_ctx *ctx, const void *p)
{
    return h_page_desc(ctx, h_page_index(ctx, p));
}

static inline struct h_cpuset_priv *h_cs_priv(const struct h_ctx *ctx, const struct h_cpuset *cs)
{
    uint64_t idx = h_page_index(ctx, cs);
    uint64_t obj = (uint64_t)((const char *)cs - h_page_data(ctx, idx)) / H_CPUSET_SIZE;
    return (struct h_cpuset_priv *)(void *)((char *)ctx->arena + ctx->arena->cs_privs) + idx * H_OBJS_PER_SLAB + obj;
}

/* Is p inside a simulated page (where cpusets and allocated pages live), not in a redzone? */
static inline int h_in_pages(const struct h_ctx *ctx, const void *p)
{
    uint64_t off = (uint64_t)((const char *)p - (const char *)h_ptr(ctx, ctx->arena->pages_data));
    return off < ctx->arena->npages * H_PAGE_STRIDE && off % H_PAGE_STRIDE < H_PAGE_SIZE;
}

/* Is the page holding p a cpuset slab page (live, or waiting for a grace period)? */
static inline int h_on_slab_page(const struct h_ctx *ctx, const void *p)
{
    if (!h_in_pages(ctx, p))
        return 0;
    uint32_t st = READ_ONCE(h_page_of(ctx, p)->state);
    return st == H_PAGE_SLAB || st == H_PAGE_SLAB_RCU;
}
struct h_cpuset *h_engine_create(struct h_ctx *ctx, uint64_t serial, uint64_t mems);
int64_t h_slab_free(struct h_ctx *ctx, struct h_cpuset *cs, int from_callback, uint64_t *zonelist);
void h_zonelist_release(struct h_ctx *ctx, struct h_page *pg);
struct h_rcu_head *h_page_head(const struct h_ctx *ctx, uint64_t idx);
uint64_t h_head_page(const struct h_ctx *ctx, const struct h_rcu_head *head);   /* page index, or npages: not one */
void h_redzone_check(struct h_ctx *ctx, uint64_t idx);   /* the page's two redzones and, on a slab page, its objects' */
void h_gp_shadow_check(struct h_ctx *ctx);     /* gp_ctr and the slot counters against the shadow; gp_lock held */
void h_world_shadow_check(struct h_ctx *ctx);  /* number_of_cpusets, slot cpu and dead; after a round */
int h_cpuset_attached(struct h_ctx *ctx, const struct h_cpuset *cs);
void h_release_page(struct h_ctx *ctx, struct h_page *pg);
void h_release_held_pages(struct h_ctx *ctx);
void h_log_attach(struct h_ctx *ctx, struct h_task *t, uint64_t serial, uint64_t mems);
int h_attached_between(struct h_task_rec *r, uint64_t lo, uint64_t g1, uint64_t serial, uint64_t *mems);
int h_attached_during_read(struct h_ctx *ctx, uint64_t serial);
/* the arena made and mapped for a scheme the registry resolved (registry.c's h_arena_create, h_arena_map) */
int h_arena_build(const struct h_params *p, const struct harness_scheme *ops, char *err, int errlen);
struct h_arena *h_arena_attach(int fd, char *err, int errlen);

/* ---------------------------------------------------------------- rcu.c */

void h_rcu_online(struct h_ctx *ctx);
void h_rcu_offline(struct h_ctx *ctx);
void h_engine_call_rcu(struct h_ctx *ctx, struct h_rcu_head *head, enum h_cb_kind kind);
int h_membarrier_register(char *err, int errlen);

/* ---------------------------------------------------------------- oracle.c, worker.c, fault.c, litmus.c */

void h_torture_end_of_op(struct h_ectx *e, int phase);
/* own_gp.c */
void h_own_gp_begin(struct h_ectx *e);
void h_own_gp_poll(struct h_ectx *e);
void h_own_gp_op_ended(struct h_ectx *e);
/* claims.c */
void h_claims_check(struct h_ctx *ctx, h_off off, uint64_t serial);
void h_claims_end_of_op(struct h_ectx *e);
void h_check_cpu(struct h_ctx *ctx);
void h_fault_check(struct h_ctx *ctx);
void h_litmus_reader(struct h_ctx *ctx);
void h_segv_watch(struct h_ectx *e);
/* registry.c */
const struct harness_scheme *h_scheme(int i);

/* ---------------------------------------------------------------- weak.c */

void h_weak_enable(struct h_ectx *e);
/* The engine's ordering points in weak mode: before engine code reads back what the scheme may have stored
 * (held stores out), and where a scheme's later loads must not be older than the engine's. */
static inline void h_weak_sync(int what)
{
    struct h_weak *w = h_weak_ctx();
    if (w)
        h_weak_fence(w, what);
}

#endif
