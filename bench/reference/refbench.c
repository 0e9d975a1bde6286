/*
 * refbench.c - the project's reference for what its schemes cost: the same
 * read-side work as the harness's deref loop (load a published pointer, read
 * the object's serial and mems_allowed, as h_cpuset_read does; here the pair is
 * also checked, ~serial == mems, to count torn reads) under the real mechanisms
 * the schemes model: liburcu's qsbr, memb and mb flavors, an inc-not-zero
 * refcount on type-stable memory, a spinlock, a seqlock, and bare loads.
 * Readers (and an optional updater that replaces the object every 10 us) are
 * threads pinned one per allowed CPU.
 *
 *   refbench -l                      mechanisms, one a line
 *   refbench -H -m MECH -r R -d S [-u] [-q N]
 *                                    CSV header, then one row
 *
 * Exit status: 0; 2 bad arguments; 4 a safe mechanism read a torn or
 * reclaimed object (errors > 0), which would make its figure meaningless.
 * Build (bench/anchors.py does it): cc -O2 -pthread refbench.c
 *   -lurcu-qsbr -lurcu-memb -lurcu-mb -lurcu-common
 */
#define _GNU_SOURCE
#define _LGPL_SOURCE            /* inline liburcu's read-side fast paths */
#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

/* Without URCU_API_MAP each flavor keeps its prefix, so all three live in one file. */
#include <urcu/urcu-qsbr.h>
#include <urcu/urcu-memb.h>
#include <urcu/urcu-mb.h>

#define POISON    0xdeaddeaddeaddeadULL   /* serial == mems == POISON: never ~serial == mems */
#define POOL      1024
#define MAX_READERS 256
#define BATCH     256            /* reads between looks at the stop flag */
#define WINDOW_NS 2000000ull     /* best-window length, as the harness's */
#define PERIOD_NS 10000ull       /* the updater's period: the harness's steady writer */
#define ALIGNED   __attribute__((aligned(64)))

struct obj {
	_Atomic uint64_t serial, mems;   /* what the harness's reader copies out of a cpuset */
	_Atomic uint32_t ref;            /* refcount only */
} ALIGNED;
_Static_assert(sizeof(struct obj) == 64, "one cache line");

enum mech { PLAIN, QSBR, MEMB, MB, REFCOUNT, SPINLOCK, SEQLOCK, NMECH };
static const char *names[NMECH] = { "plain", "qsbr", "memb", "mb", "refcount", "spinlock", "seqlock" };

struct reader_result { uint64_t reads, ns, errors, retries, sink; double best; } ALIGNED;

static struct {
	struct obj *_Atomic ptr ALIGNED;     /* the published object */
	_Atomic uint32_t seq ALIGNED;        /* seqlock */
	_Atomic int stop ALIGNED;
	_Atomic int ready, go;
	pthread_spinlock_t lock ALIGNED;
	struct obj pool[POOL];
	struct reader_result rr[MAX_READERS];
	uint64_t upd_ops, upd_ns, lat_p50, lat_p99;
} g;

static enum mech mech;
static int nreaders = 1, updater, qs_every = 64;
static double seconds = 1.0;
static int cpus[CPU_SETSIZE], ncpus;

static uint64_t now_ns(void)
{
	struct timespec t;
	clock_gettime(CLOCK_MONOTONIC, &t);
	return (uint64_t)t.tv_sec * 1000000000ull + (uint64_t)t.tv_nsec;
}

static void pin(int slot)
{
	cpu_set_t set;
	CPU_ZERO(&set);
	CPU_SET(cpus[slot % ncpus], &set);
	pthread_setaffinity_np(pthread_self(), sizeof(set), &set);
}

/* Relaxed loads: the ordering comes from the mechanism around them (a lock,
 * rcu_dereference's dependency, the seqlock's fences), as in the harness. */
static inline unsigned read_obj(struct obj *p, uint64_t *sink)
{
	uint64_t serial = atomic_load_explicit(&p->serial, memory_order_relaxed);
	uint64_t mems = atomic_load_explicit(&p->mems, memory_order_relaxed);
	*sink += mems;
	return ~serial != mems;
}

