/*
 * gp_steps.h - the arena's grace period as three steps (rcu.c), for a caller that cannot block between
 * them: the litmus runner interleaves them with emulated readers (weak_litmus.c). Schemes never see it.
 *
 *   h_gp_flip(gp_ctr, target, flavor)   a full barrier, gp_ctr = target, the flavor's master barrier
 *   h_gp_reader_passed(slot, dead, t)   that reader is outside, or announced at or after the flip (or dead)
 *   h_gp_end(flavor)                    every reader passed: the flavor's master barrier
 */
#ifndef HARNESS_GP_STEPS_H
#define HARNESS_GP_STEPS_H

#include "harness.h"

void h_gp_flip(uint64_t *gp_ctr, uint64_t target, int flavor);
int h_gp_reader_passed(const struct h_rcu_slot *slot, const int32_t *dead, uint64_t target);
void h_gp_end(int flavor);

#endif
