/*
 * api.h - what Python sees of the C core (parsed by cffi's cdef as well as by the C compiler).
 *
 * Keep this file in the subset cffi can parse: no #if, only `#define NAME <integer>`, and one #include:
 * constants.h, the numbers a scheme shares with the engine and Python, which harness/_build.py hands to
 * cffi ahead of this file. Everything here is plain data in the shared arena or a function the orchestrator
 * or a worker calls once per run or once per chunk: no per-operation Python work crosses this boundary.
 */

#include "constants.h"

#define H_MAX_WORKERS 256
#define H_MAX_NODES 64
#define H_CPU_WORDS 16
#define H_HIST_BUCKETS 64
#define H_PIPE_BUCKETS 10
#define H_FLIGHT_EVENTS 64
#define H_RECLAIMER_FLIGHT_EVENTS 512
#define H_MAX_STALLS 64
#define H_NAME_LEN 64

/* Roles of a worker process. Names: h_role_name(). */
#define H_ROLE_READER 0
#define H_ROLE_WRITER 1
#define H_NROLES 2

/* The writer's operations: bit H_WRITER_OP_x of struct h_params.writer_ops. Names: h_writer_op_name(). */
#define H_WRITER_OP_CREATE 0
#define H_WRITER_OP_ATTACH 1
#define H_WRITER_OP_REBIND 2
#define H_WRITER_OP_DESTROY 3
#define H_NWRITER_OPS 4

/* Memory models (struct h_params.memory_model). Names: h_memory_model_name(), the --memory-model values.
 * Weak: the primitives emulate LKMM's reorderings (weak.c). */
#define H_MEMORY_NATIVE 0
#define H_MEMORY_WEAK 1
#define H_NMEMORY_MODELS 2

/* A worker's life (struct h_worker_stats.state): starting; ready (registered, waiting for a command);
 * running (inside a round); done (the round ended, waiting for the next command); exited. */
#define H_WORKER_STARTING 0
#define H_WORKER_READY 1
#define H_WORKER_RUNNING 2
#define H_WORKER_DONE 3
#define H_WORKER_EXITED 4
#define H_NWORKER_STATES 5

/* Violation kinds (oracles). Names come from h_violation_name(). */
#define H_V_USE_AFTER_FREE 0
#define H_V_FOREIGN 1
#define H_V_TYPE 2
#define H_V_TORN 3
#define H_V_IDENTITY 4
#define H_V_GP_TOO_SHORT 5
#define H_V_BAD_NODE 6
#define H_V_REFCOUNT 7
#define H_V_DOUBLE_FREE 8
#define H_V_DOUBLE_CALL_RCU 9
#define H_V_FREE_WHILE_ATTACHED 10
#define H_V_CALLBACK_ON_LIVE 11
#define H_V_RCU_UNBALANCED 12
#define H_V_FREE_WHILE_CLAIMED 13
#define H_V_QS_IN_READER 14
#define H_V_SYNC_IN_READER 15
#define H_V_RCU_UNDECLARED 16
#define H_V_SUSPICIOUS_RCU 17
#define H_V_HANG 18
#define H_V_OUT_OF_BOUNDS 19
#define H_V_ENGINE_CORRUPTED 20
#define H_NVIOLATIONS 21

/* Per-worker counters. Names come from h_counter_name(). */
#define H_C_OPS 0
#define H_C_RETRIES 1
#define H_C_NEAR_MISSES 2
#define H_C_SHORTCUT 3
#define H_C_PAGES_ALLOCATED 4
#define H_C_ALLOC_FAILURES 5
#define H_C_UNVERIFIED 6
#define H_C_DELAYS 7
#define H_C_WRITER_CREATES 8
#define H_C_WRITER_ATTACHES 9
#define H_C_WRITER_REBINDS 10
#define H_C_WRITER_DESTROYS 11
#define H_C_MIGRATIONS 12
#define H_C_LOOP_NS 13
#define H_C_BEST_WINDOW_PS 14
#define H_C_PAUSED_NS 15
#define H_C_THROTTLED_NS 16
#define H_C_WRITER_RECYCLES 17
#define H_C_ZONELIST_TORN 18
#define H_NCOUNTERS 19

/* Commands the orchestrator posts to the workers. */
#define H_CMD_NONE 0
#define H_CMD_RUN 1
#define H_CMD_EXIT 2
#define H_CMD_LITMUS 3