/* serial 0: poison (a reclaimed object); else a live one */
static void fill(struct obj *o, uint64_t serial)
{
	atomic_store_explicit(&o->serial, serial ? serial : POISON, memory_order_relaxed);
	atomic_store_explicit(&o->mems, serial ? ~serial : POISON, memory_order_relaxed);
}

/* inc-not-zero, then re-check that p is still the published object: on
 * type-stable memory a slot can be reused for a new object under us. */
static inline struct obj *ref_get(uint64_t *retries)
{
	for (;;) {
		struct obj *p = atomic_load_explicit(&g.ptr, memory_order_acquire);
		uint32_t r = atomic_load_explicit(&p->ref, memory_order_relaxed);
		while (r && !atomic_compare_exchange_weak_explicit(&p->ref, &r, r + 1, memory_order_acquire,
								   memory_order_relaxed))
			;
		if (r && atomic_load_explicit(&g.ptr, memory_order_acquire) == p)
			return p;
		if (r)   /* release: our reads of p are done before its slot can be reused */
			atomic_fetch_sub_explicit(&p->ref, 1, memory_order_release);
		(*retries)++;
	}
}

/* The timed loop: BATCH reads between looks at the stop flag; every 16 batches
 * the clock, for the best ns/read over any WINDOW_NS (filters host noise). */
#define TIMED(BODY)                                                                    \
	do {                                                                           \
		uint64_t w0 = now_ns(), wn = 0;                                        \
		while (!atomic_load_explicit(&g.stop, memory_order_relaxed)) {        \
			for (int i_ = 0; i_ < BATCH; i_++) { BODY }                    \
			n += BATCH;                                                    \
			if (n % (16 * BATCH) == 0) {                                   \
				uint64_t t = now_ns();                                 \
				if (t - w0 >= WINDOW_NS) {                             \
					double r = (double)(t - w0) / (double)(n - wn); \
					best = r < best ? r : best;                    \
					w0 = t;                                        \
					wn = n;                                        \
				}                                                      \
			}                                                              \
		}                                                                      \
	} while (0)

static void *reader(void *arg)
{
	int id = (int)(intptr_t)arg;
	uint64_t n = 0, errors = 0, retries = 0, sink = 0, t0, t1;
	double best = 1e30;
	int q = 0;
	struct obj *p;

	pin(id);
	if (mech == QSBR) urcu_qsbr_register_thread();
	if (mech == MEMB) urcu_memb_register_thread();
	if (mech == MB) urcu_mb_register_thread();
	atomic_fetch_add(&g.ready, 1);
	while (!atomic_load_explicit(&g.go, memory_order_acquire))
		;
	t0 = now_ns();
	switch (mech) {
	case PLAIN:
		TIMED(p = atomic_load_explicit(&g.ptr, memory_order_relaxed); errors += read_obj(p, &sink););
		break;
	case QSBR:
		TIMED(urcu_qsbr_read_lock(); p = rcu_dereference(g.ptr); errors += read_obj(p, &sink);
		      urcu_qsbr_read_unlock();
		      if (++q == qs_every) { q = 0; urcu_qsbr_quiescent_state(); });
		break;
	case MEMB:
		TIMED(urcu_memb_read_lock(); p = rcu_dereference(g.ptr); errors += read_obj(p, &sink);
		      urcu_memb_read_unlock(););
		break;
	case MB:
		TIMED(urcu_mb_read_lock(); p = rcu_dereference(g.ptr); errors += read_obj(p, &sink);
		      urcu_mb_read_unlock(););
		break;
	case REFCOUNT:
		TIMED(p = ref_get(&retries); errors += read_obj(p, &sink);
		      atomic_fetch_sub_explicit(&p->ref, 1, memory_order_release););
		break;
	case SPINLOCK:
		TIMED(pthread_spin_lock(&g.lock); p = atomic_load_explicit(&g.ptr, memory_order_relaxed);
		      errors += read_obj(p, &sink); pthread_spin_unlock(&g.lock););
		break;
	case SEQLOCK:
		TIMED(for (;;) {
			uint32_t s = atomic_load_explicit(&g.seq, memory_order_acquire);
			if (s & 1) { retries++; continue; }
			p = atomic_load_explicit(&g.ptr, memory_order_relaxed);
			unsigned bad = read_obj(p, &sink);
			/* acquire fence: the object's loads complete before the re-read of seq */
			atomic_thread_fence(memory_order_acquire);
			if (atomic_load_explicit(&g.seq, memory_order_relaxed) == s) { errors += bad; break; }
			retries++;
		});
		break;
	default:
		abort();
	}
	t1 = now_ns();
	if (mech == QSBR) urcu_qsbr_unregister_thread();
	if (mech == MEMB) urcu_memb_unregister_thread();
	if (mech == MB) urcu_mb_unregister_thread();
	g.rr[id] = (struct reader_result){ n, t1 - t0, errors, retries, sink, best };
	return NULL;
}

