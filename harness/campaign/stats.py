"""The statistics a campaign's numbers need beyond a failure rate's interval (harness.triage.rates.wilson): two
failure rates compared with Fisher's exact test and two sets of timings with Mann-Whitney U (scipy), and how
many clean runs make a bisection step "good"."""

from __future__ import annotations

import math

from scipy import stats

ALPHA = 0.05


def fisher_p(fail_a: int, runs_a: int, fail_b: int, runs_b: int) -> float:
    """Two-sided p-value of Fisher's exact test: do the two failure rates differ?"""
    return float(stats.fisher_exact([[fail_a, runs_a - fail_a], [fail_b, runs_b - fail_b]])[1])


def mannwhitney_p(a: list[float], b: list[float]) -> float | None:
    """Two-sided p-value of the Mann-Whitney U test on two samples of timings (None: a side is empty)."""
    if not a or not b:
        return None
    return float(stats.mannwhitneyu(a, b, alternative="two-sided").pvalue)


def runs_for_good(confidence: float, rate: float) -> int:
    """Clean runs after which a commit is good at this confidence, if bad commits fail with probability
    `rate` per run: (1-rate)^n <= 1-confidence, n = ln(1-c)/ln(1-p)."""
    if not 0 < confidence < 1 or not 0 < rate <= 1:
        raise ValueError(f"need 0 < confidence < 1 and 0 < rate <= 1, not {confidence}, {rate}")
    if rate == 1:
        return 1
    return max(1, math.ceil(math.log(1 - confidence) / math.log(1 - rate)))
