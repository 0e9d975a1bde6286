/*
 * weak_litmus.c - the litmus suite of the weak-memory emulation (tests/test_litmus_weak.py).
 *
 * The classic shapes of the kernel's tools/memory-model/litmus-tests, each thread a short program run
 * through the SAME primitives a scheme uses (READ_ONCE, WRITE_ONCE, smp_store_release, smp_load_acquire,
 * rcu_assign_pointer, rcu_dereference, smp_wmb, smp_rmb, smp_mb), compiled like a scheme (no H_ENGINE).
 * The emulated threads run in this one process, each with its own store buffer and load cache (weak.h),
 * interleaved one primitive at a time by a random scheduler, which also lets a random thread's held store
 * reach memory between steps. So the outcome is made by the emulation, not by the machine's timing: a
 * verdict does not depend on how many CPUs there are or how busy they are, and a seed replays it.
 *
 * Every thread starts with a full ordering point after the trial's initial state; after its last
 * primitive its held stores keep reaching memory one at a time while the others run, and all of them are
 * in memory before the outcome is read (joined). Native mode (weak = 0) runs the same programs with the emulation
 * off: an interleaving of x86 accesses in one process, which is sequentially consistent.
 */
#include "harness.h"
#include "weak.h"

enum { OP_W, OP_WREL, OP_WREG_REL, OP_ASSIGN, OP_R, OP_RACQ, OP_DEREF, OP_RDEP, OP_WMB, OP_RMB, OP_MB };
enum { X, Y, Z, P, OBJ, NLOC };   /* OBJ: the first word of the object the RCU tests publish */

struct lit_op {
    int op;
    int loc;   /* X..OBJ; OP_RDEP: the register holding the offset */
    int arg;   /* OP_W/OP_WREL: the value; OP_WREG_REL: the register stored; loads: the register written */
};

#define LIT_MAX_OPS 4
#define LIT_MAX_THREADS 3
#define LIT_REGS 2

struct lit_test {
    const char *name;
    int nthreads;
    struct lit_op prog[LIT_MAX_THREADS][LIT_MAX_OPS + 1];   /* ends with op -1 */
    int cond[LIT_MAX_THREADS][LIT_REGS];                    /* the exists clause: -1 any; LIT_OBJ: the object */
};

#define LIT_OBJ 1000   /* "the offset of obj" in a condition */
#define END { -1, 0, 0 }
#define ANY { -1, -1 }

