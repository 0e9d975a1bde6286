/*
 * arena.c - the shared world: creating and mapping the arena, the page allocator (NUMA-like nodes with
 * lock-free free lists and page poisoning), the cpuset slab (plain or TYPESAFE_BY_RCU) with object
 * debugging (every cpuset's state: free, allocated, live, queued for a grace period), and the initial
 * cpusets and tasks. Below RCU: an empty TYPESAFE_BY_RCU slab page is handed up (h_slab_free's result)
 * for rcu.c to retire after a grace period.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdio.h>
#include <sys/mman.h>
#include <sys/random.h>
#include <unistd.h>

#include "engine.h"

#define H_MAGIC 0x48524e53534e4152ULL

struct h_rcu_head *h_page_head(const struct h_ctx *ctx, uint64_t idx)
{
    return (struct h_rcu_head *)h_ptr(ctx, ctx->arena->page_heads) + idx;
}

uint64_t h_head_page(const struct h_ctx *ctx, const struct h_rcu_head *head)
{
    uint64_t idx = (uint64_t)(head - (const struct h_rcu_head *)h_ptr(ctx, ctx->arena->page_heads));
    return idx < ctx->arena->npages ? idx : ctx->arena->npages;
}

/* ---------------------------------------------------------------- redzones (KASAN's, in miniature) */

/* The first word of `bytes` at p that is not the redzone pattern, or -1. */
static int64_t redzone_damage(const char *p, size_t bytes)
{
    uint64_t diff = 0;   /* every word first, without a branch: torture mode checks two redzones per allocation */
    for (size_t i = 0; i < bytes; i += 8)
        diff |= READ_ONCE(*(const uint64_t *)(const void *)(p + i)) ^ H_REDZONE_WORD;
    if (likely(!diff))
        return -1;
    for (size_t i = 0; i < bytes; i += 8)
        if (READ_ONCE(*(const uint64_t *)(const void *)(p + i)) != H_REDZONE_WORD)
            return (int64_t)i;
    return -1;   /* repaired between the two looks: its writer is racing us; the next check finds what stays */
}

/* A damaged redzone is out-of-bounds once: the pattern goes back, so the next check finds only new damage. */
static void redzone_judge(struct h_ctx *ctx, char *p, size_t bytes)
{
    int64_t at = redzone_damage(p, bytes);
    if (at < 0)
        return;
    h_violation(ctx, H_V_OUT_OF_BOUNDS, h_offset(ctx, p + at), 0, READ_ONCE(*(uint64_t *)(void *)(p + at)));
    memset(p, H_REDZONE_BYTE, bytes);
}

/* A page's redzones (the one before it and the one after it) and, on a slab page, every object's tail. */
void h_redzone_check(struct h_ctx *ctx, uint64_t idx)
{
    char *data = h_page_data(ctx, idx);
    redzone_judge(ctx, data - H_REDZONE, H_REDZONE);
    redzone_judge(ctx, data + H_PAGE_SIZE, H_REDZONE);
    uint32_t st = READ_ONCE(h_page_desc(ctx, idx)->state);
    if (st == H_PAGE_SLAB || st == H_PAGE_SLAB_RCU)
        for (int i = 0; i < H_OBJS_PER_SLAB; i++)
            redzone_judge(ctx, data + i * H_CPUSET_SIZE + H_CPUSET_SIZE - H_OBJ_REDZONE, H_OBJ_REDZONE);
}

/*
 * The grace-period clock in the world against the engine's shadow, and each slot's ctr, which may only hold
 * 0 or a value gp_ctr has had. The caller holds gp_lock: gp_ctr cannot move under the check. A mismatch is
 * engine-corrupted once: the engine's value goes back.
 */
void h_gp_shadow_check(struct h_ctx *ctx)
{
    struct h_arena *a = ctx->arena;
    struct h_world *w = W(ctx);
    uint64_t gp = READ_ONCE(a->gp_ctr_shadow.v), v;
    if ((v = READ_ONCE(w->gp_ctr.v)) != gp) {
        h_violation(ctx, H_V_ENGINE_CORRUPTED, h_offset(ctx, &w->gp_ctr), 0, v);
        WRITE_ONCE(w->gp_ctr.v, gp);
    }
    for (int i = 0; i < a->params.nworkers; i++) {
        struct h_rcu_slot *s = &w->slots[i];
        if ((v = READ_ONCE(s->ctr)) > gp) {   /* a reader stores 0 or a gp_ctr it read: never beyond it */
            h_violation(ctx, H_V_ENGINE_CORRUPTED, h_offset(ctx, &s->ctr), 0, v);
            smp_store_release(&s->ctr, 0);
        }
    }
}

/* The rest of what only the engine writes in the world (number_of_cpusets, each slot's cpu and dead), once
 * no writer, shuffle or release can be moving it: after a round. */
