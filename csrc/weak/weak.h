/*
 * weak.h - the weak-memory emulation's per-process state (weak.c). Schemes never see it: the primitives in
 * atomics.h reach it through h_weak_ctx() and the calls below. Declared here for the engine and for the
 * litmus suite (weak_litmus.c), which runs several emulated threads in one process, each with its own.
 *
 * Two per-process structures, nothing shared, so the emulation costs no shared cache line and cannot hang:
 *   store buffer  WRITE_ONCE (and the release stores, as entries that may leave only when every older entry
 *                 has) is held back here and reaches memory later, in random order: store-store reordering.
 *   load cache    the newest value this process has seen of a word; a plain load may return it instead of
 *                 reading memory ("the load executed earlier"): load-load reordering. Emptied (an epoch bump)
 *                 at every ordering point; a load through a freshly loaded offset is ordered after that load
 *                 (address dependency), so the object at that offset is refilled from memory at that moment.
 */
#ifndef HARNESS_WEAK_H
#define HARNESS_WEAK_H

#include <stdint.h>

#define H_WEAK_SB 8          /* store-buffer entries; a full buffer drains whole */
#define H_WEAK_SLOTS 256     /* load-cache words, direct-mapped */
#define H_WEAK_OBJECT 128    /* bytes read through an offset that a dependency orders (H_CPUSET_SIZE) */
#define H_WEAK_LINE 64       /* the lines a process used lately are refilled whole at ordering points */
#define H_WEAK_RECENT 4      /* lines refilled at an ordering point */

struct h_weak_entry {
    uintptr_t addr;
    uint64_t val;
    uint8_t size;
    uint8_t release;         /* leaves the buffer only when it is the oldest entry */
};

struct h_weak_word {
    uintptr_t word;          /* 8-byte aligned address */
    uint64_t val;
    uint64_t epoch;          /* valid while equal to the owner's epoch */
};

struct h_weak {
    uint64_t rng;
    uint64_t epoch;
    int n;                                   /* entries in sb[], oldest first */
    struct h_weak_entry sb[H_WEAK_SB];
    struct h_weak_word cache[H_WEAK_SLOTS];
    uintptr_t recent[H_WEAK_RECENT];         /* lines filled lately, refilled at every ordering point */
    unsigned recent_pos;
    uintptr_t base, size;                    /* the shared region loaded values may be offsets into... */
    uintptr_t objects_lo, objects_hi;        /* ...where 128-byte objects live (refilled on a dependency)... */
    uintptr_t flush_lo, flush_hi;            /* ...and where other objects live (a dependency empties all) */
    struct h_ctx *ctx;                       /* for the delays while draining; NULL: none */
    uint32_t delay_max_ns;
    void (*between)(void *arg);              /* one-process litmus: other threads' steps between two stores of */
    void *between_arg;                       /* one drain (a fence's, a full atomic's), as a real buffer drains */
};

void h_weak_setup(struct h_weak *w, uint64_t seed, const void *base, uint64_t size);
void h_weak_use(struct h_weak *w);           /* h_weak_ctx() returns w from now on (NULL: native) */
void h_weak_drain_one(struct h_weak *w);     /* let one eligible store reach memory */

#endif