/* Faults the orchestrator can inject into one worker (see h_fault_post): PARK enters a read-side
 * critical section and stays there (duration 0: until killed); CRASH is a real invalid memory access,
 * the worker dies of SIGSEGV. Then the fault's states. */
#define H_FAULT_PARK 1
#define H_FAULT_CRASH 2
#define H_FAULT_IDLE 0
#define H_FAULT_POSTED 1
#define H_FAULT_ACTIVE 2
#define H_FAULT_FINISHED 3

/* Flight recorder event kinds. Names come from h_event_name(). */
#define H_EV_READ 1
#define H_EV_RETRY 2
#define H_EV_CREATE 3
#define H_EV_ATTACH 4
#define H_EV_DESTROY 5
#define H_EV_FREE 6
#define H_EV_PAGE_RELEASE 7
#define H_EV_VIOLATION 8
/* gp-start: a = the grace period's number; gp-end: a = its number, b = its length in ns; call-rcu: a = the
 * cpuset's serial (0: a page or zonelist), b = the object's arena offset. Their time is the clock's, a read's
 * is when the read began, with dur_ns its length. */
#define H_EV_GP_START 9
#define H_EV_GP_END 10
#define H_EV_CALL_RCU 11

/* What a worker (or the reclaimer) is doing, for hang and progress-stall reports. Names: h_phase_name(). */
#define H_PH_IDLE 0
#define H_PH_READ 1
#define H_PH_CREATE 2
#define H_PH_ATTACH 3
#define H_PH_DESTROY 4
#define H_PH_SYNCHRONIZE 5
#define H_PH_CALLBACKS 6
#define H_PH_WRITER 7
#define H_PH_PAUSED 8
#define H_PH_THROTTLED 9
#define H_PH_FAULT 10
#define H_NPHASES 11

/* Worker index under which the reclaimer reports (it has no worker slot). */
#define H_RECLAIMER -1
#define H_ORCHESTRATOR -2

struct h_params {
    int nworkers;              /* pinned worker processes (readers + writers) */
    int nreaders;
    int nnodes;                /* simulated memory nodes, <= H_MAX_NODES */
    int pages_per_node;
    int scheme;                /* index in the scheme registry */
    int flavor;
    int workload;
    int checks;                /* 1: every read checked by the oracles (torture), 0: throughput only */
    unsigned long long seed;
    unsigned read_delay_per_mille;  /* amplifier: chance per read of a delay inside the critical section */
    unsigned read_delay_max_ns;
    unsigned writer_delay_max_ns;   /* amplifier: random delay between writer steps */
    unsigned writer_period_ns;      /* 0: writer storm; else one change per period */
    unsigned stall_ms;              /* a reader holding up a grace period this long is reported */
    unsigned stutter_on_ms;         /* amplifier: all workers run this long, then... */
    unsigned stutter_off_ms;        /* ...pause this long together (0: no stutter) */
    unsigned access_delay_per_mille;  /* amplifier: chance per checkpoint (every primitive a scheme calls) */
    unsigned access_delay_max_ns;
    int adversarial;                /* amplifier: the writer recycles the very cpusets readers are reading */
    int job_nodes;                  /* readers' initial job cpuset: the last job_nodes nodes (0: every other node) */
    int stop_on_violation;
    unsigned writer_ops;            /* the writer's operations: bit H_WRITER_OP_x set = x enabled */
    int memory_model;               /* H_MEMORY_NATIVE or H_MEMORY_WEAK */
};

struct h_flight_event {
    unsigned long long t_ns;   /* ns since run start (a read: when it began) */
    unsigned long long dur_ns; /* a read: how long it took, dereference to the oracle's check; else 0 */
    unsigned long long a;
    unsigned long long b;
    unsigned int cpu;
    unsigned short kind;
    unsigned short worker;
};

