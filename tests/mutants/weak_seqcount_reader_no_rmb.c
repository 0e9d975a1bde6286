/*
 * weak_seqcount_reader_no_rmb.c - mutant (weak memory): a seqcount reader whose retry check has no smp_rmb.
 *
 * What the user meant: today's kernel scheme (the task's own copy of mems_allowed under a seqcount), with
 * the reader's retry spelled out by hand: "read the count again, compare". The loads are READ_ONCE, so the
 * compiler keeps them in order, and on x86 so does the CPU.
 *
 * The bug: without smp_rmb between the protected loads and the second load of the count, that load may be
 * satisfied before the protected ones (load-load reordering): it still sees the count from before a writer
 * that was changing the fields while they were read, and the torn copy is accepted.
 *
 * Must raise: torn-read (the copy's check word disagrees with its serial and mask).
 * Memory model: weak (native: SUCCESS).
 */
#include "harness.h"

static inline void no_rmb_read(struct h_ctx *ctx, struct h_task *task, struct h_snap *snap, const int flavor,
                               const int checks)
{
    (void)flavor;
    uint64_t check;
    for (;;) {
        uint32_t seq;
        while ((seq = smp_load_acquire(&task->mems_seq)) & 1)
            cpu_relax();
        h_read_delay(ctx, checks);
        snap->serial = READ_ONCE(task->mems_serial);
        snap->mems = READ_ONCE(task->mems_allowed);
        check = checks ? READ_ONCE(task->mems_check) : 0;
        if (READ_ONCE(task->mems_seq) == seq)   /* BUG: no smp_rmb() before this load */
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

HARNESS_SCHEME(harness_user_scheme, no_rmb_read,
               .name = "weak-seqcount-reader-no-rmb",
               .summary = "seqcount reader whose hand-written retry check has no smp_rmb",
               .slab_mode = H_SLAB_PLAIN,
               .attach = seqcount_attach,
               .destroy = h_cpuset_free);