static const struct lit_test tests[] = {
    { "MP+poonceonces", 2,
      { { { OP_W, X, 1 }, { OP_W, Y, 1 }, END }, { { OP_R, Y, 0 }, { OP_R, X, 1 }, END } },
      { ANY, { 1, 0 } } },
    { "MP+wmbonceonce+rmbonceonce", 2,
      { { { OP_W, X, 1 }, { OP_WMB }, { OP_W, Y, 1 }, END }, { { OP_R, Y, 0 }, { OP_RMB }, { OP_R, X, 1 }, END } },
      { ANY, { 1, 0 } } },
    { "MP+wmbonceonce+poonceonces", 2,
      { { { OP_W, X, 1 }, { OP_WMB }, { OP_W, Y, 1 }, END }, { { OP_R, Y, 0 }, { OP_R, X, 1 }, END } },
      { ANY, { 1, 0 } } },
    { "MP+poonceonces+rmbonceonce", 2,
      { { { OP_W, X, 1 }, { OP_W, Y, 1 }, END }, { { OP_R, Y, 0 }, { OP_RMB }, { OP_R, X, 1 }, END } },
      { ANY, { 1, 0 } } },
    { "MP+pooncerelease+poacquireonce", 2,
      { { { OP_W, X, 1 }, { OP_WREL, Y, 1 }, END }, { { OP_RACQ, Y, 0 }, { OP_R, X, 1 }, END } },
      { ANY, { 1, 0 } } },
    /* the object is initialised, then published; the reader reads the object's word through the pointer */
    { "MP+onceassign+derefonce", 2,
      { { { OP_W, OBJ, 1 }, { OP_ASSIGN, P, 0 }, END }, { { OP_DEREF, P, 0 }, { OP_RDEP, 0, 1 }, END } },
      { ANY, { LIT_OBJ, 0 } } },
    /* the same publish with WRITE_ONCE, what weak_publish_write_once.c does (not in the kernel's directory) */
    { "MP+onceonce+derefonce", 2,
      { { { OP_W, OBJ, 1 }, { OP_W, P, LIT_OBJ }, END }, { { OP_DEREF, P, 0 }, { OP_RDEP, 0, 1 }, END } },
      { ANY, { LIT_OBJ, 0 } } },
    { "SB+poonceonces", 2,
      { { { OP_W, X, 1 }, { OP_R, Y, 0 }, END }, { { OP_W, Y, 1 }, { OP_R, X, 0 }, END } },
      { { 0, -1 }, { 0, -1 } } },
    { "SB+mbonceonces", 2,
      { { { OP_W, X, 1 }, { OP_MB }, { OP_R, Y, 0 }, END }, { { OP_W, Y, 1 }, { OP_MB }, { OP_R, X, 0 }, END } },
      { { 0, -1 }, { 0, -1 } } },
    { "WRC+pooncerelease+rmbonceonce+Once", 3,
      { { { OP_W, X, 1 }, END },
        { { OP_R, X, 0 }, { OP_WREG_REL, Y, 0 }, END },
        { { OP_R, Y, 0 }, { OP_RMB }, { OP_R, X, 1 }, END } },
      { ANY, { 1, -1 }, { 1, 0 } } },
    { "ISA2+pooncerelease+poacquirerelease+poacquireonce", 3,
      { { { OP_W, X, 1 }, { OP_WREL, Y, 1 }, END },
        { { OP_RACQ, Y, 0 }, { OP_WREL, Z, 1 }, END },
        { { OP_RACQ, Z, 0 }, { OP_R, X, 1 }, END } },
      { ANY, { 1, -1 }, { 1, 0 } } },
    { "ISA2+poonceonces", 3,
      { { { OP_W, X, 1 }, { OP_W, Y, 1 }, END },
        { { OP_R, Y, 0 }, { OP_W, Z, 1 }, END },
        { { OP_R, Z, 0 }, { OP_R, X, 1 }, END } },
      { ANY, { 1, -1 }, { 1, 0 } } },
    { "LB+poonceonces", 2,
      { { { OP_R, X, 0 }, { OP_W, Y, 1 }, END }, { { OP_R, Y, 0 }, { OP_W, X, 1 }, END } },
      { { 1, -1 }, { 1, -1 } } },
};

#define NTESTS ((int)(sizeof(tests) / sizeof(tests[0])))

/* The shared memory of a trial: small values (0, 1) read as offsets land in the guard, not on a location. */
struct lit_mem {
    uint64_t guard[32];
    uint64_t loc[OBJ][8];    /* one location per 64-byte line */
    uint64_t obj[16];        /* the object the RCU tests publish (OBJ is its first word) */
} __attribute__((aligned(128)));

struct lit_thread {
    struct h_weak w;
    int pc;
    uint64_t r[LIT_REGS];
};

static struct lit_mem mem;
static struct lit_thread threads[LIT_MAX_THREADS];

#define OBJ_OFF ((uint64_t)offsetof(struct lit_mem, obj))

int h_litmus_weak_count(void) { return NTESTS; }
const char *h_litmus_weak_name(int test) { return test >= 0 && test < NTESTS ? tests[test].name : "?"; }