static int by_value(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
	return (x > y) - (x < y);
}

/* Replace the object every PERIOD_NS and reclaim the old one as the mechanism
 * requires: poisoned, so a reader that still sees it counts an error. */
static void *update(void *arg)
{
	size_t cap = (size_t)(seconds * 1.5e9 / PERIOD_NS) + 16, nlat = 0;
	uint64_t *lat = malloc(cap * sizeof(*lat)), gen = 1, next, t0;
	unsigned slot = 1;
	(void)arg;
	if (!lat)
		abort();
	pin(nreaders);
	atomic_fetch_add(&g.ready, 1);
	while (!atomic_load_explicit(&g.go, memory_order_acquire))
		;
	t0 = next = now_ns();
	while (!atomic_load_explicit(&g.stop, memory_order_relaxed)) {
		while (now_ns() < next)
			;
		next += PERIOD_NS;
		struct obj *nw = &g.pool[slot++ % POOL];
		/* refcount: a slot is free once its last reference is gone */
		while (mech == REFCOUNT && atomic_load_explicit(&nw->ref, memory_order_acquire))
			nw = &g.pool[slot++ % POOL];
		fill(nw, ++gen);
		atomic_store_explicit(&nw->ref, 1, memory_order_release);
		uint64_t a = now_ns();
		struct obj *old;
		if (mech == SPINLOCK) {
			pthread_spin_lock(&g.lock);
			old = atomic_exchange_explicit(&g.ptr, nw, memory_order_relaxed);
			pthread_spin_unlock(&g.lock);
		} else if (mech == SEQLOCK) {
			uint32_t s = atomic_load_explicit(&g.seq, memory_order_relaxed);
			atomic_store_explicit(&g.seq, s + 1, memory_order_relaxed);
			/* release fence: the odd count is visible before the new pointer */
			atomic_thread_fence(memory_order_release);
			old = atomic_exchange_explicit(&g.ptr, nw, memory_order_relaxed);
			atomic_store_explicit(&g.seq, s + 2, memory_order_release);
		} else {
			/* release: the new object's fields are visible before its pointer */
			old = atomic_exchange_explicit(&g.ptr, nw, memory_order_acq_rel);
		}
		if (mech == QSBR) urcu_qsbr_synchronize_rcu();
		if (mech == MEMB) urcu_memb_synchronize_rcu();
		if (mech == MB) urcu_mb_synchronize_rcu();
		if (nlat < cap)
			lat[nlat++] = now_ns() - a;
		if (mech == REFCOUNT)
			atomic_fetch_sub_explicit(&old->ref, 1, memory_order_release);
		else if (mech != PLAIN)   /* plain has no way to know: it reuses blind, as unsynchronized does */
			fill(old, 0);
		g.upd_ops++;
	}
	g.upd_ns = now_ns() - t0;
	qsort(lat, nlat, sizeof(*lat), by_value);
	g.lat_p50 = nlat ? lat[nlat / 2] : 0;
	g.lat_p99 = nlat ? lat[nlat * 99 / 100] : 0;
	free(lat);
	return NULL;
}

