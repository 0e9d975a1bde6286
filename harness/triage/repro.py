"""`python -m harness repro RUN.json [--runs N]`: rerun a recorded run N times, with its seed, and say how
often it fails: a rate with its 95% interval and the time to the first violation. A seed fixes the random
choices (the writer's operations and targets, the delays), not the interleaving, which the machine decides:
a rate is what a rerun can promise."""

from __future__ import annotations

import json
import statistics
from typing import Callable

from harness.report.output import save
from harness.soak import interrupts
from harness.triage.rates import percent, wilson
from harness.triage.rerun import Trial, recorded_config, trial


def repro(path: str, runs: int, emit: Callable[[str], None], json_path: str | None = None) -> dict:
    report, config = recorded_config(path)
    recorded = report["first_violation"]
    emit(f"repro: {runs} runs of the recorded command, each stopping at its first violation:")
    emit(f"  {report['command']}")
    trials: list[Trial] = []
    for i in range(runs):
        t = None if interrupts.received() else trial(config)
        if t is None:
            break
        trials.append(t)
        emit(f"run {i + 1}/{runs}: " + (f"FAILURE {t.kind} at {t.first_violation_s:.4f} s" if t.failed and
                                        t.first_violation_s is not None else f"FAILURE ({t.kind})" if t.failed
                                        else f"SUCCESS after {t.seconds:.2f} s"))
    sig = interrupts.received()
    if sig:
        emit(f"interrupted by {sig.name} after {len(trials)} of {runs} runs: the rate is over those")
    done = len(trials)
    failures = sum(t.failed for t in trials)
    lo, hi = wilson(failures, done)
    times = [t.first_violation_s for t in trials if t.first_violation_s is not None]
    summary = {"report": path, "command": report["command"], "runs": done, "runs_asked": runs,
               "interrupted": sig.name if sig else None, "failures": failures,
               "rate": failures / done if done else None, "ci95": [lo, hi], "ci_method": "Wilson score",
               "median_first_violation_s": statistics.median(times) if times else None,
               "first_violation_s": times, "kinds": sorted({t.kind for t in trials if t.kind}),
               "recorded": {"verdict": report["verdict"], "kind": recorded["kind"] if recorded else None,
                            "first_violation_s": report["first_violation_s"]},
               "trials": [t.__dict__ for t in trials]}
    emit(f"reproduced in {failures} of {done} runs: {percent(failures / done) if done else '-'} "
         f"(95% CI {percent(lo)}-{percent(hi)}, Wilson)" +
         (f"; time to first violation: median {statistics.median(times):.4f} s, min {min(times):.4f} s, "
          f"max {max(times):.4f} s" if times else ""))
    emit(f"recorded run: {report['verdict']}" + (f", {recorded['kind']} at {report['first_violation_s']:.4f} s"
                                                 if recorded else ""))
    if json_path:
        save(json_path, json.dumps(summary, indent=1), "repro result")
    return summary