void h_world_shadow_check(struct h_ctx *ctx)
{
    struct h_arena *a = ctx->arena;
    struct h_world *w = W(ctx);
    uint64_t v;
    if ((v = READ_ONCE(w->number_of_cpusets.v)) != a->number_of_cpusets_shadow) {
        h_violation(ctx, H_V_ENGINE_CORRUPTED, h_offset(ctx, &w->number_of_cpusets), 0, v);
        WRITE_ONCE(w->number_of_cpusets.v, a->number_of_cpusets_shadow);
    }
    for (int i = 0; i < a->params.nworkers; i++) {
        struct h_rcu_slot *s = &w->slots[i];
        if (READ_ONCE(s->cpu) != a->workers[i].slot_cpu || READ_ONCE(s->dead) != a->workers[i].slot_dead) {
            h_violation(ctx, H_V_ENGINE_CORRUPTED, h_offset(ctx, &s->cpu), 0, (uint64_t)(uint32_t)READ_ONCE(s->cpu));
            WRITE_ONCE(s->cpu, a->workers[i].slot_cpu);
            WRITE_ONCE(s->dead, a->workers[i].slot_dead);
        }
    }
}

/* ---------------------------------------------------------------- page allocator */

/* Pop a page from a node's Treiber stack. The ABA tag in the high half makes a stale head fail the CAS. */
static int64_t page_alloc_node(struct h_ctx *ctx, int node)
{
    struct h_node *n = &ctx->arena->nodes[node];
    uint64_t head = smp_load_acquire(&n->head);
    for (;;) {
        uint64_t idx1 = head & 0xffffffffu;
        if (!idx1)
            return -1;
        uint64_t next = READ_ONCE(h_page_desc(ctx, idx1 - 1)->next_free);
        uint64_t new_head = (((head >> 32) + 1) << 32) | next;
        if (cmpxchg_weak(&n->head, &head, new_head))
            break;
    }
    atomic_fetch_sub_explicit(H_ATOMIC(&n->nfree), 1, memory_order_relaxed);
    return (int64_t)((head & 0xffffffffu) - 1);
}

/* Give a page back. Poison first (a page the engine poisons has its redzones checked first): the release
 * CAS publishes the poison with the page. */
static void page_free(struct h_ctx *ctx, uint64_t idx, int poison)
{
    struct h_page *pg = h_page_desc(ctx, idx);
    struct h_node *n = &ctx->arena->nodes[pg->node];
    if (poison) {
        h_redzone_check(ctx, idx);
        memset(h_page_data(ctx, idx), H_POISON_BYTE, H_PAGE_SIZE);
    }
    WRITE_ONCE(pg->state, H_PAGE_FREE);
    uint64_t head = READ_ONCE(n->head);
    do {
        WRITE_ONCE(pg->next_free, head & 0xffffffffu);
    } while (!cmpxchg_weak(&n->head, &head, (((head >> 32) + 1) << 32) | (idx + 1)));
    atomic_inc_relaxed(&n->nfree);
}

static int64_t page_alloc_any(struct h_ctx *ctx)
{
    int nnodes = ctx->arena->params.nnodes;
    for (int i = 0; i < nnodes; i++) {
        int64_t idx = page_alloc_node(ctx, (E(ctx)->home_node + i) % nnodes);
        if (idx >= 0)
            return idx;
    }
    return -1;
}

/* Arena exhaustion: take every page that is free right now and hold it (a chain through next_free). */
long long h_fault_hog_pages(void *arena)
{
    struct h_ectx e;
    h_ctx_init(&e, arena, H_ORCHESTRATOR);
    struct h_arena *a = e.c.arena;
    long long n = 0;
    for (int64_t idx; (idx = page_alloc_any(&e.c)) >= 0; n++) {
        h_page_desc(&e.c, (uint64_t)idx)->next_free = a->hog_head;
        a->hog_head = (uint64_t)idx + 1;
    }
    a->hog_pages += (uint64_t)n;
    return n;
}

long long h_fault_release_hog(void *arena)
{
    struct h_ectx e;
    h_ctx_init(&e, arena, H_ORCHESTRATOR);
    struct h_arena *a = e.c.arena;
    long long n = 0;
    while (a->hog_head) {
        uint64_t idx = a->hog_head - 1;
        a->hog_head = h_page_desc(&e.c, idx)->next_free;
        page_free(&e.c, idx, 1);
        n++;
    }
    a->hog_pages = 0;
    return n;
}

void h_release_page(struct h_ctx *ctx, struct h_page *pg)
{
    struct h_arena *a = ctx->arena;
    uint64_t idx = (uint64_t)(pg - h_page_desc(ctx, 0));
    h_spin_lock(&a->slab_lock);
    a->slab_pages--;
    a->slab_pages_rcu--;
    h_spin_unlock(&a->slab_lock);
    h_event(ctx, H_EV_PAGE_RELEASE, idx, READ_ONCE(a->gp_completed.v));
    page_free(ctx, idx, 1);
}

/* A reader's page wrote only its stamp (words 0 and 1) over poison: putting those back restores the page to
 * all poison, as a full memset would, at the cost of two stores. A stray write elsewhere in it (a stale
 * refcount or lock taken through a dead cpuset) stays, for the next allocation's poison check to find. */
static void user_page_free(struct h_ctx *ctx, uint64_t idx)
{
    uint64_t *data = (uint64_t *)h_page_data(ctx, idx);
    WRITE_ONCE(data[0], 0x6b6b6b6b6b6b6b6bULL);
    WRITE_ONCE(data[1], 0x6b6b6b6b6b6b6b6bULL);
    page_free(ctx, idx, 0);
}

