/*
 * static/reader_loop.h - the engine's side of the inline fast path: what harness.h's primitives and its
 * reader loop (H_READER_OP, H_DEFINE_CHUNK) call out of line. Reached through harness.h only: a scheme
 * never calls these by name (liburcu's urcu/static split), and they may change with the engine.
 */
#ifndef HARNESS_STATIC_READER_LOOP_H
#define HARNESS_STATIC_READER_LOOP_H

#include <stdint.h>

#include "checkpoints.h"

struct h_ctx;
struct h_task;
struct h_cpuset;
struct h_snap;

void h_spin_wait(uint32_t *lock);    /* slow path of h_spin_lock: spin, then yield */
void h_delay_ns(struct h_ctx *ctx, uint64_t ns);
void h_rcu_wake_gp(struct h_ctx *ctx);   /* a grace-period waiter sleeps: wake it (h_rcu_read_unlock) */

void h_cpuset_read_check(struct h_ctx *ctx, const struct h_cpuset *cs, struct h_snap *snap);
/* alloc-subset: copy cs's zonelist for this reader (engine); returns (tag << 1) | ok. Scalars in and out, so
 * that the snapshot never has its address taken on a checks-off path and stays in registers. */
uint64_t h_zonelist_read(struct h_ctx *ctx, const struct h_cpuset *cs, uint64_t serial, uint64_t mems, int checks);

/* the reader loop's oracles and its allocation */
void h_check_snapshot(struct h_ctx *ctx, const struct h_snap *snap, uint64_t g0, uint64_t g1);
void h_alloc_page(struct h_ctx *ctx, uint64_t mems, const int checks);
void h_alloc_page_subset(struct h_ctx *ctx, const struct h_snap *snap, const int checks);
uint64_t h_attach_gen(const struct h_task *task);
uint64_t h_read_begin(struct h_ctx *ctx, const struct h_task *task);   /* torture: stamps the read's start */

#endif
