"""Grace-period latency per RCU flavor with 0, 1 and all readers busy (rcu-deferred, checks off).

0 busy: the reader is idle between rounds and the orchestrator runs grace periods back to back
(h_gp_probe): what a grace period costs when no reader has to be waited for. 1 / all busy: readers run
the deref loop while a writer storm destroys cpusets, so the reclaimer runs synchronize for their
call_rcu callbacks: synchronize latency and call_rcu-to-free latency. "All" is one reader per CPU plus the
writer, oversubscribed.
"""

from __future__ import annotations

import pytest

from harness.soak.parse import FLAVORS
from harness.report.result import Snapshot
from harness.soak.session import Session
from measure import NCPUS, Case, calibrate, latency_figures, measure

PROBE_GPS = 200   # grace periods per timed round with no reader busy


@pytest.mark.parametrize("busy", ["0", "1", "all"])
@pytest.mark.parametrize("rcu", FLAVORS)
def test_grace_period(benchmark, rcu, busy, bench_opts, bench_results):
    readers = {"0": 1, "1": 1, "all": NCPUS}[busy]
    case = Case("rcu-deferred", rcu, "deref", readers, "none" if busy == "0" else "storm")
    if busy != "0":
        info = measure(benchmark, case, bench_opts.round_s, bench_opts.rounds)
    else:
        benchmark.group = case.group
        with Session(case.config()) as session:
            calibrate(session, bench_opts.round_s)   # the same warm-up as every other benchmark
            before = Snapshot.take(session)
            benchmark.pedantic(session.core.lib.h_gp_probe, args=(session.arena, PROBE_GPS),
                               rounds=bench_opts.rounds, iterations=1)
            info = {**latency_figures(before, Snapshot.take(session)), "rcu": rcu, "readers": readers}
        benchmark.extra_info.update(info)
    bench_results.add("grace-period", {"rcu": rcu, "busy": busy, **{k: info[k] for k in (
        "readers", "grace_periods", "gp_p50_us", "gp_p99_us", "callbacks", "cb_p50_us", "cb_p99_us")}})
