/*
 * weak.c - the weak-memory emulation behind the primitives in weak mode (`--memory-model weak`).
 *
 * The property to keep (Miri's, for its weak-memory emulation): never an outcome the Linux kernel memory
 * model forbids; as many as we cheaply can of those it allows and x86 forbids. Each process (each emulated
 * thread in the litmus suite) has a store buffer and a load cache (weak.h):
 *
 *   store-store  WRITE_ONCE goes into the buffer; entries reach memory one at a time in random order (at
 *                random accesses, all of them when the buffer is full and at every ordering point, with
 *                windows between two of them: drain_all).
 *                A release store is an entry that may leave only as the oldest (everything before it first);
 *                smp_wmb, smp_mb and full atomics let everything out before they go on. A second store to a
 *                word still held replaces the held value (coherence: memory never sees them out of order).
 *   load-load    a plain load may return the value the cache holds for its word instead of memory's: that
 *                load "executed" when the value was read from memory. smp_rmb, smp_mb, acquire loads and
 *                acquire RMWs empty the cache (an epoch bump), then refill
 *                the lines used lately from memory: a later load may return a value read at the ordering
 *                point, never one read before it. Fills only ever read memory now, so the cache never holds
 *                a value older than one this process saw (coherence); own stores are read from the buffer
 *                and drop the cached word when they reach memory.
 *   dependency   a load returning v, an offset into the arena's object pages, refills the 128-byte object at
 *                v from memory now: a load through v may return no older value than the one it would read
 *                right after the pointer load (LKMM's address dependency). An offset into the scheme's shared
 *                memory empties the whole cache; any other offset in the arena drops the 128 bytes at it.
 *   store-load   the machine's own (x86 keeps it); a process always reads its own held stores.
 *
 * What it cannot show: load buffering (a load never returns a store that is not yet in memory or the
 * buffer), a store seen by some processes and not others (the buffer drains to memory, which every process
 * sees at once: multi-copy atomic), and a load through an index (not an offset) is not treated as dependent,
 * so a scheme that reads shared data through a loaded array index could see it stale (docs/weak-memory.md).
 */
#include "engine.h"
#include "weak.h"

#define H_WEAK_DELAY_NS 3000   /* the longest hold-up between two stores of one drain (writer windows) */

static struct h_weak *weak_ctx;   /* this process's (the litmus suite switches it between its threads) */
static struct h_weak weak_self;

struct h_weak *h_weak_ctx(void) { return weak_ctx; }
void h_weak_use(struct h_weak *w) { weak_ctx = w; }

static inline uint64_t rnd(struct h_weak *w) { return h_xorshift(&w->rng); }

void h_weak_setup(struct h_weak *w, uint64_t seed, const void *base, uint64_t size)
{
    memset(w, 0, sizeof(*w));
    w->rng = (seed + 1) * 0x9E3779B97F4A7C15ULL | 1;
    w->epoch = 1;   /* cache words start at epoch 0: empty */
    w->base = (uintptr_t)base;
    w->size = size;
}

/* A process's emulation, when the run asks for weak memory (torture runs only: Config makes sure). */
void h_weak_enable(struct h_ectx *e)
{
    struct h_arena *a = e->c.arena;
    if (a->params.memory_model != H_MEMORY_WEAK || !e->c.checks) {
        h_weak_use(NULL);
        return;
    }
    struct h_weak *w = &weak_self;
    h_weak_setup(w, a->params.seed ^ ((uint64_t)(e->c.worker + 2) << 40), e->c.base, a->page_size + a->world_size);
    w->objects_lo = a->pages_data;
    w->objects_hi = a->pages_data + a->npages * H_PAGE_STRIDE;
    w->flush_lo = (uintptr_t)h_offset(&e->c, e->c.shared);
    w->flush_hi = w->flush_lo + H_SCHEME_SHARED_MAX;
    w->ctx = &e->c;
    w->delay_max_ns = H_WEAK_DELAY_NS;
    h_weak_use(w);
}