/*
 * The allocation fastpath's tail: walk the zonelist from the local node, take a page from the first node
 * the observed mems_allowed allows, stamp it as ours, and free the oldest page we hold. With checks on, the
 * page's node must be allowed by the cpuset that was really attached to the task while the allocation
 * decided (the nodemask the engine logged for the serial the reader verified), not merely by the nodemask
 * the scheme handed over: a scheme that hands over a stale or mixed nodemask allocates where it may not.
 */
static inline __attribute__((always_inline)) int64_t walk_filtered(struct h_ctx *ctx, uint64_t mems)
{
    int nnodes = ctx->arena->params.nnodes;
    int64_t idx = -1;
    for (int i = 0; i < nnodes && idx < 0; i++) {
        int node = (E(ctx)->home_node + i) % nnodes;
        if (mems >> node & 1)
            idx = page_alloc_node(ctx, node);
    }
    return idx;
}

static inline __attribute__((always_inline)) void alloc_tail(struct h_ctx *ctx, int64_t idx, const int checks);

void h_alloc_page(struct h_ctx *ctx, uint64_t mems, const int checks)
{
    alloc_tail(ctx, walk_filtered(ctx, mems), checks);
}

/*
 * alloc-subset: walk the cpuset's subset zonelist the reader copied (h_zonelist_read), from its home
 * node's starting point, and take a page from the first node in it with one free: no per-node
 * mems_allowed test, the list holds only allowed nodes. The oracle is the one of h_alloc_page: the page's
 * node against the nodemask the engine logged for the serial the reader verified, so a stale or torn list
 * that sends the walk to a node outside it is bad-node. A reader that read no cpuset (the seqcount copy,
 * the number_of_cpusets short-circuit) has no list: its walk is filtered by the snapshot's mems, as alloc's.
 */
void h_alloc_page_subset(struct h_ctx *ctx, const struct h_snap *snap, const int checks)
{
    struct h_ectx *e = E(ctx);
    uint32_t n = e->zl_n;
    if (!snap->zl_tag || snap->zl_tag != e->zl_tag || !n) {   /* no list copied for this snapshot */
        alloc_tail(ctx, walk_filtered(ctx, snap->mems), checks);
        return;
    }
    unsigned nnodes = (unsigned)ctx->arena->params.nnodes;
    int64_t idx = -1;
    uint32_t k = e->zl_start;
    for (uint32_t i = 0; i < n && idx < 0; i++) {
        unsigned node = e->zl[k];
        if (++k == n)
            k = 0;
        if (unlikely(node >= nnodes))   /* garbage (a list read from a page that is not one): no page */
            break;
        idx = page_alloc_node(ctx, (int)node);
    }
    alloc_tail(ctx, idx, checks);
}

static inline __attribute__((always_inline)) void alloc_tail(struct h_ctx *ctx, int64_t idx, const int checks)
{
    struct h_ectx *e = E(ctx);
    if (idx < 0) {
        e->alloc_failures++;
        return;
    }
    struct h_page *pg = h_page_desc(ctx, (uint64_t)idx);
    uint64_t *data = (uint64_t *)h_page_data(ctx, (uint64_t)idx);
    if (checks) {
        h_redzone_check(ctx, (uint64_t)idx);
        if (e->verified && !(e->verified_mems >> pg->node & 1))
            h_violation(ctx, H_V_BAD_NODE, h_offset(ctx, data), 0, pg->node);
        /* A free page must still be all poison where a cpuset reader could have written (refcount, lock). */
        for (int k = 0; k < H_OBJS_PER_SLAB; k++)
            if (READ_ONCE(data[k * (H_CPUSET_SIZE / 8) + 1]) != 0x6b6b6b6b6b6b6b6bULL)
                h_violation(ctx, H_V_USE_AFTER_FREE, h_offset(ctx, data), 0, READ_ONCE(data[k * (H_CPUSET_SIZE / 8) + 1]));
    }
    WRITE_ONCE(pg->state, H_PAGE_USER);
    uint64_t stamp = ((uint64_t)ctx->worker << 48) | ++e->page_serial;
    WRITE_ONCE(data[0], H_PAGE_STAMP | (uint64_t)H_PAGE_STAMP << 32);
    WRITE_ONCE(data[1], stamp);
    e->pages_allocated++;

    uint32_t slot = e->held_pos;
    uint64_t old = e->held[slot], old_stamp = e->held_stamp[slot];
    e->held[slot] = (uint64_t)idx + 1;
    e->held_stamp[slot] = stamp;
    e->held_pos = (slot + 1) % H_HELD_PAGES;
    if (old) {
        uint64_t *od = (uint64_t *)h_page_data(ctx, old - 1);
        if (checks && READ_ONCE(od[1]) != old_stamp)   /* someone wrote into a page we own */
            h_violation(ctx, H_V_FOREIGN, h_offset(ctx, od), 0, READ_ONCE(od[1]));
        user_page_free(ctx, old - 1);
    }
}

void h_release_held_pages(struct h_ctx *ctx)
{
    struct h_ectx *e = E(ctx);
    for (int i = 0; i < H_HELD_PAGES; i++) {
        if (e->held[i])
            user_page_free(ctx, e->held[i] - 1);
        e->held[i] = 0;
    }
}

