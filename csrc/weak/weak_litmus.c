/*
 * weak_litmus.c - the runners of the litmus suite of the weak-memory emulation (`python -m harness litmus`,
 * tests/test_litmus_weak.py).
 *
 * The shapes of the kernel's tools/memory-model/litmus-tests and Documentation/litmus-tests
 * (litmus_shapes.c), each thread a short program run through the SAME primitives a scheme uses (READ_ONCE,
 * WRITE_ONCE, smp_store_release, smp_load_acquire, rcu_assign_pointer, rcu_dereference, smp_wmb, smp_rmb,
 * smp_mb, cmpxchg_weak, h_spin_lock/unlock, h_rcu_read_lock/unlock), compiled like a scheme (no H_ENGINE);
 * synchronize_rcu is the arena's own grace period, rcu.c's steps (gp_steps.h) over the litmus threads' slots.
 * The emulated threads run in this one process, each with its own store buffer and load cache (weak.h),
 * interleaved one primitive at a time by a random scheduler, which also lets a random thread's held store
 * reach memory between steps. So the outcome is made by the emulation, not by the machine's timing: a
 * verdict does not depend on how many CPUs there are or how busy they are, and a seed replays it.
 *
 * h_litmus_weak_run_procs runs the same programs by real processes, one per litmus thread, pinned to the
 * CPUs given and meeting in shared memory once per trial: the emulation against real concurrency and real
 * caches (and, with it off, what x86 itself does), where the one-process runs give a verdict per seed.
 *
 * Every thread starts with a full ordering point after the trial's initial state; after its last
 * primitive its held stores keep reaching memory one at a time while the others run, and all of them are
 * in memory before the outcome is read (joined). Native mode (weak = 0) runs the same programs with the emulation
 * off: an interleaving of x86 accesses in one process, which is sequentially consistent.
 */
#define _GNU_SOURCE
#include <sched.h>
#include <signal.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

#define H_CTX_SWITCHES   /* h_weak_use() between emulated threads, inside a loop (checkpoints.h) */
#include "api.h"        /* what this file defines for Python: checked against its definitions */
#include "gp_steps.h"
#include "harness.h"
#include "litmus_shapes.h"
#include "weak.h"

/* The shared memory of a trial: small values (0, 1) read as offsets land in the guard, not on a location. */
struct lit_mem {
    uint64_t guard[32];
    uint64_t loc[OBJ][8];    /* one location per 64-byte line */
    uint64_t obj[16];        /* the object the RCU tests publish (OBJ is its first word) */
    struct h_rcu_slot slots[LIT_MAX_THREADS];   /* each thread's RCU reader slot */
    uint64_t gp_ctr H_ALIGNED;                  /* the grace-period counter they snapshot */
    int32_t gp_futex;                           /* never -1: a litmus grace period does not sleep */
} __attribute__((aligned(128)));

struct lit_thread {
    struct h_weak w;
    struct h_ctx ctx;        /* what h_rcu_read_lock reads: this thread's slot, gp_ctr, gp_futex */
    uint64_t gp_target;      /* the grace period OP_SYNC has begun (0: none) */
    int pc;
    uint64_t r[LIT_REGS];
};

static struct lit_mem mem;
static struct lit_thread threads[LIT_MAX_THREADS];

#define OBJ_OFF ((uint64_t)offsetof(struct lit_mem, obj))

int h_litmus_weak_count(void) { return h_lit_ntests; }
const char *h_litmus_weak_name(int test)
{
    return test >= 0 && test < h_lit_ntests ? h_lit_tests[test].name : "?";
}
int h_litmus_weak_threads(int test) { return test >= 0 && test < h_lit_ntests ? h_lit_tests[test].nthreads : -1; }

/* A kernel cmpxchg(): strong, returning the old value. cmpxchg_weak may fail spuriously (not on x86),
 * leaving `old` as it was: it is retried then, as the kernel's LL/SC loops do. */
static uint64_t lit_cmpxchg(uint64_t *x, uint64_t from, uint64_t to)
{
    uint64_t old;
    do
        old = from;
    while (!cmpxchg_weak(x, &old, to) && old == from);
    return old;
}

#define LIT_PROC_TIMEOUT_NS 10000000000ULL   /* a trial that takes 10 s means a litmus process died */

