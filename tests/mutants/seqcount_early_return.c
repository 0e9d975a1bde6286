/*
 * seqcount_early_return.c - mutant: an early return for "nothing changed" inside the write section.
 *
 * What the user meant: the seqcount scheme (the task's copy of mems_allowed, written under task_lock in a
 * write_seqcount section, read in a read_seqcount_begin/retry loop), with an optimisation in the writer:
 * when the new cpuset allows exactly the nodes the task already has, there is no nodemask to rewrite, so
 * just switch task->cpuset and return.
 *
 * The bug: the shortcut was added after the function already opened the section, and returns from the
 * middle of it: write_seqcount_end and task_unlock are skipped. The count stays odd, so every reader of
 * that task spins in read_seqcount_begin forever, and the next writer that takes that task's task_lock
 * spins forever too.
 *
 * Must raise: hang (workers that do not stop within the deadline after the duration). With 15 possible
 * nodemasks on 4 nodes the shortcut is taken within the first few dozen attaches. Run with a short
 * duration: the run ends at the deadline.
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

static void shortcut_attach(struct h_ctx *ctx, struct h_task *task, struct h_cpuset *cs)
{
    task_lock(task);
    write_seqcount_begin(&task->mems_seq);
    if (READ_ONCE(task->mems_allowed) == cs->mems_allowed) {
        /* same nodes: nothing to rebind */
        WRITE_ONCE(task->cpuset, h_offset(ctx, cs));
        return;   /* BUG: leaves the write section (and task_lock) open */
    }
    WRITE_ONCE(task->mems_serial, cs->serial);
    WRITE_ONCE(task->mems_allowed, cs->mems_allowed);
    WRITE_ONCE(task->mems_check, h_mems_check(cs->serial, cs->mems_allowed));
    write_seqcount_end(&task->mems_seq);
    WRITE_ONCE(task->cpuset, h_offset(ctx, cs));
    task_unlock(task);
}

HARNESS_SCHEME(harness_user_scheme, seqcount_read,
               .name = "mutant-seqcount-early-return",
               .summary = "seqcount writer whose 'nodes unchanged' shortcut skips write_seqcount_end",
               .slab_mode = H_SLAB_PLAIN,
               .attach = shortcut_attach,
               .destroy = h_cpuset_free);