/* ---------------------------------------------------------------- cpuset slab */

static struct h_cpuset *slab_object(struct h_ctx *ctx, uint64_t page, uint32_t i)
{
    return (struct h_cpuset *)(h_page_data(ctx, page) + (size_t)i * H_CPUSET_SIZE);
}

static void partial_unlink(struct h_ctx *ctx, uint64_t idx)
{
    struct h_arena *a = ctx->arena;
    struct h_page *pg = h_page_desc(ctx, idx);
    if (pg->partial_prev)
        h_page_desc(ctx, pg->partial_prev - 1)->partial_next = pg->partial_next;
    else
        a->slab_partial = pg->partial_next;
    if (pg->partial_next)
        h_page_desc(ctx, pg->partial_next - 1)->partial_prev = pg->partial_prev;
    pg->partial_next = pg->partial_prev = 0;
}

static void partial_push(struct h_ctx *ctx, uint64_t idx)
{
    struct h_arena *a = ctx->arena;
    struct h_page *pg = h_page_desc(ctx, idx);
    pg->partial_prev = 0;
    pg->partial_next = a->slab_partial;
    if (a->slab_partial)
        h_page_desc(ctx, a->slab_partial - 1)->partial_prev = (uint32_t)idx + 1;
    a->slab_partial = (uint32_t)idx + 1;
}

/* The slab constructor: runs once when a page becomes a slab page, never per allocation. */
static void slab_construct(struct h_ctx *ctx, uint64_t idx)
{
    struct h_page *pg = h_page_desc(ctx, idx);
    h_redzone_check(ctx, idx);
    memset(h_page_data(ctx, idx), 0, H_PAGE_SIZE);
    for (uint32_t i = 0; i < H_OBJS_PER_SLAB; i++) {
        struct h_cpuset *cs = slab_object(ctx, idx, i);
        memset(cs->engine_private_, H_REDZONE_BYTE, H_OBJ_REDZONE);
        cs->type = H_CPUSET_TYPE;
        cs->seq = 1;
        h_cs_priv(ctx, cs)->state = H_OBJ_FREE;
        h_cs_priv(ctx, cs)->free_next = i + 2 <= H_OBJS_PER_SLAB ? i + 2 : 0;
    }
    pg->free_head = 1;
    pg->inuse = 0;
    WRITE_ONCE(pg->state, H_PAGE_SLAB);
    partial_push(ctx, idx);
    ctx->arena->slab_pages++;
}

struct h_cpuset *h_cpuset_alloc(struct h_ctx *ctx)
{
    struct h_arena *a = ctx->arena;
    h_weak_sync(H_WF_DRAIN);
    h_spin_lock(&a->slab_lock);
    if (!a->slab_partial) {
        int64_t idx = page_alloc_any(ctx);
        if (idx < 0) {
            h_spin_unlock(&a->slab_lock);
            return NULL;
        }
        slab_construct(ctx, (uint64_t)idx);
    }
    uint64_t idx = a->slab_partial - 1;
    struct h_page *pg = h_page_desc(ctx, idx);
    h_redzone_check(ctx, idx);   /* the slab lock held: no other allocation or free judges it at once */
    struct h_cpuset *cs = slab_object(ctx, idx, pg->free_head - 1);
    pg->free_head = (uint16_t)h_cs_priv(ctx, cs)->free_next;
    pg->inuse++;
    a->slab_objects++;
    if (!pg->free_head)
        partial_unlink(ctx, idx);
    WRITE_ONCE(h_cs_priv(ctx, cs)->state, H_OBJ_ALLOCATED);
    h_spin_unlock(&a->slab_lock);
    h_weak_sync(H_WF_FORGET);   /* the slab constructor's stores: the scheme's next loads see them */
    /* No reference may be held on a free object: a refcount here means a reader resurrected it. */
    uint32_t ref = READ_ONCE(cs->refcount);
    if (ref)
        h_violation(ctx, H_V_REFCOUNT, h_offset(ctx, cs), h_cs_priv(ctx, cs)->serial, ref);
    return cs;
}

/*
 * alloc-subset: build a cpuset's zonelist block in a fresh page (see struct h_zonelist). Returns its page
 * index + 1, or 0 when the arena has no page (the cpuset then has no list; readers walk filtered by mems).
 */
static uint32_t zonelist_build(struct h_ctx *ctx, uint64_t serial, uint64_t mems)
{
    int64_t idx = page_alloc_any(ctx);
    if (idx < 0)
        return 0;
    struct h_zonelist *z = (struct h_zonelist *)(void *)h_page_data(ctx, (uint64_t)idx);
    int nnodes = ctx->arena->params.nnodes;
    uint32_t n = 0;
    for (int node = 0; node < nnodes; node++)
        if (mems >> node & 1)
            z->nodes[n++] = (uint8_t)node;
    for (int home = 0, k = 0; home < nnodes; home++) {
        while (k < (int)n && z->nodes[k] < home)
            k++;
        z->start[home] = (uint8_t)(k < (int)n ? k : 0);   /* first allowed node >= home, else wrap to the first */
    }
    z->n = n;
    z->mems = mems;
    WRITE_ONCE(h_page_desc(ctx, (uint64_t)idx)->state, H_PAGE_ZONELIST);
    smp_store_release(&z->serial, serial);   /* the list before its serial */
    return (uint32_t)idx + 1;
}