/* One primitive of thread t. */
static void exec(struct lit_thread *t, const struct lit_op *o)
{
    uint64_t *x = o->loc == OBJ ? &mem.obj[0] : &mem.loc[o->loc][0];
    uint64_t v = o->arg == LIT_OBJ ? OBJ_OFF : (uint64_t)o->arg;
    switch (o->op) {
    case OP_W: WRITE_ONCE(*x, v); break;
    case OP_WREL: smp_store_release(x, v); break;
    case OP_WREG_REL: smp_store_release(x, t->r[o->arg]); break;
    case OP_ASSIGN: rcu_assign_pointer(*x, OBJ_OFF); break;
    case OP_R: t->r[o->arg] = READ_ONCE(*x); break;
    case OP_RACQ: t->r[o->arg] = smp_load_acquire(x); break;
    case OP_DEREF: t->r[o->arg] = rcu_dereference(*x); break;
    case OP_RDEP: t->r[o->arg] = READ_ONCE(*(uint64_t *)((char *)&mem + t->r[o->loc])); break;
    case OP_WMB: smp_wmb(); break;
    case OP_RMB: smp_rmb(); break;
    case OP_MB: smp_mb(); break;
    }
}

static int matches(const struct lit_test *lt)
{
    for (int i = 0; i < lt->nthreads; i++)
        for (int k = 0; k < LIT_REGS; k++) {
            int want = lt->cond[i][k];
            if (want >= 0 && threads[i].r[k] != (want == LIT_OBJ ? OBJ_OFF : (uint64_t)want))
                return 0;
        }
    return 1;
}

static inline uint64_t next(uint64_t *s)
{
    *s ^= *s >> 12;
    *s ^= *s << 25;
    *s ^= *s >> 27;
    return *s * 0x2545F4914F6CDD1DULL;
}

/*
 * Run `trials` of test `test` and return how many ended in the outcome of its exists clause (-1: no such
 * test). weak: 1 with the emulation, 0 native.
 */
long long h_litmus_weak_run(int test, long long trials, unsigned long long seed, int weak)
{
    if (test < 0 || test >= NTESTS)
        return -1;
    const struct lit_test *lt = &tests[test];
    uint64_t rng = (seed + 1) * 0x9E3779B97F4A7C15ULL | 1;
    long long seen = 0;
    for (int i = 0; i < lt->nthreads; i++) {
        h_weak_setup(&threads[i].w, seed * 31 + (uint64_t)i, &mem, sizeof(mem));
        threads[i].w.objects_lo = OBJ_OFF;
        threads[i].w.objects_hi = OBJ_OFF + sizeof(mem.obj);
    }
    for (long long n = 0; n < trials; n++) {
        memset(&mem, 0, sizeof(mem));
        mem.loc[P][0] = (uint64_t)offsetof(struct lit_mem, loc[Z]);   /* P starts at another object (Z) */
        int left = 0;
        for (int i = 0; i < lt->nthreads; i++) {
            threads[i].pc = 0;
            threads[i].r[0] = threads[i].r[1] = 0;
            left |= 1 << i;
            if (weak)
                h_weak_fence(&threads[i].w, H_WF_FULL);   /* every thread starts after the initial state */
        }
        while (left) {
            uint64_t r = next(&rng);
            int i = (int)(r % (uint64_t)lt->nthreads);
            struct lit_thread *t = &threads[i];
            if (!(left >> i & 1)) {   /* done: its held stores still reach memory one by one */
                if (weak)
                    h_weak_drain_one(&t->w);
                continue;
            }
            h_weak_use(weak ? &t->w : NULL);
            exec(t, &lt->prog[i][t->pc++]);
            if (lt->prog[i][t->pc].op < 0)
                left &= ~(1 << i);
            if (weak && (r >> 32 & 3) == 0) {   /* a held store of some thread reaches memory */
                int j = (int)((r >> 40) % (uint64_t)lt->nthreads);
                h_weak_drain_one(&threads[j].w);
            }
        }
        for (int i = 0; i < lt->nthreads && weak; i++)   /* joined: every store is in the final state */
            h_weak_fence(&threads[i].w, H_WF_DRAIN);
        seen += matches(lt);
    }
    h_weak_use(NULL);
    return seen;
}
