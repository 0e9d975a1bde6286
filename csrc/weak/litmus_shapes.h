/*
 * litmus_shapes.h - the litmus programs of the weak-memory suite (litmus_shapes.c), as data that
 * weak_litmus.c runs: per thread a list of primitives, and the exists clause of the kernel's file.
 */
#ifndef HARNESS_LITMUS_SHAPES_H
#define HARNESS_LITMUS_SHAPES_H

enum {
    OP_W,         /* WRITE_ONCE(loc, arg) */
    OP_WREL,      /* smp_store_release(loc, arg) */
    OP_WREG_REL,  /* smp_store_release(loc, register arg) */
    OP_ASSIGN,    /* rcu_assign_pointer(loc, the object) */
    OP_R,         /* register arg = READ_ONCE(loc) */
    OP_RACQ,      /* register arg = smp_load_acquire(loc) */
    OP_DEREF,     /* register arg = rcu_dereference(loc) */
    OP_RDEP,      /* register arg = READ_ONCE(at the offset in register loc) */
    OP_WMB, OP_RMB, OP_MB,
    OP_WIF,       /* if (register 0) WRITE_ONCE(loc, arg): a control dependency */
    OP_LOCK,      /* spin_lock: the harness's h_spin_lock (task_lock) on the word at loc */
    OP_UNLOCK,    /* spin_unlock: h_spin_unlock */
    OP_CMPXCHG,   /* register arg = cmpxchg(loc, from, !from): strong, returns the old value */
    OP_RCU_LOCK,  /* rcu_read_lock: the harness's h_rcu_read_lock (mb flavor) on this thread's slot */
    OP_RCU_UNLOCK,
    OP_SYNC,      /* synchronize_rcu: the arena's grace period (rcu.c's steps) over every thread's slot */
    OP_RCU_UNLOCK_NOMB,   /* an unlock written without the smp_mb before clearing the slot (a user's bug) */
};
enum { X, Y, Z, P, LCK, OBJ };   /* OBJ: the first word of the object the RCU tests publish */

struct lit_op {
    int op;
    int loc;    /* X..OBJ; OP_RDEP: the register holding the offset */
    int arg;    /* stores: the value (OP_WREG_REL: the register); loads and OP_CMPXCHG: the register written */
    int from;   /* OP_CMPXCHG: the value expected */
};

#define LIT_MAX_OPS 5
#define LIT_MAX_THREADS 4
#define LIT_REGS 2
#define LIT_OBJ 1000   /* "the offset of obj" in a condition */
#define LIT_AT_Z 1001  /* "the offset of Z" in a condition (where P points at first) */

struct lit_test {
    const char *name;
    int nthreads;
    struct lit_op prog[LIT_MAX_THREADS][LIT_MAX_OPS + 1];   /* ends with op -1 */
    int cond[LIT_MAX_THREADS][LIT_REGS];                    /* the exists clause: -1 any; LIT_OBJ: the object */
    struct { int loc1, val; } final;                        /* and a final value (loc1: loc + 1; 0: none) */
    struct { int loc1, val; } init[2];                      /* initial values other than 0 (loc1 as final) */
};

extern const struct lit_test h_lit_tests[];
extern const int h_lit_ntests;

#endif