struct h_violation {
    unsigned long long t_ns;   /* ns since run start; 0 = none */
    unsigned long long object; /* arena offset of the object involved */
    unsigned long long serial; /* serial the reader acted on */
    unsigned long long detail; /* kind-specific: pipe count, node, tag word ... */
    int kind;
    int worker;
    int cpu;
    int task;
    int phase;                 /* H_PH_* of the context that raised it: where (read, attach, destroy...) */
    /* what raised it and what the object was, taken when it was raised (for the report's story) */
    int op;                    /* H_OP_*: the engine call inside that phase (a callback, call_rcu...), or none */
    int in_read;               /* raised by a reader inside a read: read_start_ns is when that read began */
    unsigned long long read_start_ns;
    int object_is;             /* H_OBJ_IS_*: a cpuset, a page of another use, a task, ... */
    int page_state;            /* the page's state (h_page_state_name), when object_is is a cpuset or a page */
    long long index;           /* page index (cpuset, page) or task index (task); -1: none */
    unsigned long long object_serial;  /* a cpuset: the serial the engine created it as */
    int object_state;          /* a cpuset: free, allocated, live, queued (h_object_state_name) */
};

/* The engine call a violation was raised in (struct h_violation.op). Names: h_op_name(). */
#define H_OP_NONE 0
#define H_OP_FREE 1
#define H_OP_CALL_RCU 2
#define H_OP_CALLBACK 3
#define H_OP_SYNCHRONIZE 4

/* What a violation's object was (struct h_violation.object_is): nothing; an object of a slab page; a
 * simulated page that is not a slab page (page_state says what it is); a task's fields (task->cpuset, its
 * mems copy); the arena's own memory outside pages and tasks; an address outside the arena. */
#define H_OBJ_IS_NONE 0
#define H_OBJ_IS_CPUSET 1
#define H_OBJ_IS_PAGE 2
#define H_OBJ_IS_TASK 3
#define H_OBJ_IS_ENGINE 4
#define H_OBJ_IS_OUTSIDE 5

struct h_stall {
    unsigned long long t_ns;
    unsigned long long duration_ns;
    unsigned long long gp;
    int worker;
    int cpu;
};

struct h_worker_stats {
    unsigned long long counters[H_NCOUNTERS];
    unsigned long long violations[H_NVIOLATIONS];
    unsigned long long op_latency_hist[H_HIST_BUCKETS];  /* log2(ns) of sampled reads */
    unsigned long long pipe_hist[H_PIPE_BUCKETS];
    unsigned long long cpus_seen[H_CPU_WORDS];
    unsigned long long t_start_ns;
    unsigned long long t_end_ns;
    int role;
    int pid;
    unsigned long long heartbeat_ns;  /* last sign of progress, ns since run start */
    int cpu;                    /* CPU the orchestrator assigned */
    int state;                  /* H_WORKER_*: starting, ready, running, done, exited */
    int phase;                  /* H_PH_*: what it is doing now */
    int in_read_section;        /* inside an RCU read-side critical section (as far as the engine can see) */
};

struct h_global_stats {
    unsigned long long gp_count;
    unsigned long long gp_hist[H_HIST_BUCKETS];        /* log2(ns) synchronize_rcu latency */
    unsigned long long cb_hist[H_HIST_BUCKETS];        /* log2(ns) call_rcu -> callback latency */
    unsigned long long gp_max_ns;
    unsigned long long cb_queued;
    unsigned long long cb_done;
    unsigned long long slab_pages;                     /* pages owned by the cpuset slab */
    unsigned long long slab_pages_rcu_pending;
    unsigned long long slab_objects;
    unsigned long long pages_free;
    unsigned long long pages_total;
    unsigned long long number_of_cpusets;
    unsigned long long violations;
    unsigned long long violations_by_kind[H_NVIOLATIONS];      /* every context: workers, reclaimer, orchestrator */
    unsigned long long violations_outside_workers[H_NVIOLATIONS]; /* of those, raised by the reclaimer or orchestrator */
    unsigned long long nstalls;
    unsigned long long run_start_ns;                   /* CLOCK_MONOTONIC at the RUN command */
    unsigned long long arena_bytes;
};

/* ---- scheme registry ---- */
int h_scheme_count(void);
const char *h_scheme_name(int i);
const char *h_scheme_summary(int i);
int h_scheme_flags(int i);            /* H_SCHEME_* bits, see harness.h */
const char *h_scheme_expected(int i); /* busted schemes: comma-separated violation kinds they must trigger */
const char *h_scheme_missing(int i);  /* the first required ops-table field left unset ("name", ...), or NULL */
const char *h_violation_name(int kind);
const char *h_counter_name(int i);
const char *h_event_name(int kind);
const char *h_phase_name(int phase);
const char *h_op_name(int op);
const char *h_page_state_name(int state);
const char *h_object_state_name(int state);
/* The names Python's parameters use, by the index C reads (checked against harness/soak/parse.py at load). */
const char *h_role_name(int role);
const char *h_flavor_name(int flavor);
const char *h_workload_name(int workload);
const char *h_writer_op_name(int op);
const char *h_memory_model_name(int model);

