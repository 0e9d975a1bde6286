/*
 * claims.c - protection the engine does not implement, declared by the scheme and checked by what happens
 * to the objects (lockdep's lock_acquire, KCSAN's ASSERT_EXCLUSIVE): a read-side section of the scheme's
 * own (h_read_section_enter/exit) and a per-object claim (h_protect/h_unprotect: a hazard pointer, a lock
 * held on the object). Torture mode only; with checks off the annotations compile to nothing.
 *
 * A section counts in the slot's section count like an RCU section, so the scheme's own grace period
 * (its .synchronize, timed and checked by h_synchronize_rcu) that ends while a reader that entered before
 * it began is still inside is gp-too-short. A claim goes into the reader's claim table in its struct
 * h_worker, engine-private: whoever frees or queues a cpuset scans the tables, and one that covers it is
 * free-while-claimed at that moment. Misuse (a claim or section left open at the end of an operation,
 * released twice, a claim outside a reader) is rcu-unbalanced.
 */
#include "engine.h"

/* rcu-unbalanced details: what was unbalanced */
#define H_UNBAL_SECTION_EXIT 2   /* h_read_section_exit without an enter */
#define H_UNBAL_CLAIM_OUTSIDE 3  /* h_protect from a context that is not a reader */
#define H_UNBAL_CLAIM_RELEASE 4  /* h_unprotect of an object this reader does not claim (released twice) */
#define H_UNBAL_CLAIM_FULL 5     /* more than H_MAX_CLAIMS claims at once (leaked in a loop) */
#define H_UNBAL_CLAIM_LEFT 6     /* a read that returns holding claims */
#define H_UNBAL_SECTION_LEFT 7   /* an operation that returns inside a section of its own */

/* The other half of the oracle's outlast amplifier (oracle.c): a reader that was made to wait at its scheme's
 * shared memory holds the section it enters open until a grace period that began after it entered completes. */
#define H_HOLD_MAX_NS 1000000ULL
static void outlast_hold(struct h_ectx *e)
{
    if (!e->outlasted)
        return;
    e->outlasted = 0;
    h_wait_gp_completed(e->c.arena, smp_load_acquire(&e->c.arena->gp_started.v) + 1, H_HOLD_MAX_NS);
}

void h_torture_section(struct h_ctx *ctx, int delta)
{
    struct h_ectx *e = E(ctx);
    if (!ctx->slot)
        return;
    if (delta > 0) {
        if (e->sections++ == 0 && !e->nesting) {
            h_section_mark(ctx);   /* odd: inside (after the scheme's announcement) */
            outlast_hold(e);     /* amplifier: a stale announcement meets the next grace period */
        }
        return;
    }
    if (e->sections == 0) {
        h_violation(ctx, H_V_RCU_UNBALANCED, 0, 0, H_UNBAL_SECTION_EXIT);
        return;
    }
    h_torture_delay(ctx);   /* amplifier: the section's last moment */
    if (--e->sections == 0 && !e->nesting) {
        h_section_mark(ctx);   /* even: out */
        smp_wmb();             /* ...before the scheme withdraws its announcement */
    }
}

/*
 * A claim on the cpuset at obj. It is published before the object's state is read (smp_mb), and a freer
 * stores the state before it scans the claims (h_claims_check): one of the two sees the other. A claim on
 * an object already free, or on one that was not attached to the reader's task at any instant since the
 * read began (freed and reused since the reader found it), came too late for the freer to see it: the
 * protocol let the freer go ahead.
 */
void h_torture_protect(struct h_ctx *ctx, const void *obj)
{
    struct h_ectx *e = E(ctx);
    struct h_arena *a = ctx->arena;
    h_torture_delay(ctx);
    h_off off = h_offset(ctx, obj);
    if (e->role != H_ROLE_READER || !e->self) {
        h_violation(ctx, H_V_RCU_UNBALANCED, off, 0, H_UNBAL_CLAIM_OUTSIDE);
        return;
    }
    h_off *tab = e->self->claims.obj;
    int i = 0;
    while (i < H_MAX_CLAIMS && tab[i])
        i++;
    if (i == H_MAX_CLAIMS) {
        h_violation(ctx, H_V_RCU_UNBALANCED, off, 0, H_UNBAL_CLAIM_FULL);
        return;
    }
    if (!READ_ONCE(a->claims_used))
        WRITE_ONCE(a->claims_used, 1);
    WRITE_ONCE(tab[i], off);
    e->claims++;
    smp_mb();   /* the claim before the state load; pairs with the freer's state store + smp_mb */
    if (!h_in_pages(ctx, obj) || !h_on_slab_page(ctx, obj)) {
        h_violation(ctx, H_V_FREE_WHILE_CLAIMED, off, 0, 0);
        return;
    }
    const struct h_cpuset *cs = obj;
    const struct h_cpuset_priv *priv = h_cs_priv(ctx, cs);
    uint64_t serial = READ_ONCE(priv->serial);
    if (READ_ONCE(priv->state) == H_OBJ_FREE || h_attached_during_read(ctx, serial) == 0)
        h_violation(ctx, H_V_FREE_WHILE_CLAIMED, off, serial, 0);
}

void h_torture_unprotect(struct h_ctx *ctx, const void *obj)
{
    struct h_ectx *e = E(ctx);
    h_off off = h_offset(ctx, obj);
    h_torture_delay(ctx);   /* amplifier: the claim's last moment */
    if (!e->self) {
        h_violation(ctx, H_V_RCU_UNBALANCED, off, 0, H_UNBAL_CLAIM_OUTSIDE);
        return;
    }
    h_off *tab = e->self->claims.obj;
    for (int i = 0; i < H_MAX_CLAIMS; i++)
        if (tab[i] == off) {
            smp_store_release(&tab[i], 0);   /* the reads under the claim come before its release */
            e->claims--;
            return;
        }
    h_violation(ctx, H_V_RCU_UNBALANCED, off, 0, H_UNBAL_CLAIM_RELEASE);
}

/* Whoever frees or queues the cpuset at off, after storing its new state: a reader's claim that covers it is violated. */
void h_claims_check(struct h_ctx *ctx, h_off off, uint64_t serial)
{
    struct h_arena *a = ctx->arena;
    if (!ctx->checks)
        return;
    smp_mb();   /* the object's state before the claim loads; pairs with h_torture_protect */
    if (!READ_ONCE(a->claims_used))
        return;
    for (int w = 0; w < a->params.nworkers; w++)
        for (int i = 0; i < H_MAX_CLAIMS; i++)
            if (READ_ONCE(a->workers[w].claims.obj[i]) == off)
                h_violation(ctx, H_V_FREE_WHILE_CLAIMED, off, serial, (uint64_t)w + 1);
}

/* After each reader operation and writer step: no section of the scheme's own open, no claim held. Both are
 * closed after the report, so one bug does not stall every later grace period or haunt every later free. */
void h_claims_end_of_op(struct h_ectx *e)
{
    struct h_ctx *ctx = &e->c;
    if (e->sections) {
        h_violation(ctx, H_V_RCU_UNBALANCED, 0, 0, H_UNBAL_SECTION_LEFT);
        e->sections = 1;
        h_torture_section(ctx, -1);
    }
    if (e->claims && e->self) {
        h_violation(ctx, H_V_RCU_UNBALANCED, 0, 0, H_UNBAL_CLAIM_LEFT);
        for (int i = 0; i < H_MAX_CLAIMS; i++)
            smp_store_release(&e->self->claims.obj[i], 0);
        e->claims = 0;
    }
}
