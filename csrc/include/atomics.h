/*
 * atomics.h - the kernel's memory-model primitives, spelled in C11 <stdatomic.h>.
 *
 * Shared fields are plain integers (so Python can read them as numpy arrays); every concurrent access goes
 * through one of these macros, which view the field as _Atomic of the same size. The names are the kernel's,
 * so a scheme reads like the code it models, and the memory order each one implies is stated here once.
 *
 * In a scheme's code (built-in or a scheme file) every one of them is also a checkpoint: in torture mode
 * the engine looks at the address (is it a cpuset? is it free, on a page given back, touched outside any
 * read-side section, reference or lock?) and may stall there for a moment, the way KASAN checks and KCSAN
 * delays at every access the compiler emits. The engine's own files define H_ENGINE and get the bare
 * accesses: the engine is not what is under test.
 */
#ifndef HARNESS_ATOMICS_H
#define HARNESS_ATOMICS_H

#include <stdatomic.h>
#include <stdint.h>

#define H_ATOMIC(p) ((_Atomic __typeof__(*(p)) *)(p))

/* What a checkpoint sees (h_checkpoint in harness.h). */
#define H_ACC_READ 0
#define H_ACC_WRITE 1
#define H_ACC_INC 2     /* an increment: on a refcount, taking a reference */
#define H_ACC_DEC 3     /* a decrement: on a refcount, dropping one */
#define H_ACC_DEREF 4   /* rcu_dereference: loading an RCU-protected pointer */

#ifdef H_ENGINE
#define H_CHECKPOINT(p, kind) ((void)0)
#define H_WEAK() ((struct h_weak *)0)
#else
#define H_CHECKPOINT(p, kind) h_checkpoint((const void *)(p), (kind))
#define H_WEAK() h_weak_ctx()
#endif

/*
 * Weak-memory mode (`--memory-model weak`, weak.c): every primitive below goes through an emulation that
 * allows what the Linux kernel memory model allows and x86 forbids: a WRITE_ONCE may reach memory after a
 * later store (store buffer), a READ_ONCE may return an older value this process saw (load cache), unless a
 * barrier, release/acquire, a full atomic or an address dependency orders them. h_weak_ctx() is NULL in
 * native mode and, like h_torture_ctx(), asked once per reader chunk: a native chunk folds the weak branch
 * away (H_DEFINE_CHUNK in harness.h). The engine's own accesses (H_ENGINE) stay bare.
 */
#include "static/checkpoints.h"   /* h_weak_ctx() and the emulation's entry points */

#define H_WEAK_LOAD(p, acquire, native)                                                                    \
    ({ struct h_weak *w_ = H_WEAK();                                                                        \
       w_ ? (__typeof__(*(p)))h_weak_load(w_, (p), sizeof(*(p)), (acquire)) : (native); })
#define H_WEAK_STORE(p, v, release, native)                                                                 \
    ({ struct h_weak *w_ = H_WEAK();                                                                        \
       if (w_)                                                                                              \
           h_weak_store(w_, (p), (uint64_t)(v), sizeof(*(p)), (release));                                   \
       else                                                                                                 \
           native; })
/* An atomic read-modify-write: `full` (release or stronger) lets every held store out first, a relaxed one
 * only a held store to the same word; `acquire` makes later loads read memory. */
#define H_WEAK_RMW(p, full, acquire, op)                                                                    \
    ({ struct h_weak *w_ = H_WEAK();                                                                        \
       if (w_)                                                                                              \
           h_weak_rmw(w_, (p), sizeof(*(p)), (full));                                                       \
       __auto_type r_ = (op);                                                                               \
       if (w_ && (acquire))                                                                                 \
           h_weak_fence(w_, H_WF_FLUSH);                                                                    \
       r_; })
#define H_WEAK_FENCE(what, native)                                                                          \
    ({ struct h_weak *w_ = H_WEAK();                                                                        \
       if (w_)                                                                                              \
           h_weak_fence(w_, (what));                                                                        \
       else                                                                                                 \
           native; })

/* Single-copy-atomic access with no ordering: the compiler may not tear, fuse or invent it. */
#define READ_ONCE(x)                                                                                        \
    ({ H_CHECKPOINT(&(x), H_ACC_READ);                                                                      \
       H_WEAK_LOAD(&(x), 0, atomic_load_explicit(H_ATOMIC(&(x)), memory_order_relaxed)); })
#define WRITE_ONCE(x, v)                                                                                    \
    ({ H_CHECKPOINT(&(x), H_ACC_WRITE);                                                                     \
       H_WEAK_STORE(&(x), (v), 0, atomic_store_explicit(H_ATOMIC(&(x)), (v), memory_order_relaxed)); })

/* Acquire/release: later accesses cannot move before the load; earlier ones cannot move after the store. */
#define smp_load_acquire(p)                                                                                 \
    ({ H_CHECKPOINT(p, H_ACC_READ); H_WEAK_LOAD(p, 1, atomic_load_explicit(H_ATOMIC(p), memory_order_acquire)); })