/* A zonelist block's grace period is over (or it never needed one): back to the page allocator, poisoned. */
void h_zonelist_release(struct h_ctx *ctx, struct h_page *pg)
{
    uint64_t idx = (uint64_t)(pg - h_page_desc(ctx, 0));
    h_event(ctx, H_EV_PAGE_RELEASE, idx, READ_ONCE(ctx->arena->gp_completed.v));
    page_free(ctx, idx, 1);
}

void h_cpuset_init(struct h_ctx *ctx, struct h_cpuset *cs, uint64_t serial, uint64_t mems)
{
    struct h_weak *w = h_weak_ctx();
    if (w)
        h_weak_fence(w, H_WF_DRAIN);   /* before the engine reads the object back */
    if (ctx->arena->params.workload == H_WORKLOAD_ALLOC_SUBSET)   /* before the object is seen live */
        WRITE_ONCE(h_cs_priv(ctx, cs)->zonelist, zonelist_build(ctx, serial, mems));
    WRITE_ONCE(cs->serial, serial);
    WRITE_ONCE(cs->mems_allowed, mems);
    WRITE_ONCE(h_cs_priv(ctx, cs)->retired_at, 0);
    WRITE_ONCE(h_cs_priv(ctx, cs)->state, H_OBJ_LIVE);
    uint32_t seq = READ_ONCE(cs->seq) + 1;
    /* Fields before the refcount (release), refcount before the even sequence (release): a reader that
     * takes a reference or sees the object live also sees it initialised. In weak mode the payload and
     * those two release stores wait in this process's store buffer (nobody in it reads them back before
     * the next drain; the scheme may read serial and mems, which go to memory now), so that a publish
     * without release can reach readers before the initialisation does. */
    if (w) {
        for (int i = 0; i < 4; i++)
            h_weak_store(w, &cs->payload[i], h_payload(serial, mems, i), 8, 0);
        h_weak_store(w, &cs->refcount, 1, 4, 1);
        h_weak_store(w, &cs->seq, seq, 4, 1);
        h_weak_fence(w, H_WF_FORGET);   /* serial and mems, stored directly: the scheme's next loads see them */
        return;
    }
    for (int i = 0; i < 4; i++)
        WRITE_ONCE(cs->payload[i], h_payload(serial, mems, i));
    smp_store_release(&cs->refcount, 1);
    smp_store_release(&cs->seq, seq);
}

struct h_cpuset *h_cpuset_create(struct h_ctx *ctx, uint64_t serial, uint64_t mems)
{
    struct h_cpuset *cs = h_cpuset_alloc(ctx);
    if (cs)
        h_cpuset_init(ctx, cs, serial, mems);
    return cs;
}

/* Does any task still point at cs? (Writers change task->cpuset under the cpuset mutex; a free that races
 * with a publish of this very object is itself the bug.) */
int h_cpuset_attached(struct h_ctx *ctx, const struct h_cpuset *cs)
{
    h_off off = h_offset(ctx, cs);
    struct h_arena *a = ctx->arena;
    for (int i = 0; i < h_ntasks(&a->params); i++)
        if (READ_ONCE(W(ctx)->tasks[i].t.cpuset) == off)
            return 1;
    return 0;
}

/*
 * Give a cpuset back to the slab, with object debugging: a free object freed again, an object freed while
 * its call_rcu is pending (unless this is that callback), or an object a task still points at are
 * violations with their own kinds; the first two are refused, so the slab's lists stay sound. Returns the
 * page index when the slab page became empty and must wait for a grace period (TYPESAFE_BY_RCU), else -1.
 */
