/*
 * constants.h - the numbers a reader loop is specialised on, shared by schemes (through harness.h), the
 * engine and Python (harness/_build.py gives cffi this file's defines with api.h's). Keep it in the subset
 * cffi can parse: only `#define NAME <integer>`.
 */
#ifndef HARNESS_CONSTANTS_H
#define HARNESS_CONSTANTS_H

/* RCU flavors (struct h_params.flavor). Names: h_flavor_name(), the --rcu values. */
#define H_FLAVOR_QSBR 0
#define H_FLAVOR_MB 1
#define H_FLAVOR_MEMBARRIER 2
#define H_NFLAVORS 3

/* Workloads a reader runs (struct h_params.workload). Names: h_workload_name(), the --workload values. */
#define H_WORKLOAD_DEREF 0
#define H_WORKLOAD_ALLOC 1
#define H_WORKLOAD_UNUSED 2
#define H_WORKLOAD_ALLOC_SUBSET 3
#define H_NWORKLOADS 4

#endif