/* One turn of a real process's wait, outside the emulation: a spin, and every 256th turn a yield (when
 * `yield`: another litmus thread may need this CPU) and a look at the clock. 0 once the wait has lasted
 * LIT_PROC_TIMEOUT_NS: a litmus process died. */
static int still_waiting(unsigned *turns, uint64_t *deadline, int yield)
{
    if (++*turns % 256) {
        cpu_relax();
        return 1;
    }
    if (yield)
        sched_yield();
    if (!*deadline)
        *deadline = h_now_ns() + LIT_PROC_TIMEOUT_NS;
    return h_now_ns() <= *deadline;
}

static uint64_t *word(struct lit_mem *m, int loc) { return loc == OBJ ? &m->obj[0] : &m->loc[loc][0]; }

/*
 * synchronize_rcu, as the arena runs it (rcu.c): flip, wait until every slot has passed, end. Without
 * blocking, the flip is one step and each look at the slots another, until all have passed: 0 until then.
 */
static int lit_synchronize(struct lit_mem *m, struct lit_thread *t, int blocking)
{
    static const int32_t alive = 0;
    if (!t->gp_target) {
        t->gp_target = m->gp_ctr + 1;   /* only this thread writes gp_ctr */
        h_gp_flip(&m->gp_ctr, t->gp_target, H_FLAVOR_MB);
        if (!blocking)
            return 0;
    }
    unsigned turns = 0;
    uint64_t deadline = 0;
    for (int j = 0; j < LIT_MAX_THREADS; j++)
        while (!h_gp_reader_passed(&m->slots[j], &alive, t->gp_target)) {
            if (!blocking)
                return 0;
            if (!still_waiting(&turns, &deadline, 1))   /* the reader may share this CPU, or have died */
                break;
        }
    h_gp_end(H_FLAVOR_MB);
    t->gp_target = 0;
    return 1;
}

/*
 * One primitive of thread t on the trial's memory m; 0 when it could not run yet (a lock held by another
 * thread, a grace period whose readers have not all passed: the one-process runner, blocking = 0, tries
 * again at a later step). With blocking, a lock is taken with h_spin_lock itself (task_lock), which spins
 * and yields, and a grace period waits.
 */
static int exec(struct lit_mem *m, struct lit_thread *t, const struct lit_op *o, int blocking)
{
    uint64_t *x = word(m, o->loc);
    uint64_t v = o->arg == LIT_OBJ ? OBJ_OFF : (uint64_t)o->arg;
    uint32_t unlocked = 0;
    switch (o->op) {
    case OP_W: WRITE_ONCE(*x, v); break;
    case OP_WREL: smp_store_release(x, v); break;
    case OP_WREG_REL: smp_store_release(x, t->r[o->arg]); break;
    case OP_ASSIGN: rcu_assign_pointer(*x, OBJ_OFF); break;
    case OP_R: t->r[o->arg] = READ_ONCE(*x); break;
    case OP_RACQ: t->r[o->arg] = smp_load_acquire(x); break;
    case OP_DEREF: t->r[o->arg] = rcu_dereference(*x); break;
    case OP_RDEP: t->r[o->arg] = READ_ONCE(*(uint64_t *)((char *)m + t->r[o->loc])); break;
    case OP_WMB: smp_wmb(); break;
    case OP_RMB: smp_rmb(); break;
    case OP_MB: smp_mb(); break;
    case OP_WIF:
        if (t->r[0])   /* the store is not made, not even speculatively, unless the load returned nonzero */
            WRITE_ONCE(*x, v);
        break;
    case OP_LOCK:
        if (blocking)
            h_spin_lock((uint32_t *)x);
        else if (!cmpxchg_weak((uint32_t *)x, &unlocked, 1))   /* h_spin_lock's fast path */
            return 0;
        break;
    case OP_UNLOCK: h_spin_unlock((uint32_t *)x); break;
    case OP_CMPXCHG: t->r[o->arg] = lit_cmpxchg(x, (uint64_t)o->from, (uint64_t)!o->from); break;
    case OP_RCU_LOCK: h_rcu_read_lock(&t->ctx, H_FLAVOR_MB); break;
    case OP_RCU_UNLOCK: h_rcu_read_unlock(&t->ctx, H_FLAVOR_MB); break;
    case OP_SYNC: return lit_synchronize(m, t, blocking);
    case OP_RCU_UNLOCK_NOMB:
        WRITE_ONCE(t->ctx.slot->ctr, 0);
        smp_mb();
        break;
    }
    return 1;
}