static inline uintptr_t slot_of(uintptr_t word) { return (word >> 3) & (H_WEAK_SLOTS - 1); }

static void mem_store(const struct h_weak_entry *s)
{
    switch (s->size) {
    case 1: atomic_store_explicit((_Atomic uint8_t *)s->addr, (uint8_t)s->val, memory_order_relaxed); break;
    case 2: atomic_store_explicit((_Atomic uint16_t *)s->addr, (uint16_t)s->val, memory_order_relaxed); break;
    case 4: atomic_store_explicit((_Atomic uint32_t *)s->addr, (uint32_t)s->val, memory_order_relaxed); break;
    default: atomic_store_explicit((_Atomic uint64_t *)s->addr, s->val, memory_order_relaxed); break;
    }
}

static inline void forget_word(struct h_weak *w, uintptr_t p)
{
    struct h_weak_word *c = &w->cache[slot_of(p & ~(uintptr_t)7)];
    if (c->word == (p & ~(uintptr_t)7))
        c->epoch = 0;
}

static void drop(struct h_weak *w, int i)
{
    memmove(&w->sb[i], &w->sb[i + 1], (size_t)(w->n - i - 1) * sizeof(w->sb[0]));
    w->n--;
}

/* One held store reaches memory: any plain one, or a release one once it is the oldest. */
void h_weak_drain_one(struct h_weak *w)
{
    if (!w->n)
        return;
    int i = (int)(rnd(w) % (uint64_t)w->n);
    if (w->sb[i].release)
        i = 0;
    mem_store(&w->sb[i]);
    forget_word(w, w->sb[i].addr);   /* a fill may have read the word before this store reached memory */
    drop(w, i);
}

/* Every held store reaches memory, one at a time in random order, with windows in between where the others
 * may see some of them and not the rest: delays for the other processes, steps of the other emulated
 * threads in the one-process litmus runner. */
static void drain_all(struct h_weak *w)
{
    while (w->n) {
        if (w->ctx && w->n > 1 && !(rnd(w) & 3))
            h_delay_ns(w->ctx, rnd(w) % (w->delay_max_ns + 1));
        h_weak_drain_one(w);
        if (w->between && w->n)
            w->between(w->between_arg);
    }
}

static inline int overlaps(const struct h_weak_entry *s, uintptr_t p, int size)
{
    return s->addr < p + (uintptr_t)size && p < s->addr + s->size;
}

/* Read [first, first + bytes) from memory now into the cache (8-byte aligned, inside one mapping). */
static void fill(struct h_weak *w, uintptr_t first, unsigned bytes)
{
    for (uintptr_t word = first; word < first + bytes; word += 8) {
        struct h_weak_word *c = &w->cache[slot_of(word)];
        c->word = word;
        c->val = atomic_load_explicit((_Atomic uint64_t *)word, memory_order_relaxed);
        c->epoch = w->epoch;
    }
}

/* A miss reads its word, and remembers the line for the refills at ordering points. (Not the whole line
 * now: a field read fresh would refresh its neighbours too, and hide their reordering with it.) */
static void fill_word(struct h_weak *w, uintptr_t word)
{
    uintptr_t line = word & ~(uintptr_t)(H_WEAK_LINE - 1);
    fill(w, word, 8);
    if (w->recent[(w->recent_pos - 1) % H_WEAK_RECENT] != line)
        w->recent[w->recent_pos++ % H_WEAK_RECENT] = line;
}

/* An ordering point for loads: nothing read before it is returned after it; what is refilled now may be. */
static void flush(struct h_weak *w)
{
    w->epoch++;
    for (int i = 0; i < H_WEAK_RECENT; i++)
        if (w->recent[i])
            fill(w, w->recent[i], H_WEAK_LINE);
}

