/*
 * seqcount: what the kernel does today. The task keeps its own copy of mems_allowed, updated under
 * task_lock inside a write_seqcount section; the allocator reads the copy and retries if the count moved.
 * Readers never touch a cpuset, so a destroyed cpuset is freed at once.
 */
#include "harness.h"

static inline void seqcount_read(struct h_ctx *ctx, struct h_task *task, struct h_snap *snap, const int flavor,
                                 const int checks)
{
    (void)flavor;
    uint64_t check;
    for (;;) {
        uint32_t seq = read_seqcount_begin(&task->mems_seq);
        h_read_delay(ctx, checks);
        snap->serial = READ_ONCE(task->mems_serial);
        snap->mems = READ_ONCE(task->mems_allowed);
        check = checks ? READ_ONCE(task->mems_check) : 0;
        if (!read_seqcount_retry(&task->mems_seq, seq))
            break;
        h_near_miss(ctx);
    }
    snap->cs = 0;
    snap->consistent = !checks || check == h_mems_check(snap->serial, snap->mems);
}

static void seqcount_attach(struct h_ctx *ctx, struct h_task *task, struct h_cpuset *cs)
{
    task_lock(task);
    write_seqcount_begin(&task->mems_seq);
    WRITE_ONCE(task->mems_serial, cs->serial);
    WRITE_ONCE(task->mems_allowed, cs->mems_allowed);
    WRITE_ONCE(task->mems_check, h_mems_check(cs->serial, cs->mems_allowed));
    write_seqcount_end(&task->mems_seq);
    WRITE_ONCE(task->cpuset, h_offset(ctx, cs));
    task_unlock(task);
}

HARNESS_SCHEME(scheme_seqcount, seqcount_read,
               .name = "seqcount",
               .summary = "mems_allowed copied into the task, read under a seqcount retry loop (today's kernel)",
               .slab_mode = H_SLAB_PLAIN,
               .attach = seqcount_attach,
               .destroy = h_cpuset_free);
