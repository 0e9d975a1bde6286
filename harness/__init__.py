"""A multi-process stress harness for lock-free reclamation schemes on real cores, modelling the 2005
proposal to make the page allocator's cpuset check lockless (RCU + SLAB_TYPESAFE_BY_RCU).

    import harness
    result = harness.run(harness.Config(scheme="rcu-typesafe", rcu="qsbr", duration=2))
    result.report["violations"]
"""

from harness.config import Config, ConfigError
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