#define Z_OFF ((uint64_t)offsetof(struct lit_mem, loc[Z]))

static uint64_t wanted(int want) { return want == LIT_OBJ ? OBJ_OFF : want == LIT_AT_Z ? Z_OFF : (uint64_t)want; }

static int matches(const struct lit_test *lt, uint64_t r[][LIT_REGS], struct lit_mem *m)
{
    if (lt->final.loc1 && *word(m, lt->final.loc1 - 1) != (uint64_t)lt->final.val)
        return 0;
    for (int i = 0; i < lt->nthreads; i++)
        for (int k = 0; k < LIT_REGS; k++) {
            int want = lt->cond[i][k];
            if (want >= 0 && r[i][k] != wanted(want))
                return 0;
        }
    return 1;
}

/* The initial state of a trial: every location 0 but the test's initial values, P pointing at Z, the
 * grace-period counter at 1 (a slot's 0 means outside), every slot outside. */
static void initial_state(struct lit_mem *m, const struct lit_test *lt)
{
    memset(m, 0, sizeof(*m));
    m->loc[P][0] = Z_OFF;
    m->gp_ctr = 1;
    for (int k = 0; k < 2; k++)
        if (lt->init[k].loc1)
            *word(m, lt->init[k].loc1 - 1) = (uint64_t)lt->init[k].val;
}

static void setup_thread(struct lit_thread *t, struct lit_mem *m, uint64_t seed, int i)
{
    h_weak_setup(&t->w, seed * 31 + (uint64_t)i, m, sizeof(*m));
    t->w.objects_lo = OBJ_OFF;
    t->w.objects_hi = OBJ_OFF + sizeof(m->obj);
    memset(&t->ctx, 0, sizeof(t->ctx));
    t->ctx.slot = &m->slots[i];
    t->ctx.gp_ctr = &m->gp_ctr;
    t->ctx.gp_futex = &m->gp_futex;
    t->ctx.worker = i;
    t->ctx.flavor = H_FLAVOR_MB;
    t->gp_target = 0;
}

/* The one-process runner's scheduler: the test, its random stream, the threads not done yet, and the thread
 * whose primitive is running (-1: none), whose drain may give the others steps (between). */
struct lit_sched {
    const struct lit_test *lt;
    uint64_t rng;
    int weak;
    int left;
    int inside;
    int in_window;
};

/* One step: a random thread's next primitive (not the one inside a primitive: it goes on after the window),
 * or for a thread that is done, one of its held stores reaching memory; and now and then a held store of
 * some thread. */
static void step(struct lit_sched *sc)
{
    const struct lit_test *lt = sc->lt;
    uint64_t r = h_xorshift(&sc->rng);
    int i = (int)(r % (uint64_t)lt->nthreads);
    struct lit_thread *t = &threads[i];
    if (!(sc->left >> i & 1)) {   /* done: its held stores still reach memory one by one */
        if (sc->weak)
            h_weak_drain_one(&t->w);
        return;
    }
    if (i == sc->inside)
        return;
    int outer = sc->inside;
    struct h_weak *was = h_weak_ctx();
    sc->inside = i;
    h_weak_use(sc->weak ? &t->w : NULL);
    t->pc += exec(&mem, t, &lt->prog[i][t->pc], 0);
    h_weak_use(was);
    sc->inside = outer;
    if (lt->prog[i][t->pc].op < 0)
        sc->left &= ~(1 << i);
    if (sc->weak && (r >> 32 & 3) == 0) {   /* a held store of some thread reaches memory */
        int j = (int)((r >> 40) % (uint64_t)lt->nthreads);
        h_weak_drain_one(&threads[j].w);
    }
}

/* A window inside a thread's drain (weak.c), between two of its stores: steps of the others (none, one or
 * more: a real store buffer may drain slowly), so they may see some of its stores and not the rest. One
 * level: their own drains are whole. */
static void between(void *arg)
{
    struct lit_sched *sc = arg;
    if (sc->in_window)
        return;
    sc->in_window = 1;
    while (h_xorshift(&sc->rng) & 1)
        step(sc);
    sc->in_window = 0;
}

/*
 * Run `trials` of test `test` and return how many ended in the outcome of its exists clause (-1: no such
 * test). weak: 1 with the emulation, 0 native.
 */
