"""How sure a count of failures makes us: the Wilson score interval for a failure rate (what `repro` and
`shrink` report). Closed form, so the core install needs no scipy."""

from __future__ import annotations

import math
from statistics import NormalDist


def wilson(failures: int, runs: int, confidence: float = 0.95) -> tuple[float, float]:
    """The Wilson score interval for failures/runs. With 0 failures in n runs the upper bound is about 3/n at
    95% (the rule of three); it never leaves [0, 1] and stays meaningful for small n."""
    if runs <= 0:
        return 0.0, 1.0
    z = NormalDist().inv_cdf(0.5 + confidence / 2)
    p = failures / runs
    centre = (p + z * z / (2 * runs)) / (1 + z * z / runs)
    half = z * math.sqrt(p * (1 - p) / runs + z * z / (4 * runs * runs)) / (1 + z * z / runs)
    return (0.0 if failures == 0 else centre - half), (1.0 if failures == runs else centre + half)


def percent(x: float) -> str:
    return f"{100 * x:.0f}%"
