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

/* The torture context of this process, NULL outside torture mode. pure, not const: it returns a global
 * that h_torture_enable() sets, so two calls may be merged only where no store can come between them
 * (const would let the compiler keep an old answer across the store that changes it). That is enough for
 * a reader loop: it asks once per chunk and __builtin_unreachable() tells the compiler the answer for a
 * checks-off loop, so a checkpoint there costs nothing. */
struct h_ctx *h_torture_ctx(void) __attribute__((pure));
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

/* The weak-memory emulation (atomics.h says what it allows). h_weak_ctx() is pure, not const, for the same
 * reason as h_torture_ctx(): weak_litmus.c switches it (h_weak_use) between emulated threads inside a loop. */
struct h_weak;
struct h_weak *h_weak_ctx(void) __attribute__((pure));
uint64_t h_weak_load(struct h_weak *w, const volatile void *p, int size, int acquire);
void h_weak_store(struct h_weak *w, volatile void *p, uint64_t v, int size, int release);
void h_weak_rmw(struct h_weak *w, const volatile void *p, int size, int full);   /* before an atomic RMW */
void h_weak_fence(struct h_weak *w, int what);
#define H_WF_DRAIN 1   /* every held store reaches memory (earlier stores before later ones) */
#define H_WF_FLUSH 2   /* later loads read memory as of now or later (earlier loads before later ones) */
#define H_WF_FULL 3
#define H_WF_FORGET 4  /* the engine's: later loads read memory after this point (it stored there itself) */

#endif
