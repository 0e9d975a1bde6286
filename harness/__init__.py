"""A multi-process stress harness for lock-free reclamation schemes on real cores, modelling the 2005
proposal to make the page allocator's cpuset check lockless (RCU + SLAB_TYPESAFE_BY_RCU).

    import harness
    result = harness.run(harness.Config(scheme="rcu-typesafe", rcu="qsbr", duration=2))
    result.report["violations"]
"""

import os

# numpy's OpenBLAS starts a pool of threads that spin: on a machine whose every CPU runs a pinned worker
# they steal time from the workers, and they make every fork a fork of a multi-threaded process.
# The harness does no linear algebra; one thread is plenty (a user's own setting wins).
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")

from harness.config import Config, ConfigError  # noqa: E402
from harness.core import BUILTIN, FLAVORS, WORKLOADS, SchemeInfo
from harness.result import Result
from harness.session import Session, WorkerFailed

__all__ = ["Config", "ConfigError", "Result", "Session", "WorkerFailed", "SchemeInfo", "FLAVORS", "WORKLOADS",
           "run", "schemes"]


def schemes() -> list[SchemeInfo]:
    return list(BUILTIN.schemes)


def run(config: Config) -> Result:
    """One stress run: workers started, pinned and verified, one round of config.duration seconds (or
    config.ops reader operations), everything torn down; the result holds what was measured."""
    with Session(config) as s:
        s.run(duration=None if s.config.ops else s.config.duration, reader_ops=s.config.ops)
        return Result.collect(s)