long long h_litmus_weak_run(int test, long long trials, unsigned long long seed, int weak)
{
    if (test < 0 || test >= h_lit_ntests)
        return -1;
    const struct lit_test *lt = &h_lit_tests[test];
    struct lit_sched sc = { .lt = lt, .rng = (seed + 1) * 0x9E3779B97F4A7C15ULL | 1, .weak = weak, .inside = -1 };
    long long seen = 0;
    for (int i = 0; i < lt->nthreads; i++)
        setup_thread(&threads[i], &mem, seed, i);
    for (long long n = 0; n < trials; n++) {
        initial_state(&mem, lt);
        sc.left = 0;
        for (int i = 0; i < lt->nthreads; i++) {
            threads[i].pc = 0;
            threads[i].r[0] = threads[i].r[1] = 0;
            sc.left |= 1 << i;
            if (weak)
                h_weak_fence(&threads[i].w, H_WF_FULL);   /* every thread starts after the initial state */
            threads[i].w.between = between;
            threads[i].w.between_arg = &sc;
        }
        while (sc.left)
            step(&sc);
        for (int i = 0; i < lt->nthreads; i++)
            threads[i].w.between = NULL;
        for (int i = 0; i < lt->nthreads && weak; i++)   /* joined: every store is in the final state */
            h_weak_fence(&threads[i].w, H_WF_DRAIN);
        uint64_t r[LIT_MAX_THREADS][LIT_REGS];
        for (int i = 0; i < lt->nthreads; i++)
            memcpy(r[i], threads[i].r, sizeof(r[i]));
        seen += matches(lt, r, &mem);
    }
    h_weak_use(NULL);
    return seen;
}

/* ---------------------------------------------------------------- the same, by real processes */

/* Random gaps, in empty loop iterations: at the start (the release reaches each process at its own time),
 * between primitives, and between held stores reaching memory (so others can look at a half-drained
 * buffer). Wide enough that the threads' programs overlap in a useful share of the trials. */
#define LIT_START_SKEW 2048
#define LIT_STEP_SKEW 128
/* Native: the machine's own reordering, on x86 a store still in the store buffer when a later load runs,
 * shows only if nothing waits between the two and the sides start close together (SB+poonceonces, 10^5
 * trials on 2 CPUs: 33 with the emulation's gaps and no step gap, 555 with these; 0 with the step gap). */
#define LIT_NATIVE_START_SKEW 256
#define LIT_DRAIN_SKEW 512

struct lit_shared {
    struct lit_mem mem;
    uint64_t go H_ALIGNED;     /* thread 0 releases trial n by storing n + 1 */
    uint64_t done H_ALIGNED;   /* threads that finished a trial, over all trials */
    uint64_t stop;             /* enough seen, or a thread stopped answering: every thread exits */
    long long seen;            /* thread 0's count, read by the caller after every process is gone */
    uint64_t r[LIT_MAX_THREADS][LIT_REGS];
};

/* The harness's own synchronisation, outside the emulation (bare builtins, not the scheme primitives).
 * A waiter yields when another litmus thread is pinned to its own CPU: that one (the waitee, or one the
 * waitee waits for) cannot run until the waiter gives the CPU up. With a CPU to itself a waiter only spins:
 * yielding would hand the CPU to whatever else is runnable here (a CPU hog) for a whole time slice on
 * every trial. 0 on a timeout or a stop. */
static int wait_for(struct lit_shared *s, uint64_t *word, uint64_t at_least, int shares_cpu)
{
    unsigned turns = 0;
    uint64_t deadline = 0;
    while (__atomic_load_n(word, __ATOMIC_ACQUIRE) < at_least) {
        if (__atomic_load_n(&s->stop, __ATOMIC_ACQUIRE) && __atomic_load_n(word, __ATOMIC_ACQUIRE) < at_least)
            return 0;
        if (!still_waiting(&turns, &deadline, shares_cpu))
            return 0;
    }
    return 1;
}

static void skew(uint64_t *rng, uint64_t max)
{
    for (volatile uint64_t n = h_xorshift(rng) % max; n; n--)
        ;
}

/*
 * Litmus thread i, in a process of its own pinned to `cpu`: each trial, run its program through the
 * primitives, let its held stores reach memory one by one with gaps for the others to look, report.
 * Thread 0 also runs the trials: it sets the initial state, releases the others, waits for all of them
 * and counts the outcome, so there is no further process competing for the CPUs.
 */
