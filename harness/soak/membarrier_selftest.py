"""The membarrier self-test: before a run trusts membarrier(GLOBAL_EXPEDITED) as the readers' barrier, it
proves the call reaches every reader process."""

from __future__ import annotations

from harness.soak.parse import ConfigError
from harness.soak.spawn import WorkerFailed


LITMUS_TRIALS = 2000   # store-buffering trials per reader in the membarrier self-test


def membarrier_selftest(s) -> dict[str, int]:
    """Prove that membarrier() reaches every reader process before trusting a run to it: the
    store-buffering litmus (csrc/weak/litmus.c) must never show its forbidden outcome with membarrier();
    the same trials with a plain compiler barrier show whether this machine can show it at all."""
    lib = s.core.lib
    result = {"trials": LITMUS_TRIALS * s.config.readers}
    for key, use_membarrier in (("forbidden_with_compiler_barrier_only", 0), ("forbidden_with_membarrier", 1)):
        lib.h_post_command(s.arena, lib.H_CMD_LITMUS, LITMUS_TRIALS)
        forbidden = lib.h_membarrier_selftest(s.arena, LITMUS_TRIALS, use_membarrier)
        if forbidden < 0 or lib.h_wait_count(s.arena, 1, s.nworkers, 5000) < s.nworkers:
            raise WorkerFailed("membarrier self-test: the reader processes did not answer within 5 s")
        result[key] = forbidden
    if result["forbidden_with_membarrier"]:
        raise ConfigError(f"membarrier self-test failed: {result['forbidden_with_membarrier']} of "
                          f"{result['trials']} store-buffering trials showed the outcome a full barrier "
                          "forbids, so membarrier(GLOBAL_EXPEDITED) does not reach the reader processes here")
    return result