static int usage(const char *why)
{
	fprintf(stderr, "refbench: %s\nusage: refbench -l | refbench [-H] -m MECH [-r READERS] [-d SECONDS] "
			"[-u] [-q QS_EVERY]\n", why);
	return 2;
}

int main(int argc, char **argv)
{
	int header = 0, opt, found = 0;
	cpu_set_t allowed;

	while ((opt = getopt(argc, argv, "lHm:r:d:uq:")) != -1) {
		switch (opt) {
		case 'l':
			for (int m = 0; m < NMECH; m++)
				puts(names[m]);
			return 0;
		case 'H': header = 1; break;
		case 'm':
			for (int m = 0; m < NMECH; m++)
				if (!strcmp(optarg, names[m])) { mech = (enum mech)m; found = 1; }
			if (!found)
				return usage("unknown mechanism");
			break;
		case 'r': nreaders = atoi(optarg); break;
		case 'd': seconds = atof(optarg); break;
		case 'u': updater = 1; break;
		case 'q': qs_every = atoi(optarg); break;
		default: return usage("bad option");
		}
	}
	if (!found || nreaders < 1 || nreaders > MAX_READERS || !(seconds > 0) || qs_every < 1)
		return usage("need -m MECH, 1 <= -r <= 256, -d > 0, -q >= 1");
	sched_getaffinity(0, sizeof(allowed), &allowed);
	for (int c = 0; c < CPU_SETSIZE; c++)
		if (CPU_ISSET(c, &allowed))
			cpus[ncpus++] = c;
	pthread_spin_init(&g.lock, PTHREAD_PROCESS_PRIVATE);
	fill(&g.pool[0], 1);
	atomic_store(&g.pool[0].ref, 1);
	atomic_store(&g.ptr, &g.pool[0]);

	pthread_t th[MAX_READERS + 1];
	for (int i = 0; i < nreaders; i++)
		pthread_create(&th[i], NULL, reader, (void *)(intptr_t)i);
	if (updater)
		pthread_create(&th[nreaders], NULL, update, NULL);
	while (atomic_load(&g.ready) < nreaders + updater)
		sched_yield();
	atomic_store_explicit(&g.go, 1, memory_order_release);
	struct timespec d = { (time_t)seconds, (long)((seconds - (double)(time_t)seconds) * 1e9) };
	nanosleep(&d, NULL);
	atomic_store(&g.stop, 1);
	for (int i = 0; i < nreaders + updater; i++)
		pthread_join(th[i], NULL);

	uint64_t reads = 0, errors = 0, retries = 0;
	double ns = 0, best = 0;
	for (int i = 0; i < nreaders; i++) {
		reads += g.rr[i].reads;
		errors += g.rr[i].errors;
		retries += g.rr[i].retries;
		ns += (double)g.rr[i].ns / (double)g.rr[i].reads / nreaders;
		best += (g.rr[i].best < 1e30 ? g.rr[i].best : (double)g.rr[i].ns / (double)g.rr[i].reads) / nreaders;
	}
	if (header)
		puts("mech,mode,readers,updater,reads,ns_per_read,ns_per_read_best,errors,retries,"
		     "upd_ops_per_s,upd_lat_p50_ns,upd_lat_p99_ns");
	printf("%s,threads,%d,%d,%llu,%.4f,%.4f,%llu,%llu,%.0f,%llu,%llu\n", names[mech], nreaders, updater,
	       (unsigned long long)reads, ns, best, (unsigned long long)errors, (unsigned long long)retries,
	       updater && g.upd_ns ? (double)g.upd_ops * 1e9 / (double)g.upd_ns : 0.0,
	       (unsigned long long)g.lat_p50, (unsigned long long)g.lat_p99);
	return errors && mech != PLAIN ? 4 : 0;
}