/* ---- orchestrator side ---- */
int h_arena_create(const struct h_params *p, char *err, int errlen);  /* returns a memfd, or -1 */
unsigned long long h_arena_bytes(const struct h_params *p);          /* the memory h_arena_create would take */
void *h_arena_map(int fd, char *err, int errlen);                     /* maps the arena anywhere */
void h_arena_unmap(void *arena);
int h_post_command(void *arena, int cmd, unsigned long long reader_ops);
int h_wait_count(void *arena, int which, int target, int timeout_ms); /* which: 0 ready, 1 done */
void h_request_stop(void *arena);
int h_stop_requested(void *arena);
void h_reclaimer_main(void *arena);   /* blocks until h_reclaimer_stop(); run it in a process of its own */
void h_reclaimer_stop(void *arena);
int h_reclaimer_phase(void *arena);    /* H_PH_IDLE, H_PH_SYNCHRONIZE or H_PH_CALLBACKS */
unsigned long long h_reclaimer_heartbeat(void *arena);   /* ns since run start of its last step */
/* A violation the orchestrator found (a hang): counted with the engine's own, outside any worker. */
void h_report_violation(void *arena, int kind, int worker, unsigned long long object, unsigned long long detail);
void h_rcu_release_slot(void *arena, int worker);
void h_gp_probe(void *arena, int count);   /* `count` grace periods from the caller, recorded in gp_hist */
int h_membarrier_available(char *err, int errlen);
/* Store-buffering litmus between this process and every reader (they must be running H_CMD_LITMUS):
 * returns how many of `trials` showed the outcome a barrier on both sides forbids, or -1 on timeout. */
int h_membarrier_selftest(void *arena, int trials, int use_membarrier);
void h_fault_post(void *arena, int worker, int kind, unsigned long long duration_ns);
int h_fault_state(void *arena);
long long h_fault_hog_pages(void *arena);      /* take every free page; returns how many */
long long h_fault_release_hog(void *arena);    /* give them all back; returns how many */
void h_shuffle_begin(void *arena);             /* workers may be on their old or new CPU until _end */
void h_set_worker_cpu(void *arena, int worker, int cpu);
void h_shuffle_end(void *arena);
unsigned long long h_now_ns(void);

/* Weak-memory litmus suite (weak_litmus.c): the shapes, and `trials` of one (weak: 1 emulated, 0 native)
 * returning how many ended in its exists clause's outcome (-1: no such test). */
int h_litmus_weak_count(void);
const char *h_litmus_weak_name(int test);
int h_litmus_weak_threads(int test);   /* its litmus threads (-1: no such test) */
long long h_litmus_weak_run(int test, long long trials, unsigned long long seed, int weak);
/* The same by real processes, litmus thread i pinned to cpus[i % ncpus]; stops once `enough` were seen (0:
 * never). -1: no such test; -2: a process could not be made or stopped answering. */
long long h_litmus_weak_run_procs(int test, long long trials, unsigned long long seed, int weak, const int *cpus,
                                  int ncpus, long long enough);

/* After a round, every worker stopped: every redzone and the engine's shadows checked (integrity.c). */
void h_arena_sweep(void *arena);
/* A worker that died of SIGSEGV in one of the arena's guard pages: which, in words (0: not in one). */
int h_worker_fault_text(void *arena, int worker, char *out, int outlen);

void h_get_worker_stats(void *arena, int worker, struct h_worker_stats *out);
void h_get_global_stats(void *arena, struct h_global_stats *out);
void h_get_first_violation(void *arena, struct h_violation *out);
int h_get_flight(void *arena, int worker, struct h_flight_event *out);   /* returns events copied (at most
                                                                         H_RECLAIMER_FLIGHT_EVENTS); worker H_RECLAIMER: the reclaimer's */
int h_get_stalls(void *arena, struct h_stall *out, int max);

/* ---- worker side ---- */
int h_worker_init(int parent_pid);     /* die with the orchestrator; returns 0 or -errno */
int h_worker_register(void *arena, int worker, int role, int cpu, char *err, int errlen);
int h_worker_main(void *arena, int worker);  /* serves commands until H_CMD_EXIT */
int h_sched_getcpu(void);
