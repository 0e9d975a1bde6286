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

# Lazy (PEP 562): `import harness.soak.parse` or `harness.soak.config`, as the pytest plugin does in every run where
# the package is installed, must not load the C core or numpy. They load when a run is really set up.
_EXPORTS = {"Config": "harness.soak.config", "ConfigError": "harness.soak.parse", "Result": "harness.report.result",
            "Session": "harness.soak.session", "WorkerFailed": "harness.soak.spawn", "SchemeInfo": "harness.build.core",
            "FLAVORS": "harness.soak.parse", "WORKLOADS": "harness.soak.parse"}

__all__ = [*_EXPORTS, "run", "schemes"]


def __getattr__(name: str) -> object:
    if name in _EXPORTS:
        import importlib
        return getattr(importlib.import_module(_EXPORTS[name]), name)
    raise AttributeError(f"module 'harness' has no attribute {name!r}")


def schemes() -> list:
    """The built-in schemes (SchemeInfo), in `list` order."""
    from harness.build.core import BUILTIN
    return list(BUILTIN.schemes)


def run(config):  # type: ignore[no-untyped-def]
    """One stress run: workers started, pinned and verified, one round of config.duration seconds (or
    config.ops reader operations), everything torn down; the result (harness.Result) holds what was
    measured."""
    from harness.report.result import Result
    from harness.soak.session import Session
    with Session(config) as s:
        s.run(duration=None if s.config.ops else s.config.duration, reader_ops=s.config.ops)
        return Result.collect(s)
