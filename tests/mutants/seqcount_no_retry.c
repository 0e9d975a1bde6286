/*
 * seqcount_no_retry.c - mutant: a seqcount reader that waits for an even count but never retries.
 *
 * What the user meant: today's kernel scheme (the task's own copy of mems_allowed under a seqcount), with
 * the writer of cpuset_change_task_nodemask(): under task_lock and write_seqcount_begin it first WIDENS the
 * task's nodemask to old|new, rebinds the task's mempolicy, and only then narrows it to new. The user
 * reasoned, as the kernel did before it had mems_allowed_seq, that the widened intermediate mask is safe
 * for an allocation to see, so a reader only has to wait out a writer that is in progress
 * (read_seqcount_begin) and can skip read_seqcount_retry.
 *
 * The bug: a writer can begin right after read_seqcount_begin returned. The reader then copies the
 * task's serial, nodemask and check word while they are being rewritten: it can get the intermediate
 * old|new mask together with either serial, a mask no cpuset ever had (and, with multi-word nodemasks,
 * even an empty one: the bug the seqcount was added for).
 *
 * Must raise: torn-read (the snapshot's check word disagrees with its serial and mask, and its mask is not
 * the one logged for that serial's attach). The snapshot is judged before the page allocation that could
 * show a bad node.
 */
#include "harness.h"

static inline void no_retry_read(struct h_ctx *ctx, struct h_task *task, struct h_snap *snap, const int flavor,
                                 const int checks)
{
    (void)flavor;
    (void)read_seqcount_begin(&task->mems_seq);   /* wait out a writer in progress... */
    h_read_delay(ctx, checks);
    snap->serial = READ_ONCE(task->mems_serial);
    snap->mems = READ_ONCE(task->mems_allowed);
    uint64_t check = checks ? READ_ONCE(task->mems_check) : 0;
    /* BUG: no read_seqcount_retry(): "the intermediate mask is a superset, good enough" */
    snap->cs = 0;
    snap->consistent = !checks || check == h_mems_check(snap->serial, snap->mems);
}

/* cpuset_change_task_nodemask(), as the kernel wrote it */
static void rebind_attach(struct h_ctx *ctx, struct h_task *task, struct h_cpuset *cs)
{
    uint64_t newmems = cs->mems_allowed;
    task_lock(task);
    write_seqcount_begin(&task->mems_seq);
    WRITE_ONCE(task->mems_allowed, READ_ONCE(task->mems_allowed) | newmems);   /* nodes_or() */
    h_writer_delay(ctx);                                                       /* mpol_rebind_task() */
    WRITE_ONCE(task->mems_serial, cs->serial);
    WRITE_ONCE(task->mems_allowed, newmems);
    WRITE_ONCE(task->mems_check, h_mems_check(cs->serial, newmems));
    write_seqcount_end(&task->mems_seq);
    WRITE_ONCE(task->cpuset, h_offset(ctx, cs));
    task_unlock(task);
}

HARNESS_SCHEME(harness_user_scheme, no_retry_read,
               .name = "mutant-seqcount-no-retry",
               .summary = "seqcount reader without read_seqcount_retry; writer widens the mask, then narrows it",
               .slab_mode = H_SLAB_PLAIN,
               .attach = rebind_attach,
               .destroy = h_cpuset_free);