int64_t h_slab_free(struct h_ctx *ctx, struct h_cpuset *cs, int from_callback, uint64_t *zonelist)
{
    *zonelist = 0;
    struct h_arena *a = ctx->arena;
    struct h_cpuset_priv *priv = h_cs_priv(ctx, cs);
    h_off off = h_offset(ctx, cs);
    uint32_t state = READ_ONCE(priv->state);
    if (state == H_OBJ_FREE || (state == H_OBJ_QUEUED && !from_callback)) {
        h_violation(ctx, H_V_DOUBLE_FREE, off, priv->serial, state);
        return -1;
    }
    if (h_cpuset_attached(ctx, cs))
        h_violation(ctx, H_V_FREE_WHILE_ATTACHED, off, priv->serial, 0);
    h_event(ctx, H_EV_FREE, priv->serial, off);
    if (!(ctx->ops->flags & H_SCHEME_REFCOUNT))
        WRITE_ONCE(cs->refcount, 0);
    WRITE_ONCE(priv->state, H_OBJ_FREE);
    WRITE_ONCE(cs->seq, READ_ONCE(cs->seq) | 1);   /* odd: free (an uninitialised object's is odd already) */
    smp_wmb();   /* the odd sequence is visible before any store of the object's next life */
    /* Its zonelist block goes with it, by the slab's rules: at once on a plain slab (no reader may still
     * hold the cpuset); on a TYPESAFE_BY_RCU slab the object may be reused at once while a reader still
     * reads it, so its block waits for a grace period (the caller queues it). The index stays in the object
     * until its next life writes a new one: a reader of the recycled object finds the retired block. */
    uint32_t zl = READ_ONCE(priv->zonelist);
    if (zl) {
        if (ctx->ops->slab_mode == H_SLAB_TYPESAFE_BY_RCU)
            *zonelist = zl;
        else
            h_zonelist_release(ctx, h_page_desc(ctx, zl - 1));
    }

    uint64_t idx = h_page_index(ctx, cs);
    struct h_page *pg = h_page_desc(ctx, idx);
    h_spin_lock(&a->slab_lock);
    h_redzone_check(ctx, idx);
    uint32_t obj = (uint32_t)(((char *)cs - h_page_data(ctx, idx)) / H_CPUSET_SIZE);
    int was_full = pg->free_head == 0;
    priv->free_next = pg->free_head;
    pg->free_head = (uint16_t)(obj + 1);
    pg->inuse--;
    a->slab_objects--;
    if (!was_full)
        partial_unlink(ctx, idx);
    if (pg->inuse) {
        partial_push(ctx, idx);   /* LIFO: the next allocation reuses this object at once */
        h_spin_unlock(&a->slab_lock);
        return -1;
    }
    /* The slab page is empty: it goes back to the page allocator, at once or after a grace period. */
    if (ctx->ops->slab_mode == H_SLAB_TYPESAFE_BY_RCU) {
        WRITE_ONCE(pg->retired_at, READ_ONCE(a->gp_completed.v) + 1);
        WRITE_ONCE(pg->state, H_PAGE_SLAB_RCU);
        a->slab_pages_rcu++;
        h_spin_unlock(&a->slab_lock);
        return (int64_t)idx;
    }
    a->slab_pages--;
    h_spin_unlock(&a->slab_lock);
    h_event(ctx, H_EV_PAGE_RELEASE, idx, READ_ONCE(a->gp_completed.v));
    page_free(ctx, idx, 1);
    return -1;
}

/* ---------------------------------------------------------------- creating and mapping */

static uint64_t round_up(uint64_t n, uint64_t to) { return (n + to - 1) / to * to; }

/* Where everything goes. The engine's mapping is memfd [0, engine_size); the world's is memfd
 * [engine_size, engine_size + world_size), seen at world offset page_size (world offsets below are a guard). */
struct layout {
    uint64_t npages, engine_size, world_size, desc, privs, heads, data;
};

static void arena_layout(const struct h_params *p, uint64_t pg, struct layout *l)
{
    l->npages = (uint64_t)p->nnodes * (uint64_t)p->pages_per_node;
    l->desc = round_up(sizeof(struct h_arena), pg);
    l->privs = l->desc + l->npages * sizeof(struct h_page);
    l->engine_size = round_up(l->privs + l->npages * H_OBJS_PER_SLAB * sizeof(struct h_cpuset_priv), pg);
    l->heads = pg + round_up(sizeof(struct h_world), H_CACHELINE);
    l->data = round_up(l->heads + l->npages * sizeof(struct h_rcu_head), H_CACHELINE) + H_REDZONE;
    l->world_size = round_up(l->data + l->npages * H_PAGE_STRIDE, pg) - pg;   /* the last page's redzone fits */
}

/* 1 to 1024 pages of PROT_NONE between the world and the engine, chosen per process. */
static uint64_t random_gap_pages(void)
{
    uint64_t r;
    if (getrandom(&r, sizeof(r), GRND_NONBLOCK) != (ssize_t)sizeof(r))
        r = h_now_ns() ^ (uint64_t)getpid() * 0x9E3779B97F4A7C15ULL;
    return 1 + r % 1024;
}

/*
 * Map an arena into this process: one PROT_NONE reservation holding, in order, a guard page (world offset
 * 0), the world, a random gap, this process's h_local page (private), the engine's mapping, a guard page.
 * Returns the engine's header.
 */
uint64_t h_sys_page;

