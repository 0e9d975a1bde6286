/*
 * weak_seqcount_writer_no_wmb.c - mutant (weak memory): a seqcount writer without smp_wmb after making the
 * count odd.
 *
 * What the user meant: today's kernel scheme, with write_seqcount_begin spelled out by hand as "bump the
 * count", the stores of the copy after it, and write_seqcount_end (release) after them.
 *
 * The bug: nothing orders the odd count before the stores of the copy. A reader can see a new field while
 * the count it read (before and after, with smp_rmb) is still the old even one: the odd count reaches
 * memory after the fields do. x86 keeps stores in order; Arm and POWER do not.
 *
 * Must raise: torn-read (the copy's check word disagrees with its serial and mask).
 * Memory model: weak (native: SUCCESS).
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

static void no_wmb_attach(struct h_ctx *ctx, struct h_task *task, struct h_cpuset *cs)
{
    task_lock(task);
    WRITE_ONCE(task->mems_seq, READ_ONCE(task->mems_seq) + 1);   /* odd... BUG: no smp_wmb() after it */
    WRITE_ONCE(task->mems_serial, cs->serial);
    WRITE_ONCE(task->mems_allowed, cs->mems_allowed);
    WRITE_ONCE(task->mems_check, h_mems_check(cs->serial, cs->mems_allowed));
    write_seqcount_end(&task->mems_seq);
    WRITE_ONCE(task->cpuset, h_offset(ctx, cs));
    task_unlock(task);
}

HARNESS_SCHEME(harness_user_scheme, seqcount_read,
               .name = "weak-seqcount-writer-no-wmb",
               .summary = "seqcount writer that makes the count odd without smp_wmb before the protected stores",
               .slab_mode = H_SLAB_PLAIN,
               .attach = no_wmb_attach,
               .destroy = h_cpuset_free);
