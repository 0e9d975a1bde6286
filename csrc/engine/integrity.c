/*
 * integrity.c - what protects the engine from the code under test, beyond its own mapping (engine.h,
 * "Two mappings"): where a worker's fatal stray access went (its SIGSEGV handler records the address before
 * the signal kills it), and the end-of-round sweep of every redzone and shadow.
 */
#define _GNU_SOURCE
#include <signal.h>
#include <stdio.h>
#include <ucontext.h>

#include "engine.h"

static struct h_arena *segv_arena;   /* this worker's, for its SIGSEGV handler */
static int segv_worker;

/* Where a fatal access went, as the handler classifies it in its own process's layout. */
enum { SEGV_NONE, SEGV_GUARD_ZERO, SEGV_GUARD_GAP, SEGV_GUARD_END, SEGV_ELSEWHERE };

/* Async-signal-safe: a few stores to the engine's memory, then the default action, which the faulting
 * instruction meets again when the handler returns: the worker still dies of SIGSEGV, as it would have. */
static void on_segv(int sig, siginfo_t *si, void *uc_)
{
    struct h_arena *a = segv_arena;
    const struct h_local *l = h_local(a);
    struct h_worker *w = &a->workers[segv_worker];
    uint64_t addr = (uint64_t)(uintptr_t)si->si_addr, base = (uint64_t)(uintptr_t)l->world;
    uint64_t off = addr - base, pg = a->page_size, engine = (uint64_t)(uintptr_t)a;
    int where = off < pg                                             ? SEGV_GUARD_ZERO
                : addr >= base + pg + a->world_size && addr < engine ? SEGV_GUARD_GAP
                : addr >= engine + a->size && addr < base + l->reservation_size ? SEGV_GUARD_END
                                                                     : SEGV_ELSEWHERE;
    int write = 0;   /* 0: cannot tell, 1 read, 2 write */
#if defined(__x86_64__)
    write = 1 + (int)(((ucontext_t *)uc_)->uc_mcontext.gregs[REG_ERR] >> 1 & 1);   /* page-fault error code: W */
#else
    (void)uc_;
#endif
    WRITE_ONCE(w->segv_off, off);
    WRITE_ONCE(w->segv_write, write);
    smp_store_release(&w->segv_where, where);
    signal(sig, SIG_DFL);
}

/* A worker's fatal stray access gets recorded before it dies (h_worker_fault_text says where it went). */
void h_segv_watch(struct h_ectx *e)
{
    segv_arena = e->c.arena;
    segv_worker = e->c.worker;
    struct sigaction sa = { 0 };
    sa.sa_sigaction = on_segv;
    sa.sa_flags = SA_SIGINFO | SA_RESETHAND;
    sigaction(SIGSEGV, &sa, NULL);
}

int h_worker_fault_text(void *arena, int worker, char *out, int outlen)
{
    const struct h_worker *w = &((struct h_arena *)arena)->workers[worker];
    int where = smp_load_acquire(&w->segv_where);
    static const char *const access[] = { "access", "read", "write" };
    const char *what = READ_ONCE(w->segv_write) == 2 ? access[2] : access[READ_ONCE(w->segv_write) & 1];
    unsigned long long off = READ_ONCE(w->segv_off);
    switch (where) {
    case SEGV_GUARD_ZERO:
        return snprintf(out, (size_t)outlen, "a stray %s at ctx->base + %llu hit the guard page at world offset 0",
                        what, off);
    case SEGV_GUARD_GAP:
    case SEGV_GUARD_END:
        return snprintf(out, (size_t)outlen, "a stray %s at ctx->base + %llu hit a guard page %s", what, off,
                        where == SEGV_GUARD_GAP ? "between the world and the engine's memory" : "past the engine's memory");
    default:   /* outside the arena (an injected crash's wild write, a bad pointer): the signal says it all */
        return 0;
    }
}

/*
 * After a round (every worker stopped or dead): every page's redzones and, on slab pages, every object's;
 * the engine's shadows. Counted as the orchestrator's violations. The reclaimer may still be finishing a
 * grace period: its lock is waited for, up to a second (one that died holding it left its hang reported,
 * and the grace-period clock's shadow unchecked).
 */
void h_arena_sweep(void *arena)
{
    struct h_ectx e;
    h_ctx_init(&e, arena, H_ORCHESTRATOR);
    struct h_arena *a = arena;
    for (uint64_t i = 0; i < a->npages; i++)
        h_redzone_check(&e.c, i);
    h_world_shadow_check(&e.c);
    for (int tries = 0; tries < 100; tries++) {
        uint32_t unlocked = 0;
        if (atomic_compare_exchange_strong_explicit(H_ATOMIC(&a->gp_lock), &unlocked, 1, memory_order_acquire,
                                                    memory_order_relaxed)) {
            h_gp_shadow_check(&e.c);
            h_mutex_unlock(&a->gp_lock);
            return;
        }
        h_futex_wait(&a->gp_lock, unlocked, 10);
    }
}