static struct h_arena *map_layout(int fd, uint64_t engine_size, uint64_t world_size, uint64_t pg, char *err, int errlen)
{
    h_sys_page = pg;
    uint64_t gap = random_gap_pages() * pg;
    size_t total = (size_t)(pg + world_size + gap + pg + engine_size + pg);
    char *r = mmap(NULL, total, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
    if (r == MAP_FAILED) {
        snprintf(err, (size_t)errlen, "reserve %zu bytes of address space for the arena: %s", total, strerror(errno));
        return NULL;
    }
    char *world = r + pg, *local = world + world_size + gap, *engine = local + pg;
    if (mmap(world, world_size, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_FIXED, fd, (off_t)engine_size) == MAP_FAILED ||
        mmap(local, pg, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0) == MAP_FAILED ||
        mmap(engine, engine_size, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_FIXED, fd, 0) == MAP_FAILED) {
        snprintf(err, (size_t)errlen, "mmap arena: %s", strerror(errno));
        munmap(r, total);
        return NULL;
    }
    struct h_local *l = (struct h_local *)(void *)local;
    l->world = r;
    l->reservation_size = total;
    return (struct h_arena *)(void *)engine;
}

unsigned long long h_arena_bytes(const struct h_params *p)
{
    struct layout l;
    uint64_t pg = (uint64_t)sysconf(_SC_PAGESIZE);
    arena_layout(p, pg, &l);
    return l.engine_size + l.world_size;   /* the memfd: both mappings */
}

void *h_arena_map(int fd, char *err, int errlen)
{
    struct h_arena hdr;
    size_t want = offsetof(struct h_arena, page_size) + sizeof(hdr.page_size);
    if (pread(fd, &hdr, want, 0) != (ssize_t)want || hdr.magic != H_MAGIC) {
        snprintf(err, (size_t)errlen, "arena fd %d is not a harness arena", fd);
        return NULL;
    }
    struct h_arena *a = map_layout(fd, hdr.size, hdr.world_size, hdr.page_size, err, errlen);
    if (a)
        memcpy(h_local(a)->header, a, H_HEADER_BYTES);
    return a;
}

void h_arena_unmap(void *arena)
{
    struct h_local l = *h_local(arena);
    munmap(l.world, l.reservation_size);
}

static uint64_t all_nodes(int nnodes) { return nnodes >= 64 ? ~0ULL : (1ULL << nnodes) - 1; }

/*
 * Record that `serial` (nodemask `mems`) is about to be attached to t. The nodemask slot is written under
 * an invalidated entry (a seqlock in miniature), so a reader that finds the entry before and after reading
 * the nodemask knows the nodemask is that entry's.
 */
void h_log_attach(struct h_ctx *ctx, struct h_task *t, uint64_t serial, uint64_t mems)
{
    struct h_task_rec *r = task_rec(ctx, t);
    uint64_t gen = READ_ONCE(r->attach_gen) + 1;
    WRITE_ONCE(r->attach_log[gen % H_ATTACH_LOG], 0);
    smp_wmb();
    WRITE_ONCE(r->attach_mems[gen % H_ATTACH_LOG], mems);
    smp_wmb();
    WRITE_ONCE(r->attach_log[gen % H_ATTACH_LOG], serial << 16 | (gen & 0xffff));
    smp_store_release(&r->attach_gen, gen);   /* log entry before the generation, generation before publish */
}

/* A cpuset, through the scheme's create: the engine keeps its truth about it, whatever the scheme wrote. */
struct h_cpuset *h_engine_create(struct h_ctx *ctx, uint64_t serial, uint64_t mems)
{
    struct h_cpuset *cs = ctx->ops->create(ctx, serial, mems);
    if (cs) {
        h_cs_priv(ctx, cs)->serial = serial;
        h_cs_priv(ctx, cs)->mems = mems;
    }
    return cs;
}

/* The world at start: the root cpuset (all nodes), every task in it, and for the deref and alloc workloads
 * a "job" cpuset holding the readers' tasks, so that cpusets are in use from the first operation. */
static int populate(struct h_ctx *ctx, char *err, int errlen)
{
    struct h_arena *a = ctx->arena;
    const struct h_params *p = &a->params;
    a->next_serial = 1;
    struct h_cpuset *root = h_engine_create(ctx, a->next_serial++, all_nodes(p->nnodes));
    if (!root) {
        snprintf(err, (size_t)errlen, "arena too small for the root cpuset");
        return -1;
    }
    a->root = h_offset(ctx, root);
    a->number_of_cpusets_shadow = W(ctx)->number_of_cpusets.v = 1;
    struct h_cpuset *job = NULL;
    if (p->workload != H_WORKLOAD_UNUSED) {
        uint64_t mems = all_nodes(p->nnodes) & (0x5555555555555555ULL | (p->nnodes == 1));
        if (p->job_nodes > 0)   /* the last job_nodes nodes: the far side of the ring from the low home nodes */
            mems = all_nodes(p->nnodes) & ~all_nodes(p->nnodes - p->job_nodes);
        job = h_engine_create(ctx, a->next_serial++, mems);
        a->live[a->nlive++] = h_offset(ctx, job);
        a->number_of_cpusets_shadow = W(ctx)->number_of_cpusets.v = 2;
    }
    for (int i = 0; i < h_ntasks(p); i++) {
        struct h_task_rec *r = &a->tasks[i];
        struct h_task *t = &W(ctx)->tasks[i].t;
        struct h_cpuset *cs = job && i < p->nreaders ? job : root;
        if (ctx->ops->flags & H_SCHEME_REFCOUNT)
            cs->refcount++;
        t->cpuset = h_offset(ctx, cs);
        t->mems_allowed = h_cs_priv(ctx, cs)->mems;
        t->mems_serial = h_cs_priv(ctx, cs)->serial;
        t->mems_check = h_mems_check(t->mems_serial, t->mems_allowed);
        r->attach_log[0] = h_cs_priv(ctx, cs)->serial << 16;
        r->attach_mems[0] = h_cs_priv(ctx, cs)->mems;
    }
    return 0;
}

int h_arena_create(const struct h_params *p, char *err, int errlen)
{
    if (p->nnodes < 1 || p->nnodes > H_MAX_NODES || p->pages_per_node < 16 || p->nworkers < 1 ||
        p->nworkers > H_MAX_WORKERS || p->nreaders > p->nworkers || p->scheme < 0 || p->scheme >= h_scheme_count() ||
        p->flavor < 0 || p->flavor >= H_NFLAVORS || p->workload < 0 || p->workload >= H_NWORKLOADS || p->job_nodes < 0 || p->job_nodes > p->nnodes) {
        snprintf(err, (size_t)errlen, "invalid arena parameters");
        return -1;
    }
    if (h_scheme(p->scheme)->shared_size > H_SCHEME_SHARED_MAX) {
        snprintf(err, (size_t)errlen, "scheme %s asks for %zu bytes of shared memory (.shared_size); at most %d",
                 h_scheme(p->scheme)->name, h_scheme(p->scheme)->shared_size, H_SCHEME_SHARED_MAX);
        return -1;
    }
    uint64_t pg = (uint64_t)sysconf(_SC_PAGESIZE);
    struct layout l;
    arena_layout(p, pg, &l);
    int fd = memfd_create("harness-arena", MFD_CLOEXEC);
    if (fd < 0) {
        snprintf(err, (size_t)errlen, "memfd_create: %s", strerror(errno));
        return -1;
    }
    if (ftruncate(fd, (off_t)(l.engine_size + l.world_size)) != 0) {
        snprintf(err, (size_t)errlen, "arena of %llu bytes: %s", (unsigned long long)(l.engine_size + l.world_size),
                 strerror(errno));
        close(fd);
        return -1;
    }
    struct h_arena *a = map_layout(fd, l.engine_size, l.world_size, pg, err, errlen);
    if (!a) {
        close(fd);
        return -1;
    }
    a->size = l.engine_size;
    a->world_size = l.world_size;
    a->page_size = pg;
    a->params = *p;
    a->pages_desc = l.desc;
    a->cs_privs = l.privs;
    a->page_heads = l.heads;
    a->pages_data = l.data;
    a->npages = l.npages;
    a->parent_pid = getpid();
    a->gp_ctr_shadow.v = 1;
    memcpy(h_local(a)->header, a, H_HEADER_BYTES);
    struct h_ectx e;
    h_ctx_init(&e, a, H_ORCHESTRATOR);
    W(&e.c)->gp_ctr.v = 1;
    /* poison the pages, the pattern in every redzone: from the first page's redzone to the last one's */
    for (uint64_t i = 0; i < l.npages; i++) {
        char *data = h_page_data(&e.c, i);
        memset(data - H_REDZONE, H_REDZONE_BYTE, H_REDZONE);
        memset(data, H_POISON_BYTE, H_PAGE_SIZE);
    }
    memset(h_page_data(&e.c, l.npages) - H_REDZONE, H_REDZONE_BYTE, H_REDZONE);
    for (uint64_t i = l.npages; i-- > 0;) {
        struct h_page *pg_ = h_page_desc(&e.c, i);
        pg_->node = (uint16_t)(i / (uint64_t)p->pages_per_node);
        page_free(&e.c, i, 0);
    }
    int rc = populate(&e.c, err, errlen);
    a->magic = H_MAGIC;   /* last: a half-built arena is never mistaken for a good one */
    h_arena_unmap(a);
    if (rc) {
        close(fd);
        return -1;
    }
    return fd;
}

/* A context for a worker (worker >= 0), the reclaimer or the orchestrator, in this process. */
void h_ctx_init(struct h_ectx *e, void *arena, int worker)
{
    struct h_arena *a = arena;
    struct h_ctx *ctx = &e->c;
    int64_t damaged = worker == H_ORCHESTRATOR ? h_header_restore(a) : -1;
    memset(e, 0, sizeof(*e));
    struct h_world *w = h_world(a);
    ctx->base = h_local(a)->world;
    ctx->arena = a;
    ctx->ops = h_scheme(a->params.scheme);
    ctx->gp_ctr = &w->gp_ctr.v;
    ctx->gp_futex = &w->gp_futex;
    ctx->number_of_cpusets = &w->number_of_cpusets.v;
    ctx->shared = w->scheme_shared;
    ctx->root = a->root;
    ctx->all_mems = all_nodes(a->params.nnodes);
    ctx->worker = worker;
    ctx->flavor = a->params.flavor;
    ctx->checks = a->params.checks;
    ctx->rng = (a->params.seed + 1) * 0x9E3779B97F4A7C15ULL ^ (uint64_t)(worker + 3) * 0xBF58476D1CE4E5B9ULL;
    if (!ctx->rng)
        ctx->rng = 1;
    ctx->delay_threshold = (uint32_t)((uint64_t)a->params.read_delay_per_mille * 4294967ULL);
    ctx->read_delay_max_ns = a->params.read_delay_max_ns;
    e->access_delay_threshold = (uint32_t)((uint64_t)a->params.access_delay_per_mille * 4294967ULL);
    e->access_delay_max_ns = a->params.access_delay_max_ns;
    e->role = -1;
    if (worker >= 0) {
        e->self = &a->workers[worker];
        e->role = e->self->stats.role;
        ctx->slot = &w->slots[worker];
        ctx->task = &w->tasks[worker].t;
        e->cpu = e->self->stats.cpu;
        e->home_node = e->cpu % a->params.nnodes;
    } else {
        e->owner = 1;   /* the reclaimer and the orchestrator own what they touch (retired objects) */
    }
    if (damaged >= 0)
        h_violation(ctx, H_V_ENGINE_CORRUPTED, 0, 0, (uint64_t)damaged);
}