/* A load returned v: order the loads made through it after this one (see the head of the file). */
static void dependency(struct h_weak *w, uint64_t v)
{
    if (v >= w->size)
        return;
    uintptr_t first = (uintptr_t)v & ~(uintptr_t)7;
    if (first >= w->objects_lo && first + H_WEAK_OBJECT <= w->objects_hi)
        fill(w, w->base + first, H_WEAK_OBJECT);
    else if (v >= w->flush_lo && v < w->flush_hi)
        flush(w);
    else
        for (uintptr_t off = first; off < first + H_WEAK_OBJECT && off < w->size; off += 8)
            forget_word(w, w->base + off);
}

uint64_t h_weak_load(struct h_weak *w, const volatile void *vp, int size, int acquire)
{
    uintptr_t p = (uintptr_t)vp, word = p & ~(uintptr_t)7;
    uint64_t r = rnd(w), v;
    if (!(r & 7))
        h_weak_drain_one(w);
    for (int i = w->n - 1; i >= 0; i--)
        if (overlaps(&w->sb[i], p, size)) {
            if (w->sb[i].addr == p && w->sb[i].size == size) {   /* a process reads its own stores */
                v = w->sb[i].val;
                goto out;
            }
            drain_all(w);   /* a mixed-size overlap: let it all out, then read memory */
            break;
        }
    struct h_weak_word *c = &w->cache[slot_of(word)];
    uint64_t wv;
    if (!acquire && c->epoch == w->epoch && c->word == word && (r & 0x100)) {
        wv = c->val;   /* executed earlier: when this value was seen */
    } else {
        fill_word(w, word);
        wv = c->val;
        if (acquire) {
            atomic_thread_fence(memory_order_acquire);
            flush(w);   /* nothing read before the acquire is returned after it */
        }
    }
    v = size == 8 ? wv : (wv >> ((p & 7) * 8)) & ((1ULL << (size * 8)) - 1);
out:
    dependency(w, v);
    return v;
}

void h_weak_store(struct h_weak *w, volatile void *vp, uint64_t v, int size, int release)
{
    uintptr_t p = (uintptr_t)vp;
    if (!(rnd(w) & 7))
        h_weak_drain_one(w);
    for (int i = 0; i < w->n; i++)
        if (overlaps(&w->sb[i], p, size)) {
            if (w->sb[i].addr != p || w->sb[i].size != size) {
                drain_all(w);
                break;
            }
            if (!release) {   /* a later plain store replaces the held one, in its place */
                w->sb[i].val = v;
                return;
            }
            drop(w, i);       /* a release store goes last: the held value is overwritten unseen */
            break;
        }
    if (w->n == H_WEAK_SB)
        drain_all(w);
    w->sb[w->n++] = (struct h_weak_entry){ .addr = p, .val = v, .size = (uint8_t)size, .release = (uint8_t)release };
}

void h_weak_rmw(struct h_weak *w, const volatile void *vp, int size, int full)
{
    uintptr_t p = (uintptr_t)vp;
    int held = 0;
    for (int i = 0; i < w->n && !held; i++)
        held = overlaps(&w->sb[i], p, size);
    if (full || held)
        drain_all(w);
    forget_word(w, p);
}

void h_weak_fence(struct h_weak *w, int what)
{
    if (what & H_WF_DRAIN)
        drain_all(w);
    /* smp_mb: the emulated stores just drained and the loads the flush makes now are ordered by the real
     * machine too. Without it x86's own store buffer lets both sides of SB+fencembonceonces read 0 (seen
     * by the real-process litmus runs: 38 in 20,000), as an emulated smp_mb would not otherwise reach the CPU. */
    if ((what & H_WF_FULL) == H_WF_FULL)
        atomic_thread_fence(memory_order_seq_cst);
    if (what & H_WF_FLUSH)
        flush(w);
    if (what & H_WF_FORGET)
        w->epoch++;
}
