/*
 * own_gp.c - a grace period of the scheme's own (its .synchronize) that waits for nothing: judged by
 * progress, not by wall time, so a loaded machine cannot make a correct scheme look stuck.
 *
 * While the scheme's .synchronize runs, every access it makes to the scheme's shared memory is a poll of
 * its wait loop. A round ends when, since the last one, the waiter has polled H_OWN_GP_POLLS times and
 * every other live worker has ended H_OWN_GP_OPS operations (a read or a writer step that returned with no
 * section, claim or reference open: the end-of-op check closes any it finds). A correct grace period waits
 * only for sections that readers leave and for announcements they withdraw by the end of their operation,
 * so once every worker has gone through a few operations after the wait began, and the waiter has seen
 * their stores since (each count is published with release, read with acquire), it has what it waits for.
 * A grace period still polling after H_OWN_GP_ROUNDS rounds waits for something no worker holds: a count
 * left unbalanced, an index read twice. That is a hang found as it happens, not after the run.
 *
 * Never a false alarm from load: a worker that is preempted, paused, throttled or blocked (on the cpuset
 * mutex the waiter holds) ends no operation, so no round ends; a dead worker may have died inside a
 * section, so with one dead nothing is judged. A writer throttled by the callback backlog (which this grace
 * period holds back) waits between two steps, holding nothing: it counts as having moved on.
 */
#include "engine.h"

#define H_OWN_GP_POLLS 32   /* the waiter's accesses per round: it ran, and looked again */
#define H_OWN_GP_OPS 32     /* each other worker's operations per round: more than any announcement lives */
#define H_OWN_GP_ROUNDS 8   /* rounds: a grace period of a few waits, each needing a round or two */

/* Each worker's ended operations, the start of a round; 0: a dead worker, nothing can be judged. */
static int snapshot(struct h_ectx *e)
{
    struct h_arena *a = e->c.arena;
    for (int w = 0; w < a->params.nworkers; w++) {
        if (READ_ONCE(a->workers[w].slot_dead))
            return 0;
        e->gp_seen[w] = smp_load_acquire(&a->workers[w].ops_ended);   /* their stores before our polls */
    }
    return 1;
}

/* Before the scheme's .synchronize runs, in torture mode. */
void h_own_gp_begin(struct h_ectx *e)
{
    e->gp_polls = 0;
    e->gp_rounds = 0;
    e->gp_watch = snapshot(e);
}

static int round_over(struct h_ectx *e)
{
    struct h_arena *a = e->c.arena;
    for (int w = 0; w < a->params.nworkers; w++)
        if (w != e->c.worker && READ_ONCE(a->workers[w].stats.phase) != H_PH_THROTTLED &&
            smp_load_acquire(&a->workers[w].ops_ended) - e->gp_seen[w] < H_OWN_GP_OPS)
            return 0;
    return 1;
}

/* The waiter touched the scheme's shared memory. */
void h_own_gp_poll(struct h_ectx *e)
{
    if (++e->gp_polls % H_OWN_GP_POLLS || !round_over(e))
        return;
    if (!snapshot(e)) {
        e->gp_watch = 0;
        return;
    }
    if (++e->gp_rounds < H_OWN_GP_ROUNDS)
        return;
    e->gp_watch = 0;   /* once per grace period */
    h_violation(&e->c, H_V_HANG, 0, smp_load_acquire(&e->c.arena->gp_started.v),
                (uint64_t)H_OWN_GP_ROUNDS * H_OWN_GP_OPS);
}

/* After each operation a worker ends in torture mode (h_torture_end_of_op): it holds nothing now. */
void h_own_gp_op_ended(struct h_ectx *e)
{
    if (e->self)
        smp_store_release(&e->self->ops_ended, e->self->ops_ended + 1);   /* what it did, then the count */
}
