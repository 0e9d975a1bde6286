/*
 * unsynchronized: the same loads with no synchronisation at all. Unsafe by design; it exists so that every
 * benchmark can show each scheme as a ratio to the bare cost of the loads, measured in the same run.
 */
#include "harness.h"

static inline void unsynchronized_read(struct h_ctx *ctx, struct h_task *task, struct h_snap *snap,
                                       const int flavor, const int checks)
{
    (void)flavor;
    h_cpuset_read(ctx, h_ptr(ctx, READ_ONCE(task->cpuset)), snap, checks);
}

HARNESS_SCHEME(scheme_unsynchronized, unsynchronized_read,
               .name = "unsynchronized",
               .summary = "plain loads, no synchronisation (UNSAFE): the benchmark baseline",
               .flags = H_SCHEME_UNSAFE,
               .slab_mode = H_SLAB_PLAIN,
               .attach = h_publish,
               .destroy = h_cpuset_free);