#define smp_store_release(p, v)                                                                             \
    ({ H_CHECKPOINT(p, H_ACC_WRITE);                                                                        \
       H_WEAK_STORE(p, (v), 1, atomic_store_explicit(H_ATOMIC(p), (v), memory_order_release)); })

/*
 * rcu_dereference: load a published offset. Memory order "consume" is what the kernel relies on (address
 * dependency); compilers promote it to acquire, which costs nothing extra on x86 and an ldar on arm64. In
 * weak mode it is what LKMM says: a plain load whose value orders the loads made through it.
 * rcu_assign_pointer: publish with release, so the object's initialisation is visible before the offset.
 */
#define rcu_dereference(x)                                                                                  \
    ({ H_CHECKPOINT(&(x), H_ACC_DEREF);                                                                     \
       H_WEAK_LOAD(&(x), 0, atomic_load_explicit(H_ATOMIC(&(x)), memory_order_consume)); })
#define rcu_assign_pointer(x, v)                                                                            \
    ({ H_CHECKPOINT(&(x), H_ACC_WRITE);                                                                     \
       H_WEAK_STORE(&(x), (v), 1, atomic_store_explicit(H_ATOMIC(&(x)), (v), memory_order_release)); })

#define xchg(p, v)                                                                                          \
    ({ H_CHECKPOINT(p, H_ACC_WRITE);                                                                        \
       H_WEAK_RMW(p, 1, 1, atomic_exchange_explicit(H_ATOMIC(p), (v), memory_order_seq_cst)); })
#define cmpxchg_weak(p, oldp, v)                                                                            \
    ({ H_CHECKPOINT(p, H_ACC_WRITE);                                                                        \
       H_WEAK_RMW(p, 1, 1, atomic_compare_exchange_weak_explicit(H_ATOMIC(p), (oldp), (v), memory_order_acq_rel, \
                                                                 memory_order_relaxed)); })
#define atomic_add_return_relaxed(p, v)                                                                     \
    ({ H_CHECKPOINT(p, H_ACC_INC);                                                                          \
       H_WEAK_RMW(p, 0, 0, atomic_fetch_add_explicit(H_ATOMIC(p), (v), memory_order_relaxed)) + (v); })
#define atomic_inc_relaxed(p)                                                                               \
    ({ H_CHECKPOINT(p, H_ACC_INC);                                                                          \
       (void)H_WEAK_RMW(p, 0, 0, atomic_fetch_add_explicit(H_ATOMIC(p), 1, memory_order_relaxed)); })
#define atomic_sub_return_release(p, v)                                                                     \
    ({ H_CHECKPOINT(p, H_ACC_DEC);                                                                          \
       H_WEAK_RMW(p, 1, 0, atomic_fetch_sub_explicit(H_ATOMIC(p), (v), memory_order_release)) - (v); })

/* Compiler-only barrier: what rcu_read_lock() costs in a non-preemptible kernel. */
#define barrier() atomic_signal_fence(memory_order_seq_cst)
#define smp_rmb() H_WEAK_FENCE(H_WF_FLUSH, atomic_thread_fence(memory_order_acquire))
#define smp_wmb() H_WEAK_FENCE(H_WF_DRAIN, atomic_thread_fence(memory_order_release))

/*
 * smp_mb: a full barrier, ordering earlier stores before later loads (store->load is the one ordering x86
 * does not give for free). On x86-64 a locked add to the stack is a full barrier and costs ~2.4 ns on this
 * class of machine, against ~20 ns for the mfence that atomic_thread_fence(seq_cst) emits (liburcu's mb
 * flavor pays one per read: bench/reference/refbench.c, mb against memb); the kernel made the same choice.
 * Elsewhere the C11 fence is the portable answer.
 */
#if defined(__x86_64__)
#define h_native_mb() __asm__ __volatile__("lock; addl $0,-4(%%rsp)" ::: "memory", "cc")
#else
#define h_native_mb() atomic_thread_fence(memory_order_seq_cst)
#endif
/* weak mode: the emulation's fence, then the machine's (store->load is the machine's own reordering) */
#define smp_mb()                                                                                            \
    ({ struct h_weak *w_ = H_WEAK();                                                                        \
       if (w_)                                                                                              \
           h_weak_fence(w_, H_WF_FULL);                                                                     \
       h_native_mb(); })

#if defined(__x86_64__) || defined(__i386__)
#define cpu_relax() __builtin_ia32_pause()
#elif defined(__aarch64__)
#define cpu_relax() __asm__ __volatile__("yield" ::: "memory")
#else
#define cpu_relax() barrier()
#endif

#define likely(x) __builtin_expect(!!(x), 1)
#define unlikely(x) __builtin_expect(!!(x), 0)

#endif
