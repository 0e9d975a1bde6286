/*
 * static/checkpoints.h - what the primitives' inline bodies call in torture and weak-memory mode. Reached
 * through harness.h and atomics.h only: a scheme never calls these by name (liburcu's urcu/static split),
 * and they may change with the engine.
 */
#ifndef HARNESS_STATIC_CHECKPOINTS_H
#define HARNESS_STATIC_CHECKPOINTS_H

#include <stdint.h>

struct h_ctx;
struct h_weak;

/*
 * h_torture_ctx() and h_weak_ctx() return a global of this process: set once by the engine (h_torture_enable,
 * h_weak_enable) before any scheme code runs, and switched between emulated threads inside a loop by the
 * litmus runner (weak_litmus.c, h_weak_use). Where that can happen in the same translation unit (the
 * engine's files, H_ENGINE; the runner, H_CTX_SWITCHES) they are pure: a call may be merged with another
 * only if no store comes between them. In a scheme's translation unit nothing can change them while its
 * code runs (a scheme reaches neither setter), so there they are const: a reader loop asks once per chunk,
 * and a checks-off loop, told the answer by __builtin_unreachable() (H_DEFINE_CHUNK), drops every
 * checkpoint. pure there would keep one call per checkpoint in every checks-off loop.
 */
#if defined(H_ENGINE) || defined(H_CTX_SWITCHES)
#define H_CTX_STABLE __attribute__((pure))
#else
#define H_CTX_STABLE __attribute__((const))
#endif

/* The torture context of this process, NULL outside torture mode. */
struct h_ctx *h_torture_ctx(void) H_CTX_STABLE;
void h_torture_access(struct h_ctx *ctx, const void *p, int kind);
void h_torture_lock(struct h_ctx *ctx, int delta);
void h_torture_delay(struct h_ctx *ctx);
void h_torture_rcu_lock(struct h_ctx *ctx, int flavor);
void h_torture_rcu_unlock(struct h_ctx *ctx, int flavor);
int h_torture_qs(struct h_ctx *ctx);
/* the annotations of a scheme's own protection (h_read_section_enter, h_protect, ...) */
void h_torture_section(struct h_ctx *ctx, int delta);
void h_torture_protect(struct h_ctx *ctx, const void *obj);
void h_torture_unprotect(struct h_ctx *ctx, const void *obj);

/* The weak-memory emulation (atomics.h says what it allows); h_weak_ctx(): see h_torture_ctx(). */
struct h_weak *h_weak_ctx(void) H_CTX_STABLE;
uint64_t h_weak_load(struct h_weak *w, const volatile void *p, int size, int acquire);
void h_weak_store(struct h_weak *w, volatile void *p, uint64_t v, int size, int release);
void h_weak_rmw(struct h_weak *w, const volatile void *p, int size, int full);   /* before an atomic RMW */
void h_weak_fence(struct h_weak *w, int what);
#define H_WF_DRAIN 1   /* every held store reaches memory (earlier stores before later ones) */
#define H_WF_FLUSH 2   /* later loads read memory as of now or later (earlier loads before later ones) */
#define H_WF_FULL 3
#define H_WF_FORGET 4  /* the engine's: later loads read memory after this point (it stored there itself) */

#endif