static void __attribute__((noreturn)) lit_process(struct lit_shared *s, const struct lit_test *lt, int i,
                                                  long long trials, uint64_t seed, int weak, const int *cpus,
                                                  int ncpus, long long enough)
{
    int cpu = cpus[i % ncpus], shares_cpu = 0;
    for (int j = 0; j < lt->nthreads; j++)   /* another thread pinned to this process's CPU */
        shares_cpu |= j != i && cpus[j % ncpus] == cpu;
    cpu_set_t set;
    CPU_ZERO(&set);
    CPU_SET(cpu, &set);
    sched_setaffinity(0, sizeof(set), &set);
    struct lit_thread t;
    setup_thread(&t, &s->mem, seed, i);
    uint64_t rng = (seed + 7) * 0x9E3779B97F4A7C15ULL * (uint64_t)(i + 1) | 1;
    uint64_t nthreads = (uint64_t)lt->nthreads;
    for (long long n = 0; n < trials; n++) {
        if (i == 0) {
            initial_state(&s->mem, lt);
            __atomic_store_n(&s->go, (uint64_t)n + 1, __ATOMIC_RELEASE);
        } else if (!wait_for(s, &s->go, (uint64_t)n + 1, shares_cpu)) {
            break;
        }
        t.r[0] = t.r[1] = 0;
        h_weak_use(weak ? &t.w : NULL);
        if (weak)
            h_weak_fence(&t.w, H_WF_FULL);   /* after the initial state */
        skew(&rng, weak ? LIT_START_SKEW : LIT_NATIVE_START_SKEW);   /* the sides meet at varying points */
        for (int pc = 0; lt->prog[i][pc].op >= 0; pc++) {
            exec(&s->mem, &t, &lt->prog[i][pc], 1);
            if (weak)
                skew(&rng, LIT_STEP_SKEW);
        }
        while (weak && t.w.n) {
            skew(&rng, LIT_DRAIN_SKEW);
            h_weak_drain_one(&t.w);
        }
        if (weak)
            h_weak_fence(&t.w, H_WF_DRAIN);  /* joined: every store is in the final state */
        h_weak_use(NULL);
        memcpy(s->r[i], t.r, sizeof(t.r));
        __atomic_fetch_add(&s->done, 1, __ATOMIC_ACQ_REL);
        if (i == 0) {
            if (!wait_for(s, &s->done, ((uint64_t)n + 1) * nthreads, shares_cpu)) {
                s->seen = -2;
                break;
            }
            s->seen += matches(lt, s->r, &s->mem);
            if (enough && s->seen >= enough)
                break;
        }
    }
    if (i == 0)   /* the others wait for a release that will not come */
        __atomic_store_n(&s->stop, 1, __ATOMIC_RELEASE);
    _exit(0);
}

/*
 * `trials` of test `test` by real processes, thread i pinned to cpus[i % ncpus]; returns how many ended in
 * the exists clause's outcome, stopping early once `enough` were seen (0: never). -1: no such test or no
 * CPU; -2: the shared memory or a process could not be made, or a process stopped answering.
 */
long long h_litmus_weak_run_procs(int test, long long trials, unsigned long long seed, int weak, const int *cpus,
                                  int ncpus, long long enough)
{
    if (test < 0 || test >= h_lit_ntests || ncpus < 1)
        return -1;
    const struct lit_test *lt = &h_lit_tests[test];
    struct lit_shared *s = mmap(NULL, sizeof(*s), PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
    if (s == MAP_FAILED)
        return -2;
    memset(s, 0, sizeof(*s));
    pid_t pids[LIT_MAX_THREADS] = { 0 };
    int failed = 0;
    for (int i = 0; i < lt->nthreads && !failed; i++) {
        pids[i] = fork();
        if (pids[i] == 0)
            lit_process(s, lt, i, trials, seed, weak, cpus, ncpus, enough);
        failed = pids[i] < 0;
    }
    if (failed)
        __atomic_store_n(&s->stop, 1, __ATOMIC_RELEASE);
    for (int i = 0; i < lt->nthreads; i++)
        if (pids[i] > 0)
            waitpid(pids[i], NULL, 0);
    long long seen = failed ? -2 : s->seen;
    munmap(s, sizeof(*s));
    return seen;
}
