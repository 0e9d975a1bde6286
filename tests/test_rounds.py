"""Fixed-size rounds, which the benchmarks time: every reader does exactly the ops asked, round after round."""

import harness
from harness.report.result import Snapshot


def test_fixed_round_is_exact_and_ends():
    cfg = harness.Config(scheme="rcu-typesafe", workload="deref", readers=1, writers=1, checks=False,
                         writer_period=10000, seed=3)
    with harness.Session(cfg) as s:
        done = 0
        # 65536 hit the op sampled every 1024 ops exactly at the target, which once overshot and never ended
        for n in (65536, 1000, 64, 1, 3 * 1025 * 64):
            s.run(duration=5.0, reader_ops=n)   # the duration only bounds a regression
            ops = Snapshot.take(s).counter(s, "ops")[0]
            assert ops - done == n
            done = ops
